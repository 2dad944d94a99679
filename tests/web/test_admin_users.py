"""Agencies, staff accounts and API tokens managed by the administrator."""
from datetime import timedelta

import pytest
import sqlalchemy as sa
from factories import user
from flask import g

from onestop import accounts
from onestop.extensions import db
from onestop.models import Agency, AuditLog, User
from onestop.timeutil import now

PASSWORD = "Song-Huong-Xanh-2026"  # long enough for any password policy the accounts module applies


@pytest.fixture
def admin(demo, client, auth):
    auth.login("admin")
    return client


def sign_in(app, username, password):
    """Status of a sign-in from another browser (the test app context shares flask.g between clients)."""
    g.pop("_login_user", None)
    response = app.test_client().post("/auth/login", data={"username": username, "password": password})
    g.pop("_login_user", None)
    return response.status_code


def last_audit(action):
    return db.session.execute(
        sa.select(AuditLog).filter_by(action=action).order_by(AuditLog.id.desc()).limit(1)).scalar_one()


def test_agency_tree_lists_children_under_parents(admin):
    page = admin.get("/admin/agencies").get_data(as_text=True).split("<tbody>")[1]
    province = page.index("UBND tỉnh Sơn Hà")
    center = page.index("Trung tâm Phục vụ hành chính công tỉnh Sơn Hà")
    branch = page.index("Chi nhánh Trung tâm Phục vụ hành chính công tỉnh tại Long Hòa")
    assert province < center < branch


def test_create_and_move_an_agency(admin):
    response = admin.post("/admin/agencies/new", data={
        "identifier": "000.03.31.h56", "name": "UBND xã Phú Hòa", "parent": "000.00.31.H56", "kind": "commune"})
    assert response.status_code == 302
    agency = db.session.execute(sa.select(Agency).filter_by(identifier="000.03.31.H56")).scalar_one()
    assert agency.parent.identifier == "000.00.31.H56"
    admin.post("/admin/agencies/000.03.31.H56/edit", data={
        "name": "UBND xã Phú Hòa", "parent": "000.00.32.H56", "kind": "commune", "active": "y"})
    db.session.expire_all()
    assert agency.parent.identifier == "000.00.32.H56"
    entry = last_audit("admin.agency_update")
    assert entry.details["before"]["parent"] == "000.00.31.H56"
    assert entry.details["after"]["parent"] == "000.00.32.H56"


def test_agency_cannot_be_placed_under_its_own_child(admin):
    response = admin.post("/admin/agencies/000.00.17.H56/edit", data={
        "name": "Trung tâm Phục vụ hành chính công tỉnh Sơn Hà", "parent": "000.01.17.H56", "kind": "center",
        "active": "y"})
    assert response.status_code == 422
    assert "không thể là chính cơ quan này hoặc một đơn vị trực thuộc" in response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.execute(sa.select(Agency).filter_by(identifier="000.00.17.H56")).scalar_one() \
        .parent.identifier == "000.00.00.H56"


def test_bad_agency_identifier_is_refused(admin):
    response = admin.post("/admin/agencies/new", data={"identifier": "abc", "name": "X", "kind": "department"})
    assert response.status_code == 422
    assert "Mã định danh cơ quan không hợp lệ" in response.get_data(as_text=True)


def test_create_user_then_sign_in(admin, app):
    response = admin.post("/admin/users/new", data={
        "username": "chuyenvien.xd2", "full_name": "Trịnh Văn Nam", "email": "nam@example.vn",
        "role": "specialist", "agency": "000.00.21.H56", "password": PASSWORD, "confirm": PASSWORD})
    assert response.status_code == 302
    created = user("chuyenvien.xd2")
    assert created.agency.identifier == "000.00.21.H56"
    assert "Song-Huong" not in str(last_audit("admin.user_create").details)
    assert sign_in(app, "chuyenvien.xd2", PASSWORD) == 302
    assert sign_in(app, "chuyenvien.xd2", "sai-mat-khau") == 401


@pytest.mark.parametrize("overrides,message", [
    ({"username": "chuyenvien"}, "Tên đăng nhập chuyenvien đã tồn tại."),
    ({"password": "ngan", "confirm": "ngan"}, "Mật khẩu phải có ít nhất"),
    ({"confirm": "khac-han-123"}, "Mật khẩu nhập lại không khớp."),
    ({"agency": ""}, "Không tìm thấy cơ quan"),
    ({"email": "không-phải-email"}, "Địa chỉ email không hợp lệ."),
])
def test_bad_user_input_is_refused(admin, overrides, message):
    data = {"username": "moi", "full_name": "Người Mới", "role": "clerk", "agency": "000.00.17.H56",
            "password": PASSWORD, "confirm": PASSWORD}
    data.update(overrides)
    response = admin.post("/admin/users/new", data=data)
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    assert db.session.execute(sa.select(User).filter_by(username="moi")).first() is None


def test_edit_user_records_before_and_after(admin):
    response = admin.post("/admin/users/chuyenvien/edit", data={
        "full_name": "Lê Văn Chuyên", "email": "", "role": "leader", "agency": "000.00.21.H56"})
    assert response.status_code == 302
    assert user("chuyenvien").role == "leader"
    entry = last_audit("admin.user_update")
    assert entry.actor_name == "admin"
    assert entry.details["before"]["role"] == "specialist"
    assert entry.details["after"]["role"] == "leader"


