"""The leads page, the rating form's questions, the desk's contact check, the API's feedback fields."""
from __future__ import annotations

import json
import re
from datetime import timedelta

import pytest
import sqlalchemy as sa
from factories import APPLICANT, act, receive, vn

from onestop import accounts
from onestop.extensions import db
from onestop.models import AuditLog, Dossier, Feedback, LeadReview, OutboxMessage, Pakn
from onestop.status import PaknStatus
from onestop.timeutil import now as utcnow

PHONE = "0987000111"


def returned(applicant=None):
    d = receive("1.009994", at=vn(2026, 11, 2, 9, 0), applicant=applicant)
    act(d, "forward", "tiepnhan", at=vn(2026, 11, 2, 10, 0))
    act(d, "complete", "chuyenvien", at=vn(2026, 11, 5, 9, 0))
    act(d, "return", "tiepnhan", at=vn(2026, 11, 6, 9, 0), collected_by=(applicant or APPLICANT)["full_name"])
    return d


@pytest.fixture
def inspector(demo):
    accounts.create_user("thanhtra", role="inspector", agency_identifier="000.00.00.H56",
                         full_name="Thanh Tra Viên", password="mèo vàng ăn cá kho")
    db.session.commit()


@pytest.fixture
def broker(demo):
    now = utcnow()
    for i in range(8):
        receive("1.004227", at=now - timedelta(days=i + 1), commit=False,
                applicant={"full_name": f"Người Thứ {i}", "id_number": f"00120300{i:04d}", "phone": PHONE})
    db.session.commit()


def test_leads_page_for_inspectors_and_leaders_only(client, auth, inspector, broker):
    assert client.get("/integrity/").status_code == 302  # sign in first
    auth.login("tiepnhan")
    assert client.get("/integrity/").status_code == 403
    auth.logout()
    auth.login("thanhtra", "mèo vàng ăn cá kho")
    page = client.get("/integrity/").get_data(as_text=True)
    assert PHONE in page and "không phải kết luận" in page
    lead = client.get(f"/integrity/lead?kind=shared_phone&key={PHONE}")
    html = lead.get_data(as_text=True)
    assert lead.status_code == 200 and html.count("Người Thứ") == 8

    # Marking it reviewed needs a note, and is audited.
    assert client.post("/integrity/lead", data={"kind": "shared_phone", "key": PHONE, "note": ""}).status_code == 422
    done = client.post("/integrity/lead", data={"kind": "shared_phone", "key": PHONE, "note": "Đã xác minh: dịch vụ "
                                                                                               "làm hồ sơ hộ."})
    assert done.status_code == 302
    assert db.session.execute(sa.select(LeadReview.note)).scalar_one().startswith("Đã xác minh")
    assert db.session.execute(sa.select(AuditLog).filter_by(action="integrity.review")).scalar_one()
    assert "Đã xác minh" in client.get(done.headers["Location"]).get_data(as_text=True)


def test_rating_form_asks_and_a_yes_to_money_opens_a_pakn_for_inspection(client, inspector):
    d = returned()
    html = client.get(f"/lookup/{d.code}/feedback?key={d.lookup_key}").get_data(as_text=True)
    assert "đòi tiền" in html and "nhiều lần" in html and "không gửi cho cán bộ tiếp nhận" in html
    r = client.post(f"/lookup/{d.code}/feedback", data={"key": d.lookup_key, "rating": "not_satisfied",
                                                          "asked_money": "yes", "came_again": "yes",
                                                          "comment": "Có người ngoài cổng đòi 500 nghìn"})
    assert r.status_code == 302
    page = client.get(r.headers["Location"]).get_data(as_text=True)
    fb = db.session.execute(sa.select(Feedback)).scalar_one()
    assert (fb.asked_money, fb.came_again) == (True, True)
    item = db.session.execute(sa.select(Pakn)).scalar_one()
    assert item.anonymous and item.dossier_id is None and item.status == PaknStatus.OPEN
    assert item.agency.identifier == "000.00.00.H56" and d.code in item.content
    assert item.code in page, "the citizen can follow it"
    assert fb.pakn_id == item.id

    # The inspection staff see it beside the dossier in the desk's "asked for money" lead.
    client.post("/auth/logout")
    client.post("/auth/login", data={"username": "thanhtra", "password": "mèo vàng ăn cá kho"})
    lead = client.get("/integrity/lead?kind=money_asked&key=000.00.17.H56&days=366").get_data(as_text=True)
    assert d.code in lead and item.code in lead
    # They land on the leads after signing in, find the report among their agency's PAKN and answer it.
    assert client.get("/").headers["Location"].endswith("/integrity/")
    assert item.code in client.get("/pakn/staff").get_data(as_text=True)
    answered = client.post(f"/pakn/staff/{item.code}", data={"answer": "Đã tiếp nhận, đang xác minh tại cổng."})
    assert answered.status_code == 302
    db.session.expire_all()
    assert db.session.get(Pakn, item.id).status == PaknStatus.ANSWERED


