"""A dossier's whole life in real Chromium: desk intake, two agencies, return, the citizen's phone."""
from __future__ import annotations

import io
import re

import pytest
from browserkit import DESKTOP, PHONE
from playwright.sync_api import expect
from pypdf import PdfReader, PdfWriter

from onestop.extensions import db
from onestop.models import Dossier

PROCEDURE = "1.004227"
PROCEDURE_NAME = "Cấp giấy phép khai thác, sử dụng nước dưới đất"
DESK = "Trung tâm Phục vụ hành chính công tỉnh Sơn Hà"
FIRST_AGENCY = "Sở Tài nguyên và Môi trường"
SECOND_AGENCY = "Sở Xây dựng"
DOCUMENTS = ("Đơn đề nghị cấp giấy phép", "Báo cáo kết quả thăm dò nước dưới đất",
             "Kết quả phân tích chất lượng nguồn nước")
APPLICANT = {"Họ và tên người nộp": "Nguyễn Thị Hồng Nhung", "Số CCCD (12 chữ số)": "079190001234",
             "Số điện thoại": "0903123456", "Email": "nhung.nguyen@example.vn",
             "Địa chỉ": "12 Lê Lợi, phường Bến Thành, TP Sơn Hà"}
COLLECTOR = "Trần Văn Bảo"
COMMENT = "Cán bộ hướng dẫn tận tình, trả kết quả sớm."


def _small_pdf() -> bytes:
    writer = PdfWriter()
    writer.add_blank_page(width=200, height=200)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def _flash(page, text):
    expect(page.locator(".alert-success").filter(has_text=text)).to_be_visible()


def _status(page, label):
    expect(page.locator("h1 .status-badge")).to_have_text(label)


def receive_dossier(page) -> str:
    """The clerk picks the procedure, checks the documents, fills the applicant, previews and accepts."""
    page.get_by_role("link", name="Tiếp nhận", exact=True).click()
    page.locator(".reception-nav").get_by_role("link", name="Tiếp nhận hồ sơ mới").click()
    page.wait_for_url("**/reception/intake")  # and its script loaded (waits for the load event)
    expect(page.get_by_role("heading", name="Tiếp nhận hồ sơ – chọn thủ tục")).to_be_visible()
    # The list filters as the clerk types, without diacritics.
    page.get_by_label("Mã hoặc tên thủ tục").fill("nuoc duoi dat")
    expect(page.locator("#procedure-list a:visible")).to_have_count(1)
    page.locator("#procedure-list a:visible").filter(has_text=PROCEDURE).click()

    expect(page.get_by_role("heading", name=f"Tiếp nhận hồ sơ: {PROCEDURE_NAME}")).to_be_visible()
    for name in DOCUMENTS:
        box = page.get_by_label(name, exact=True)
        expect(box).to_be_checked()
    # A missing document dims its counts; the clerk receives it after all.
    page.get_by_label(DOCUMENTS[1], exact=True).uncheck()
    expect(page.locator("#documents tbody tr").nth(1).locator(".count-input").first).to_be_disabled()
    page.get_by_label(DOCUMENTS[1], exact=True).check()
    for label, value in APPLICANT.items():
        page.get_by_label(label, exact=True).fill(value)

    page.get_by_role("button", name="Xem trước hẹn trả").click()
    expect(page.locator("#preview")).to_contain_text("thông tin hợp lệ")
    due = page.locator("#preview-due").inner_text()
    assert re.fullmatch(r"\d{2}:\d{2} \d{2}/\d{2}/\d{4}", due), due  # 24h time, dd/mm/yyyy
    # The preview kept what the clerk typed.
    expect(page.get_by_label("Họ và tên người nộp", exact=True)).to_have_value(APPLICANT["Họ và tên người nộp"])
    page.get_by_role("button", name="Xác nhận tiếp nhận").click()

    _flash(page, "Hẹn trả kết quả:")
    _status(page, "Được tiếp nhận")
    code = page.locator("#dossier-code").inner_text().strip()
    assert re.fullmatch(r"000\.00\.17\.H56-\d{6}-\d{4}", code), code
    expect(page.locator(".alert-success")).to_contain_text(code)
    expect(page.locator("dl")).to_contain_text(APPLICANT["Họ và tên người nộp"])
    for name in DOCUMENTS:
        expect(page.get_by_role("cell", name=name, exact=True)).to_be_visible()
    return code


