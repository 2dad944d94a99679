"""Processing pages: inbox, dossier page, actions through forms, stale versions, slips and access."""
import io
import re

import pypdf
import pytest
from factories import act, receive, user

from onestop.calendar import get_calendar
from onestop.extensions import db
from onestop.models import Attachment
from onestop.timeutil import local

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def pdf_text(data: bytes) -> str:
    return " ".join(" ".join(p.extract_text() for p in pypdf.PdfReader(io.BytesIO(data)).pages).split())


def page(code: str) -> str:
    return f"/processing/dossiers/{code}"


def at_tnmt():
    """A 1.004227 dossier (TN&MT then XD) received now and handed to TN&MT."""
    d = receive("1.004227")
    act(d, "forward", "tiepnhan")
    return d


def post_action(client, d, action, **fields):
    data = {f"{action}-{k}": v for k, v in fields.items()}
    data.setdefault(f"{action}-version", str(d.version))
    return client.post(f"{page(d.code)}/actions/{action}", data=data, content_type="multipart/form-data")


def test_inbox_lists_the_agency_dossiers_with_tabs(client, auth, demo):
    d = at_tnmt()
    receive("1.009994")  # still at the desk: not in TN&MT's inbox
    auth.login("chuyenvien.tnmt")
    r = client.get("/processing/")
    html = r.get_data(as_text=True)
    assert r.status_code == 200
    assert d.code in html
    assert html.count("/processing/dossiers/") == 1
    assert re.search(r"Đang xử lý\s*<span[^>]*>1</span>", html)
    assert re.search(r"Quá hạn\s*<span[^>]*>0</span>", html)
    r = client.get("/processing/?q=nguyen+van+duc&status=processing&order=newest")
    assert d.code in r.get_data(as_text=True)
    r = client.get("/processing/?status=received")  # a status without a tab of its own
    assert r.status_code == 200 and page(d.code) not in r.get_data(as_text=True)
    r = client.get("/processing/?status=processing&deadline=on_time")
    assert page(d.code) in r.get_data(as_text=True)
    r = client.get("/processing/?status=supplement_requested")
    assert d.code not in r.get_data(as_text=True)
    assert client.get("/processing/?cursor=%%%").status_code == 200  # bad cursor: message, no 500
    assert client.get("/processing/?received_from=2026-13-40").status_code == 200


def test_leader_sees_who_holds_what_and_reassigns(client, auth, demo):
    d = at_tnmt()
    auth.login("lanhdao.tnmt")
    html = client.get("/processing/").get_data(as_text=True)
    assert "Ai đang giữ hồ sơ nào" in html and "Chưa phân công" in html and "Đỗ Thu Hà" in html
    r = post_action(client, d, "reassign", assignee="chuyenvien.tnmt")
    assert r.status_code == 302
    db.session.refresh(d)
    assert d.assignee.username == "chuyenvien.tnmt"
    html = client.get(f"/processing/?assignee={d.assignee_id}").get_data(as_text=True)
    assert d.code in html


def test_dossier_page_shows_route_history_and_actions(client, auth, demo):
    d = at_tnmt()
    auth.login("chuyenvien.tnmt")
    html = client.get(page(d.code)).get_data(as_text=True)
    assert "Nguyễn Văn Đức" in html and "Đơn đề nghị cấp giấy phép" in html
    assert "Sở Tài nguyên và Môi trường" in html and "Sở Xây dựng" in html
    assert "Chuyển xử lý" in html and "Yêu cầu bổ sung hồ sơ" in html
    assert 'name="forward-version"' in html
    assert "reassign-assignee" not in html  # only leaders reassign


