"""Reports read from a real streaming hot standby; the rest stays on the primary; the standby may go away.

The test starts its own primary (initdb) and a standby of it (pg_basebackup -R) on two loopback ports,
so the replication is PostgreSQL's own, not a mock.
"""
from __future__ import annotations

import logging
import tempfile

import pytest
import sqlalchemy as sa
from factories import receive
from pgcluster import Throwaway, wait_until

from config import TestConfig
from onestop import create_app, replica
from onestop.devdata import demo
from onestop.extensions import db
from onestop.models import Dossier


@pytest.fixture(scope="module")
def cluster():
    primary = Throwaway(options=("wal_level=replica", "max_wal_senders=4"))
    url = primary.create_database("onestop")
    standby = Throwaway(standby_of=primary, options=("hot_standby=on",))
    yield primary, standby, url
    standby.remove()
    primary.remove()


@pytest.fixture
def served(cluster, monkeypatch):
    primary, standby, url = cluster
    monkeypatch.setattr(replica, "HEALTH_SECONDS", 0.0)  # look at the standby's health on every request
    config = {k: getattr(TestConfig, k) for k in dir(TestConfig) if k.isupper()}
    config.update(SQLALCHEMY_DATABASE_URI=url, DATABASE_REPLICA_URL=standby.url("onestop"),
                  ONESTOP_FILES_DIR=tempfile.mkdtemp(prefix="onestop-replica-files-"))
    app = create_app(config)
    with app.app_context():
        db.drop_all()
        db.create_all()
        demo.load()
        receive("1.009994")
        db.session.commit()
    yield app, standby
    with app.app_context():
        db.session.remove()
        db.engine.dispose()
        app.extensions[replica.EXTENSION].engine.dispose()


class Statements:
    """Which server ran which statements (listening on both engines)."""

    def __init__(self, app):
        self.primary: list[str] = []
        self.replica: list[str] = []
        with app.app_context():
            self.engines = {"primary": db.engine, "replica": app.extensions[replica.EXTENSION].engine}
        for name, engine in self.engines.items():
            sa.event.listen(engine, "before_cursor_execute", self._listener(name))

    def _listener(self, name):
        def record(conn, cursor, statement, *args):
            getattr(self, name).append(statement)
        return record

    def clear(self):
        self.primary.clear()
        self.replica.clear()

    def reads_of(self, name: str, table: str) -> list[str]:
        return [s for s in getattr(self, name) if s.lstrip().upper().startswith("SELECT") and table in s]


def sign_in(client, username: str):
    r = client.post("/auth/login", data={"username": username, "password": "onestop2026"})
    assert r.status_code in (302, 303), r.status_code


def visible_on_standby(app, code: str) -> bool:
    with app.app_context():
        engine = app.extensions[replica.EXTENSION].engine
        with engine.connect() as conn:
            return conn.execute(sa.select(sa.func.count()).select_from(Dossier.__table__)
                                .where(Dossier.code == code)).scalar() == 1


def test_the_standby_replays_what_the_primary_writes(served):
    app, standby = served
    with app.app_context():
        code = db.session.execute(sa.select(Dossier.code)).scalar_one()
        with app.extensions[replica.EXTENSION].engine.connect() as conn:
            assert conn.execute(sa.text("SELECT pg_is_in_recovery()")).scalar() is True
    assert wait_until(lambda: visible_on_standby(app, code))


def test_reports_read_from_the_standby_and_the_desk_from_the_primary(served):
    app, standby = served
    with app.app_context():
        code = db.session.execute(sa.select(Dossier.code)).scalar_one()
    wait_until(lambda: visible_on_standby(app, code))
    seen = Statements(app)
    leader = app.test_client()
    sign_in(leader, "lanhdao")
    seen.clear()
    r = leader.get("/reports/")
    assert r.status_code == 200
    assert seen.reads_of("replica", "dossiers"), "the report's figures came from the standby"
    assert not seen.reads_of("primary", "dossiers"), "no report query reached the primary"

    clerk = app.test_client()
    sign_in(clerk, "tiepnhan")
    seen.clear()
    r = clerk.get("/reception/")
    assert r.status_code == 200
    assert seen.reads_of("primary", "dossiers") and not seen.replica, "the desk reads the primary"


def test_the_admin_sees_the_standby_and_its_lag(served):
    app, standby = served
    admin = app.test_client()
    sign_in(admin, "admin")
    page = admin.get("/admin/system").get_data(as_text=True)
    assert "Hoạt động" in page
    assert f":{standby.port}/onestop" in page
    lag = page.split('data-lag="', 1)[1].split('"', 1)[0]
    assert lag != "" and float(lag) >= 0


def test_reports_fall_back_to_the_primary_while_the_standby_is_down(served, caplog):
    app, standby = served
    seen = Statements(app)
    leader = app.test_client()
    sign_in(leader, "lanhdao")
    standby.stop("fast")
    try:
        seen.clear()
        with caplog.at_level(logging.WARNING, logger="onestop.replica"):
            r = leader.get("/reports/")
        assert r.status_code == 200, "the report still opens"
        assert seen.reads_of("primary", "dossiers"), "it was read from the primary"
        assert any("read replica unavailable" in m for m in caplog.messages)
        admin = app.test_client()
        sign_in(admin, "admin")
        assert "Không kết nối được" in admin.get("/admin/system").get_data(as_text=True)
    finally:
        standby.start()
    seen.clear()
    with caplog.at_level(logging.WARNING, logger="onestop.replica"):
        assert leader.get("/reports/").status_code == 200
    assert seen.reads_of("replica", "dossiers"), "back on the standby once it is up"
    assert any("read replica is back" in m for m in caplog.messages)
