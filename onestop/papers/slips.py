"""The slips: supplement request and refusal at the desk, and the control slip, apology slip and stop
notice of the agencies. Each has a `*_data` function building the plain values the template prints and a
`*_pdf` function rendering them."""
from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from flask_babel import gettext as _

from ..errors import Conflict
from ..extensions import db
from ..models import ACTION_LABELS, Agency, Dossier, DossierEvent, DossierStep, Procedure
from ..status import DossierStatus, StepResult
from ..timeutil import local
from ..timeutil import now as utcnow
from . import common, render

# -- the desk's slips ------------------------------------------------------------------------------------


def _clean_list(items) -> list[str]:
    return [" ".join(str(i).split()) for i in (items or []) if i and str(i).strip()]


def _officer(officer_agency: Agency | str, officer_phone: str | None) -> tuple[str, str | None]:
    if isinstance(officer_agency, Agency):
        return officer_agency.name, officer_phone or officer_agency.phone
    return officer_agency, officer_phone


def supplement_slip_data(*, addressee: str, procedure_name: str, missing_documents: list[str],
                         reason: str | None = None, officer_name: str, officer_agency: Agency | str,
                         officer_phone: str | None = None, date: datetime | None = None,
                         dossier_code: str | None = None) -> dict:
    """Phiếu yêu cầu bổ sung, hoàn thiện hồ sơ: one complete list of what is missing.

    At the desk nothing is received yet (no dossier code); during appraisal the dossier's code is given.
    `officer_agency` may be an Agency (gives the heading and the phone) or a name.
    """
    agency_name, phone = _officer(officer_agency, officer_phone)
    return {
        "heading": common.heading(officer_agency, date or utcnow(), number=common.number_line(dossier_code)),
        "addressee": addressee, "procedure_name": procedure_name, "missing": _clean_list(missing_documents),
        "reason": reason, "officer_name": officer_name, "officer_agency": agency_name, "officer_phone": phone,
        "dossier_code": dossier_code,
    }


def supplement_slip_pdf(**params) -> bytes:
    """The supplement slip as PDF (parameters as `supplement_slip_data`)."""
    return render.render("supplement_slip.html", supplement_slip_data(**params))


def last_event(dossier: Dossier, action: str) -> DossierEvent | None:
    return db.session.execute(
        sa.select(DossierEvent).where(DossierEvent.dossier_id == dossier.id, DossierEvent.action == action)
        .order_by(DossierEvent.id.desc()).limit(1)
    ).scalar_one_or_none()


def supplement_request(dossier: Dossier) -> DossierEvent | None:
    """The latest supplement request of the dossier (what the agency's supplement slip prints)."""
    return last_event(dossier, "request_supplement")


def supplement_slip_of(dossier: Dossier) -> bytes | None:
    """The supplement slip of the dossier's latest request during appraisal; None when it never had one."""
    event = supplement_request(dossier)
    if event is None:
        return None
    procedure = db.session.get(Procedure, dossier.procedure_id)
    agency = db.session.get(Agency, event.from_agency_id or dossier.current_agency_id)
    officer = common.names([event.actor_id]).get(event.actor_id, "")
    return supplement_slip_pdf(
        addressee=dossier.applicant_name, procedure_name=procedure.name,
        missing_documents=(event.data or {}).get("documents", []), reason=event.note, officer_name=officer,
        officer_agency=agency, date=event.at, dossier_code=dossier.code)


def refusal_slip_data(*, addressee: str, procedure_name: str, reason: str, officer_name: str,
                      officer_agency: Agency | str, officer_phone: str | None = None,
                      date: datetime | None = None, dossier_code: str | None = None,
                      received_at: datetime | None = None) -> dict:
    """Phiếu từ chối tiếp nhận giải quyết hồ sơ: the applicant asked, the desk refuses to receive, and why."""
    agency_name, phone = _officer(officer_agency, officer_phone)
    return {
        "heading": common.heading(officer_agency, date or utcnow(), number=common.number_line(dossier_code)),
        "addressee": addressee, "procedure_name": procedure_name, "reason": reason, "officer_name": officer_name,
        "officer_agency": agency_name, "officer_phone": phone, "dossier_code": dossier_code,
        "received_at": local(received_at) if received_at else None,
    }


