"""The deadline sweep: flags dossiers and steps that became due soon or overdue, once.

Each crossing writes one history event (``due_soon``, ``overdue``, ``step_overdue``)
and raises the row's ``alert_level`` in the same set-based statement pair, so a
second run at the same moment finds nothing to do. Which rows cross is decided
by `deadlines.sweep_crossing` / `deadlines.step_crossing`, the same expressions
the deadline state and the sweep's partial index are built from. What it
flagged is announced with the `deadlines_flagged` signal (notices listen); the
lock, interval and commit are `jobs.run`'s.
"""
from __future__ import annotations

from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import current_app

from . import deadlines, jobs
from .calendar import get_calendar
from .extensions import db
from .models import Dossier, DossierEvent, DossierStep
from .signals import deadlines_flagged
from .timeutil import now as utcnow

SWEEP_ACTIONS = ("due_soon", "overdue", "step_overdue", "apology_due", "supplement_expired")
NOTES = {
    "due_soon": "Hồ sơ sắp đến hạn trả kết quả",
    "overdue": "Hồ sơ đã quá hạn trả kết quả",
    "step_overdue": "Bước xử lý đã quá thời hạn của cơ quan",
    "apology_due": "Sắp đến hạn mà chưa xong: cần lập phiếu xin lỗi và hẹn lại ngày trả kết quả",
    "supplement_expired": "Đã quá thời hạn công dân bổ sung hồ sơ",
}
# Kept for callers that name the lock helpers here.
guard, is_postgres, lock_path, LOCK_KEYS = jobs.guard, jobs.is_postgres, jobs.lock_path, jobs.LOCK_KEYS


def zero(**extra) -> dict:
    return {"overdue": 0, "due_soon": 0, "step_overdue": 0, "apology_due": 0, "supplement_expired": 0,
            "pakn_overdue": 0, **extra}


def interval() -> timedelta:
    return timedelta(minutes=int(current_app.config.get("ONESTOP_SWEEP_MINUTES", 5)))


def run(now: datetime | None = None, *, respect_interval: bool = True) -> dict:
    """One guarded sweep as of `now`, committed; counts of newly flagged rows (or a skip)."""
    return jobs.run("sweep", sweep, now=now or utcnow(), interval=interval() if respect_interval else None,
                    skipped=lambda reason: zero(skipped=reason))


def sweep(now: datetime) -> dict:
    """The set-based statements of one sweep (no lock, no commit)."""
    cal = get_calendar()
    threshold = deadlines.due_soon_threshold(cal, now)
    before = db.session.execute(sa.select(sa.func.coalesce(sa.func.max(DossierEvent.id), 0))).scalar()
    overdue, overdue_level = deadlines.sweep_crossing("overdue", now, threshold)
    soon, soon_level = deadlines.sweep_crossing("due_soon", now, threshold)
    result = {
        "overdue": _flag_dossiers("overdue", now, overdue, alert_level=overdue_level),
        "due_soon": _flag_dossiers("due_soon", now, soon, alert_level=soon_level),
        "step_overdue": _flag_steps(now),
        # Decree 118/2025: warn in time for the apology (a working day ahead), and when the citizen's
        # time to supply papers has run out.
        "apology_due": _flag_dossiers(
            "apology_due", now, deadlines.apology_warning(now, deadlines.apology_warning_threshold(cal, now)),
            apology_warned_at=sa.literal(now, Dossier.apology_warned_at.type)),
        "supplement_expired": _flag_dossiers("supplement_expired", now, deadlines.supplement_expiry(now),
                                             supplement_expired=sa.true()),
    }
    from . import pakn  # issue 15: unanswered PAKN past their deadline, flagged once
    result["pakn_overdue"] = pakn.flag_overdue(now)
    if any(result.values()):
        deadlines_flagged.send(current_app._get_current_object(), after_event_id=before, now=now, counts=result)
    return result


