"""The operator's system page: the database, the read replica and its lag, the jobs, the notice backlog."""
from __future__ import annotations

import sqlalchemy as sa
from flask import render_template

from ... import replica
from ...extensions import db
from ...models import OutboxMessage, SweepState
from . import bp
from .helpers import admin_only


def _database() -> dict:
    engine = db.engine
    info = {"dialect": engine.dialect.name, "url": engine.url.render_as_string(hide_password=True)}
    if engine.dialect.name == "postgresql":
        info["version"] = db.session.execute(sa.text("SHOW server_version")).scalar()
    else:
        info["version"] = db.session.execute(sa.text("SELECT sqlite_version()")).scalar()
    return info


@bp.route("/system")
@admin_only
def system():
    """What an operator checks first: primary, replica (with its replay lag), last sweep, pending notices."""
    backlog = dict(db.session.execute(
        sa.select(OutboxMessage.status, sa.func.count()).group_by(OutboxMessage.status)).all())
    sweep = db.session.get(SweepState, 1)
    return render_template("admin/system.html", active_tab="admin.system", database=_database(),
                           replica=replica.status(), backlog=backlog, sweep=sweep)
