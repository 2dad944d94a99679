"""Two app nodes (two gunicorn processes) share the database and Redis: nothing a user does is tied to one node.

A clerk signs in through one node and works through the other; the CSRF token of a form from one node is
accepted by the other; signing out on one ends the session on both; the lookup's rate limit counts the
requests of both nodes (Redis); a file stored through one node is served by the other (shared volume).
"""
from __future__ import annotations

import os
import re
import subprocess
import sys
import tempfile
import urllib.error
import urllib.parse
import urllib.request
import uuid
from http.cookiejar import CookieJar

import pytest
import sqlalchemy as sa
from factories import receive
from pgcluster import free_port, wait_until
from support import DATABASE_URL, IS_POSTGRES, make_app

from onestop.devdata import demo
from onestop.extensions import db

REDIS_URL = "redis://127.0.0.1:6379/0"


def _database(tmp: str) -> str:
    if not IS_POSTGRES:
        return f"sqlite:///{tmp}/nodes.db"
    name = f"onestop_nodes_{os.environ.get('PYTEST_XDIST_WORKER', 'main')}"
    admin = sa.create_engine(DATABASE_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return sa.make_url(DATABASE_URL).set(database=name).render_as_string(hide_password=False)


def _redis_up() -> bool:
    import redis

    try:
        return bool(redis.Redis.from_url(REDIS_URL, socket_timeout=2).ping())
    except redis.RedisError:
        return False


@pytest.fixture(scope="module")
def nodes():
    assert _redis_up(), "Redis must run on 127.0.0.1:6379 (the brief's shared service)"
    tmp = tempfile.mkdtemp(prefix="onestop-nodes-")
    url = _database(tmp)
    files = f"{tmp}/files"
    app = make_app(SQLALCHEMY_DATABASE_URI=url, ONESTOP_FILES_DIR=files)
    with app.app_context():
        db.create_all()
        demo.load()
        code = receive("1.009994").code
        db.session.commit()
        db.engine.dispose()
    env = dict(os.environ, DATABASE_URL=url, SECRET_KEY="two-nodes-" + uuid.uuid4().hex, ONESTOP_ENV="development",
               ONESTOP_SCHEDULER="0", ONESTOP_FILES_DIR=files, RATELIMIT_STORAGE_URI=REDIS_URL,
               RATELIMIT_KEY_PREFIX="onestop-nodes-" + uuid.uuid4().hex, ONESTOP_LOOKUP_LIMIT="6 per minute",
               SESSION_COOKIE_SECURE="0")
    env.pop("TEST_DATABASE_URL", None)
    procs, bases = [], []
    for _ in range(2):
        port = free_port()
        procs.append(subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "-w", "1", "-b", f"127.0.0.1:{port}", "wsgi:app"],
            env=env, cwd=os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))),
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE))
        bases.append(f"http://127.0.0.1:{port}")
    try:
        for base in bases:
            wait_until(lambda base=base: _get(urllib.request.build_opener(), base + "/healthz")[0] == 200, timeout=60)
        yield bases, code
    finally:
        for p in procs:
            p.terminate()
        for p in procs:
            p.wait(timeout=20)


def _get(opener, url, data: dict | None = None):
    body = urllib.parse.urlencode(data).encode() if data is not None else None
    try:
        r = opener.open(url, data=body, timeout=30)
        return r.status, r.read().decode("utf-8", "replace"), r.geturl()
    except urllib.error.HTTPError as err:
        return err.code, err.read().decode("utf-8", "replace"), url
    except OSError:
        return 0, "", url


def _csrf(page: str) -> str:
    return re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)


def test_a_clerk_signs_in_on_one_node_and_works_on_the_other(nodes):
    (a, b), code = nodes
    jar = CookieJar()
    browser = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    status, page, _ = _get(browser, a + "/auth/login")
    assert status == 200
    # The form came from node A; it is posted to node B with A's CSRF token.
    status, page, final = _get(browser, b + "/auth/login",
                               {"csrf_token": _csrf(page), "username": "tiepnhan", "password": "onestop2026"})
    assert status == 200 and "/auth/login" not in final, "signed in through node B with node A's form"
    status, page, final = _get(browser, a + f"/reception/dossiers/{code}")
    assert status == 200 and "/auth/login" not in final and code in page, "node A knows the clerk"

    # Signing out on A ends the session on B as well (the session token lives in the database).
    status, page, _ = _get(browser, a + "/reception/")
    logout = re.search(r'action="(/auth/logout)"', page)
    assert logout, "the page offers signing out"
    _get(browser, a + "/auth/logout", {"csrf_token": _csrf(page)})
    status, page, final = _get(browser, b + "/reception/")
    assert "/auth/login" in final, "node B sends the signed-out clerk to the sign-in page"


def test_the_lookup_rate_limit_counts_both_nodes(nodes):
    (a, b), code = nodes
    visitor = urllib.request.build_opener()
    statuses = [_get(visitor, (a if i % 2 else b) + f"/api/v1/lookup/{code}")[0] for i in range(8)]
    assert statuses[:6] == [200] * 6, statuses
    assert statuses[6:] == [429, 429], "the seventh request within the minute is refused, whichever node"


def test_a_stored_file_is_served_by_either_node(nodes):
    (a, b), code = nodes
    jar = CookieJar()
    browser = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    _, page, _ = _get(browser, a + "/auth/login")
    _get(browser, a + "/auth/login", {"csrf_token": _csrf(page), "username": "tiepnhan", "password": "onestop2026"})
    for base in (a, b):
        status, body, _ = _get(browser, base + f"/reception/dossiers/{code}/receipt.pdf")
        assert status == 200 and body.startswith("%PDF-"), base
