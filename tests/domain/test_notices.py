"""Notices: outbox rows with the change, SMTP email in Vietnamese, signed webhooks, retries."""
from __future__ import annotations

import email
import email.policy
import json
import socket
import threading
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import sqlalchemy as sa
from aiosmtpd.controller import Controller
from factories import act, receive, user, vn

from onestop import notices, sweep, webhooks
from onestop.extensions import db
from onestop.models import OutboxMessage
from onestop.timeutil import now as utcnow


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Inbox:
    """aiosmtpd handler keeping every message, parsed."""

    def __init__(self):
        self.messages = []

    async def handle_DATA(self, server, session, envelope):
        msg = email.message_from_bytes(envelope.content, policy=email.policy.default)
        self.messages.append((envelope.rcpt_tos, msg))
        return "250 OK"


def start_smtp(port):
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    return controller, inbox


@pytest.fixture
def smtp(app):
    port = free_port()
    app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=port, MAIL_SENDER="Một cửa tỉnh <motcua@example.vn>")
    controller, inbox = start_smtp(port)
    yield inbox
    controller.stop()


class Hooks(BaseHTTPRequestHandler):
    received: list = []
    status = 200

    def do_POST(self):
        body = self.rfile.read(int(self.headers["Content-Length"]))
        self.received.append((self.headers, body))
        self.send_response(self.status)
        self.end_headers()

    def log_message(self, *args):
        pass


@pytest.fixture
def hook_server(app):
    Hooks.received, Hooks.status = [], 200
    server = ThreadingHTTPServer(("127.0.0.1", 0), Hooks)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    app.config.update(ONESTOP_WEBHOOK_URL=f"http://127.0.0.1:{server.server_port}/onestop",
                      ONESTOP_WEBHOOK_SECRET="bí-mật-chung")
    yield Hooks
    server.shutdown()
    server.server_close()


def outbox(**filters):
    return db.session.execute(sa.select(OutboxMessage).filter_by(**filters).order_by(OutboxMessage.id)).scalars().all()


def later(minutes=1):
    return utcnow() + timedelta(minutes=minutes)


def test_nothing_is_queued_when_mail_and_webhook_are_off(demo):
    receive("1.009994")
    assert outbox() == []


def test_receipt_email_reaches_the_smtp_server_in_vietnamese(demo, smtp):
    d = receive("1.009994", at=vn(2026, 11, 20, 9, 0))
    [queued] = outbox()
    assert queued.status == "pending" and queued.kind == "citizen.intake" and queued.dossier_id == d.id
    assert notices.deliver(later()) == {"sent": 1, "retry": 0, "failed": 0}
    [(rcpt, msg)] = smtp.messages
    assert rcpt == ["duc.nguyen@example.vn"]
    assert msg["Subject"] == f"[Một cửa] Hồ sơ {d.code} đã được tiếp nhận"
    assert "Một cửa tỉnh" in str(msg["From"])
    body = msg.get_content()
    assert "Kính gửi Ông/Bà Nguyễn Văn Đức," in body
    assert "Ngày hẹn trả kết quả: 09:00 14/12/2026" in body
    assert "Cấp giấy phép xây dựng nhà ở riêng lẻ" in body
    assert f"/lookup/{d.code}?key={d.lookup_key}" in body  # the same link as the receipt's QR code
    db.session.expire_all()
    assert outbox()[0].status == "sent" and outbox()[0].sent_at is not None


