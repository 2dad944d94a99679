"""Issue 19 in Chromium: the preview keeps the scan, a duplicate intake asks first, a two-tab conflict lands on
the dossier's page, and the receipt's lookup link follows the address the browser used."""
from __future__ import annotations

import io
import re
import threading

import pytest
from browserkit import DESKTOP
from playwright.sync_api import expect
from pypdf import PdfReader

PROCEDURE = "1.009994"
APPLICANT = {"Họ và tên người nộp": "Trương Thị Hạnh", "Số CCCD (12 chữ số)": "079188001122",
             "Số điện thoại": "0912345678", "Địa chỉ": "Ấp 2, xã Long Bình"}
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def open_intake(page):
    page.goto(f"/reception/intake?procedure={PROCEDURE}")
    for label, value in APPLICANT.items():
        page.get_by_label(label, exact=True).fill(value)


def accept(page):
    page.get_by_role("button", name=re.compile("Xác nhận tiếp nhận|Tiếp nhận hồ sơ")).click()


@pytest.mark.usefixtures("demo")
def test_preview_keeps_the_chosen_scan_and_acceptance_saves_it(new_page, login, console):
    clerk = login(new_page(**DESKTOP), "tiepnhan")
    open_intake(clerk)
    clerk.locator("#scans").set_input_files({"name": "don-de-nghi.pdf", "mimeType": "application/pdf",
                                             "buffer": PDF})
    clerk.get_by_role("button", name="Xem trước hẹn trả").click()
    expect(clerk.locator("#kept-scans")).to_contain_text("don-de-nghi.pdf")
    accept(clerk)
    expect(clerk.locator(".alert-success")).to_contain_text("Hẹn trả kết quả:")
    expect(clerk.locator("#scan-list")).to_contain_text("don-de-nghi.pdf")
    expect(clerk.locator("#receipt-ready")).to_be_visible()


@pytest.mark.usefixtures("demo")
def test_the_same_applicant_twice_in_a_minute_asks_before_a_second_dossier(new_page, login, console):
    clerk = login(new_page(**DESKTOP), "tiepnhan")
    open_intake(clerk)
    accept(clerk)
    first = clerk.locator("#dossier-code").inner_text().strip()
    open_intake(clerk)  # Back, retype, accept
    accept(clerk)
    warning = clerk.locator("#duplicate-warning")
    expect(warning).to_contain_text(first)
    clerk.get_by_label(re.compile("đây là một hồ sơ khác")).check()
    accept(clerk)
    expect(clerk.locator(".alert-success")).to_contain_text("Hẹn trả kết quả:")
    assert clerk.locator("#dossier-code").inner_text().strip() != first


@pytest.mark.usefixtures("demo")
def test_a_two_tab_conflict_lands_on_the_dossier_page_with_the_actions_of_now(new_page, login, console):
    clerk = login(new_page(**DESKTOP), "tiepnhan")
    clerk.goto("/reception/intake?procedure=1.004227")
    for label, value in APPLICANT.items():
        clerk.get_by_label(label, exact=True).fill(value)
    accept(clerk)
    code = clerk.locator("#dossier-code").inner_text().strip()
    clerk.get_by_role("button", name="Chuyển xử lý").click()

    first = login(new_page(**DESKTOP), "chuyenvien.tnmt")
    first.goto(f"/processing/dossiers/{code}")
    second = first.context.new_page()
    second.goto(f"/processing/dossiers/{code}")
    second.locator("#action-forward summary").click()
    second.locator("#action-forward").get_by_role("button", name="Chuyển xử lý").click()
    expect(second.locator(".alert-success")).to_be_visible()

    first.locator("#action-stop summary").click()
    first.locator("#action-stop").get_by_label("Lý do").fill("Không đủ điều kiện")
    first.locator("#action-stop").get_by_role("button").click()
    expect(first.locator(".alert-danger")).to_contain_text("Hồ sơ đã được cập nhật bởi người khác")
    assert first.url.endswith(f"/processing/dossiers/{code}")
    expect(first.locator("#actions")).to_contain_text("Bạn không có thao tác nào")
    first.reload()  # a GET: nothing is posted again
    expect(first.locator(".alert-danger")).to_have_count(0)


@pytest.fixture
def default_base_server(_schema):
    """A second server of the same database whose ONESTOP_BASE_URL is left at its default."""
    from support import make_app
    from werkzeug.serving import make_server

    app = make_app(WTF_CSRF_ENABLED=True, ONESTOP_BASE_URL="http://127.0.0.1:5000", ONESTOP_BASE_URL_FIXED=False)
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(timeout=5)


