"""Configuration read from environment variables, with safe local defaults."""
import os
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent
INSTANCE_DIR = Path(os.environ.get("ONESTOP_INSTANCE", BASE_DIR / "instance"))
DEV_SECRET_KEY = "dev-onestop-not-secret"


def _bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _int(name: str, default: int) -> int:
    value = os.environ.get(name)
    return int(value) if value not in (None, "") else default


class Config:
    ENV_NAME = os.environ.get("ONESTOP_ENV", "development")
    SECRET_KEY = os.environ.get("SECRET_KEY", DEV_SECRET_KEY)
    SQLALCHEMY_DATABASE_URI = os.environ.get(
        "DATABASE_URL", f"sqlite:///{INSTANCE_DIR / 'onestop.db'}"
    )
    # No pool_pre_ping: onestop/pool.py pings only the connections that rested in the pool (issue 18).
    SQLALCHEMY_ENGINE_OPTIONS: dict = {}
    ONESTOP_DB_PING_IDLE_SECONDS = float(os.environ.get("ONESTOP_DB_PING_IDLE_SECONDS") or 1.0)
    # A PostgreSQL hot standby for reports, the public scoreboard and exports (empty: everything on the primary).
    DATABASE_REPLICA_URL = os.environ.get("DATABASE_REPLICA_URL") or None
    ONESTOP_TIMEZONE = os.environ.get("ONESTOP_TIMEZONE", "Asia/Ho_Chi_Minh")
    ONESTOP_BASE_URL = os.environ.get("ONESTOP_BASE_URL", "http://127.0.0.1:5000").rstrip("/")
    # Set: QR codes and links always use it. Unset: they follow the served address (onestop/urls.py base_url),
    # for loopback hosts in development and the hosts listed in ONESTOP_TRUSTED_HOSTS (comma-separated).
    ONESTOP_BASE_URL_FIXED = bool(os.environ.get("ONESTOP_BASE_URL"))
    ONESTOP_TRUSTED_HOSTS = [h.strip() for h in os.environ.get("ONESTOP_TRUSTED_HOSTS", "").split(",") if h.strip()]
    ONESTOP_SCHEDULER = _bool("ONESTOP_SCHEDULER", True)
    ONESTOP_SWEEP_MINUTES = _int("ONESTOP_SWEEP_MINUTES", 5)
    # How often the scheduler delivers pending notices (seconds).
    ONESTOP_OUTBOX_SECONDS = _int("ONESTOP_OUTBOX_SECONDS", 60)
    # Working hours of a day, as (start, end) pairs in local time.
    ONESTOP_WORKING_HOURS = os.environ.get("ONESTOP_WORKING_HOURS", "07:00-11:30,13:30-17:00")
    # Paper dossiers received after this time are handed over the next working day,
    # and same-day procedures received after it are due the next working day.
    ONESTOP_CUTOFF = os.environ.get("ONESTOP_CUTOFF", "15:00")
    # A dossier is "due soon" this many working hours before its appointment.
    ONESTOP_DUE_SOON_HOURS = _int("ONESTOP_DUE_SOON_HOURS", 8)
    ONESTOP_UPLOAD_MAX_BYTES = _int("ONESTOP_UPLOAD_MAX_BYTES", 10 * 1024 * 1024)
    ONESTOP_FILES_DIR = os.environ.get("ONESTOP_FILES_DIR", str(INSTANCE_DIR / "files"))
    # Digital seals (docs/esign.md): `<agency identifier>.p12` files and the province's CA (`ca.pem`) live here.
    ONESTOP_SIGNING_DIR = os.environ.get("ONESTOP_SIGNING_DIR", str(INSTANCE_DIR / "signing"))
    ONESTOP_SIGNING_PASSWORD = os.environ.get("ONESTOP_SIGNING_PASSWORD", "onestop-demo-signing")
    # Other trusted root certificates (PEM files, comma-separated); empty: the CA in ONESTOP_SIGNING_DIR.
    ONESTOP_SIGNING_TRUST = os.environ.get("ONESTOP_SIGNING_TRUST", "")
    # `onestop demo` creates a demo CA and agency certificates when missing (never in production).
    ONESTOP_SIGNING_DEMO = _bool("ONESTOP_SIGNING_DEMO", True)
    # Where stored files live: `local` (ONESTOP_FILES_DIR, a volume every app node mounts) or `s3`.
    ONESTOP_FILE_STORE = os.environ.get("ONESTOP_FILE_STORE", "local")
    ONESTOP_S3_BUCKET = os.environ.get("ONESTOP_S3_BUCKET") or None
    ONESTOP_S3_PREFIX = os.environ.get("ONESTOP_S3_PREFIX", "")
    ONESTOP_S3_ENDPOINT_URL = os.environ.get("ONESTOP_S3_ENDPOINT_URL") or None
    ONESTOP_S3_REGION = os.environ.get("ONESTOP_S3_REGION") or None
    ONESTOP_S3_ACCESS_KEY = os.environ.get("ONESTOP_S3_ACCESS_KEY") or None
    ONESTOP_S3_SECRET_KEY = os.environ.get("ONESTOP_S3_SECRET_KEY") or None
    # Sign-in throttling: growing delays per (account, address) instead of a lock others could trigger.
    ONESTOP_LOGIN_PAIR_FREE = _int("ONESTOP_LOGIN_PAIR_FREE", 3)
    ONESTOP_LOGIN_PAIR_MAX_DELAY = _int("ONESTOP_LOGIN_PAIR_MAX_DELAY", 300)
    ONESTOP_LOGIN_ADDRESS_BUDGET = _int("ONESTOP_LOGIN_ADDRESS_BUDGET", 30)
    ONESTOP_LOGIN_ACCOUNT_BUDGET = _int("ONESTOP_LOGIN_ACCOUNT_BUDGET", 10)
    ONESTOP_LOGIN_MAX_DELAY = _int("ONESTOP_LOGIN_MAX_DELAY", 900)
    # Lookup keys: wrong guesses per address, and per dossier before only the printed key is accepted.
    ONESTOP_LOOKUP_FAILURE_LIMIT = os.environ.get("ONESTOP_LOOKUP_FAILURE_LIMIT", "20 per hour")
    ONESTOP_LOOKUP_ID_FAILURES = _int("ONESTOP_LOOKUP_ID_FAILURES", 10)
    ONESTOP_WEBHOOK_URL = os.environ.get("ONESTOP_WEBHOOK_URL") or None
    # Delivery attempts of a notice before it is marked failed (kept, and retryable).
    ONESTOP_NOTICE_MAX_ATTEMPTS = _int("ONESTOP_NOTICE_MAX_ATTEMPTS", 10)
    ONESTOP_WEBHOOK_SECRET = os.environ.get("ONESTOP_WEBHOOK_SECRET") or None
    # The national portal sync (issue 15, docs/portal-sync.md): empty URL = off, records stay pending.
    ONESTOP_PORTAL_URL = os.environ.get("ONESTOP_PORTAL_URL") or None
    ONESTOP_PORTAL_AUTH_PATH = os.environ.get("ONESTOP_PORTAL_AUTH_PATH") or "/auth"
    ONESTOP_PORTAL_USERNAME = os.environ.get("ONESTOP_PORTAL_USERNAME") or ""
    ONESTOP_PORTAL_PASSWORD = os.environ.get("ONESTOP_PORTAL_PASSWORD") or ""
    ONESTOP_PORTAL_UNIT = os.environ.get("ONESTOP_PORTAL_UNIT") or ""
    ONESTOP_PORTAL_SERVICE_DOSSIER = os.environ.get("ONESTOP_PORTAL_SERVICE_DOSSIER") or "DongBoHoSoMC"
    ONESTOP_PORTAL_SERVICE_PROGRESS = os.environ.get("ONESTOP_PORTAL_SERVICE_PROGRESS") or "CapNhatTienDoHoSoMC"
    ONESTOP_PORTAL_TIMEOUT = _int("ONESTOP_PORTAL_TIMEOUT", 15)
    ONESTOP_PORTAL_MAX_ATTEMPTS = _int("ONESTOP_PORTAL_MAX_ATTEMPTS", 12)
    MAIL_SERVER = os.environ.get("MAIL_SERVER") or None
    MAIL_PORT = _int("MAIL_PORT", 25)
    MAIL_USE_TLS = _bool("MAIL_USE_TLS", False)
    MAIL_USERNAME = os.environ.get("MAIL_USERNAME") or None
    MAIL_PASSWORD = os.environ.get("MAIL_PASSWORD") or None
    MAIL_SENDER = os.environ.get("MAIL_SENDER", "onestop@localhost")
    # Number of reverse proxies in front of the app whose X-Forwarded-* headers are trusted
    # (client addresses for rate limits and the audit log); 0 when clients connect directly.
    ONESTOP_PROXY_COUNT = _int("ONESTOP_PROXY_COUNT", 0)
    RATELIMIT_ENABLED = _bool("RATELIMIT_ENABLED", True)
    RATELIMIT_STORAGE_URI = os.environ.get("RATELIMIT_STORAGE_URI", "memory://")
    # Keys of this deployment in a Redis shared with others (several provinces, or tests).
    RATELIMIT_KEY_PREFIX = os.environ.get("RATELIMIT_KEY_PREFIX", "onestop")
    RATELIMIT_HEADERS_ENABLED = True
    ONESTOP_LOOKUP_LIMIT = os.environ.get("ONESTOP_LOOKUP_LIMIT", "30 per minute")
    ONESTOP_VERIFY_LIMIT = os.environ.get("ONESTOP_VERIFY_LIMIT", "10 per minute")
    ONESTOP_LOGIN_LIMIT = os.environ.get("ONESTOP_LOGIN_LIMIT", "20 per minute")
    # Queue tickets per kiosk (issue 21); a browser that is not a known kiosk gets a far smaller allowance.
    ONESTOP_KIOSK_LIMIT = os.environ.get("ONESTOP_KIOSK_LIMIT", "60 per minute")
    BABEL_DEFAULT_LOCALE = "vi"
    BABEL_DEFAULT_TIMEZONE = ONESTOP_TIMEZONE
    BABEL_TRANSLATION_DIRECTORIES = str(BASE_DIR / "onestop" / "translations")
    WTF_CSRF_TIME_LIMIT = None
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_SECURE = _bool("SESSION_COOKIE_SECURE", False)
    REMEMBER_COOKIE_HTTPONLY = True
    REMEMBER_COOKIE_SAMESITE = "Lax"
    MAX_CONTENT_LENGTH = _int("ONESTOP_MAX_REQUEST_BYTES", 25 * 1024 * 1024)


