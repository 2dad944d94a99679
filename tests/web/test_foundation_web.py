"""Skeleton behaviour: health check, sign-in, throttling, error pages, headers, production config."""
import pytest

from config import DEV_SECRET_KEY, ProductionConfig
from onestop import create_app
from onestop.extensions import db
from onestop.models import AuditLog


def test_healthz(client):
    response = client.get("/healthz")
    assert response.status_code == 200 and response.json == {"status": "ok", "db": "ok"}


def test_login_lands_on_the_users_desk_and_logout(client, demo, auth):
    assert auth.login("tiepnhan").status_code == 302
    home = client.get("/")
    assert home.status_code == 302 and home.headers["Location"].endswith("/reception/")
    page = client.get("/reception/")
    assert "Trần Thị Tiếp Nhận" in page.text
    assert auth.logout().status_code == 302
    assert client.get("/reception/").status_code == 302


def test_wrong_password_is_refused_in_vietnamese(client, demo, auth):
    response = auth.login("tiepnhan", "sai-mat-khau")
    assert response.status_code == 401
    assert "Tên đăng nhập hoặc mật khẩu không đúng" in response.text
    assert db.session.query(AuditLog).filter_by(action="auth.login_failed").count() == 1


def test_repeated_failures_delay_instead_of_locking(client, demo, auth):
    for _ in range(5):
        auth.login("tiepnhan", "sai-mat-khau")
    response = auth.login("tiepnhan")
    assert response.status_code == 429 and "Vui lòng đợi" in response.text


@pytest.mark.config(RATELIMIT_ENABLED=True, ONESTOP_LOGIN_LIMIT="3 per minute")
def test_login_attempts_are_rate_limited_per_client(client, demo, auth):
    codes = [auth.login("nobody", "x").status_code for _ in range(4)]
    assert codes[-1] == 429


def test_error_pages_are_vietnamese(client, demo, auth):
    assert "Không tìm thấy" in client.get("/khong-co-trang-nay").text
    auth.login("chuyenvien")
    assert client.get("/admin/").status_code == 403


def test_security_headers_and_cookie_flags(client, demo, auth):
    response = client.get("/auth/login")
    assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "same-origin"
    login = auth.login("tiepnhan")
    cookie = login.headers.get("Set-Cookie", "")
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_production_refuses_the_development_secret(monkeypatch):
    class Prod(ProductionConfig):
        SECRET_KEY = DEV_SECRET_KEY
        SQLALCHEMY_DATABASE_URI = "sqlite://"

    with pytest.raises(RuntimeError, match="SECRET_KEY"):
        create_app(Prod)


def test_production_sets_secure_cookies():
    class Prod(ProductionConfig):
        SECRET_KEY = "a-real-secret-for-this-test"
        SQLALCHEMY_DATABASE_URI = "sqlite://"

    app = create_app(Prod)
    assert app.config["SESSION_COOKIE_SECURE"] is True