@pytest.mark.usefixtures("demo")
def test_the_receipts_lookup_link_follows_the_served_address(new_page, login, console, default_base_server):
    clerk = login(new_page(base_url=default_base_server, **DESKTOP), "tiepnhan")
    open_intake(clerk)
    accept(clerk)
    code = clerk.locator("#dossier-code").inner_text().strip()
    href = clerk.locator("#print-receipt").get_attribute("href")
    body = clerk.request.get(href).body()
    text = re.sub(r"\s+", "", "".join(p.extract_text() for p in PdfReader(io.BytesIO(body)).pages))
    assert f"{default_base_server}/lookup/{code}" in text, text[:400]
    assert "127.0.0.1:5000" not in text


@pytest.mark.usefixtures("demo")
def test_the_header_counters_show_numbers_on_processing_pages_and_lead_somewhere_open(new_page, login, console):
    """Item 1: the due-soon/overdue counters on every /processing/ page, and a clerk's counters open a page."""
    from datetime import timedelta

    from factories import act, receive

    from onestop.timeutil import now as utcnow

    late = receive("1.004227", at=utcnow() - timedelta(days=60))
    act(late, "forward", "tiepnhan", at=utcnow() - timedelta(days=59))
    specialist = login(new_page(**DESKTOP), "chuyenvien.tnmt")
    for url in ("/processing/", f"/processing/dossiers/{late.code}"):
        specialist.goto(url)
        overdue = specialist.locator('a[title="Quá hạn"]').first
        expect(overdue).to_contain_text(re.compile(r"Quá hạn:\s*1"))
        assert overdue.get_attribute("href"), url
    clerk = login(new_page(**DESKTOP), "tiepnhan")
    clerk.goto("/reception/")
    clerk.locator('a[title="Quá hạn"]').first.click()
    assert "403" not in clerk.title() and clerk.locator("main").count() == 1
    expect(clerk.locator("h1").first).not_to_contain_text("403")


@pytest.mark.usefixtures("demo")
def test_slips_open_beside_the_form_required_fields_speak_vietnamese_and_small_scans_show_bytes(
        new_page, login, console):
    """Item 8: a slip printed at intake opens in a new tab and the form stays filled; the receipt is offered after
    acceptance; an empty required field gets the server's Vietnamese message, not the browser's bubble; a
    193-byte scan reads "193 B"; an empty address keeps its own row; a name with markup is refused."""
    clerk = login(new_page(**DESKTOP), "tiepnhan")
    open_intake(clerk)
    clerk.locator("textarea[name=reason]").fill("Không thuộc thẩm quyền giải quyết")
    with clerk.context.expect_page() as slip_tab:
        clerk.locator("button[value=refuse]").click()
    slip_tab.value.close()
    assert "/reception/intake" in clerk.url
    expect(clerk.get_by_label("Họ và tên người nộp", exact=True)).to_have_value(APPLICANT["Họ và tên người nộp"])

    clerk.get_by_label("Họ và tên người nộp", exact=True).fill("Nguyễn <b>An</b>")
    accept(clerk)
    expect(clerk.locator("main")).to_contain_text("không được chứa ký tự")
    clerk.get_by_label("Họ và tên người nộp", exact=True).fill("")
    accept(clerk)  # novalidate: the server answers in Vietnamese instead of the browser's bubble
    expect(clerk.locator(".invalid-feedback").first).to_be_visible()
    clerk.get_by_label("Họ và tên người nộp", exact=True).fill(APPLICANT["Họ và tên người nộp"])
    clerk.get_by_label("Địa chỉ", exact=True).fill("")
    accept(clerk)
    expect(clerk.locator("#receipt-ready")).to_be_visible()
    code = clerk.locator("#dossier-code").inner_text().strip()
    assert "printed=receipt" in clerk.url
    expect(clerk.locator("#applicant-address")).to_have_text("—")

    scan = b"%PDF-1.4\n" + b"%" * 150 + b"\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
    clerk.locator("input[type=file][name=scans]").set_input_files(
        {"name": "nho.pdf", "mimeType": "application/pdf", "buffer": scan})
    clerk.locator("input[type=file][name=scans]").locator("xpath=ancestor::form").locator(
        "button[type=submit]").click()
    expect(clerk.locator("#scan-list")).to_contain_text(f"{len(scan)} B")
    expect(clerk.locator("#scan-list")).not_to_contain_text("0 KB")
    assert code
