"""The reception desk as a clerk uses it: intake, slips, queue, scans, hand-over, returns, register."""
import io
from datetime import datetime, timedelta

import openpyxl
import pypdf
import pytest
from factories import APPLICANT, act, procedure, receive, vn

from onestop import workflow
from onestop.extensions import db
from onestop.models import Attachment, CodeSequence, Dossier
from onestop.timeutil import local
from onestop.timeutil import now as utcnow

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00" + b"\x00" * 200


def pdf_text(data: bytes) -> str:
    return " ".join(" ".join(p.extract_text() for p in pypdf.PdfReader(io.BytesIO(data)).pages).split())


def intake_data(code="1.009994", outcome="accept", unchecked=(), **overrides):
    """What the intake form posts: every document ticked with the procedure's counts, a valid applicant."""
    proc = procedure(code)
    data = {"procedure_code": code, "outcome": outcome, "channel": "counter", "fee": str(proc.fee), "sets": "1",
            "full_name": APPLICANT["full_name"], "id_number": APPLICANT["id_number"], "phone": APPLICANT["phone"],
            "email": APPLICANT["email"], "address": APPLICANT["address"]}
    for i, doc in enumerate(proc.documents):
        data[f"documents-{i}-name"] = doc.name
        data[f"documents-{i}-originals"] = str(doc.originals)
        data[f"documents-{i}-certified_copies"] = "0"
        data[f"documents-{i}-copies"] = str(doc.copies)
        if i not in unchecked:
            data[f"documents-{i}-received"] = "y"
    data.update(overrides)
    return data


def dossier_count() -> int:
    return db.session.execute(db.select(db.func.count(Dossier.id))).scalar_one()


@pytest.fixture
def clerk(demo, auth):
    auth.login("tiepnhan")
    return auth


def html(resp) -> str:
    return resp.get_data(as_text=True)


# -- intake ----------------------------------------------------------------

def test_intake_creates_one_dossier_with_code_and_appointment(clerk, client):
    resp = client.post("/reception/intake", data=intake_data("1.009994"))
    assert resp.status_code == 302
    assert dossier_count() == 1
    d = db.session.execute(db.select(Dossier)).scalar_one()
    today = local(utcnow()).date()
    assert d.code == f"000.00.17.H56-{today:%y%m%d}-0001"
    assert resp.headers["Location"].startswith(f"/reception/dossiers/{d.code}")
    assert d.status == "received" and d.channel == "counter"
    assert d.due_at == workflow.preview(d.procedure, d.received_at).due_at
    assert [doc.name for doc in d.documents] == [doc.name for doc in procedure("1.009994").documents]
    assert d.fee == 75000 and d.applicant_name == APPLICANT["full_name"]
    page = client.get(resp.headers["Location"])
    body = html(page)
    assert "Đã tiếp nhận hồ sơ" in body and d.code in body
    assert f"/reception/dossiers/{d.code}/receipt.pdf" in body  # the link to print the receipt
    assert local(d.due_at).strftime("%H:%M %d/%m/%Y") in body


def test_second_intake_of_the_day_takes_the_next_number(clerk, client):
    client.post("/reception/intake", data=intake_data("1.009994"))
    client.post("/reception/intake", data=intake_data("1.004227"))
    codes = sorted(db.session.execute(db.select(Dossier.code)).scalars())
    assert [c[-4:] for c in codes] == ["0001", "0002"]


def test_preview_shows_the_appointment_without_saving(clerk, client):
    resp = client.post("/reception/intake", data=intake_data(outcome="preview"))
    assert resp.status_code == 200
    body = html(resp)
    expected = workflow.preview(procedure("1.009994")).due_at
    assert local(expected).strftime("%H:%M %d/%m/%Y") in body
    assert "Xác nhận tiếp nhận" in body
    assert dossier_count() == 0


