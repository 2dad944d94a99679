"""Deadline sweep benchmark: OneStop's sweep beside the bare SQL it stands for, on a large table.

    BENCH_DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1/bench_sweep \\
        .venv/bin/python bench/sweep.py --dossiers 1000000

Loads N synthetic dossiers over the last two years with set-based SQL (its own
generator, so it does not depend on `onestop generate`), brings the table to a
steady state with one committed sweep, then measures, each several times:

* a sweep with nothing new to flag;
* a sweep where 10,000 open dossiers are newly overdue (rolled back after each
  measurement, so every repetition sees the same work);

each beside the same statements written by hand and sent through the bare
DB-API connection. Prints a table with ratios and writes JSON to bench/out/.
Without BENCH_DATABASE_URL it runs on a SQLite file in bench/out/ (for a quick check).
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import re
import resource
import statistics
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import sqlalchemy as sa  # noqa: E402

from onestop import create_app, sweep  # noqa: E402
from onestop.devdata import demo  # noqa: E402
from onestop.extensions import db  # noqa: E402

OUT = ROOT / "bench" / "out"
OPEN_CLOCK = ("received", "processing")
TWO_YEARS = 730 * 86400


def parse_args():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--dossiers", type=int, default=1_000_000)
    p.add_argument("--new-overdue", type=int, default=10_000)
    p.add_argument("--repeat", type=int, default=3)
    p.add_argument("--database-url", default=os.environ.get("BENCH_DATABASE_URL"))
    p.add_argument("--reuse", action="store_true", help="keep the loaded table when it already has N dossiers")
    return p.parse_args()


# -- loading -------------------------------------------------------------------

def series(dialect: str, n: int) -> str:
    if dialect == "postgresql":
        return f"SELECT g AS n FROM generate_series(1, {n}) AS g"
    return f"WITH RECURSIVE s(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM s WHERE n < {n}) SELECT n FROM s"


def shifted(dialect: str, base: str, seconds_expr: str) -> str:
    """SQL for `base` (a bound naive-UTC moment) plus an integer number of seconds."""
    if dialect == "postgresql":
        return f"(CAST({base} AS timestamp) + ({seconds_expr}) * interval '1 second')"
    return f"strftime('%Y-%m-%d %H:%M:%f000', {base}, ({seconds_expr}) || ' seconds')"


def load(n: int, now: datetime) -> None:
    """N dossiers over two years; the last 60 days hold the open ones, in every open status."""
    dialect = db.engine.dialect.name
    procs = db.session.execute(sa.text(
        "SELECT p.id, p.receiving_agency_id, MIN(r.agency_id) FROM procedures p "
        "JOIN route_steps r ON r.procedure_id = p.id GROUP BY p.id, p.receiving_agency_id ORDER BY p.id")).all()
    db.session.execute(sa.text("DROP TABLE IF EXISTS bench_proc"))
    db.session.execute(sa.text("CREATE TABLE bench_proc (k INTEGER PRIMARY KEY, procedure_id INTEGER, "
                               "receiving_agency_id INTEGER, agency_id INTEGER)"))
    for k, (pid, rid, aid) in enumerate(procs):
        db.session.execute(sa.text("INSERT INTO bench_proc VALUES (:k, :p, :r, :a)"),
                           {"k": k, "p": pid, "r": rid, "a": aid})
    base = ":now"
    age = f"(CAST(s.n AS bigint) * {TWO_YEARS} / {n})"
    received = shifted(dialect, base, f"-{age}")
    due = shifted(dialect, base, f"-{age} + 21 * 86400")
    finished = shifted(dialect, base, f"-{age} + 10 * 86400")
    recent = f"{age} < 60 * 86400"
    status = (f"CASE WHEN {recent} THEN CASE s.n % 10 WHEN 6 THEN 'received' WHEN 7 THEN 'supplement_requested' "
              "WHEN 8 THEN 'awaiting_payment' WHEN 9 THEN 'result_ready' ELSE 'processing' END "
              "WHEN s.n % 20 = 0 THEN 'stopped' ELSE 'returned' END")
    db.session.execute(sa.text(f"""
        INSERT INTO dossiers (code, lookup_key, procedure_id, receiving_agency_id, current_agency_id, status,
            channel, applicant_name, search_text, fee, sets, received_at, clock_started_at, due_at,
            finished_at, finish_state, supplement_count, alert_level, digitised, electronic_result,
            created_at, updated_at, version)
        SELECT 'BENCH-' || s.n, 'K' || (s.n % 100000), bp.procedure_id, bp.receiving_agency_id,
            CASE WHEN {recent} AND s.n % 10 <> 6 THEN bp.agency_id ELSE bp.receiving_agency_id END,
            {status}, 'counter', 'Nguyễn Văn ' || s.n, 'bench ' || s.n, 0, 1, {received}, {received}, {due},
            CASE WHEN {recent} AND s.n % 10 <> 9 THEN NULL ELSE {finished} END,
            CASE WHEN {recent} AND s.n % 10 <> 9 THEN NULL ELSE 'on_time' END,
            0, 0, {'true' if dialect == 'postgresql' else 1}, {'false' if dialect == 'postgresql' else 0},
            {received}, {received}, 1
        FROM ({series(dialect, n)}) AS s JOIN bench_proc bp ON bp.k = s.n % {len(procs)}
    """), {"now": now.replace(tzinfo=None)})
    # One current route step per open dossier, sharing its appointment.
    db.session.execute(sa.text("""
        INSERT INTO dossier_steps (dossier_id, seq, agency_id, kind, share, started_at, due_at, alert_level)
        SELECT id, 10, current_agency_id, 'route', 15, received_at, due_at, 0 FROM dossiers
        WHERE status IN ('received', 'processing', 'supplement_requested', 'awaiting_payment')"""))
    db.session.execute(sa.text(
        "UPDATE dossiers SET current_step_id = (SELECT s.id FROM dossier_steps s WHERE s.dossier_id = dossiers.id) "
        "WHERE status IN ('received', 'processing', 'supplement_requested', 'awaiting_payment')"))
    db.session.execute(sa.text("DROP TABLE bench_proc"))
    db.session.commit()
    if dialect == "postgresql":
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(sa.text("VACUUM ANALYZE dossiers"))
            conn.execute(sa.text("VACUUM ANALYZE dossier_steps"))
            conn.execute(sa.text("VACUUM ANALYZE dossier_events"))
    else:
        db.session.execute(sa.text("ANALYZE"))
        db.session.commit()


# -- the bare statements ---------------------------------------------------------

BARE_PG = [
    """WITH f AS (UPDATE dossiers SET alert_level = 2
         WHERE status IN ('received', 'processing') AND due_at < %(now)s AND alert_level < 2
         RETURNING id, status, current_agency_id, due_at)
       INSERT INTO dossier_events (dossier_id, action, at, status_from, status_to, from_agency_id, step_due_at, note)
       SELECT id, 'overdue', %(now)s, status, status, current_agency_id, due_at, 'Quá hạn' FROM f""",
    """WITH f AS (UPDATE dossiers SET alert_level = 1
         WHERE status IN ('received', 'processing') AND due_at >= %(now)s AND due_at <= %(threshold)s
           AND alert_level < 1
         RETURNING id, status, current_agency_id, due_at)
       INSERT INTO dossier_events (dossier_id, action, at, status_from, status_to, from_agency_id, step_due_at, note)
       SELECT id, 'due_soon', %(now)s, status, status, current_agency_id, due_at, 'Sắp đến hạn' FROM f""",
    """WITH f AS (UPDATE dossier_steps s SET alert_level = 2 FROM dossiers d
         WHERE s.id = d.current_step_id AND d.status IN ('received', 'processing') AND s.kind <> 'desk'
           AND s.finished_at IS NULL AND s.due_at < %(now)s AND s.alert_level < 2
         RETURNING s.id, s.dossier_id, s.agency_id, s.due_at, d.status)
       INSERT INTO dossier_events (dossier_id, action, at, status_from, status_to, from_agency_id, step_id,
                                   step_due_at, note)
       SELECT dossier_id, 'step_overdue', %(now)s, status, status, agency_id, id, due_at, 'Bước quá hạn' FROM f""",
]
_SQLITE_DOSSIER = ("status IN ('received', 'processing') AND due_at IS NOT NULL AND {cond}")
BARE_SQLITE = [
    "INSERT INTO dossier_events (dossier_id, action, at, status_from, status_to, from_agency_id, step_due_at, note) "
    "SELECT id, 'overdue', :now, status, status, current_agency_id, due_at, 'Quá hạn' FROM dossiers WHERE "
    + _SQLITE_DOSSIER.format(cond="due_at < :now AND alert_level < 2"),
    "UPDATE dossiers SET alert_level = 2 WHERE " + _SQLITE_DOSSIER.format(cond="due_at < :now AND alert_level < 2"),
    "INSERT INTO dossier_events (dossier_id, action, at, status_from, status_to, from_agency_id, step_due_at, note) "
    "SELECT id, 'due_soon', :now, status, status, current_agency_id, due_at, 'Sắp đến hạn' FROM dossiers WHERE "
    + _SQLITE_DOSSIER.format(cond="due_at >= :now AND due_at <= :threshold AND alert_level < 1"),
    "UPDATE dossiers SET alert_level = 1 WHERE "
    + _SQLITE_DOSSIER.format(cond="due_at >= :now AND due_at <= :threshold AND alert_level < 1"),
    "INSERT INTO dossier_events (dossier_id, action, at, status_from, status_to, from_agency_id, step_id, "
    "step_due_at, note) SELECT d.id, 'step_overdue', :now, d.status, d.status, s.agency_id, s.id, s.due_at, "
    "'Bước quá hạn' FROM dossiers d JOIN dossier_steps s ON s.id = d.current_step_id "
    "WHERE d.status IN ('received', 'processing') AND s.kind <> 'desk' "
    "AND s.finished_at IS NULL AND s.due_at < :now AND s.alert_level < 2",
    "UPDATE dossier_steps SET alert_level = 2 WHERE id IN (SELECT s.id FROM dossiers d JOIN dossier_steps s "
    "ON s.id = d.current_step_id WHERE d.status IN ('received', 'processing') AND s.kind <> 'desk' "
    "AND s.finished_at IS NULL AND s.due_at < :now AND s.alert_level < 2)",
]


def bare(now: datetime, threshold: datetime) -> float:
    """The hand-written statements through the DB-API connection, rolled back; seconds."""
    raw = db.engine.raw_connection()
    try:
        cur = raw.cursor()
        if db.engine.dialect.name == "postgresql":
            params = {"now": now.replace(tzinfo=None), "threshold": threshold.replace(tzinfo=None)}
            statements = BARE_PG
        else:
            fmt = "%Y-%m-%d %H:%M:%S.%f"
            params = {"now": now.astimezone(UTC).strftime(fmt), "threshold": threshold.astimezone(UTC).strftime(fmt)}
            statements = BARE_SQLITE
        start = time.perf_counter()
        for statement in statements:
            cur.execute(statement, params)
        elapsed = time.perf_counter() - start
        raw.rollback()
        return elapsed
    finally:
        raw.close()


def app_sweep(now: datetime) -> tuple[float, dict]:
    """OneStop's sweep (the guard included), rolled back instead of committed; seconds and counts."""
    start = time.perf_counter()
    with sweep.guard("sweep") as got:
        assert got, "another process holds the sweep lock"
        result = sweep.sweep(now)
        elapsed = time.perf_counter() - start
        db.session.rollback()
    return elapsed, result


