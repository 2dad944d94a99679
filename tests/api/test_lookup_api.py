"""GET /api/v1/lookup/{code}?key=K and POST /api/v1/lookup/{code}/feedback."""
import json

import pytest
from factories import APPLICANT, act, receive, vn

from onestop.extensions import db
from onestop.models import Feedback

PERSONAL = [APPLICANT["full_name"], APPLICANT["id_number"], APPLICANT["phone"], APPLICANT["email"],
            APPLICANT["address"], "Nguyễn V**"]
VIEW_FIELDS = {"code", "procedure", "status", "status_label", "deadline_state", "received_at", "due_at",
               "finished_at", "current_agency", "steps"}


def dossier(status="processing"):
    d = receive("1.009994", at=vn(2026, 11, 2, 9, 0))
    act(d, "forward", "tiepnhan", at=vn(2026, 11, 2, 10, 0))
    if status == "supplement_requested":
        act(d, "request_supplement", "chuyenvien", at=vn(2026, 11, 3, 9, 0), reason="Thiếu bản vẽ",
            documents=["Bản vẽ mặt bằng"])
    if status in ("result_ready", "returned"):
        act(d, "complete", "chuyenvien", at=vn(2026, 11, 5, 9, 0))
    if status == "returned":
        act(d, "return", "tiepnhan", at=vn(2026, 11, 6, 9, 0), collected_by=APPLICANT["full_name"])
    return d


def test_lookup_with_key_gives_the_citizen_view(client, demo):
    d = dossier("returned")
    response = client.get(f"/api/v1/lookup/{d.code}?key={d.lookup_key}")
    assert response.status_code == 200
    body = response.get_json()
    assert VIEW_FIELDS <= set(body)
    assert body["code"] == d.code and body["status"] == "returned" and body["status_label"] == "Đã trả kết quả"
    assert body["procedure"] == {"code": "1.009994", "name": "Cấp giấy phép xây dựng nhà ở riêng lẻ"}
    assert body["deadline_state"] == "early"
    assert body["received_at"] == "2026-11-02T09:00:00+07:00"
    assert body["finished_at"] == "2026-11-05T09:00:00+07:00"
    assert body["current_agency"]["identifier"] == "000.00.17.H56"
    assert body["verified"] is True
    assert "applicant_name" not in body  # CONTRACT.md: the API masks the name even with the key
    assert APPLICANT["full_name"] not in json.dumps(body, ensure_ascii=False)
    assert body["applicant_name_masked"] == "Nguyễn V** Đ**"
    assert body["can_give_feedback"] is True
    assert [s["agency"]["identifier"] for s in body["steps"]] == ["000.00.17.H56", "000.00.21.H56"]
    assert set(body["steps"][0]) == {"agency", "task", "started_at", "due_at", "finished_at", "result",
                                     "result_label"}
    assert body["steps"][1]["result"] == "early"


@pytest.mark.parametrize("status", ["processing", "supplement_requested", "returned"])
def test_no_personal_data_without_the_right_key(client, demo, status):
    d = dossier(status)
    plain = client.get(f"/api/v1/lookup/{d.code}")
    assert plain.status_code == 200
    body = plain.get_json()
    assert body["verified"] is False and body["applicant_name_masked"] is None and body["details"] is None
    assert body["status"] == status
    raw = plain.get_data(as_text=True)
    assert all(secret not in raw and json.dumps(secret)[1:-1] not in raw for secret in PERSONAL + [d.lookup_key])
    assert "Thiếu bản vẽ" not in raw
    wrong = client.get(f"/api/v1/lookup/{d.code}?key=ABCDEFGH")
    unknown = client.get("/api/v1/lookup/000.00.17.H56-261102-9999?key=ABCDEFGH")
    assert wrong.status_code == unknown.status_code == 404
    assert wrong.get_json() == unknown.get_json()
    assert wrong.get_json()["error"]["code"] == "not_found"


def test_lookup_by_citizen_id(client, demo):
    d = dossier()
    body = client.get(f"/api/v1/lookup/{d.code}?key={APPLICANT['id_number']}").get_json()
    assert body["verified"] is True and body["applicant_name_masked"] == "Nguyễn V** Đ**"


