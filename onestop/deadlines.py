"""Every rule about time: planning an intake, steps' shares, pauses, restarts, apologies, judgements.

`calendar.py` only does working-time arithmetic; this module decides what the
law makes of it. The deadline state of a dossier is written twice, side by
side below: once in Python (`deadline_state`) for one loaded dossier, once as
SQL (`state_expr` and its parts) for lists, counts, the sweep and the sweep's
partial index. `tests/domain/test_deadlines.py` proves they agree.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from flask import current_app, has_app_context
from flask_babel import gettext

from . import status as st
from .calendar import WorkCalendar
from .errors import Conflict, ValidationError
from .models import Dossier, DossierStep, Procedure, UTCDateTime
from .status import DeadlineState, DossierStatus, StepResult
from .timeutil import fmt_datetime, local

# The sweep's flags on a dossier or step (alert_level): each crossing is announced once.
ALERT_NONE, ALERT_DUE_SOON, ALERT_OVERDUE = 0, 1, 2


# -- time limits and the intake plan -----------------------------------------------

def share_seconds(cal: WorkCalendar, procedure: Procedure, amount: float) -> int:
    """Working seconds of `amount` in the procedure's time unit."""
    if procedure.time_unit == "working_hours":
        return round(amount * 3600)
    return round(amount * cal.day_seconds)


def after_cutoff(cal: WorkCalendar, moment: datetime) -> bool:
    """After the day's cut-off (15:00) or not on a working day."""
    loc = moment.astimezone(cal.tz)
    return not cal.is_working_day(loc.date()) or loc.time() >= cal.cutoff


def same_day_due(cal: WorkCalendar, received: datetime) -> datetime:
    """A same-day procedure: today's close, or the next working day's close after 15:00."""
    d = received.astimezone(cal.tz).date()
    if not after_cutoff(cal, received):
        return cal.end_of_working_day(d)
    return cal.end_of_working_day(cal.next_working_day(d, include=False))


def handover_due(cal: WorkCalendar, received: datetime) -> datetime:
    """When the desk must hand a paper dossier over (Decree 61/2018 Art. 18, kept by Decree 118/2025).

    Received before 15:00: by the end of that working day; after it: within the
    first working hour of the next working day.
    """
    d = received.astimezone(cal.tz).date()
    if not after_cutoff(cal, received):
        return cal.end_of_working_day(d)
    nxt = cal.next_working_day(d, include=False)
    return cal.add_working_hours(cal.start_of_working_day(nxt), 1)


def appointment(cal: WorkCalendar, procedure: Procedure, clock_start: datetime) -> datetime:
    """The appointment (ngày hẹn trả) for a clock started at `clock_start`."""
    if procedure.same_day:
        return same_day_due(cal, clock_start)
    return cal.add_seconds(clock_start, share_seconds(cal, procedure, procedure.time_limit))


@dataclass(frozen=True)
class IntakePlan:
    """What receiving a dossier at a moment sets: when its clock starts, its appointment, its hand-over."""

    received_at: datetime
    clock_started_at: datetime
    due_at: datetime
    handover_due_at: datetime


def plan_intake(cal: WorkCalendar, procedure: Procedure, received_at: datetime) -> IntakePlan:
    """The clock starts at the next working moment after reception; the appointment follows from it."""
    start = cal.next_working_moment(received_at)
    return IntakePlan(received_at, start, appointment(cal, procedure, start), handover_due(cal, received_at))


def plan_steps(cal: WorkCalendar, procedure: Procedure, steps, due_at: datetime) -> None:
    """Give open steps due times that end at `due_at`, each later step keeping its share.

    The first of `steps` (the one being worked on) gets whatever time remains.
    """
    if procedure.same_day:
        for step in steps:
            step.due_at = due_at
        return
    last_first = list(steps)[::-1]
    for step, due in zip(last_first, step_dues(cal, procedure, [s.share for s in last_first], due_at), strict=True):
        step.due_at = due


def step_dues(cal: WorkCalendar, procedure: Procedure, shares_from_last, due_at: datetime) -> list[datetime]:
    """Due moments counted back from the appointment, last step first (for rows not yet objects)."""
    if procedure.same_day:
        return [due_at for _ in shares_from_last]
    ws = cal.to_ws(due_at)
    dues = []
    for share in shares_from_last:
        dues.append(cal.from_ws(ws))
        ws -= share_seconds(cal, procedure, share)
    return dues


