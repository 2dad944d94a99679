"""The audit log page: admin changes with before and after, filters, keyset pages."""
from datetime import timedelta

import pytest
import sqlalchemy as sa
from factories import user, vn

from onestop import audit
from onestop.extensions import db
from onestop.models import AuditLog


@pytest.fixture
def admin(demo, client, auth):
    auth.login("admin")
    return client


def test_admin_change_is_recorded_with_before_and_after_and_shown(admin):
    admin.post("/admin/users/lanhdao/edit", data={
        "full_name": "Phạm Minh Lãnh", "email": "lanh@example.vn", "role": "leader", "agency": "000.00.22.H56"})
    entry = db.session.execute(sa.select(AuditLog).filter_by(action="admin.user_update")).scalar_one()
    assert entry.actor_name == "admin"
    assert entry.ip == "127.0.0.1"
    assert entry.target_id == "lanhdao"
    assert entry.details["before"]["agency"] == "000.00.21.H56"
    assert entry.details["after"]["agency"] == "000.00.22.H56"
    assert entry.details["after"]["email"] == "lanh@example.vn"

    page = admin.get("/admin/audit?action=admin.user").get_data(as_text=True)
    assert "Sửa tài khoản" in page
    row = page.split('id="audit-log"')[1].split("<code>admin.user_update</code>")[1].split("</table>")[0]
    assert "000.00.21.H56" in row and "000.00.22.H56" in row
    assert "lanh@example.vn" in row
    # unchanged fields are not listed as changes
    assert "Phạm Minh Lãnh" not in row


def test_saving_without_changes_records_nothing(admin):
    admin.post("/admin/users/lanhdao/edit", data={
        "full_name": "Phạm Minh Lãnh", "email": "", "role": "leader", "agency": "000.00.21.H56"})
    assert db.session.execute(sa.select(AuditLog).filter_by(action="admin.user_update")).first() is None


def _entries(page: str) -> int:
    return page.split('id="audit-log"')[1].count("<tr>\n    <td class=\"text-nowrap\">")


def test_filters_by_actor_action_and_date_range(admin):
    clerk = user("tiepnhan")
    for day in (1, 2, 3):
        row = audit.record("auth.login", actor=clerk)
        row.at = vn(2026, 3, day, 9, 0)
    row = audit.record("admin.calendar_set", actor=user("admin"), target_type="calendar", target_id="2026-03-02",
                       details={"before": None, "after": {"kind": "off", "reason": None}})
    row.at = vn(2026, 3, 2, 10, 0)
    db.session.commit()
    page = admin.get("/admin/audit?actor=tiepnhan").get_data(as_text=True)
    assert _entries(page) == 3 and "Đăng nhập" in page
    page = admin.get("/admin/audit?actor=tiepnhan&date_from=2026-03-02&date_to=2026-03-02").get_data(as_text=True)
    assert _entries(page) == 1 and "02/03/2026" in page
    page = admin.get("/admin/audit?action=admin.calendar&date_from=02/03/2026&date_to=2026-03-31") \
        .get_data(as_text=True)
    assert _entries(page) == 1 and "Điều chỉnh lịch làm việc" in page
    page = admin.get("/admin/audit?action=auth.login&date_to=2026-03-01").get_data(as_text=True)
    assert _entries(page) == 1 and "01/03/2026" in page


def test_bad_date_filter_gets_a_message(admin):
    response = admin.get("/admin/audit?date_from=hôm-qua")
    assert response.status_code == 422
    assert "Ngày không hợp lệ" in response.get_data(as_text=True)


def test_audit_page_is_keyset_paginated(admin):
    start = vn(2026, 1, 5, 8, 0)
    for i in range(60):
        row = audit.record("auth.login_failed", actor_name=f"khach{i:02d}", details={"reason": "unknown user"})
        row.at = start + timedelta(minutes=i)
    db.session.commit()
    first = admin.get("/admin/audit?action=auth.login_failed").get_data(as_text=True)
    assert _entries(first) == 50
    assert ">khach59<" in first and ">khach10<" in first and ">khach09<" not in first
    next_url = first.split('href="/admin/audit?before=')[1].split('"')[0]
    second = admin.get("/admin/audit?before=" + next_url.replace("&amp;", "&")).get_data(as_text=True)
    assert _entries(second) == 10
    assert ">khach09<" in second and ">khach00<" in second and ">khach10<" not in second