def refusal_slip_pdf(**params) -> bytes:
    """The refusal slip as PDF (parameters as `refusal_slip_data`)."""
    return render.render("refusal_slip.html", refusal_slip_data(**params))


# -- the agencies' slips ---------------------------------------------------------------------------------

_CITIZEN_SIDE = ("request_supplement", "request_payment")  # the agency hands a request to the applicant
_FROM_CITIZEN = ("supplement_received", "payment_received")  # the applicant answers it
_TO_DESK = ("complete", "stop")
_ROW_ACTIONS = ("intake", "accept", "forward", *_CITIZEN_SIDE, *_FROM_CITIZEN, *_TO_DESK, "return")


def _result_label(value) -> str:
    member = StepResult.parse(value)
    return member.label if member is not None else ""


def control_rows(dossier: Dossier) -> list[dict]:
    """One row per hand-over, in order (Phiếu kiểm soát quá trình giải quyết hồ sơ, Circular 01/2018 form 05).

    The desk receives from the applicant; each agency gives to the next; a supplement (or payment) request
    goes to the applicant and their answer comes back; the last agency gives the result to the desk, and the
    desk returns it to the citizen. The return row is printed blank, to fill in by hand, until it happens.
    """
    events = db.session.execute(
        sa.select(DossierEvent.action, DossierEvent.at, DossierEvent.actor_id, DossierEvent.from_agency_id,
                  DossierEvent.to_agency_id, DossierEvent.step_id, DossierEvent.step_due_at,
                  DossierEvent.step_result, DossierEvent.note, DossierEvent.data)
        .where(DossierEvent.dossier_id == dossier.id, DossierEvent.action.in_(_ROW_ACTIONS))
        .order_by(DossierEvent.id)
    ).all()
    steps = {s.id: s for s in db.session.execute(
        sa.select(DossierStep.id, DossierStep.kind, DossierStep.task, DossierStep.due_at)
        .where(DossierStep.dossier_id == dossier.id)).all()}
    desk_due = next((s.due_at for s in steps.values() if s.kind == "desk"), None)
    people = common.names([e.actor_id for e in events])
    agencies = common.agency_names([e.from_agency_id for e in events] + [e.to_agency_id for e in events]
                                   + [dossier.receiving_agency_id, dossier.current_agency_id])
    desk = agencies.get(dossier.receiving_agency_id, "")
    applicant = dossier.applicant_name
    rows: list[dict] = []
    holder = desk  # who holds the dossier before the event
    for e in events:
        # `deadline` is the receiver's (what the hand-over asks of them), `result` the giver's judgement.
        row = {"action": str(ACTION_LABELS.get(e.action, e.action)), "at": local(e.at), "deadline": None,
               "task": None, "result": "", "note": e.note, "documents": [], "given_by": people.get(e.actor_id),
               "received_by": None}
        if e.action in ("intake", "accept"):
            row.update(giver=applicant, receiver=desk, given_by=applicant, received_by=people.get(e.actor_id),
                       deadline=local(desk_due), note=None)
            holder = desk
        elif e.action == "forward":
            step = steps.get(e.step_id)
            to = agencies.get(e.to_agency_id, "")
            row.update(giver=agencies.get(e.from_agency_id, holder), receiver=to, result=_result_label(e.step_result),
                       deadline=local(step.due_at) if step else None, task=step.task if step else None)
            holder = to
        elif e.action in _CITIZEN_SIDE:
            row.update(giver=agencies.get(e.from_agency_id, holder), receiver=applicant, received_by=applicant,
                       documents=(e.data or {}).get("documents", []))
        elif e.action in _FROM_CITIZEN:
            row.update(giver=applicant, receiver=agencies.get(e.to_agency_id, holder), given_by=applicant,
                       received_by=people.get(e.actor_id))
        elif e.action in _TO_DESK:
            row.update(giver=agencies.get(e.from_agency_id, holder), receiver=desk, result=_result_label(e.step_result),
                       deadline=local(dossier.due_at))
            holder = desk
        else:  # return
            row.update(giver=desk, receiver=dossier.collected_by or applicant, received_by=dossier.collected_by,
                       result=_result_label(dossier.finish_state), note=None)
        rows.append(row)
    if dossier.status in _TO_RETURN and not any(e.action == "return" for e in events):
        rows.append({"action": str(ACTION_LABELS["return"]), "at": None, "deadline": local(dossier.due_at),
                     "task": None, "giver": desk, "receiver": applicant, "given_by": None, "received_by": None,
                     "result": "", "note": None, "documents": []})
    for i, row in enumerate(rows, start=1):
        row["no"] = i
    return rows


