"""The desk's online queue, the citizen's completion and supplement online, and returning citizens' reuse."""
from __future__ import annotations

import io

import pytest
import sqlalchemy as sa
from factories import APPLICANT, user
from test_online_submission import CONTACT, PDF, PNG, PROC, confirm, details, outbox, submit_online, upload

from onestop import workflow
from onestop.extensions import db
from onestop.models import Attachment, Dossier, DossierEvent
from onestop.status import DossierStatus
from onestop.timeutil import now as utcnow


@pytest.fixture
def mail_on(app):
    app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=2525)


@pytest.fixture
def submitted(app, demo, mail_on):
    """A dossier submitted online by a citizen's own browser (client of its own)."""
    citizen = app.test_client()
    dossier = submit_online(citizen)
    return dossier, citizen


def decide(client, dossier, decision, **data):
    data.setdefault("version", str(dossier.version))
    return client.post(f"/reception/online/{dossier.code}/{decision}", data=data)


def answer_upload(client, dossier, files, key=None):
    data = {f"file_{i}": (io.BytesIO(body), name) for i, (body, name) in enumerate(files)}
    data["key"] = key or dossier.lookup_key
    return client.post(f"/thu-tuc/ho-so/{dossier.code}/nop-them", data=data, content_type="multipart/form-data")


def test_the_desk_sees_its_online_queue_from_the_menu(client, auth, submitted):
    dossier, _citizen = submitted
    auth.login("tiepnhan")
    home = client.get("/reception/").get_data(as_text=True)
    assert 'id="nav-online"' in home
    queue = client.get("/reception/online").get_data(as_text=True)
    assert dossier.code in queue and APPLICANT["full_name"] in queue
    page = client.get(f"/reception/online/{dossier.code}").get_data(as_text=True)
    assert "Giấy đề nghị đăng ký doanh nghiệp" in page and "don-de-nghi.pdf" in page


def test_another_desk_and_anonymous_visitors_never_see_it(client, auth, submitted):
    dossier, _citizen = submitted
    assert client.get("/reception/online").status_code in (302, 401)
    auth.login("tiepnhan.phuloc")
    assert dossier.code not in client.get("/reception/online").get_data(as_text=True)
    assert client.get(f"/reception/online/{dossier.code}").status_code == 404
    assert decide(client, dossier, "accept").status_code == 404
    auth.logout()
    auth.login("chuyenvien.khdt")
    assert client.get("/reception/online").status_code == 403


def test_accepting_starts_the_clock_and_tells_the_citizen(client, auth, submitted):
    dossier, _citizen = submitted
    auth.login("tiepnhan")
    before = utcnow()
    assert decide(client, dossier, "accept").status_code == 302
    db.session.expire_all()
    dossier = db.session.get(Dossier, dossier.id)
    assert dossier.status == DossierStatus.RECEIVED and dossier.received_at >= before
    assert dossier.clock_started_at >= before and dossier.due_at > dossier.clock_started_at
    assert [m.recipient for m in outbox("citizen.accept")] == [CONTACT]
    queue = client.get("/reception/online").get_data(as_text=True)
    assert f"<td class=\"font-monospace\">{dossier.code}</td>" not in queue


def test_a_stale_version_does_not_act_twice(client, auth, submitted):
    dossier, _citizen = submitted
    auth.login("tiepnhan")
    version = str(dossier.version)
    decide(client, dossier, "accept", version=version)
    again = decide(client, dossier, "refuse", version=version, reason="Trùng")
    assert again.status_code == 302
    db.session.expire_all()
    assert db.session.get(Dossier, dossier.id).status == DossierStatus.RECEIVED


def test_refusing_needs_a_reason_and_tells_the_citizen(client, auth, submitted):
    dossier, citizen = submitted
    auth.login("tiepnhan")
    empty = decide(client, dossier, "refuse", reason="")
    assert empty.status_code == 422 and "Lý do là bắt buộc." in empty.get_data(as_text=True)
    decide(client, dossier, "refuse", reason="Thủ tục không thuộc thẩm quyền của tỉnh.")
    db.session.expire_all()
    assert db.session.get(Dossier, dossier.id).status == DossierStatus.NOT_ACCEPTED
    [mail] = outbox("citizen.refuse")
    assert mail.recipient == CONTACT and "không thuộc thẩm quyền" in mail.body
    page = citizen.get(f"/lookup/{dossier.code}?key={dossier.lookup_key}").get_data(as_text=True)
    assert "Thủ tục không thuộc thẩm quyền của tỉnh." in page