class DevelopmentConfig(Config):
    pass


class TestConfig(Config):
    ENV_NAME = "testing"
    TESTING = True
    SECRET_KEY = "test-secret"
    DATABASE_REPLICA_URL = None  # a test that wants a replica starts one and passes its URL
    ONESTOP_FILE_STORE = "local"  # a test that wants S3 starts a local S3 server and says so
    SQLALCHEMY_DATABASE_URI = os.environ.get("TEST_DATABASE_URL", "sqlite://")
    ONESTOP_SCHEDULER = False
    WTF_CSRF_ENABLED = False
    # Cheap hashing keeps the suite fast; production keeps werkzeug's default (scrypt).
    ONESTOP_PASSWORD_METHOD = "pbkdf2:sha256:1000"
    ONESTOP_FILES_DIR = os.environ.get("ONESTOP_TEST_FILES_DIR", "/tmp/onestop-test-files")
    RATELIMIT_ENABLED = False
    RATELIMIT_STORAGE_URI = "memory://"
    MAIL_SERVER = None
    ONESTOP_WEBHOOK_URL = None
    ONESTOP_PORTAL_URL = None


class ProductionConfig(Config):
    ENV_NAME = "production"
    ONESTOP_SIGNING_DEMO = _bool("ONESTOP_SIGNING_DEMO", False)
    ONESTOP_SIGNING_PASSWORD = os.environ.get("ONESTOP_SIGNING_PASSWORD", "")  # never the demo's
    SESSION_COOKIE_SECURE = _bool("SESSION_COOKIE_SECURE", True)
    REMEMBER_COOKIE_SECURE = SESSION_COOKIE_SECURE


def config_for_env(name: str | None = None) -> type[Config]:
    """Pick the settings class for ONESTOP_ENV."""
    name = name or os.environ.get("ONESTOP_ENV", "development")
    return {"production": ProductionConfig, "testing": TestConfig}.get(name, DevelopmentConfig)
