"""Every rule about time: planning an intake, steps' shares, pauses, restarts, apologies, judgements.

`calendar.py` only does working-time arithmetic; this module decides what the
law makes of it. The deadline state of a dossier is written twice, side by
side below: once in Python (`deadline_state`) for one loaded dossier, once as
SQL (`state_expr` and its parts) for lists, counts, the sweep and the sweep's
partial index. `tests/domain/test_deadlines.py` proves they agree.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

import sqlalchemy as sa
from flask import current_app, has_app_context
from flask_babel import gettext

from . import settings
from . import status as st
from .calendar import WorkCalendar
from .errors import Conflict, ValidationError
from .models import Dossier, DossierStep, Procedure, UTCDateTime
from .status import Channel, DeadlineState, DossierStatus, StepResult, TimeUnit
from .timeutil import fmt_datetime, local

# The sweep's flags on a dossier or step (alert_level): each crossing is announced once.
ALERT_NONE, ALERT_DUE_SOON, ALERT_OVERDUE = 0, 1, 2


# -- time limits and the intake plan -----------------------------------------------

def share_seconds(cal: WorkCalendar, procedure: Procedure, amount: float) -> int:
    """Working seconds of `amount` in the procedure's time unit (calendar days: see `appointment`)."""
    if procedure.time_unit == TimeUnit.WORKING_HOURS:
        return round(amount * 3600)
    return round(amount * cal.day_seconds)


def time_limit(procedure: Procedure, channel: str | None = None) -> int:
    """The legal time limit, or the shorter one for dossiers submitted online when the procedure has one."""
    if channel == Channel.ONLINE and procedure.online_time_limit:
        return procedure.online_time_limit
    return procedure.time_limit


def _end_of_calendar_day(cal: WorkCalendar, moment: datetime) -> datetime:
    """The close of the working day of that date, or of the next working day when it is a day off."""
    return cal.end_of_working_day(cal.next_working_day(moment.astimezone(cal.tz).date()))


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


def appointment(cal: WorkCalendar, procedure: Procedure, clock_start: datetime,
                channel: str | None = None) -> datetime:
    """The appointment (ngày hẹn trả) for a clock started at `clock_start`.

    Calendar days count every day; a limit ending on a day off moves to the next working day's close.
    """
    if procedure.same_day:
        return same_day_due(cal, clock_start)
    limit = time_limit(procedure, channel)
    if procedure.time_unit == TimeUnit.CALENDAR_DAYS:
        return _end_of_calendar_day(cal, clock_start + timedelta(days=limit))
    return cal.add_seconds(clock_start, share_seconds(cal, procedure, limit))


@dataclass(frozen=True)
class IntakePlan:
    """What receiving a dossier at a moment sets: when its clock starts, its appointment, its hand-over."""

    received_at: datetime
    clock_started_at: datetime
    due_at: datetime
    handover_due_at: datetime


def plan_intake(cal: WorkCalendar, procedure: Procedure, received_at: datetime,
                channel: str | None = None) -> IntakePlan:
    """The clock starts at the next working moment after reception; the appointment follows from it.

    An online dossier is received when the desk accepts it: plan it again at that moment.
    """
    start = cal.next_working_moment(received_at)
    return IntakePlan(received_at, start, appointment(cal, procedure, start, channel),
                      handover_due(cal, received_at))


def plan_steps(cal: WorkCalendar, procedure: Procedure, steps, due_at: datetime, channel: str | None = None) -> None:
    """Give open steps due times that end at `due_at`, each later step keeping its share.

    The first of `steps` (the one being worked on) gets whatever time remains.
    """
    if procedure.same_day:
        for step in steps:
            step.due_at = due_at
        return
    last_first = list(steps)[::-1]
    dues = step_dues(cal, procedure, [s.share for s in last_first], due_at, channel)
    for step, due in zip(last_first, dues, strict=True):
        step.due_at = due


