"""Open311 GeoReport v2 read endpoints: field names and types as the spec says, no personal data."""
import pytest
from factories import APPLICANT, act, receive, vn

from onestop.timeutil import parse_iso

SERVICE_FIELDS = {"service_code": str, "service_name": str, "description": str, "metadata": bool, "type": str,
                  "keywords": str, "group": str}
REQUEST_FIELDS = {"service_request_id": str, "status": str, "status_notes": str, "service_name": str,
                  "service_code": str, "agency_responsible": str, "requested_datetime": str,
                  "updated_datetime": str, "expected_datetime": str}
PERSONAL = [APPLICANT["full_name"], APPLICANT["id_number"], APPLICANT["phone"], APPLICANT["email"],
            APPLICANT["address"]]


def assert_request_shape(item):
    assert REQUEST_FIELDS.keys() <= item.keys()
    for name, kind in REQUEST_FIELDS.items():
        assert isinstance(item[name], kind), name
    assert item["status"] in ("open", "closed")
    for name in ("requested_datetime", "updated_datetime", "expected_datetime"):
        assert parse_iso(item[name]).tzinfo is not None
        assert item[name].endswith("+07:00")


@pytest.fixture
def dossiers(demo):
    open_ = receive("1.009994", at=vn(2026, 11, 2, 9, 0))
    act(open_, "forward", "tiepnhan", at=vn(2026, 11, 2, 10, 0))
    closed = receive("1.001756", at=vn(2026, 11, 3, 9, 0))
    act(closed, "forward", "tiepnhan", at=vn(2026, 11, 3, 10, 0))
    act(closed, "complete", "chuyenvien.tp", at=vn(2026, 11, 4, 9, 0))
    act(closed, "return", "tiepnhan", at=vn(2026, 11, 5, 9, 0), collected_by=APPLICANT["full_name"])
    third = receive("1.009994", at=vn(2026, 11, 4, 9, 0))
    return open_, closed, third


def test_services_are_the_procedures(client, demo):
    response = client.get("/open311/v2/services.json")
    assert response.status_code == 200 and response.mimetype == "application/json"
    services = response.get_json()
    assert isinstance(services, list) and len(services) == 10
    for service in services:
        assert set(service) == set(SERVICE_FIELDS)
        for name, kind in SERVICE_FIELDS.items():
            assert isinstance(service[name], kind), name
        assert service["metadata"] is False and service["type"] == "realtime"
    permit = next(s for s in services if s["service_code"] == "1.009994")
    assert permit["service_name"] == "Cấp giấy phép xây dựng nhà ở riêng lẻ"
    assert permit["group"] == "Xây dựng"
    assert "15 ngày làm việc" in permit["description"]


def test_one_request_is_a_one_element_list(client, dossiers):
    open_, closed, _ = dossiers
    items = client.get(f"/open311/v2/requests/{open_.code}.json").get_json()
    assert isinstance(items, list) and len(items) == 1
    item = items[0]
    assert_request_shape(item)
    assert item["service_request_id"] == open_.code
    assert item["status"] == "open"
    assert item["service_code"] == "1.009994"
    assert item["agency_responsible"] == "Sở Xây dựng"
    assert item["requested_datetime"] == "2026-11-02T09:00:00+07:00"
    assert "đang được xử lý tại Sở Xây dựng" in item["status_notes"]
    done = client.get(f"/open311/v2/requests/{closed.code}.json").get_json()[0]
    assert done["status"] == "closed" and "Kết quả đã được trả" in done["status_notes"]


def test_unknown_request_is_a_spec_error(client, dossiers):
    response = client.get("/open311/v2/requests/000.00.17.H56-261102-9999.json")
    assert response.status_code == 404
    error = response.get_json()
    assert isinstance(error, list) and error[0]["code"] == 404 and isinstance(error[0]["description"], str)


def test_requests_list_and_filters(client, dossiers):
    open_, closed, third = dossiers
    items = client.get("/open311/v2/requests.json").get_json()
    assert [i["service_request_id"] for i in items] == [third.code, closed.code, open_.code]
    for item in items:
        assert_request_shape(item)
    codes = lambda q: [i["service_request_id"] for i in client.get(f"/open311/v2/requests.json?{q}").get_json()]  # noqa: E731
    assert codes("status=closed") == [closed.code]
    assert codes("status=open") == [third.code, open_.code]
    assert codes("service_code=1.001756") == [closed.code]
    assert codes("start_date=2026-11-03T00:00:00%2B07:00&end_date=2026-11-03T23:59:59%2B07:00") == [closed.code]
    assert codes(f"service_request_id={open_.code},{third.code}") == [third.code, open_.code]
    assert codes("start_date=2027-01-01") == []


