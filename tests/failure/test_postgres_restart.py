"""PostgreSQL goes away while the app serves: clean errors, recovery without a restart, no half-written dossier.

The test runs its own throwaway PostgreSQL 15 (initdb in a temporary directory, as the postgres user,
on a free loopback port), so it never touches the shared cluster and runs in the SQLite pass as well.
"""
from __future__ import annotations

import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from contextlib import contextmanager

import pytest
import sqlalchemy as sa
from factories import APPLICANT, documents_of, procedure, user
from pgcluster import Throwaway
from werkzeug.serving import make_server

from config import TestConfig
from onestop import accounts, create_app, signals
from onestop.devdata import demo
from onestop.extensions import db
from onestop.models import CodeSequence, Dossier, DossierEvent

LEAK_MARKERS = ("Traceback", "psycopg", "OperationalError", "sqlalchemy", "File \"/")


@pytest.fixture(scope="module")
def server():
    pg = Throwaway()
    yield pg
    pg.remove()


@pytest.fixture
def served(server):
    """An app bound to the throwaway server, with the schema and the demo province."""
    config = {k: getattr(TestConfig, k) for k in dir(TestConfig) if k.isupper()}
    config.update(SQLALCHEMY_DATABASE_URI=server.url(), ONESTOP_FILES_DIR=tempfile.mkdtemp(prefix="onestop-pgfiles-"))
    app = create_app(config)
    with app.app_context():
        db.drop_all()
        db.create_all()
        demo.load()
        _, token = accounts.create_token(user("tiepnhan"), "failure tests")
        db.session.commit()
        body = {"procedure_code": "1.009994", "applicant": dict(APPLICANT), "channel": "counter",
                "documents": documents_of(procedure("1.009994"))}
    # Requests run outside this context, each in its own, as under a real server.
    yield app, {"Authorization": f"Bearer {token}"}, body
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def clean(response) -> bool:
    text = response.get_data(as_text=True)
    return not any(marker in text for marker in LEAK_MARKERS)


def consistent():
    """Codes 0001..N without gaps, the sequence at N, and every dossier with its intake event."""
    db.session.remove()
    codes = db.session.execute(sa.select(Dossier.code).order_by(Dossier.code)).scalars().all()
    numbers = [int(c.rsplit("-", 1)[1]) for c in codes]
    assert numbers == list(range(1, len(numbers) + 1))
    last = db.session.execute(sa.select(sa.func.max(CodeSequence.last_value))).scalar() or 0
    assert last == len(numbers)
    without_intake = db.session.execute(
        sa.select(sa.func.count(Dossier.id)).where(~sa.exists().where(
            DossierEvent.dossier_id == Dossier.id, DossierEvent.action == "intake"))).scalar_one()
    assert without_intake == 0
    return codes


@contextmanager
def http_server(app):
    """The app behind a real threaded werkzeug server on loopback, as a browser would reach it."""
    srv = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=srv.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{srv.server_port}"
    finally:
        srv.shutdown()
        thread.join(timeout=10)


def browser_get(opener, url):
    try:
        r = opener.open(url, timeout=30)
        return r.status, r.read().decode("utf-8", "replace")
    except urllib.error.HTTPError as err:
        return err.code, err.read().decode("utf-8", "replace")


