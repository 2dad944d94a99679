"""The national portal sync: records written with each status change, delivered to a real local receiver."""
from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import sqlalchemy as sa
from factories import act, receive, vn

from onestop import portal_sync
from onestop.extensions import db
from onestop.models import PortalSync
from onestop.status import SyncState


class Receiver:
    """A local portal adapter: POST /auth gives a session; POST / takes {session, madonvi, service, data}."""

    def __init__(self):
        self.records, self.logins, self.answer = [], 0, "00"
        self.sessions = set()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_POST(self):
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])) or b"{}")
                if self.path == "/lgsp/auth":
                    ok = body == {"username": "sonha", "password": "bimat"}
                    receiver.logins += 1
                    session = f"S{receiver.logins}"
                    if ok:
                        receiver.sessions.add(session)
                    return self._json({"error_code": 0 if ok else 1, "session": session if ok else None})
                if body.get("session") not in receiver.sessions:
                    return self._json({"error_code": "-1", "message": "Phiên hết hạn"})
                if receiver.answer != "00":
                    return self._json({"error_code": receiver.answer, "message": "Thiếu trường bắt buộc"})
                receiver.records.append(body)
                return self._json({"error_code": "00", "message": "Thành công"})

            def _json(self, value):
                data = json.dumps(value).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        self.handler = Handler
        self.server = None
        self.port = None

    def start(self):
        self.server = ThreadingHTTPServer(("127.0.0.1", self.port or 0), self.handler)
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def stop(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver(app):
    r = Receiver()
    r.start()
    app.config.update(ONESTOP_PORTAL_URL=f"http://127.0.0.1:{r.port}/lgsp", ONESTOP_PORTAL_AUTH_PATH="/auth",
                      ONESTOP_PORTAL_USERNAME="sonha", ONESTOP_PORTAL_PASSWORD="bimat",
                      ONESTOP_PORTAL_UNIT="000.00.00.H56")
    portal_sync.forget_session()
    yield r
    r.stop()
    portal_sync.forget_session()


def rows(dossier=None):
    stmt = sa.select(PortalSync).order_by(PortalSync.id)
    if dossier is not None:
        stmt = stmt.where(PortalSync.dossier_id == dossier.id)
    return db.session.execute(stmt).scalars().all()


def test_each_status_change_writes_a_dossier_record_and_a_progress_record(demo):
    d = receive("1.009994", at=vn(2026, 11, 30, 9, 5))
    act(d, "forward", "tiepnhan", at=vn(2026, 11, 30, 10, 0))
    written = rows(d)
    services = [r.service for r in written]
    assert services == ["DongBoHoSoMC", "CapNhatTienDoHoSoMC"] * (len(written) // 2) and written
    record = json.loads(written[0].payload)
    assert record["MaHoSo"] == d.code and record["MaTTHC"] == "1.009994"
    assert record["NgayTiepNhan"] == "20261130090500"  # yyyyMMddHHmmss, Vietnam's time
    assert record["TrangThaiHoSo"] == d.status_code or json.loads(written[-2].payload)["TrangThaiHoSo"] == d.status_code
    assert record["LoaiDoiTuong"] == 1 and record["MaDoiTuong"] == "001203004567"
    assert record["DanhSachLePhi"] == [{"TenPhiLePhi": "Phí, lệ phí", "MucPhi": 75000, "LoaiPhiLePhi": 1}]
    assert record["TrangThaiSoHoa"] in (0, 1) and len(record["TaiLieuNop"]) == len(d.documents)
    progress = json.loads(written[-1].payload)
    assert progress["NguoiXuLy"] == "Trần Thị Tiếp Nhận" and progress["ThoiDiemXuLy"] == "20261130100000"
    assert progress["TrangThai"] == d.status_code
    assert all(r.state == SyncState.PENDING for r in written)


def test_records_the_portal_would_refuse_are_flagged_before_sending(demo):
    record = portal_sync.dossier_record(receive("1.009994", at=vn(2026, 11, 30, 9, 5)))
    assert portal_sync.problems("DongBoHoSoMC", record) == []
    finished = dict(record, TrangThaiHoSo=10, NgayKetThucXuLy="", NgayTra="", MaTTHC="")
    assert portal_sync.problems("DongBoHoSoMC", finished) == ["Thiếu MaTTHC", "Thiếu NgayKetThucXuLy", "Thiếu NgayTra"]
    assert portal_sync.portal_date(vn(2026, 1, 2, 3, 4, 5)) == "20260102030405"


def test_off_without_a_url_records_stay_pending(demo):
    d = receive("1.009994", at=vn(2026, 11, 30, 9, 5))
    assert portal_sync.deliver()["skipped"] == "off"
    assert {r.state for r in rows(d)} == {SyncState.PENDING}


def test_delivered_with_a_session_and_error_codes_retried(demo, receiver):
    d = receive("1.009994", at=vn(2026, 11, 30, 9, 5))
    count = len(rows(d))
    receiver.answer = "05"  # the portal refuses: retried later with a growing delay
    result = portal_sync.deliver(vn(2026, 11, 30, 9, 10))
    assert result == {"sent": 0, "retry": count, "failed": 0}
    first = rows(d)[0]
    assert first.attempts == 1 and "05" in first.last_error
    assert first.next_attempt_at == vn(2026, 11, 30, 9, 11)
    receiver.answer = "00"
    assert portal_sync.deliver(vn(2026, 11, 30, 9, 10, 30))["sent"] == 0  # not due yet
    assert portal_sync.deliver(vn(2026, 11, 30, 9, 12))["sent"] == count
    sent = receiver.records
    assert [s["service"] for s in sent] == [r.service for r in rows(d)]
    assert {s["madonvi"] for s in sent} == {"000.00.00.H56"} and sent[0]["data"][0]["MaHoSo"] == d.code
    assert receiver.logins == 1  # one session for all


def test_an_expired_session_is_renewed(demo, receiver):
    receive("1.009994", at=vn(2026, 11, 30, 9, 5))
    assert portal_sync.deliver(vn(2026, 11, 30, 9, 10))["retry"] == 0
    receiver.sessions.clear()  # the portal forgot every session
    receive("1.009994", at=vn(2026, 11, 30, 9, 20))
    result = portal_sync.deliver(vn(2026, 11, 30, 9, 30))
    assert result["retry"] == 0 and result["sent"] >= 1 and receiver.logins == 2


def test_receiver_down_then_up_every_record_delivered_exactly_once(demo, receiver):
    receiver.stop()
    dossiers = [receive("1.009994", at=vn(2026, 11, 30, 9, m)) for m in (1, 2, 3)]
    act(dossiers[0], "forward", "tiepnhan", at=vn(2026, 11, 30, 10, 0))
    total = len(rows())
    outage = portal_sync.deliver(vn(2026, 11, 30, 10, 5))
    assert outage["sent"] == 0 and outage["retry"] == 1  # the batch waits behind the first failure
    assert {r.state for r in rows()} == {SyncState.PENDING}
    receiver.start()  # up again, same port
    portal_sync.deliver(vn(2026, 11, 30, 10, 5, 30))  # before the retry time: nothing
    assert receiver.records == []
    assert portal_sync.deliver(vn(2026, 11, 30, 10, 7))["sent"] == total
    assert portal_sync.deliver(vn(2026, 11, 30, 11, 0))["sent"] == 0
    delivered = [(s["service"], s["data"][0]["MaHoSo"], json.dumps(s["data"][0], sort_keys=True))
                 for s in receiver.records]
    assert len(delivered) == total == len(set(delivered))
    assert {r.state for r in rows()} == {SyncState.SENT}


def test_resend_a_dossier_and_requeue_failed_from_the_cli(demo, receiver, runner, app):
    d = receive("1.009994", at=vn(2026, 11, 30, 9, 5))
    app.config["ONESTOP_PORTAL_MAX_ATTEMPTS"] = 1
    receiver.answer = "07"
    portal_sync.deliver(vn(2026, 11, 30, 9, 10))
    assert {r.state for r in rows(d)} == {SyncState.FAILED}
    assert portal_sync.summary()["failed"] == len(rows(d))
    receiver.answer = "00"
    out = runner.invoke(args=["onestop", "portal-resend", "--failed"])
    assert out.exit_code == 0 and "trở lại hàng đợi" in out.output
    out = runner.invoke(args=["onestop", "portal-sync"])
    assert out.exit_code == 0, out.output
    assert json.loads(out.output.strip().splitlines()[-1])["sent"] == len(rows(d))
    out = runner.invoke(args=["onestop", "portal-resend", "--dossier", d.code])
    assert out.exit_code == 0 and d.code in out.output
    assert rows(d)[-1].state == SyncState.PENDING and rows(d)[-1].event_id is None
    assert runner.invoke(args=["onestop", "portal-resend"]).exit_code != 0
