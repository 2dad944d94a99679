"""The deadline sweep: flags dossiers and steps that became due soon or overdue, once.

Each crossing writes one history event (``due_soon``, ``overdue``, ``step_overdue``)
and raises the row's ``alert_level`` in the same set-based statement pair, so a
second run at the same moment finds nothing to do. The work is a handful of SQL
statements whatever the size of the table; Python only sees the per-agency
totals used for the staff digests.

Several processes may run the sweep (gunicorn workers, hosts, a cron job): a
PostgreSQL advisory lock (a file lock on SQLite) lets one run at a time, and a
run that comes within the interval of the previous one skips.
"""
from __future__ import annotations

import contextlib
import hashlib
import logging
from datetime import datetime, timedelta
from pathlib import Path

import sqlalchemy as sa
from filelock import FileLock, Timeout
from flask import current_app

from . import deadlines
from .calendar import get_calendar
from .extensions import db
from .models import CLOCK_STATUSES, DossierEvent, SweepState, UTCDateTime
from .timeutil import now as utcnow

log = logging.getLogger(__name__)

# Arbitrary constants naming the advisory locks ("OneStop sweep", "OneStop outbox").
LOCK_KEYS = {"sweep": 0x0E57_5EE9, "outbox": 0x0E57_0B0C}
SWEEP_ACTIONS = ("due_soon", "overdue", "step_overdue")
NOTES = {
    "due_soon": "Hồ sơ sắp đến hạn trả kết quả",
    "overdue": "Hồ sơ đã quá hạn trả kết quả",
    "step_overdue": "Bước xử lý đã quá thời hạn của cơ quan",
}
# A run this close to the interval still counts as "the next interval" (timers drift).
INTERVAL_SLACK = 0.9


def zero(**extra) -> dict:
    return {"overdue": 0, "due_soon": 0, "step_overdue": 0, **extra}


# -- the guard ---------------------------------------------------------------

def is_postgres() -> bool:
    return db.engine.dialect.name == "postgresql"


def lock_path(name: str) -> Path:
    """The SQLite lock file: in the instance folder, one per database."""
    uri = current_app.config["SQLALCHEMY_DATABASE_URI"]
    digest = hashlib.sha1(uri.encode()).hexdigest()[:12]
    return Path(current_app.instance_path) / f"{name}-{digest}.lock"


@contextlib.contextmanager
def guard(name: str):
    """Yield True when this process holds the named lock, False when another one does.

    PostgreSQL: a transaction-level advisory lock, released by the commit or
    rollback that ends the job. SQLite: a file lock held until the block exits,
    so the job must commit inside the block.
    """
    if is_postgres():
        got = db.session.execute(sa.text("SELECT pg_try_advisory_xact_lock(:k)"), {"k": LOCK_KEYS[name]}).scalar()
        yield bool(got)
        return
    lock = FileLock(str(lock_path(name)), timeout=0)
    try:
        lock.acquire()
    except Timeout:
        yield False
        return
    try:
        yield True
    finally:
        lock.release()


# -- the run -----------------------------------------------------------------

def interval() -> timedelta:
    return timedelta(minutes=int(current_app.config.get("ONESTOP_SWEEP_MINUTES", 5)))


def run(now: datetime | None = None, *, respect_interval: bool = True) -> dict:
    """One guarded sweep as of `now`, committed; counts of newly flagged rows.

    Skips (zeros and a ``skipped`` reason) when another process holds the lock
    or, unless `respect_interval` is false, when the last run is within the
    sweep interval.
    """
    now = now or utcnow()
    try:
        with guard("sweep") as got:
            if not got:
                db.session.rollback()
                return zero(skipped="locked")
            state = db.session.get(SweepState, 1)
            if respect_interval and state is not None and state.last_run_at is not None \
                    and state.last_run_at <= now < state.last_run_at + interval() * INTERVAL_SLACK:
                db.session.rollback()
                return zero(skipped="recent")
            result = sweep(now)
            if state is None:
                state = SweepState(id=1)
                db.session.add(state)
            state.last_run_at = now
            state.last_result = result
            db.session.commit()
            return result
    except Exception:
        db.session.rollback()
        raise


def sweep(now: datetime) -> dict:
    """The set-based statements of one sweep (no lock, no commit)."""
    cal = get_calendar()
    threshold = deadlines.due_soon_threshold(cal, now)
    before = db.session.execute(sa.select(sa.func.coalesce(sa.func.max(DossierEvent.id), 0))).scalar()
    params = {"now": now, "threshold": threshold}
    result = {
        "overdue": _flag_dossiers("overdue", params),
        "due_soon": _flag_dossiers("due_soon", params),
        "step_overdue": _flag_steps(params),
    }
    if result["overdue"] or result["due_soon"]:
        from . import notices

        notices.queue_digests(before, now)
    return result


def _sql(statement: str) -> sa.TextClause:
    """A text statement whose moments are bound exactly as UTCDateTime stores them."""
    clause = sa.text(statement)
    typed = [sa.bindparam(name, type_=UTCDateTime()) for name in ("now", "threshold") if f":{name}" in statement]
    return clause.bindparams(*typed) if typed else clause