def download_receipt(page, live_server, code) -> str:
    """The receipt PDF as the clerk's browser gets it; returns the lookup link printed under its QR code."""
    link = page.get_by_role("link", name="In giấy tiếp nhận và hẹn trả kết quả")
    expect(link).to_be_visible()
    response = page.request.get(link.get_attribute("href"))
    assert response.ok
    assert response.headers["content-type"] == "application/pdf"
    body = response.body()
    assert body.startswith(b"%PDF")
    text = "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(body)).pages)
    flat = re.sub(r"\s+", "", text)
    assert code in flat
    assert PROCEDURE in text
    assert "giấytiếpnhậnhồsơvàhẹntrảkếtquả" in flat.casefold()
    assert APPLICANT["Họ và tên người nộp"].replace(" ", "") in flat
    found = re.search(re.escape(f"{live_server}/lookup/") + r"[^()]+?\?key=[A-Z0-9]+", flat)
    assert found, text
    return found.group(0)


def hand_over(page, code):
    page.locator(".reception-nav").get_by_role("link", name="Chờ chuyển xử lý").click()
    row = page.locator("#handover tbody tr").filter(has_text=code)
    expect(row).to_contain_text(APPLICANT["Họ và tên người nộp"])
    row.get_by_role("link", name=code).click()
    expect(page.get_by_text(f"Bước tiếp theo: {FIRST_AGENCY}")).to_be_visible()
    page.get_by_role("button", name="Chuyển xử lý").click()
    _flash(page, f"Đã chuyển hồ sơ {code} đến {FIRST_AGENCY}.")
    _status(page, "Đang xử lý")


def open_from_inbox(page, code, agency):
    page.get_by_role("link", name="Xử lý hồ sơ").click()
    expect(page.get_by_role("heading", name=f"Hồ sơ tại {agency}")).to_be_visible()
    row = page.locator("#inbox tbody tr").filter(has_text=code)
    expect(row).to_contain_text(APPLICANT["Họ và tên người nộp"])
    row.get_by_role("link", name=code).click()
    _status(page, "Đang xử lý")
    expect(page.locator("main")).to_contain_text(f"Đang ở {agency}")


def forward_to_second_agency(page, code):
    open_from_inbox(page, code, FIRST_AGENCY)
    action = page.locator("#action-forward")
    action.locator("summary").click()
    expect(action.get_by_label("Chuyển đến cơ quan")).to_contain_text(f"Bước tiếp theo của quy trình: {SECOND_AGENCY}")
    action.get_by_role("button", name="Chuyển xử lý").click()
    _flash(page, "Đã thực hiện: Chuyển xử lý.")
    expect(page.locator("main")).to_contain_text(f"Đang ở {SECOND_AGENCY}")
    # The hand-over is recorded: this agency's step is finished and judged against its share of time.
    step = page.locator("#route tbody tr").filter(has_text=FIRST_AGENCY)
    expect(step.locator("td").last).to_have_text(re.compile("Trước hạn|Đúng hạn"))
    # The first agency may no longer act on it.
    expect(page.locator("#actions")).to_contain_text("Bạn không có thao tác nào với hồ sơ này lúc này.")


def complete(page, code):
    open_from_inbox(page, code, SECOND_AGENCY)
    action = page.locator("#action-complete")
    action.locator("summary").click()
    action.get_by_label("Ghi chú kết quả").fill("Đồng ý về công trình khai thác.")
    action.get_by_label("Tệp kết quả (PDF, JPEG, PNG)").set_input_files(
        {"name": "ket-qua.pdf", "mimeType": "application/pdf", "buffer": _small_pdf()})
    action.get_by_label("Tôi xác nhận kết quả đã được ký duyệt").check()
    action.get_by_role("button", name="Hoàn thành, chuyển trả kết quả về Bộ phận Một cửa").click()
    _flash(page, "Đã thực hiện:")
    _status(page, "Đã xử lý xong")
    expect(page.locator("#attachments")).to_contain_text("ket-qua.pdf")
    expect(page.locator("#route tbody tr")).to_have_count(3)  # the desk, then the two agencies