def test_forward_then_complete_with_result_file(client, auth, demo, tmp_path):
    d = at_tnmt()
    auth.login("chuyenvien.tnmt")
    r = post_action(client, d, "forward", to_agency="")
    assert r.status_code == 302
    db.session.refresh(d)
    assert d.current_agency.identifier == "000.00.21.H56"
    auth.logout()
    auth.login("chuyenvien")
    data = {"complete-version": str(d.version), "complete-note": "Cấp giấy phép", "complete-confirm": "y",
            "complete-result_file": (io.BytesIO(PDF), "giay-phep.pdf", "application/pdf")}
    r = client.post(f"{page(d.code)}/actions/complete", data=data, content_type="multipart/form-data")
    assert r.status_code == 302
    db.session.refresh(d)
    # This stand-in PDF is too bare to seal: it is kept unsigned and is no electronic result
    # (sealing a real PDF: tests/web/test_result_download.py).
    assert d.status == "result_ready" and not d.electronic_result
    att = db.session.execute(db.select(Attachment).filter_by(dossier_id=d.id, kind="result")).scalar_one()
    assert att.original_name == "giay-phep.pdf"
    # The agency still sees the dossier it handled, with its file.
    r = client.get(f"{page(d.code)}/files/{att.id}")
    assert r.status_code == 200 and r.data == PDF


def test_bad_result_file_saves_nothing(client, auth, demo):
    d = receive("1.009994")
    act(d, "forward", "tiepnhan")
    auth.login("chuyenvien")
    data = {"complete-version": str(d.version), "complete-confirm": "y",
            "complete-result_file": (io.BytesIO(b"MZ\x90\x00" * 50), "ketqua.pdf", "application/pdf")}
    r = client.post(f"{page(d.code)}/actions/complete", data=data, content_type="multipart/form-data")
    assert r.status_code == 422
    assert "không phải PDF" in r.get_data(as_text=True)
    db.session.expire_all()
    assert d.status == "processing"


def test_stale_version_keeps_what_the_user_typed(client, auth, demo):
    d = at_tnmt()
    old_version = d.version
    act(d, "reassign", "lanhdao.tnmt", assignee="chuyenvien.tnmt")  # someone else acts first
    auth.login("chuyenvien.tnmt")
    r = post_action(client, d, "stop", version=str(old_version), reason="Khu vực không được phép khai thác")
    assert r.status_code == 302 and r.headers["Location"].endswith(f"/processing/dossiers/{d.code}")
    html = client.get(r.headers["Location"]).get_data(as_text=True)
    assert "Hồ sơ đã được cập nhật bởi người khác" in html
    assert "Khu vực không được phép khai thác" in html
    assert f'value="{d.version}"' in html  # re-submitting now applies to what is on screen
    db.session.expire_all()
    assert d.status == "processing"


def test_missing_reason_is_a_clear_message(client, auth, demo):
    d = at_tnmt()
    auth.login("chuyenvien.tnmt")
    r = post_action(client, d, "stop", reason="  ")
    assert r.status_code == 422
    assert "Vui lòng nhập lý do." in r.get_data(as_text=True)
    r = post_action(client, d, "request_payment", amount="-5")
    assert r.status_code == 422 and "Số tiền phải lớn hơn 0 đồng." in r.get_data(as_text=True)
    r = post_action(client, d, "forward", to_agency="000.00.24.H56", reason="")
    assert r.status_code == 422 and "Lý do chuyển ngoài quy trình" in r.get_data(as_text=True)


def test_action_of_another_role_is_forbidden(client, auth, demo):
    d = at_tnmt()
    auth.login("chuyenvien.tnmt")
    assert post_action(client, d, "reassign", assignee="chuyenvien.tnmt").status_code == 403
    assert post_action(client, d, "nonsense").status_code == 404


def test_supplement_prints_the_slip(client, auth, demo):
    d = at_tnmt()
    auth.login("chuyenvien.tnmt")
    data = {"request_supplement-version": str(d.version),
            "request_supplement-documents": ["Báo cáo kết quả thăm dò nước dưới đất"],
            "request_supplement-other_documents": "Sơ đồ khu vực khai thác",
            "request_supplement-reason": "Báo cáo chưa có chữ ký"}
    r = client.post(f"{page(d.code)}/actions/request_supplement", data=data)
    assert r.status_code == 302
    db.session.refresh(d)
    assert d.status == "supplement_requested"
    html = client.get(page(d.code)).get_data(as_text=True)
    assert "supplement-slip.pdf" in html
    r = client.get(f"{page(d.code)}/supplement-slip.pdf")
    assert r.status_code == 200 and r.mimetype == "application/pdf"
    text = pdf_text(r.data)
    assert "Báo cáo kết quả thăm dò nước dưới đất" in text and "Sơ đồ khu vực khai thác" in text
    assert "Báo cáo chưa có chữ ký" in text and d.code in text
    r = post_action(client, d, "supplement_received")
    assert r.status_code == 302


