"""Generation benchmark: `onestop generate` into an empty database of its own, in dossiers per second.

    BENCH_DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1/bench \\
        .venv/bin/python bench/generate.py [--dossiers 1000000] [--workers N] [--keep]

Creates `<database>_generate` (dropped first, so every run starts from empty tables), migrates it, loads
the demo province, then times `flask --app wsgi onestop generate --dossiers N` as an operator runs it (a
process of its own: start-up, building, COPY, index rebuild and ANALYZE included). Prints the time, the
rate and the goal (1,000,000 dossiers in 180 s, issue 18), the rows per table, the peak memory of the
command, and the load average before and after (the machine is shared: a busy machine slows it down);
writes bench/out/generate-<timestamp>.json. The database is dropped at the end unless --keep.
"""
from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import sqlalchemy as sa  # noqa: E402

from bench import common  # noqa: E402

GOAL_SECONDS_PER_MILLION = 180


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--dossiers", type=int, default=1_000_000)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--workers", type=int, default=None, help="processes building batches (default: the command's)")
    p.add_argument("--keep", action="store_true", help="keep the database afterwards")
    return p.parse_args(argv)


def target_url() -> sa.engine.URL:
    base = sa.engine.make_url(common.database_url())
    if not base.get_backend_name().startswith("postgresql"):
        raise SystemExit("bench/generate.py measures PostgreSQL (BENCH_DATABASE_URL)")
    return base.set(database=f"{base.database}_generate")


def _admin(url: sa.engine.URL):
    return sa.create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")


def recreate(url: sa.engine.URL) -> None:
    engine = _admin(url)
    with engine.connect() as conn:
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{url.database}"'))
        conn.execute(sa.text(f'CREATE DATABASE "{url.database}"'))
    engine.dispose()


def drop(url: sa.engine.URL) -> None:
    engine = _admin(url)
    with engine.connect() as conn:
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{url.database}"'))
    engine.dispose()


def flask(url: sa.engine.URL, *args: str) -> subprocess.CompletedProcess:
    env = dict(os.environ, DATABASE_URL=url.render_as_string(hide_password=False), ONESTOP_SCHEDULER="off")
    return subprocess.run([str(common.VENV_BIN / "flask"), "--app", "wsgi", *args], cwd=common.ROOT, env=env,
                          check=True, capture_output=True, text=True)


def contents(url: sa.engine.URL) -> dict:
    engine = sa.create_engine(url)
    try:
        with engine.connect() as conn:
            rows = {t: conn.execute(sa.text(f"SELECT count(*) FROM {t}")).scalar()
                    for t in ("dossiers", "dossier_steps", "dossier_events", "feedback")}
            statuses = conn.execute(sa.text("SELECT count(DISTINCT status) FROM dossiers")).scalar()
            indexes = conn.execute(sa.text(
                "SELECT count(*) FROM pg_indexes WHERE tablename IN "
                "('dossiers', 'dossier_steps', 'dossier_events', 'feedback')")).scalar()
            size = conn.execute(sa.text("SELECT pg_size_pretty(pg_database_size(current_database()))")).scalar()
        return {"rows": rows, "statuses": statuses, "indexes": indexes, "database_size": size}
    finally:
        engine.dispose()


def run(dossiers: int = 1_000_000, seed: int = 1, workers: int | None = None, keep: bool = False) -> dict:
    url = target_url()
    recreate(url)
    try:
        flask(url, "db", "upgrade", "heads")
        flask(url, "onestop", "demo")
        cmd = ["onestop", "generate", "--dossiers", str(dossiers), "--seed", str(seed)]
        if workers:
            cmd += ["--workers", str(workers)]
        load_before = os.getloadavg()
        started = time.monotonic()
        done = flask(url, *cmd)
        seconds = time.monotonic() - started
        load_after = os.getloadavg()
        peak_kb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
        result = {
            "dossiers": dossiers, "seconds": round(seconds, 1), "per_second": round(dossiers / seconds),
            "seconds_per_million": round(seconds * 1_000_000 / dossiers, 1),
            "goal_seconds_per_million": GOAL_SECONDS_PER_MILLION,
            "ok": seconds * 1_000_000 / dossiers <= GOAL_SECONDS_PER_MILLION,
            "peak_rss_mb": round(peak_kb / 1024), "load_before": [round(x, 2) for x in load_before],
            "load_after": [round(x, 2) for x in load_after], "workers": workers or "default",
            "command_output": done.stdout.strip()[-400:], **contents(url),
        }
    finally:
        if not keep:
            drop(url)
    return result


def main(argv=None) -> int:
    args = parse_args(argv)
    result = run(args.dossiers, args.seed, args.workers, args.keep)
    result["machine"] = common.machine()
    verdict = "holds" if result["ok"] else "MISSED"
    print(f"onestop generate: {result['dossiers']:,} dossiers in {result['seconds']} s = {result['per_second']:,} "
          f"dossiers/s ({result['seconds_per_million']} s per million; goal {GOAL_SECONDS_PER_MILLION} s: {verdict})")
    print(f"  rows {result['rows']}, {result['statuses']} statuses, {result['indexes']} indexes, "
          f"database {result['database_size']}, peak RSS of one process {result['peak_rss_mb']} MB")
    print(f"  load average before {result['load_before']}, after {result['load_after']}")
    path = common.write_json("generate", result)
    print(f"JSON: {path.relative_to(common.ROOT)}")
    return 0 if result["ok"] else 1


if __name__ == "__main__":
    sys.exit(main())
