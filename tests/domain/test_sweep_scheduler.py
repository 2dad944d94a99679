"""The in-app scheduler starts with the first request, not with CLI commands."""
from __future__ import annotations

import pytest
from factories import receive, vn

from onestop import scheduler
from onestop.extensions import scheduler as background


@pytest.fixture
def stop_scheduler():
    yield
    if background.running:
        background.remove_all_jobs()
        background.shutdown(wait=False)


@pytest.mark.config(ONESTOP_SCHEDULER=True, ONESTOP_SWEEP_MINUTES=7)
def test_first_request_starts_the_jobs(app, client, runner, stop_scheduler):
    runner.invoke(args=["onestop", "sweep", "--at", "2026-11-20T10:00:00+07:00"])
    assert not background.running
    client.get("/healthz")
    assert background.running
    jobs = {job.id: job for job in background.get_jobs()}
    assert set(jobs) == {"onestop-sweep", "onestop-outbox", "onestop-partitions", "onestop-portal-sync",
                         "onestop-drafts", "onestop-score766"}
    assert jobs["onestop-sweep"].trigger.interval.total_seconds() == 7 * 60
    assert jobs["onestop-outbox"].trigger.interval.total_seconds() == 60


def test_scheduler_off_in_tests(app, client):
    client.get("/healthz")
    assert not background.running


def test_jobs_commit_their_work(app, demo):
    receive("1.001756", at=vn(2026, 11, 2, 9, 0))
    result = scheduler.run_sweep(app)
    assert result["overdue"] == 1
    assert scheduler.run_delivery(app) == {"sent": 0, "retry": 0, "failed": 0}