def test_supplement_result_and_apology_emails(demo, smtp):
    d = receive("1.009994", at=vn(2026, 11, 20, 9, 0))
    act(d, "forward", "tiepnhan", at=vn(2026, 11, 20, 10, 0))
    act(d, "request_supplement", "chuyenvien", at=vn(2026, 11, 23, 9, 0), reason="Bản vẽ chưa đúng tỷ lệ",
        documents=["Bản vẽ mặt bằng tỷ lệ 1/100", {"name": "Ảnh chụp hiện trạng"}])
    act(d, "supplement_received", "tiepnhan", at=vn(2026, 11, 25, 9, 0))
    act(d, "apologize", "chuyenvien", at=vn(2026, 12, 10, 9, 0), reason="Cần xác minh thực địa",
        new_due_at=vn(2026, 12, 24, 9, 0))
    act(d, "complete", "chuyenvien", at=vn(2026, 12, 20, 9, 0))
    assert [m.kind for m in outbox()] == ["citizen.intake", "citizen.request_supplement",
                                          "citizen.apologize", "citizen.complete"]
    assert notices.deliver(later())["sent"] == 4
    by_subject = {m["Subject"]: m.get_content() for _, m in smtp.messages}
    supplement = by_subject[f"[Một cửa] Hồ sơ {d.code} cần bổ sung giấy tờ"]
    assert "1. Bản vẽ mặt bằng tỷ lệ 1/100" in supplement and "2. Ảnh chụp hiện trạng" in supplement
    assert "Lý do: Bản vẽ chưa đúng tỷ lệ" in supplement
    apology = by_subject[f"[Một cửa] Thư xin lỗi và hẹn lại ngày trả kết quả hồ sơ {d.code}"]
    assert "chân thành xin lỗi" in apology
    assert "Ngày hẹn trả kết quả mới: 09:00 24/12/2026" in apology
    ready = by_subject[f"[Một cửa] Hồ sơ {d.code} đã có kết quả"]
    assert "Quầy số 3, Trung tâm Phục vụ hành chính công tỉnh" in ready


def test_no_email_without_an_applicant_address(demo, smtp):
    receive("1.009994", applicant={"full_name": "Trần Thị Bình", "id_number": "001203004568",
                                   "phone": "0912345679"})
    assert outbox() == []


def test_webhook_is_signed_and_received(demo, hook_server):
    d = receive("1.009994", at=vn(2026, 11, 20, 9, 0))
    act(d, "forward", "tiepnhan", at=vn(2026, 11, 20, 10, 0))
    act(d, "reassign", "lanhdao", at=vn(2026, 11, 20, 11, 0), assignee="chuyenvien")  # no status change
    assert [m.kind for m in outbox(channel="webhook")] == ["status.intake", "status.forward"]
    assert notices.deliver(later()) == {"sent": 2, "retry": 0, "failed": 0}
    assert len(hook_server.received) == 2
    headers, body = hook_server.received[1]
    assert webhooks.verify(body, headers["X-OneStop-Signature"], "bí-mật-chung".encode())
    assert not webhooks.verify(body, headers["X-OneStop-Signature"], b"wrong")
    assert headers["Content-Type"].startswith("application/json")
    payload = json.loads(body)
    assert payload["code"] == d.code
    assert payload["status"] == "processing" and payload["status_code"] == 4
    assert payload["status_label"] == "Đang xử lý"
    assert payload["action"] == "forward"
    assert payload["at"] == "2026-11-20T10:00:00+07:00"
    assert payload["agency"] == "000.00.21.H56"


def test_webhook_failure_is_retried_with_backoff_then_kept_as_failed(demo, hook_server, app):
    app.config["ONESTOP_NOTICE_MAX_ATTEMPTS"] = 3
    hook_server.status = 503
    receive("1.009994")
    t = later()
    assert notices.deliver(t) == {"sent": 0, "retry": 1, "failed": 0}
    [m] = outbox()
    assert m.status == "pending" and m.attempts == 1 and m.last_error == "HTTP 503"
    assert m.next_attempt_at == t + timedelta(minutes=1)
    assert notices.deliver(t + timedelta(seconds=30))["retry"] == 0  # not due yet
    assert notices.deliver(t + timedelta(minutes=1))["retry"] == 1
    assert outbox()[0].next_attempt_at == t + timedelta(minutes=3)
    assert notices.deliver(t + timedelta(minutes=3)) == {"sent": 0, "retry": 0, "failed": 1}
    [m] = outbox()
    assert m.status == "failed" and m.attempts == 3
    # Kept and visible; an operator puts it back once the receiver is fixed.
    hook_server.status = 200
    assert notices.requeue(all_failed=True, now=t + timedelta(minutes=4)) == 1
    db.session.commit()
    assert notices.deliver(t + timedelta(minutes=4))["sent"] == 1