# -- pauses, restarts ------------------------------------------------------------

def shift_after_pause(cal: WorkCalendar, dossier: Dossier, open_steps: list[DossierStep], now: datetime) -> int:
    """Move the appointment and open steps later by the working time spent waiting; the seconds waited."""
    if dossier.paused_at is None:
        return 0
    waited = max(0, cal.working_seconds_between(dossier.paused_at, now))
    dossier.paused_at = None
    if dossier.due_at is not None:
        dossier.due_at = cal.add_seconds(dossier.due_at, waited)
    for step in open_steps:
        if step.due_at is not None:
            step.due_at = cal.add_seconds(step.due_at, waited)
    dossier.alert_level = ALERT_NONE
    return waited


def restart(cal: WorkCalendar, dossier: Dossier, open_steps: list[DossierStep], now: datetime) -> None:
    """Decree 61/2018 Art. 19.4: the time limit counts again from zero once the papers are complete."""
    dossier.paused_at = None
    start = cal.next_working_moment(now)
    dossier.clock_started_at = start
    dossier.due_at = appointment(cal, dossier.procedure, start)
    plan_steps(cal, dossier.procedure, open_steps, dossier.due_at)
    dossier.alert_level = ALERT_NONE


def resume_note(cal: WorkCalendar, dossier: Dossier, waited: int | None) -> str:
    """The history note of a supplement received: how the clock moved."""
    if waited is None:
        return gettext("Tính lại thời hạn từ đầu; hẹn trả mới: %(due)s", due=fmt_datetime(dossier.due_at))
    return gettext("Tạm dừng %(days)s ngày làm việc; hẹn trả mới: %(due)s",
                   days=f"{waited / cal.day_seconds:.2f}", due=fmt_datetime(dossier.due_at))


# -- apologies -----------------------------------------------------------------------

def apology_allowed(dossier: Dossier, now: datetime) -> bool:
    """Whether an apology may still be issued (once, before the appointment)."""
    return dossier.original_due_at is None and dossier.due_at is not None and now < dossier.due_at


def check_apology_allowed(dossier: Dossier, now: datetime) -> None:
    """Raise when no apology may be issued now."""
    if dossier.original_due_at is not None:
        raise Conflict(gettext("Hồ sơ đã được hẹn lại ngày trả một lần; không được hẹn lại lần nữa."),
                       code="apology_used")
    if dossier.due_at is None or now >= dossier.due_at:
        raise Conflict(gettext("Đã quá hạn trả kết quả: phiếu xin lỗi phải được lập trước thời hạn."),
                       code="apology_too_late")


def check_new_appointment(cal: WorkCalendar, dossier: Dossier, now: datetime, new_due_at: datetime) -> None:
    """Raise when the apology's new appointment is not allowed."""
    if new_due_at <= dossier.due_at:
        raise ValidationError(gettext("Ngày hẹn mới phải sau ngày hẹn hiện tại."), field="new_due_at")


# -- judgements --------------------------------------------------------------------

def judge(finished_at: datetime, due_at: datetime | None) -> StepResult:
    """Step or dossier result: early (before the due day), on time, or late."""
    if due_at is None:
        return StepResult.ON_TIME
    if finished_at > due_at:
        return StepResult.LATE
    if local(finished_at).date() < local(due_at).date():
        return StepResult.EARLY
    return StepResult.ON_TIME


def finish_state(dossier: Dossier, finished_at: datetime) -> DeadlineState:
    """The dossier's final judgement; an apology or a second supplement request counts as late."""
    if dossier.original_due_at is not None or dossier.supplement_count > 1:
        return DeadlineState.LATE
    return DeadlineState(judge(finished_at, dossier.due_at).value)


# -- the deadline state: Python and SQL, side by side ------------------------------

def due_soon_hours() -> int:
    if has_app_context():
        return int(current_app.config.get("ONESTOP_DUE_SOON_HOURS", 8))
    return 8


def due_soon_threshold(cal: WorkCalendar, now: datetime) -> datetime:
    """Dossiers due at or before this moment (and not yet overdue) are due soon."""
    return cal.add_working_hours(now, due_soon_hours())


