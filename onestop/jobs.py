"""Background jobs: the run-once lock, the interval bookkeeping and one commit per job.

A job is a plain function that does its work in the session and never commits
(the sweep, the notice delivery). `run` wraps it: it takes the job's lock (a
PostgreSQL transaction-level advisory lock, or a file lock beside an SQLite
database), skips when another process holds it or the last run is within the
job's interval, records when it ran, and commits once. Any process may call
it (a cron'd CLI, the in-app scheduler of `make run`, or `onestop scheduler`
in production): each interval's work happens once.
"""
from __future__ import annotations

import contextlib
import hashlib
import logging
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path

import sqlalchemy as sa
from filelock import FileLock, Timeout
from flask import current_app

from .extensions import db
from .models import SweepState
from .timeutil import now as utcnow

log = logging.getLogger(__name__)

# Arbitrary constants naming the advisory locks ("OneStop sweep", "OneStop outbox").
LOCK_KEYS = {"sweep": 0x0E57_5EE9, "outbox": 0x0E57_0B0C, "partitions": 0x0E57_9A27,
             "portal_sync": 0x0E57_5C15, "score766": 0x0E57_0766}
# The row of `sweep_state` that keeps each interval job's last run.
STATE_ROWS = {"sweep": 1}
# A run this close to the interval still counts as "the next interval" (timers drift).
INTERVAL_SLACK = 0.9


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


def run(name: str, work: Callable[[datetime], dict], *, now: datetime | None = None,
        interval: timedelta | None = None, skipped: Callable[[str], dict] | None = None) -> dict:
    """Run `work(now)` once under the job's lock and commit; its result, or a skip.

    Jobs listed in STATE_ROWS record when they ran; with an `interval`, a run
    within it of the last one skips (`skipped="recent"`).
    """
    now = now or utcnow()
    skip = skipped or (lambda reason: {"skipped": reason})
    try:
        with guard(name) as got:
            if not got:
                db.session.rollback()
                return skip("locked")
            state = db.session.get(SweepState, STATE_ROWS[name]) if name in STATE_ROWS else None
            if interval is not None and state is not None and state.last_run_at is not None \
                    and state.last_run_at <= now < state.last_run_at + interval * INTERVAL_SLACK:
                db.session.rollback()
                return skip("recent")
            result = work(now)
            if name in STATE_ROWS:
                if state is None:
                    state = SweepState(id=STATE_ROWS[name])
                    db.session.add(state)
                state.last_run_at = now
                state.last_result = result
            db.session.commit()
            return result
    except Exception:
        db.session.rollback()
        raise


def in_app_context(app, job: Callable[[], dict | None], label: str) -> dict | None:
    """Run a job from a scheduler thread: its own app context and session, errors logged."""
    with app.app_context():
        try:
            return job()
        except Exception:
            log.exception("%s failed", label)
            db.session.rollback()
            return None
        finally:
            db.session.remove()
