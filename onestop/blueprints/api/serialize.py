"""Dossiers and procedures as the JSON the API contract names."""
from __future__ import annotations

from datetime import datetime

from ... import catalogue, deadlines, workflow
from ...calendar import get_calendar
from ...models import (
    ACTION_LABELS,
    Agency,
    Dossier,
    Procedure,
    User,
)
from ...status import DeadlineState
from ...timeutil import iso
from ...timeutil import now as utcnow


class Clock:
    """`now` and the due-soon threshold, computed once per request."""

    def __init__(self, now: datetime | None = None):
        self.now = now or utcnow()
        self.threshold = deadlines.due_soon_threshold(get_calendar(), self.now)


def agency(a: Agency | None) -> dict | None:
    if a is None:
        return None
    return {"identifier": a.identifier, "name": a.name}


def person(u: User | None) -> dict | None:
    if u is None:
        return None
    return {"username": u.username, "full_name": u.full_name}


def deadline_label(dossier: Dossier, state: str | None) -> str | None:
    if state is None:
        return None
    member = DeadlineState.parse(state)
    if member is None:
        return None
    return member.label if dossier.is_open else member.finished_label


def dossier_summary(dossier: Dossier, clock: Clock) -> dict:
    """The fields a list shows: enough to pick a dossier and judge its urgency."""
    state = deadlines.deadline_state(dossier, clock.now, clock.threshold)
    return {
        "code": dossier.code,
        "status": dossier.status,
        "status_code": dossier.status_code,
        "status_label": dossier.status_label,
        "deadline_state": state,
        "deadline_label": deadline_label(dossier, state),
        "procedure": {"code": dossier.procedure.code, "name": dossier.procedure.name},
        "applicant_name": dossier.applicant_name,
        "channel": dossier.channel,
        "received_at": iso(dossier.received_at),
        "due_at": iso(dossier.due_at),
        "finished_at": iso(dossier.finished_at),
        "current_agency": agency(dossier.current_agency),
        "version": dossier.version,
    }


def dossier(d: Dossier, clock: Clock, user: User | None = None) -> dict:
    """The whole dossier for staff: applicant, documents, steps, history and what `user` may do next."""
    data = dossier_summary(d, clock)
    del data["applicant_name"]
    data.update({
        "applicant": {
            "full_name": d.applicant_name,
            "id_number": d.applicant_id_number,
            "phone": d.applicant_phone,
            "email": d.applicant_email,
            "address": d.applicant_address,
            "tax_code": d.applicant_tax_code,
        },
        "channel_label": d.channel_label,
        "receiving_agency": agency(d.receiving_agency),
        "assignee": person(d.assignee),
        "lookup_key": d.lookup_key,
        "fee": d.fee,
        "sets": d.sets,
        "note": d.note,
        "original_due_at": iso(d.original_due_at),
        "apology_reason": d.apology_reason,
        "paused_at": iso(d.paused_at),
        "supplement_count": d.supplement_count,
        "payment_amount": d.payment_amount,
        "returned_at": iso(d.returned_at),
        "collected_by": d.collected_by,
        "documents": [
            {"name": doc.name, "originals": doc.originals, "copies": doc.copies,
             "certified_copies": doc.certified_copies}
            for doc in d.documents
        ],
        "steps": [
            {"seq": s.seq, "kind": s.kind, "agency": agency(s.agency), "task": s.task,
             "started_at": iso(s.started_at), "due_at": iso(s.due_at), "finished_at": iso(s.finished_at),
             "result": s.result, "result_label": s.result_label or None}
            for s in d.steps
        ],
        "history": [
            {"action": e.action, "action_label": str(ACTION_LABELS.get(e.action, e.action)), "at": iso(e.at),
             "by": person(e.actor), "status_from": e.status_from, "status_to": e.status_to,
             "from_agency": agency(e.from_agency), "to_agency": agency(e.to_agency),
             "step_due_at": iso(e.step_due_at), "step_result": e.step_result, "note": e.note,
             "details": e.data}
            for e in d.events
        ],
        "available_actions": workflow.available_actions(user, d) if user is not None else [],
    })
    return data


def procedure(p: Procedure) -> dict:
    """A catalogue entry (the import format) with its Vietnamese time label."""
    data = catalogue.serialize(p)
    data["time_label"] = p.time_label
    data["receiving_agency_name"] = p.receiving_agency.name
    return data