def test_feedback_after_return_once(client, demo):
    d = dossier("returned")
    response = client.post(f"/api/v1/lookup/{d.code}/feedback",
                           json={"key": d.lookup_key, "rating": "satisfied", "comment": "Nhanh gọn"})
    assert response.status_code == 201
    assert response.get_json() == {
        "code": d.code, "rating": "satisfied", "rating_label": "Hài lòng", "comment": "Nhanh gọn",
        "created_at": response.get_json()["created_at"],
    }
    again = client.post(f"/api/v1/lookup/{d.code}/feedback", json={"key": d.lookup_key, "rating": "satisfied"})
    assert again.status_code == 409 and again.get_json()["error"]["code"] == "feedback_exists"
    view = client.get(f"/api/v1/lookup/{d.code}?key={d.lookup_key}").get_json()
    assert view["feedback"]["rating"] == "satisfied" and view["can_give_feedback"] is False
    assert db.session.scalar(db.select(db.func.count(Feedback.id))) == 1


def test_feedback_before_return_refused(client, demo):
    d = dossier("result_ready")
    response = client.post(f"/api/v1/lookup/{d.code}/feedback?key={d.lookup_key}", json={"rating": "satisfied"})
    assert response.status_code == 409
    assert response.get_json()["error"]["code"] == "not_returned"


@pytest.mark.parametrize("payload,status,code", [
    ({"rating": "satisfied"}, 404, "not_found"),
    ({"rating": "satisfied", "key": "WRONG123"}, 404, "not_found"),
    ({"rating": "excellent", "key": "KEY"}, 422, "invalid"),
    ({"rating": None, "key": "KEY"}, 422, "invalid"),
    ({"rating": "satisfied", "comment": ["x"], "key": "KEY"}, 422, "invalid"),
    ({"rating": "satisfied", "key": 42}, 404, "not_found"),
])
def test_bad_feedback_is_a_clear_json_error(client, demo, payload, status, code):
    d = dossier("returned")
    if payload.get("key") == "KEY":
        payload = dict(payload, key=d.lookup_key)
    response = client.post(f"/api/v1/lookup/{d.code}/feedback", json=payload)
    assert response.status_code == status
    error = response.get_json()["error"]
    assert error["code"] == code and error["message"]


def test_feedback_body_must_be_json(client, demo):
    d = dossier("returned")
    response = client.post(f"/api/v1/lookup/{d.code}/feedback", data="rating=satisfied",
                           content_type="application/x-www-form-urlencoded")
    assert response.status_code == 422
    assert response.get_json()["error"]["code"] == "invalid"


@pytest.mark.config(WTF_CSRF_ENABLED=True)
def test_api_feedback_needs_no_csrf_token(client, demo):
    d = dossier("returned")
    response = client.post(f"/api/v1/lookup/{d.code}/feedback", json={"key": d.lookup_key, "rating": "satisfied"})
    assert response.status_code == 201


@pytest.mark.config(RATELIMIT_ENABLED=True, ONESTOP_LOOKUP_LIMIT="3 per minute")
def test_rate_limit_answers_429_json(client, demo):
    d = dossier()
    for _ in range(3):
        assert client.get(f"/api/v1/lookup/{d.code}?key=GUESS{_}").status_code == 404
    response = client.get(f"/api/v1/lookup/{d.code}?key={d.lookup_key}")
    assert response.status_code == 429
    assert response.get_json()["error"]["code"] == "too_many_requests"
    assert "Retry-After" in response.headers
    for _ in range(3):
        client.post(f"/api/v1/lookup/{d.code}/feedback", json={"key": "WRONG", "rating": "satisfied"})
    response = client.post(f"/api/v1/lookup/{d.code}/feedback", json={"key": "WRONG", "rating": "satisfied"})
    assert response.status_code == 429 and response.get_json()["error"]["code"] == "too_many_requests"


@pytest.mark.parametrize("payload", [{"comment": "a\u0000b"}, {"comment": "\ud800"}, {"key": "\ud800"}])
def test_unstorable_text_is_refused_not_a_500(client, demo, payload):
    d = dossier("returned")
    body = {"key": d.lookup_key, "rating": "satisfied", **payload}
    response = client.post(f"/api/v1/lookup/{d.code}/feedback", json=body)
    assert response.status_code in (400, 404, 422)
    assert db.session.scalar(db.select(db.func.count(Feedback.id))) == 0
