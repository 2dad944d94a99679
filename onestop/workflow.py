"""The one door through which a dossier is created and changes status.

Each verb (`accept`, `forward`, `request_supplement`, ...) has its own typed
signature. One private guard (`_act`) checks the transition table, the user's
role and agency and the dossier's version, then the verb's body adjusts the
dossier (deadline rules come from `deadlines`), and the guard writes one
history event and one audit entry and flushes. Callers never commit: the
request (or the job) commits once.
"""
from __future__ import annotations

import inspect
from collections.abc import Callable
from datetime import datetime

import sqlalchemy as sa
from flask_babel import gettext
from sqlalchemy.orm import joinedload
from sqlalchemy.orm.attributes import set_committed_value

from . import audit, codes, deadlines, marks766, policy, rows, validation
from .calendar import WorkCalendar, get_calendar
from .errors import Conflict, NotFound, PermissionDenied, StaleVersion, ValidationError
from .extensions import db
from .models import Agency, Dossier, DossierDocument, DossierEvent, DossierStep, Procedure, RouteStep, User
from .signals import dossier_event
from .status import AGENCY_WORK, Channel
from .status import DossierStatus as S
from .text import fold
from .timeutil import fmt_datetime, local, parse_iso
from .timeutil import now as utcnow

# action -> (statuses it may start from, status it leads to; None keeps the status)
TRANSITIONS: dict[str, tuple[frozenset[S], S | None]] = {
    "accept": (frozenset({S.SUBMITTED}), S.RECEIVED),
    "refuse": (frozenset({S.SUBMITTED}), S.NOT_ACCEPTED),
    "forward": (frozenset({S.RECEIVED, S.PROCESSING}), S.PROCESSING),
    "request_supplement": (frozenset({S.PROCESSING}), S.SUPPLEMENT_REQUESTED),
    "supplement_received": (frozenset({S.SUPPLEMENT_REQUESTED}), S.PROCESSING),
    "request_payment": (frozenset({S.PROCESSING}), S.AWAITING_PAYMENT),
    "payment_received": (frozenset({S.AWAITING_PAYMENT}), S.PROCESSING),
    "stop": (frozenset({S.PROCESSING, S.SUPPLEMENT_REQUESTED, S.AWAITING_PAYMENT}), S.STOPPED),
    "complete": (frozenset({S.PROCESSING}), S.RESULT_READY),
    "return": (frozenset({S.RESULT_READY, S.STOPPED}), S.RETURNED),
    "withdraw": (frozenset({S.SUBMITTED, *AGENCY_WORK}), S.WITHDRAWN),
    "apologize": (frozenset(AGENCY_WORK), None),
    "reassign": (frozenset({S.PROCESSING, S.SUPPLEMENT_REQUESTED, S.AWAITING_PAYMENT}), None),
    # -- online submission (issue 16): the desk asks the citizen to complete it; it stays submitted --
    "ask_completion": (frozenset({S.SUBMITTED}), None),
}
ACTIONS = tuple(TRANSITIONS)
# (action, status) pairs that keep the status: the stop notice handed over leaves the dossier stopped.
KEEPS_STATUS = frozenset({("return", S.STOPPED)})


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
        return deadlines.apology_allowed(get_calendar(), dossier, utcnow())
    if action == "return":
        return dossier.returned_at is None
    return True


# -- intake ----------------------------------------------------------------

def intake_procedure(code: str) -> Procedure | None:
    """The procedure with its route and the route's agencies, in one statement (the API's and the desk's intake).

    Intake reads all of them (the route becomes the steps, the answer names each step's agency): loaded
    together here, the later reads find them in the session. The clerk's desk comes with the clerk
    (`accounts.user_for_token`, `accounts.user_for_session`).
    """
    return db.session.execute(_INTAKE_PROCEDURE, {"code": code}).unique().scalar_one_or_none()


_INTAKE_PROCEDURE = (sa.select(Procedure).where(Procedure.code == sa.bindparam("code"))
                     .options(joinedload(Procedure.route).joinedload(RouteStep.agency)))


def preview(procedure: Procedure, received_at: datetime | None = None,
            cal: WorkCalendar | None = None) -> deadlines.IntakePlan:
    """The appointment a dossier received now (or then) would get."""
    return deadlines.plan_intake(cal or get_calendar(), procedure, received_at or utcnow())


