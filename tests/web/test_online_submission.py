"""Online submission from the catalogue: details, a confirmed contact, one upload per document, one dossier."""
from __future__ import annotations

import io
import re
from datetime import timedelta

import pytest
import sqlalchemy as sa
from factories import APPLICANT

from onestop.extensions import db
from onestop.models import Attachment, Dossier, DossierEvent, OnlineDraft, OnlineDraftFile, OutboxMessage
from onestop.status import Channel, DossierStatus
from onestop.timeutil import now as utcnow

PROC = "2.001610"  # offered fully online, two required documents, received at the provincial centre
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
CONTACT = "duc.nguyen@example.vn"


@pytest.fixture
def mail_on(app):
    app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=2525)


def outbox(kind_prefix=""):
    return [m for m in db.session.execute(sa.select(OutboxMessage).order_by(OutboxMessage.id)).scalars()
            if (m.kind or "").startswith(kind_prefix)]


def last_code(contact=CONTACT) -> str:
    [*_, message] = [m for m in outbox("otp.") if contact in (m.recipient, m.body)]
    return re.search(r"Mã xác nhận (\d{6})", message.body).group(1)


def details(client, applicant=None, contact=CONTACT, code=PROC):
    data = dict(applicant or APPLICANT, contact=contact)
    return client.post(f"/thu-tuc/{code}/nop", data=data)


def confirm(client, contact=CONTACT, code=PROC):
    client.post(f"/thu-tuc/{code}/nop/xac-nhan", data={"action": "send"})
    return client.post(f"/thu-tuc/{code}/nop/xac-nhan", data={"action": "confirm", "code": last_code(contact)})


def upload(client, files, code=PROC, **extra):
    data = {f"file_{i}": (io.BytesIO(body), name) for i, (body, name) in enumerate(files) if body is not None}
    data.update(extra)
    return client.post(f"/thu-tuc/{code}/nop/giay-to", data=data, content_type="multipart/form-data")


def submit_online(client, applicant=None, contact=CONTACT):
    """The whole journey; returns the dossier."""
    assert details(client, applicant, contact).status_code == 302
    assert confirm(client, contact).status_code == 302
    assert upload(client, [(PDF, "don-de-nghi.pdf"), (PNG, "cccd.png")]).status_code == 302
    done = client.post(f"/thu-tuc/{PROC}/nop/gui")
    assert done.status_code == 303
    return db.session.execute(sa.select(Dossier).order_by(Dossier.id.desc()).limit(1)).scalar_one()


def test_the_procedure_page_offers_online_submission_only_when_offered(client, demo):
    assert 'id="submit-online"' in client.get(f"/thu-tuc/{PROC}").get_data(as_text=True)
    assert 'id="submit-online"' not in client.get("/thu-tuc/2.000815").get_data(as_text=True)
    assert client.get("/thu-tuc/2.000815/nop").status_code == 404


def test_a_citizen_submits_online_and_gets_the_code_and_key_on_screen_and_by_mail(client, demo, mail_on):
    page = client.get(f"/thu-tuc/{PROC}/nop").get_data(as_text=True)
    assert "Họ và tên người nộp" in page and "Nhận mã xác nhận và thông báo qua" in page
    dossier = submit_online(client)
    assert dossier.status == DossierStatus.SUBMITTED and dossier.channel == Channel.ONLINE
    assert dossier.contact_confirmed == CONTACT
    scans = db.session.execute(sa.select(Attachment).where(Attachment.dossier_id == dossier.id)
                               .order_by(Attachment.id)).scalars().all()
    assert [a.document_name for a in scans] == ["Giấy đề nghị đăng ký doanh nghiệp",
                                               "Bản sao giấy tờ pháp lý của chủ doanh nghiệp"]
    done = client.get(f"/thu-tuc/{PROC}/nop/xong").get_data(as_text=True)
    assert dossier.code in done and dossier.lookup_key in done
    [notice] = outbox("online.submitted")
    assert notice.recipient == CONTACT and dossier.code in notice.body and dossier.lookup_key in notice.body
    # The draft's files now belong to the dossier.
    assert db.session.execute(sa.select(sa.func.count()).select_from(OnlineDraftFile)).scalar_one() == 0