# A result still to be handed to the citizen (blank return row); withdrawn or refused dossiers have none.
_TO_RETURN = frozenset(DossierStatus) - {DossierStatus.SUBMITTED, DossierStatus.NOT_ACCEPTED,
                                         DossierStatus.WITHDRAWN, DossierStatus.RETURNED}


def control_slip_data(dossier: Dossier, now: datetime | None = None) -> dict:
    """What the control slip prints, read now."""
    procedure = db.session.get(Procedure, dossier.procedure_id)
    desk = db.session.get(Agency, dossier.receiving_agency_id)
    return {
        "heading": common.heading(desk, now or utcnow()),
        "code": dossier.code, "applicant_name": dossier.applicant_name,
        "applicant_address": dossier.applicant_address,
        "procedure": {"name": procedure.name, "code": procedure.code},
        "received_at": local(dossier.received_at), "due_at": local(dossier.due_at),
        "original_due_at": local(dossier.original_due_at),
        "rows": control_rows(dossier),
    }


def control_slip_pdf(dossier: Dossier, now: datetime | None = None) -> bytes:
    """The control slip of the dossier as PDF."""
    return render.render("control_slip.html", control_slip_data(dossier, now))


def _acting_agency(dossier: Dossier, event: DossierEvent | None) -> Agency:
    return db.session.get(Agency, event.from_agency_id if event is not None and event.from_agency_id
                          else dossier.current_agency_id)


def _letter(dossier: Dossier, agency: Agency, issued_at: datetime) -> dict:
    procedure = db.session.get(Procedure, dossier.procedure_id)
    return {
        "heading": common.heading(agency, issued_at), "agency_name": agency.name, "head": common.head_of(agency.id),
        "code": dossier.code, "applicant_name": dossier.applicant_name, "procedure_name": procedure.name,
        "received_at": local(dossier.received_at), "issued_at": local(issued_at),
    }


def apology_slip_data(dossier: Dossier) -> dict:
    """What the apology slip shows; Conflict when the dossier has no apology."""
    if dossier.original_due_at is None:
        raise Conflict(_("Hồ sơ chưa có phiếu xin lỗi và hẹn lại ngày trả kết quả."), code="no_apology")
    event = last_event(dossier, "apologize")
    issued_at = event.at if event else dossier.updated_at
    return dict(_letter(dossier, _acting_agency(dossier, event), issued_at),
                reason=dossier.apology_reason, original_due_at=local(dossier.original_due_at),
                new_due_at=local(dossier.due_at))


def apology_slip_pdf(dossier: Dossier) -> bytes:
    """Phiếu xin lỗi và hẹn lại ngày trả kết quả, as PDF."""
    return render.render("apology_slip.html", apology_slip_data(dossier))


def stop_notice_data(dossier: Dossier) -> dict:
    """What the refusal notice after appraisal shows; Conflict unless the dossier was stopped."""
    event = last_event(dossier, "stop") if dossier.status == DossierStatus.STOPPED else None
    if event is None:
        raise Conflict(_("Hồ sơ không ở trạng thái dừng xử lý."), code="not_stopped")
    desk = common.agency_names([dossier.receiving_agency_id]).get(dossier.receiving_agency_id, "")
    return dict(_letter(dossier, _acting_agency(dossier, event), event.at), reason=event.note, desk_name=desk)


def stop_notice_pdf(dossier: Dossier) -> bytes:
    """Thông báo từ chối giải quyết hồ sơ (after appraisal), as PDF."""
    return render.render("stop_notice.html", stop_notice_data(dossier))


def printable(dossier: Dossier) -> dict[str, bool]:
    """Which slips exist for this dossier now (the page shows links to those)."""
    return {
        "control_slip": True,
        "apology_slip": dossier.original_due_at is not None,
        "stop_notice": dossier.status == DossierStatus.STOPPED,
        "supplement_slip": dossier.supplement_count > 0,
    }