def intake(*, actor: User, procedure: Procedure, applicant: dict, channel: str,
           documents: list[dict] | None = None, received_at: datetime | None = None,
           fee: int | str | None = None, sets: int | str = 1, note: str | None = None,
           accept: bool | None = None, now: datetime | None = None) -> Dossier:
    """Receive a dossier: validate, allocate its code, compute its appointment and steps.

    Counter and postal dossiers are received at once (the clerk checked the
    papers); online ones wait as `submitted` unless `accept` is true.
    """
    now = now or utcnow()
    if not isinstance(actor, OnlineApplicant) and not policy.can_intake(actor, procedure):
        raise PermissionDenied(gettext("Bộ phận một cửa của ông/bà không được tiếp nhận thủ tục này: chỉ các nơi "
                                       "tiếp nhận đã công bố của thủ tục được tiếp nhận hồ sơ."),
                               code="not_a_receiving_desk")
    if not procedure.active:
        raise ValidationError(gettext("Thủ tục này đã ngừng áp dụng."), field="procedure_code")
    channel = Channel.parse(channel)
    if channel is None:
        raise ValidationError(gettext("Kênh nộp phải là counter, online hoặc postal."), field="channel")
    person = validation.applicant(applicant)
    docs = validation.documents(documents)
    if received_at is None or channel is Channel.COUNTER:
        received_at = now
    validation.not_in_future(received_at, now)
    if fee is None:
        fee = procedure.fee
    fee = validation.money(fee, "fee", gettext("Lệ phí"))
    sets = validation.count(sets, "sets", gettext("Số bộ hồ sơ")) or 1
    if accept is None:
        accept = channel is not Channel.ONLINE

    cal = get_calendar()
    plan = deadlines.plan_intake(cal, procedure, received_at, channel)
    day = local(received_at).date()
    desk_agency = actor.agency  # the desk that receives: its identifier opens the code, it returns the result
    note = validation.clean_str(note, "note", gettext("Ghi chú"), max_len=2000)
    status = S.RECEIVED if accept else S.SUBMITTED
    # The rows go in as one INSERT per table (`rows.insert`: the unit of work cost three times the SQL it
    # sends); a dossier received on a day already closed marks that day for the 766 facts by hand.
    # The dossier goes in under a provisional unique code; its number is taken as late as possible (below):
    # the upsert locks the desk's row of the day until the commit, so every other intake of that desk and
    # day waits for this one from there on, and should wait for as little as possible.
    row = {
        "code": codes.provisional_code(), "lookup_key": codes.new_lookup_key(), "procedure_id": procedure.id,
        "receiving_agency_id": desk_agency.id, "current_agency_id": desk_agency.id, "status": status,
        "channel": channel, "applicant_name": person["full_name"], "applicant_id_number": person["id_number"],
        "applicant_phone": person["phone"], "applicant_email": person["email"],
        "applicant_address": person["address"], "applicant_tax_code": person["tax_code"],
        "fee": fee, "sets": sets, "note": note, "received_at": received_at,
        "clock_started_at": plan.clock_started_at, "handover_due_at": plan.handover_due_at, "due_at": plan.due_at,
        "created_by_id": actor.id, "created_at": now, "updated_at": now,
    }
    session = db.session
    (dossier,) = rows.insert(Dossier, [row])
    # Every step sets the same columns, so they go in one multi-row INSERT; the route's due times are
    # counted back from the appointment (deadlines owns the rule).
    route = list(procedure.route)
    route_dues = deadlines.step_dues(cal, procedure, [s.time for s in reversed(route)], plan.due_at, channel)[::-1]
    step_rows = [{"dossier_id": dossier.id, "seq": 0, "agency_id": desk_agency.id, "kind": "desk", "share": 0,
                  "task": "Tiếp nhận và chuyển hồ sơ", "started_at": received_at, "due_at": plan.handover_due_at,
                  "received_by_id": actor.id}]
    step_rows += [{"dossier_id": dossier.id, "seq": (step.position + 1) * 10, "agency_id": step.agency_id,
                   "kind": "route", "share": step.time, "task": step.task, "started_at": None, "due_at": due,
                   "received_by_id": None} for step, due in zip(route, route_dues, strict=True)]
    steps = rows.insert(DossierStep, step_rows)
    documents = rows.insert(DossierDocument, [{"dossier_id": dossier.id, "position": i, **doc}
                                              for i, doc in enumerate(docs)])
    desk = steps[0]
    for step in steps:
        set_committed_value(step, "dossier", dossier)
    marks766.mark_days(session, {marks766.local_day(received_at)})
    action = "intake" if accept else "submit"
    (event,) = rows.insert(DossierEvent, [{
        "dossier_id": dossier.id, "action": action, "at": now, "actor_id": actor.id, "status_from": None,
        "status_to": status, "to_agency_id": desk_agency.id, "step_id": desk.id, "step_due_at": desk.due_at,
        "note": f"Hẹn trả kết quả: {fmt_datetime(plan.due_at)}"}])
    set_committed_value(event, "dossier", dossier)
    # From the number on, the desk's counter row stays locked until the commit: only what needs the code.
    code = codes.allocate_code(desk_agency, day)
    search_text = fold(f"{code} {person['full_name']}")
    session.execute(_SET_CODE, {"dossier_id": dossier.id, "code": code, "search_text": search_text,
                                "current_step_id": desk.id, "updated_at": now})
    for name, value in (("code", code), ("search_text", search_text), ("current_step_id", desk.id),
                        ("procedure", procedure), ("receiving_agency", desk_agency),
                        ("current_agency", desk_agency), ("current_step", desk), ("steps", steps),
                        ("documents", documents), ("events", [event])):
        set_committed_value(dossier, name, value)
    audit.record(f"dossier.{action}", actor=actor, target=dossier,
                 details={"procedure": procedure.code, "channel": channel.value})
    dossier_event.send(dossier, event=event, actor=actor)
    return dossier


