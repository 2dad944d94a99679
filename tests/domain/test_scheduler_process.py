"""`onestop scheduler`: two scheduler processes started by mistake still flag each dossier once."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import sqlalchemy as sa
from factories import receive, vn
from flask import current_app
from support import DATABASE_URL

from config import BASE_DIR
from onestop.extensions import db
from onestop.models import DossierEvent


def _scheduler():
    env = dict(os.environ, DATABASE_URL=DATABASE_URL, ONESTOP_SCHEDULER="0", ONESTOP_SWEEP_MINUTES="5",
               ONESTOP_OUTBOX_SECONDS="1", ONESTOP_INSTANCE=current_app.instance_path, ONESTOP_ENV="development")
    env.pop("TEST_DATABASE_URL", None)
    return subprocess.Popen([sys.executable, "-m", "flask", "--app", "wsgi", "onestop", "scheduler"],
                            cwd=str(BASE_DIR), env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def _overdue_events() -> int:
    db.session.remove()
    return db.session.execute(
        sa.select(sa.func.count()).where(DossierEvent.action == "overdue")).scalar()


def test_two_schedulers_flag_each_overdue_dossier_once(demo):
    for _ in range(3):
        receive("1.001756", at=vn(2026, 11, 2, 9, 0))  # long past its appointment
    db.session.commit()
    db.session.remove()
    procs = [_scheduler(), _scheduler()]
    try:
        deadline = time.monotonic() + 90
        while _overdue_events() < 3 and time.monotonic() < deadline:
            assert all(p.poll() is None for p in procs), procs[0].stderr.read() if procs[0].poll() else ""
            time.sleep(0.5)
        time.sleep(3)  # both have had their first run; the second one must have skipped
        assert _overdue_events() == 3
    finally:
        for p in procs:
            p.send_signal(signal.SIGINT)
        for p in procs:
            try:
                p.wait(timeout=20)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()
    logs = "".join(p.stderr.read() for p in procs)
    assert "Bộ lập lịch OneStop đang chạy" in logs
