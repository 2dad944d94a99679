"""Issue 16's journey: a citizen submits a dossier online on a 390 px phone with JavaScript off, the code comes
by real local SMTP, the desk asks for completion and accepts, the agency asks for a supplement that the citizen
uploads online, the agency completes with a sealed result, the citizen downloads it and the verification page
says it is valid (and that a tampered copy is not)."""
from __future__ import annotations

import os
import re
import socket
import threading
import time
from pathlib import Path

import pytest
from browserkit import PHONE
from playwright.sync_api import expect
from signingkit import flipped
from support import make_app
from werkzeug.serving import make_server

from onestop import notices
from onestop.extensions import db
from onestop.models import Dossier
from onestop.status import DossierStatus

SHOTS = Path(os.environ.get("ONESTOP_SHOTS", "/tmp/shots/online"))
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
CONTACT = "thu.le@example.vn"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def smtp():
    """A real local SMTP server keeping every message."""
    import email
    import email.policy

    from aiosmtpd.controller import Controller

    class Inbox:
        messages: list = []

        async def handle_DATA(self, server, session, envelope):
            self.messages.append(email.message_from_bytes(envelope.content, policy=email.policy.default))
            return "250 OK"

    port = _free_port()
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    yield port, inbox
    controller.stop()


@pytest.fixture(scope="module")
def mail_server_site(_schema, smtp):
    """The app with mail on, served on a free port (real CSRF checks)."""
    app = make_app(WTF_CSRF_ENABLED=True, MAIL_SERVER="127.0.0.1", MAIL_PORT=smtp[0])
    server = make_server("127.0.0.1", 0, app, threaded=True)
    url = f"http://127.0.0.1:{server.server_port}"
    app.config["ONESTOP_BASE_URL"] = url
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield url
    server.shutdown()
    thread.join(timeout=5)


def _deliver(app, smtp, count):
    """Run the outbox job as the scheduler would, and wait for the SMTP server to hold `count` messages."""
    app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=smtp[0])
    db.session.remove()
    notices.deliver()
    db.session.commit()
    for _i in range(50):
        if len(smtp[1].messages) >= count:
            return smtp[1].messages
        time.sleep(0.1)
    raise AssertionError(f"{len(smtp[1].messages)} messages arrived, {count} expected")


def _result_pdf() -> bytes:
    from weasyprint import HTML

    return HTML(string="<h1>GIẤY CHỨNG NHẬN ĐĂNG KÝ DOANH NGHIỆP</h1><p>Mã số doanh nghiệp 0312345678</p>").write_pdf()


def _fits(page):
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["viewport"]["width"], page.url


