"""Unbound extension objects; `create_app` binds them."""
import threading

import click
from flask_babel import Babel
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_sqlalchemy import SQLAlchemy
from flask_wtf import CSRFProtect
from sqlalchemy import MetaData
from sqlalchemy.orm import DeclarativeBase

from .replica import RoutingSession

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class DeferredGroup(click.Group):
    """A command group listed by name and help alone; its real definition is imported when it is run.

    `load` returns the real group: its options, subcommands and help take over from the moment the
    group is invoked (`flask db upgrade`, `flask db --help`) or its subcommands are listed.
    """

    def __init__(self, name: str, load, help: str):
        super().__init__(name, help=help)
        self._load = load

    def make_context(self, info_name, args, parent=None, **extra):
        return self._load().make_context(info_name, args, parent=parent, **extra)

    def list_commands(self, ctx):
        return self._load().list_commands(ctx)

    def get_command(self, ctx, name):
        return self._load().get_command(ctx, name)


class _DeferredMigrateConfig:
    """`app.extensions["migrate"]` until something reads it: then Flask-Migrate is bound for real."""

    def __init__(self, app, db, options: dict):
        self._app, self._db, self._options, self._real = app, db, options, None

    def __getattr__(self, name):
        if name.startswith("_"):
            raise AttributeError(name)
        if self._real is None:
            from flask_migrate import Migrate

            Migrate(self._app, self._db, **self._options)  # replaces app.extensions["migrate"] and `flask db`
            self._real = self._app.extensions["migrate"]
        return getattr(self._real, name)


class DeferredMigrate:
    """Flask-Migrate bound without importing Alembic (~0.1 s of every start-up): only `flask db` and
    migration code (env.py, `flask_migrate.upgrade()`) need it, and they load it on first use."""

    def init_app(self, app, db, **options) -> None:
        app.extensions["migrate"] = _DeferredMigrateConfig(app, db, options)
        app.cli.add_command(DeferredGroup("db", _flask_migrate_group, help="Perform database migrations."))


def _flask_migrate_group() -> click.Group:
    from flask_migrate.cli import db as group

    return group


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


# SELECTs of report requests may go to a read replica (see replica.py); everything else uses the primary.
db = SQLAlchemy(model_class=Base, session_options={"class_": RoutingSession})
migrate = DeferredMigrate()
login_manager = LoginManager()
csrf = CSRFProtect()
limiter = Limiter(key_func=get_remote_address, default_limits=[])
babel = Babel()
_scheduler_lock = threading.Lock()


def __getattr__(name: str):
    """`scheduler`: the in-process background scheduler, made (and APScheduler imported, ~30 ms) on first use."""
    if name != "scheduler":
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    with _scheduler_lock:
        if "scheduler" not in globals():
            from apscheduler.schedulers.background import BackgroundScheduler

            globals()["scheduler"] = BackgroundScheduler(daemon=True)
    return globals()["scheduler"]
