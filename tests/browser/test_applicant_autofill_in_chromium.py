"""A returning applicant at the desk: typing the ID number fills the empty fields from their latest dossier,
and never writes into a field the clerk has already started on."""
from __future__ import annotations

import pytest
from browserkit import DESKTOP
from factories import APPLICANT, receive
from playwright.sync_api import expect

ID_LABEL = "Số CCCD (12 chữ số)"


@pytest.fixture
def returning(demo):
    return receive("1.009994")


def test_the_id_number_fills_the_empty_fields(new_page, login, returning, console):
    clerk = login(new_page(**DESKTOP), "tiepnhan")
    clerk.goto("/reception/intake?procedure=1.009994")
    clerk.get_by_label(ID_LABEL, exact=True).fill(APPLICANT["id_number"])
    expect(clerk.get_by_label("Họ và tên người nộp", exact=True)).to_have_value(APPLICANT["full_name"])
    expect(clerk.get_by_label("Số điện thoại", exact=True)).to_have_value(APPLICANT["phone"])


def test_a_late_answer_never_writes_into_the_field_the_clerk_is_typing_in(new_page, login, returning, console):
    clerk = login(new_page(**DESKTOP), "tiepnhan")
    held = []
    clerk.route("**/reception/applicant?*", lambda route: held.append(route))  # the answer is slow today
    clerk.goto("/reception/intake?procedure=1.009994")
    clerk.get_by_label(ID_LABEL, exact=True).fill(APPLICANT["id_number"])
    phone = clerk.get_by_label("Số điện thoại", exact=True)
    phone.click()  # the clerk moves on to the phone while the answer is on its way
    clerk.wait_for_timeout(200)
    assert held, "the page asked for the returning applicant"
    held[0].continue_()
    expect(clerk.get_by_label("Họ và tên người nộp", exact=True)).to_have_value(APPLICANT["full_name"])
    clerk.keyboard.type("0987654321")
    expect(phone).to_have_value("0987654321")