def step_dues(cal: WorkCalendar, procedure: Procedure, shares_from_last, due_at: datetime,
              channel: str | None = None) -> list[datetime]:
    """Due moments counted back from the appointment, last step first (for rows not yet objects).

    With the shorter online time limit each share shrinks in proportion.
    """
    if procedure.same_day:
        return [due_at for _ in shares_from_last]
    scale = time_limit(procedure, channel) / procedure.time_limit if procedure.time_limit else 1
    dues = []
    if procedure.time_unit == TimeUnit.CALENDAR_DAYS:
        moment = due_at
        for share in shares_from_last:
            dues.append(moment)
            back = cal.end_of_working_day(moment.astimezone(cal.tz).date() - timedelta(days=round(share * scale)))
            moment = back
        return dues
    ws = cal.to_ws(due_at)
    for share in shares_from_last:
        dues.append(cal.from_ws(ws))
        ws -= round(share_seconds(cal, procedure, share) * scale)
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
    """Decree 61/2018 Art. 19.4 (kept by Decree 118/2025): the time limit counts again from zero once the
    papers are complete."""
    dossier.paused_at = None
    start = cal.next_working_moment(now)
    dossier.clock_started_at = start
    dossier.due_at = appointment(cal, dossier.procedure, start, dossier.channel)
    plan_steps(cal, dossier.procedure, open_steps, dossier.due_at, dossier.channel)
    dossier.alert_level = ALERT_NONE


def replan_on_acceptance(cal: WorkCalendar, dossier: Dossier, steps: list[DossierStep], now: datetime) -> None:
    """An online submission accepted now: it is received now and its clock starts at the next working moment."""
    plan = plan_intake(cal, dossier.procedure, now, dossier.channel)
    dossier.received_at = now
    dossier.clock_started_at = plan.clock_started_at
    dossier.due_at = plan.due_at
    dossier.handover_due_at = plan.handover_due_at
    desk = [s for s in steps if s.kind == "desk"]
    for step in desk:
        step.started_at, step.due_at = now, plan.handover_due_at
    plan_steps(cal, dossier.procedure, [s for s in steps if s.kind == "route"], plan.due_at, dossier.channel)
    dossier.alert_level = ALERT_NONE


# -- supplements (Decree 118/2025; the numbers are the province's settings) ------------

def check_supplement(cal: WorkCalendar, dossier: Dossier, received_by_agency_at: datetime | None,
                     now: datetime) -> None:
    """Raise when a supplement may not be asked now: after the appointment, too late after the agency got
    the dossier, or once too often."""
    if dossier.due_at is not None and now > dossier.due_at:
        raise Conflict(gettext("Hồ sơ đã quá hạn giải quyết: không được yêu cầu bổ sung sau ngày hẹn trả "
                               "(hãy lập phiếu xin lỗi nếu chậm)."), code="supplement_after_due")
    allowed = settings.get("supplement_max_requests")
    if dossier.supplement_count >= allowed:
        raise Conflict(gettext("Hồ sơ đã được yêu cầu bổ sung %(n)s lần: chỉ được yêu cầu một lần với danh sách "
                               "đầy đủ giấy tờ cần bổ sung.", n=dossier.supplement_count),
                       code="supplement_limit")
    window = settings.get("supplement_window_days")
    elapsed = cal.working_seconds_between(received_by_agency_at, now) if received_by_agency_at else 0
    if elapsed > window * cal.day_seconds:
        raise Conflict(gettext("Đã quá %(n)s ngày làm việc kể từ khi cơ quan nhận hồ sơ: không được yêu cầu "
                               "bổ sung nữa.", n=window), code="supplement_window_passed")


def supplement_reply_due(cal: WorkCalendar, now: datetime) -> datetime:
    """The end of the citizen's time to supply the papers asked for."""
    return cal.add_working_days(now, settings.get("supplement_reply_days"))


