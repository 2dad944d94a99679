"""The deadline sweep: crossings at the right moments, once, across processes."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import timedelta

import sqlalchemy as sa
from factories import act, receive, vn
from flask import current_app
from support import DATABASE_URL

from config import BASE_DIR
from onestop import sweep
from onestop.extensions import db
from onestop.models import Dossier, DossierEvent, DossierStep, SweepState


def events(dossier, *actions):
    rows = db.session.execute(
        sa.select(DossierEvent.action, DossierEvent.at).where(DossierEvent.dossier_id == dossier.id)
        .where(DossierEvent.action.in_(actions or sweep.SWEEP_ACTIONS)).order_by(DossierEvent.id)
    ).all()
    return [(a, at) for a, at in rows]


def run_cli(runner, at, *extra):
    result = runner.invoke(args=["onestop", "sweep", "--at", at, *extra])
    assert result.exit_code == 0, result.output
    lines = result.output.strip().splitlines()
    assert len(lines) == 1
    return json.loads(lines[0])


def test_crossings_across_a_weekend_and_a_holiday(demo, runner):
    # Friday 20/11/2026; 24/11 (Ngày Văn hóa Việt Nam) and the weekends are not counted.
    d = receive("1.009994", at=vn(2026, 11, 20, 9, 0))
    act(d, "forward", "tiepnhan", at=vn(2026, 11, 20, 10, 0))
    assert d.due_at == vn(2026, 12, 14, 9, 0)

    # Due soon = within 8 working hours, i.e. from Friday 11/12 09:00 (the weekend in between); the
    # apology warning (two working days ahead) has already come.
    assert run_cli(runner, "2026-12-11T08:59:00+07:00") == sweep.zero(apology_due=1)
    assert run_cli(runner, "2026-12-11T09:00:00+07:00", "--force")["due_soon"] == 1
    assert run_cli(runner, "2026-12-12T10:00:00+07:00") == sweep.zero(overdue=0, due_soon=0, step_overdue=0)
    assert run_cli(runner, "2026-12-14T09:00:00+07:00")["overdue"] == 0
    out = run_cli(runner, "2026-12-14T09:01:00+07:00", "--force")
    assert out["overdue"] == 1 and out["step_overdue"] == 1
    assert run_cli(runner, "2026-12-15T09:00:00+07:00") == sweep.zero(overdue=0, due_soon=0, step_overdue=0)

    assert events(d) == [("apology_due", vn(2026, 12, 11, 8, 59)),
                         ("due_soon", vn(2026, 12, 11, 9, 0)), ("overdue", vn(2026, 12, 14, 9, 1)),
                         ("step_overdue", vn(2026, 12, 14, 9, 1))]
    db.session.expire_all()
    assert d.alert_level == 2
    assert d.current_step.alert_level == 2
    history = db.session.execute(
        sa.select(DossierEvent).where(DossierEvent.dossier_id == d.id, DossierEvent.action == "overdue")
    ).scalar_one()
    assert history.action_label == "Quá hạn"
    assert history.from_agency.identifier == "000.00.21.H56"
    assert history.step_due_at == d.due_at


def test_tet_holidays_do_not_count(demo, runner):
    # 4 working hours received Friday 13/02/2026 16:00: one hour that day, three after Tết (16-20/02).
    d = receive("2.000986", at=vn(2026, 2, 13, 16, 0), clerk="tiepnhan.phuloc")
    assert d.due_at == vn(2026, 2, 23, 10, 0)
    assert run_cli(runner, "2026-02-13T16:00:00+07:00")["due_soon"] == 1
    assert run_cli(runner, "2026-02-18T10:00:00+07:00")["overdue"] == 0
    assert run_cli(runner, "2026-02-23T09:59:00+07:00")["overdue"] == 0
    assert run_cli(runner, "2026-02-23T10:01:00+07:00", "--force")["overdue"] == 1
    assert [a for a, _ in events(d, "due_soon", "overdue")] == ["due_soon", "overdue"]


def test_running_twice_at_the_same_moment_adds_nothing(demo):
    late = [receive("1.001756", at=vn(2026, 11, 2, 9, 0)) for _ in range(3)]
    soon = receive("2.001610", at=vn(2026, 11, 18, 9, 0))  # 3 days: due 23/11 09:00
    at = vn(2026, 11, 20, 10, 0)
    first = sweep.run(at)
    assert first == sweep.zero(overdue=3, due_soon=1, step_overdue=0, apology_due=1)
    # The interval check skips a run that comes right after...
    assert sweep.run(at) == sweep.zero(overdue=0, due_soon=0, step_overdue=0, skipped="recent")
    # ...and even when forced, the SQL finds nothing new.
    assert sweep.run(at, respect_interval=False) == sweep.zero(overdue=0, due_soon=0, step_overdue=0)
    assert sweep.run(at + timedelta(hours=1)) == sweep.zero(overdue=0, due_soon=0, step_overdue=0)
    for d in late:
        assert [a for a, _ in events(d)] == ["overdue"]
    assert [a for a, _ in events(soon)] == ["due_soon", "apology_due"]
    state = db.session.get(SweepState, 1)
    assert state.last_run_at == at + timedelta(hours=1)


def test_skipped_while_the_last_run_is_within_the_interval(demo):
    receive("1.001756", at=vn(2026, 11, 2, 9, 0))
    assert sweep.run(vn(2026, 11, 25, 9, 0))["overdue"] == 1
    assert sweep.run(vn(2026, 11, 25, 9, 3))["skipped"] == "recent"
    assert "skipped" not in sweep.run(vn(2026, 11, 25, 9, 5))


def test_a_dossier_that_jumps_straight_to_overdue_gets_one_event(demo):
    d = receive("2.001610", at=vn(2026, 11, 2, 9, 0))
    assert sweep.run(vn(2026, 11, 30, 9, 0)) == sweep.zero(overdue=1, due_soon=0, step_overdue=0)
    assert [a for a, _ in events(d)] == ["overdue"]


def test_paused_and_finished_dossiers_are_not_flagged(demo):
    paused = receive("1.009994", at=vn(2026, 11, 2, 9, 0))
    act(paused, "forward", "tiepnhan", at=vn(2026, 11, 2, 10, 0))
    act(paused, "request_supplement", "chuyenvien", at=vn(2026, 11, 3, 9, 0), reason="Thiếu bản vẽ",
        documents=["Bản vẽ mặt bằng"])
    done = receive("2.000986", at=vn(2026, 11, 2, 9, 0), clerk="tiepnhan.phuloc")
    act(done, "forward", "tiepnhan.phuloc", at=vn(2026, 11, 2, 9, 30))
    act(done, "complete", "chuyenvien.phuloc", at=vn(2026, 11, 2, 10, 0))
    online = receive("1.001756", at=vn(2026, 11, 2, 9, 0), channel="online")
    assert online.status == "submitted"
    # Not overdue; only the citizen's time to supply the papers (10 working days) is flagged, once.
    assert sweep.run(vn(2026, 12, 30, 9, 0)) == sweep.zero(supplement_expired=1)
    assert [a for a, _ in events(paused)] == ["supplement_expired"]
    assert sweep.run(vn(2026, 12, 31, 9, 0)) == sweep.zero()


def test_a_new_appointment_is_watched_again(demo):
    d = receive("1.009994", at=vn(2026, 11, 20, 9, 0))
    act(d, "forward", "tiepnhan", at=vn(2026, 11, 20, 10, 0))
    # Two working days ahead the agency is warned; the apology comes at least a working day ahead.
    assert sweep.run(vn(2026, 12, 10, 10, 0)) == sweep.zero(apology_due=1)
    act(d, "apologize", "chuyenvien", at=vn(2026, 12, 10, 11, 0), reason="Cần xác minh thực địa",
        new_due_at=vn(2026, 12, 21, 9, 0))
    assert d.alert_level == 0
    assert sweep.run(vn(2026, 12, 14, 10, 0)) == sweep.zero(overdue=0, due_soon=0, step_overdue=1)
    assert sweep.run(vn(2026, 12, 18, 9, 30))["due_soon"] == 1
    assert sweep.run(vn(2026, 12, 21, 9, 30))["overdue"] == 1
    assert [a for a, _ in events(d)] == ["apology_due", "step_overdue", "due_soon", "overdue"]


def test_step_overdue_names_the_late_agency(demo):
    # 1.004227: TN&MT has 20 of 25 working days, then Xây dựng 5.
    d = receive("1.004227", at=vn(2026, 11, 20, 9, 0))
    act(d, "forward", "tiepnhan", at=vn(2026, 11, 20, 10, 0))
    step = d.current_step
    out = sweep.run(step.due_at + timedelta(minutes=1))
    assert out["step_overdue"] == 1 and out["overdue"] == 0
    row = db.session.execute(
        sa.select(DossierEvent).where(DossierEvent.dossier_id == d.id, DossierEvent.action == "step_overdue")
    ).scalar_one()
    assert row.from_agency.identifier == "000.00.22.H56"
    assert row.step_id == step.id and row.step_due_at == step.due_at
    assert row.action_label == "Bước xử lý quá hạn"
    assert db.session.get(DossierStep, step.id).alert_level == 2


def test_cli_rejects_a_bad_moment(app, runner):
    result = runner.invoke(args=["onestop", "sweep", "--at", "hôm qua"])
    assert result.exit_code != 0
    assert "thời điểm không hợp lệ" in result.output


def _spawn(at, *extra):
    env = dict(os.environ, DATABASE_URL=DATABASE_URL, ONESTOP_SCHEDULER="0",
               ONESTOP_INSTANCE=current_app.instance_path, ONESTOP_ENV="development")
    env.pop("TEST_DATABASE_URL", None)
    return subprocess.Popen(
        [sys.executable, "-m", "flask", "--app", "wsgi", "onestop", "sweep", "--at", at, *extra],
        cwd=str(BASE_DIR), env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )


def test_three_processes_at_once_write_each_event_once(demo):
    dossiers = [receive("1.001756", at=vn(2026, 11, 2, 9, 0)) for _ in range(4)]
    dossiers += [receive("2.001610", at=vn(2026, 11, 18, 9, 0)) for _ in range(2)]
    db.session.commit()
    db.session.remove()
    # --force: even without the interval check, the lock and the SQL keep each event single.
    procs = [_spawn("2026-11-20T10:00:00+07:00", "--force") for _ in range(3)]
    outputs = []
    for p in procs:
        out, err = p.communicate(timeout=120)
        assert p.returncode == 0, err
        outputs.append(json.loads(out.strip().splitlines()[-1]))
    assert sum(o["overdue"] for o in outputs) == 4
    assert sum(o["due_soon"] for o in outputs) == 2
    counts = db.session.execute(
        sa.select(DossierEvent.dossier_id, DossierEvent.action, sa.func.count())
        .where(DossierEvent.action.in_(sweep.SWEEP_ACTIONS))
        .group_by(DossierEvent.dossier_id, DossierEvent.action)
    ).all()
    assert sum(o["apology_due"] for o in outputs) == 2  # the two due soon are also warned for an apology
    assert len(counts) == 8 and all(n == 1 for _, _, n in counts)
    levels = db.session.execute(sa.select(Dossier.alert_level).order_by(Dossier.id)).scalars().all()
    assert levels == [2, 2, 2, 2, 1, 1]


def test_the_guard_skips_while_another_holder_has_the_lock(demo):
    receive("1.001756", at=vn(2026, 11, 2, 9, 0))
    db.session.commit()
    if sweep.is_postgres():
        other = db.engine.connect()
        tx = other.begin()
        other.execute(sa.text("SELECT pg_advisory_xact_lock(:k)"), {"k": sweep.LOCK_KEYS["sweep"]})
        try:
            assert sweep.run(vn(2026, 11, 25, 9, 0))["skipped"] == "locked"
        finally:
            tx.rollback()
            other.close()
    else:
        # Another process holds the file lock (filelock is re-entrant within one process).
        holder = subprocess.Popen(
            [sys.executable, "-c",
             "import sys, time; from filelock import FileLock; l = FileLock(sys.argv[1]); l.acquire();"
             " print('held', flush=True); time.sleep(30)", str(sweep.lock_path("sweep"))],
            stdout=subprocess.PIPE, text=True)
        try:
            assert holder.stdout.readline().strip() == "held"
            assert sweep.run(vn(2026, 11, 25, 9, 0))["skipped"] == "locked"
        finally:
            holder.kill()
            holder.wait()
    assert sweep.run(vn(2026, 11, 25, 9, 0))["overdue"] == 1
