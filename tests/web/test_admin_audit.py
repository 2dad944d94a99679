"""The audit log page: sentences staff understand, changes as "field: before → after", filters, keyset pages."""
import re
from datetime import timedelta

import pytest
import sqlalchemy as sa
from factories import act, receive, user, vn

from onestop import audit
from onestop.extensions import db
from onestop.models import AuditLog


@pytest.fixture
def admin(demo, client, auth):
    auth.login("admin")
    return client


def entries(page: str) -> list[str]:
    """The rows of the log as a reader sees them (tags removed, spaces collapsed)."""
    table = page.split('id="audit-log"')[1].split("</table>")[0]
    rows = table.split('<tr class="audit-entry">')[1:]
    return [" ".join(re.sub(r"<[^>]+>", " ", row).split()) for row in rows]


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
    [row] = entries(page)
    assert "Nguyễn Quản Trị sửa thông tin người dùng lanhdao" in row
    assert "Cơ quan: Sở Xây dựng → Sở Tài nguyên và Môi trường" in row
    assert "Email: (trống) → lanh@example.vn" in row
    # unchanged fields are not listed as changes; no raw codes or JSON
    assert "Phạm Minh Lãnh" not in row
    assert "admin.user_update" not in page and "{" not in row


def test_saving_without_changes_records_nothing(admin):
    admin.post("/admin/users/lanhdao/edit", data={
        "full_name": "Phạm Minh Lãnh", "email": "", "role": "leader", "agency": "000.00.21.H56"})
    assert db.session.execute(sa.select(AuditLog).filter_by(action="admin.user_update")).first() is None


def test_password_reset_reads_as_a_sentence(admin):
    admin.post("/admin/users/lanhdao/password", data={"password": "Song-Huong-Xanh-2026",
                                                      "confirm": "Song-Huong-Xanh-2026"})
    [row] = entries(admin.get("/admin/audit?action=admin.user").get_data(as_text=True))
    assert "Nguyễn Quản Trị đặt lại mật khẩu của người dùng lanhdao" in row
    assert "Song-Huong" not in row


def test_dossier_actions_read_as_sentences_with_the_receiving_agency(admin):
    dossier = receive("1.004227")
    act(dossier, "forward", "tiepnhan")
    rows = entries(admin.get("/admin/audit?action=dossier.").get_data(as_text=True))
    clerk = user("tiepnhan").full_name
    assert any(f"{clerk} chuyển hồ sơ {dossier.code} sang Sở Tài nguyên và Môi trường" in r for r in rows)
    assert any(f"{clerk} tiếp nhận hồ sơ {dossier.code}" in r for r in rows)
    forwarded = next(r for r in rows if "chuyển hồ sơ" in r)
    assert "Trạng thái: Được tiếp nhận → Đang xử lý" in forwarded


def test_exports_and_calendar_changes_read_as_sentences(admin):
    audit.record("report.export", actor=user("lanhdao"), target_type="report", target_id="000.00.21.H56",
                 details={"format": "xlsx", "tables": ["summary"], "scope": "000.00.21.H56",
                          "period": {"kind": "month", "year": 2026, "month": 3}})
    db.session.commit()
    admin.post("/admin/calendar", data={"day": "2026-12-24", "kind": "off", "reason": "Nghỉ bù"})
    rows = entries(admin.get("/admin/audit").get_data(as_text=True))
    leader = user("lanhdao").full_name
    report = next(r for r in rows if "xuất báo cáo" in r)
    assert f"{leader} xuất báo cáo (XLSX)" in report
    assert "Phạm vi: Sở Xây dựng" in report and "Kỳ báo cáo: Tháng 3/2026" in report
    calendar = next(r for r in rows if "24/12/2026" in r)
    assert "Nguyễn Quản Trị đặt ngày 24/12/2026 là ngày nghỉ" in calendar
    assert "Lý do: (trống) → Nghỉ bù" in calendar


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
    assert len(entries(page)) == 3 and f"{clerk.full_name} đăng nhập" in entries(page)[0]
    assert "3 mục nhật ký" in page
    page = admin.get("/admin/audit?actor=tiepnhan&date_from=2026-03-02&date_to=2026-03-02").get_data(as_text=True)
    assert len(entries(page)) == 1 and "02/03/2026" in page
    page = admin.get("/admin/audit?action=admin.calendar&date_from=02/03/2026&date_to=2026-03-31") \
        .get_data(as_text=True)
    assert len(entries(page)) == 1 and "đặt ngày 02/03/2026 là ngày nghỉ" in page
    page = admin.get("/admin/audit?action=auth.login&date_to=2026-03-01").get_data(as_text=True)
    assert len(entries(page)) == 1 and "01/03/2026" in page


def test_the_kind_of_action_is_chosen_by_name(admin):
    page = admin.get("/admin/audit?action=admin.procedure").get_data(as_text=True)
    assert '<option selected value="admin.procedure">Thủ tục hành chính</option>' in page
    assert ">Đăng nhập, đăng xuất</option>" in page


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
    names = re.findall(r"“(khach\d\d)”", " ".join(entries(first)))
    assert len(names) == 50 and names[0] == "khach59" and names[-1] == "khach10"
    assert "60 mục nhật ký" in first
    assert "Đăng nhập không thành công với tên đăng nhập “khach59”: không có tài khoản này" in entries(first)[0]
    next_url = first.split('href="/admin/audit?')[1].split('"')[0].replace("&amp;", "&")
    second = admin.get("/admin/audit?" + next_url).get_data(as_text=True)
    names = re.findall(r"“(khach\d\d)”", " ".join(entries(second)))
    assert names == [f"khach{i:02d}" for i in range(9, -1, -1)]
