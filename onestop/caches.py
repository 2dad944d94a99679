"""Per-process caches of what rarely changes and every public page reads: the agencies and the catalogue.

The public lookup (page, API, Open311) names the receiving and current agencies, the agency of every
step and the procedure; reading those rows again for each request was half of its SQL. Here they are
read once per process, all at once (a province has hundreds of agencies and a few thousand procedures),
as plain frozen records that never touch a session.

Invalidation:
- in the process that makes a change, at once: a flush that inserts, updates or deletes an Agency or a
  Procedure, and an ORM bulk UPDATE/DELETE on them, drop the cache (SQLAlchemy session events);
- in the other processes (the other gunicorn workers, the scheduler), within `CACHE_SECONDS`, as the
  province's face, the calendar and the settings already do.

`invalidate()` drops everything by hand (for example after raw SQL on those tables).
"""
from __future__ import annotations

import threading
import time
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.orm import Session

CACHE_SECONDS = 30
_WATCHED = ("Agency", "Procedure")
_CHANGED = "onestop.caches.changed"  # session.info flag: this transaction flushed a watched change

EXTENSION = "onestop.caches"  # each app keeps its own entries in app.extensions (tests make many apps)

_lock = threading.Lock()
_state: dict = {"version": 0}


@dataclass(frozen=True)
class AgencyInfo:
    id: int
    identifier: str
    name: str
    address: str | None
    phone: str | None
    parent_id: int | None


@dataclass(frozen=True)
class ProcedureInfo:
    id: int
    code: str
    name: str
    result_location: str | None
    clock_on_supplement: str


def version() -> int:
    """Bumped on every change seen in this process (tests and callers may compare it)."""
    return _state["version"]


def invalidate() -> None:
    """Forget everything cached, in every app of this process (the entries of an older version are stale)."""
    with _lock:
        _state["version"] += 1


def _cached(name: str, load):
    from flask import current_app

    entries = current_app.extensions.setdefault(EXTENSION, {})
    key = name
    now = time.monotonic()
    hit = entries.get(key)
    current = _state["version"]
    if hit is not None and hit[1] == current and now - hit[0] < CACHE_SECONDS:
        return hit[2]
    value = load()
    with _lock:
        if _state["version"] == current:  # not invalidated while loading
            entries[key] = (now, current, value)
    return value


def _load_agencies() -> dict[int, AgencyInfo]:
    from .extensions import db
    from .models import Agency

    rows = db.session.execute(sa.select(Agency.id, Agency.identifier, Agency.name, Agency.address, Agency.phone,
                                        Agency.parent_id)).all()
    return {r.id: AgencyInfo(r.id, r.identifier, r.name, r.address, r.phone, r.parent_id) for r in rows}


def _load_procedures() -> dict[int, ProcedureInfo]:
    from .extensions import db
    from .models import Procedure

    rows = db.session.execute(sa.select(Procedure.id, Procedure.code, Procedure.name, Procedure.result_location,
                                        Procedure.clock_on_supplement)).all()
    return {r.id: ProcedureInfo(r.id, r.code, r.name, r.result_location, r.clock_on_supplement) for r in rows}


def agencies() -> dict[int, AgencyInfo]:
    return _cached("agencies", _load_agencies)


def procedures() -> dict[int, ProcedureInfo]:
    return _cached("procedures", _load_procedures)


def agency(agency_id: int | None) -> AgencyInfo | None:
    """The agency's cached record; an id the cache does not know yet reloads it once (a new agency)."""
    if agency_id is None:
        return None
    found = agencies().get(agency_id)
    if found is None:
        invalidate()
        found = agencies().get(agency_id)
    return found


def procedure(procedure_id: int | None) -> ProcedureInfo | None:
    """The procedure's cached record; an unknown id reloads the catalogue once."""
    if procedure_id is None:
        return None
    found = procedures().get(procedure_id)
    if found is None:
        invalidate()
        found = procedures().get(procedure_id)
    return found


# -- invalidation ------------------------------------------------------------------

def _watched(obj) -> bool:
    return type(obj).__name__ in _WATCHED


@event.listens_for(Session, "after_flush")
def _after_flush(session, flush_context) -> None:
    if any(_watched(obj) for obj in (*session.new, *session.dirty, *session.deleted)):
        session.info[_CHANGED] = True
        invalidate()


@event.listens_for(Session, "after_commit")
def _after_commit(session) -> None:
    session.info.pop(_CHANGED, None)


@event.listens_for(Session, "after_rollback")
def _after_rollback(session) -> None:
    # A change flushed, read back into the cache, then rolled back: the cache must not keep it.
    if session.info.pop(_CHANGED, None):
        invalidate()


@event.listens_for(Session, "do_orm_execute")
def _on_bulk(orm_execute_state) -> None:
    if orm_execute_state.is_update or orm_execute_state.is_delete:
        mapper = orm_execute_state.bind_mapper
        if mapper is not None and mapper.class_.__name__ in _WATCHED:
            invalidate()