_DOSSIERS = Dossier.__table__
_SET_CODE = (sa.update(_DOSSIERS).where(_DOSSIERS.c.id == sa.bindparam("dossier_id"))
             .values(code=sa.bindparam("code"), search_text=sa.bindparam("search_text"),
                     current_step_id=sa.bindparam("current_step_id"), updated_at=sa.bindparam("updated_at")))


# -- online submission (issue 16) ---------------------------------------------------

class OnlineApplicant:
    """The citizen submitting online: no account; acts at the procedure's main desk, which receives it."""

    id = None
    role = "citizen"
    active = True

    def __init__(self, desk: Agency):
        self.agency, self.agency_id = desk, desk.id
        self.username = "cong-dan-truc-tuyen"
        self.full_name = "Công dân (nộp trực tuyến)"


def submit_online(*, procedure: Procedure, applicant: dict, documents: list[dict], contact: str,
                  now: datetime | None = None) -> Dossier:
    """An online submission lands at the procedure's main desk as `submitted`; the clock waits for acceptance."""
    desk = procedure.receiving_agency
    if not procedure.active or not policy.receives(procedure, desk):
        raise ValidationError(gettext("Thủ tục này hiện không nhận hồ sơ trực tuyến."), field="procedure_code")
    now = now or utcnow()
    dossier = intake(actor=OnlineApplicant(desk), procedure=procedure, applicant=applicant, channel=Channel.ONLINE,
                     documents=documents, received_at=now, accept=False, now=now)
    dossier.created_by_id = None
    dossier.contact_confirmed, dossier.contact_confirmed_at = contact, now
    return dossier


def citizen_event(dossier: Dossier, action: str, *, note: str | None = None, data: dict | None = None,
                  now: datetime | None = None) -> DossierEvent:
    """What the citizen did online without changing the status (completion, supplement): history and audit."""
    if action not in ("online_completion", "online_supplement"):
        raise ValueError(f"unknown citizen action {action!r}")
    now = now or utcnow()
    event = _event(dossier, action, None, now, status_from=dossier.status, to_agency_id=dossier.current_agency_id,
                   note=note, data=data)
    dossier.updated_at = now
    db.session.flush()
    audit.record(f"dossier.{action}", target=dossier, actor_name="cong-dan-truc-tuyen", details={"note": note})
    dossier_event.send(dossier, event=event, actor=None)
    return event


# -- lookups -----------------------------------------------------------------

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