def pakn_answer_due(cal: WorkCalendar, filed_at: datetime) -> datetime:
    """When the agency must have answered a PAKN filed at that moment (issue 15)."""
    return cal.add_working_days(filed_at, settings.get("pakn_answer_days"))


def resume_note(cal: WorkCalendar, dossier: Dossier, waited: int | None) -> str:
    """The history note of a supplement received: how the clock moved."""
    if waited is None:
        return gettext("Tính lại thời hạn từ đầu; hẹn trả mới: %(due)s", due=fmt_datetime(dossier.due_at))
    return gettext("Tạm dừng %(days)s ngày làm việc; hẹn trả mới: %(due)s",
                   days=f"{waited / cal.day_seconds:.2f}", due=fmt_datetime(dossier.due_at))


# -- apologies -----------------------------------------------------------------------

def apology_allowed(cal: WorkCalendar, dossier: Dossier, now: datetime) -> bool:
    """Whether an apology may still be issued (once, a working day or more before the appointment)."""
    try:
        check_apology_allowed(cal, dossier, now)
    except Conflict:
        return False
    return True


def check_apology_allowed(cal: WorkCalendar, dossier: Dossier, now: datetime) -> None:
    """Raise when no apology may be issued now."""
    if dossier.original_due_at is not None:
        raise Conflict(gettext("Hồ sơ đã được hẹn lại ngày trả một lần; không được hẹn lại lần nữa."),
                       code="apology_used")
    if dossier.due_at is None or now >= dossier.due_at:
        raise Conflict(gettext("Đã quá hạn trả kết quả: phiếu xin lỗi phải được lập trước thời hạn."),
                       code="apology_too_late")
    ahead = settings.get("apology_min_days")
    if cal.working_seconds_between(now, dossier.due_at) < ahead * cal.day_seconds:
        raise Conflict(gettext("Phiếu xin lỗi phải được lập trước ngày hẹn trả ít nhất %(n)s ngày làm việc.",
                               n=ahead), code="apology_too_close")


def is_appointment_moment(cal: WorkCalendar, moment: datetime) -> bool:
    """A moment inside working hours of a working day (the close of a period included)."""
    loc = moment.astimezone(cal.tz)
    if not cal.is_working_day(loc.date()):
        return False
    t = loc.hour * 3600 + loc.minute * 60 + loc.second
    return any(a <= t <= b for a, b in cal.spans)


def check_new_appointment(cal: WorkCalendar, dossier: Dossier, now: datetime, new_due_at: datetime) -> None:
    """Raise when the apology's new appointment is not allowed: not later, not a working moment, too far."""
    if not is_appointment_moment(cal, new_due_at):
        raise ValidationError(gettext("Ngày hẹn mới phải là một thời điểm trong giờ làm việc của ngày làm việc."),
                              field="new_due_at")
    furthest = cal.add_working_days(dossier.due_at, settings.get("apology_max_days"))
    if new_due_at > furthest:
        raise ValidationError(gettext("Ngày hẹn mới không được muộn hơn %(n)s ngày làm việc sau ngày hẹn cũ "
                                      "(chậm nhất %(at)s).", n=settings.get("apology_max_days"),
                                      at=fmt_datetime(furthest)), field="new_due_at")
    if new_due_at <= dossier.due_at:
        raise ValidationError(gettext("Ngày hẹn mới phải sau ngày hẹn hiện tại."), field="new_due_at")


def propose_new_appointment(cal: WorkCalendar, dossier: Dossier, open_steps: list[DossierStep],
                            now: datetime) -> datetime:
    """A new appointment for a drafted apology: the steps still to do get their shares again from now,
    at least one working day after the current appointment and within the province's cap."""
    remaining = sum(share_seconds(cal, dossier.procedure, s.share) for s in open_steps) or cal.day_seconds
    proposed = cal.add_seconds(max(now, cal.next_working_moment(now)), remaining)
    earliest = cal.add_working_days(dossier.due_at, 1)
    furthest = cal.add_working_days(dossier.due_at, settings.get("apology_max_days"))
    return min(max(proposed, earliest), furthest)


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