def test_smtp_down_keeps_the_notice_queued_until_it_comes_back(demo, app):
    port = free_port()
    app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=port)
    d = receive("1.009994", at=vn(2026, 11, 20, 9, 0))
    t = later()
    assert notices.deliver(t) == {"sent": 0, "retry": 1, "failed": 0}
    [m] = outbox()
    assert m.status == "pending" and m.attempts == 1
    assert "Không kết nối được máy chủ thư" in m.last_error
    controller, inbox = start_smtp(port)
    try:
        assert notices.deliver(t + timedelta(minutes=2)) == {"sent": 1, "retry": 0, "failed": 0}
    finally:
        controller.stop()
    [(_, msg)] = inbox.messages
    assert msg["Subject"] == f"[Một cửa] Hồ sơ {d.code} đã được tiếp nhận"
    [m] = outbox()
    assert m.status == "sent" and m.attempts == 2


def test_outbox_row_is_rolled_back_with_the_change(demo, smtp):
    receive("1.009994", commit=False)
    assert len(outbox()) == 1
    db.session.rollback()
    assert outbox() == []


def test_sweep_sends_per_agency_digests_to_staff(demo, smtp):
    for username, address in [("lanhdao", "lanhdao@xaydung.example.vn"),
                              ("chuyenvien", "chuyenvien@xaydung.example.vn"),
                              ("lanhdao.tnmt", "lanhdao@tnmt.example.vn")]:
        user(username).email = address
    user("tiepnhan").email = "tiepnhan@example.vn"  # clerks get no digest
    db.session.commit()
    late = []
    for day in (2, 3):
        d = receive("1.009994", at=vn(2026, 11, day, 9, 0))
        act(d, "forward", "tiepnhan", at=vn(2026, 11, day, 10, 0))
        late.append(d)
    d = receive("1.004227", at=vn(2026, 11, 2, 9, 0))
    act(d, "forward", "tiepnhan", at=vn(2026, 11, 2, 10, 0))  # at TN&MT, not yet due
    db.session.execute(sa.delete(OutboxMessage))
    db.session.commit()
    assert sweep.run(vn(2026, 11, 30, 9, 0))["overdue"] == 2
    digests = outbox(kind="staff.digest")
    assert sorted(m.recipient for m in digests) == ["chuyenvien@xaydung.example.vn", "lanhdao@xaydung.example.vn"]
    assert notices.deliver(vn(2026, 11, 30, 9, 1))["sent"] == 2
    _, msg = smtp.messages[0]
    assert msg["Subject"] == "[Một cửa] Sở Xây dựng: 2 hồ sơ quá hạn, 0 hồ sơ sắp đến hạn"
    body = msg.get_content()
    assert late[0].code in body and late[1].code in body
    assert "Hồ sơ mới quá hạn: 2" in body
    # A second sweep at the same moment sends nothing more.
    assert sweep.run(vn(2026, 11, 30, 9, 0), respect_interval=False)["overdue"] == 0
    assert len(outbox(kind="staff.digest")) == 2


def test_cli_deliver_and_list(demo, hook_server, runner):
    receive("1.009994")
    hook_server.status = 500
    result = runner.invoke(args=["onestop", "notices", "deliver"])
    assert result.exit_code == 0 and json.loads(result.output) == {"sent": 0, "retry": 1, "failed": 0}
    result = runner.invoke(args=["onestop", "notices", "list", "--status", "pending"])
    assert result.exit_code == 0
    assert "webhook\tstatus.intake\t1" in result.output and "HTTP 500" in result.output
    result = runner.invoke(args=["onestop", "notices", "retry"])
    assert result.exit_code != 0