def test_a_double_click_or_a_retry_makes_one_dossier(client, demo, mail_on):
    submit_online(client)
    again = client.post(f"/thu-tuc/{PROC}/nop/gui")
    assert again.status_code == 303 and again.headers["Location"].endswith(f"/thu-tuc/{PROC}/nop/xong")
    assert db.session.execute(sa.select(sa.func.count()).select_from(Dossier)).scalar_one() == 1
    assert len(outbox("online.submitted")) == 1


def test_applicant_details_are_checked_as_at_the_desk(client, demo):
    bad = details(client, dict(APPLICANT, id_number="12345"))
    assert bad.status_code == 422 and "Số CCCD phải gồm đúng 12 chữ số." in bad.get_data(as_text=True)
    bad = details(client, contact="not a contact")
    assert bad.status_code == 422 and "email hoặc số điện thoại" in bad.get_data(as_text=True)
    assert db.session.execute(sa.select(sa.func.count()).select_from(OnlineDraft)).scalar_one() == 0


def test_a_wrong_code_is_refused_clearly_and_counted(client, demo, mail_on):
    details(client)
    client.post(f"/thu-tuc/{PROC}/nop/xac-nhan", data={"action": "send"})
    wrong = client.post(f"/thu-tuc/{PROC}/nop/xac-nhan", data={"action": "confirm", "code": "000000"
                        if last_code() != "000000" else "111111"})
    assert wrong.status_code == 422 and "Mã xác nhận không đúng. Còn 4 lần thử." in wrong.get_data(as_text=True)
    # Without a confirmed contact the documents step is not open.
    assert client.get(f"/thu-tuc/{PROC}/nop/giay-to").status_code == 302
    assert db.session.execute(sa.select(OnlineDraft)).scalar_one().contact_confirmed_at is None


def test_an_expired_code_is_refused(client, demo, mail_on):
    from onestop.models import OneTimeCode
    details(client)
    client.post(f"/thu-tuc/{PROC}/nop/xac-nhan", data={"action": "send"})
    code = last_code()
    db.session.execute(sa.update(OneTimeCode).values(expires_at=utcnow() - timedelta(minutes=1)))
    db.session.commit()
    late = client.post(f"/thu-tuc/{PROC}/nop/xac-nhan", data={"action": "confirm", "code": code})
    assert late.status_code == 422 and "Mã xác nhận đã hết hạn" in late.get_data(as_text=True)


def test_disguised_and_oversize_uploads_are_refused_and_nothing_is_kept(app, client, demo, mail_on):
    details(client)
    confirm(client)
    disguised = upload(client, [(b"MZ\x90\x00 not a pdf", "don.pdf"), (PNG, "cccd.png")])
    assert disguised.status_code == 422
    assert "không phải PDF, JPEG hoặc PNG" in disguised.get_data(as_text=True)
    assert db.session.execute(sa.select(sa.func.count()).select_from(OnlineDraftFile)).scalar_one() == 0
    app.config["ONESTOP_UPLOAD_MAX_BYTES"] = 1000
    big = upload(client, [(PDF + b"0" * 2000, "don.pdf")])
    assert big.status_code == 422 and "vượt quá dung lượng cho phép" in big.get_data(as_text=True)
    assert db.session.execute(sa.select(sa.func.count()).select_from(OnlineDraftFile)).scalar_one() == 0
    # A submission with documents missing is not made.
    client.post(f"/thu-tuc/{PROC}/nop/gui")
    assert db.session.execute(sa.select(sa.func.count()).select_from(Dossier)).scalar_one() == 0