def test_apology_through_the_form_and_its_slip(client, auth, demo):
    d = receive("1.009994")
    act(d, "forward", "tiepnhan")
    auth.login("chuyenvien")
    new_day = local(get_calendar().add_working_days(d.due_at, 5)).date()  # within the province's cap
    r = post_action(client, d, "apologize", reason="Chờ ý kiến của Sở Tài nguyên và Môi trường",
                    new_date=new_day.isoformat(), new_time="16:00")
    assert r.status_code == 302
    db.session.refresh(d)
    original = d.original_due_at
    assert original is not None
    text = pdf_text(client.get(f"{page(d.code)}/apology-slip.pdf").data)
    assert "PHIẾU XIN LỖI VÀ HẸN LẠI NGÀY TRẢ KẾT QUẢ" in text
    assert "Kính gửi: Nguyễn Văn Đức" in text and d.code in text
    assert "Chờ ý kiến của Sở Tài nguyên và Môi trường" in text
    assert f"16:00 {new_day:%d/%m/%Y}" in text
    from onestop.timeutil import fmt_datetime

    assert fmt_datetime(original) in text
    assert "Phạm Minh Lãnh" in text  # the head of Sở Xây dựng signs
    # A second apology is refused; the form is gone and a forced post gets a message.
    html = client.get(page(d.code)).get_data(as_text=True)
    assert "apologize-reason" not in html
    r = post_action(client, d, "apologize", reason="Lần hai", new_date="2027-02-20", new_time="16:00")
    assert r.status_code == 302  # shown on the dossier's page as it is now
    assert "không được hẹn lại lần nữa" in client.get(r.headers["Location"]).get_data(as_text=True)


def test_stop_prints_the_refusal_notice_and_control_slip(client, auth, demo):
    d = at_tnmt()
    auth.login("chuyenvien.tnmt")
    r = post_action(client, d, "stop", reason="Khu vực thuộc vùng cấm khai thác nước dưới đất")
    assert r.status_code == 302
    text = pdf_text(client.get(f"{page(d.code)}/stop-notice.pdf").data)
    assert "THÔNG BÁO TỪ CHỐI GIẢI QUYẾT HỒ SƠ" in text
    assert "Khu vực thuộc vùng cấm khai thác nước dưới đất" in text and d.code in text
    assert "Vũ Đức Long" in text
    text = pdf_text(client.get(f"{page(d.code)}/control-slip.pdf").data)
    assert "PHIẾU KIỂM SOÁT QUÁ TRÌNH GIẢI QUYẾT HỒ SƠ" in text
    assert "Trung tâm Phục vụ hành chính công tỉnh Sơn Hà" in text
    assert "Sở Tài nguyên và Môi trường" in text and "Trần Thị Tiếp Nhận" in text and "Đỗ Thu Hà" in text
    assert "Sở Xây dựng" not in text  # never reached


@pytest.mark.parametrize("suffix", ["", "/control-slip.pdf", "/apology-slip.pdf", "/stop-notice.pdf",
                                    "/supplement-slip.pdf"])
def test_agency_c_sees_none_of_it(client, auth, demo, suffix):
    d = at_tnmt()
    act(d, "apologize", "chuyenvien.tnmt", reason="Chậm", new_due_at=get_calendar().add_working_days(d.due_at, 5))
    auth.login("chuyenvien.tp")
    assert client.get(page(d.code) + suffix).status_code == 403
    assert d.code not in client.get("/processing/").get_data(as_text=True)
    assert page(d.code) not in client.get(f"/processing/?q={d.code}").get_data(as_text=True)
    assert post_action(client, d, "stop", reason="x").status_code == 403


def test_inbox_is_for_agency_staff_only(client, auth, demo):
    assert client.get("/processing/").status_code == 302  # to the login page
    auth.login("tiepnhan")
    assert client.get("/processing/").status_code == 403
    d = at_tnmt()
    assert client.get(page(d.code)).status_code == 403
    assert user("tiepnhan").role == "clerk"
