"""`onestop generate`: realistic, deterministic bulk data whose codes never collide with later intakes."""
from __future__ import annotations

from datetime import timedelta
from types import SimpleNamespace

import sqlalchemy as sa
import sqlalchemy.orm as so
from factories import receive

from onestop import deadlines, settings
from onestop.calendar import get_calendar
from onestop.devdata import generate
from onestop.extensions import db
from onestop.models import (
    CodeSequence,
    Dossier,
    DossierEvent,
    DossierStep,
    Feedback,
)
from onestop.status import Channel, DossierStatus
from onestop.timeutil import local


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
    _forget_generated()
    generate.generate(300, seed=5)
    assert _snapshot() == first


def _forget_generated():
    db.session.execute(sa.text("DELETE FROM feedback"))
    db.session.execute(sa.text("UPDATE dossiers SET current_step_id = NULL"))
    for table in ("dossier_events", "dossier_steps", "dossiers", "code_sequences"):
        db.session.execute(sa.text(f"DELETE FROM {table}"))
    db.session.commit()


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


def _rows(table):
    return db.session.execute(sa.select(table).order_by(table.c.id)).all()


def test_generated_rows_follow_the_deadline_rules(app):
    """Appointments, hand-overs, steps' dues and judgements are what the workflow itself would have set."""
    generate.generate(700, seed=4)
    cal = get_calendar()
    dossiers = db.session.execute(sa.select(Dossier).options(
        so.selectinload(Dossier.steps), so.selectinload(Dossier.events), so.joinedload(Dossier.procedure))).scalars()
    checked = {"planned": 0, "apology": 0, "supplement": 0, "online": 0, "judged": 0}
    for d in dossiers:
        events = d.events
        actions = [e.action for e in events]
        assert [e.at for e in events] == sorted(e.at for e in events), d.code  # history in order of time
        assert d.version == len(events)
        assert [e.status_to for e in events if e.status_to is not None][-1] == d.status, d.code
        assert local(events[0].at).date().strftime("%y%m%d") == d.code.split("-")[1]  # code of the submission day
        current = next(s for s in d.steps if s.id == d.current_step_id)
        if d.status.is_agency_work and d.status != DossierStatus.RECEIVED:  # in an agency's inbox
            assert (current.kind, current.agency_id, current.finished_at) == ("route", d.current_agency_id, None)
        elif not d.status.is_open and d.status != DossierStatus.WITHDRAWN:  # the result goes back to the desk
            assert d.current_agency_id == d.receiving_agency_id, d.code
        if d.channel == Channel.ONLINE and "accept" in actions:
            assert d.received_at == events[actions.index("accept")].at  # received when the desk accepted it
            checked["online"] += 1
        if d.supplement_count == 0:
            plan = deadlines.plan_intake(cal, d.procedure, d.received_at, d.channel)
            assert (d.clock_started_at, d.handover_due_at) == (plan.clock_started_at, plan.handover_due_at), d.code
            assert (d.original_due_at or d.due_at) == plan.due_at, d.code
            route = [s for s in d.steps if s.kind == "route"]
            dues = deadlines.step_dues(cal, d.procedure, [s.share for s in reversed(route)], plan.due_at, d.channel)
            assert [s.due_at for s in reversed(route)] == dues, d.code
            checked["planned"] += 1
        else:
            asked = events[actions.index("request_supplement")]
            step = d.steps[1]
            assert cal.working_days_between(step.started_at, asked.at) <= settings.get("supplement_window_days")
            assert asked.at <= (d.original_due_at or d.due_at) or "supplement_received" in actions
            checked["supplement"] += 1
        if d.original_due_at is not None:
            apologized = events[actions.index("apologize")].at
            assert cal.working_days_between(apologized, d.original_due_at) >= settings.get("apology_min_days")
            assert deadlines.is_appointment_moment(cal, d.due_at) and d.due_at > d.original_due_at
            checked["apology"] += 1
        for s in d.steps:
            if s.finished_at is not None:
                assert s.result == deadlines.judge(s.finished_at, s.due_at), (d.code, s.seq)
                checked["judged"] += 1
        if d.finished_at is not None:
            assert d.finish_state == deadlines.finish_state(
                SimpleNamespace(status=DossierStatus.SUBMITTED if d.status == DossierStatus.NOT_ACCEPTED
                                else DossierStatus.PROCESSING, original_due_at=d.original_due_at,
                                supplement_count=d.supplement_count, due_at=d.due_at), d.finished_at), d.code
    assert all(checked.values()), checked
    # Numbers of a unit's day run from 1 without a gap, and the sequence holds the last one.
    numbers = {}
    for code in db.session.execute(sa.select(Dossier.code)).scalars():
        unit, day, number = code.rsplit("-", 2)
        numbers.setdefault((unit, day), []).append(int(number))
    assert all(sorted(v) == list(range(1, len(v) + 1)) for v in numbers.values())
    stored = db.session.execute(sa.select(sa.func.sum(CodeSequence.last_value))).scalar()
    assert stored == 700


def test_several_processes_build_the_very_rows_one_process_builds(app):
    generate.generate(900, seed=9, batch=150, workers=1)
    tables = (Dossier.__table__, DossierStep.__table__, DossierEvent.__table__, Feedback.__table__)
    one = [_rows(t) for t in tables]
    _forget_generated()
    counts = generate.generate(900, seed=9, batch=150, workers=2)
    assert [_rows(t) for t in tables] == one
    assert counts == {"dossiers": 900, "steps": len(one[1]), "events": len(one[2]), "feedback": len(one[3])}


def test_a_bulk_load_puts_back_every_index_and_key(app, monkeypatch):
    """On PostgreSQL the secondary indexes are rebuilt after the load, and without the right to skip the
    foreign-key triggers the keys are dropped and checked again (elsewhere both are simply kept)."""
    def shape():
        inspector = sa.inspect(db.engine)
        return {t: (sorted(i["name"] for i in inspector.get_indexes(t)),
                    sorted(k["name"] for k in inspector.get_foreign_keys(t)))
                for t in ("dossiers", "dossier_steps", "dossier_events", "feedback")}

    db.session.commit()
    before = shape()
    monkeypatch.setattr(generate, "_skip_fk_triggers", lambda conn: False)
    counts = generate.generate(400, seed=8, rebuild_indexes=True, workers=2, batch=100)
    assert counts["dossiers"] == 400
    db.session.commit()
    assert shape() == before
    assert db.session.execute(sa.select(sa.func.count()).select_from(Dossier)).scalar() == 400
    # The ids the next intake takes come after the generated ones.
    dossier = receive("1.009994")
    assert dossier.id > db.session.execute(sa.select(sa.func.max(Dossier.id)).where(Dossier.id != dossier.id)).scalar()