def deadline_state(dossier: Dossier, now: datetime, threshold: datetime) -> DeadlineState | None:
    """`on_time`/`due_soon`/`overdue` while open, `early`/`on_time`/`late` once finished."""
    status = DossierStatus(dossier.status)
    if not status.is_open:
        return DeadlineState.parse(dossier.finish_state)
    if dossier.due_at is None:
        return DeadlineState.ON_TIME
    if status.clock_runs and dossier.due_at < now:  # running_overdue
        return DeadlineState.OVERDUE
    if not status.clock_runs and dossier.due_at < (dossier.paused_at or now):  # held_overdue
        return DeadlineState.OVERDUE
    if status.clock_runs and dossier.due_at <= threshold:  # due_soon
        return DeadlineState.DUE_SOON
    return DeadlineState.ON_TIME


def _moment(value: datetime):
    return sa.literal(value, UTCDateTime())


def is_open():
    return st.in_(Dossier.status, st.OPEN)


def clock_running():
    """The clock runs: the dossiers the sweep watches."""
    return st.in_(Dossier.status, st.CLOCK)


def running_overdue(now: datetime):
    """A running clock past its appointment (the sweep's overdue crossing, index-friendly)."""
    return sa.and_(clock_running(), Dossier.due_at < _moment(now))


def held_overdue(now: datetime):
    """An open dossier whose clock is held (or not started) that was already late when it stopped."""
    return sa.and_(is_open(), sa.not_(clock_running()),
                   Dossier.due_at < sa.func.coalesce(Dossier.paused_at, _moment(now)))


def due_soon(now: datetime, threshold: datetime):
    return sa.and_(clock_running(), Dossier.due_at >= _moment(now), Dossier.due_at <= _moment(threshold))


def deadline_clause(state: str, now: datetime, threshold: datetime):
    """SQL condition selecting dossiers in one deadline state (the parts of `state_expr`)."""
    state = DeadlineState(state)
    overdue = sa.and_(Dossier.due_at.is_not(None), sa.or_(running_overdue(now), held_overdue(now)))
    soon = sa.and_(Dossier.due_at.is_not(None), due_soon(now, threshold))
    if state is DeadlineState.OVERDUE:
        return overdue
    if state is DeadlineState.DUE_SOON:
        return soon
    finished = sa.and_(sa.not_(is_open()), Dossier.finish_state == state.value)
    if state is DeadlineState.ON_TIME:
        return sa.or_(sa.and_(is_open(), sa.not_(sa.or_(overdue, soon))), finished)
    return finished


def state_expr(now: datetime, threshold: datetime):
    """The deadline state as one SQL CASE, in the same order as `deadline_state`."""
    return sa.case(
        (sa.not_(is_open()), Dossier.finish_state),
        (Dossier.due_at.is_(None), DeadlineState.ON_TIME.value),
        (running_overdue(now), DeadlineState.OVERDUE.value),
        (held_overdue(now), DeadlineState.OVERDUE.value),
        (due_soon(now, threshold), DeadlineState.DUE_SOON.value),
        else_=DeadlineState.ON_TIME.value,
    )


# The sweep only looks at running clocks not yet flagged overdue: its partial index says the same.
SWEEP_WATCH = sa.and_(clock_running(), Dossier.alert_level < ALERT_OVERDUE)
sa.Index("ix_dossiers_sweep_open", Dossier.__table__.c.due_at, postgresql_where=SWEEP_WATCH, sqlite_where=SWEEP_WATCH)


def sweep_crossing(kind: str, now: datetime, threshold: datetime):
    """Dossiers that newly cross into `due_soon` or `overdue` and the alert level the crossing sets."""
    if kind == "overdue":
        return sa.and_(SWEEP_WATCH, running_overdue(now)), ALERT_OVERDUE
    if kind == "due_soon":
        return sa.and_(SWEEP_WATCH, Dossier.alert_level < ALERT_DUE_SOON, due_soon(now, threshold)), ALERT_DUE_SOON
    raise ValueError(kind)


def step_crossing(now: datetime):
    """Current route steps of running dossiers whose share of the time ran out, not yet flagged."""
    return sa.and_(
        DossierStep.id == Dossier.current_step_id, clock_running(), DossierStep.kind != "desk",
        DossierStep.finished_at.is_(None), DossierStep.due_at < _moment(now),
        DossierStep.alert_level < ALERT_OVERDUE,
    )
