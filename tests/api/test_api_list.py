"""The dossier list: contract filters, diacritic-insensitive search, keyset pagination, visibility."""
from __future__ import annotations

import pytest
from factories import APPLICANT


def person(name: str, id_number: str) -> dict:
    return {**APPLICANT, "full_name": name, "id_number": id_number}


@pytest.fixture
def dossiers(api):
    """Four dossiers at the centre desk: two procedures, one forwarded, one online and waiting."""
    duc = api.intake(applicant=person("Nguyễn Văn Đức", "001203004567"))
    lan = api.intake(applicant=person("Trần Thị Lan", "001203004568"))
    api.act(lan, "forward", "tiepnhan")
    hoa = api.intake("1.009994", applicant=person("Lê Hòa", "001203004569"))
    web = api.intake(channel="online", applicant=person("Phạm Minh Đạt", "001203004570"))
    return {"duc": duc["code"], "lan": lan["code"], "hoa": hoa["code"], "web": web["code"]}


def codes(response) -> list[str]:
    assert response.status_code == 200, response.get_json()
    return [item["code"] for item in response.get_json()["items"]]


def test_search_ignores_diacritics_and_d(api, dossiers):
    assert codes(api.get("/dossiers?q=nguyen van duc", as_="tiepnhan")) == [dossiers["duc"]]
    assert codes(api.get("/dossiers?q=NGUYỄN VĂN ĐỨC", as_="tiepnhan")) == [dossiers["duc"]]
    assert codes(api.get("/dossiers?q=dat", as_="tiepnhan")) == [dossiers["web"]]
    assert codes(api.get(f"/dossiers?q={dossiers['hoa'][-11:]}", as_="tiepnhan")) == [dossiers["hoa"]]
    assert codes(api.get("/dossiers?q=50%25", as_="tiepnhan")) == []


def test_filters(api, dossiers):
    assert set(codes(api.get("/dossiers?status=received,submitted", as_="tiepnhan"))) == {
        dossiers["duc"], dossiers["hoa"], dossiers["web"]}
    assert codes(api.get("/dossiers?status=processing", as_="tiepnhan")) == [dossiers["lan"]]
    assert codes(api.get("/dossiers?agency=000.00.22.H56", as_="tiepnhan")) == [dossiers["lan"]]
    assert codes(api.get("/dossiers?procedure=1.009994", as_="tiepnhan")) == [dossiers["hoa"]]
    assert len(codes(api.get("/dossiers?deadline_state=on_time", as_="tiepnhan"))) == 4
    assert codes(api.get("/dossiers?deadline_state=overdue", as_="tiepnhan")) == []


def test_items_carry_the_summary_fields(api, dossiers):
    item = api.get("/dossiers?q=nguyen van duc", as_="tiepnhan").get_json()["items"][0]
    assert item["status"] == "received" and item["status_code"] == 2 and item["status_label"] == "Được tiếp nhận"
    assert item["deadline_state"] == "on_time" and item["procedure"]["code"] == "1.004227"
    assert item["applicant_name"] == "Nguyễn Văn Đức" and item["current_agency"]["identifier"] == "000.00.17.H56"
    assert item["due_at"].endswith("+07:00") and item["version"] >= 1


def test_keyset_pages_cover_everything_once(api, dossiers):
    seen, cursor, pages = [], None, 0
    while True:
        url = "/dossiers?limit=3&count=true" + (f"&cursor={cursor}" if cursor else "")
        body = api.get(url, as_="tiepnhan").get_json()
        assert body["count"] == 4
        seen += [item["code"] for item in body["items"]]
        cursor, pages = body["next_cursor"], pages + 1
        if cursor is None:
            break
    assert pages == 2
    assert sorted(seen) == sorted(dossiers.values())
    oldest = codes(api.get("/dossiers?order=oldest", as_="tiepnhan"))
    assert oldest == list(reversed(codes(api.get("/dossiers", as_="tiepnhan"))))


def test_list_shows_only_what_the_user_may_see(api, dossiers):
    assert codes(api.get("/dossiers", as_="chuyenvien.tnmt")) == [dossiers["lan"]]
    assert codes(api.get("/dossiers", as_="chuyenvien")) == []
    assert codes(api.get("/dossiers", as_="tiepnhan.tanphu")) == []
    assert len(codes(api.get("/dossiers", as_="admin"))) == 4


@pytest.mark.parametrize(("query", "field"), [
    ("status=done", "status"),
    ("deadline_state=late-ish", "deadline_state"),
    ("agency=000.00.99.H56", "agency"),
    ("limit=0", "limit"),
    ("limit=201", "limit"),
    ("limit=ten", "limit"),
    ("cursor=bm90LWEtY3Vyc29y", "cursor"),
    ("cursor=WyIyMDI2LTAxLTAxVDAwOjAwOjAwIiwgMV0", "cursor"),
    ("order=random", "order"),
    ("count=maybe", "count"),
    ("q=" + "a" * 201, "q"),
])
def test_bad_list_parameters_are_422(api, query, field):
    response = api.get(f"/dossiers?{query}", as_="tiepnhan")
    assert response.status_code == 422
    assert response.get_json()["error"]["field"] == field


def test_procedure_catalogue(api):
    response = api.get("/procedures")
    assert response.status_code == 200
    items = response.get_json()["items"]
    two_agencies = next(p for p in items if p["code"] == "1.004227")
    assert [step["agency"] for step in two_agencies["route"]] == ["000.00.22.H56", "000.00.21.H56"]
    assert two_agencies["time_limit"] == sum(step["time"] for step in two_agencies["route"])
    assert two_agencies["time_unit"] == "working_days" and two_agencies["documents"]
    assert {"code", "name", "field", "time_limit", "fee", "documents", "route"} <= set(two_agencies)
    assert len(items) == 10
    found = api.get("/procedures?q=dat dai").get_json()["items"] + api.get("/procedures?q=xay dung").get_json()["items"]
    assert found
    assert api.get("/procedures?field=Không có").get_json()["items"] == []
