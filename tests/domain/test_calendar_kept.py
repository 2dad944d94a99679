"""The national holidays are computed once per package version and kept in the instance folder (issue 18:
a cron-driven command or a new worker no longer imports the `holidays` package and its 36 lunar years)."""
from __future__ import annotations

import sys
from datetime import date

import holidays

from onestop import calendar


def _fresh():
    calendar.national_days.cache_clear()


def test_kept_holidays_are_the_packages_and_read_back_without_it(app, monkeypatch):
    _fresh()
    days, workdays, names = calendar.national_days(2024, 2026)
    kept = calendar._kept_file(2024, 2026)
    assert kept is not None and kept.exists()
    expected = holidays.country_holidays("VN", years=range(2024, 2027), language="vi")
    assert names == dict(expected.items())
    assert date(2025, 9, 2) in days  # Quốc khánh
    _fresh()
    monkeypatch.setitem(sys.modules, "holidays", None)  # importing it now would fail
    assert calendar.national_days(2024, 2026) == (days, workdays, names)


def test_an_unreadable_kept_file_is_computed_again(app):
    _fresh()
    calendar.national_days(2024, 2026)
    kept = calendar._kept_file(2024, 2026)
    kept.write_text("{not json", encoding="utf-8")
    _fresh()
    days, _workdays, names = calendar.national_days(2024, 2026)
    assert date(2025, 9, 2) in days and names
    assert kept.read_text(encoding="utf-8").startswith("{\"holidays\"")
