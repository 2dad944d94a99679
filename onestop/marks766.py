"""Which closed days of Decision 766's facts a flush changes (onestop/reports/facts766.py keeps the facts).

Loaded with the models, so every process that writes dossiers marks them: a session listener looks at the
dossiers, ratings, PAKN, sync records, attachments and documents a flush wrote, and adds the local days
whose kept counts they change to `score766_dirty`. Today's days need no mark: today is always counted from
the dossiers, and it closes only after it ended.
"""
from __future__ import annotations

from datetime import date, datetime
from itertools import chain

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.orm import Session

from .models import Attachment, Dossier, DossierDocument, Feedback, Pakn, PortalSync, score766_dirty
from .status import DossierStatus, SyncState
from .timeutil import now as utcnow
from .timeutil import zone


def local_day(moment: datetime) -> date:
    return moment.astimezone(zone()).date()


#: the columns of a dossier the counts of its day of receipt read
RECEIVED_COLUMNS = ("received_at", "channel", "digitised", "population_checked", "procedure_id",
                    "receiving_agency_id")
#: those the counts of its day of ending read
ENDED_COLUMNS = ("received_at", "finished_at", "status", "finish_state", "supplement_count", "fee",
                 "payment_amount", "paid_online", "electronic_result", "procedure_id", "receiving_agency_id")
_NOT_COUNTED = (DossierStatus.SUBMITTED, DossierStatus.NOT_ACCEPTED)


def _values(state, name) -> list:
    """The attribute's values before and after this flush."""
    hist = state.attrs[name].history
    return [v for v in chain(hist.added or (), hist.deleted or (), hist.unchanged or ()) if v is not None]


def _changed(state, names) -> bool:
    return any(state.attrs[n].history.has_changes() for n in names)


def _dossier_days(obj: Dossier, whole: bool) -> set[date]:
    """The days whose counts this flush of a dossier changes (`whole`: it was inserted or deleted)."""
    state = sa.inspect(obj)
    days: set[date] = set()
    status_moved = False
    if not whole and state.attrs["status"].history.has_changes():
        values = _values(state, "status")
        status_moved = len({v in _NOT_COUNTED for v in values}) > 1
    if whole or status_moved or _changed(state, RECEIVED_COLUMNS):
        days.update(local_day(v) for v in _values(state, "received_at"))
    if whole or _changed(state, ENDED_COLUMNS):
        days.update(local_day(v) for v in _values(state, "finished_at"))
    return days


def _related(obj) -> tuple[int | None, str] | None:
    """(dossier id, which day: "receipt" or "end") a change of a row about a dossier touches."""
    if isinstance(obj, (Attachment, DossierDocument)):
        return obj.dossier_id, "receipt"
    if isinstance(obj, (Feedback, Pakn)):
        return obj.dossier_id, "end"
    if isinstance(obj, PortalSync):
        state = sa.inspect(obj)
        if state.attrs["state"].history.has_changes() and SyncState.SENT in _values(state, "state"):
            return obj.dossier_id, "end"
    return None


@event.listens_for(Session, "after_flush")
def _mark_changed_days(session: Session, _context) -> None:
    """Mark the closed days a flush changes; today's own changes need no mark (today is counted live)."""
    days: set[date] = set()
    wanted: dict[int, set[str]] = {}
    for obj in chain(session.new, session.dirty, session.deleted):
        if isinstance(obj, Dossier):
            days |= _dossier_days(obj, obj in session.new or obj in session.deleted)
            continue
        about = _related(obj)
        if about is not None and about[0] is not None:
            wanted.setdefault(about[0], set()).add(about[1])
    if wanted:
        known = {}
        pending = {o.id: o for o in session.new if isinstance(o, Dossier)}  # inserted by this very flush
        for dossier_id in wanted:
            d = session.identity_map.get(Session.identity_key(Dossier, dossier_id)) or pending.get(dossier_id)
            if d is not None and d.received_at is not None:
                known[dossier_id] = (d.received_at, d.finished_at)
        missing = [i for i in wanted if i not in known]
        if missing:
            rows = session.connection().execute(
                sa.select(Dossier.id, Dossier.received_at, Dossier.finished_at).where(Dossier.id.in_(missing)))
            known.update({r[0]: (r[1], r[2]) for r in rows})
        for dossier_id, which in wanted.items():
            received, finished = known.get(dossier_id, (None, None))
            if "receipt" in which and received is not None:
                days.add(local_day(received))
            if "end" in which and finished is not None:
                days.add(local_day(finished))
    mark_days(session, days)


def mark_days(session: Session, days: set[date]) -> None:
    """Mark those of `days` that are closed already (before today): their kept counts are recounted.

    Writers that insert without a flush (the intake's bulk INSERTs) call this for what they wrote."""
    if not days:
        return
    today = local_day(utcnow())
    past = sorted(d for d in days if d < today)
    if past:
        session.connection().execute(sa.insert(score766_dirty), [{"day": d} for d in past])


