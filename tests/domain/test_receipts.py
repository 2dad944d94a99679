"""The desk's papers (receipt kept as issued, supplement and refusal slips) and stored files."""
import io
import re

import pypdf
import pytest
from factories import APPLICANT, procedure, receive, user, vn
from werkzeug.datastructures import FileStorage

from onestop import files, papers
from onestop.errors import Conflict, ValidationError
from onestop.extensions import db
from onestop.models import Attachment
from onestop.papers import render

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00" + b"\x00" * 200


def pdf_text(data: bytes) -> str:
    """The PDF's text with whitespace squeezed (pypdf breaks lines where the layout wraps)."""
    return " ".join(" ".join(p.extract_text() for p in pypdf.PdfReader(io.BytesIO(data)).pages).split())


def upload(data: bytes, name: str, mimetype: str) -> FileStorage:
    return FileStorage(stream=io.BytesIO(data), filename=name, content_type=mimetype)


def test_receipt_shows_code_applicant_documents_appointment_and_lookup_key(demo):
    d = receive("1.004227", at=vn(2026, 11, 20, 9, 30))
    text = pdf_text(papers.receipt_pdf(d))
    db.session.commit()
    assert "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM" in text
    assert "Độc lập - Tự do - Hạnh phúc" in text
    assert "GIẤY TIẾP NHẬN HỒ SƠ VÀ HẸN TRẢ KẾT QUẢ" in text
    assert d.code == "000.00.17.H56-261120-0001"
    assert d.code in text
    assert APPLICANT["full_name"] in text and APPLICANT["id_number"] in text and APPLICANT["phone"] in text
    for doc in procedure("1.004227").documents:
        assert doc.name in text
    assert "09 giờ 30 phút, ngày 20/11/2026" in text  # received
    due = d.due_at.astimezone(vn(2026, 1, 1).tzinfo)
    assert f"{due:%H} giờ {due:%M} phút, ngày {due:%d/%m/%Y}" in text  # appointment
    assert d.lookup_key in text
    assert "25 ngày làm việc" in text  # legal time limit
    assert "Quầy số 5" in text  # where to collect the result
    assert "600.000 đ" in text  # fee
    assert "Trần Thị Tiếp Nhận" in text  # the clerk signs
    assert re.search(r"Số thứ tự: 1\b", text)


def test_qr_payload_is_the_public_lookup_url_with_key(demo, monkeypatch):
    d = receive("1.009994", at=vn(2026, 11, 20, 9, 0))
    seen = []
    real = render.qr_image
    monkeypatch.setattr(render, "qr_image", lambda payload: seen.append(payload) or real(payload))
    papers.receipt_pdf(d)
    assert seen == [f"http://127.0.0.1:5000/lookup/{d.code}?key={d.lookup_key}"]
    assert papers.lookup_url(d) == seen[0]


@pytest.mark.config(ONESTOP_BASE_URL="https://motcua.sonha.gov.vn")
def test_lookup_url_follows_base_url(demo):
    d = receive("1.009994", at=vn(2026, 11, 20, 9, 0))
    assert papers.lookup_url(d) == f"https://motcua.sonha.gov.vn/lookup/{d.code}?key={d.lookup_key}"


def test_reprint_returns_the_stored_receipt_without_rendering_again(demo, monkeypatch):
    d = receive("1.009994", at=vn(2026, 11, 20, 9, 0))
    first = papers.receipt_pdf(d)
    db.session.commit()

    def no_render(*a, **kw):
        raise AssertionError("the receipt was rendered again")

    monkeypatch.setattr(render, "render", no_render)
    monkeypatch.setattr(render, "qr_image", no_render)
    assert papers.receipt_pdf(d) == first
    stored = db.session.execute(db.select(Attachment).filter_by(dossier_id=d.id, kind="receipt")).scalars().all()
    assert len(stored) == 1 and stored[0].content_type == "application/pdf"
    assert files.read_bytes(stored[0]) == first


def test_no_receipt_for_a_dossier_not_yet_received(demo):
    d = receive("1.009994", at=vn(2026, 11, 20, 9, 0), channel="online")
    assert d.status == "submitted"
    with pytest.raises(Conflict):
        papers.receipt_pdf(d)


def test_supplement_slip_lists_missing_documents_and_guiding_officer(demo):
    clerk = user("tiepnhan")
    data = papers.supplement_slip_pdf(
        addressee="Trần Văn Bình", procedure_name="Cấp giấy phép xây dựng nhà ở riêng lẻ",
        missing_documents=["Giấy chứng nhận quyền sử dụng đất", "Bản vẽ thiết kế xây dựng"],
        reason="Thiếu giấy tờ về đất", officer_name=clerk.full_name, officer_agency=clerk.agency,
        officer_phone="02583 123 456", date=vn(2026, 11, 20, 10, 0),
    )
    text = pdf_text(data)
    assert "PHIẾU YÊU CẦU BỔ SUNG, HOÀN THIỆN HỒ SƠ" in text
    for expected in ("Trần Văn Bình", "Cấp giấy phép xây dựng nhà ở riêng lẻ", "Giấy chứng nhận quyền sử dụng đất",
                     "Bản vẽ thiết kế xây dựng", "Thiếu giấy tờ về đất", "Trần Thị Tiếp Nhận",
                     "Trung tâm Phục vụ hành chính công tỉnh Sơn Hà", "02583 123 456",
                     "ngày 20 tháng 11 năm 2026"):
        assert expected in text