def test_a_citizen_submits_online_on_a_phone_and_gets_a_signed_result(app, demo, new_page, mail_server_site, smtp,
                                                                      login, console, tmp_path):
    SHOTS.mkdir(parents=True, exist_ok=True)
    smtp[1].messages.clear()
    phone = new_page(**PHONE, base_url=mail_server_site, java_script_enabled=False)
    phone.goto("/thu-tuc/")
    phone.get_by_label("Tên hoặc mã thủ tục").fill("thanh lap doanh nghiep")
    phone.get_by_role("button", name="Tìm thủ tục").tap()
    phone.get_by_role("link", name="Đăng ký thành lập doanh nghiệp tư nhân").tap()
    phone.locator("#submit-online").tap()

    phone.get_by_label("Họ và tên người nộp").fill("Lê Thị Thu")
    phone.get_by_label("Số CCCD (12 chữ số)").fill("079188001122")
    phone.get_by_label("Số điện thoại di động").fill("0987654321")
    phone.get_by_label("Nhận mã xác nhận và thông báo qua").fill(CONTACT)
    _fits(phone)
    phone.screenshot(path=str(SHOTS / "submit-details-390.png"), full_page=True)
    phone.locator("#details-next").tap()

    phone.locator("#send-code").tap()
    expect(phone.get_by_text("Đã gửi mã xác nhận tới t***@example.vn")).to_be_visible()
    [mail] = _deliver(app, smtp, 1)
    assert mail["To"] == CONTACT
    code = re.search(r"Mã xác nhận (\d{6})", mail.get_content()).group(1)
    phone.get_by_label("Mã xác nhận").fill("000000" if code != "000000" else "111111")
    phone.locator("#confirm-code").tap()
    expect(phone.locator("#online-error")).to_contain_text("Mã xác nhận không đúng")
    phone.get_by_label("Mã xác nhận").fill(code)
    phone.locator("#confirm-code").tap()

    phone.locator("#file_0").set_input_files(files=[{"name": "giay-de-nghi.pdf", "mimeType": "application/pdf",
                                                     "buffer": PDF}])
    phone.locator("#file_1").set_input_files(files=[{"name": "cccd.png", "mimeType": "image/png", "buffer": PNG}])
    _fits(phone)
    phone.screenshot(path=str(SHOTS / "submit-documents-390.png"), full_page=True)
    phone.locator("#documents-next").tap()
    expect(phone.locator("#review-docs > li")).to_have_count(2)
    phone.screenshot(path=str(SHOTS / "submit-review-390.png"), full_page=True)
    phone.locator("#submit-dossier").tap()

    code_shown = phone.locator("#done-code").inner_text()
    key_shown = phone.locator("#done-key").inner_text()
    _fits(phone)
    phone.screenshot(path=str(SHOTS / "submit-done-390.png"), full_page=True)
    db.session.remove()
    dossier = db.session.execute(db.select(Dossier).filter_by(code=code_shown)).scalar_one()
    assert dossier.status == DossierStatus.SUBMITTED and dossier.lookup_key == key_shown
    mails = _deliver(app, smtp, 2)
    assert code_shown in mails[1].get_content() and key_shown in mails[1].get_content()

    desk = new_page(viewport={"width": 1366, "height": 900}, base_url=mail_server_site)
    login(desk, "tiepnhan")
    desk.locator("#nav-online").click()
    expect(desk.locator("#online-queue")).to_contain_text(code_shown)
    desk.screenshot(path=str(SHOTS / "desk-online-queue-1366.png"), full_page=True)
    desk.get_by_role("link", name="Kiểm tra").first.click()
    expect(desk.locator("#online-scans")).to_contain_text("giay-de-nghi.pdf")
    desk.screenshot(path=str(SHOTS / "desk-online-dossier-1366.png"), full_page=True)
    # The desk asks for a clearer copy; the citizen sends it from the lookup page; then the desk accepts.
    desk.get_by_label("Bản sao giấy tờ pháp lý của chủ doanh nghiệp").check()
    desk.get_by_label("Nội dung cần hoàn thiện").fill("Ảnh chụp bị mờ.")
    desk.locator("#online-ask").click()
    phone.goto(f"/lookup/{code_shown}?key={key_shown}")
    expect(phone.locator("#online-answer")).to_contain_text("Bản sao giấy tờ pháp lý của chủ doanh nghiệp")
    phone.locator("#answer-file-0").set_input_files(files=[{"name": "cccd-ro.png", "mimeType": "image/png",
                                                            "buffer": PNG}])
    _fits(phone)
    phone.screenshot(path=str(SHOTS / "lookup-answer-390.png"), full_page=True)
    phone.locator("#answer-submit").tap()
    expect(phone.get_by_text("Đã nộp giấy tờ trực tuyến.")).to_be_visible()
    desk.goto(f"/reception/online/{code_shown}")
    expect(desk.locator("#online-scans")).to_contain_text("cccd-ro.png")
    desk.locator("#online-accept").click()
    expect(desk.get_by_text(f"Đã tiếp nhận hồ sơ {code_shown}")).to_be_visible()

    phone.goto(f"/lookup/{code_shown}?key={key_shown}")
    expect(phone.get_by_text("Được tiếp nhận").first).to_be_visible()

    # The desk hands it to the Department of Planning and Investment, whose specialist asks for a supplement.
    desk.goto(f"/reception/dossiers/{code_shown}")
    desk.locator("#forward-button").click()
    expect(desk.locator(".alert-success")).to_be_visible()
    agency = new_page(viewport={"width": 1366, "height": 900}, base_url=mail_server_site)
    login(agency, "chuyenvien.khdt")
    agency.goto(f"/processing/dossiers/{code_shown}")
    ask = agency.locator("#action-request_supplement")
    ask.locator("summary").click()
    ask.get_by_label("Giấy đề nghị đăng ký doanh nghiệp").check()
    ask.get_by_label("Lý do").fill("Giấy đề nghị chưa có chữ ký của chủ doanh nghiệp.")
    ask.get_by_role("button", name="Yêu cầu bổ sung hồ sơ").click()
    expect(agency.locator(".alert-success")).to_be_visible()

    # The citizen sees exactly what is missing on the lookup page and sends it from the phone.
    phone.goto(f"/lookup/{code_shown}?key={key_shown}")
    expect(phone.locator("#online-answer")).to_contain_text("Giấy đề nghị đăng ký doanh nghiệp")
    phone.locator("#answer-file-0").set_input_files(files=[{"name": "giay-de-nghi-da-ky.pdf",
                                                            "mimeType": "application/pdf", "buffer": PDF}])
    phone.locator("#answer-submit").tap()
    expect(phone.get_by_text("Đã nộp giấy tờ trực tuyến.")).to_be_visible()

    # The agency finds it without a trip to the desk, takes it in and completes with a result it seals.
    agency.goto(f"/processing/dossiers/{code_shown}")
    expect(agency.locator("main")).to_contain_text("giay-de-nghi-da-ky.pdf")
    got = agency.locator("#action-supplement_received")
    got.locator("summary").click()
    got.get_by_role("button").click()
    expect(agency.locator(".alert-success")).to_be_visible()
    done = agency.locator("#action-complete")
    done.locator("summary").click()
    done.get_by_label("Ghi chú kết quả").fill("Cấp Giấy chứng nhận đăng ký doanh nghiệp.")
    done.get_by_label("Tệp kết quả (PDF, JPEG, PNG)").set_input_files(
        {"name": "gcn-dkdn.pdf", "mimeType": "application/pdf", "buffer": _result_pdf()})
    done.get_by_label("Tôi xác nhận kết quả đã được ký duyệt").check()
    done.get_by_role("button", name="Hoàn thành, chuyển trả kết quả về Bộ phận Một cửa").click()
    expect(agency.locator("#attachments")).to_contain_text("gcn-dkdn.pdf")

    # The citizen downloads the sealed result with the key; the verification page says it is valid, and
    # reports a tampered copy as invalid.
    phone.goto(f"/lookup/{code_shown}?key={key_shown}")
    card = phone.locator("section").filter(has_text="Kết quả điện tử")
    expect(card).to_contain_text("có chữ ký số của cơ quan nhà nước")
    with phone.expect_download() as info:
        card.get_by_role("link", name="Tải kết quả").tap()
    downloaded = tmp_path / "gcn-dkdn.pdf"
    info.value.save_as(downloaded)
    card.get_by_role("link", name="Kiểm tra văn bản điện tử").tap()
    phone.get_by_label("Tệp PDF cần kiểm tra").set_input_files(str(downloaded))
    phone.get_by_role("button", name="Kiểm tra chữ ký số").tap()
    expect(phone.locator(".verify-result")).to_contain_text("Hợp lệ — ký bởi Sở Kế hoạch và Đầu tư")
    forged = tmp_path / "gcn-dkdn-sua.pdf"
    forged.write_bytes(flipped(downloaded.read_bytes()))
    phone.get_by_label("Tệp PDF cần kiểm tra").set_input_files(str(forged))
    phone.get_by_role("button", name="Kiểm tra chữ ký số").tap()
    expect(phone.locator(".verify-result")).to_contain_text("Không hợp lệ")
    _fits(phone)
    assert console.problems == []
