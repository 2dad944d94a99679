"""The national portal sync (Cổng Dịch vụ công quốc gia): an outbox of records, delivered with retries.

Every status change of a dossier writes, in the same transaction, a full dossier record (service
`DongBoHoSoMC`) and a progress record (`CapNhatTienDoHoSoMC`) into `portal_sync`. A record the portal
would refuse (no processing date, no procedure code ...) is marked `invalid` with the reason and never
sent. The delivery job obtains a session by `POST {url}{auth_path}` with {username, password}, then
POSTs {session, madonvi, service, data: [record]}; success is error_code 0 or "00". A failure waits
1, 2, 4 ... minutes (at most 6 hours) and is marked `failed` after ONESTOP_PORTAL_MAX_ATTEMPTS; an
expired session is renewed once and the record sent again. The endpoint and service names are
settings (provinces route through their LGSP). Mapping: docs/portal-sync.md.
"""
from __future__ import annotations

import json
import logging
import urllib.error
import urllib.request
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import current_app

from . import jobs, rows
from .extensions import db
from .models import ACTION_LABELS, ROLE_LABELS, Attachment, Dossier, DossierEvent, DossierStep, PortalSync
from .signals import dossier_event
from .status import Channel, DossierStatus, SyncState
from .timeutil import local
from .timeutil import now as utcnow

log = logging.getLogger(__name__)

BATCH = 200
BACKOFF_BASE_SECONDS = 60
BACKOFF_MAX_SECONDS = 6 * 3600
# Answers that mean "your session is no longer valid": renew it once and send again.
EXPIRED_CODES = {"401", "-1", "98"}
# Statuses in which the portal wants the end of processing (NgayKetThucXuLy), and the return date.
FINISHED = {DossierStatus.RESULT_READY, DossierStatus.RETURNED, DossierStatus.STOPPED, DossierStatus.NOT_ACCEPTED}
RETURNED = {DossierStatus.RETURNED}
SUPPLEMENT_ACTIONS = ("request_supplement", "supplement_received", "apologize")

_session_cache: dict[str, str] = {}


def init_app(app) -> None:
    dossier_event.connect(on_dossier_event, weak=False)


def service_dossier() -> str:
    return current_app.config.get("ONESTOP_PORTAL_SERVICE_DOSSIER") or "DongBoHoSoMC"


def service_progress() -> str:
    return current_app.config.get("ONESTOP_PORTAL_SERVICE_PROGRESS") or "CapNhatTienDoHoSoMC"


def enabled() -> bool:
    return bool(current_app.config.get("ONESTOP_PORTAL_URL"))


def portal_date(moment: datetime | None) -> str:
    """yyyyMMddHHmmss in Asia/Ho_Chi_Minh ("" when there is no date)."""
    return local(moment).strftime("%Y%m%d%H%M%S") if moment else ""


# -- the records -----------------------------------------------------------------

def digitisation_state(dossier: Dossier) -> int:
    """0 not digitised, 1 digitised (2 reused, 3 reused from another dossier's result: not recorded yet)."""
    return 1 if dossier.digitised else 0


