"""Issue 17, item 3 and the weak points: sessions end on demand, staff change their password, a password policy."""
from __future__ import annotations

import re

import pytest
from factories import user

from onestop import accounts, admin_ops
from onestop.errors import ValidationError
from onestop.extensions import db

STRONG = "Lúa chín vàng đồng quê"  # a passphrase
STRONG_2 = "ngựa-sắt-bay-qua-sông-2026"


def signed_in(client) -> bool:
    return client.get("/about").status_code == 200


def copy_of(app, client):
    """A second browser carrying a copy of the first one's session cookie (what a thief would hold)."""
    thief = app.test_client()
    thief.set_cookie("session", client.get_cookie("session").value)
    return thief


def test_a_copied_cookie_dies_when_its_owner_signs_out(app, client, auth, demo):
    auth.login("tiepnhan")
    thief = copy_of(app, client)
    assert signed_in(thief)
    auth.logout()
    assert not signed_in(thief) and not signed_in(client)
    auth.login("tiepnhan")  # signing in again works, with a new session
    assert signed_in(client) and not signed_in(thief)


def test_an_admin_reset_ends_every_session_of_the_account(app, client, auth, demo):
    auth.login("chuyenvien")
    thief = copy_of(app, client)
    admin_ops.reset_password(user("admin"), user("chuyenvien"), STRONG)
    db.session.commit()
    assert not signed_in(client) and not signed_in(thief)
    assert auth.login("chuyenvien", "onestop2026").status_code == 401
    assert auth.login("chuyenvien", STRONG).status_code == 302


def test_deactivation_ends_sessions(app, client, auth, demo):
    auth.login("chuyenvien")
    thief = copy_of(app, client)
    admin_ops.set_user_active(user("admin"), user("chuyenvien"), False)
    db.session.commit()
    assert not signed_in(thief)
    admin_ops.set_user_active(user("admin"), user("chuyenvien"), True)
    db.session.commit()
    assert not signed_in(thief), "reactivating the account does not bring old sessions back"


def test_a_forged_session_id_is_anonymous(app, client, auth, demo):
    auth.login("tiepnhan")
    uid = user("tiepnhan").id
    for forged in (str(uid), f"{uid}:", f"{uid}:guess", "²:x", f"{10**30}:x", "", None):
        with client.session_transaction() as sess:
            sess["_user_id"] = forged
        assert not signed_in(client), forged


def test_staff_change_their_own_password_and_other_sessions_end(app, client, auth, demo):
    auth.login("lanhdao")
    elsewhere = copy_of(app, client)
    page = client.get("/auth/password")
    assert page.status_code == 200 and "Mật khẩu hiện tại" in page.get_data(as_text=True)
    wrong = client.post("/auth/password", data={"current_password": "khong-phai", "password": STRONG,
                                                "confirm": STRONG})
    assert wrong.status_code == 422 and "Mật khẩu hiện tại không đúng." in wrong.get_data(as_text=True)
    weak = client.post("/auth/password", data={"current_password": "onestop2026", "password": "12345678",
                                               "confirm": "12345678"})
    assert weak.status_code == 422 and "ít nhất 12 ký tự" in weak.get_data(as_text=True)
    common = client.post("/auth/password", data={"current_password": "onestop2026", "password": "matkhau@2026!!",
                                                 "confirm": "matkhau@2026!!"})
    assert common.status_code == 422 and "quá phổ biến" in common.get_data(as_text=True)
    r = client.post("/auth/password", data={"current_password": "onestop2026", "password": STRONG,
                                            "confirm": STRONG})
    assert r.status_code == 302
    assert signed_in(client), "the page that changed it stays signed in"
    assert not signed_in(elsewhere), "every other session ended"
    auth.logout()
    assert auth.login("lanhdao", "onestop2026").status_code == 401
    assert auth.login("lanhdao", STRONG).status_code == 302


def test_the_password_page_needs_a_session_and_csrf(app, client, demo):
    assert client.get("/auth/password").status_code == 302


@pytest.mark.config(WTF_CSRF_ENABLED=True)
def test_the_password_page_works_with_csrf_on(client, demo):
    page = client.get("/auth/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)
    client.post("/auth/login", data={"username": "tiepnhan", "password": "onestop2026", "csrf_token": token})
    assert client.post("/auth/password", data={"current_password": "onestop2026", "password": STRONG,
                                               "confirm": STRONG}).status_code == 400
    page = client.get("/auth/password").get_data(as_text=True)
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)
    assert client.post("/auth/password", data={"current_password": "onestop2026", "password": STRONG,
                                               "confirm": STRONG, "csrf_token": token}).status_code == 302


@pytest.mark.parametrize("password, reason", [
    ("12345678", "ít nhất 12 ký tự"),
    ("onestop2026", "ít nhất 12 ký tự"),
    ("123456789012", "quá phổ biến"),
    ("password1234", "quá phổ biến"),
    ("P@ssw0rd2026!", "quá phổ biến"),
    ("matkhau-123456", "quá phổ biến"),
    ("qwertyuiop!!", "quá phổ biến"),
    ("aaaaaaaaaaaaaaa", "quá phổ biến"),
    ("chuyenvien-2026-xyz", "tên đăng nhập hoặc họ tên"),
    ("x" * 201, "dài quá 200"),
])
def test_the_policy_refuses_short_common_and_personal_passwords(demo, password, reason):
    with pytest.raises(ValidationError) as refused:
        accounts.check_password_policy(password, username="chuyenvien", full_name="Phạm Văn Chuyên")
    assert reason in refused.value.message and refused.value.field == "password"


@pytest.mark.parametrize("password", [STRONG, STRONG_2, "mèo ăn cá kho", "Xk7#pQ2v!mZ9w", "tôi thích đọc sách"])
def test_the_policy_accepts_long_passwords_and_passphrases(password):
    assert accounts.check_password_policy(password, username="chuyenvien") == password


def test_the_common_list_ships_with_the_app():
    common = accounts.common_passwords()
    assert len(common) > 3000 and {"123456", "password", "qwerty", "matkhau", "anhyeuem"} <= common


def test_the_policy_applies_to_admin_create_and_reset_and_the_cli(app, runner, demo):
    admin = user("admin")
    with pytest.raises(ValidationError, match="ít nhất 12 ký tự"):
        admin_ops.create_user(admin, username="moi", role="clerk", agency="000.00.17.H56", full_name="Người Mới",
                              password="12345678")
    with pytest.raises(ValidationError, match="quá phổ biến"):
        admin_ops.reset_password(admin, user("tiepnhan"), "password12345")
    db.session.rollback()
    r = runner.invoke(args=["onestop", "user", "create", "moi2", "--role", "clerk", "--agency", "000.00.17.H56",
                            "--name", "Người Mới"], env={"ONESTOP_PASSWORD": "12345678"})
    assert r.exit_code != 0 and "ít nhất 12 ký tự" in r.output
    r = runner.invoke(args=["onestop", "user", "create", "moi2", "--role", "clerk", "--agency", "000.00.17.H56",
                            "--name", "Người Mới"], env={"ONESTOP_PASSWORD": STRONG_2})
    assert r.exit_code == 0, r.output


def test_the_demo_accounts_keep_their_published_password(client, auth, demo):
    """The demo bypasses the policy on purpose (documented); every other way of setting a password does not."""
    for username in ("admin", "tiepnhan", "chuyenvien", "lanhdao"):
        assert auth.login(username, "onestop2026").status_code == 302
        auth.logout()
