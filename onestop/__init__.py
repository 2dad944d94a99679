"""OneStop (Một cửa): dossiers of Vietnam's one-stop administrative procedures."""
from __future__ import annotations

import importlib
import logging
import os
import threading
from pathlib import Path

from flask import Flask, abort, g, request, session
from flask.templating import DispatchingJinjaLoader
from flask_login import current_user
from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.exc import SQLAlchemyError

from config import BASE_DIR, DEV_SECRET_KEY, config_for_env

from .extensions import babel, csrf, db, limiter, login_manager, migrate

BLUEPRINTS = (
    # (package under onestop.blueprints, url prefix)
    ("main", None),
    ("auth", "/auth"),
    ("reception", "/reception"),
    ("processing", "/processing"),
    ("lookup", "/lookup"),
    ("reports", "/reports"),
    ("admin", "/admin"),
    ("api", "/api/v1"),
    ("open311", "/open311/v2"),
    # -- blueprints: PAKN (issue 15) --
    ("pakn", "/pakn"),
    # -- blueprints: online public services (issue 16) --
    ("portal", "/thu-tuc"),
    ("verify", "/verify"),
    # -- blueprints: public scoreboard and integrity (issue 20) --
    ("scoreboard", "/bang-diem"),
    ("integrity", "/integrity"),
    # -- blueprints: queue, kiosk, board (issue 21) --
    ("queue", "/queue"),
)
LANGUAGES = ("vi", "en")


class OneStopApp(Flask):
    """Flask, whose web layer may be registered on first need instead of at start-up.

    The web layer is what only serving pages, building their URLs and rendering templates needs: the
    blueprints (importing every view module and compiling ~130 URL rules), the error pages, the templates'
    filters and globals, the security headers, the per-request commit and the start of the in-process
    scheduler on the first request, registered in that order whenever they are registered.

    `create_app(defer_web=True)` (what wsgi.py asks for when the command line loads the app to run one of
    its commands) leaves it pending; the first reader of the URL map (`url_for`, a request,
    `app.test_request_context()`, listing the routes), of the blueprints or of a template (its filters
    and globals) registers it, once, in whichever thread that is. Until then the app serves no request,
    builds no URL and renders no template, so nothing can tell the difference.
    """

    def __init__(self, *args, **kwargs):
        self._web_pending = None  # `register(app)` of the web layer, while deferred
        self._web_loading = False
        self._web_lock = threading.RLock()
        super().__init__(*args, **kwargs)

    @property
    def url_map(self):
        if self._web_pending is not None:
            self.load_web()
        return self._url_map

    @url_map.setter
    def url_map(self, value):
        self._url_map = value

    def iter_blueprints(self):
        if self._web_pending is not None:
            self.load_web()
        return super().iter_blueprints()

    def create_global_jinja_loader(self):
        return _WebLayerLoader(self)

    def defer_web(self, register) -> None:
        self._web_pending = register

    def load_web(self) -> None:
        """Register the deferred web layer now (nothing when it is already registered)."""
        if self._web_pending is None:
            return
        with self._web_lock:  # re-entrant: registering reads the URL map; other threads wait for the whole
            if self._web_pending is None or self._web_loading:
                return
            self._web_loading = True
            try:
                self._web_pending(self)
            finally:
                self._web_pending = None
                self._web_loading = False

    @property
    def web_loaded(self) -> bool:
        return self._web_pending is None


class _WebLayerLoader(DispatchingJinjaLoader):
    """Every template, a mail's or a PDF's too, is compiled with the web layer's filters and globals."""

    def get_source(self, environment, template):
        self.app.load_web()
        return super().get_source(environment, template)

    def list_templates(self):
        self.app.load_web()
        return super().list_templates()


def create_app(config=None, *, defer_web: bool = False) -> Flask:
    """Build the application; `config` is a settings class or a dict of overrides.

    `defer_web`: register the web layer (blueprints, error pages, template helpers, headers, per-request
    commit, the in-process scheduler's start) on first need (`OneStopApp`): for the command line, whose
    commands (bar `run`, `shell` and `routes`) serve no page.
    """
    app = OneStopApp(
        __name__,
        template_folder=str(BASE_DIR / "templates"),
        static_folder=str(BASE_DIR / "static"),
        instance_path=str(Path(os.environ.get("ONESTOP_INSTANCE", BASE_DIR / "instance"))),
    )
    if isinstance(config, dict):
        app.config.from_object(config_for_env())
        app.config.update(config)
    else:
        app.config.from_object(config or config_for_env())
    if app.config.get("ENV_NAME") == "production" and app.config["SECRET_KEY"] in (DEV_SECRET_KEY, "", None):
        raise RuntimeError("ONESTOP_ENV=production cần SECRET_KEY riêng (production requires its own SECRET_KEY)")
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)
    proxies = int(app.config.get("ONESTOP_PROXY_COUNT") or 0)
    if proxies > 0:
        from werkzeug.middleware.proxy_fix import ProxyFix

        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=proxies, x_proto=proxies, x_host=proxies)
    register_extensions(app)
    register_input_checks(app)
    if defer_web:
        from . import transaction  # noqa: F401  its session events (files removed on rollback) hold in commands too

        app.defer_web(register_web)
    else:
        register_web(app)
    register_commands(app)
    register_background(app)
    logging.basicConfig(level=logging.INFO)
    # alembic.runtime.plugins: Alembic, imported on first use (extensions.DeferredMigrate), announces its plugins
    for noisy in ("weasyprint", "weasyprint.progress", "fontTools", "alembic.runtime.plugins"):
        logging.getLogger(noisy).setLevel(logging.ERROR)
    return app