def test_a_citizen_who_leaves_comes_back_to_the_draft_until_it_expires(client, demo, mail_on):
    details(client)
    confirm(client)
    upload(client, [(PDF, "don.pdf")])  # one of two, then the citizen leaves
    back = client.get(f"/thu-tuc/{PROC}/nop").get_data(as_text=True)
    assert APPLICANT["full_name"] in back and APPLICANT["id_number"] in back
    docs = client.get(f"/thu-tuc/{PROC}/nop/giay-to").get_data(as_text=True)
    assert 'id="have-0"' in docs and "don.pdf" in docs and 'id="have-1"' not in docs
    draft = db.session.execute(sa.select(OnlineDraft)).scalar_one()
    draft.expires_at = utcnow() - timedelta(seconds=1)
    db.session.commit()
    gone = client.get(f"/thu-tuc/{PROC}/nop/giay-to")
    assert gone.status_code == 302 and gone.headers["Location"].endswith(f"/thu-tuc/{PROC}/nop")
    assert APPLICANT["id_number"] not in client.get(f"/thu-tuc/{PROC}/nop").get_data(as_text=True)


def test_the_draft_cookie_holds_only_a_token_never_stored_in_clear(client, demo):
    response = details(client)
    cookie = re.search(r"onestop_draft=([^;]+)", response.headers["Set-Cookie"]).group(1)
    assert "HttpOnly" in response.headers["Set-Cookie"]
    draft = db.session.execute(sa.select(OnlineDraft)).scalar_one()
    assert draft.token_hash != cookie and len(draft.token_hash) == 64


@pytest.mark.config(RATELIMIT_ENABLED=True, ONESTOP_ONLINE_SEND_LIMIT="2 per hour")
def test_sending_codes_and_submitting_are_rate_limited_per_address(client, demo, mail_on):
    details(client)
    for _i in range(2):
        assert client.post(f"/thu-tuc/{PROC}/nop/xac-nhan", data={"action": "send"}).status_code == 302
    third = client.post(f"/thu-tuc/{PROC}/nop/xac-nhan", data={"action": "send"})
    assert third.status_code == 429 and "Có quá nhiều yêu cầu" in third.get_data(as_text=True)


def test_too_many_codes_to_one_contact_are_refused(client, demo, mail_on):
    details(client)
    for _i in range(5):
        client.post(f"/thu-tuc/{PROC}/nop/xac-nhan", data={"action": "send"})
    sixth = client.post(f"/thu-tuc/{PROC}/nop/xac-nhan", data={"action": "send"})
    assert sixth.status_code == 422 and "Đã gửi quá nhiều mã xác nhận" in sixth.get_data(as_text=True)


def test_phone_contacts_get_their_code_and_dossier_code_by_sms(app, client, demo):
    app.config["ONESTOP_SMS_GATEWAY_URL"] = "http://127.0.0.1:9/sms"
    details(client, contact="0912345678")
    client.post(f"/thu-tuc/{PROC}/nop/xac-nhan", data={"action": "send"})
    [message] = outbox("otp.")
    code = re.search(r"Mã xác nhận (\d{6})", message.body).group(1)
    assert message.channel == "webhook"
    client.post(f"/thu-tuc/{PROC}/nop/xac-nhan", data={"action": "confirm", "code": code})
    upload(client, [(PDF, "a.pdf"), (PDF, "b.pdf")])
    client.post(f"/thu-tuc/{PROC}/nop/gui")
    [sms] = outbox("online.submitted")
    dossier = db.session.execute(sa.select(Dossier)).scalar_one()
    assert sms.channel == "webhook" and '"to":"0912345678"' in sms.body and dossier.lookup_key in sms.body


def test_the_history_records_the_online_submission(client, demo, mail_on):
    dossier = submit_online(client)
    [event] = db.session.execute(sa.select(DossierEvent).where(DossierEvent.dossier_id == dossier.id)).scalars()
    assert event.action == "submit" and event.actor_id is None


def test_online_submissions_are_limited_per_contact(app, client, demo, mail_on, monkeypatch):
    from onestop import submission
    monkeypatch.setattr(submission, "MAX_PER_CONTACT_PER_DAY", 1)
    submit_online(client)
    second = app.test_client()
    details(second)
    confirm(second)
    upload(second, [(PDF, "a.pdf"), (PDF, "b.pdf")])
    refused = second.post(f"/thu-tuc/{PROC}/nop/gui", follow_redirects=True)
    assert "đã nộp 1 hồ sơ trực tuyến trong 24 giờ qua" in refused.get_data(as_text=True)
    assert db.session.execute(sa.select(sa.func.count()).select_from(Dossier)).scalar_one() == 1