def test_skipping_the_questions_records_nothing(client, demo):
    d = returned()
    client.post(f"/lookup/{d.code}/feedback", data={"key": d.lookup_key, "rating": "satisfied",
                                                     "asked_money": "", "came_again": "no"})
    fb = db.session.execute(sa.select(Feedback)).scalar_one()
    assert (fb.asked_money, fb.came_again) == (None, False)
    assert db.session.execute(sa.select(sa.func.count()).select_from(Pakn)).scalar_one() == 0


def test_the_api_feedback_takes_the_same_fields(client, demo):
    d = returned()
    bad = client.post(f"/api/v1/lookup/{d.code}/feedback", json={"key": d.lookup_key, "rating": "satisfied",
                                                                  "asked_money": "maybe"})
    assert bad.status_code == 422 and "có hoặc không" in bad.get_json()["error"]["message"]
    r = client.post(f"/api/v1/lookup/{d.code}/feedback", json={"key": d.lookup_key, "rating": "satisfied",
                                                                "asked_money": True, "came_again": False})
    body = r.get_json()
    assert r.status_code == 201 and body["asked_money"] is True and body["came_again"] is False
    assert body["pakn"]["code"].startswith("PAKN-")


def test_the_desk_confirms_the_applicants_own_phone(client, auth, app, demo):
    app.config.update(ONESTOP_SMS_GATEWAY_URL="http://127.0.0.1:9/sms")
    for i in range(3):  # the same phone on other applicants' dossiers
        receive("1.009994", applicant={"full_name": f"Người Khác {i}", "id_number": f"07909000{i:04d}",
                                       "phone": APPLICANT["phone"]})
    d = receive("1.009994")
    auth.login("tiepnhan")
    page = client.get(f"/reception/dossiers/{d.code}").get_data(as_text=True)
    assert "3 người nộp khác" in page and "Gửi mã tới" in page
    r = client.post(f"/reception/dossiers/{d.code}/contact/send", data={"contact": "phone"})
    assert r.status_code == 302
    message = db.session.execute(sa.select(OutboxMessage).where(OutboxMessage.kind == "otp.desk_contact")).scalar_one()
    code = re.search(r"\b(\d{6})\b", json.loads(message.body)["text"]).group(1)
    wrong = "000000" if code != "000000" else "111111"
    client.post(f"/reception/dossiers/{d.code}/contact/confirm", data={"contact": "phone", "code": wrong})
    assert db.session.get(Dossier, d.id).contact_confirmed is None
    client.post(f"/reception/dossiers/{d.code}/contact/confirm", data={"contact": "phone", "code": code})
    db.session.expire_all()
    assert db.session.get(Dossier, d.id).contact_confirmed == APPLICANT["phone"]
    assert "Đã xác nhận" in client.get(f"/reception/dossiers/{d.code}").get_data(as_text=True)
    assert db.session.execute(sa.select(AuditLog).filter_by(action="dossier.contact_confirmed")).scalar_one()


def test_another_desk_cannot_confirm(client, auth, app, demo):
    app.config.update(ONESTOP_SMS_GATEWAY_URL="http://127.0.0.1:9/sms")
    d = receive("1.009994")
    auth.login("tiepnhan.tanphu")
    assert client.post(f"/reception/dossiers/{d.code}/contact/send", data={"contact": "phone"}).status_code == 403
