"""The schedule of background jobs: the deadline sweep and the notice delivery.

Two ways to run it:

- production: `flask --app wsgi onestop scheduler`, one long-running process
  beside the app nodes (gunicorn workers then start no scheduler:
  ONESTOP_SCHEDULER=0);
- `make run`: the app starts the same schedule in-process on its first request
  (never during CLI commands, and after gunicorn has forked its workers).

Either way each job goes through `jobs.run` (lock + interval + one commit), so
two schedulers started by mistake still run each interval's work once.
"""
from __future__ import annotations

import logging
import threading
from datetime import datetime, timedelta

from apscheduler.schedulers.base import BaseScheduler
from apscheduler.schedulers.blocking import BlockingScheduler
from flask import Flask

from . import jobs
from .extensions import scheduler as background

log = logging.getLogger(__name__)
_start_lock = threading.Lock()
FIRST_RUN_DELAY = timedelta(seconds=10)


def add_jobs(target: BaseScheduler, app: Flask, first_run: datetime) -> None:
    """The sweep every ONESTOP_SWEEP_MINUTES, the outbox every ONESTOP_OUTBOX_SECONDS."""
    minutes = int(app.config.get("ONESTOP_SWEEP_MINUTES", 5))
    seconds = int(app.config.get("ONESTOP_OUTBOX_SECONDS", 60))
    target.add_job(run_sweep, "interval", args=[app], minutes=minutes, id="onestop-sweep",
                   replace_existing=True, coalesce=True, max_instances=1, next_run_time=first_run)
    target.add_job(run_delivery, "interval", args=[app], seconds=seconds, id="onestop-outbox",
                   replace_existing=True, coalesce=True, max_instances=1, next_run_time=first_run)
    # -- jobs: national portal sync (issue 15) --
    target.add_job(run_portal_sync, "interval", args=[app], seconds=seconds, id="onestop-portal-sync",
                   replace_existing=True, coalesce=True, max_instances=1, next_run_time=first_run)
    target.add_job(run_partitions, "interval", args=[app], hours=24, id="onestop-partitions",
                   replace_existing=True, coalesce=True, max_instances=1, next_run_time=first_run)
    # -- jobs: online drafts (issue 16) --
    target.add_job(run_drafts, "interval", args=[app], hours=24, id="onestop-drafts",
                   replace_existing=True, coalesce=True, max_instances=1, next_run_time=first_run)
    # -- jobs: issue 18 (performance) --
    target.add_job(run_score766, "interval", args=[app], minutes=minutes, id="onestop-score766",
                   replace_existing=True, coalesce=True, max_instances=1, next_run_time=first_run)
    # -- jobs: issue 20 (integrity) --
    log.info("scheduler: sweep every %s min, outbox every %s s", minutes, seconds)


def init_app(app: Flask) -> None:
    """In-process scheduler (ONESTOP_SCHEDULER on): started by the first request a process serves."""
    if not app.config.get("ONESTOP_SCHEDULER"):
        return
    state = {"started": False}

    @app.before_request
    def _start_scheduler():
        if state["started"]:
            return
        with _start_lock:
            if not state["started"]:
                start(app)
                state["started"] = True


def start(app: Flask) -> None:
    """Add the jobs to the in-process background scheduler and start it."""
    add_jobs(background, app, datetime.now().astimezone() + FIRST_RUN_DELAY)
    if not background.running:
        background.start()


def run_forever(app: Flask) -> None:
    """`onestop scheduler`: run the schedule in the foreground until stopped (SIGTERM/SIGINT)."""
    blocking = BlockingScheduler(timezone=app.config["ONESTOP_TIMEZONE"])
    add_jobs(blocking, app, datetime.now().astimezone())
    try:
        blocking.start()
    except (KeyboardInterrupt, SystemExit):
        log.info("scheduler stopped")


def run_sweep(app: Flask) -> dict | None:
    """The sweep job, in its own app context; logged when it did something."""
    from . import sweep

    result = jobs.in_app_context(app, sweep.run, "deadline sweep")
    if result and "skipped" not in result:
        log.info("deadline sweep: %s", result)
    return result


def run_partitions(app: Flask) -> dict | None:
    """The yearly partitions of the history and the notices, checked once a day (PostgreSQL only)."""
    from . import partitions

    result = jobs.in_app_context(app, partitions.run, "partitions")
    if result and result.get("created"):
        log.info("partitions created: %s", ", ".join(result["created"]))
    return result


def run_drafts(app: Flask) -> dict | None:
    """Expired online drafts and their files, deleted once a day in batches (issue 16)."""
    from . import submission
    from .extensions import db

    def job() -> dict:
        deleted = 0
        while True:
            n = submission.forget_old_drafts()
            db.session.commit()
            deleted += n
            if n < 500:
                return {"deleted": deleted}

    result = jobs.in_app_context(app, job, "online drafts")
    if result and result["deleted"]:
        log.info("online drafts deleted: %s", result["deleted"])
    return result


def run_score766(app: Flask) -> dict | None:
    """Decision 766's kept facts: the days that ended closed, the days that changed counted again."""
    from .reports import facts766

    result = jobs.in_app_context(app, lambda: jobs.run("score766", facts766.keep_up), "766 facts")
    if result and (result.get("closed") or result.get("recounted")):
        log.info("766 facts: %s", result)
    return result


def run_portal_sync(app: Flask) -> dict | None:
    """The national portal sync delivery (issue 15), in its own app context; off without ONESTOP_PORTAL_URL."""
    from . import portal_sync

    return jobs.in_app_context(app, portal_sync.deliver, "portal sync")


def run_delivery(app: Flask) -> dict | None:
    """The notice delivery job, in its own app context."""
    from . import notices

    return jobs.in_app_context(app, notices.deliver, "outbox delivery")
