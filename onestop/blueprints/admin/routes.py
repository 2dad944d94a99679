"""The administration home page: what is in use, at a glance (one COUNT per card)."""
from __future__ import annotations

from datetime import date

import sqlalchemy as sa
from flask import render_template

from ...extensions import db
from ...models import Agency, ApiToken, CalendarOverride, Procedure, User
from ...timeutil import local
from ...timeutil import now as utcnow
from . import bp
from .helpers import admin_only


def _count(model, *where) -> int:
    return db.session.execute(sa.select(sa.func.count()).select_from(model).where(*where)).scalar_one()


@bp.route("/")
@admin_only
def index():
    today = local(utcnow()).date()
    stats = {
        "agencies": _count(Agency, Agency.active.is_(True)),
        "users": _count(User, User.active.is_(True)),
        "procedures": _count(Procedure, Procedure.active.is_(True)),
        "tokens": _count(ApiToken, ApiToken.revoked_at.is_(None)),
        "overrides": _count(CalendarOverride, CalendarOverride.day >= date(today.year, 1, 1)),
    }
    return render_template("admin/index.html", stats=stats, year=today.year)