@event.listens_for(Engine, "connect")
def _sqlite_pragmas(dbapi_connection, connection_record):
    """Foreign keys on, WAL and a busy timeout so concurrent clerks wait instead of failing."""
    if type(dbapi_connection).__module__.startswith("sqlite3"):
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.close()


def select_locale() -> str:
    """The user's chosen language (session or profile), Vietnamese by default."""
    if not request or not session:
        return "vi"  # no session, so nobody signed in (there is no remember-me cookie): nothing to load
    chosen = session.get("lang")
    if chosen in LANGUAGES:
        return chosen
    if current_user and getattr(current_user, "is_authenticated", False) and current_user.locale in LANGUAGES:
        return current_user.locale
    return "vi"


def register_extensions(app: Flask) -> None:
    db.init_app(app)
    from . import pool, replica

    pool.init_app(app)
    replica.init_app(app)
    migrate.init_app(app, db, render_as_batch=True, directory=str(BASE_DIR / "migrations"))
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message = "Vui lòng đăng nhập để tiếp tục."
    login_manager.login_message_category = "warning"
    csrf.init_app(app)
    limiter.init_app(app)
    babel.init_app(app, locale_selector=select_locale,
                   default_timezone=app.config["ONESTOP_TIMEZONE"])

    from .accounts import user_for_session

    @login_manager.user_loader
    def load_user(user_id: str):
        try:
            user = user_for_session(user_id)  # "<id>:<session token>": a rotated token ends the session
        except SQLAlchemyError:
            # The database is unwell: answer 503 once; while the error page renders
            # (it looks at the user for the menu and the language) the visitor is anonymous.
            db.session.rollback()
            if g.get("_database_down"):
                return None
            g._database_down = True
            app.logger.warning("could not load the signed-in user; database unavailable")
            abort(503)
        return user if user is not None and user.active else None


def register_input_checks(app: Flask) -> None:
    """Before the blueprints: the bounded `int` URL converter must exist when their routes are added."""
    from . import inputs

    inputs.init_app(app)


def register_web(app: Flask) -> None:
    """What serving pages needs and the command line's commands do not (see `OneStopApp`). Hook order:
    before each request the replica's and the input checks' (bound earlier), then the in-process
    scheduler's start; after it the blueprints' (auth: no-store), the headers', then the commit's."""
    register_blueprints(app)
    register_errorhandlers(app)
    register_template_helpers(app)
    register_security_headers(app)
    register_transactions(app)
    register_in_process_scheduler(app)


def register_blueprints(app: Flask) -> None:
    for name, prefix in BLUEPRINTS:
        module = importlib.import_module(f"onestop.blueprints.{name}")
        app.register_blueprint(module.bp, url_prefix=prefix)


def register_errorhandlers(app: Flask) -> None:
    from .blueprints.main import errors

    errors.register(app)


def register_template_helpers(app: Flask) -> None:
    from . import templating

    templating.register(app)


def register_security_headers(app: Flask) -> None:
    @app.after_request
    def security_headers(response):
        headers = response.headers
        headers.setdefault(
            "Content-Security-Policy",
            "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
            "object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'",
        )
        headers.setdefault("X-Content-Type-Options", "nosniff")
        headers.setdefault("X-Frame-Options", "DENY")
        headers.setdefault("Referrer-Policy", "same-origin")
        headers.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
        if app.config.get("SESSION_COOKIE_SECURE"):
            headers.setdefault("Strict-Transport-Security", "max-age=31536000")
        return response


def register_transactions(app: Flask) -> None:
    """One commit per request; registered after the headers so that a 503 from a failed commit gets them too."""
    from . import transaction

    transaction.init_app(app)


def register_commands(app: Flask) -> None:
    from .cli import register

    register(app)


def register_background(app: Flask) -> None:
    from . import notices

    notices.init_app(app)
    from . import portal_sync  # issue 15: the national portal outbox listens to dossier events

    portal_sync.init_app(app)


def register_in_process_scheduler(app: Flask) -> None:
    """ONESTOP_SCHEDULER on: the schedule starts with the first request a process serves (never in a command)."""
    from . import scheduler

    scheduler.init_app(app)
