"""Rows written by one INSERT without the unit of work (onestop/rows.py) behave as flushed ones do.

The intake writes its dossier, steps, documents, first event, audit entry and portal records this way
(issue 18); what a clerk sees afterwards must not differ: every value readable without another query,
later changes saved, the same refusals of bad values, nothing left behind by a rolled-back request.
"""
from __future__ import annotations

import pytest
import sqlalchemy as sa
from factories import APPLICANT, documents_of, procedure, user
from sqlalchemy import event

from onestop import idempotency, rows, workflow
from onestop.errors import ValidationError
from onestop.extensions import db
from onestop.models import AuditLog, Dossier, DossierStep, IdempotentRequest, PortalSync
from onestop.timeutil import now as utcnow


class Statements:
    """Counts the SQL statements sent while it is open."""

    def __enter__(self):
        self.sent = []
        event.listen(db.engine, "before_cursor_execute", self._seen)
        return self

    def _seen(self, conn, cursor, statement, *args):
        self.sent.append(statement)

    def __exit__(self, *exc):
        event.remove(db.engine, "before_cursor_execute", self._seen)


def test_inserted_rows_are_persistent_objects_read_without_sql(demo):
    clerk = user("tiepnhan")
    (entry,) = rows.insert(AuditLog, [{"action": "test.rows", "actor_id": clerk.id, "actor_name": clerk.username,
                                       "details": {"n": 1}}])
    assert sa.inspect(entry).persistent and entry.id is not None
    with Statements() as seen:
        values = (entry.action, entry.actor_name, entry.details, entry.target_type, entry.at)
    assert seen.sent == [] and values[:4] == ("test.rows", "tiepnhan", {"n": 1}, None)
    assert values[4] is not None  # the column's default was applied, as a flush would
    entry.target_id = "X-1"  # a later change is flushed as usual
    db.session.commit()
    db.session.expire_all()
    assert db.session.get(AuditLog, entry.id).target_id == "X-1"


def test_many_rows_come_back_in_order_and_rollback_leaves_nothing(demo):
    before = db.session.execute(sa.select(sa.func.count(AuditLog.id))).scalar()
    made = rows.insert(AuditLog, [{"action": f"test.rows.{i}"} for i in range(5)])
    assert [a.action for a in made] == [f"test.rows.{i}" for i in range(5)]
    assert [a.id for a in made] == sorted(a.id for a in made)
    db.session.rollback()
    assert db.session.execute(sa.select(sa.func.count(AuditLog.id))).scalar() == before
    # Gone from the session too, as flushed new objects are: a retry may get the same ids.
    assert all(a not in db.session for a in made)
    again = rows.insert(AuditLog, [{"action": "test.rows.again"}])
    db.session.commit()
    assert db.session.get(AuditLog, again[0].id).action == "test.rows.again"


def test_the_flush_layers_limits_apply(demo):
    with pytest.raises(ValidationError) as too_long:
        rows.insert(AuditLog, [{"action": "x" * 500}])
    assert too_long.value.field == "action"
    with pytest.raises(ValidationError):
        rows.write(PortalSync, [{"dossier_id": 1, "service": "DongBoHoSoMC", "payload": "bad\x00byte",
                                 "created_at": utcnow(), "next_attempt_at": utcnow()}])


def test_an_intake_is_read_back_whole_without_sql(demo):
    proc = procedure("1.009994")
    dossier = workflow.intake(actor=user("tiepnhan"), procedure=proc, applicant=dict(APPLICANT), channel="counter",
                              documents=documents_of(proc))
    with Statements() as seen:
        shown = (dossier.code, dossier.current_step.kind, [s.seq for s in dossier.steps],
                 [d.name for d in dossier.documents], [e.action for e in dossier.events],
                 dossier.procedure.code, dossier.receiving_agency.identifier, dossier.assignee_id,
                 dossier.supplement_expired, dossier.version)
    assert seen.sent == []
    assert shown[0].startswith("000.00.") and shown[1] == "desk" and shown[2][0] == 0 and len(shown[2]) > 1
    assert shown[3] == [d["name"] for d in documents_of(proc)] and shown[4] == ["intake"]
    assert shown[5:] == ("1.009994", user("tiepnhan").agency.identifier, None, False, 1)
    db.session.commit()
    db.session.expire_all()
    stored = db.session.execute(sa.select(Dossier).filter_by(code=shown[0])).scalar_one()
    assert stored.current_step_id == stored.steps[0].id and stored.steps[0].kind == "desk"
    assert db.session.execute(sa.select(sa.func.count(PortalSync.id)).where(PortalSync.dossier_id == stored.id)
                              ).scalar() == 2
    assert db.session.execute(sa.select(sa.func.count(DossierStep.id)).where(DossierStep.dossier_id == stored.id)
                              ).scalar() == len(shown[2])


def test_a_claim_skips_a_key_taken_and_frees_one_expired(demo):
    clerk = user("tiepnhan")
    first = idempotency.claim(clerk, "test", "key-1", "f1")
    assert isinstance(first, IdempotentRequest)
    idempotency.finish(first, 201, "first answer")
    db.session.commit()
    again = idempotency.claim(clerk, "test", "key-1", "f1")
    assert isinstance(again, idempotency.Replay) and again.body == "first answer"
    # Older than KEEP_FOR, and this process purged the user's keys a moment ago: the key is new again.
    first.created_at = utcnow() - idempotency.KEEP_FOR - idempotency.KEEP_FOR / 24
    db.session.commit()
    fresh = idempotency.claim(clerk, "test", "key-1", "f2")
    assert isinstance(fresh, IdempotentRequest) and fresh.fingerprint == "f2"
