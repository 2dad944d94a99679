"""The database pool's liveness check: a connection that rested in the pool is pinged before it is used.

SQLAlchemy's `pool_pre_ping` pings on every checkout: one more round trip for every request, the
lookups', the intake's and /healthz's alike (about 0.2 ms of CPU on each side and a wake-up of the
server process; issue 18). A connection that was in use a moment ago cannot have been cut off unnoticed
since: the server restarting, a firewall dropping an idle connection or an administrator ending it all
take longer than that. So a connection is pinged only when it rested in the pool for more than
`ONESTOP_DB_PING_IDLE_SECONDS` (1 s by default; 0 pings on every checkout, as `pool_pre_ping` did). A
failed ping discards the connection and the pool hands out a fresh one, so the first request after a
restart of PostgreSQL succeeds (tests/failure/test_postgres_restart.py).

A connection whose server went away while it was in use fails that request (as with `pool_pre_ping`);
SQLAlchemy then discards every connection of the pool opened before the failure.
"""
from __future__ import annotations

import time

import sqlalchemy as sa
from flask import Flask
from sqlalchemy import event

from .extensions import db

_RESTED = "onestop_checked_in"


def init_app(app: Flask) -> None:
    idle = float(app.config.get("ONESTOP_DB_PING_IDLE_SECONDS", 1.0))
    with app.app_context():
        engines = list(db.engines.values())
    for engine in engines:
        if engine.dialect.name != "sqlite":  # a file has no server to lose
            watch(engine, idle)


def watch(engine: sa.Engine, idle: float) -> None:
    """Ping the engine's connections that rested for more than `idle` seconds when they are checked out."""
    dialect = engine.dialect

    @event.listens_for(engine.pool, "checkin")
    def _rested(dbapi_connection, record) -> None:
        if record is not None:
            record.info[_RESTED] = time.monotonic()

    @event.listens_for(engine.pool, "checkout")
    def _ping_if_rested(dbapi_connection, record, proxy) -> None:
        since = record.info.get(_RESTED)
        if since is None or time.monotonic() - since <= idle:
            return  # new, or back from use a moment ago
        try:
            dialect.do_ping(dbapi_connection)
        except Exception as exc:  # noqa: BLE001 - whatever the driver raises, the connection is unusable
            raise sa.exc.DisconnectionError(f"ping failed: {exc}") from exc
