"""Electronic result end to end: the agency completes with a PDF, the citizen downloads it on a phone with
the key, the verification page says it is valid; a tampered copy is reported invalid."""
from __future__ import annotations

from pathlib import Path

import pytest
from browserkit import DESKTOP
from factories import act, receive
from playwright.sync_api import expect
from signingkit import flipped

SHOTS = Path("/tmp/shots/esign")


def _result_pdf() -> bytes:
    from weasyprint import HTML

    return HTML(string="<h1>GIẤY PHÉP XÂY DỰNG</h1><p>Số 123/GPXD — Giay phep xay dung so 123</p>"
                "<p>Cấp cho ông Nguyễn Văn Đức, công trình nhà ở riêng lẻ.</p>").write_pdf()


def _fits(page, width=390):
    assert page.evaluate("document.documentElement.scrollWidth") <= width, page.url


def _shot(page, name):
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / name), full_page=True)


@pytest.fixture
def forwarded(demo):
    d = receive("1.009994")
    act(d, "forward", "tiepnhan")
    return d.code, d.lookup_key


def test_signed_result_downloaded_and_verified_on_a_phone(new_page, phone, login, forwarded, console, tmp_path):
    code, key = forwarded
    staff = login(new_page(**DESKTOP), "chuyenvien")
    staff.goto(f"/processing/dossiers/{code}")
    action = staff.locator("#action-complete")
    action.locator("summary").click()
    action.get_by_label("Ghi chú kết quả").fill("Cấp giấy phép xây dựng số 123/GPXD.")
    action.get_by_label("Tệp kết quả (PDF, JPEG, PNG)").set_input_files(
        {"name": "giay-phep.pdf", "mimeType": "application/pdf", "buffer": _result_pdf()})
    action.get_by_label("Tôi xác nhận kết quả đã được ký duyệt").check()
    action.get_by_role("button", name="Hoàn thành, chuyển trả kết quả về Bộ phận Một cửa").click()
    expect(staff.locator("#attachments")).to_contain_text("giay-phep.pdf")
    expect(staff.locator("main")).not_to_contain_text("chưa được ký số")
    _shot(staff, "staff-completed.png")

    phone.goto(f"/lookup/{code}?key={key}")
    card = phone.locator("section").filter(has_text="Kết quả điện tử")
    expect(card).to_contain_text("có chữ ký số của cơ quan nhà nước")
    _fits(phone)
    _shot(phone, "lookup-download.png")
    with phone.expect_download() as info:
        card.get_by_role("link", name="Tải kết quả").tap()
    downloaded = tmp_path / "giay-phep.pdf"
    info.value.save_as(downloaded)
    assert info.value.suggested_filename == "giay-phep.pdf"
    (SHOTS / "signed-result.pdf").write_bytes(downloaded.read_bytes())

    card.get_by_role("link", name="Kiểm tra văn bản điện tử").tap()
    expect(phone.get_by_role("heading", name="Kiểm tra văn bản điện tử có chữ ký số")).to_be_visible()
    phone.get_by_label("Tệp PDF cần kiểm tra").set_input_files(str(downloaded))
    phone.get_by_role("button", name="Kiểm tra chữ ký số").tap()
    expect(phone.locator(".verify-result")).to_contain_text("Hợp lệ — ký bởi Sở Xây dựng, lúc")
    expect(phone.locator(".verify-result")).to_contain_text("không bị sửa đổi")
    _fits(phone)
    _shot(phone, "verify-valid.png")

    forged = tmp_path / "giay-phep-sua.pdf"
    forged.write_bytes(flipped(downloaded.read_bytes()))
    phone.get_by_label("Tệp PDF cần kiểm tra").set_input_files(str(forged))
    phone.get_by_role("button", name="Kiểm tra chữ ký số").tap()
    expect(phone.locator(".verify-result")).to_contain_text("Không hợp lệ")
    expect(phone.locator(".verify-result")).to_contain_text("đã bị thay đổi sau khi ký")
    _fits(phone)
    _shot(phone, "verify-tampered.png")
    assert console.problems == []
