"""Security headers on every kind of response, session cookie flags, the sign-in rate limit, and no-store."""
from __future__ import annotations

import pytest

from config import ProductionConfig
from onestop import create_app
from onestop.extensions import db


def assert_security_headers(r):
    csp = r.headers.get("Content-Security-Policy", "")
    assert "frame-ancestors 'none'" in csp
    assert "default-src 'self'" in csp and "script-src 'self'" in csp and "unsafe-inline" not in csp
    assert r.headers.get("X-Content-Type-Options") == "nosniff"
    assert r.headers.get("Referrer-Policy") in ("same-origin", "no-referrer", "strict-origin-when-cross-origin")
    assert r.headers.get("X-Frame-Options") == "DENY"


def test_public_pages_and_api_carry_the_headers(client, case):
    for url in ("/lookup/", f"/lookup/{case.code}", "/auth/login", "/healthz", "/api/v1/procedures",
                f"/api/v1/lookup/{case.code}", "/open311/v2/services.json", "/does-not-exist",
                "/reception/", "/static/vendor/bootstrap/bootstrap.min.css"):
        assert_security_headers(client.get(url))


def test_staff_pages_pdfs_and_errors_carry_the_headers(client, auth, case):
    auth.login("tiepnhan")
    for url in ("/reception/", f"/reception/dossiers/{case.code}", f"/reception/dossiers/{case.code}/receipt.pdf",
                f"/reception/files/{case.attachment_id}", "/admin/"):
        r = client.get(url)
        assert r.status_code in (200, 403), url
        assert_security_headers(r)


def test_session_cookie_is_httponly_and_samesite(client, auth, case):
    r = auth.login("tiepnhan")
    cookie = next(c for c in r.headers.getlist("Set-Cookie") if c.startswith("session="))
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_production_cookies_are_secure_and_hsts_is_sent(case):
    settings = {k: getattr(ProductionConfig, k) for k in dir(ProductionConfig) if k.isupper()}
    settings.update(SECRET_KEY="a-real-secret-for-this-test", TESTING=True, ONESTOP_SCHEDULER=False,
                    RATELIMIT_ENABLED=False, SQLALCHEMY_DATABASE_URI=str(db.engine.url.render_as_string(False)),
                    WTF_CSRF_ENABLED=False)
    prod = create_app(settings)
    assert prod.config["SESSION_COOKIE_SECURE"] and prod.config["REMEMBER_COOKIE_SECURE"]
    with prod.test_client() as c:
        r = c.post("/auth/login", data={"username": "tiepnhan", "password": "onestop2026"},
                   base_url="https://127.0.0.1")
        assert r.status_code == 302
        cookie = next(x for x in r.headers.getlist("Set-Cookie") if x.startswith("session="))
        assert "Secure" in cookie and "HttpOnly" in cookie and "SameSite=Lax" in cookie
        assert r.headers.get("Strict-Transport-Security", "").startswith("max-age=")
    with prod.app_context():
        db.engine.dispose()


def test_production_refuses_the_development_secret():
    settings = {k: getattr(ProductionConfig, k) for k in dir(ProductionConfig) if k.isupper()}
    settings["SECRET_KEY"] = "dev-onestop-not-secret"
    with pytest.raises(RuntimeError):
        create_app(settings)


@pytest.mark.config(RATELIMIT_ENABLED=True, ONESTOP_LOGIN_LIMIT="5 per minute")
def test_sign_in_attempts_are_rate_limited_per_client(client, auth, demo):
    codes = [auth.login(f"doan-{i}", "x").status_code for i in range(8)]
    assert codes[:5] == [401] * 5
    assert codes[5:] == [429] * 3
    r = auth.login("tiepnhan")
    assert r.status_code == 429 and "quá nhiều yêu cầu" in r.get_data(as_text=True)


def test_staff_answers_are_not_stored_by_caches(client, auth, case):
    """Issue 17: after sign-out, the back button or a shared proxy must not show a clerk's pages."""
    assert "no-store" not in client.get("/lookup/").headers.get("Cache-Control", "")
    auth.login("tiepnhan")
    for url in ("/reception/", f"/reception/dossiers/{case.code}", "/lookup/", "/auth/password",
                f"/reception/dossiers/{case.code}/receipt.pdf"):
        r = client.get(url)
        assert r.status_code == 200, url
        assert r.headers["Cache-Control"] == "no-store", url
    from onestop import accounts
    from onestop.models import User

    _, raw = accounts.create_token(db.session.execute(db.select(User).filter_by(username="chuyenvien")).scalar_one())
    db.session.commit()
    api = client.application.test_client()
    assert api.get(f"/api/v1/dossiers/{case.code}", headers={"Authorization": f"Bearer {raw}"}
                   ).headers["Cache-Control"] == "no-store"
    assert "no-store" not in api.get("/api/v1/procedures").headers.get("Cache-Control", "")