def dossier_record(dossier: Dossier, *, new: bool = False) -> dict:
    """The full DongBoHoSoMC record of the dossier as it stands.

    `new`: the dossier is being received in this transaction (its first event), so it has no result
    and no supplement yet: nothing to read back.
    """
    procedure = dossier.procedure
    status = DossierStatus(dossier.status)
    business = bool(dossier.applicant_tax_code)
    state = digitisation_state(dossier)
    if new:
        results, supplements = [], []
    else:
        results = db.session.execute(
            sa.select(Attachment.original_name).where(Attachment.dossier_id == dossier.id,
                                                      Attachment.kind == "result")
            .order_by(Attachment.id)).scalars().all()
        supplements = db.session.execute(
            sa.select(DossierEvent).where(DossierEvent.dossier_id == dossier.id,
                                          DossierEvent.action.in_(SUPPLEMENT_ACTIONS))
            .order_by(DossierEvent.id)).scalars().all()
    return {
        "MaHoSo": dossier.code,
        "MaTTHC": procedure.code if procedure else "",
        "TenTTHC": procedure.name if procedure else "",
        # The catalogue keeps the field's name only; its national code is not recorded yet.
        "MaLinhVuc": "",
        "TenLinhVuc": procedure.field if procedure else "",
        "SoBienNhan": dossier.code,
        "ChuHoSo": dossier.applicant_name or "",
        "LoaiDoiTuong": 2 if business else 1,
        "MaDoiTuong": (dossier.applicant_tax_code if business else dossier.applicant_id_number) or "",
        "Email": dossier.applicant_email or "",
        "SoDienThoai": dossier.applicant_phone or "",
        "TrichYeuHoSo": f"{procedure.name if procedure else ''} - {dossier.applicant_name or ''}".strip(" -"),
        "NgayTiepNhan": portal_date(dossier.received_at),
        "NgayHenTra": portal_date(dossier.due_at),
        "TrangThaiHoSo": status.code,
        "NgayTra": portal_date(dossier.returned_at),
        "NgayKetThucXuLy": portal_date(dossier.finished_at),
        "DonViXuLy": dossier.current_agency.name if dossier.current_agency else "",
        "HinhThuc": Channel(dossier.channel).code if Channel.parse(dossier.channel) else 1,
        "TrangThaiSoHoa": state,
        "TaiLieuNop": [
            {"TenTepDinhKem": d.name, "SoBanChinh": d.originals, "SoBanSao": d.copies + d.certified_copies,
             "DuocSoHoa": state}
            for d in dossier.documents
        ],
        "DanhSachGiayToKetQua": [{"TenGiayTo": name} for name in results],
        "DanhSachLePhi": ([{"TenPhiLePhi": "Phí, lệ phí", "MucPhi": int(dossier.fee), "LoaiPhiLePhi": 1}]
                          if dossier.fee else []),
        "DanhSachHoSoBoSung": [_supplement(e, dossier) for e in supplements],
    }


def _supplement(event: DossierEvent, dossier: Dossier) -> dict:
    data = event.data or {}
    old = data.get("original_due_at")
    new = data.get("new_due_at")
    return {
        "NguoiYeuCauBoSung": event.actor.full_name if event.actor else "",
        "NoiDungBoSung": event.note or str(ACTION_LABELS.get(event.action, event.action)),
        "NgayBoSung": portal_date(event.at),
        "NgayHenTraCu": portal_date(datetime.fromisoformat(old)) if old else "",
        "NgayHenTraMoi": portal_date(datetime.fromisoformat(new)) if new else "",
    }


def progress_record(dossier: Dossier, event: DossierEvent) -> dict:
    """The CapNhatTienDoHoSoMC record of one history event."""
    step = db.session.get(DossierStep, event.step_id) if event.step_id else None
    agency = event.to_agency or event.from_agency or dossier.current_agency
    actor = event.actor
    content = str(ACTION_LABELS.get(event.action, event.action))
    if event.note:
        content = f"{content}: {event.note}"
    status_to = DossierStatus.parse(event.status_to) or DossierStatus(dossier.status)
    return {
        "MaHoSo": dossier.code,
        "NguoiXuLy": actor.full_name if actor else "Hệ thống",
        "ChucDanh": str(ROLE_LABELS.get(actor.role, actor.role)) if actor else "",
        "ThoiDiemXuLy": portal_date(event.at),
        "PhongBanXuLy": agency.name if agency else "",
        "NoiDungXuLy": content[:2000],
        "TrangThai": status_to.code,
        "NgayBatDau": portal_date((step.started_at if step and step.started_at else None) or event.at),
        "NgayKetThucTheoQuyDinh": portal_date(event.step_due_at or (step.due_at if step else None) or dossier.due_at),
    }


def problems(service: str, record: dict) -> list[str]:
    """Why the portal would refuse the record (empty when it would take it)."""
    missing = []
    if service == service_dossier():
        required = ["MaHoSo", "MaTTHC", "TenTTHC", "ChuHoSo", "NgayTiepNhan", "DonViXuLy"]
        status = next((s for s in DossierStatus if s.code == record.get("TrangThaiHoSo")), None)
        if status in FINISHED:
            required.append("NgayKetThucXuLy")
        if status in RETURNED:
            required.append("NgayTra")
    else:
        required = ["MaHoSo", "ThoiDiemXuLy", "PhongBanXuLy", "NoiDungXuLy"]
    missing = [name for name in required if record.get(name) in (None, "")]
    return [f"Thiếu {name}" for name in missing]