INVALID_FIELDS = [
    ("full_name", "", "Họ và tên là bắt buộc."),
    ("id_number", "12345", "Số CCCD phải gồm đúng 12 chữ số."),
    ("id_number", "", "Số CCCD là bắt buộc."),
    ("phone", "12345", "Số điện thoại di động không hợp lệ"),
    ("email", "abc@", "Địa chỉ email không hợp lệ."),
    ("tax_code", "12", "Mã số thuế phải gồm 10 chữ số"),
    ("fee", "-5", "Lệ phí không được âm."),
    ("fee", "nhiều", "Lệ phí phải là số tiền (đồng)"),
    ("sets", "0", "Số bộ hồ sơ phải từ 1 trở lên."),
    ("sets", "hai", "Số bộ hồ sơ phải là số nguyên không âm."),
    ("documents-0-originals", "một", "Số bản chính phải là số nguyên không âm."),
    ("documents-0-copies", "-1", "Số bản chụp không được âm."),
    ("documents-2-originals", "0", "Giấy tờ đã nhận phải có ít nhất một bản."),
    ("documents-1-received", None, "Hồ sơ còn thiếu giấy tờ"),
    ("channel", "online", "Kênh nộp tại bàn tiếp nhận phải là Trực tiếp hoặc Bưu chính công ích."),
    ("note", "x" * 2001, "Ghi chú không được dài quá 2000 ký tự."),
]


def test_every_invalid_field_gives_a_vietnamese_message_and_saves_nothing(clerk, client):
    # One test walks every case: nothing is saved, so no clean-up is needed between them.
    for field, value, message in INVALID_FIELDS:
        data = intake_data()
        if value is None:
            data.pop(field)
        else:
            data[field] = value
        resp = client.post("/reception/intake", data=data)
        body = html(resp)
        assert resp.status_code == 422, field
        assert message in body, (field, value)
        assert "Hồ sơ chưa được lưu" in body
        assert APPLICANT["address"] in body or field == "address"  # what the clerk typed is still there
        assert dossier_count() == 0, field
        assert db.session.execute(db.select(CodeSequence)).first() is None


def test_all_field_errors_show_at_once(clerk, client):
    resp = client.post("/reception/intake", data=intake_data(full_name="", id_number="1", phone="x", email="@"))
    body = html(resp)
    assert resp.status_code == 422
    for message in ("Họ và tên là bắt buộc.", "Số CCCD phải gồm đúng 12 chữ số.",
                    "Số điện thoại di động không hợp lệ", "Địa chỉ email không hợp lệ."):
        assert message in body
    assert body.count("invalid-feedback") >= 4


def test_ask_for_completion_prints_the_missing_documents_and_saves_nothing(clerk, client):
    resp = client.post("/reception/intake", data=intake_data("1.009994", outcome="supplement", unchecked=(1, 2),
                                                             reason="Bản vẽ chưa có chữ ký"))
    assert resp.status_code == 200 and resp.mimetype == "application/pdf"
    text = pdf_text(resp.data)
    docs = procedure("1.009994").documents
    assert docs[1].name in text and docs[2].name in text
    assert docs[0].name not in text
    assert APPLICANT["full_name"] in text and "Bản vẽ chưa có chữ ký" in text and "Trần Thị Tiếp Nhận" in text
    assert dossier_count() == 0


def test_ask_for_completion_needs_something_missing(clerk, client):
    resp = client.post("/reception/intake", data=intake_data(outcome="supplement"))
    assert resp.status_code == 422
    assert "Bỏ dấu chọn các giấy tờ còn thiếu" in html(resp)


def test_refuse_needs_a_reason_then_prints_the_refusal_slip(clerk, client):
    resp = client.post("/reception/intake", data=intake_data(outcome="refuse"))
    assert resp.status_code == 422 and "Lý do là bắt buộc." in html(resp)
    resp = client.post("/reception/intake", data=intake_data(outcome="refuse", reason="Không thuộc thẩm quyền"))
    assert resp.mimetype == "application/pdf"
    text = pdf_text(resp.data)
    assert "PHIẾU TỪ CHỐI TIẾP NHẬN GIẢI QUYẾT HỒ SƠ" in text and "Không thuộc thẩm quyền" in text
    assert dossier_count() == 0


