"""Report periods: presets and from/to in local days, checked with clear messages."""
from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from onestop.errors import ValidationError
from onestop.reports import parse_period

TODAY = date(2026, 5, 17)


@pytest.mark.parametrize("args, kind, first, last", [
    ({}, "month", date(2026, 5, 1), date(2026, 5, 31)),
    ({"kind": "month", "year": "2024", "month": "2"}, "month", date(2024, 2, 1), date(2024, 2, 29)),
    ({"kind": "quarter"}, "quarter", date(2026, 4, 1), date(2026, 6, 30)),
    ({"kind": "quarter", "year": 2025, "quarter": 4}, "quarter", date(2025, 10, 1), date(2025, 12, 31)),
    ({"kind": "year", "year": 2025}, "year", date(2025, 1, 1), date(2025, 12, 31)),
    ({"kind": "custom", "from": "02/03/2025", "to": "2025-03-09"}, "custom", date(2025, 3, 2), date(2025, 3, 9)),
])
def test_presets_and_custom(app, args, kind, first, last):
    period = parse_period(args, today=TODAY)
    assert (period.kind, period.first, period.last) == (kind, first, last)
    assert parse_period(period.params(), today=TODAY) == period


def test_bounds_are_local_midnights(app):
    period = parse_period({"kind": "month", "year": 2025, "month": 3})
    assert period.start == datetime(2025, 2, 28, 17, 0, tzinfo=UTC)
    assert period.end == datetime(2025, 3, 31, 17, 0, tzinfo=UTC)
    assert period.label == "Tháng 03/2025"


@pytest.mark.parametrize("args, field, message", [
    ({"kind": "week"}, "kind", "Loại kỳ báo cáo không hợp lệ."),
    ({"kind": "quarter", "quarter": "5"}, "quarter", "Quý phải từ 1 đến 4."),
    ({"kind": "year", "year": "2009"}, "year", "Năm phải từ 2010 đến 2045."),
    ({"kind": "custom", "from": "2010-01-01", "to": "2016-01-01"}, "to", "Kỳ báo cáo không được dài quá 5 năm."),
    ({"kind": "custom", "from": "2009-12-01", "to": "2010-01-01"}, "from",
     "Kỳ báo cáo phải nằm trong các năm 2010-2045."),
    ({"kind": "custom", "to": "2025-01-01"}, "from", "Ngày bắt đầu không hợp lệ (dd/mm/yyyy)."),
])
def test_bad_periods(app, args, field, message):
    with pytest.raises(ValidationError) as caught:
        parse_period(args, today=TODAY)
    assert caught.value.field == field and caught.value.message == message
