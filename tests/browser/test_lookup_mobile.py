"""A citizen on a phone types the code from the receipt: short view first, the key opens the full view."""
from __future__ import annotations

import pytest
from browserkit import PHONE
from factories import APPLICANT, act, receive
from playwright.sync_api import expect


@pytest.fixture
def held(demo):
    dossier = receive("1.004227")
    act(dossier, "forward", "tiepnhan")
    return dossier.code, dossier.lookup_key


def _fits_the_screen(page):
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["viewport"]["width"], page.url


def test_code_then_key_on_a_phone(phone, held, console):
    code, key = held
    phone.goto("/lookup/")
    expect(phone.get_by_role("heading", name="Tra cứu tình trạng hồ sơ")).to_be_visible()
    _fits_the_screen(phone)
    phone.get_by_label("Mã hồ sơ").fill(code.lower())  # typed on a phone keyboard
    phone.get_by_role("button", name="Tra cứu").tap()

    expect(phone.locator("h1")).to_have_text(code)
    expect(phone.locator(".status-badge")).to_have_text("Đang xử lý")
    expect(phone.locator(".lookup-summary")).to_contain_text("Sở Tài nguyên và Môi trường")
    expect(phone.locator("ol.lookup-timeline > li")).to_have_count(2)  # the desk's step and the one open now
    expect(phone.locator("ol.lookup-timeline > li").last).to_contain_text("Đang xử lý")
    # Without the key no personal data.
    expect(phone.locator("main")).not_to_contain_text(APPLICANT["full_name"])
    _fits_the_screen(phone)

    phone.get_by_label("Mã tra cứu hoặc số CCCD").fill(key)
    phone.get_by_role("button", name="Tra cứu").tap()
    expect(phone.locator(".lookup-applicant")).to_contain_text(APPLICANT["full_name"])
    assert f"key={key}" in phone.url
    _fits_the_screen(phone)
    assert console.problems == []


def test_wrong_key_says_not_found_without_telling_which(phone, held):
    code, _key = held
    phone.goto(f"/lookup/{code}?key=ZZZZZZZZ")
    expect(phone.get_by_role("heading", name="Không tìm thấy hồ sơ")).to_be_visible()
    expect(phone.get_by_role("alert")).to_contain_text("Vui lòng kiểm tra lại mã hồ sơ và mã tra cứu")
    expect(phone.locator("main")).not_to_contain_text(APPLICANT["full_name"])
    _fits_the_screen(phone)