# -- the guard -----------------------------------------------------------------

Body = Callable[[datetime, WorkCalendar], DossierEvent]


def _act(dossier: Dossier, action: str, actor: User, version: int | None, now: datetime | None,
         body: Body) -> DossierEvent:
    """Check the transition, the user and the version; run the body; record the event and the audit entry."""
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
                    status=dossier.status_label),
            code="invalid_transition",
        )
    if not policy.may_act(actor, dossier, action):
        raise PermissionDenied(gettext("Vai trò hoặc cơ quan của bạn không được thực hiện thao tác này trên hồ sơ."))
    _claim_version(dossier, version)
    now = now or utcnow()
    before = dossier.status
    event = body(now, get_calendar())
    if target is not None and (action, before) not in KEEPS_STATUS:
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


def open_steps(dossier: Dossier) -> list[DossierStep]:
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


def _finish(dossier: Dossier, actor: User, now: datetime) -> DossierStep | None:
    closed = _close_current_step(dossier, actor, now)
    dossier.paused_at = None
    dossier.finished_at = now
    dossier.finish_state = deadlines.finish_state(dossier, now)
    return closed


# -- the verbs -----------------------------------------------------------------

def accept(dossier: Dossier, *, actor: User, version: int | None, now: datetime | None = None) -> DossierEvent:
    """Accept an online submission after checking it: it is received now and its clock starts now."""
    def body(now, cal):
        deadlines.replan_on_acceptance(cal, dossier, dossier.steps, now)
        return _event(dossier, "accept", actor, now, to_agency_id=dossier.receiving_agency_id,
                      note=f"Hẹn trả kết quả: {fmt_datetime(dossier.due_at)}")
    return _act(dossier, "accept", actor, version, now, body)


def refuse(dossier: Dossier, *, actor: User, version: int | None, reason: str | None = None,
           now: datetime | None = None) -> DossierEvent:
    """Refuse an online submission at reception, with the reason."""
    def body(now, cal):
        text = validation.reason(reason)
        _close_current_step(dossier, actor, now)
        dossier.finished_at = now
        dossier.finish_state = deadlines.finish_state(dossier, now)
        return _event(dossier, "refuse", actor, now, note=text)
    return _act(dossier, "refuse", actor, version, now, body)


def forward(dossier: Dossier, *, actor: User, version: int | None, to_agency: str | None = None,
            reason: str | None = None, now: datetime | None = None) -> DossierEvent:
    """Hand the dossier to the next step of its route, or (with a reason) to another agency."""
    def body(now, cal):
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
    return _act(dossier, "forward", actor, version, now, body)


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


def request_supplement(dossier: Dossier, *, actor: User, version: int | None, reason: str | None = None,
                       documents: list | None = None, now: datetime | None = None) -> DossierEvent:
    """Ask the citizen for missing papers (one complete list); the clock is held."""
    def body(now, cal):
        text = validation.reason(reason)
        missing = _missing_documents(documents)
        step = dossier.current_step
        deadlines.check_supplement(cal, dossier, step.started_at if step is not None else None, now)
        dossier.supplement_count += 1
        dossier.paused_at = now
        dossier.supplement_due_at = deadlines.supplement_reply_due(cal, now)
        dossier.supplement_expired = False
        return _event(dossier, "request_supplement", actor, now, from_agency_id=dossier.current_agency_id,
                      note=text, data={"documents": missing})
    return _act(dossier, "request_supplement", actor, version, now, body)


def supplement_received(dossier: Dossier, *, actor: User, version: int | None,
                        now: datetime | None = None) -> DossierEvent:
    """The papers arrived: the clock restarts from zero or resumes, as the procedure says."""
    def body(now, cal):
        steps = open_steps(dossier)
        if dossier.procedure.clock_on_supplement == "pause":
            waited = deadlines.shift_after_pause(cal, dossier, steps, now)
        else:
            deadlines.restart(cal, dossier, steps, now)
            waited = None
        for step in open_steps(dossier):
            step.alert_level = deadlines.ALERT_NONE
        dossier.supplement_expired = False
        return _event(dossier, "supplement_received", actor, now, to_agency_id=dossier.current_agency_id,
                      step=dossier.current_step, note=deadlines.resume_note(cal, dossier, waited))
    return _act(dossier, "supplement_received", actor, version, now, body)


