"""The working-day calendar: weekends, Tết, swapped days, overrides, working hours."""
from datetime import date

import pytest
from factories import vn

from onestop import calendar
from onestop.calendar import WorkCalendar
from onestop.extensions import db

CAL = WorkCalendar()


def local(dt):
    return dt.astimezone(CAL.tz).replace(tzinfo=None)


@pytest.mark.parametrize("day, working", [
    (date(2026, 2, 13), True),    # Friday before Tết
    (date(2026, 2, 16), False),   # 29 Tết (Lunar New Year's Eve)
    (date(2026, 2, 17), False),   # Mùng 1
    (date(2026, 2, 20), False),   # Mùng 4
    (date(2026, 2, 23), True),    # back to work
    (date(2026, 11, 21), False),  # Saturday
    (date(2026, 11, 24), False),  # Vietnam Cultural Day
    (date(2026, 8, 22), True),    # make-up Saturday known to the holidays package
    (date(2026, 8, 31), False),   # the swapped day off
    (date(2026, 9, 2), False),    # National Day
])
def test_days_off_and_swaps(day, working):
    assert CAL.is_working_day(day) is working


def test_one_working_day_over_tet():
    due = CAL.add_working_days(vn(2026, 2, 13, 9, 0), 1)
    assert local(due) == local(vn(2026, 2, 23, 9, 0))


def test_friday_afternoon_dossier_rolls_over_the_weekend_and_holiday():
    # Friday 20/11/2026 16:00: one hour left that day; Tuesday 24/11 is a holiday.
    received = vn(2026, 11, 20, 16, 0)
    assert local(CAL.add_working_days(received, 1)) == local(vn(2026, 11, 23, 16, 0))
    assert local(CAL.add_working_days(received, 2)) == local(vn(2026, 11, 25, 16, 0))
    assert local(CAL.add_working_hours(received, 2)) == local(vn(2026, 11, 23, 8, 0))


def test_received_outside_working_hours_starts_at_next_working_moment():
    assert local(CAL.next_working_moment(vn(2026, 11, 21, 22, 0))) == local(vn(2026, 11, 23, 7, 0))
    assert local(CAL.next_working_moment(vn(2026, 11, 23, 12, 0))) == local(vn(2026, 11, 23, 13, 30))
    assert local(CAL.next_working_moment(vn(2026, 11, 23, 17, 30))) == local(vn(2026, 11, 25, 7, 0))
    assert local(CAL.next_working_moment(vn(2026, 11, 23, 9, 15))) == local(vn(2026, 11, 23, 9, 15))


def test_whole_days_end_at_close_of_business():
    assert local(CAL.add_working_days(vn(2026, 11, 23, 7, 0), 1)) == local(vn(2026, 11, 23, 17, 0))


def test_working_time_between_moments_skips_lunch_nights_and_holidays():
    assert CAL.working_seconds_between(vn(2026, 11, 23, 11, 0), vn(2026, 11, 23, 14, 0)) == 3600
    assert CAL.working_days_between(vn(2026, 11, 20, 9, 0), vn(2026, 11, 25, 9, 0)) == 2


def test_override_make_up_saturday_and_extra_day_off(app):
    assert not calendar.get_calendar().is_working_day(date(2026, 11, 28))
    calendar.set_override(date(2026, 11, 28), "work", "Làm bù")
    calendar.set_override(date(2026, 11, 27), "off", "Nghỉ bù")
    db.session.commit()
    cal = calendar.get_calendar()
    assert cal.is_working_day(date(2026, 11, 28))
    assert not cal.is_working_day(date(2026, 11, 27))
    assert cal.describe(date(2026, 11, 27)).reason == "Nghỉ bù"
    # Thursday 26/11 09:00 + 1 day skips Friday (off) and lands on the make-up Saturday.
    assert local(cal.add_working_days(vn(2026, 11, 26, 9, 0), 1)) == local(vn(2026, 11, 28, 9, 0))
    calendar.set_override(date(2026, 11, 28), None)
    db.session.commit()
    assert not calendar.get_calendar().is_working_day(date(2026, 11, 28))


def test_working_hours_are_configurable():
    cal = WorkCalendar(hours="08:00-12:00,13:00-17:00")
    assert cal.day_seconds == 8 * 3600
    assert local(cal.next_working_moment(vn(2026, 11, 23, 7, 30))) == local(vn(2026, 11, 23, 8, 0))


def test_deadlines_for_many_dossiers_do_not_consult_holidays_each_time(monkeypatch):
    import holidays

    def boom(*a, **k):
        raise AssertionError("holidays consulted per dossier")

    monkeypatch.setattr(holidays, "country_holidays", boom)
    start = vn(2025, 1, 2, 8, 0)
    dues = {CAL.add_working_days(start, n % 30) for n in range(20000)}
    assert len(dues) == 30