def test_clerk_of_another_agency_cannot_receive_for_the_centre(demo, auth, client):
    auth.login("tiepnhan.tanphu")
    assert client.get("/reception/intake?procedure=1.009994").status_code == 403
    assert client.post("/reception/intake", data=intake_data("1.009994")).status_code == 403
    assert dossier_count() == 0
    listing = html(client.get("/reception/intake?q="))
    assert "2.000720" in listing and "1.009994" not in listing


def test_procedure_search_ignores_diacritics_and_matches_codes(clerk, client):
    body = html(client.get("/reception/intake?q=giay phep xay dung"))
    assert "1.009994" in body and "2.001610" not in body
    body = html(client.get("/reception/intake?q=1.0042"))
    assert "1.004227" in body and "1.009994" not in body
    body = html(client.get("/reception/intake?procedure=9.999999"))
    assert "Không tìm thấy thủ tục 9.999999" in body


def test_intake_page_lists_the_procedure_documents_as_a_checklist(clerk, client):
    body = html(client.get("/reception/intake?procedure=1.004227"))
    for doc in procedure("1.004227").documents:
        assert doc.name in body
    assert 'name="documents-2-received"' in body and "checked" in body
    assert "js/reception.js" in body and "<script>" not in body


def test_returning_applicant_details_fill_in_from_their_id(clerk, client):
    receive("1.009994", at=vn(2026, 3, 2, 9, 0))
    body = html(client.get(f"/reception/intake?procedure=1.004227&lookup_id={APPLICANT['id_number']}"))
    assert APPLICANT["full_name"] in body and APPLICANT["phone"] in body and APPLICANT["address"] in body
    data = client.get(f"/reception/applicant?id_number={APPLICANT['id_number']}").get_json()
    assert data["found"] and data["full_name"] == APPLICANT["full_name"]
    assert client.get("/reception/applicant?id_number=999999999999").get_json() == {"found": False}


def test_scan_uploaded_at_intake_is_kept_with_the_dossier(clerk, client):
    data = intake_data()
    data["scans"] = (io.BytesIO(PDF), "ho-so.pdf", "application/pdf")
    resp = client.post("/reception/intake", data=data, content_type="multipart/form-data")
    assert resp.status_code == 302
    d = db.session.execute(db.select(Dossier)).scalar_one()
    assert d.digitised
    att = db.session.execute(db.select(Attachment).filter_by(kind="scan")).scalar_one()
    assert client.get(f"/reception/files/{att.id}").data == PDF


def test_a_bad_scan_at_intake_saves_nothing(clerk, client):
    data = intake_data()
    data["scans"] = (io.BytesIO(EXE), "ho-so.pdf", "application/pdf")
    resp = client.post("/reception/intake", data=data, content_type="multipart/form-data")
    assert resp.status_code == 422
    assert "không phải PDF, JPEG hoặc PNG" in html(resp)
    assert dossier_count() == 0


# -- receipt ---------------------------------------------------------------

def test_receipt_prints_from_the_desk_and_reprints_identically(clerk, client):
    d = receive("1.004227", at=vn(2026, 11, 20, 9, 0))
    first = client.get(f"/reception/dossiers/{d.code}/receipt.pdf")
    assert first.status_code == 200 and first.mimetype == "application/pdf"
    text = pdf_text(first.data)
    assert d.code in text and d.lookup_key in text
    again = client.get(f"/reception/dossiers/{d.code}/receipt.pdf")
    assert again.data == first.data


def test_staff_of_an_unrelated_agency_cannot_print_the_receipt(demo, auth, client):
    d = receive("1.009994", at=vn(2026, 11, 20, 9, 0))
    auth.login("chuyenvien.tp")
    assert client.get(f"/reception/dossiers/{d.code}/receipt.pdf").status_code == 403


# -- the online / postal queue --------------------------------------------

