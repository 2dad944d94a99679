"""Decree 118/2025 in Chromium: a procedure published as received regardless of administrative boundary is
received at the desk of another commune, processed by the competent commune, and returned where it came in."""
from __future__ import annotations

import re

import pytest
from browserkit import DESKTOP
from playwright.sync_api import expect

PROCEDURE = "1.001193"  # Đăng ký khai sinh, decided by UBND xã Phú Lộc, any desk of the province receives it
RECEIVING_DESK = "UBND xã Long Bình"
COMPETENT = "UBND xã Phú Lộc"
APPLICANT = {"Họ và tên người nộp": "Lê Thị Thu Trang", "Số CCCD (12 chữ số)": "079195004455",
             "Số điện thoại": "0903555777", "Địa chỉ": "Ấp 3, xã Phú Lộc, tỉnh Sơn Hà"}


def _flash(page, text):
    expect(page.locator(".alert-success").filter(has_text=text)).to_be_visible()


@pytest.mark.usefixtures("demo")
def test_received_at_another_communes_desk_processed_by_the_competent_one_returned_there(new_page, login,
                                                                                          console):
    clerk = login(new_page(**DESKTOP), "tiepnhan.longbinh")
    clerk.goto("/reception/intake")
    clerk.get_by_label("Mã hoặc tên thủ tục").fill("khai sinh")
    clerk.locator("#procedure-list a:visible").filter(has_text=PROCEDURE).click()
    for label, value in APPLICANT.items():
        clerk.get_by_label(label, exact=True).fill(value)
    clerk.get_by_role("button", name="Xem trước hẹn trả").click()
    clerk.get_by_role("button", name="Xác nhận tiếp nhận").click()
    _flash(clerk, "Hẹn trả kết quả:")
    code = clerk.locator("#dossier-code").inner_text().strip()
    assert re.fullmatch(r"000\.01\.32\.H56-\d{6}-\d{4}", code), code  # the receiving desk's identifier

    clerk.get_by_role("button", name="Chuyển xử lý").click()
    _flash(clerk, f"Đã chuyển hồ sơ {code} đến {COMPETENT}.")

    specialist = login(new_page(**DESKTOP), "chuyenvien.phuloc")
    specialist.goto(f"/processing/dossiers/{code}")
    expect(specialist.locator("main")).to_contain_text(f"Đang ở {COMPETENT}")
    action = specialist.locator("#action-complete")
    action.locator("summary").click()
    action.get_by_label("Ghi chú kết quả").fill("Đã đăng ký khai sinh.")
    action.get_by_label("Tôi xác nhận kết quả đã được ký duyệt").check()
    action.get_by_role("button", name=re.compile("Hoàn thành")).click()
    _flash(specialist, "Đã thực hiện:")
    expect(specialist.locator("main")).to_contain_text(f"Đang ở {RECEIVING_DESK}")

    # The result is back at the desk that received the dossier, which returns it to the citizen.
    clerk.locator(".reception-nav").get_by_role("link", name="Chờ trả kết quả").click()
    row = clerk.locator("#returns tbody tr").filter(has_text=code)
    row.get_by_role("link", name="Trả kết quả").click()
    clerk.get_by_label("Họ tên người nhận kết quả").fill(APPLICANT["Họ và tên người nộp"])
    clerk.get_by_role("button", name="Xác nhận đã trả kết quả").click()
    _flash(clerk, f"Đã trả kết quả hồ sơ {code}")
    expect(clerk.locator("h1 .status-badge")).to_have_text("Đã trả kết quả")

    # The competent commune's own desk never held it; the receiving desk's clerk of Phú Lộc cannot return it.
    other_desk = login(new_page(**DESKTOP), "tiepnhan.phuloc")
    other_desk.goto("/reception/returns")
    expect(other_desk.locator("main")).not_to_contain_text(code)
    assert console.problems == []
