"""`onestop generate`: realistic, deterministic bulk data whose codes never collide with later intakes."""
from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa
from factories import receive

from onestop import generate
from onestop.extensions import db
from onestop.models import (
    CodeSequence,
    Dossier,
    DossierEvent,
    DossierStep,
    Feedback,
)
from onestop.status import Channel, DossierStatus


def _snapshot():
    return db.session.execute(
        sa.select(Dossier.code, Dossier.status, Dossier.channel, Dossier.due_at, Dossier.finish_state)
        .order_by(Dossier.code)).all()


def test_generate_covers_every_status_and_channel(app):
    counts = generate.generate(1500, seed=11)
    assert counts["dossiers"] == 1500
    statuses = set(db.session.execute(sa.select(Dossier.status).distinct()).scalars())
    assert statuses == set(DossierStatus)
    assert set(db.session.execute(sa.select(Dossier.channel).distinct()).scalars()) == set(Channel)
    assert db.session.execute(sa.select(sa.func.count()).where(Dossier.supplement_count > 0)).scalar() > 0
    assert db.session.execute(sa.select(sa.func.count()).where(Dossier.original_due_at.is_not(None))).scalar() > 0
    assert db.session.execute(sa.select(sa.func.count()).where(DossierStep.result == "late")).scalar() > 0
    assert set(db.session.execute(sa.select(Feedback.rating).distinct()).scalars()) == {
        "very_satisfied", "satisfied", "not_satisfied"}
    actions = set(db.session.execute(sa.select(DossierEvent.action).distinct()).scalars())
    assert {"intake", "forward", "complete", "return"} <= actions
    # Finished dossiers carry a judgement; open ones do not; every dossier points at its current step.
    assert db.session.execute(sa.select(sa.func.count()).where(
        Dossier.status.in_(("returned", "result_ready", "stopped")), Dossier.finish_state.is_(None))).scalar() == 0
    assert db.session.execute(sa.select(sa.func.count()).where(Dossier.current_step_id.is_(None))).scalar() == 0
    # Inter-agency procedure: a step per agency of the route.
    two = db.session.execute(sa.select(Dossier.id).join(Dossier.procedure).where(
        sa.literal_column("procedures.code") == "1.004227", Dossier.status == "returned").limit(1)).scalar()
    assert db.session.execute(sa.select(sa.func.count()).where(DossierStep.dossier_id == two)).scalar() == 3


def test_same_seed_same_data_and_codes_continue(app):
    generate.generate(300, seed=5)
    first = _snapshot()
    max_seq = db.session.execute(sa.select(sa.func.max(CodeSequence.last_value))).scalar()
    assert max_seq >= 1
    # Codes match the stored sequences: the highest number per unit and day is the stored last value.
    code, = db.session.execute(sa.select(Dossier.code).order_by(Dossier.received_at.desc()).limit(1)).one()
    assert code.count("-") == 2
    db.session.execute(sa.text("DELETE FROM feedback"))
    db.session.execute(sa.text("UPDATE dossiers SET current_step_id = NULL"))
    for table in ("dossier_events", "dossier_steps", "dossiers", "code_sequences"):
        db.session.execute(sa.text(f"DELETE FROM {table}"))
    db.session.commit()
    generate.generate(300, seed=5)
    assert _snapshot() == first


def test_intake_after_generate_does_not_collide(app, demo):
    generate.generate(400, seed=3)
    centre = demo_agency("000.00.17.H56")
    last = db.session.execute(sa.select(Dossier).where(Dossier.receiving_agency_id == centre)
                              .order_by(Dossier.received_at.desc()).limit(1)).scalar_one()
    dossier = receive("1.009994", at=last.received_at + timedelta(minutes=1))
    assert dossier.code[:-4] == last.code[:-4]  # same unit, same day: the number continues
    assert int(dossier.code[-4:]) == int(last.code[-4:]) + 1
    codes = db.session.execute(sa.select(Dossier.code)).scalars().all()
    assert len(codes) == len(set(codes)) == 401


def demo_agency(identifier):
    return db.session.execute(sa.text("SELECT id FROM agencies WHERE identifier = :i"), {"i": identifier}).scalar()


def test_cli_generate(runner, app):
    result = runner.invoke(args=["onestop", "generate", "--dossiers", "50", "--seed", "2"])
    assert result.exit_code == 0, result.output
    assert "Đã sinh 50 hồ sơ" in result.output
    bad = runner.invoke(args=["onestop", "generate", "--dossiers", "0"])
    assert bad.exit_code != 0
