"""The one door through which a dossier is created and changes status.

Every action checks the transition table, the user's role and agency and the
dossier's version, adjusts deadlines, writes one history event and one audit
entry, and flushes. Callers commit (one commit per request or job).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from flask_babel import gettext
from sqlalchemy.orm.attributes import set_committed_value

from . import audit, codes, deadlines, policy, validation
from .calendar import WorkCalendar, get_calendar
from .errors import Conflict, NotFound, PermissionDenied, StaleVersion, ValidationError
from .extensions import db
from .models import (
    STATUS_LABELS,
    Agency,
    Dossier,
    DossierDocument,
    DossierEvent,
    DossierStep,
    Procedure,
    User,
)
from .signals import dossier_event
from .text import fold
from .timeutil import fmt_datetime, local
from .timeutil import now as utcnow

OPEN_WORK = ("received", "processing", "supplement_requested", "awaiting_payment")

# action -> (statuses it may start from, status it leads to; None keeps the status)
TRANSITIONS: dict[str, tuple[frozenset[str], str | None]] = {
    "accept": (frozenset({"submitted"}), "received"),
    "refuse": (frozenset({"submitted"}), "not_accepted"),
    "forward": (frozenset({"received", "processing"}), "processing"),
    "request_supplement": (frozenset({"processing"}), "supplement_requested"),
    "supplement_received": (frozenset({"supplement_requested"}), "processing"),
    "request_payment": (frozenset({"processing"}), "awaiting_payment"),
    "payment_received": (frozenset({"awaiting_payment"}), "processing"),
    "stop": (frozenset({"processing", "supplement_requested", "awaiting_payment"}), "stopped"),
    "complete": (frozenset({"processing"}), "result_ready"),
    "return": (frozenset({"result_ready"}), "returned"),
    "withdraw": (frozenset({"submitted", *OPEN_WORK}), "withdrawn"),
    "apologize": (frozenset(OPEN_WORK), None),
    "reassign": (frozenset({"processing", "supplement_requested", "awaiting_payment"}), None),
}
ACTIONS = tuple(TRANSITIONS)
CHANNELS = ("counter", "online", "postal")


def allowed_from(action: str, status: str) -> bool:
    return status in TRANSITIONS[action][0]


def available_actions(user: User, dossier: Dossier) -> list[str]:
    """Actions this user may take on the dossier now."""
    return [a for a in ACTIONS if allowed_from(a, dossier.status) and policy.may_act(user, dossier, a)
            and _precondition_ok(a, dossier)]


def _precondition_ok(action: str, dossier: Dossier) -> bool:
    if action == "complete":
        return next_route_step(dossier) is None
    if action == "apologize":
        return dossier.original_due_at is None and dossier.due_at is not None and utcnow() < dossier.due_at
    return True


# -- intake ----------------------------------------------------------------

@dataclass
class Preview:
    """What the clerk sees before saving: the code's unit and the appointment."""

    received_at: datetime
    clock_started_at: datetime
    due_at: datetime
    handover_due_at: datetime


def preview(procedure: Procedure, received_at: datetime | None = None,
            cal: WorkCalendar | None = None) -> Preview:
    """Compute the appointment a dossier received now (or then) would get."""
    cal = cal or get_calendar()
    received_at = received_at or utcnow()
    start = cal.next_working_moment(received_at)
    return Preview(received_at, start, deadlines.appointment(cal, procedure, start),
                   cal.handover_due(received_at))


