"""Deadline rules: appointments, per-step due times, and on-time judgements."""
from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from flask import current_app, has_app_context

from .calendar import WorkCalendar
from .models import CLOCK_STATUSES, OPEN_STATUSES, Dossier, Procedure, UTCDateTime
from .timeutil import local

DEADLINE_STATES = ("on_time", "due_soon", "overdue", "early", "late")


def share_seconds(cal: WorkCalendar, procedure: Procedure, amount: float) -> int:
    """Working seconds of `amount` in the procedure's time unit."""
    if procedure.time_unit == "working_hours":
        return round(amount * 3600)
    return round(amount * cal.day_seconds)


def appointment(cal: WorkCalendar, procedure: Procedure, clock_start: datetime) -> datetime:
    """The appointment (ngày hẹn trả) for a clock started at `clock_start`."""
    if procedure.same_day:
        return cal.same_day_due(clock_start)
    return cal.add_seconds(clock_start, share_seconds(cal, procedure, procedure.time_limit))


def plan_backwards(cal: WorkCalendar, procedure: Procedure, steps, due_at: datetime) -> None:
    """Give open steps due times that end at `due_at`, each later step keeping its share.

    The first of `steps` (the one being worked on) gets whatever time remains.
    """
    if procedure.same_day:
        for step in steps:
            step.due_at = due_at
        return
    ws = cal.to_ws(due_at)
    for step in reversed(list(steps)):
        step.due_at = cal.from_ws(ws)
        ws -= share_seconds(cal, procedure, step.share)


def judge(finished_at: datetime, due_at: datetime | None) -> str:
    """Step or dossier result: early (before the due day), on time, or late."""
    if due_at is None:
        return "on_time"
    if finished_at > due_at:
        return "late"
    if local(finished_at).date() < local(due_at).date():
        return "early"
    return "on_time"


def finish_state(dossier: Dossier, finished_at: datetime) -> str:
    """The dossier's final judgement; an apology or a second supplement request counts as late."""
    if dossier.original_due_at is not None or dossier.supplement_count > 1:
        return "late"
    return judge(finished_at, dossier.due_at)


def due_soon_hours() -> int:
    if has_app_context():
        return int(current_app.config.get("ONESTOP_DUE_SOON_HOURS", 8))
    return 8


def due_soon_threshold(cal: WorkCalendar, now: datetime) -> datetime:
    """Dossiers due at or before this moment (and not yet overdue) are due soon."""
    return cal.add_working_hours(now, due_soon_hours())


def deadline_state(dossier: Dossier, now: datetime, threshold: datetime) -> str | None:
    """`on_time`/`due_soon`/`overdue` while open, `early`/`on_time`/`late` once finished."""
    if dossier.status not in OPEN_STATUSES:
        return dossier.finish_state
    if dossier.due_at is None:
        return "on_time"
    effective = dossier.paused_at or now
    if dossier.due_at < effective:
        return "overdue"
    if dossier.status in CLOCK_STATUSES and dossier.due_at <= threshold:
        return "due_soon"
    return "on_time"


def deadline_clause(state: str, now: datetime, threshold: datetime):
    """SQL condition on Dossier selecting the given deadline state (mirrors deadline_state)."""
    effective = sa.func.coalesce(Dossier.paused_at, sa.literal(now, UTCDateTime()))
    is_open = Dossier.status.in_(OPEN_STATUSES)
    overdue = sa.and_(is_open, Dossier.due_at.is_not(None), Dossier.due_at < effective)
    due_soon = sa.and_(
        Dossier.status.in_(CLOCK_STATUSES), Dossier.due_at.is_not(None),
        Dossier.due_at >= now, Dossier.due_at <= threshold,
    )
    if state == "overdue":
        return overdue
    if state == "due_soon":
        return due_soon
    if state == "on_time":
        return sa.or_(
            sa.and_(is_open, sa.not_(sa.or_(overdue, due_soon))),
            sa.and_(sa.not_(is_open), Dossier.finish_state == "on_time"),
        )
    if state in ("early", "late"):
        return sa.and_(sa.not_(is_open), Dossier.finish_state == state)
    raise ValueError(state)