def return_result(page, code):
    page.locator(".reception-nav").get_by_role("link", name="Chờ trả kết quả").click()
    row = page.locator("#returns tbody tr").filter(has_text=code)
    expect(row).to_contain_text(APPLICANT["Họ và tên người nộp"])
    row.get_by_role("link", name="Trả kết quả").click()
    _status(page, "Đã xử lý xong")
    page.get_by_label("Họ tên người nhận kết quả").fill(COLLECTOR)
    page.get_by_label("Số CCCD người nhận").fill("079085004321")
    page.get_by_role("button", name="Xác nhận đã trả kết quả").click()
    _flash(page, f"Đã trả kết quả hồ sơ {code} cho {COLLECTOR}.")
    _status(page, "Đã trả kết quả")
    expect(page.locator("#collected-by")).to_contain_text(COLLECTOR)


def citizen_follows_and_rates(phone, qr_link, code):
    phone.goto(qr_link)
    expect(phone.locator("h1")).to_have_text(code)
    expect(phone.locator(".status-badge")).to_have_text("Đã trả kết quả")
    expect(phone.locator(".lookup-applicant")).to_contain_text(APPLICANT["Họ và tên người nộp"])
    expect(phone.locator(".lookup-facts")).to_contain_text(PROCEDURE_NAME)
    expect(phone.locator(".lookup-facts")).to_contain_text(DESK)
    steps = phone.locator("ol.lookup-timeline > li")
    expect(steps).to_have_count(3)
    for i, agency in enumerate((DESK, FIRST_AGENCY, SECOND_AGENCY)):
        expect(steps.nth(i)).to_contain_text(agency)
        expect(steps.nth(i)).to_contain_text("Nhận hồ sơ:")
        expect(steps.nth(i)).to_contain_text("Hoàn thành:")
        expect(steps.nth(i).locator(".lookup-result")).to_have_text(re.compile("Trước hạn|Đúng hạn"))
    # Made for the phone: nothing wider than the screen.
    assert phone.evaluate("document.documentElement.scrollWidth") <= PHONE["viewport"]["width"]

    phone.get_by_role("link", name="Đánh giá mức độ hài lòng").tap()
    expect(phone.get_by_role("heading", name="Đánh giá mức độ hài lòng")).to_be_visible()
    phone.get_by_label("Rất hài lòng", exact=True).check()
    phone.get_by_label("Góp ý (không bắt buộc)").fill(COMMENT)
    phone.get_by_role("button", name="Gửi đánh giá").tap()

    expect(phone.locator(".alert-success")).to_contain_text("Cảm ơn ông/bà đã đánh giá")
    rating = phone.locator("section").filter(has=phone.get_by_role("heading", name="Đánh giá của ông/bà"))
    expect(rating).to_contain_text("Rất hài lòng")
    expect(rating).to_contain_text(COMMENT)
    expect(phone.get_by_role("link", name="Đánh giá mức độ hài lòng")).to_have_count(0)


@pytest.mark.usefixtures("demo")
def test_two_agency_dossier_from_desk_to_citizen_rating(new_page, login, live_server, console):
    clerk = login(new_page(**DESKTOP), "tiepnhan")
    code = receive_dossier(clerk)
    qr_link = download_receipt(clerk, live_server, code)
    key = db.session.execute(db.select(Dossier.lookup_key).filter_by(code=code)).scalar_one()
    assert qr_link == f"{live_server}/lookup/{code}?key={key}"
    expect(clerk.locator("dl")).to_contain_text(key)

    hand_over(clerk, code)
    forward_to_second_agency(login(new_page(**DESKTOP), "chuyenvien.tnmt"), code)
    complete(login(new_page(**DESKTOP), "chuyenvien"), code)
    return_result(clerk, code)
    citizen_follows_and_rates(new_page(**PHONE), qr_link, code)

    assert console.problems == []