def _row(dossier: Dossier, event: DossierEvent | None, service: str, record: dict, now: datetime) -> dict:
    reasons = problems(service, record)
    return {"dossier_id": dossier.id, "event_id": event.id if event is not None else None, "service": service,
            "payload": json.dumps(record, ensure_ascii=False), "created_at": now, "next_attempt_at": now,
            "attempts": 0, "state": SyncState.INVALID if reasons else SyncState.PENDING,
            "last_error": "; ".join(reasons) if reasons else None}


def _add(dossier: Dossier, event: DossierEvent | None, service: str, record: dict, now: datetime) -> PortalSync:
    row = PortalSync(**_row(dossier, event, service, record, now))
    db.session.add(row)
    return row


def on_dossier_event(dossier: Dossier, event: DossierEvent, actor=None, **_) -> None:
    """A status change: queue the dossier record and the progress record, in the caller's transaction."""
    if event.status_to is None or event.status_from == event.status_to:
        return
    now = event.at or utcnow()
    if event.id is None or dossier.id is None:
        db.session.flush()
    # Only the first event of a dossier (intake, online submission) has no status before it. Both records
    # go in at once (one INSERT, no flush of their own).
    rows.write(PortalSync, [
        _row(dossier, event, service_dossier(), dossier_record(dossier, new=event.status_from is None), now),
        _row(dossier, event, service_progress(), progress_record(dossier, event), now)])


def resend_dossier(dossier: Dossier, now: datetime | None = None) -> PortalSync:
    """A fresh full record of the dossier as it stands (checked again), queued now. Flushes."""
    now = now or utcnow()
    row = _add(dossier, None, service_dossier(), dossier_record(dossier), now)
    db.session.flush()
    return row


def requeue_failed(now: datetime | None = None) -> int:
    """Failed records back in the queue for an immediate attempt (invalid ones stay: their data is missing)."""
    now = now or utcnow()
    return db.session.execute(
        sa.update(PortalSync).where(PortalSync.state == SyncState.FAILED)
        .values(state=SyncState.PENDING, attempts=0, next_attempt_at=now)
        .execution_options(synchronize_session=False)).rowcount


# -- delivery --------------------------------------------------------------------

class _Expired(Exception):
    pass


class _Outage(Exception):
    pass


def backoff(attempts: int) -> timedelta:
    return timedelta(seconds=min(BACKOFF_BASE_SECONDS * 2 ** max(attempts - 1, 0), BACKOFF_MAX_SECONDS))


def max_attempts() -> int:
    return int(current_app.config.get("ONESTOP_PORTAL_MAX_ATTEMPTS", 12))


def _post(url: str, body: dict) -> dict:
    """POST JSON, the answer as a dict; _Outage when the receiver cannot be reached or answers 5xx."""
    data = json.dumps(body, ensure_ascii=False).encode("utf-8")
    request = urllib.request.Request(url, data=data, method="POST",
                                     headers={"Content-Type": "application/json; charset=utf-8",
                                              "User-Agent": "OneStop-PortalSync/1"})
    timeout = int(current_app.config.get("ONESTOP_PORTAL_TIMEOUT", 15))
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310 (configured URL)
            raw = response.read()
    except urllib.error.HTTPError as exc:
        if exc.code == 401:
            raise _Expired("HTTP 401") from exc
        if exc.code >= 500:
            raise _Outage(f"HTTP {exc.code}") from exc
        raw = exc.read()
    except (urllib.error.URLError, OSError, ValueError) as exc:
        raise _Outage(f"Không kết nối được cổng: {getattr(exc, 'reason', exc)}") from exc
    try:
        answer = json.loads(raw.decode("utf-8") or "{}")
    except (UnicodeDecodeError, ValueError) as exc:
        raise _Outage("Cổng trả lời không phải JSON") from exc
    return answer if isinstance(answer, dict) else {"error_code": "?", "message": str(answer)[:200]}


def _ok(answer: dict) -> bool:
    return str(answer.get("error_code")).strip() in ("0", "00")


def _message(answer: dict) -> str:
    text = answer.get("message") or answer.get("error_message") or answer.get("msg") or ""
    return f"error_code {answer.get('error_code')}: {text}"[:2000]


def _session(base: str, *, renew: bool = False) -> str:
    config = current_app.config
    if not renew and _session_cache.get(base):
        return _session_cache[base]
    answer = _post(base + (config.get("ONESTOP_PORTAL_AUTH_PATH") or ""),
                   {"username": config.get("ONESTOP_PORTAL_USERNAME") or "",
                    "password": config.get("ONESTOP_PORTAL_PASSWORD") or ""})
    session = answer.get("session")
    if not _ok(answer) or not session:
        raise _Outage(f"Không lấy được phiên làm việc: {_message(answer)}")
    _session_cache[base] = str(session)
    return _session_cache[base]


