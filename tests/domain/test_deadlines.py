"""The deadline rules (onestop/deadlines.py): planning, 15:00 and same-day rules, judgements, and the
deadline state computed in Python and in SQL agreeing on the same rows."""
from __future__ import annotations

import random
from datetime import timedelta

import sqlalchemy as sa
from factories import procedure, receive, vn

from onestop import deadlines
from onestop import status as st
from onestop.calendar import WorkCalendar, get_calendar
from onestop.extensions import db
from onestop.models import Dossier
from onestop.status import DeadlineState, DossierStatus
from onestop.timeutil import local

CAL = WorkCalendar()


def test_same_day_procedures_and_the_15h_cutoff():
    assert local(deadlines.same_day_due(CAL, vn(2026, 11, 23, 14, 59))) == local(vn(2026, 11, 23, 17, 0))
    assert local(deadlines.same_day_due(CAL, vn(2026, 11, 23, 15, 0))) == local(vn(2026, 11, 25, 17, 0))  # 24/11 off
    assert local(deadlines.same_day_due(CAL, vn(2026, 11, 21, 9, 0))) == local(vn(2026, 11, 23, 17, 0))


def test_paper_handover_after_15h_is_next_working_morning():
    assert local(deadlines.handover_due(CAL, vn(2026, 11, 20, 10, 0))) == local(vn(2026, 11, 20, 17, 0))
    assert local(deadlines.handover_due(CAL, vn(2026, 11, 20, 15, 30))) == local(vn(2026, 11, 23, 8, 0))


def test_intake_plan_starts_the_clock_at_the_next_working_moment(demo):
    proc = procedure("1.009994")  # 15 working days
    plan = deadlines.plan_intake(get_calendar(), proc, vn(2026, 11, 21, 10, 0))  # a Saturday
    assert local(plan.clock_started_at) == local(vn(2026, 11, 23, 7, 0))
    assert local(plan.due_at).date() == vn(2026, 12, 14, 0, 0).date()  # 24/11 is a holiday
    assert local(plan.handover_due_at) == local(vn(2026, 11, 23, 8, 0))


def test_judgements_early_on_time_late():
    due = vn(2026, 11, 25, 17, 0)
    assert deadlines.judge(vn(2026, 11, 24, 9, 0), due) == "early"
    assert deadlines.judge(vn(2026, 11, 25, 16, 0), due) == "on_time"
    assert deadlines.judge(vn(2026, 11, 25, 17, 1), due) == "late"
    assert deadlines.judge(vn(2026, 11, 25, 17, 1), None) == "on_time"


def _random_rows(template: Dossier, n: int, now, seed: int = 7) -> None:
    rng = random.Random(seed)
    cols = {c.name: getattr(template, c.key) for c in Dossier.__table__.columns
            if c.name not in ("id", "code", "current_step_id")}
    rows = []
    for i in range(n):
        status = rng.choice(list(DossierStatus))
        due = None if rng.random() < 0.05 else now + timedelta(hours=rng.uniform(-80, 80))
        paused = None
        if status.is_paused and rng.random() < 0.8:
            paused = now - timedelta(hours=rng.uniform(0, 100))
        finish = rng.choice([*st.FINISH_STATES, None]) if not status.is_open else None
        rows.append(dict(cols, code=f"T-{i:05d}", status=status, due_at=due, paused_at=paused,
                         finish_state=finish, alert_level=rng.choice([0, 1, 2])))
    db.session.execute(sa.insert(Dossier), rows)
    db.session.commit()


def test_python_and_sql_deadline_states_agree_on_the_same_rows(demo):
    template = receive("1.009994", at=vn(2026, 11, 20, 9, 0))
    receive("2.000815", at=vn(2026, 11, 20, 15, 30), clerk="tiepnhan.phuloc")  # same-day, handed to the next day
    now = vn(2026, 11, 24, 10, 0)
    _random_rows(template, 400, now)
    for moment in (now, now + timedelta(hours=9), now - timedelta(days=3)):
        threshold = deadlines.due_soon_threshold(get_calendar(), moment)
        sql = dict(db.session.execute(
            sa.select(Dossier.id, deadlines.state_expr(moment, threshold))).all())
        dossiers = db.session.execute(sa.select(Dossier)).scalars().all()
        python = {d.id: deadlines.deadline_state(d, moment, threshold) for d in dossiers}
        assert {k: (v.value if v else None) for k, v in python.items()} == sql
        # The filters and counts use deadline_clause: each row is in exactly the state computed above.
        for state in DeadlineState:
            ids = set(db.session.execute(
                sa.select(Dossier.id).where(deadlines.deadline_clause(state, moment, threshold))).scalars())
            assert ids == {k for k, v in python.items() if v == state}, state
        seen = {v for v in python.values()}
        assert {DeadlineState.OVERDUE, DeadlineState.DUE_SOON, DeadlineState.ON_TIME, DeadlineState.LATE} <= seen
        db.session.expire_all()


def test_the_sweep_watches_exactly_what_its_partial_index_covers(app):
    index = next(i for i in Dossier.__table__.indexes if i.name == "ix_dossiers_sweep_open")
    where = str(index.dialect_options["postgresql"]["where"].compile(
        db.engine, compile_kwargs={"literal_binds": True}))
    assert "'received'" in where and "'processing'" in where and "alert_level < 2" in where
    overdue, _level = deadlines.sweep_crossing("overdue", vn(2026, 11, 24, 10, 0), vn(2026, 11, 25, 10, 0))
    assert str(deadlines.SWEEP_WATCH.compile(db.engine, compile_kwargs={"literal_binds": True})) in \
        str(overdue.compile(db.engine, compile_kwargs={"literal_binds": True}))
