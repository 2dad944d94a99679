"""The working calendar: year view with holidays and overrides; an override moves the next appointment."""
from datetime import date

import pytest
import sqlalchemy as sa
from factories import receive, vn

from onestop.extensions import db
from onestop.models import AuditLog, CalendarOverride
from onestop.timeutil import local


@pytest.fixture
def admin(demo, client, auth):
    auth.login("admin")
    return client


def test_year_view_shows_twelve_months_holidays_weekends_and_working_hours(admin):
    page = admin.get("/admin/calendar?year=2026").get_data(as_text=True)
    assert page.count('class="table table-sm table-bordered text-center small mb-0 cal-month"') == 12
    assert "Tháng 12" in page
    # 2 September, National Day, from the holidays package
    assert 'data-day="2026-09-02"' in page
    assert "02/09/2026" in page and "Quốc khánh" in page
    assert 'class="cal-holiday' in page
    assert 'class="cal-weekend' in page
    assert "07:00–11:30, 13:30–17:00" in page
    assert "15:00" in page


def test_override_moves_the_appointment_of_the_next_dossier(admin):
    first = receive("1.009994", at=vn(2026, 11, 20, 9, 0))
    due_before = local(first.due_at)
    # a day off inside the processing window (Thursday 26/11/2026)
    response = admin.post("/admin/calendar", data={"day": "2026-11-26", "kind": "off", "reason": "Nghỉ bù"})
    assert response.status_code == 302
    second = receive("1.009994", at=vn(2026, 11, 20, 9, 0))
    due_after = local(second.due_at)
    assert due_after.date() > due_before.date()
    assert due_after.time() == due_before.time()
    page = admin.get("/admin/calendar?year=2026").get_data(as_text=True)
    assert "26/11/2026" in page and "Nghỉ bù" in page and "cal-override-off" in page

    # removing the override gives the earlier appointment back
    admin.post("/admin/calendar/2026-11-26/remove")
    third = receive("1.009994", at=vn(2026, 11, 20, 9, 0))
    assert local(third.due_at) == due_before


def test_make_up_saturday_is_a_working_day(admin):
    saturday = date(2026, 11, 28)
    first = receive("2.000986", at=vn(2026, 11, 27, 16, 0), clerk="tiepnhan.phuloc")
    admin.post("/admin/calendar", data={"day": "28/11/2026", "kind": "work", "reason": "Làm bù"})
    second = receive("2.000986", at=vn(2026, 11, 27, 16, 0), clerk="tiepnhan.phuloc")
    assert local(second.due_at).date() == saturday
    assert local(first.due_at).date() > saturday


def test_calendar_change_is_audited_with_before_and_after(admin):
    admin.post("/admin/calendar", data={"day": "2026-12-24", "kind": "off", "reason": "Nghỉ"})
    admin.post("/admin/calendar", data={"day": "2026-12-24", "kind": "work", "reason": "Làm"})
    rows = list(db.session.execute(
        sa.select(AuditLog).filter_by(action="admin.calendar_set").order_by(AuditLog.id)).scalars())
    assert [r.details for r in rows] == [
        {"before": None, "after": {"kind": "off", "reason": "Nghỉ"}},
        {"before": {"kind": "off", "reason": "Nghỉ"}, "after": {"kind": "work", "reason": "Làm"}},
    ]
    assert rows[0].actor_name == "admin"


@pytest.mark.parametrize("day", ["", "31/02/2026", "hôm qua", "2099-01-01"])
def test_bad_day_is_refused_with_a_message(admin, day):
    response = admin.post("/admin/calendar", data={"day": day, "kind": "off"})
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert any(m in page for m in ("Vui lòng chọn ngày.", "Ngày không hợp lệ", "Ngày phải trong khoảng"))
    assert db.session.execute(sa.select(CalendarOverride)).first() is None
