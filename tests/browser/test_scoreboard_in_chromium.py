"""The public scoreboard and the leads page in Chromium, on a phone (390 px) and a desktop (1366 px)."""
from __future__ import annotations

from datetime import timedelta

import pytest
from browserkit import shot
from factories import receive
from playwright.sync_api import expect

from onestop import accounts
from onestop.devdata import generate
from onestop.extensions import db
from onestop.timeutil import now as utcnow

LAPTOP = {"viewport": {"width": 1366, "height": 768}}
PHONE_NUMBER = "0987000111"
PASSWORD = "mèo vàng ăn cá kho"


@pytest.fixture
def province(demo):
    generate.generate(300, seed=22)
    now = utcnow()
    for i in range(12):
        receive("1.004227", at=now - timedelta(days=i + 1), commit=False,
                applicant={"full_name": f"Người Thứ {i}", "id_number": f"00120300{i:04d}", "phone": PHONE_NUMBER})
    accounts.create_user("thanhtra", role="inspector", agency_identifier="000.00.00.H56",
                         full_name="Thanh Tra Viên", password=PASSWORD)
    db.session.commit()


def no_sideways_scroll(page, width: int) -> None:
    assert page.evaluate("document.documentElement.scrollWidth") <= width


def test_the_scoreboard_on_a_phone_and_a_desktop(new_page, console, province):
    phone = new_page(viewport={"width": 390, "height": 844}, device_scale_factor=2, is_mobile=True, has_touch=True)
    phone.goto("/bang-diem/")
    expect(phone.get_by_role("heading", name="Bảng điểm phục vụ người dân, doanh nghiệp")).to_be_visible()
    expect(phone.locator("[data-figure=new]").first).to_be_visible()
    chart = phone.locator("figure.scoreboard-chart svg").first
    expect(chart).to_be_visible()
    assert chart.bounding_box()["width"] <= 390
    expect(phone.locator("#rank-agency")).to_be_visible()
    no_sideways_scroll(phone, 390)
    shot(phone, "scoreboard-phone")
    # To one commune's page through the list (no script needed).
    phone.get_by_text("Xem bảng điểm của cơ quan, xã, phường khác").click()
    phone.get_by_role("link", name="Sở Xây dựng").first.click()
    expect(phone.locator("main")).to_contain_text("Sở Xây dựng")
    no_sideways_scroll(phone, 390)
    shot(phone, "scoreboard-agency-phone")

    desk = new_page(**LAPTOP)
    desk.goto("/bang-diem/")
    expect(desk.locator("#late-title")).to_be_visible()
    no_sideways_scroll(desk, 1366)
    shot(desk, "scoreboard-desktop")
    assert console.problems == []


def test_the_leads_page_on_a_desktop_and_a_phone(new_page, login, console, province):
    desk = login(new_page(**LAPTOP), "thanhtra", PASSWORD)
    desk.get_by_role("link", name="Dấu hiệu cò mồi").click()
    expect(desk.locator("main")).to_contain_text(PHONE_NUMBER)
    no_sideways_scroll(desk, 1366)
    shot(desk, "leads-desktop")
    desk.get_by_role("link", name=PHONE_NUMBER).click()
    expect(desk.locator("main")).to_contain_text("Người Thứ 11")
    desk.get_by_label("Kết quả xem xét").fill("Đã mời chủ thuê bao lên làm việc.")
    desk.get_by_role("button", name="Ghi nhận đã xem xét").click()
    expect(desk.locator("main")).to_contain_text("Đã ghi nhận kết quả xem xét")
    shot(desk, "lead-desktop")

    phone = login(new_page(viewport={"width": 390, "height": 844}, device_scale_factor=2, is_mobile=True,
                           has_touch=True), "thanhtra", PASSWORD)
    phone.goto("/integrity/")
    expect(phone.locator("main")).to_contain_text(PHONE_NUMBER)
    no_sideways_scroll(phone, 390)
    shot(phone, "leads-phone")
    assert console.problems == []


def test_the_rating_form_asks_the_two_questions_on_a_phone(new_page, console, demo):
    from factories import APPLICANT, act, vn

    d = receive("1.009994", at=vn(2026, 11, 2, 9, 0))
    act(d, "forward", "tiepnhan", at=vn(2026, 11, 2, 10, 0))
    act(d, "complete", "chuyenvien", at=vn(2026, 11, 5, 9, 0))
    act(d, "return", "tiepnhan", at=vn(2026, 11, 6, 9, 0), collected_by=APPLICANT["full_name"])
    phone = new_page(viewport={"width": 390, "height": 844}, device_scale_factor=2, is_mobile=True, has_touch=True)
    phone.goto(f"/lookup/{d.code}/feedback?key={d.lookup_key}")
    phone.get_by_label("Hài lòng", exact=True).check()
    money = phone.get_by_role("group", name="Có ai đòi tiền hoặc gợi ý làm nhanh hồ sơ của ông/bà không?")
    money.get_by_label("Có", exact=True).check()
    no_sideways_scroll(phone, 390)
    shot(phone, "feedback-phone")
    phone.get_by_role("button", name="Gửi đánh giá").click()
    expect(phone.locator("main")).to_contain_text("chuyển tới cán bộ thanh tra")
    shot(phone, "feedback-sent-phone")
    assert console.problems == []


def test_the_desk_sees_a_shared_contact_and_the_confirm_buttons(new_page, login, console, province):
    d = receive("1.004227", applicant={"full_name": "Người Mới", "id_number": "001203099999",
                                       "phone": PHONE_NUMBER, "email": "nguoi.moi@example.vn"})
    desk = login(new_page(**LAPTOP), "tiepnhan")
    desk.goto(f"/reception/dossiers/{d.code}")
    panel = desk.locator("#contact-check")
    expect(panel).to_contain_text("12 người nộp khác")
    expect(panel.get_by_role("button", name="Xác nhận")).to_have_count(2)
    # The code fields say what goes in them with a visible label, not a grey example inside the box.
    fields = panel.get_by_label("Mã xác nhận (6 chữ số)")
    expect(fields).to_have_count(2)
    expect(fields.first).to_be_visible()
    assert [fields.nth(i).get_attribute("placeholder") for i in range(2)] == [None, None]
    no_sideways_scroll(desk, 1366)
    shot(desk, "desk-contact-desktop")
    assert console.problems == []