def test_requests_are_paged_by_keyset(app, client, dossiers):
    open_, closed, third = dossiers
    first = client.get("/open311/v2/requests.json?page_size=2")
    assert [i["service_request_id"] for i in first.get_json()] == [third.code, closed.code]
    link = first.headers["Link"]
    assert 'rel="next"' in link
    nxt = link[link.index("<") + 1:link.index(">")]
    assert nxt.startswith(app.config["ONESTOP_BASE_URL"] + "/open311/v2/requests.json?")
    second = client.get(nxt.removeprefix(app.config["ONESTOP_BASE_URL"]))
    assert [i["service_request_id"] for i in second.get_json()] == [open_.code]
    assert "Link" not in second.headers


@pytest.mark.parametrize("query", ["status=pending", "page_size=0", "page_size=5000", "page_size=abc",
                                   "start_date=yesterday", "cursor=%%%", "cursor=bm90LWEtY3Vyc29y",
                                   "start_date=2026-11-05&end_date=2026-11-01"])
def test_bad_parameters_are_400_family_not_500(client, dossiers, query):
    response = client.get(f"/open311/v2/requests.json?{query}")
    assert 400 <= response.status_code < 500
    assert isinstance(response.get_json(), list) and response.get_json()[0]["description"]


def test_no_personal_data_in_open311(client, dossiers):
    raw = client.get("/open311/v2/requests.json").get_data(as_text=True)
    raw += client.get(f"/open311/v2/requests/{dossiers[0].code}.json").get_data(as_text=True)
    for secret in PERSONAL + [d.lookup_key for d in dossiers]:
        assert secret not in raw
    decoded = repr(client.get("/open311/v2/requests.json").get_json())
    assert all(secret not in decoded for secret in PERSONAL)


@pytest.mark.config(RATELIMIT_ENABLED=True, ONESTOP_LOOKUP_LIMIT="3 per minute")
def test_single_request_lookups_are_rate_limited(client, dossiers):
    for _ in range(3):
        client.get(f"/open311/v2/requests/{dossiers[0].code}.json")
    response = client.get(f"/open311/v2/requests/{dossiers[0].code}.json")
    assert response.status_code == 429
    assert response.get_json()[0]["code"] == 429


def test_unstorable_parameters_are_refused(client, dossiers):
    response = client.get("/open311/v2/requests.json?service_code=1.0%00")
    assert response.status_code == 400 or response.status_code == 422


def test_discovery_points_at_the_endpoint(client):
    body = client.get("/open311/v2/discovery.json").get_json()
    endpoint = body["endpoints"][0]
    assert endpoint["specification"] == "http://wiki.open311.org/GeoReport_v2"
    assert endpoint["url"].endswith("/open311/v2") and endpoint["formats"] == ["application/json"]


@pytest.mark.config(ONESTOP_BASE_URL="https://dichvucong.sonha.gov.vn")
def test_urls_come_from_the_configured_site_never_from_the_host_header(client, dossiers):
    """Issue 17, item 7: a forged Host header does not end up in discovery or in the next-page link."""
    forged = {"Host": "evil.example", "X-Forwarded-Host": "evil.example"}
    body = client.get("/open311/v2/discovery.json", headers=forged).get_json()
    assert body["endpoints"][0]["url"] == "https://dichvucong.sonha.gov.vn/open311/v2"
    first = client.get("/open311/v2/requests.json?page_size=1", headers=forged)
    assert "evil.example" not in first.headers["Link"]
    assert first.headers["Link"].startswith("<https://dichvucong.sonha.gov.vn/open311/v2/requests.json?")


def test_pages_hold_at_most_a_hundred_requests(client, dossiers):
    assert client.get("/open311/v2/requests.json?page_size=100").status_code == 200
    for size in ("101", "1000"):
        response = client.get(f"/open311/v2/requests.json?page_size={size}")
        assert response.status_code == 422 and "từ 1 đến 100" in response.get_json()[0]["description"]


@pytest.mark.config(RATELIMIT_ENABLED=True, ONESTOP_LOOKUP_LIMIT="3 per minute")
def test_lists_are_rate_limited_with_the_lookups(client, dossiers):
    """Listing codes draws on the same budget as looking them up (item 7)."""
    assert client.get(f"/open311/v2/requests/{dossiers[0].code}.json").status_code == 200
    for _ in range(2):
        assert client.get("/open311/v2/requests.json").status_code == 200
    response = client.get("/open311/v2/requests.json")
    assert response.status_code == 429 and response.get_json()[0]["code"] == 429
    assert client.get("/open311/v2/services.json").status_code == 200  # the catalogue is not a guessing aid
