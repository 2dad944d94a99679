"""Test settings shared by every test package (import from here, not from conftest)."""
from __future__ import annotations

import os
import tempfile

from config import TestConfig
from onestop import create_app

_TMP = tempfile.mkdtemp(prefix="onestop-tests-")
DATABASE_URL = os.environ.get("TEST_DATABASE_URL") or f"sqlite:///{_TMP}/test.db"
IS_POSTGRES = DATABASE_URL.startswith("postgresql")
_WORKER = os.environ.get("PYTEST_XDIST_WORKER")


def _worker_database(url: str, worker: str) -> str:
    """Under pytest-xdist each worker gets its own PostgreSQL database (created when missing)."""
    import sqlalchemy as sa

    base = sa.make_url(url)
    name = f"{base.database}_{worker}"
    engine = sa.create_engine(base, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        if not conn.execute(sa.text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name}).first():
            conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    engine.dispose()
    return base.set(database=name).render_as_string(hide_password=False)


if IS_POSTGRES and _WORKER:
    DATABASE_URL = _worker_database(DATABASE_URL, _WORKER)
FILES_DIR = f"{_TMP}/files"
# The demo data creates its CA and agency certificates here once per test process (onestop/signing.py).
SIGNING_DIR = f"{_TMP}/signing"


def make_app(**overrides):
    """The app under TestConfig on the test database, with per-test overrides."""
    config = {k: getattr(TestConfig, k) for k in dir(TestConfig) if k.isupper()}
    config.update(SQLALCHEMY_DATABASE_URI=DATABASE_URL, ONESTOP_FILES_DIR=FILES_DIR, ONESTOP_SIGNING_DIR=SIGNING_DIR)
    config.update(overrides)
    return create_app(config)


def clean_tables():
    """Empty every table of the test database (faster than TRUNCATE for tiny tables)."""
    import sqlalchemy as sa

    from onestop import calendar, settings
    from onestop.extensions import db

    db.session.remove()
    tables = [t.name for t in reversed(db.metadata.sorted_tables)]
    with db.engine.begin() as conn:
        if IS_POSTGRES:
            conn.execute(sa.text("UPDATE dossiers SET current_step_id = NULL"))
        else:
            conn.execute(sa.text("PRAGMA foreign_keys=OFF"))
        for name in tables:
            conn.execute(sa.text(f"DELETE FROM {name}"))
        if not IS_POSTGRES:
            conn.execute(sa.text("PRAGMA foreign_keys=ON"))
    calendar.invalidate()
    settings.invalidate()
