"""Dossiers driven through their whole life entirely over the JSON API."""
from __future__ import annotations

import re
from datetime import datetime, timedelta

from conftest import PREFIX

CENTRE, XD, TNMT = "000.00.17.H56", "000.00.21.H56", "000.00.22.H56"
ISO_VN = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+07:00$")


def test_intake_answers_201_with_the_dossier_and_its_location(api):
    response = api.post("/dossiers", {
        "procedure_code": "1.004227", "channel": "counter",
        "applicant": {"full_name": "Trần Thị Bích", "id_number": "079190001234", "phone": "0987654321"},
        "documents": [{"name": "Đơn đề nghị", "originals": 1, "copies": 2}],
    }, as_="tiepnhan")
    assert response.status_code == 201
    d = response.get_json()
    assert response.headers["Location"].endswith(f"{PREFIX}/dossiers/{d['code']}")
    assert re.match(r"^000\.00\.17\.H56-\d{6}-0001$", d["code"])
    assert d["status"] == "received" and d["status_code"] == 2 and d["status_label"] == "Được tiếp nhận"
    assert d["deadline_state"] == "on_time"
    assert d["procedure"]["code"] == "1.004227" and d["procedure"]["name"]
    assert d["applicant"] == {"full_name": "Trần Thị Bích", "id_number": "079190001234", "phone": "0987654321",
                              "email": None, "address": None, "tax_code": None}
    assert d["channel"] == "counter"
    assert ISO_VN.match(d["received_at"]) and ISO_VN.match(d["due_at"])
    assert d["finished_at"] is None
    assert d["current_agency"] == {"identifier": CENTRE, "name": d["current_agency"]["name"]}
    assert d["lookup_key"] and d["version"] >= 1
    assert d["documents"] == [{"name": "Đơn đề nghị", "originals": 1, "copies": 2, "certified_copies": 0}]
    assert [s["agency"]["identifier"] for s in d["steps"]] == [CENTRE, TNMT, XD]
    assert [h["action"] for h in d["history"]] == ["intake"]
    assert d["history"][0]["by"]["username"] == "tiepnhan"
    assert "forward" in d["available_actions"]

    again = api.get(f"/dossiers/{d['code']}", as_="tiepnhan")
    assert again.status_code == 200 and again.get_json()["code"] == d["code"]


def test_two_agency_route_with_supplement_to_return(api):
    d = api.intake()
    d = api.act(d, "forward", "tiepnhan")
    assert d["status"] == "processing" and d["current_agency"]["identifier"] == TNMT

    d = api.act(d, "forward", "chuyenvien.tnmt")
    assert d["current_agency"]["identifier"] == XD
    hand_over = d["history"][-1]
    assert hand_over["action"] == "forward"
    assert hand_over["from_agency"]["identifier"] == TNMT and hand_over["to_agency"]["identifier"] == XD
    assert hand_over["step_result"] in ("early", "on_time") and ISO_VN.match(hand_over["step_due_at"])

    d = api.act(d, "request_supplement", "chuyenvien", reason="Thiếu bản vẽ",
                documents=["Bản vẽ thiết kế"])
    assert d["status"] == "supplement_requested" and d["status_code"] == 5
    assert d["history"][-1]["details"] == {"documents": ["Bản vẽ thiết kế"]}
    assert d["history"][-1]["note"] == "Thiếu bản vẽ"

    d = api.act(d, "supplement_received", "tiepnhan")
    assert d["status"] == "processing" and d["supplement_count"] == 1

    d = api.act(d, "complete", "chuyenvien")
    assert d["status"] == "result_ready" and d["current_agency"]["identifier"] == CENTRE
    assert ISO_VN.match(d["finished_at"])

    d = api.act(d, "return", "tiepnhan", collected_by="Nguyễn Văn Đức")
    assert d["status"] == "returned" and d["status_label"] == "Đã trả kết quả"
    assert d["collected_by"] == "Nguyễn Văn Đức"
    assert d["deadline_state"] in ("early", "on_time")
    assert [h["action"] for h in d["history"]] == [
        "intake", "forward", "forward", "request_supplement", "supplement_received", "complete", "return"]
    assert all(set(h) >= {"action", "at", "by", "from_agency", "to_agency", "step_due_at", "step_result", "note"}
               for h in d["history"])
    assert d["available_actions"] == []