def test_queue_lists_online_dossiers_and_the_clerk_accepts(clerk, client):
    d = receive("1.009994", at=vn(2026, 11, 20, 9, 0), channel="online")
    body = html(client.get("/reception/queue"))
    assert d.code in body and "Trực tuyến" in body
    resp = client.post(f"/reception/dossiers/{d.code}/accept", data={"version": d.version, "next": "/reception/queue"})
    assert resp.status_code == 302 and resp.headers["Location"] == "/reception/queue"
    db.session.refresh(d)
    assert d.status == "received"
    assert d.code not in html(client.get("/reception/queue")).split('id="queue"')[1]


def test_queue_refusal_needs_a_reason_and_prints_the_slip(clerk, client):
    d = receive("1.009994", at=vn(2026, 11, 20, 9, 0), channel="online")
    resp = client.post(f"/reception/dossiers/{d.code}/refuse", data={"version": d.version, "reason": ""})
    assert resp.status_code == 422 and "Lý do là bắt buộc." in html(resp)
    db.session.refresh(d)
    assert d.status == "submitted"
    client.post(f"/reception/dossiers/{d.code}/refuse", data={"version": d.version, "reason": "Hồ sơ giả mạo"})
    db.session.refresh(d)
    assert d.status == "not_accepted"
    slip = client.get(f"/reception/dossiers/{d.code}/refusal-slip.pdf")
    text = pdf_text(slip.data)
    assert "Hồ sơ giả mạo" in text and d.code in text and APPLICANT["full_name"] in text


def test_queue_ask_for_completion_prints_the_slip_and_changes_nothing(clerk, client):
    d = receive("1.009994", at=vn(2026, 11, 20, 9, 0), channel="online")
    version = d.version
    missing = procedure("1.009994").documents[1].name
    resp = client.post(f"/reception/dossiers/{d.code}/supplement-slip", data={"missing": [missing, "bịa đặt"]})
    assert resp.mimetype == "application/pdf"
    text = pdf_text(resp.data)
    assert missing in text and "bịa đặt" not in text and d.code in text
    db.session.refresh(d)
    assert d.status == "submitted" and d.version == version
    resp = client.post(f"/reception/dossiers/{d.code}/supplement-slip", data={})
    assert resp.status_code == 422 and "Chọn giấy tờ còn thiếu" in html(resp)


def test_stale_version_is_reported_on_the_dossier_page(clerk, client):
    d = receive("1.009994", at=vn(2026, 11, 20, 9, 0), channel="online")
    resp = client.post(f"/reception/dossiers/{d.code}/refuse",
                       data={"version": d.version + 7, "reason": "Lý do tôi đã gõ"})
    assert resp.status_code == 302 and resp.headers["Location"].endswith(f"/reception/dossiers/{d.code}")
    body = html(client.get(resp.headers["Location"]))
    assert "Hồ sơ đã được cập nhật bởi người khác" in body
    db.session.refresh(d)
    assert d.status == "submitted"


# -- hand-over -------------------------------------------------------------

def test_handover_list_highlights_late_dossiers_and_forwards(clerk, client):
    late = receive("1.004227", at=vn(2026, 3, 2, 16, 0))
    fresh_at = utcnow() - timedelta(minutes=1)
    fresh = receive("1.009994", at=fresh_at)
    body = html(client.get("/reception/handover"))
    assert late.code in body and fresh.code in body
    late_row = body.split(late.code)[0].rsplit("<tr", 1)[1]
    assert "handover-late" in late_row
    assert "Quá hạn chuyển" in body
    page = html(client.get(f"/reception/dossiers/{late.code}"))
    assert "Chuyển xử lý" in page and "Sở Tài nguyên và Môi trường" in page
    assert local(late.handover_due_at).strftime("%H:%M %d/%m/%Y") in page
    resp = client.post(f"/reception/dossiers/{late.code}/forward", data={"version": late.version})
    assert resp.status_code == 302
    db.session.refresh(late)
    assert late.status == "processing" and late.current_agency.identifier == "000.00.22.H56"
    assert late.code not in html(client.get("/reception/handover")).split('id="handover"')[1]


# -- return of results -----------------------------------------------------

def _result_ready():
    d = receive("1.009994", at=vn(2026, 11, 20, 9, 0))
    act(d, "forward", "tiepnhan", at=vn(2026, 11, 20, 10, 0))
    act(d, "complete", "chuyenvien", at=vn(2026, 11, 24, 10, 0))
    return d