def test_requests_fail_cleanly_during_the_outage_and_recover_without_restart(server, served):
    app, headers, body = served
    client = app.test_client()
    assert client.post("/api/v1/dossiers", json=body, headers=headers).status_code == 201
    app.config["PROPAGATE_EXCEPTIONS"] = False  # as in production: errors become responses
    with http_server(app) as base:
        staff = urllib.request.build_opener(urllib.request.HTTPCookieProcessor())
        staff.open(base + "/auth/login", data=urllib.parse.urlencode(
            {"username": "tiepnhan", "password": "onestop2026"}).encode(), timeout=30)
        assert browser_get(staff, base + "/reception/")[0] == 200
        server.stop("fast")
        try:
            # A signed-in clerk gets the Vietnamese error page (rendered without the database).
            status, text = browser_get(staff, base + "/reception/")
        finally:
            server.start()
        assert status == 503 and "Vui lòng thử lại sau" in text
        assert not any(marker in text for marker in LEAK_MARKERS)
        assert browser_get(staff, base + "/reception/")[0] == 200

    server.stop("fast")
    try:
        r = client.post("/api/v1/dossiers", json=body, headers=headers)
        assert r.status_code in (500, 503) and r.is_json and r.get_json()["error"]["code"] and clean(r)
        r = client.get("/api/v1/lookup/000.00.17.H56-261121-0001")
        assert r.status_code in (500, 503) and r.is_json and clean(r)
        visitor = app.test_client()
        r = visitor.get("/lookup/000.00.17.H56-261121-0001")
        assert r.status_code in (500, 503) and "Vui lòng thử lại sau" in r.get_data(as_text=True) and clean(r)
        r = client.get("/healthz")
        assert r.status_code == 503 and r.get_json() == {"status": "error", "db": "unavailable"}
    finally:
        server.start()

    # Same app, same pool: the first requests after the restart already work (onestop/pool.py pings the
    # connections that rested in the pool).
    assert client.get("/healthz").get_json() == {"status": "ok", "db": "ok"}
    r = client.post("/api/v1/dossiers", json=body, headers=headers)
    assert r.status_code == 201
    assert r.get_json()["code"].endswith("-0002"), "the failed intake used no number"
    with app.app_context():
        assert len(consistent()) == 2


def test_the_server_dying_before_commit_leaves_no_half_written_dossier(server, served):
    """The database is killed inside an intake, after the rows are flushed and before the commit."""
    app, headers, body = served
    client = app.test_client()
    assert client.post("/api/v1/dossiers", json=body, headers=headers).status_code == 201

    def kill(dossier, **_):
        server.stop("immediate")

    signals.dossier_event.connect(kill)
    try:
        r = client.post("/api/v1/dossiers", json=body, headers=headers)
    finally:
        signals.dossier_event.disconnect(kill)
        server.start()
    assert r.status_code in (500, 503) and r.is_json and clean(r)
    r = client.post("/api/v1/dossiers", json=body, headers=headers)
    assert r.status_code == 201 and r.get_json()["code"].endswith("-0002")
    with app.app_context():
        assert len(consistent()) == 2


def test_only_a_connection_that_rested_is_pinged_and_a_dead_one_is_replaced(server, served, monkeypatch):
    """onestop/pool.py: no ping for a connection back from use a moment ago (the busy path); a ping after a
    rest longer than ONESTOP_DB_PING_IDLE_SECONDS; and a connection the server ended meanwhile is replaced
    before the request uses it."""
    app, headers, body = served
    client = app.test_client()
    with app.app_context():
        engine = db.engine
    pings = []
    real_ping = engine.dialect.do_ping

    def counting(dbapi_connection):
        pings.append(1)
        return real_ping(dbapi_connection)

    monkeypatch.setattr(engine.dialect, "do_ping", counting)
    assert client.get("/healthz").status_code == 200
    for _ in range(3):
        assert client.get("/healthz").status_code == 200
    assert pings == [], "a connection used a moment ago was pinged"
    idle = app.config["ONESTOP_DB_PING_IDLE_SECONDS"]
    time.sleep(idle + 0.2)
    assert client.get("/healthz").status_code == 200
    assert pings == [1]
    # An administrator (or a firewall) ends the resting connection: the next request still succeeds.
    other = sa.create_engine(server.url(), poolclass=sa.pool.NullPool)
    with other.connect() as conn:
        ended = conn.execute(sa.text(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
            "WHERE backend_type = 'client backend' AND pid <> pg_backend_pid()")).scalar()
    other.dispose()
    assert ended >= 1
    time.sleep(idle + 0.2)
    r = client.post("/api/v1/dossiers", json=body, headers=headers)
    assert r.status_code == 201, r.get_data(as_text=True)
    assert len(pings) >= 2
