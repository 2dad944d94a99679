"""With CSRF protection on (as in production), every POST form of the web pages refuses a request without its token."""
from __future__ import annotations

import re

import pytest
from securitykit import routes

from onestop.extensions import db

# Who would legitimately post to each web blueprint; the refusal must come before any change.
POSTER = {"admin": "admin", "reception": "tiepnhan", "processing": "chuyenvien", "auth": "tiepnhan"}
WEB_POSTS = [r for r in routes() if r[1] == "POST" and not r[0].startswith(("/api/", "/open311/"))]


def snapshot() -> dict:
    """Every row of every table: a CSRF refusal must leave all of them as they were."""
    db.session.expire_all()
    out = {}
    for table in db.metadata.sorted_tables:
        rows = db.session.execute(table.select().order_by(*table.primary_key.columns)).all()
        out[table.name] = [tuple(map(str, row)) for row in rows]
    return out


def login_with_token(client, username: str):
    page = client.get("/auth/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)
    r = client.post("/auth/login", data={"username": username, "password": "onestop2026", "csrf_token": token})
    assert r.status_code == 302, "signing in with the form's token works"


def test_every_web_blueprint_has_post_forms():
    blueprints = {e.split(".")[0] for _, _, e in WEB_POSTS}
    assert {"auth", "reception", "processing", "admin", "lookup", "main"} <= blueprints


@pytest.mark.config(WTF_CSRF_ENABLED=True)
@pytest.mark.parametrize(("rule", "method", "endpoint"), WEB_POSTS, ids=[r for r, _, _ in WEB_POSTS])
def test_post_without_token_is_refused_and_changes_nothing(client, case, rule, method, endpoint):
    blueprint = endpoint.split(".")[0]
    if blueprint in POSTER:
        login_with_token(client, POSTER[blueprint])
    before = snapshot()
    r = client.post(case.url(rule, endpoint), data={"version": "2", "reason": "x", "username": "kẻ.lạ",
                                                    "password": "onestop2026", "rating": "satisfied"})
    assert r.status_code == 400
    assert "Phiên làm việc đã hết hạn hoặc biểu mẫu không hợp lệ" in r.get_data(as_text=True)
    assert snapshot() == before
    if blueprint in POSTER and endpoint != "auth.login":
        assert client.get("/about").status_code == 200, "still signed in: logout without a token was refused"


@pytest.mark.config(WTF_CSRF_ENABLED=True)
def test_a_wrong_token_is_refused_too(client, case):
    login_with_token(client, "tiepnhan")
    r = client.post(f"/reception/dossiers/{case.code}/return", data={"csrf_token": "forged", "version": "2"})
    assert r.status_code == 400
    r = client.post("/auth/logout", data={"csrf_token": "forged"})
    assert r.status_code == 400 and client.get("/about").status_code == 200
