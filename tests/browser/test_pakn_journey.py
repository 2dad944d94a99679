"""A PAKN's whole life in Chromium: the citizen files it from the lookup page, the desk answers, the citizen
sees the answer and rates it. Screenshots (390 px citizen, 1366 px staff) go to ONESTOP_SHOTS if set."""
from __future__ import annotations

import os
from pathlib import Path

import pytest
from browserkit import PHONE
from factories import receive
from playwright.sync_api import expect

STAFF = {"viewport": {"width": 1366, "height": 900}}
SHOTS = os.environ.get("ONESTOP_SHOTS")


def shot(page, name):
    if SHOTS:
        Path(SHOTS).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=f"{SHOTS}/{name}.png", full_page=True)


@pytest.mark.usefixtures("demo")
def test_a_pakn_from_filing_to_rating(new_page, login, console):
    d = receive("1.009994")
    citizen = new_page(**PHONE)
    citizen.goto(f"/lookup/{d.code}?key={d.lookup_key}")
    citizen.locator("#file-pakn").click()
    expect(citizen.locator("main")).to_contain_text(d.code)
    citizen.get_by_label("Phản ánh", exact=True).check()
    citizen.get_by_label("Nội dung", exact=True).fill("Tôi phải đến ba lần mà vẫn chưa được hướng dẫn đủ giấy tờ.")
    citizen.get_by_label("Họ và tên").fill("Nguyễn Văn Đức")
    shot(citizen, "01-citizen-file-390")
    citizen.get_by_role("button", name="Gửi phản ánh, kiến nghị").click()
    code = citizen.locator("#pakn-code").inner_text().strip()
    key = citizen.locator("#pakn-key").inner_text().strip()
    assert code.startswith("PAKN-") and len(key) == 8
    shot(citizen, "02-citizen-filed-390")

    clerk = login(new_page(**STAFF), "tiepnhan")
    clerk.goto("/pakn/staff")
    row = clerk.locator("tbody tr").filter(has_text=code)
    expect(row).to_contain_text("Đang xử lý")
    shot(clerk, "03-staff-list-1366")
    row.get_by_role("link", name=code).click()
    expect(clerk.locator("main")).to_contain_text("Nguyễn Văn Đức")
    clerk.get_by_label("Nội dung trả lời").fill("Trung tâm xin lỗi ông; cán bộ sẽ hướng dẫn đầy đủ một lần.")
    shot(clerk, "04-staff-answer-1366")
    clerk.get_by_role("button", name="Gửi trả lời").click()
    expect(clerk.locator(".alert-success")).to_contain_text("Đã gửi câu trả lời")
    clerk.goto(f"/reception/dossiers/{d.code}")
    expect(clerk.locator("#dossier-pakn-sync")).to_contain_text(code)
    expect(clerk.locator("#dossier-sync-state")).to_contain_text("Chờ gửi")
    shot(clerk, "05-staff-dossier-panel-1366")

    citizen.goto("/pakn/")
    citizen.get_by_label("Mã phản ánh, kiến nghị").fill(code)
    citizen.get_by_label("Mã tra cứu").fill(key)
    citizen.get_by_role("button", name="Xem").click()
    expect(citizen.locator("#pakn-answer")).to_contain_text("Trung tâm xin lỗi ông")
    shot(citizen, "06-citizen-answer-390")
    citizen.get_by_label("Hài lòng", exact=True).check()
    citizen.get_by_role("button", name="Gửi đánh giá").click()
    expect(citizen.locator("#pakn-rating")).to_have_text("Hài lòng")
    shot(citizen, "07-citizen-rated-390")

    admin = login(new_page(**STAFF), "admin")
    admin.goto("/pakn/portal-sync")
    expect(admin.locator("#sync-count-pending")).not_to_have_text("0")
    shot(admin, "08-admin-portal-sync-1366")
    assert console.problems == []