def test_return_records_who_collected_the_result(clerk, client):
    d = _result_ready()
    assert d.code in html(client.get("/reception/returns"))
    resp = client.post(f"/reception/dossiers/{d.code}/return",
                       data={"version": d.version, "collected_by": "", "collected_id_number": "1"})
    assert resp.status_code == 422 and "Người nhận kết quả là bắt buộc." in html(resp)
    resp = client.post(f"/reception/dossiers/{d.code}/return",
                       data={"version": d.version, "collected_by": "Nguyễn Thị Nhận",
                             "collected_id_number": "079300001234"})
    assert resp.status_code == 302
    db.session.refresh(d)
    assert d.status == "returned" and d.collected_by == "Nguyễn Thị Nhận"
    assert d.collected_id_number == "079300001234" and d.returned_at is not None
    assert "Nguyễn Thị Nhận" in html(client.get(f"/reception/dossiers/{d.code}"))
    assert d.code not in html(client.get("/reception/returns")).split('id="returns"')[1]


def test_return_with_a_bad_id_keeps_the_collector_typed(clerk, client):
    d = _result_ready()
    resp = client.post(f"/reception/dossiers/{d.code}/return",
                       data={"version": d.version, "collected_by": "Nguyễn Thị Nhận", "collected_id_number": "12"})
    body = html(resp)
    assert resp.status_code == 422 and "Số CCCD phải gồm đúng 12 chữ số." in body and "Nguyễn Thị Nhận" in body


# -- scans later -----------------------------------------------------------

def test_scans_later_on_the_desk_page_and_who_may_download(demo, auth, client):
    d = receive("1.009994", at=vn(2026, 11, 20, 9, 0))
    auth.login("tiepnhan")
    resp = client.post(f"/reception/dossiers/{d.code}/scans", content_type="multipart/form-data",
                       data={"scans": (io.BytesIO(PDF), "ban-ve.pdf", "application/pdf")})
    assert resp.status_code == 302
    att = db.session.execute(db.select(Attachment).filter_by(dossier_id=d.id)).scalar_one()
    assert "ban-ve.pdf" in html(client.get(f"/reception/dossiers/{d.code}"))
    resp = client.post(f"/reception/dossiers/{d.code}/scans", content_type="multipart/form-data",
                       data={"scans": (io.BytesIO(EXE), "virus.pdf", "application/pdf")})
    assert resp.status_code == 422 and "không phải PDF, JPEG hoặc PNG" in html(resp)
    assert client.get(f"/reception/files/{att.id}").data == PDF
    auth.logout()
    auth.login("chuyenvien.tp")  # Sở Tư pháp never saw this dossier
    assert client.get(f"/reception/files/{att.id}").status_code == 403
    auth.logout()
    act(d, "forward", "tiepnhan")
    auth.login("chuyenvien")  # Sở Xây dựng now holds it
    assert client.get(f"/reception/files/{att.id}").data == PDF


@pytest.mark.config(ONESTOP_UPLOAD_MAX_BYTES=1024)
def test_oversized_scan_is_refused(clerk, client):
    d = receive("1.009994", at=vn(2026, 11, 20, 9, 0))
    resp = client.post(f"/reception/dossiers/{d.code}/scans", content_type="multipart/form-data",
                       data={"scans": (io.BytesIO(PDF + b"0" * 5000), "lon.pdf", "application/pdf")})
    assert resp.status_code == 422 and "vượt quá dung lượng cho phép" in html(resp)
    assert db.session.execute(db.select(Attachment)).first() is None


# -- register --------------------------------------------------------------