def request_payment(dossier: Dossier, *, actor: User, version: int | None, amount: int | str | None = None,
                    now: datetime | None = None) -> DossierEvent:
    """Ask for fees or taxes; the clock is held until they are paid."""
    def body(now, cal):
        value = validation.money(amount, "amount", gettext("Số tiền"))
        if value <= 0:
            raise ValidationError(gettext("Số tiền phải lớn hơn 0 đồng."), field="amount")
        dossier.payment_amount = value
        dossier.paused_at = now
        return _event(dossier, "request_payment", actor, now, from_agency_id=dossier.current_agency_id,
                      note=f"Số tiền: {int(value):,} đồng".replace(",", "."), data={"amount": int(value)})
    return _act(dossier, "request_payment", actor, version, now, body)


def payment_received(dossier: Dossier, *, actor: User, version: int | None, paid_online: bool | None = None,
                     now: datetime | None = None) -> DossierEvent:
    """Paid: the clock resumes, the appointment moves by the time spent waiting (`paid_online`: how, for 766)."""
    if paid_online is not None and not isinstance(paid_online, bool):
        raise ValidationError(gettext("Hình thức thanh toán không hợp lệ."), field="paid_online")

    def body(now, cal):
        if paid_online is not None:
            dossier.paid_online = paid_online
        deadlines.shift_after_pause(cal, dossier, open_steps(dossier), now)
        return _event(dossier, "payment_received", actor, now, step=dossier.current_step,
                      note=f"Hẹn trả: {fmt_datetime(dossier.due_at)}")
    return _act(dossier, "payment_received", actor, version, now, body)


def stop(dossier: Dossier, *, actor: User, version: int | None, reason: str | None = None,
         now: datetime | None = None) -> DossierEvent:
    """Refuse after appraisal: the dossier ends as stopped and goes back to the desk."""
    def body(now, cal):
        text = validation.reason(reason)
        closed = _finish(dossier, actor, now)
        from_agency = dossier.current_agency_id
        dossier.current_agency_id = dossier.receiving_agency_id
        return _event(dossier, "stop", actor, now, from_agency_id=from_agency,
                      to_agency_id=dossier.receiving_agency_id, step=closed,
                      step_result=closed.result if closed else None, note=text)
    return _act(dossier, "stop", actor, version, now, body)


def complete(dossier: Dossier, *, actor: User, version: int | None, note: str | None = None,
             now: datetime | None = None) -> DossierEvent:
    """The last step is done: the result goes to the desk that received the dossier."""
    def body(now, cal):
        nxt = next_route_step(dossier)
        if nxt is not None:
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
    return _act(dossier, "complete", actor, version, now, body)


def return_result(dossier: Dossier, *, actor: User, version: int | None, collected_by: str | None = None,
                  collected_id_number: str | None = None, now: datetime | None = None) -> DossierEvent:
    """The result (or, for a stopped dossier, the stop notice) is handed to the citizen or whoever collects it."""
    def body(now, cal):
        if dossier.returned_at is not None:
            raise Conflict(gettext("Hồ sơ này đã được trả cho người nhận."), code="already_returned")
        dossier.collected_by = validation.clean_str(collected_by, "collected_by", gettext("Người nhận kết quả"),
                                                    required=True, max_len=200)
        dossier.collected_id_number = validation.id_number(collected_id_number, "collected_id_number",
                                                           required=False)
        dossier.returned_at = now
        return _event(dossier, "return", actor, now, from_agency_id=dossier.receiving_agency_id,
                      note=f"Người nhận: {dossier.collected_by}")
    return _act(dossier, "return", actor, version, now, body)


def withdraw(dossier: Dossier, *, actor: User, version: int | None, reason: str | None = None,
             now: datetime | None = None) -> DossierEvent:
    """The citizen withdraws the dossier."""
    def body(now, cal):
        text = validation.reason(reason)
        _finish(dossier, actor, now)
        return _event(dossier, "withdraw", actor, now, from_agency_id=dossier.current_agency_id, note=text)
    return _act(dossier, "withdraw", actor, version, now, body)