def _send(base: str, row: PortalSync) -> None:
    """Deliver one record; raises _Outage, or returns an error message via ValueError."""
    unit = current_app.config.get("ONESTOP_PORTAL_UNIT") or ""
    for attempt in range(2):
        session = _session(base, renew=attempt > 0)
        try:
            answer = _post(base, {"session": session, "madonvi": unit, "service": row.service,
                                  "data": [json.loads(row.payload)]})
        except _Expired:
            continue
        code = str(answer.get("error_code")).strip()
        if code in EXPIRED_CODES:
            continue
        if not _ok(answer):
            raise ValueError(_message(answer))
        return
    raise ValueError("Phiên làm việc với cổng hết hạn và không gia hạn được")


def deliver(now: datetime | None = None, limit: int = BATCH, progress=None) -> dict:
    """Send due pending records once (guarded across processes) and commit; counts by outcome."""
    outcome = {"sent": 0, "retry": 0, "failed": 0}
    if not enabled():
        return dict(outcome, skipped="off")
    return jobs.run("portal_sync", lambda at: _deliver(at, limit, outcome, progress), now=now or utcnow(),
                    skipped=lambda reason: dict(outcome, skipped=reason))


def _deliver(now: datetime, limit: int, outcome: dict, progress) -> dict:
    base = current_app.config["ONESTOP_PORTAL_URL"].rstrip("/")
    rows = db.session.execute(
        sa.select(PortalSync).where(PortalSync.state == SyncState.PENDING, PortalSync.next_attempt_at <= now)
        .order_by(PortalSync.id).limit(limit)).scalars().all()
    for index, row in enumerate(rows):
        try:
            _send(base, row)
        except _Outage as exc:
            # The receiver is down: this record waits, and so does the rest of the batch (kept in order).
            _failed(row, str(exc), now, outcome)
            for later in rows[index + 1:]:
                later.next_attempt_at = row.next_attempt_at
            break
        except ValueError as exc:
            _failed(row, str(exc), now, outcome)
        else:
            row.attempts += 1
            row.state, row.sent_at, row.last_error = SyncState.SENT, now, None
            outcome["sent"] += 1
        if progress:
            progress(index + 1, len(rows))
    return outcome


def _failed(row: PortalSync, error: str, now: datetime, outcome: dict) -> None:
    row.attempts += 1
    row.last_error = error[:2000]
    log.warning("portal sync %s (%s) attempt %s failed: %s", row.id, row.service, row.attempts, error)
    if row.attempts >= max_attempts():
        row.state = SyncState.FAILED
        outcome["failed"] += 1
    else:
        row.next_attempt_at = now + backoff(row.attempts)
        outcome["retry"] += 1


def forget_session() -> None:
    _session_cache.clear()


# -- what staff see ---------------------------------------------------------------

def summary() -> dict:
    """How many records are in each state (one grouped query)."""
    rows = db.session.execute(sa.select(PortalSync.state, sa.func.count()).group_by(PortalSync.state)).all()
    counts = {s.value: 0 for s in SyncState}
    counts.update({str(state): n for state, n in rows})
    return counts


def dossier_state(dossier_id: int) -> dict | None:
    """The dossier's sync at a glance: its latest record's state, and counts by state."""
    rows = db.session.execute(sa.select(PortalSync.state, sa.func.count()).where(PortalSync.dossier_id == dossier_id)
                              .group_by(PortalSync.state)).all()
    if not rows:
        return None
    latest = db.session.execute(sa.select(PortalSync).where(PortalSync.dossier_id == dossier_id)
                                .order_by(PortalSync.id.desc()).limit(1)).scalar_one()
    return {"latest": latest, "counts": {str(s): n for s, n in rows}}


def problem_rows(cursor: str | None = None, limit: int = 50, state: str | None = None):
    """Failed and invalid records, newest first (keyset pagination)."""
    from . import pagination

    wanted = SyncState.parse(state)
    states = [wanted] if wanted in (SyncState.FAILED, SyncState.INVALID) else [SyncState.FAILED, SyncState.INVALID]
    stmt = sa.select(PortalSync).where(PortalSync.state.in_([str(s) for s in states]))
    return pagination.page(stmt, pagination.Order(None, PortalSync.id, descending=True), cursor, limit)