def test_register_page_and_xlsx_export(clerk, client):
    a = receive("1.009994", at=vn(2026, 3, 2, 9, 0))
    act(a, "forward", "tiepnhan", at=vn(2026, 3, 2, 10, 0))
    act(a, "complete", "chuyenvien", at=vn(2026, 3, 5, 10, 0))
    act(a, "return", "tiepnhan", at=vn(2026, 3, 6, 9, 0), collected_by="Nguyễn Thị Nhận")
    b = receive("1.004227", at=vn(2026, 3, 3, 9, 0))
    receive("1.004227", at=vn(2025, 12, 30, 9, 0))
    receive("2.000720", at=vn(2026, 3, 3, 9, 0), clerk="tiepnhan.tanphu")
    body = html(client.get("/reception/register?year=2026"))
    assert a.code in body and b.code in body and "2.000720" not in body
    assert "Nguyễn Thị Nhận" in body and "Trần Thị Tiếp Nhận" in body
    assert "2 hồ sơ" in body
    body = html(client.get("/reception/register?year=2026&status=returned"))
    assert a.code in body and b.code not in body
    body = html(client.get("/reception/register?year=2026&procedure=1.004227"))
    assert b.code in body and a.code not in body

    resp = client.get("/reception/register.xlsx?year=2026")
    assert resp.status_code == 200 and "spreadsheetml" in resp.mimetype
    ws = openpyxl.load_workbook(io.BytesIO(resp.data)).active
    rows = list(ws.iter_rows(values_only=True))
    assert rows[1][:7] == ("STT", "Mã hồ sơ", "Tên thủ tục", "Số lượng hồ sơ (bộ)", "Tên cá nhân, tổ chức",
                           "Địa chỉ", "Số điện thoại")
    data = rows[2:]
    assert [r[1] for r in data] == [a.code, b.code]
    first = data[0]
    assert first[0] == 1 and first[2] == "Cấp giấy phép xây dựng nhà ở riêng lẻ" and first[3] == 1
    assert first[4] == APPLICANT["full_name"] and first[6] == APPLICANT["phone"]
    assert first[7] == datetime(2026, 3, 2, 9, 0) and first[9] == datetime(2026, 3, 2, 10, 0)
    assert first[10] == datetime(2026, 3, 5, 10, 0) and first[11] == datetime(2026, 3, 6, 9, 0)
    assert first[12] == "Trần Thị Tiếp Nhận" and first[13] == "Nguyễn Thị Nhận"


def test_register_pages_continue_numbering(clerk, client, monkeypatch):
    from onestop.blueprints.reception import routes

    monkeypatch.setattr(routes, "LIST_LIMIT", 2)
    for day in (2, 3, 4):
        receive("1.009994", at=vn(2026, 3, day, 9, 0))
    first = html(client.get("/reception/register?year=2026"))
    assert "Trang sau" in first
    next_url = first.split('href="/reception/register?cursor=')[1].split('"')[0].replace("&amp;", "&")
    second = html(client.get("/reception/register?cursor=" + next_url))
    assert "-260304-0001" in second and "-260302-0001" not in second
    assert "<td>3</td>" in second


def test_register_with_a_bad_year_shows_a_message(clerk, client):
    resp = client.get("/reception/register?year=1900")
    assert resp.status_code == 200 and "Năm không hợp lệ." in html(resp)


# -- access ----------------------------------------------------------------

DESK_PAGES = ["/reception/", "/reception/intake", "/reception/queue", "/reception/handover",
              "/reception/returns", "/reception/register", "/reception/register.xlsx"]


def test_desk_pages_need_a_signed_in_clerk(demo, auth, client):
    for path in DESK_PAGES:
        assert client.get(path).status_code == 302, path  # anonymous: to the login page
    auth.login("chuyenvien")
    for path in DESK_PAGES:
        assert client.get(path).status_code == 403, path
    auth.logout()
    auth.login("tiepnhan")
    for path in DESK_PAGES:
        assert client.get(path).status_code == 200, path


def test_desk_home_counts_and_search(clerk, client):
    receive("1.009994", at=vn(2026, 11, 20, 9, 0), channel="online")
    d = receive("1.004227", at=vn(2026, 11, 20, 9, 0))
    body = html(client.get("/reception/"))
    assert 'id="count-queue">1<' in body and 'id="count-handover">1<' in body
    body = html(client.get("/reception/?q=nguyen van duc"))
    assert d.code in body