def test_admin_cannot_lock_themselves_out(admin):
    response = admin.post("/admin/users/admin/edit", data={
        "full_name": "Nguyễn Quản Trị", "role": "clerk", "agency": "000.00.00.H56"})
    assert response.status_code == 422
    assert "tự bỏ vai trò quản trị" in response.get_data(as_text=True)
    response = admin.post("/admin/users/admin/active", data={"active": "0"}, follow_redirects=True)
    assert "tự vô hiệu hóa" in response.get_data(as_text=True)
    assert user("admin").active and user("admin").role == "admin"


def test_deactivated_user_cannot_sign_in_or_use_tokens(admin, app):
    _token, raw = accounts.create_token(user("chuyenvien"))
    db.session.commit()
    admin.post("/admin/users/chuyenvien/active", data={"active": "0"})
    db.session.expire_all()
    assert not user("chuyenvien").active
    assert accounts.user_for_token(raw) is None
    assert sign_in(app, "chuyenvien", "onestop2026") == 401
    admin.post("/admin/users/chuyenvien/active", data={"active": "1"})
    db.session.expire_all()
    assert user("chuyenvien").active


def test_reset_password_and_unlock(admin, app):
    target = user("tiepnhan")
    target.locked_until = now() + timedelta(minutes=15)
    db.session.commit()
    page = admin.get("/admin/users?role=clerk").get_data(as_text=True)
    assert "Tạm khóa đến" in page and "Mở khóa" in page
    admin.post("/admin/users/tiepnhan/unlock")
    db.session.expire_all()
    assert user("tiepnhan").locked_until is None
    assert last_audit("admin.user_unlock").details["before"]["locked"] is True

    response = admin.post("/admin/users/tiepnhan/password", data={"password": "moi-mat-khau-1",
                                                                   "confirm": "moi-mat-khau-1"})
    assert response.status_code == 302
    assert sign_in(app, "tiepnhan", "onestop2026") == 401
    assert sign_in(app, "tiepnhan", "moi-mat-khau-1") == 302
    assert "moi-mat-khau" not in str(last_audit("admin.user_reset_password").details)


def test_issue_list_and_revoke_api_token(admin):
    response = admin.post("/admin/users/chuyenvien/tokens", data={"name": "Cổng dịch vụ công"})
    page = response.get_data(as_text=True)
    raw = page.split('id="new-token">')[1].split("<")[0]
    assert raw.startswith("os_")
    assert accounts.user_for_token(raw).username == "chuyenvien"
    listing = admin.get("/admin/tokens").get_data(as_text=True)
    assert "Cổng dịch vụ công" in listing and raw[:10] in listing
    assert raw not in listing
    token_id = last_audit("admin.token_create").target_id
    admin.post(f"/admin/tokens/{token_id}/revoke")
    db.session.expire_all()
    assert accounts.user_for_token(raw) is None
    assert "Cổng dịch vụ công" not in admin.get("/admin/tokens").get_data(as_text=True)
    assert "Đã thu hồi" in admin.get("/admin/tokens?show=all").get_data(as_text=True)


def test_users_list_is_filtered_and_paginated(admin):
    for i in range(55):
        accounts.create_user(f"cb{i:02d}", role="clerk", agency_identifier="000.00.32.H56",
                             full_name=f"Cán bộ {i}", password=PASSWORD)
    db.session.commit()
    first = admin.get("/admin/users?agency=000.00.32.H56").get_data(as_text=True)
    assert ">cb00</a>" in first and ">cb49</a>" in first and ">cb50</a>" not in first
    assert "55 tài khoản" in first  # the count of the whole list, not of the page
    next_url = first.split('href="/admin/users?')[1].split('"')[0].replace("&amp;", "&")
    assert "agency=000.00.32.H56" in next_url  # the next page keeps the filter
    second = admin.get("/admin/users?" + next_url).get_data(as_text=True)
    assert ">cb50</a>" in second and ">cb54</a>" in second and ">cb49</a>" not in second
    assert ">chuyenvien</a>" not in first
    assert "Trang sau" not in second


def test_bad_page_cursor_gets_a_message_not_an_error(admin):
    response = admin.get("/admin/users?cursor=%%%")
    assert response.status_code == 422
    assert "Con trỏ phân trang" in response.get_data(as_text=True)


def test_an_accounts_many_tokens_continue_on_the_tokens_page(admin):
    for i in range(53):
        accounts.create_token(user("chuyenvien"), f"tích hợp {i:02d}")
    db.session.commit()
    page = admin.get("/admin/users/chuyenvien/edit").get_data(as_text=True)
    assert "53 mã truy cập" in page
    assert ">tích hợp 52<" in page and ">tích hợp 03<" in page and ">tích hợp 02<" not in page
    rest = page.split('href="/admin/tokens?')[1].split('"')[0].replace("&amp;", "&")
    assert "user=chuyenvien" in rest
    listing = admin.get("/admin/tokens?" + rest).get_data(as_text=True)
    assert ">tích hợp 02<" in listing and ">tích hợp 00<" in listing and ">tích hợp 03<" not in listing
    assert "Mã truy cập của tài khoản chuyenvien" in listing