def intake(*, actor: User, procedure: Procedure, applicant: dict, channel: str,
           documents: list[dict] | None = None, received_at: datetime | None = None,
           fee: int | None = None, sets: int = 1, note: str | None = None,
           accept: bool | None = None, now: datetime | None = None) -> Dossier:
    """Receive a dossier: validate, allocate its code, compute its appointment and steps.

    Counter and postal dossiers are received at once (the clerk checked the
    papers); online ones wait as `submitted` unless `accept` is true.
    """
    now = now or utcnow()
    if not policy.can_intake(actor, procedure):
        raise PermissionDenied(gettext("Chỉ cán bộ tiếp nhận của cơ quan tiếp nhận thủ tục này được tiếp nhận hồ sơ."))
    if not procedure.active:
        raise ValidationError(gettext("Thủ tục này đã ngừng áp dụng."), field="procedure_code")
    if channel not in CHANNELS:
        raise ValidationError(gettext("Kênh nộp phải là counter, online hoặc postal."), field="channel")
    person = validation.applicant(applicant)
    docs = validation.documents(documents)
    if received_at is None or channel == "counter":
        received_at = now
    validation.not_in_future(received_at, now)
    if fee is None:
        fee = procedure.fee
    fee = validation.money(fee, "fee", gettext("Lệ phí"))
    sets = validation.count(sets, "sets", gettext("Số bộ hồ sơ")) or 1
    if accept is None:
        accept = channel != "online"

    cal = get_calendar()
    plan = preview(procedure, received_at, cal)
    day = local(received_at).date()
    code = codes.allocate_code(procedure.receiving_agency, day)
    dossier = Dossier(
        code=code,
        lookup_key=codes.new_lookup_key(),
        procedure=procedure,
        receiving_agency_id=procedure.receiving_agency_id,
        current_agency_id=procedure.receiving_agency_id,
        status="received" if accept else "submitted",
        channel=channel,
        applicant_name=person["full_name"],
        applicant_id_number=person["id_number"],
        applicant_phone=person["phone"],
        applicant_email=person["email"],
        applicant_address=person["address"],
        applicant_tax_code=person["tax_code"],
        search_text=fold(f"{code} {person['full_name']}"),
        fee=fee,
        sets=sets,
        note=validation.clean_str(note, "note", gettext("Ghi chú"), max_len=2000),
        received_at=received_at,
        clock_started_at=plan.clock_started_at,
        handover_due_at=plan.handover_due_at,
        due_at=plan.due_at,
        created_by_id=actor.id,
        created_at=now,
        updated_at=now,
    )
    for i, doc in enumerate(docs):
        dossier.documents.append(DossierDocument(position=i, **doc))
    desk = DossierStep(seq=0, agency_id=procedure.receiving_agency_id, kind="desk",
                       task="Tiếp nhận và chuyển hồ sơ", started_at=received_at,
                       due_at=plan.handover_due_at, received_by_id=actor.id)
    dossier.steps.append(desk)
    route_steps = []
    for step in procedure.route:
        ds = DossierStep(seq=(step.position + 1) * 10, agency_id=step.agency_id, kind="route",
                         task=step.task, share=step.time)
        dossier.steps.append(ds)
        route_steps.append(ds)
    deadlines.plan_backwards(cal, procedure, route_steps, plan.due_at)
    dossier.current_step = desk
    db.session.add(dossier)
    db.session.flush()
    event = _event(dossier, "intake" if accept else "submit", actor, now, status_from=None,
                   to_agency_id=procedure.receiving_agency_id, step=desk,
                   note=f"Hẹn trả kết quả: {fmt_datetime(plan.due_at)}")
    db.session.flush()
    audit.record(f"dossier.{event.action}", actor=actor, target=dossier,
                 details={"procedure": procedure.code, "channel": channel})
    dossier_event.send(dossier, event=event, actor=actor)
    return dossier


# -- actions ---------------------------------------------------------------

def get_dossier(code: str) -> Dossier:
    dossier = db.session.execute(db.select(Dossier).filter_by(code=code)).scalar_one_or_none()
    if dossier is None:
        raise NotFound(gettext("Không tìm thấy hồ sơ."))
    return dossier


def next_route_step(dossier: Dossier) -> DossierStep | None:
    """The next step of the route that has not started yet."""
    current_seq = dossier.current_step.seq if dossier.current_step else -1
    for step in dossier.steps:
        if step.kind == "route" and step.seq > current_seq and step.started_at is None:
            return step
    return None


def perform(dossier: Dossier, action: str, *, actor: User, version: int | None,
            now: datetime | None = None, **params) -> DossierEvent:
    """Carry out one action on a dossier; raises a DomainError when it may not happen."""
    if action not in TRANSITIONS:
        raise ValidationError(gettext("Thao tác không hợp lệ: %(action)s.", action=action), field="action")
    if not policy.can_view(actor, dossier):
        raise PermissionDenied(gettext("Bạn không có quyền với hồ sơ này."))
    if version is None:
        raise ValidationError(gettext("Thiếu phiên bản hồ sơ (version)."), field="version")
    if isinstance(version, bool) or not isinstance(version, int):
        raise ValidationError(gettext("Phiên bản hồ sơ (version) phải là số nguyên."), field="version")
    if version != dossier.version:
        raise StaleVersion()
    sources, target = TRANSITIONS[action]
    if dossier.status not in sources:
        raise Conflict(
            gettext("Không thể thực hiện thao tác khi hồ sơ ở trạng thái “%(status)s”.",
                    status=STATUS_LABELS[dossier.status]),
            code="invalid_transition",
        )
    if not policy.may_act(actor, dossier, action):
        raise PermissionDenied(gettext("Vai trò hoặc cơ quan của bạn không được thực hiện thao tác này trên hồ sơ."))
    _claim_version(dossier, version)
    now = now or utcnow()
    cal = get_calendar()
    before = dossier.status
    handler = _HANDLERS[action]
    event = handler(dossier, actor, now, cal, **params)
    if target is not None:
        dossier.status = target
    event.status_from, event.status_to = before, dossier.status
    dossier.updated_at = now
    db.session.flush()
    audit.record(f"dossier.{action}", actor=actor, target=dossier,
                 details={"status_from": before, "status_to": dossier.status, "note": event.note})
    dossier_event.send(dossier, event=event, actor=actor)
    return event


