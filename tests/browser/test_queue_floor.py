"""The centre's floor in Chromium: a kiosk, two counters, the hall's board and a rating tablet open at once."""
from __future__ import annotations

import os
from pathlib import Path

import pytest
import sqlalchemy as sa
from browserkit import DESKTOP, PHONE
from playwright.sync_api import expect

from onestop import queue
from onestop.agencies import get_by_identifier
from onestop.extensions import db
from onestop.models import CounterRating, QueueCounter, QueueTicket

CENTER = "000.00.17.H56"
BOARD = {"viewport": {"width": 1920, "height": 1080}}
TABLET = {"viewport": {"width": 1280, "height": 800}, "has_touch": True}
SHOTS = Path(os.environ.get("ONESTOP_SHOTS", "/tmp/shots/queue"))


def _shot(page, name):
    if SHOTS.parent.exists():
        SHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


@pytest.mark.usefixtures("demo")
def test_numbers_are_taken_called_shown_on_the_board_served_and_rated(new_page, login, console):
    center = get_by_identifier(CENTER)
    counters = {c.number: c for c in db.session.execute(
        sa.select(QueueCounter).filter_by(agency_id=center.id)).scalars()}
    one, two = counters[1], counters[2]  # 1: Xây dựng; 2: Tài nguyên nước, Đất đai
    kiosk_url = f"/queue/kiosk/{CENTER}?k={queue.kiosk_key(center)}"
    tablet_url = f"/queue/rate/{one.id}?k={queue.rating_key(one)}"

    board = new_page(**BOARD)
    board.goto(f"/queue/board/{CENTER}")
    tablet = new_page(**TABLET)
    tablet.goto(tablet_url)
    expect(tablet.locator("main")).to_contain_text("Xin kính chào quý công dân")
    kiosk = new_page(**TABLET)
    kiosk.goto(kiosk_url)
    _shot(kiosk, "kiosk-tablet")

    for field in ("Xây dựng", "Đất đai", "Xây dựng"):
        kiosk.get_by_role("button", name=field).click()
        expect(kiosk.locator("#ticket-number")).to_be_visible()
        kiosk.get_by_role("link", name="Xong").click()
    numbers = db.session.execute(sa.select(QueueTicket.number).order_by(QueueTicket.id)).scalars().all()
    db.session.rollback()
    assert numbers == [1, 2, 3]
    expect(board.locator("#board-waiting")).to_contain_text("Xây dựng", timeout=2000)

    first = login(new_page(**DESKTOP), "tiepnhan")
    second = login(new_page(**DESKTOP), "tiepnhan")
    first.goto(f"/queue/counter/{one.id}")
    second.goto(f"/queue/counter/{two.id}")

    first.get_by_role("button", name="Gọi số tiếp theo").click()
    expect(first.locator("#counter-number")).to_have_text("1")
    expect(board.locator("#board-announce")).to_have_text("Mời công dân số 1 đến quầy 1", timeout=2000)
    second.get_by_role("button", name="Gọi số tiếp theo").click()
    expect(second.locator("#counter-number")).to_have_text("2")  # Đất đai: counter 1 does not serve it
    expect(board.locator("#board-announce")).to_have_text("Mời công dân số 2 đến quầy 2", timeout=2000)
    expect(board.locator("#board-calls tr")).to_have_count(2, timeout=2000)
    _shot(board, "board-1920")

    first.get_by_role("button", name="Bắt đầu phục vụ").click()
    first.get_by_role("button", name="Hoàn thành").click()
    expect(first.locator(".alert-success")).to_contain_text("Đã hoàn thành số 1")
    expect(tablet.get_by_role("button", name="Rất hài lòng")).to_be_visible(timeout=4000)
    _shot(tablet, "tablet-1280")
    tablet.get_by_text("Không", exact=True).first.click()
    tablet.get_by_role("button", name="Rất hài lòng").click()
    expect(tablet.locator(".alert-success")).to_contain_text("Cảm ơn")
    rating = db.session.execute(sa.select(CounterRating)).scalar_one()
    db.session.rollback()
    assert (rating.rating, rating.asked_money, rating.counter_id) == ("very_satisfied", False, one.id)
    _shot(first, "counter-1366")

    # The next call at counter 1 is number 3; the board chimes it in within 2 s.
    first.get_by_role("button", name="Gọi số tiếp theo").click()
    expect(board.locator("#board-announce")).to_have_text("Mời công dân số 3 đến quầy 1", timeout=2000)


@pytest.mark.usefixtures("demo")
def test_the_kiosk_and_the_ticket_status_on_a_phone(new_page, console):
    center = get_by_identifier(CENTER)
    phone = new_page(**PHONE)
    phone.goto(f"/queue/kiosk/{CENTER}?k={queue.kiosk_key(center)}")
    _shot(phone, "kiosk-phone-390")
    phone.get_by_role("button", name="Xây dựng").click()
    expect(phone.locator("#ticket-number")).to_have_text("1")
    _shot(phone, "ticket-phone-390")
    token = db.session.execute(sa.select(QueueTicket.token)).scalar_one()
    db.session.rollback()
    phone.goto(f"/queue/t/{token}")
    expect(phone.locator("#status-number")).to_have_text("1")
    expect(phone.locator("main")).to_contain_text("Số người chờ trước bạn: 0")
    _shot(phone, "status-phone-390")
    width = phone.evaluate("document.documentElement.scrollWidth")
    assert width <= 390
