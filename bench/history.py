"""Issue 22: the partitioned history at scale: its partitions, rows and indexes, and the per-dossier reads.

The inbox, the lookup and the sweep are timed by their own sections of the same run (`python -m bench`);
this section records what they ran against (events per yearly partition of `dossier_events`, the
partitioned indexes and whether each is valid on every partition) and times the history reads the lookup
and the dossier page make: the latest event of an action for one dossier and a dossier's whole history,
medians over random dossiers (an index probe each, whatever the table's size).
"""
from __future__ import annotations

import random
import statistics
import time

import sqlalchemy as sa

from bench.common import make_app


def run(samples: int = 200) -> dict:
    from onestop import partitions
    from onestop.extensions import db
    from onestop.models import DossierEvent

    app = make_app()
    out: dict = {}
    with app.app_context():
        conn = db.session.connection()
        if conn.dialect.name != "postgresql":
            return {"skipped": "partitions are PostgreSQL's"}
        out["partitioned"] = partitions.is_partitioned(conn, "dossier_events")
        out["partitions"] = partitions.row_counts(conn)
        out["events"] = conn.execute(sa.text("SELECT count(*) FROM dossier_events")).scalar()
        out["dossiers"] = conn.execute(sa.text("SELECT count(*) FROM dossiers")).scalar()
        out["invalid_indexes"] = list(conn.execute(sa.text(
            "SELECT c.relname FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid "
            "JOIN pg_class t ON t.oid = i.indrelid WHERE NOT i.indisvalid "
            "AND t.relname IN ('dossier_events', 'outbox', 'dossiers', 'dossier_steps')")).scalars())
        top = conn.execute(sa.text("SELECT max(id) FROM dossiers")).scalar() or 1
        rng = random.Random(22)
        ids = [rng.randint(1, top) for _ in range(samples)]
        last, whole = [], []
        for dossier_id in ids:
            started = time.perf_counter()
            db.session.execute(sa.select(DossierEvent).where(DossierEvent.dossier_id == dossier_id,
                                                             DossierEvent.action.in_(("refuse", "stop")))
                               .order_by(DossierEvent.id.desc()).limit(1)).first()
            last.append((time.perf_counter() - started) * 1000)
            started = time.perf_counter()
            db.session.execute(sa.select(DossierEvent).where(DossierEvent.dossier_id == dossier_id)
                               .order_by(DossierEvent.id)).all()
            whole.append((time.perf_counter() - started) * 1000)
        out["last_event_ms"] = round(statistics.median(last), 2)
        out["last_event_p95_ms"] = round(sorted(last)[int(len(last) * 0.95)], 2)
        out["history_ms"] = round(statistics.median(whole), 2)
        plan = conn.execute(sa.text(
            "EXPLAIN SELECT * FROM dossier_events WHERE dossier_id = :d AND action IN ('refuse', 'stop') "
            "ORDER BY id DESC LIMIT 1"), {"d": ids[0]}).scalars().all()
        out["last_event_plan"] = plan[:8]
        db.session.rollback()
        db.engine.dispose()
    return out