def measure(name: str, now: datetime, threshold: datetime, repeat: int) -> dict:
    app_times, bare_times, counts = [], [], None
    for _ in range(repeat):
        t, counts = app_sweep(now)
        app_times.append(t)
        bare_times.append(bare(now, threshold))
    a, b = statistics.median(app_times), statistics.median(bare_times)
    return {"scenario": name, "flagged": counts, "onestop_ms": round(a * 1000, 2), "bare_sql_ms": round(b * 1000, 2),
            "ratio": round(a / b, 2) if b else None, "runs_onestop_ms": [round(x * 1000, 2) for x in app_times],
            "runs_bare_ms": [round(x * 1000, 2) for x in bare_times]}


def main() -> int:
    args = parse_args()
    OUT.mkdir(parents=True, exist_ok=True)
    url = args.database_url or f"sqlite:///{OUT / 'bench-sweep.db'}"
    if not args.database_url:
        print(f"BENCH_DATABASE_URL is not set: using {url}", file=sys.stderr)
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "ONESTOP_SCHEDULER": False, "MAIL_SERVER": None,
                      "ONESTOP_WEBHOOK_URL": None, "TESTING": True, "RATELIMIT_ENABLED": False,
                      "ONESTOP_PASSWORD_METHOD": "pbkdf2:sha256:1000"})
    now = datetime.now(UTC).replace(microsecond=0)
    with app.app_context():
        from onestop.calendar import get_calendar
        from onestop.deadlines import due_soon_threshold

        have = 0
        if args.reuse and sa.inspect(db.engine).has_table("dossiers"):
            have = db.session.execute(sa.text("SELECT count(*) FROM dossiers")).scalar()
        t0 = time.perf_counter()
        if have != args.dossiers:
            db.drop_all()
            db.create_all()
            demo.load()
            db.session.commit()
            load(args.dossiers, now)
            steady = sweep.run(now, respect_interval=False)
        else:
            steady = sweep.run(now, respect_interval=False)
        load_s = time.perf_counter() - t0
        threshold = due_soon_threshold(get_calendar(), now)
        rows = [measure("nothing new", now, threshold, args.repeat)]
        # Un-flag N already-overdue open dossiers: the next sweep sees them newly overdue.
        ids = db.session.execute(sa.text(
            "SELECT id FROM dossiers WHERE status IN ('received', 'processing') AND alert_level = 2 "
            "ORDER BY id LIMIT :n"), {"n": args.new_overdue}).scalars().all()
        if len(ids) < args.new_overdue:
            print(f"only {len(ids)} open overdue dossiers to un-flag", file=sys.stderr)
        db.session.execute(sa.text("UPDATE dossiers SET alert_level = 0 WHERE id IN "
                                   "(SELECT id FROM dossiers WHERE status IN ('received', 'processing') "
                                   "AND alert_level = 2 ORDER BY id LIMIT :n)"), {"n": args.new_overdue})
        db.session.commit()
        rows.append(measure(f"{len(ids):,} newly overdue", now, threshold, args.repeat))
        # Put the table back in its steady state for --reuse.
        db.session.execute(sa.text("UPDATE dossiers SET alert_level = 2 WHERE alert_level = 0 "
                                   "AND status IN ('received', 'processing') AND due_at < :now"),
                           {"now": now.replace(tzinfo=None)})
        db.session.commit()
        total = db.session.execute(sa.text("SELECT count(*) FROM dossiers")).scalar()
        open_clock = db.session.execute(sa.text(
            "SELECT count(*) FROM dossiers WHERE status IN ('received', 'processing')")).scalar()
        dialect = db.engine.dialect.name
        server = db.session.execute(sa.text("SELECT version()" if dialect == "postgresql"
                                            else "SELECT sqlite_version()")).scalar()
    report = {
        "benchmark": "sweep", "at": now.isoformat(), "database": dialect, "server": server,
        "dossiers": total, "open_with_clock": open_clock, "setup_seconds": round(load_s, 1),
        "steady_state_sweep": steady, "repeat": args.repeat, "results": rows,
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        "python": platform.python_version(), "sqlalchemy": sa.__version__,
    }
    print(f"\nDeadline sweep on {dialect}, {total:,} dossiers ({open_clock:,} open with a running clock), "
          f"median of {args.repeat}")
    print(f"{'scenario':<26}{'flagged':>10}{'OneStop ms':>14}{'bare SQL ms':>14}{'ratio':>8}")
    for r in rows:
        flagged = r["flagged"]["overdue"] + r["flagged"]["due_soon"] + r["flagged"]["step_overdue"]
        print(f"{r['scenario']:<26}{flagged:>10,}{r['onestop_ms']:>14.2f}{r['bare_sql_ms']:>14.2f}"
              f"{(r['ratio'] or 0):>8.2f}")
    print(f"peak RSS {report['peak_rss_mb']} MB")
    name = re.sub(r"[^0-9]", "", now.strftime("%Y%m%d%H%M%S"))
    path = OUT / f"sweep-{dialect}-{total}-{name}.json"
    path.write_text(json.dumps(report, ensure_ascii=False, indent=2) + "\n")
    print(f"wrote {path.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