def _claim_version(dossier: Dossier, version: int) -> None:
    """Compare-and-swap the version in the database: a second writer of the same version loses.

    On PostgreSQL the row stays locked until commit, so concurrent actions queue up.
    """
    result = db.session.execute(
        sa.update(Dossier).where(Dossier.id == dossier.id, Dossier.version == version)
        .values(version=version + 1).execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        raise StaleVersion()
    set_committed_value(dossier, "version", version + 1)


def _event(dossier, action, actor, now, *, status_from=None, from_agency_id=None, to_agency_id=None,
           step=None, step_result=None, note=None, data=None) -> DossierEvent:
    event = DossierEvent(
        dossier=dossier, action=action, at=now, actor_id=actor.id if actor else None,
        status_from=status_from, status_to=dossier.status,
        from_agency_id=from_agency_id, to_agency_id=to_agency_id,
        step_id=step.id if step is not None and step.id else None,
        step_due_at=step.due_at if step is not None else None,
        step_result=step_result, note=note, data=data,
    )
    db.session.add(event)
    return event


def _close_current_step(dossier: Dossier, actor: User, now: datetime) -> DossierStep | None:
    step = dossier.current_step
    if step is None or step.finished_at is not None:
        return None
    step.finished_at = now
    step.handed_by_id = actor.id
    step.result = deadlines.judge(now, step.due_at)
    return step


def _open_steps(dossier: Dossier) -> list[DossierStep]:
    """The current step (if still open) and the route steps not started yet."""
    current = dossier.current_step
    steps = [current] if current is not None and current.finished_at is None and current.kind != "desk" else []
    cur_seq = current.seq if current else -1
    steps += [s for s in dossier.steps if s.kind == "route" and s.started_at is None and s.seq > cur_seq]
    return steps


def _agency_by_identifier(identifier) -> Agency:
    if not isinstance(identifier, str) or not identifier.strip():
        raise ValidationError(gettext("Cơ quan nhận không hợp lệ."), field="to_agency")
    agency = db.session.execute(db.select(Agency).filter_by(identifier=identifier.strip())).scalar_one_or_none()
    if agency is None or not agency.active:
        raise ValidationError(gettext("Không tìm thấy cơ quan nhận."), field="to_agency")
    return agency


def _accept(dossier, actor, now, cal, **_):
    return _event(dossier, "accept", actor, now, to_agency_id=dossier.receiving_agency_id,
                  note=f"Hẹn trả kết quả: {fmt_datetime(dossier.due_at)}")


def _refuse(dossier, actor, now, cal, reason=None, **_):
    reason = validation.reason(reason)
    _close_current_step(dossier, actor, now)
    dossier.finished_at = now
    dossier.finish_state = deadlines.judge(now, dossier.due_at)
    return _event(dossier, "refuse", actor, now, note=reason)


def _forward(dossier, actor, now, cal, to_agency=None, reason=None, **_):
    nxt = next_route_step(dossier)
    note = None
    if to_agency not in (None, ""):
        agency = _agency_by_identifier(to_agency)
        if nxt is not None and agency.id == nxt.agency_id:
            target = nxt
        else:
            note = validation.reason(reason, label=gettext("Lý do chuyển ngoài quy trình"))
            if agency.id == dossier.current_agency_id:
                raise ValidationError(gettext("Hồ sơ đang ở chính cơ quan này."), field="to_agency")
            current = dossier.current_step
            target = DossierStep(seq=(current.seq if current else 0) + 1, agency_id=agency.id,
                                 kind="extra", task="Chuyển xử lý ngoài quy trình",
                                 due_at=(current.due_at if current and current.kind != "desk"
                                         else dossier.due_at))
            dossier.steps.append(target)
    elif nxt is None:
        raise Conflict(gettext("Đây là bước cuối của quy trình: hãy hoàn thành xử lý và chuyển trả kết quả."),
                       code="no_next_step")
    else:
        target = nxt
    closed = _close_current_step(dossier, actor, now)
    from_agency = dossier.current_agency_id
    target.started_at = now
    target.given_by_id = actor.id
    dossier.current_step = target
    dossier.current_agency_id = target.agency_id
    dossier.assignee_id = None
    db.session.flush()
    return _event(dossier, "forward", actor, now, from_agency_id=from_agency, to_agency_id=target.agency_id,
                  step=target, step_result=closed.result if closed else None,
                  note=note or (reason if isinstance(reason, str) and reason.strip() else None))


def _pause(dossier, now):
    dossier.paused_at = now


def _resume(dossier, now, cal):
    """Move the appointment and open steps later by the working time spent waiting."""
    if dossier.paused_at is None:
        return 0
    waited = max(0, cal.working_seconds_between(dossier.paused_at, now))
    dossier.paused_at = None
    if dossier.due_at is not None:
        dossier.due_at = cal.add_seconds(dossier.due_at, waited)
    for step in _open_steps(dossier):
        if step.due_at is not None:
            step.due_at = cal.add_seconds(step.due_at, waited)
    dossier.alert_level = 0
    return waited


def _request_supplement(dossier, actor, now, cal, reason=None, documents=None, **_):
    reason = validation.reason(reason)
    missing = _missing_documents(documents)
    dossier.supplement_count += 1
    _pause(dossier, now)
    return _event(dossier, "request_supplement", actor, now, from_agency_id=dossier.current_agency_id,
                  note=reason, data={"documents": missing})


def _missing_documents(items) -> list[str]:
    if items is None:
        return []
    if not isinstance(items, list):
        raise ValidationError(gettext("Danh sách giấy tờ cần bổ sung không hợp lệ."), field="documents")
    names = []
    for i, item in enumerate(items):
        name = item.get("name") if isinstance(item, dict) else item
        names.append(validation.clean_str(name, f"documents[{i}]", gettext("Tên giấy tờ"), required=True,
                                          max_len=500))
    return names


def _supplement_received(dossier, actor, now, cal, **_):
    procedure = dossier.procedure
    if procedure.clock_on_supplement == "pause":
        waited = _resume(dossier, now, cal)
        note = f"Tạm dừng {waited / cal.day_seconds:.2f} ngày làm việc; hẹn trả mới: {fmt_datetime(dossier.due_at)}"
    else:
        # Decree 61/2018 Art. 19.4: the time limit counts again from zero.
        dossier.paused_at = None
        start = cal.next_working_moment(now)
        dossier.clock_started_at = start
        dossier.due_at = deadlines.appointment(cal, procedure, start)
        deadlines.plan_backwards(cal, procedure, _open_steps(dossier), dossier.due_at)
        dossier.alert_level = 0
        note = f"Tính lại thời hạn từ đầu; hẹn trả mới: {fmt_datetime(dossier.due_at)}"
    for step in _open_steps(dossier):
        step.alert_level = 0
    return _event(dossier, "supplement_received", actor, now, to_agency_id=dossier.current_agency_id,
                  step=dossier.current_step, note=note)


def _request_payment(dossier, actor, now, cal, amount=None, **_):
    amount = validation.money(amount, "amount", gettext("Số tiền"))
    if amount <= 0:
        raise ValidationError(gettext("Số tiền phải lớn hơn 0 đồng."), field="amount")
    dossier.payment_amount = amount
    _pause(dossier, now)
    return _event(dossier, "request_payment", actor, now, from_agency_id=dossier.current_agency_id,
                  note=f"Số tiền: {int(amount):,} đồng".replace(",", "."), data={"amount": int(amount)})


def _payment_received(dossier, actor, now, cal, **_):
    _resume(dossier, now, cal)
    return _event(dossier, "payment_received", actor, now, step=dossier.current_step,
                  note=f"Hẹn trả: {fmt_datetime(dossier.due_at)}")


def _finish(dossier, actor, now):
    closed = _close_current_step(dossier, actor, now)
    if dossier.paused_at is not None:
        dossier.paused_at = None
    dossier.finished_at = now
    dossier.finish_state = deadlines.finish_state(dossier, now)
    return closed


def _stop(dossier, actor, now, cal, reason=None, **_):
    reason = validation.reason(reason)
    closed = _finish(dossier, actor, now)
    from_agency = dossier.current_agency_id
    dossier.current_agency_id = dossier.receiving_agency_id
    return _event(dossier, "stop", actor, now, from_agency_id=from_agency,
                  to_agency_id=dossier.receiving_agency_id, step=closed,
                  step_result=closed.result if closed else None, note=reason)


def _complete(dossier, actor, now, cal, note=None, **_):
    if next_route_step(dossier) is not None:
        nxt = next_route_step(dossier)
        raise Conflict(gettext("Hồ sơ còn bước xử lý tại %(agency)s: hãy chuyển tiếp.", agency=nxt.agency.name),
                       code="steps_remaining")
    closed = _finish(dossier, actor, now)
    from_agency = dossier.current_agency_id
    dossier.current_agency_id = dossier.receiving_agency_id
    dossier.assignee_id = None
    return _event(dossier, "complete", actor, now, from_agency_id=from_agency,
                  to_agency_id=dossier.receiving_agency_id, step=closed,
                  step_result=closed.result if closed else None,
                  note=validation.clean_str(note, "note", gettext("Ghi chú"), max_len=2000))


def _return(dossier, actor, now, cal, collected_by=None, collected_id_number=None, **_):
    dossier.collected_by = validation.clean_str(collected_by, "collected_by", gettext("Người nhận kết quả"),
                                                required=True, max_len=200)
    dossier.collected_id_number = validation.id_number(collected_id_number, "collected_id_number",
                                                       required=False)
    dossier.returned_at = now
    return _event(dossier, "return", actor, now, from_agency_id=dossier.receiving_agency_id,
                  note=f"Người nhận: {dossier.collected_by}")


def _withdraw(dossier, actor, now, cal, reason=None, **_):
    reason = validation.reason(reason)
    _finish(dossier, actor, now)
    return _event(dossier, "withdraw", actor, now, from_agency_id=dossier.current_agency_id, note=reason)


def _apologize(dossier, actor, now, cal, reason=None, new_due_at=None, **_):
    reason = validation.reason(reason)
    if dossier.original_due_at is not None:
        raise Conflict(gettext("Hồ sơ đã được hẹn lại ngày trả một lần; không được hẹn lại lần nữa."),
                       code="apology_used")
    if dossier.due_at is None or now >= dossier.due_at:
        raise Conflict(gettext("Đã quá hạn trả kết quả: phiếu xin lỗi phải được lập trước thời hạn."),
                       code="apology_too_late")
    if isinstance(new_due_at, str):
        from .timeutil import parse_iso
        try:
            new_due_at = parse_iso(new_due_at)
        except ValueError:
            raise ValidationError(gettext("Ngày hẹn mới không hợp lệ (ISO-8601)."), field="new_due_at") from None
    if not isinstance(new_due_at, datetime) or new_due_at.tzinfo is None:
        raise ValidationError(gettext("Ngày hẹn mới là bắt buộc."), field="new_due_at")
    if new_due_at <= dossier.due_at:
        raise ValidationError(gettext("Ngày hẹn mới phải sau ngày hẹn hiện tại."), field="new_due_at")
    dossier.original_due_at = dossier.due_at
    dossier.due_at = new_due_at
    dossier.apology_reason = reason
    dossier.alert_level = 0
    return _event(dossier, "apologize", actor, now, from_agency_id=dossier.current_agency_id,
                  note=reason, data={"original_due_at": dossier.original_due_at.isoformat(),
                                     "new_due_at": new_due_at.isoformat()})


def _reassign(dossier, actor, now, cal, assignee=None, **_):
    user = None
    if isinstance(assignee, str) and assignee.strip():
        user = db.session.execute(db.select(User).filter_by(username=assignee.strip())).scalar_one_or_none()
    elif isinstance(assignee, int) and not isinstance(assignee, bool) and 0 < assignee < 2**31:
        user = db.session.get(User, assignee)
    if user is None or not user.active or user.agency_id != dossier.current_agency_id \
            or user.role not in policy.AGENCY_ROLES:
        raise ValidationError(gettext("Chỉ được phân công cho chuyên viên đang làm việc tại cơ quan đang giữ hồ sơ."),
                              field="assignee")
    dossier.assignee_id = user.id
    return _event(dossier, "reassign", actor, now, note=f"Phân công cho {user.full_name}",
                  data={"assignee": user.username})


_HANDLERS = {
    "accept": _accept,
    "refuse": _refuse,
    "forward": _forward,
    "request_supplement": _request_supplement,
    "supplement_received": _supplement_received,
    "request_payment": _request_payment,
    "payment_received": _payment_received,
    "stop": _stop,
    "complete": _complete,
    "return": _return,
    "withdraw": _withdraw,
    "apologize": _apologize,
    "reassign": _reassign,
}
