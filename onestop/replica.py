"""Reads that may go to a PostgreSQL hot standby: reports, the public scoreboard, exports.

`DATABASE_REPLICA_URL` names the standby. When it is set, the requests of `READ_BLUEPRINTS` and
`READ_ENDPOINTS` (and code inside `with replica.reading():`, e.g. a CLI export) send their SELECT
statements to it; everything else, and every write or flush even inside such a request, stays on the
primary. The replica's health is checked at most every `HEALTH_SECONDS`; while it cannot be reached
the reads fall back to the primary and the log says so once (and once again when it is back).

The routing is done by `RoutingSession.get_bind`, the session class of `extensions.db`: a statement
goes to the replica only when it is a SELECT issued while reading is on and the replica is healthy.
"""
from __future__ import annotations

import contextvars
import logging
import threading
import time
from contextlib import contextmanager

import sqlalchemy as sa
from flask import Flask, current_app, g, has_app_context, has_request_context, request
from flask_sqlalchemy.session import Session as FlaskSession

log = logging.getLogger(__name__)

#: blueprints whose every request reads from the replica
READ_BLUEPRINTS = frozenset({"reports", "scoreboard"})
#: single endpoints elsewhere that do (leaders' scores over the API, the desk's register export)
READ_ENDPOINTS = frozenset({"api.score766", "reception.register_xlsx"})
HEALTH_SECONDS = 10.0
EXTENSION = "onestop_replica"

_reading: contextvars.ContextVar[bool] = contextvars.ContextVar("onestop_replica_reading", default=False)


class Replica:
    """The standby's engine and what we last learnt about its health."""

    def __init__(self, url: str):
        self.url = url
        self.engine = sa.create_engine(url, pool_pre_ping=True, pool_size=2, max_overflow=4,
                                       connect_args=_connect_args(url))
        self._lock = threading.Lock()
        self._checked = 0.0
        self._healthy = True
        self.last_error: str | None = None

    def healthy(self) -> bool:
        now = time.monotonic()
        with self._lock:
            if now - self._checked < HEALTH_SECONDS:
                return self._healthy
            self._checked = now
        try:
            with self.engine.connect() as conn:
                conn.execute(sa.text("SELECT 1"))
            ok, error = True, None
        except sa.exc.SQLAlchemyError as exc:
            ok, error = False, str(exc).splitlines()[0][:300]
        with self._lock:
            if ok != self._healthy:
                if ok:
                    log.warning("read replica is back: reports read from the replica again")
                else:
                    log.warning("read replica unavailable (%s): reports read from the primary", error)
            self._healthy, self.last_error = ok, error
        return ok

    def lag_seconds(self) -> float | None:
        """How far the standby's replay is behind (0 when it has replayed all it received); None if unknown."""
        try:
            with self.engine.connect() as conn:
                row = conn.execute(sa.text(
                    "SELECT pg_is_in_recovery(), CASE WHEN pg_last_wal_receive_lsn() = pg_last_wal_replay_lsn() "
                    "THEN 0 ELSE EXTRACT(EPOCH FROM now() - pg_last_xact_replay_timestamp()) END")).one()
        except sa.exc.SQLAlchemyError:
            return None
        if not row[0]:
            return None  # not a standby at all
        return float(row[1] or 0.0)


def _connect_args(url: str) -> dict:
    return {"connect_timeout": 3} if url.startswith("postgresql") else {}


def init_app(app: Flask) -> None:
    url = app.config.get("DATABASE_REPLICA_URL")
    if not url:
        return
    app.extensions[EXTENSION] = Replica(url)

    @app.before_request
    def _route_reads():
        if request.blueprint in READ_BLUEPRINTS or request.endpoint in READ_ENDPOINTS:
            g.onestop_read_replica = True


def current() -> Replica | None:
    if not has_app_context():
        return None
    return current_app.extensions.get(EXTENSION)


@contextmanager
def reading():
    """Send the SELECTs of this block to the replica (when one is configured and healthy)."""
    token = _reading.set(True)
    try:
        yield
    finally:
        _reading.reset(token)


def is_reading() -> bool:
    return _reading.get() or (has_request_context() and bool(g.get("onestop_read_replica")))


def status() -> dict:
    """What the admin's system page shows."""
    rep = current()
    if rep is None:
        return {"configured": False}
    healthy = rep.healthy()
    return {"configured": True, "healthy": healthy, "lag_seconds": rep.lag_seconds() if healthy else None,
            "error": rep.last_error, "url": sa.make_url(rep.url).render_as_string(hide_password=True)}


class RoutingSession(FlaskSession):
    """The app's session: SELECTs of a reading request go to the healthy replica, the rest to the primary."""

    def get_bind(self, mapper=None, clause=None, bind=None, **kwargs):
        if bind is None and clause is not None and is_reading() and getattr(clause, "is_select", False):
            rep = current()
            if rep is not None and rep.healthy():
                return rep.engine
        return super().get_bind(mapper=mapper, clause=clause, bind=bind, **kwargs)