def test_online_dossier_waits_as_submitted_and_can_be_refused(api):
    received_at = (datetime.now().astimezone() - timedelta(hours=2)).isoformat()
    d = api.intake(channel="online", received_at=received_at)
    assert d["status"] == "submitted" and d["status_label"] == "Mới đăng ký"

    missing_reason = api.act(d, "refuse", "tiepnhan", expect=422)
    assert missing_reason["error"]["field"] == "reason"

    d = api.act(d, "refuse", "tiepnhan", reason="Hồ sơ không thuộc thẩm quyền")
    assert d["status"] == "not_accepted" and d["status_code"] == 3
    assert d["history"][-1]["note"] == "Hồ sơ không thuộc thẩm quyền"
    assert d["finished_at"] is not None


def test_online_dossier_accepted_then_processed(api):
    d = api.intake(channel="online")
    d = api.act(d, "accept", "tiepnhan")
    assert d["status"] == "received"


def test_agency_stops_processing(api):
    d = api.act(api.intake(), "forward", "tiepnhan")
    d = api.act(d, "stop", "lanhdao.tnmt", reason="Không đủ điều kiện cấp")
    assert d["status"] == "stopped" and d["status_label"] == "Dừng xử lý"
    assert d["current_agency"]["identifier"] == CENTRE
    assert api.act(d, "forward", "lanhdao.tnmt", expect=409)["error"]["code"] == "invalid_transition"


def test_citizen_withdraws(api):
    d = api.intake()
    d = api.act(d, "withdraw", "tiepnhan", reason="Công dân xin rút hồ sơ")
    assert d["status"] == "withdrawn" and d["status_code"] == 7


def test_payment_request_and_receipt(api):
    d = api.act(api.intake(), "forward", "tiepnhan")
    bad = api.act(d, "request_payment", "chuyenvien.tnmt", amount=-5, expect=422)
    assert bad["error"]["field"] == "amount"
    d = api.act(d, "request_payment", "chuyenvien.tnmt", amount=150000)
    assert d["status"] == "awaiting_payment" and d["payment_amount"] == 150000
    d = api.act(d, "payment_received", "chuyenvien.tnmt")
    assert d["status"] == "processing"


def test_apology_moves_the_appointment_once(api):
    d = api.act(api.intake(), "forward", "tiepnhan")
    old_due = datetime.fromisoformat(d["due_at"])
    new_due = (old_due + timedelta(days=7)).isoformat()

    bad = api.act(d, "apologize", "chuyenvien.tnmt", reason="Chờ xác minh", new_due_at="ngày mai", expect=422)
    assert bad["error"]["field"] == "new_due_at"

    d = api.act(d, "apologize", "chuyenvien.tnmt", reason="Chờ xác minh thực địa", new_due_at=new_due)
    assert datetime.fromisoformat(d["due_at"]) == old_due + timedelta(days=7)
    assert datetime.fromisoformat(d["original_due_at"]) == old_due
    assert d["apology_reason"] == "Chờ xác minh thực địa"

    again = api.act(d, "apologize", "chuyenvien.tnmt", reason="Lần nữa",
                    new_due_at=(old_due + timedelta(days=9)).isoformat(), expect=409)
    assert again["error"]["code"] == "apology_used"


def test_receipt_pdf(api):
    d = api.intake()
    response = api.get(f"/dossiers/{d['code']}/receipt.pdf", as_="tiepnhan")
    assert response.status_code == 200
    assert response.mimetype == "application/pdf"
    assert response.data.startswith(b"%PDF")
    assert d["code"] in response.headers["Content-Disposition"]

    online = api.intake(channel="online")
    refused = api.get(f"/dossiers/{online['code']}/receipt.pdf", as_="tiepnhan")
    assert refused.status_code == 409 and refused.get_json()["error"]["message"]