_CLOCK = ", ".join(f"'{s}'" for s in CLOCK_STATUSES)
# Which dossiers cross, and the alert level the crossing sets.
_DOSSIER_CROSSING = {
    "overdue": (f"status IN ({_CLOCK}) AND due_at IS NOT NULL AND due_at < :now AND alert_level < 2", 2),
    "due_soon": (f"status IN ({_CLOCK}) AND due_at IS NOT NULL AND due_at >= :now AND due_at <= :threshold "
                 "AND alert_level < 1", 1),
}
_EVENT_COLUMNS = "dossier_id, action, at, status_from, status_to, from_agency_id, step_due_at, note"


def _flag_dossiers(action: str, params: dict) -> int:
    where, level = _DOSSIER_CROSSING[action]
    p = dict(params, action=action, note=NOTES[action], level=level)
    if is_postgres():
        # One statement: the rows flagged are exactly the rows given an event.
        return db.session.execute(_sql(
            f"WITH flagged AS (UPDATE dossiers SET alert_level = :level WHERE {where} "
            "RETURNING id, status, current_agency_id, due_at) "
            f"INSERT INTO dossier_events ({_EVENT_COLUMNS}) "
            "SELECT id, :action, :now, status, status, current_agency_id, due_at, :note FROM flagged"
        ), p).rowcount
    # SQLite: writers are serialised, so INSERT ... SELECT then UPDATE see the same rows.
    count = db.session.execute(_sql(
        f"INSERT INTO dossier_events ({_EVENT_COLUMNS}) "
        f"SELECT id, :action, :now, status, status, current_agency_id, due_at, :note FROM dossiers WHERE {where}"
    ), p).rowcount
    if count:
        db.session.execute(_sql(f"UPDATE dossiers SET alert_level = :level WHERE {where}"), p)
    return count


_STEP_CROSSING = (
    f"s.id = d.current_step_id AND d.status IN ({_CLOCK}) AND s.kind <> 'desk' AND s.finished_at IS NULL "
    "AND s.due_at IS NOT NULL AND s.due_at < :now AND s.alert_level < 2"
)


def _flag_steps(params: dict) -> int:
    """Current route steps whose share of the time ran out (attributed to that agency)."""
    p = dict(params, action="step_overdue", note=NOTES["step_overdue"])
    event_cols = "dossier_id, action, at, status_from, status_to, from_agency_id, step_id, step_due_at, note"
    if is_postgres():
        return db.session.execute(_sql(
            "WITH flagged AS (UPDATE dossier_steps s SET alert_level = 2 FROM dossiers d "
            f"WHERE {_STEP_CROSSING} RETURNING s.id, s.dossier_id, s.agency_id, s.due_at, d.status) "
            f"INSERT INTO dossier_events ({event_cols}) "
            "SELECT dossier_id, :action, :now, status, status, agency_id, id, due_at, :note FROM flagged"
        ), p).rowcount
    count = db.session.execute(_sql(
        f"INSERT INTO dossier_events ({event_cols}) "
        "SELECT d.id, :action, :now, d.status, d.status, s.agency_id, s.id, s.due_at, :note "
        f"FROM dossiers d JOIN dossier_steps s ON {_STEP_CROSSING}"
    ), p).rowcount
    if count:
        db.session.execute(_sql(
            "UPDATE dossier_steps SET alert_level = 2 WHERE id IN "
            f"(SELECT s.id FROM dossiers d JOIN dossier_steps s ON {_STEP_CROSSING})"
        ), p)
    return count


# -- the staff badge ---------------------------------------------------------

BADGE_ROLES = ("clerk", "specialist", "leader")


def badge_counts(agency_id: int, now: datetime | None = None) -> dict:
    """Due-soon and overdue dossiers currently at an agency, in one filtered COUNT query."""
    from .models import OPEN_STATUSES, Dossier

    now = now or utcnow()
    threshold = deadlines.due_soon_threshold(get_calendar(), now)
    row = db.session.execute(
        sa.select(
            sa.func.count().filter(deadlines.deadline_clause("due_soon", now, threshold)),
            sa.func.count().filter(deadlines.deadline_clause("overdue", now, threshold)),
        ).where(Dossier.current_agency_id == agency_id, Dossier.status.in_(OPEN_STATUSES))
    ).one()
    return {"due_soon": row[0] or 0, "overdue": row[1] or 0}


def register_badge(app) -> None:
    """Give every page rendered for a clerk, specialist or leader `deadline_badge`."""
    from flask import has_request_context, url_for
    from flask_login import current_user
    from sqlalchemy.exc import SQLAlchemyError

    @app.context_processor
    def deadline_badge():
        if not has_request_context():
            return {}
        user = current_user
        if not getattr(user, "is_authenticated", False) or user.role not in BADGE_ROLES:
            return {}
        try:
            counts = badge_counts(user.agency_id)
        except SQLAlchemyError:  # an error page must still render when the database is unwell
            log.exception("deadline badge")
            return {}
        return {"deadline_badge": dict(counts, url=url_for("processing.inbox"))}
