"""Bad input gets a Vietnamese message naming the field, nothing is saved, and never a 500."""
from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from conftest import PREFIX, intake_body
from factories import APPLICANT

from onestop.extensions import db
from onestop.models import Dossier


def dossier_count() -> int:
    return db.session.execute(db.select(db.func.count(Dossier.id))).scalar_one()


def applicant(**changes) -> dict:
    body = dict(APPLICANT)
    body.update(changes)
    return body


def in_future() -> str:
    return (datetime.now().astimezone() + timedelta(days=1)).isoformat()


@pytest.mark.parametrize(("changes", "field", "words"), [
    ({"procedure_code": "9.999999"}, "procedure_code", "Không tìm thấy thủ tục"),
    ({"procedure_code": None}, "procedure_code", "bắt buộc"),
    ({"procedure_code": 1004227}, "procedure_code", "bắt buộc"),
    ({"applicant": applicant(id_number="12345")}, "applicant.id_number", "12 chữ số"),
    ({"applicant": applicant(id_number="00120300456a")}, "applicant.id_number", "12 chữ số"),
    ({"applicant": applicant(phone="0212345678")}, "applicant.phone", "di động"),
    ({"applicant": applicant(email="duc@")}, "applicant.email", "email"),
    ({"applicant": applicant(full_name="  ")}, "applicant.full_name", "bắt buộc"),
    ({"applicant": applicant(full_name=["Đức"])}, "applicant.full_name", "chuỗi"),
    ({"applicant": "Nguyễn Văn Đức"}, "applicant", "người nộp"),
    ({"documents": [{"name": "Đơn", "originals": -1}]}, "documents[0].originals", "âm"),
    ({"documents": [{"name": "Đơn", "copies": "hai"}]}, "documents[0].copies", "số nguyên"),
    ({"documents": [{"originals": 1}]}, "documents[0].name", "bắt buộc"),
    ({"documents": {"name": "Đơn"}}, "documents", "không hợp lệ"),
    ({"channel": "fax"}, "channel", "counter"),
    ({"channel": None}, "channel", "counter"),
    ({"channel": "online", "received_at": in_future()}, "received_at", "tương lai"),
    ({"channel": "postal", "received_at": "hôm qua"}, "received_at", "ISO-8601"),
    ({"channel": "postal", "received_at": 20261121}, "received_at", "ISO-8601"),
    ({"channel": "postal", "received_at": "1999-01-01T08:00:00+07:00"}, "received_at", "các năm"),
    ({"channel": "postal", "received_at": "9999-12-31T23:59:59-14:00"}, "received_at", "ISO-8601"),
    ({"accept": "yes"}, "accept", "true"),
    ({"fee": -1}, "fee", "âm"),
    ({"applicant": applicant(full_name="Nguyễn\x00Văn")}, "applicant.full_name", "ký tự"),
])
def test_intake_rejects_bad_fields(api, changes, field, words):
    response = api.post("/dossiers", intake_body(**changes), as_="tiepnhan")
    assert response.status_code == 422, response.get_json()
    error = response.get_json()["error"]
    assert error["code"] == "invalid"
    assert error["field"] == field
    assert words.lower() in error["message"].lower()
    assert dossier_count() == 0


@pytest.mark.parametrize(("kwargs", "status"), [
    ({"data": "procedure_code=1.004227", "content_type": "application/x-www-form-urlencoded"}, 415),
    ({"data": "{not json", "content_type": "application/json"}, 400),
    ({"data": b"\xff\xfe", "content_type": "application/json"}, 400),
    ({"data": "[" * 100000, "content_type": "application/json"}, 400),
    ({"json": ["procedure_code", "1.004227"]}, 422),
    ({"json": "1.004227"}, 422),
    ({"json": None, "data": "null", "content_type": "application/json"}, 400),
])
def test_broken_bodies_are_client_errors(api, kwargs, status):
    response = api.client.post(PREFIX + "/dossiers", headers=api.headers("tiepnhan"), **kwargs)
    assert response.status_code == status
    assert response.get_json()["error"]["message"]
    assert dossier_count() == 0


@pytest.mark.config(MAX_CONTENT_LENGTH=2048)
def test_too_large_body_is_413(api):
    body = intake_body(note="x" * 5000)
    response = api.post("/dossiers", body, as_="tiepnhan")
    assert response.status_code == 413
    assert response.get_json()["error"]["code"] == "too_large"


@pytest.mark.parametrize(("body", "field"), [
    ({"action": "fly", "version": 1}, "action"),
    ({"action": None, "version": 1}, "action"),
    ({"action": "forward"}, "version"),
    ({"action": "forward", "version": "1"}, "version"),
    ({"action": "forward", "version": True}, "version"),
    ({"action": "forward", "version": 1, "to_agency": "000.00.99.H56"}, "to_agency"),
    ({"action": "forward", "version": 1, "to_agency": 42}, "to_agency"),
    ({"action": "withdraw", "version": 1}, "reason"),
    ({"action": "withdraw", "version": 1, "reason": {"text": "x"}}, "reason"),
])
def test_bad_action_parameters_are_422(api, body, field):
    d = api.intake()
    if body.get("version") == 1 and body["version"] is not True:
        body = {**body, "version": d["version"]}
    response = api.post(f"/dossiers/{d['code']}/actions", body, as_="tiepnhan")
    assert response.status_code == 422, response.get_json()
    assert response.get_json()["error"]["field"] == field
    assert api.get(f"/dossiers/{d['code']}", as_="tiepnhan").get_json()["status"] == "received"


def test_unknown_parameters_cannot_reach_the_workflow(api):
    d = api.intake()
    response = api.post(f"/dossiers/{d['code']}/actions",
                        {"action": "withdraw", "version": d["version"], "reason": "Rút",
                         "actor": "admin", "now": "2020-01-01", "status": "returned"}, as_="tiepnhan")
    assert response.status_code == 200
    body = response.get_json()
    assert body["status"] == "withdrawn" and body["history"][-1]["by"]["username"] == "tiepnhan"


def test_huge_numbers_are_refused_not_crashing(api):
    d = api.act(api.intake(), "forward", "tiepnhan")
    for amount in (10**30, 2**63):
        assert api.act(d, "request_payment", "chuyenvien.tnmt", amount=amount, expect=422)["error"]["field"] == "amount"
    stale = api.post(f"/dossiers/{d['code']}/actions", {"action": "withdraw", "version": 10**30, "reason": "x"},
                     as_="tiepnhan")
    assert stale.status_code == 409


def test_nul_in_path_or_query_is_400(api):
    assert api.get("/dossiers/abc%00def", as_="tiepnhan").status_code == 400
    assert api.get("/dossiers?q=%00", as_="tiepnhan").status_code == 400
    assert api.get("/procedures?q=a%00").status_code == 400


def test_action_with_wrong_media_type_is_415(api):
    d = api.intake()
    response = api.client.post(PREFIX + f"/dossiers/{d['code']}/actions", data="action=forward",
                               content_type="text/plain", headers=api.headers("tiepnhan"))
    assert response.status_code == 415
