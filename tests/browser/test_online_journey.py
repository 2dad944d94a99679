"""A citizen on a 390 px phone finds a procedure without typing diacritics and reads its public page.

The online submission, supplement and signed-result legs of issue 16 are not built yet (see docs/online.md).
"""
from __future__ import annotations

import os
from pathlib import Path

from browserkit import PHONE
from playwright.sync_api import expect

SHOTS = Path(os.environ.get("ONESTOP_SHOTS", "/tmp/shots/online"))


def _fits_the_screen(page):
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["viewport"]["width"], page.url


def test_find_a_procedure_without_diacritics_on_a_phone(phone, demo, console):
    SHOTS.mkdir(parents=True, exist_ok=True)
    phone.goto("/lookup/")
    phone.locator("#catalogue-link").tap()
    expect(phone.get_by_role("heading", name="Công khai thủ tục hành chính")).to_be_visible()
    phone.get_by_label("Tên hoặc mã thủ tục").fill("giay phep xay dung")
    phone.get_by_role("button", name="Tìm thủ tục").tap()
    expect(phone.locator("#procedure-list > li")).to_have_count(1)
    _fits_the_screen(phone)
    phone.screenshot(path=str(SHOTS / "catalogue-390.png"), full_page=True)

    phone.get_by_role("link", name="Cấp giấy phép xây dựng nhà ở riêng lẻ").tap()
    expect(phone.locator("#procedure-name")).to_have_text("Cấp giấy phép xây dựng nhà ở riêng lẻ")
    expect(phone.locator("#online-level")).to_have_text("Một phần")
    expect(phone.locator("#document-list > li").first).to_be_visible()
    expect(phone.locator("#legal-basis")).to_contain_text("Luật Xây dựng 2014")
    _fits_the_screen(phone)
    phone.screenshot(path=str(SHOTS / "procedure-390.png"), full_page=True)
    assert console.problems == []