def test_ask_for_completion_then_the_citizen_completes_online_reusing_the_rest(client, auth, submitted):
    dossier, citizen = submitted
    auth.login("tiepnhan")
    asked = decide(client, dossier, "ask_completion", missing="Bản sao giấy tờ pháp lý của chủ doanh nghiệp",
                   reason="Ảnh chụp bị mờ, không đọc được số giấy tờ.")
    assert asked.status_code == 302
    db.session.expire_all()
    dossier = db.session.get(Dossier, dossier.id)
    assert dossier.status == DossierStatus.SUBMITTED and dossier.completion_requested_at is not None
    [told] = outbox("online.ask_completion")
    assert told.recipient == CONTACT and "Ảnh chụp bị mờ" in told.body and "Bản sao giấy tờ pháp lý" in told.body

    page = citizen.get(f"/lookup/{dossier.code}?key={dossier.lookup_key}").get_data(as_text=True)
    assert 'id="online-answer"' in page and "Bản sao giấy tờ pháp lý của chủ doanh nghiệp" in page
    # Without the key, nothing of it.
    assert 'id="online-answer"' not in citizen.get(f"/lookup/{dossier.code}").get_data(as_text=True)
    assert answer_upload(citizen, dossier, [(PNG, "cccd-ro.png")]).status_code == 303
    db.session.expire_all()
    dossier = db.session.get(Dossier, dossier.id)
    assert dossier.completion_requested_at is None
    scans = db.session.execute(sa.select(Attachment).where(Attachment.dossier_id == dossier.id)).scalars().all()
    assert len(scans) == 3  # the two first uploads are kept; the clearer copy is added
    event = db.session.execute(sa.select(DossierEvent).where(DossierEvent.dossier_id == dossier.id)
                               .order_by(DossierEvent.id.desc()).limit(1)).scalar_one()
    assert event.action == "online_completion" and "Bản sao giấy tờ pháp lý" in event.note
    desk = client.get(f"/reception/online/{dossier.code}").get_data(as_text=True)
    assert "cccd-ro.png" in desk and "Công dân hoàn thiện hồ sơ trực tuyến" in desk
    assert decide(client, dossier, "accept").status_code == 302


def test_a_wrong_key_or_a_bad_file_saves_nothing(client, auth, submitted):
    dossier, citizen = submitted
    auth.login("tiepnhan")
    decide(client, dossier, "ask_completion", reason="Thiếu trang 2.")
    assert answer_upload(citizen, dossier, [(PDF, "x.pdf")], key="WRONGKEY99").status_code == 404
    bad = answer_upload(citizen, dossier, [(b"GIF89a....", "x.pdf")])
    assert bad.status_code == 422 and "không phải PDF, JPEG hoặc PNG" in bad.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.execute(sa.select(sa.func.count()).select_from(Attachment)
                              .where(Attachment.dossier_id == dossier.id)).scalar_one() == 2
    assert db.session.get(Dossier, dossier.id).completion_requested_at is not None