def _parse_moment(value) -> datetime:
    if isinstance(value, str):
        try:
            value = parse_iso(value)
        except ValueError:
            raise ValidationError(gettext("Ngày hẹn mới không hợp lệ (ISO-8601)."), field="new_due_at") from None
    if not isinstance(value, datetime) or value.tzinfo is None:
        raise ValidationError(gettext("Ngày hẹn mới là bắt buộc."), field="new_due_at")
    return value


def apologize(dossier: Dossier, *, actor: User, version: int | None, reason: str | None = None,
              new_due_at: datetime | str | None = None, now: datetime | None = None) -> DossierEvent:
    """The apology letter with a new appointment (once; the dossier still counts as late)."""
    def body(now, cal):
        text = validation.reason(reason)
        deadlines.check_apology_allowed(cal, dossier, now)
        moment = _parse_moment(new_due_at)
        deadlines.check_new_appointment(cal, dossier, now, moment)
        dossier.original_due_at = dossier.due_at
        dossier.due_at = moment
        dossier.apology_reason = text
        dossier.alert_level = deadlines.ALERT_NONE
        return _event(dossier, "apologize", actor, now, from_agency_id=dossier.current_agency_id,
                      note=text, data={"original_due_at": dossier.original_due_at.isoformat(),
                                       "new_due_at": moment.isoformat()})
    return _act(dossier, "apologize", actor, version, now, body)


def reassign(dossier: Dossier, *, actor: User, version: int | None, assignee: str | int | None = None,
             now: datetime | None = None) -> DossierEvent:
    """A leader gives the dossier to another specialist of the agency holding it."""
    def body(now, cal):
        user = None
        if isinstance(assignee, str) and assignee.strip():
            user = db.session.execute(db.select(User).filter_by(username=assignee.strip())).scalar_one_or_none()
        elif isinstance(assignee, int) and not isinstance(assignee, bool) and 0 < assignee < 2**31:
            user = db.session.get(User, assignee)
        if user is None or not user.active or user.agency_id != dossier.current_agency_id \
                or user.role not in policy.AGENCY_ROLES:
            raise ValidationError(
                gettext("Chỉ được phân công cho chuyên viên đang làm việc tại cơ quan đang giữ hồ sơ."),
                field="assignee")
        dossier.assignee_id = user.id
        return _event(dossier, "reassign", actor, now, note=f"Phân công cho {user.full_name}",
                      data={"assignee": user.username})
    return _act(dossier, "reassign", actor, version, now, body)


def ask_completion(dossier: Dossier, *, actor: User, version: int | None, reason: str | None = None,
                   documents: list | None = None, now: datetime | None = None) -> DossierEvent:
    """Ask the citizen to complete an online submission (what is missing); it waits, still not received."""
    def body(now, cal):
        text = validation.reason(reason)
        missing = _missing_documents(documents)
        dossier.completion_requested_at = now
        return _event(dossier, "ask_completion", actor, now, note=text, data={"documents": missing})
    return _act(dossier, "ask_completion", actor, version, now, body)


# -- binding by name (the API, the forms, the tests) ------------------------------

VERBS: dict[str, Callable[..., DossierEvent]] = {
    "accept": accept,
    "refuse": refuse,
    "forward": forward,
    "request_supplement": request_supplement,
    "supplement_received": supplement_received,
    "request_payment": request_payment,
    "payment_received": payment_received,
    "stop": stop,
    "complete": complete,
    "return": return_result,
    "withdraw": withdraw,
    "apologize": apologize,
    "reassign": reassign,
    "ask_completion": ask_completion,
}
_COMMON = ("dossier", "actor", "version", "now")


def action_params(action: str) -> tuple[str, ...]:
    """The parameters a verb takes besides the dossier, the actor, the version and the moment."""
    return tuple(name for name in inspect.signature(VERBS[action]).parameters if name not in _COMMON)


def perform(dossier: Dossier, action: str, *, actor: User, version: int | None,
            now: datetime | None = None, **params) -> DossierEvent:
    """Call the verb named `action` (a parameter it does not take is a programming error: TypeError)."""
    verb = VERBS.get(action)
    if verb is None:
        raise ValidationError(gettext("Thao tác không hợp lệ: %(action)s.", action=action), field="action")
    return verb(dossier, actor=actor, version=version, now=now, **params)
