"""Reports benchmark: the province dashboard for a year beside its bare aggregate SQL.

    BENCH_DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1/onestop_bench \
        .venv/bin/python bench/reports.py [--dossiers 1000000] [--year 2025] [--runs 3]

Generates dossiers (`onestop generate`) until the database holds at least --dossiers,
then times, in the same run, (a) the whole dashboard page (login as admin, GET /reports/?kind=year:
Decision 766's total, groups, rankings and monthly trend, read from the kept facts of
onestop/reports/facts766.py), (b) the bare SQL of that page (every statement one view sends, replayed
on the DBAPI connection) and (c) the 766 score and trend alone, and, once, the same score counted from
every dossier. Results go to bench/out/reports-<timestamp>.json.
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from datetime import datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("ONESTOP_SCHEDULER", "0")
os.environ.setdefault("RATELIMIT_ENABLED", "0")

import sqlalchemy as sa  # noqa: E402

from onestop import create_app, reports  # noqa: E402
from onestop.devdata import generate  # noqa: E402
from onestop.extensions import db  # noqa: E402
from onestop.models import Dossier, User  # noqa: E402
from onestop.reports import facts766, score766  # noqa: E402

DEFAULT_URL = "postgresql+psycopg://postgres@127.0.0.1/onestop_bench"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dossiers", type=int, default=1_000_000)
    parser.add_argument("--year", type=int, default=datetime.now().year)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    url = os.environ.get("BENCH_DATABASE_URL", DEFAULT_URL)
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "ONESTOP_SCHEDULER": False, "RATELIMIT_ENABLED": False,
                      "WTF_CSRF_ENABLED": False, "TESTING": True})
    result = {"database": sa.engine.make_url(url).render_as_string(hide_password=True), "year": args.year}
    with app.app_context():
        db.create_all()
        have = db.session.execute(sa.select(sa.func.count()).select_from(Dossier)).scalar()
        if have < args.dossiers:
            started = time.monotonic()
            counts = generate.generate(args.dossiers - have, seed=args.seed,
                                       progress=lambda n: print(".", end="", flush=True, file=sys.stderr))
            elapsed = time.monotonic() - started
            print(file=sys.stderr)
            result["generate"] = {"dossiers": counts.get("dossiers", 0), "seconds": round(elapsed, 1),
                                  "per_second": round(counts.get("dossiers", 0) / elapsed)}
            print(f"generate: {counts} in {elapsed:.1f} s", file=sys.stderr)
        result["dossiers"] = db.session.execute(sa.select(sa.func.count()).select_from(Dossier)).scalar()
        admin = db.session.execute(sa.select(User).filter_by(username="admin")).scalar_one()
        admin.set_password("bench-password")
        db.session.commit()

        period = reports.parse_period({"kind": "year", "year": args.year})
        scope = reports.Scope(None)
        kept = db.session.execute(sa.text("SELECT count(*) FROM score766_ledger")).scalar()
        if not kept:  # a database loaded before the facts existed: count them once (`onestop score766 rebuild`)
            started = time.monotonic()
            facts766.rebuild()
            db.session.commit()
            result["facts_rebuild_seconds"] = round(time.monotonic() - started, 1)
        result["facts_days"] = db.session.execute(sa.text("SELECT count(*) FROM score766_days")).scalar()
        result["facts_months"] = db.session.execute(sa.text("SELECT count(*) FROM score766_months")).scalar()

        client = app.test_client()
        client.post("/auth/login", data={"username": "admin", "password": "bench-password"})
        query = {"kind": "year", "year": args.year}

        def page() -> float:
            started = time.perf_counter()
            response = client.get("/reports/", query_string=query)
            took = time.perf_counter() - started
            assert response.status_code == 200, response.status_code
            return took

        # The bare SQL of whatever the page reads: every statement one page view sends, replayed on the
        # DBAPI connection with the same parameters and nothing else around it.
        captured: list[tuple[str, object]] = []

        def capture(conn, cursor, statement, parameters, context, executemany):
            captured.append((statement, parameters))

        sa.event.listen(db.engine, "before_cursor_execute", capture)
        page()
        sa.event.remove(db.engine, "before_cursor_execute", capture)
        statements = [(sql, params) for sql, params in captured if sql.lstrip().upper().startswith(("SELECT", "WITH"))]
        result["page_statements"] = len(statements)

        def bare() -> float:
            with db.engine.connect() as conn:
                raw = conn.connection.dbapi_connection
                cursor = raw.cursor()
                started = time.perf_counter()
                for sql, params in statements:
                    cursor.execute(sql, params)
                    cursor.fetchall()
                took = time.perf_counter() - started
                cursor.close()
                conn.rollback()
            return took

        def score() -> float:
            started = time.perf_counter()
            fx, _trend = score766.facts_and_trend(period, scope)
            fx.score()
            took = time.perf_counter() - started
            db.session.rollback()
            return took

        def counted_raw() -> float:  # the same score counted from every dossier (what the facts replace)
            started = time.perf_counter()
            score766.counted_from_dossiers(period, scope).score()
            took = time.perf_counter() - started
            db.session.rollback()
            return took

        bare()
        page()  # warm caches (calendar, templates, buffers) before timing
        bare_times, page_times, score_times = [], [], []
        for _ in range(args.runs):
            bare_times.append(bare())
            page_times.append(page())
            score_times.append(score())
        raw_time = counted_raw()
    result["bare_sql_seconds"] = [round(t, 4) for t in bare_times]
    result["page_seconds"] = [round(t, 4) for t in page_times]
    result["bare_sql_median"] = round(statistics.median(bare_times), 4)
    result["page_median"] = round(statistics.median(page_times), 4)
    result["ratio"] = round(result["page_median"] / result["bare_sql_median"], 2)
    result["score766_seconds"] = [round(t, 4) for t in score_times]
    result["score766_median"] = round(statistics.median(score_times), 4)
    result["score766_from_dossiers_seconds"] = round(raw_time, 4)
    print(f"dossiers: {result['dossiers']:,}  year {args.year}, whole province; facts rows: "
          f"{result['facts_days']:,} days, {result['facts_months']:,} months")
    print(f"bare SQL of the page: {result['bare_sql_median'] * 1000:.0f} ms ({len(statements)} statements, "
          f"median of {args.runs})")
    print(f"dashboard page:     {result['page_median'] * 1000:.0f} ms (median of {args.runs})")
    print(f"ratio page / SQL:   {result['ratio']:.2f}x (issue 18: page <= 500 ms and <= 2x its SQL)")
    print(f"766 score + trend:  {result['score766_median'] * 1000:.0f} ms (median of {args.runs}); "
          f"the score alone counted from every dossier: {raw_time * 1000:.0f} ms")
    out = ROOT / "bench" / "out"
    out.mkdir(parents=True, exist_ok=True)
    path = out / f"reports-{datetime.now():%Y%m%d-%H%M%S}.json"
    path.write_text(json.dumps(result, indent=2, ensure_ascii=False))
    print(f"written {path.relative_to(ROOT)}")
    print("BENCH_JSON " + json.dumps(result, ensure_ascii=False))


if __name__ == "__main__":
    main()
