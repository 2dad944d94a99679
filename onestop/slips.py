"""Slips an agency prints while processing: control slip, apology slip and stop notice (PDF)."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from flask_babel import gettext as _

from .errors import Conflict
from .extensions import db
from .models import Agency, Dossier, DossierEvent, User
from .pdf import render_pdf
from .timeutil import local
from .timeutil import now as utcnow


def date_line(agency: Agency | None, moment: datetime) -> str:
    """"Sơn Hà, ngày 20 tháng 11 năm 2026": the place and date under the national motto."""
    from .receipts import place_of

    day = local(moment)
    place = place_of(agency)
    text = _("ngày %(day)02d tháng %(month)02d năm %(year)d", day=day.day, month=day.month, year=day.year)
    return f"{place}, {text}" if place else text.capitalize()


@dataclass
class ControlRow:
    """One hand-over on the control slip (Phiếu kiểm soát quá trình giải quyết hồ sơ)."""

    no: int
    agency: str
    task: str | None
    given_at: datetime | None
    given_by: str | None
    due_at: datetime | None
    handed_at: datetime | None
    handed_by: str | None
    result: str | None
    result_label: str
    note: str | None


def _names(ids) -> dict[int, str]:
    ids = {i for i in ids if i}
    if not ids:
        return {}
    rows = db.session.execute(sa.select(User.id, User.full_name).where(User.id.in_(ids)))
    return {r.id: r.full_name for r in rows}


def control_rows(dossier: Dossier) -> list[ControlRow]:
    """One row per step that has started: agency, times given and handed on, due time, result."""
    steps = [s for s in dossier.steps if s.started_at is not None]
    names = _names([s.given_by_id for s in steps] + [s.handed_by_id for s in steps]
                   + [s.received_by_id for s in steps])
    rows = []
    for i, step in enumerate(steps, start=1):
        # The desk step is "given" by the applicant and received by the clerk.
        given_by = names.get(step.given_by_id) if step.kind != "desk" else dossier.applicant_name
        rows.append(ControlRow(
            no=i, agency=step.agency.name, task=step.task, given_at=step.started_at,
            given_by=given_by or names.get(step.received_by_id), due_at=step.due_at,
            handed_at=step.finished_at, handed_by=names.get(step.handed_by_id),
            result=step.result, result_label=step.result_label, note=step.note,
        ))
    return rows


def control_slip_pdf(dossier: Dossier, now: datetime | None = None) -> bytes:
    """The control slip of the dossier as PDF."""
    now = now or utcnow()
    return render_pdf("control_slip.html", dossier=dossier, rows=control_rows(dossier), printed_at=now,
                      date_line=date_line(dossier.receiving_agency, now))


def last_event(dossier: Dossier, action: str) -> DossierEvent | None:
    return db.session.execute(
        sa.select(DossierEvent).where(DossierEvent.dossier_id == dossier.id, DossierEvent.action == action)
        .order_by(DossierEvent.id.desc()).limit(1)
    ).scalar_one_or_none()


def head_of(agency: Agency | None) -> User | None:
    """The agency's leader who signs its letters (the first active leader by name)."""
    if agency is None:
        return None
    return db.session.execute(
        sa.select(User).where(User.agency_id == agency.id, User.role == "leader", User.active.is_(True))
        .order_by(User.full_name).limit(1)
    ).scalar_one_or_none()


def _acting_agency(dossier: Dossier, event: DossierEvent | None) -> Agency:
    if event is not None and event.from_agency is not None:
        return event.from_agency
    return dossier.current_agency


def apology_context(dossier: Dossier) -> dict:
    """What the apology slip shows; Conflict when the dossier has no apology."""
    if dossier.original_due_at is None:
        raise Conflict(_("Hồ sơ chưa có phiếu xin lỗi và hẹn lại ngày trả kết quả."), code="no_apology")
    event = last_event(dossier, "apologize")
    agency = _acting_agency(dossier, event)
    return {"dossier": dossier, "agency": agency, "head": head_of(agency),
            "issued_at": event.at if event else dossier.updated_at,
            "reason": dossier.apology_reason, "original_due_at": dossier.original_due_at,
            "new_due_at": dossier.due_at,
            "date_line": date_line(agency, event.at if event else dossier.updated_at)}


def apology_slip_pdf(dossier: Dossier) -> bytes:
    """Phiếu xin lỗi và hẹn lại ngày trả kết quả, as PDF."""
    return render_pdf("apology_slip.html", **apology_context(dossier))


def stop_context(dossier: Dossier) -> dict:
    """What the refusal notice after appraisal shows; Conflict unless the dossier was stopped."""
    event = last_event(dossier, "stop") if dossier.status == "stopped" else None
    if event is None:
        raise Conflict(_("Hồ sơ không ở trạng thái dừng xử lý."), code="not_stopped")
    agency = _acting_agency(dossier, event)
    return {"dossier": dossier, "agency": agency, "head": head_of(agency), "issued_at": event.at,
            "reason": event.note, "date_line": date_line(agency, event.at)}


def stop_notice_pdf(dossier: Dossier) -> bytes:
    """Thông báo từ chối giải quyết hồ sơ (after appraisal), as PDF."""
    return render_pdf("stop_notice.html", **stop_context(dossier))


def supplement_request(dossier: Dossier) -> DossierEvent | None:
    """The latest supplement request of the dossier (what the supplement slip prints)."""
    return last_event(dossier, "request_supplement")


def printable(dossier: Dossier) -> dict[str, bool]:
    """Which slips exist for this dossier now (the page shows links to those)."""
    return {
        "control_slip": True,
        "apology_slip": dossier.original_due_at is not None,
        "stop_notice": dossier.status == "stopped",
        "supplement_slip": dossier.supplement_count > 0,
    }

