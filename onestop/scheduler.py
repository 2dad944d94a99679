"""In-app deadline scheduler: APScheduler 3.x in each web process, guarded by the sweep's locks.

It starts on the first request a process serves (never during CLI commands,
and after gunicorn has forked its workers). Every worker schedules the same
jobs; the locks and the interval check in `sweep.run` make each interval's
sweep happen once across all of them.
"""
from __future__ import annotations

import logging
import threading
from datetime import datetime, timedelta

from flask import Flask

from .extensions import db
from .extensions import scheduler as background

log = logging.getLogger(__name__)
_start_lock = threading.Lock()
FIRST_RUN_DELAY = timedelta(seconds=10)


def init_app(app: Flask) -> None:
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
    """Add the sweep and outbox jobs and start the background scheduler."""
    minutes = int(app.config.get("ONESTOP_SWEEP_MINUTES", 5))
    first = datetime.now().astimezone() + FIRST_RUN_DELAY
    background.add_job(run_sweep, "interval", args=[app], minutes=minutes, id="onestop-sweep",
                       replace_existing=True, coalesce=True, max_instances=1, next_run_time=first)
    background.add_job(run_delivery, "interval", args=[app], minutes=1, id="onestop-outbox",
                       replace_existing=True, coalesce=True, max_instances=1, next_run_time=first)
    if not background.running:
        background.start()
    log.info("deadline scheduler started: sweep every %s min, outbox every minute", minutes)


def run_sweep(app: Flask) -> dict | None:
    """The sweep job: one guarded sweep, committed once."""
    from . import sweep

    with app.app_context():
        try:
            result = sweep.run()
            if "skipped" not in result:
                log.info("deadline sweep: %s", result)
            return result
        except Exception:
            log.exception("deadline sweep failed")
            db.session.rollback()
            return None
        finally:
            db.session.remove()


def run_delivery(app: Flask) -> dict | None:
    """The outbox job: deliver due messages, committed once."""
    from . import notices

    with app.app_context():
        try:
            return notices.deliver()
        except Exception:
            log.exception("outbox delivery failed")
            db.session.rollback()
            return None
        finally:
            db.session.remove()