def _constants(action: str, now: datetime):
    return (sa.literal(action, sa.String()), sa.literal(now, DossierEvent.at.type),
            sa.literal(NOTES[action], sa.Text()))


_EVENT_COLUMNS = ("dossier_id", "action", "at", "status_from", "status_to", "from_agency_id", "step_due_at", "note")


def _inserted(insert) -> int:
    """Run a PostgreSQL INSERT ... SELECT over a data-modifying CTE and count its rows in the same statement."""
    inserted = insert.returning(sa.literal(1)).cte("inserted")
    return db.session.execute(sa.select(sa.func.count()).select_from(inserted)).scalar()


def _flag_dossiers(action: str, now: datetime, where, **flag) -> int:
    """Give each dossier matching `where` one event and set the flag that keeps it from matching again."""
    table = Dossier.__table__
    name, at, note = _constants(action, now)
    columns = [getattr(DossierEvent.__table__.c, c) for c in _EVENT_COLUMNS]
    if jobs.is_postgres():
        # One statement: the rows flagged are exactly the rows given an event.
        flagged = (sa.update(table).where(where).values(**flag, updated_at=table.c.updated_at)
                   .returning(table.c.id, table.c.status, table.c.current_agency_id, table.c.due_at).cte("flagged"))
        rows = sa.select(flagged.c.id, name, at, flagged.c.status, flagged.c.status, flagged.c.current_agency_id,
                         flagged.c.due_at, note)
        return _inserted(sa.insert(DossierEvent.__table__).from_select(columns, rows))
    # SQLite: writers are serialised, so INSERT ... SELECT then UPDATE see the same rows.
    rows = sa.select(table.c.id, name, at, table.c.status, table.c.status, table.c.current_agency_id,
                     table.c.due_at, note).where(where)
    count = db.session.execute(sa.insert(DossierEvent.__table__).from_select(columns, rows)).rowcount
    if count:
        db.session.execute(sa.update(table).where(where).values(**flag, updated_at=table.c.updated_at))
    return count


def _flag_steps(now: datetime) -> int:
    """Current route steps whose share of the time ran out (attributed to that agency)."""
    where = deadlines.step_crossing(now)
    steps, dossiers = DossierStep.__table__, Dossier.__table__
    name, at, note = _constants("step_overdue", now)
    columns = [getattr(DossierEvent.__table__.c, c) for c in (*_EVENT_COLUMNS, "step_id")]
    if jobs.is_postgres():
        # The crossing steps first, by a plain SELECT (index-only scans of the partial indexes of issue 18): an
        # UPDATE ... FROM reads every candidate row of both tables to lock them, 0.25 s with nothing to flag.
        ids = db.session.execute(sa.select(steps.c.id).select_from(dossiers.join(steps, where))).scalars().all()
        if not ids:
            return 0
        flagged = (sa.update(steps).where(where, steps.c.id.in_(ids)).values(alert_level=deadlines.ALERT_OVERDUE)
                   .returning(steps.c.id, steps.c.dossier_id, steps.c.agency_id, steps.c.due_at,
                              dossiers.c.status).cte("flagged"))
        rows = sa.select(flagged.c.dossier_id, name, at, flagged.c.status, flagged.c.status, flagged.c.agency_id,
                         flagged.c.due_at, note, flagged.c.id)
        return _inserted(sa.insert(DossierEvent.__table__).from_select(columns, rows))
    rows = sa.select(dossiers.c.id, name, at, dossiers.c.status, dossiers.c.status, steps.c.agency_id,
                     steps.c.due_at, note, steps.c.id).select_from(dossiers.join(steps, where))
    count = db.session.execute(sa.insert(DossierEvent.__table__).from_select(columns, rows)).rowcount
    if count:
        crossing = sa.select(steps.c.id).select_from(dossiers.join(steps, where)).scalar_subquery()
        db.session.execute(sa.update(steps).where(steps.c.id.in_(crossing))
                           .values(alert_level=deadlines.ALERT_OVERDUE))
    return count

