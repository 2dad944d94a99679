"""GET /api/v1/reports/score766: CONTRACT.md's shape, DOMAIN.md's worked example, scope and input checks."""
from __future__ import annotations

import pytest
from conftest import ApiClient
from score766kit import worked_example

XD, KHDT = "000.00.21.H56", "000.00.23.H56"
MARCH = {"from": "2025-03-01", "to": "2025-03-31"}


@pytest.fixture
def api(client):
    return ApiClient(client)


def test_the_worked_example_over_the_api(api, demo):
    worked_example()
    r = api.get("/reports/score766", as_="admin", query_string=MARCH)
    assert r.status_code == 200, r.get_json()
    body = r.get_json()
    assert set(body) == {"from", "to", "agency", "total", "groups"}
    assert (body["from"], body["to"], body["agency"]) == ("2025-03-01", "2025-03-31", None)
    assert list(body["groups"]) == ["transparency", "progress", "online", "payment", "satisfaction", "digitisation"]
    progress = body["groups"]["progress"]
    assert (progress["points"], progress["max"], progress["ratio"]) == (14.0, 20, 0.7)
    handling = next(i for i in body["groups"]["satisfaction"]["indicators"] if i["key"] == "handling_satisfaction")
    assert handling == {"key": "handling_satisfaction", "label": "Hài lòng về giải quyết hồ sơ", "ratio": 0.625,
                        "points": 4.17, "max": 6}
    assert body["total"]["max"] == 100
    assert body["groups"]["payment"]["points"] is None  # no data yet: null, not 0


def test_a_leader_gets_their_own_agency_and_not_another(api, demo):
    worked_example()
    mine = api.get("/reports/score766", as_="lanhdao", query_string=MARCH)
    assert mine.status_code == 200
    assert mine.get_json()["agency"] == XD
    assert mine.get_json()["groups"]["progress"]["points"] == 14.0
    explicit = api.get("/reports/score766", as_="lanhdao", query_string={**MARCH, "agency": XD})
    assert explicit.get_json() == mine.get_json()
    other = api.get("/reports/score766", as_="lanhdao", query_string={**MARCH, "agency": KHDT})
    assert other.status_code == 403
    assert other.get_json()["error"]["message"].startswith("Bạn chỉ được xem điểm")
    unknown = api.get("/reports/score766", as_="admin", query_string={**MARCH, "agency": "999.99.99.H56"})
    assert unknown.status_code == 404 and unknown.get_json()["error"]["code"] == "not_found"
    admin_khdt = api.get("/reports/score766", as_="admin", query_string={**MARCH, "agency": KHDT}).get_json()
    assert admin_khdt["agency"] == KHDT and admin_khdt["groups"]["progress"]["points"] is None


@pytest.mark.parametrize("who, status", [(None, 401), ("tiepnhan", 403), ("chuyenvien", 403),
                                         ("lanhdao", 200), ("admin", 200)])
def test_only_leaders_and_admins(api, demo, who, status):
    r = api.get("/reports/score766", as_=who, query_string=MARCH)
    assert r.status_code == status
    assert r.is_json
    if status != 200:
        assert r.get_json()["error"]["message"]


@pytest.mark.parametrize("params, field, words", [
    ({"from": "01/03/2025"}, "from", "YYYY-MM-DD"),
    ({"from": "2025-02-30"}, "from", "không phải ngày có thật"),
    ({"to": "2025-13-01"}, "to", "không phải ngày có thật"),
    ({"from": "2025-03-31", "to": "2025-03-01"}, "to", "không sớm hơn"),
    ({"from": "2001-01-01", "to": "2001-12-31"}, "to", "các năm"),
    ({"from": "2015-01-01", "to": "2025-01-01"}, "to", "5 năm"),
    ({"agency": "x y"}, "agency", "không hợp lệ"),
])
def test_bad_input_is_a_vietnamese_json_error(api, demo, params, field, words):
    r = api.get("/reports/score766", as_="admin", query_string=params)
    assert r.status_code == 422, r.get_data(as_text=True)
    error = r.get_json()["error"]
    assert error["field"] == field and words in error["message"]


def test_omitted_dates_mean_this_year_to_today(api, demo):
    body = api.get("/reports/score766", as_="admin").get_json()
    assert body["from"].endswith("-01-01") and body["from"][:4] == body["to"][:4]