def test_the_agency_gets_an_online_supplement_without_a_trip_to_the_desk(client, auth, submitted):
    dossier, citizen = submitted
    clerk, specialist = user("tiepnhan"), user("chuyenvien.khdt")
    workflow.accept(dossier, actor=clerk, version=dossier.version)
    workflow.forward(dossier, actor=clerk, version=dossier.version)
    workflow.request_supplement(dossier, actor=specialist, version=dossier.version, reason="Thiếu chữ ký.",
                                documents=["Giấy đề nghị có chữ ký của chủ doanh nghiệp"])
    db.session.commit()
    page = citizen.get(f"/lookup/{dossier.code}?key={dossier.lookup_key}").get_data(as_text=True)
    assert "Nộp bổ sung trực tuyến" in page and "Giấy đề nghị có chữ ký của chủ doanh nghiệp" in page
    assert answer_upload(citizen, dossier, [(PDF, "don-co-chu-ky.pdf")]).status_code == 303
    page = citizen.get(f"/lookup/{dossier.code}?key={dossier.lookup_key}").get_data(as_text=True)
    assert 'id="online-answer-sent"' in page
    db.session.expire_all()
    event = db.session.execute(sa.select(DossierEvent).where(DossierEvent.dossier_id == dossier.id,
                                                             DossierEvent.action == "online_supplement")
                               ).scalar_one()
    [att_id] = event.data["attachments"]
    att = db.session.get(Attachment, att_id)
    assert att.document_name == "Giấy đề nghị có chữ ký của chủ doanh nghiệp" and att.dossier_id == dossier.id
    auth.login("chuyenvien.khdt")
    staff = client.get(f"/processing/dossiers/{dossier.code}")
    html = staff.get_data(as_text=True)
    assert staff.status_code == 200 and "Công dân nộp bổ sung trực tuyến" in html
    row = html.split("Công dân nộp bổ sung trực tuyến", 1)[1].split("</tr>", 1)[0]
    assert "Người nộp hồ sơ (trực tuyến)" in row and "Hệ thống" not in row  # who did it, in the history
    assert client.get(f"/reception/files/{att_id}").status_code == 200


def test_a_returning_citizen_reuses_earlier_scans_and_nobody_else_sees_them(app, demo, mail_on):
    first = app.test_client()
    earlier = submit_online(first)
    earlier_ids = {a.id for a in db.session.execute(sa.select(Attachment)
                                                     .where(Attachment.dossier_id == earlier.id)).scalars()}
    # The same citizen, another browser: the same ID number and contact, proved again.
    again = app.test_client()
    details(again)
    confirm(again)
    page = again.get(f"/thu-tuc/{PROC}/nop/giay-to").get_data(as_text=True)
    assert "dùng lại giấy tờ ông/bà đã nộp trước đây" in page.lower() or "Hoặc dùng lại" in page
    [first_id, second_id] = sorted(earlier_ids)
    assert upload(again, [], reuse_0=str(first_id), reuse_1=str(second_id)).status_code == 302
    assert again.post(f"/thu-tuc/{PROC}/nop/gui").status_code == 303
    dossier = db.session.execute(sa.select(Dossier).order_by(Dossier.id.desc()).limit(1)).scalar_one()
    reused = db.session.execute(sa.select(Attachment.reused_from_id).where(Attachment.dossier_id == dossier.id)
                                ).scalars().all()
    assert set(reused) == earlier_ids

    # Someone else (another ID number) with their own confirmed contact is offered nothing, and cannot take it.
    other = app.test_client()
    details(other, dict(APPLICANT, id_number="079199001234", full_name="Trần Thị Bé"), contact="be.tran@example.vn")
    confirm(other, contact="be.tran@example.vn")
    page = other.get(f"/thu-tuc/{PROC}/nop/giay-to").get_data(as_text=True)
    assert "Hoặc dùng lại" not in page and "don-de-nghi.pdf" not in page
    stolen = upload(other, [], reuse_0=str(first_id))
    assert stolen.status_code == 422 and "chỉ dùng lại giấy tờ của chính ông/bà" in stolen.get_data(as_text=True)
    # The same ID number with a contact that is not the citizen's is offered nothing either.
    impostor = app.test_client()
    details(impostor, contact="ke.mao.danh@example.vn")
    confirm(impostor, contact="ke.mao.danh@example.vn")
    assert "don-de-nghi.pdf" not in impostor.get(f"/thu-tuc/{PROC}/nop/giay-to").get_data(as_text=True)


def test_reused_documents_count_for_the_766_reuse_indicator(app, demo, mail_on):
    """reports/score766.py counts a dossier as reusing digitised papers when an attachment has reused_from_id."""
    first = app.test_client()
    earlier = submit_online(first)
    ids = sorted(a.id for a in db.session.execute(sa.select(Attachment)
                                                   .where(Attachment.dossier_id == earlier.id)).scalars())
    again = app.test_client()
    details(again)
    confirm(again)
    upload(again, [], reuse_0=str(ids[0]), reuse_1=str(ids[1]))
    again.post(f"/thu-tuc/{PROC}/nop/gui")
    reusing = sa.select(sa.func.count(sa.distinct(Attachment.dossier_id))).where(Attachment.reused_from_id.is_not(None))
    assert db.session.execute(reusing).scalar_one() == 1