def finish_state(dossier: Dossier, finished_at: datetime) -> DeadlineState | None:
    """The dossier's final judgement; an apology or a second supplement request counts as late.

    A dossier refused at reception was never received: it is neither on time nor late (None).
    """
    if dossier.status == DossierStatus.SUBMITTED:
        return None
    if dossier.original_due_at is not None or dossier.supplement_count > 1:
        return DeadlineState.LATE
    return DeadlineState(judge(finished_at, dossier.due_at).value)


# -- the same rules for rows built by the thousand ---------------------------------------

def _epoch(moment: datetime) -> int:
    return int(moment.timestamp())


class BulkPlanner:
    """The rules above (intake plan, steps' dues, supplements, pauses, restarts, judgements) for rows whose
    moments are epoch seconds (UTC).

    `onestop generate` plans a million dossiers: per-day tables are filled once, for a span of days, by
    calling the rules above (hand-over and same-day dues, the close of a calendar-day limit) and the
    calendar (each day's working-second origin, the start of each working period); a row then costs a few
    integer operations. Each method is the twin of a function above, and tests/domain/test_deadlines_rows.py
    shows they agree. A zone that changes its offset inside the span is refused.
    """

    def __init__(self, cal: WorkCalendar, first: date, last: date):
        self.cal = cal
        self.day_seconds = cal.day_seconds
        self.spans = cal.spans
        self.lengths = [b - a for a, b in self.spans]
        days = [first + timedelta(days=j) for j in range((last - first).days + 1)]
        midnights = [datetime.combine(d, time(), tzinfo=cal.tz) for d in days]
        cutoffs = [datetime.combine(d, cal.cutoff, tzinfo=cal.tz) for d in days]
        self.days = days
        self.midnight = [_epoch(m) for m in midnights]
        if any(b - a != 86400 for a, b in zip(self.midnight, self.midnight[1:], strict=False)):
            raise ValueError("BulkPlanner: the time zone changes its offset inside the span")
        self.origin, self.size = self.midnight[0], len(days)
        self.working = [cal.is_working_day(d) for d in days]
        self.base_ws = [cal.to_ws(m) for m in midnights]
        self.cutoff_at = [_epoch(c) for c in cutoffs]
        # The hand-over and same-day dues depend on the day and on the side of the cut-off only.
        self.handover = [(_epoch(handover_due(cal, m)), _epoch(handover_due(cal, c)))
                         for m, c in zip(midnights, cutoffs, strict=True)]
        self.same_day = [(_epoch(same_day_due(cal, m)), _epoch(same_day_due(cal, c)))
                         for m, c in zip(midnights, cutoffs, strict=True)]
        self.calendar_day_close = [_epoch(_end_of_calendar_day(cal, m)) for m in midnights]
        self.day_close = [_epoch(cal.end_of_working_day(d)) for d in days]
        self.first_index = self.base_ws[0] // self.day_seconds
        offsets = [sum(self.lengths[:k]) for k in range(len(self.lengths))]
        self.period_starts = [
            tuple(_epoch(cal.from_ws(i * self.day_seconds + o, prefer_end=False)) for o in offsets)
            for i in range(self.first_index, self.base_ws[-1] // self.day_seconds + 2)
        ]

    def day(self, moment: int) -> int:
        """Index of the moment's local day in the span's tables (every day is 24 hours long, see above)."""
        j = (moment - self.origin) // 86400
        if not 0 <= j < self.size:
            raise ValueError(f"moment {moment} outside the planner's span")
        return j

    def to_ws(self, moment: int) -> int:
        """Twin of `WorkCalendar.to_ws`."""
        j = self.day(moment)
        ws = self.base_ws[j]
        if not self.working[j]:
            return ws
        t = moment - self.midnight[j]
        for a, b in self.spans:
            if t <= a:
                break
            ws += min(t, b) - a
        return ws

    def from_ws(self, ws: int, prefer_end: bool = True) -> int:
        """Twin of `WorkCalendar.from_ws`."""
        i, rem = divmod(ws, self.day_seconds)
        if rem == 0 and prefer_end and i > 0:
            i, rem = i - 1, self.day_seconds
        starts = self.period_starts[i - self.first_index]
        for k, length in enumerate(self.lengths):
            if rem < length or (rem == length and prefer_end):
                return starts[k] + rem
            rem -= length
        return starts[-1] + self.lengths[-1]

    def next_working_moment(self, moment: int) -> int:
        """Twin of `WorkCalendar.next_working_moment`."""
        j = self.day(moment)
        if self.working[j]:
            t = moment - self.midnight[j]
            for a, b in self.spans:
                if a <= t < b:
                    return moment
        return self.from_ws(self.to_ws(moment), prefer_end=False)

    def handover_due(self, received: int) -> int:
        """Twin of `handover_due`."""
        j = self.day(received)
        return self.handover[j][received >= self.cutoff_at[j]]

    def same_day_due(self, received: int) -> int:
        """Twin of `same_day_due`."""
        j = self.day(received)
        return self.same_day[j][received >= self.cutoff_at[j]]

    def appointment(self, procedure: Procedure, clock_start: int, channel: str | None = None) -> int:
        """Twin of `appointment`."""
        if procedure.same_day:
            return self.same_day_due(clock_start)
        limit = time_limit(procedure, channel)
        if procedure.time_unit == TimeUnit.CALENDAR_DAYS:
            return self.calendar_day_close[self.day(clock_start + limit * 86400)]
        return self.from_ws(self.to_ws(clock_start) + share_seconds(self.cal, procedure, limit))

    def plan_intake(self, procedure: Procedure, received_at: int, channel: str | None = None) -> IntakePlan:
        """Twin of `plan_intake` (the plan's moments are epoch seconds)."""
        start = self.next_working_moment(received_at)
        return IntakePlan(received_at, start, self.appointment(procedure, start, channel),
                          self.handover_due(received_at))

    def step_dues(self, procedure: Procedure, shares_from_last, due_at: int, channel: str | None = None) -> list[int]:
        """Twin of `step_dues`."""
        if procedure.same_day:
            return [due_at for _ in shares_from_last]
        scale = time_limit(procedure, channel) / procedure.time_limit if procedure.time_limit else 1
        dues = []
        if procedure.time_unit == TimeUnit.CALENDAR_DAYS:
            moment = due_at
            for share in shares_from_last:
                dues.append(moment)
                moment = self.day_close[self.day(moment) - round(share * scale)]
            return dues
        ws = self.to_ws(due_at)
        for share in shares_from_last:
            dues.append(self.from_ws(ws))
            ws -= round(share_seconds(self.cal, procedure, share) * scale)
        return dues

    def judge(self, finished_at: int, due_at: int | None) -> StepResult:
        """Twin of `judge`, in the calendar's zone."""
        if due_at is None:
            return StepResult.ON_TIME
        if finished_at > due_at:
            return StepResult.LATE
        if self.day(finished_at) < self.day(due_at):
            return StepResult.EARLY
        return StepResult.ON_TIME

    def finish_state(self, status: str, original_due_at: int | None, supplement_count: int, finished_at: int,
                     due_at: int | None) -> DeadlineState | None:
        """Twin of `finish_state`, the dossier given by its fields."""
        if status == DossierStatus.SUBMITTED:
            return None
        if original_due_at is not None or supplement_count > 1:
            return DeadlineState.LATE
        return DeadlineState(self.judge(finished_at, due_at).value)

    def supplement_allowed(self, due_at: int | None, supplement_count: int, received_by_agency_at: int | None,
                           at: int, *, max_requests: int, window_days: int) -> bool:
        """Twin of `check_supplement` (True where it would not raise), the province's settings given."""
        if due_at is not None and at > due_at:
            return False
        if supplement_count >= max_requests:
            return False
        return received_by_agency_at is None or \
            self.to_ws(at) - self.to_ws(received_by_agency_at) <= window_days * self.day_seconds

    def add_working_days(self, moment: int, n: float) -> int:
        """Twin of `WorkCalendar.add_working_days` (`supplement_reply_due` is this with the province's days)."""
        return self.from_ws(self.to_ws(moment) + round(n * self.day_seconds))

    def shift_after_pause(self, due_at: int | None, step_dues: list, paused_at: int, resumed_at: int):
        """Twin of `shift_after_pause`: (appointment, open steps' dues, seconds waited), all moved by the wait."""
        waited = max(0, self.to_ws(resumed_at) - self.to_ws(paused_at))

        def moved(moment):
            return None if moment is None else self.from_ws(self.to_ws(moment) + waited)
        return moved(due_at), [moved(d) for d in step_dues], waited

    def restart(self, procedure: Procedure, shares_from_last, resumed_at: int, channel: str | None = None):
        """Twin of `restart`: (clock start, appointment, open steps' dues last first) counted again from zero."""
        start = self.next_working_moment(resumed_at)
        due = self.appointment(procedure, start, channel)
        return start, due, self.step_dues(procedure, shares_from_last, due, channel)


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
# The sweep's check of steps (sweep._flag_steps, step_crossing): the unfinished steps not yet flagged overdue, by
# due moment, with the columns it reads (an index-only scan on PostgreSQL), and the dossiers whose clock runs,
# by their current step (the join back). Without them the check read every step: 0.9 s at 2.2M (issue 18).
_STEP_WATCH = sa.and_(DossierStep.__table__.c.finished_at.is_(None),
                      DossierStep.__table__.c.alert_level < ALERT_OVERDUE)
sa.Index("ix_dossier_steps_sweep_open", DossierStep.__table__.c.due_at, postgresql_include=["id", "kind"],
         postgresql_where=_STEP_WATCH, sqlite_where=_STEP_WATCH)
sa.Index("ix_dossiers_clock_current_step", Dossier.__table__.c.current_step_id,
         postgresql_where=clock_running(), sqlite_where=clock_running())


def sweep_crossing(kind: str, now: datetime, threshold: datetime):
    """Dossiers that newly cross into `due_soon` or `overdue` and the alert level the crossing sets."""
    if kind == "overdue":
        return sa.and_(SWEEP_WATCH, running_overdue(now)), ALERT_OVERDUE
    if kind == "due_soon":
        return sa.and_(SWEEP_WATCH, Dossier.alert_level < ALERT_DUE_SOON, due_soon(now, threshold)), ALERT_DUE_SOON
    raise ValueError(kind)


def supplement_expiry(now: datetime):
    """Dossiers waiting for papers whose citizen's time to supply has passed, not yet flagged."""
    return sa.and_(Dossier.status == DossierStatus.SUPPLEMENT_REQUESTED, Dossier.supplement_due_at < _moment(now),
                   Dossier.supplement_expired.is_(False))


def apology_warning(now: datetime, warn_before: datetime):
    """Running clocks whose appointment is near enough that an apology must be prepared now (once)."""
    return sa.and_(clock_running(), Dossier.original_due_at.is_(None), Dossier.apology_warned_at.is_(None),
                   Dossier.due_at > _moment(now), Dossier.due_at <= _moment(warn_before))


def apology_warning_threshold(cal: WorkCalendar, now: datetime) -> datetime:
    return cal.add_working_days(now, settings.get("apology_warning_days"))


def step_crossing(now: datetime):
    """Current route steps of running dossiers whose share of the time ran out, not yet flagged."""
    return sa.and_(
        DossierStep.id == Dossier.current_step_id, clock_running(), DossierStep.kind != "desk",
        DossierStep.finished_at.is_(None), DossierStep.due_at < _moment(now),
        DossierStep.alert_level < ALERT_OVERDUE,
    )