def test_supplement_slip_during_appraisal_takes_an_agency_name_and_dossier_code(demo):
    text = pdf_text(papers.supplement_slip_pdf(
        addressee="Nguyễn Văn Đức", procedure_name="Cấp giấy phép khai thác nước", missing_documents=["Bản đồ"],
        reason="Cần bản đồ khu vực", officer_name="Đỗ Thu Hà", officer_agency="Sở Tài nguyên và Môi trường",
        officer_phone="0912345678", dossier_code="000.00.17.H56-261120-0001"))
    assert "000.00.17.H56-261120-0001" in text and "Sở Tài nguyên và Môi trường" in text and "Bản đồ" in text


def test_refusal_slip_gives_the_reason(demo):
    clerk = user("tiepnhan")
    text = pdf_text(papers.refusal_slip_pdf(
        addressee="Trần Văn Bình", procedure_name="Đăng ký thành lập doanh nghiệp tư nhân",
        reason="Không thuộc thẩm quyền giải quyết của tỉnh", officer_name=clerk.full_name,
        officer_agency=clerk.agency))
    assert "PHIẾU TỪ CHỐI TIẾP NHẬN GIẢI QUYẾT HỒ SƠ" in text
    assert "Không thuộc thẩm quyền giải quyết của tỉnh" in text and "Trần Văn Bình" in text


# -- files -----------------------------------------------------------------

def test_scan_is_stored_under_a_generated_name_with_its_hash(demo, app):
    import hashlib
    from pathlib import Path

    d = receive("1.009994", at=vn(2026, 11, 20, 9, 0))
    assert not d.digitised
    att = files.save_upload(d, upload(PDF, "don de nghi.pdf", "application/pdf"), "scan", user("tiepnhan"))
    db.session.commit()
    assert re.fullmatch(r"[0-9a-f]{32}", att.stored_name)
    path = files.path_of(att)
    assert path.is_relative_to(Path(app.config["ONESTOP_FILES_DIR"]))
    assert not path.resolve().is_relative_to(Path(app.static_folder).resolve())
    assert att.sha256 == hashlib.sha256(PDF).hexdigest() and att.size == len(PDF)
    assert att.content_type == "application/pdf" and att.original_name == "don de nghi.pdf"
    assert d.digitised
    with files.open_attachment(att) as fh:
        assert fh.read() == PDF


@pytest.mark.parametrize("data,name,mimetype,message", [
    (EXE, "setup.pdf", "application/pdf", "không phải PDF, JPEG hoặc PNG"),
    (b"", "empty.pdf", "application/pdf", "rỗng"),
    (PNG, "anh.pdf", "application/pdf", "khai báo kiểu application/pdf nhưng nội dung là PNG"),
    (PNG, "anh.jpg", "image/png", "Phần mở rộng của tệp anh.jpg không khớp"),
    (b"<html>hi</html>", "page.png", "image/png", "không phải PDF, JPEG hoặc PNG"),
])
def test_scan_is_checked_by_content_type_and_name(demo, data, name, mimetype, message):
    d = receive("1.009994", at=vn(2026, 11, 20, 9, 0))
    with pytest.raises(ValidationError) as err:
        files.save_upload(d, upload(data, name, mimetype), "scan", user("tiepnhan"))
    assert message in err.value.message
    assert db.session.execute(db.select(Attachment)).first() is None
    assert not d.digitised


@pytest.mark.config(ONESTOP_UPLOAD_MAX_BYTES=1024)
def test_scan_over_the_size_limit_is_refused(demo):
    d = receive("1.009994", at=vn(2026, 11, 20, 9, 0))
    with pytest.raises(ValidationError) as err:
        files.save_upload(d, upload(PDF + b"0" * 2000, "lon.pdf", "application/pdf"), "scan", user("tiepnhan"))
    assert "vượt quá dung lượng cho phép (tối đa 1 KB)" in err.value.message
    files.save_upload(d, upload(PNG, "nho.png", "image/png"), "scan", user("tiepnhan"))


def test_register_number_counts_the_agency_year(demo):
    a = receive("1.009994", at=vn(2026, 11, 20, 9, 0))
    b = receive("1.004227", at=vn(2026, 11, 21, 9, 0))
    receive("2.000720", at=vn(2026, 11, 21, 9, 30), clerk="tiepnhan.tanphu")
    assert papers.register_number(a) == 1
    assert papers.register_number(b) == 2
