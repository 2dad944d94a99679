"""OneStop benchmark suite: `python -m bench [--dossiers N] [--quick] [--only a,b]`.

On PostgreSQL (BENCH_DATABASE_URL, default postgresql+psycopg://postgres@127.0.0.1/bench):
generates dossiers with `flask --app wsgi onestop generate` until the database holds N, then measures
public lookup throughput beside /healthz (gunicorn, same server, same run), an agency inbox's page 1 and
page 1,000, intake by concurrent API clients, the receipt PDF, and runs bench/sweep.py and bench/reports.py.
Prints a table and writes bench/out/suite-<timestamp>.json. Only 127.0.0.1 is contacted.
"""
from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
import traceback
from datetime import UTC, datetime

import sqlalchemy as sa

from bench import common

SECTIONS = ("startup", "lookup", "inbox", "intake", "receipt", "sweep", "history", "reports", "generate",
            "sweeptable")
DEFAULT_SECTIONS = ("startup", "lookup", "inbox", "intake", "receipt", "sweep", "history", "reports")


def parse_args(argv=None):
    p = argparse.ArgumentParser(prog="python -m bench", description=__doc__.splitlines()[0])
    p.add_argument("--dossiers", type=int, default=1_000_000, help="dossiers in the database (generated if fewer)")
    p.add_argument("--quick", action="store_true", help="20,000 dossiers, short runs (a smoke test of the suite)")
    p.add_argument("--only", default=",".join(DEFAULT_SECTIONS),
                   help=f"comma-separated subset of {','.join(SECTIONS)} (generate: bench/generate.py into a "
                        "database of its own; sweeptable: bench/sweep.py's own table)")
    p.add_argument("--seconds", type=float, default=10.0, help="duration of each throughput measurement")
    p.add_argument("--clients", type=int, default=8, help="concurrent HTTP clients for the lookup throughput")
    p.add_argument("--intake", type=int, default=1000, help="dossiers received in the intake benchmark")
    p.add_argument("--intake-clients", type=int, default=20)
    p.add_argument("--pages", type=int, default=1000, help="inbox page to reach")
    p.add_argument("--no-generate", action="store_true", help="use the database as it is")
    args = p.parse_args(argv)
    if args.quick:
        args.dossiers = min(args.dossiers, 20_000)
        args.seconds = min(args.seconds, 3.0)
        args.intake = min(args.intake, 200)
        args.pages = min(args.pages, 100)
    args.only = [s for s in args.only.split(",") if s]
    unknown = set(args.only) - set(SECTIONS)
    if unknown:
        p.error(f"unknown sections: {', '.join(sorted(unknown))}")
    return args


def flask(*args: str, url: str | None = None) -> None:
    env = dict(os.environ, DATABASE_URL=url or common.database_url(), ONESTOP_SCHEDULER="off")
    subprocess.run([str(common.VENV_BIN / "flask"), "--app", "wsgi", *args], cwd=common.ROOT, env=env, check=True)


def ensure_database(url: str) -> None:
    """Create the PostgreSQL database when it does not exist yet (connecting to `postgres`)."""
    parsed = sa.engine.make_url(url)
    if not parsed.get_backend_name().startswith("postgresql"):
        return
    admin = sa.create_engine(parsed.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        if not conn.execute(sa.text("SELECT 1 FROM pg_database WHERE datname = :d"), {"d": parsed.database}).first():
            conn.execute(sa.text(f'CREATE DATABASE "{parsed.database}"'))
    admin.dispose()


def count_dossiers() -> int:
    engine = sa.create_engine(common.database_url())
    try:
        with engine.connect() as conn:
            if not sa.inspect(conn).has_table("dossiers"):
                return -1
            return conn.execute(sa.text("SELECT count(*) FROM dossiers")).scalar()
    finally:
        engine.dispose()


def prepare(args) -> dict:
    url = common.database_url()
    ensure_database(url)
    have = count_dossiers()
    info = {"before": have}
    if have < 0:
        flask("db", "upgrade")
        have = 0
    flask("onestop", "demo")
    if have < args.dossiers and not args.no_generate:
        started = time.monotonic()
        flask("onestop", "generate", "--dossiers", str(args.dossiers - have))
        info["generate_seconds"] = round(time.monotonic() - started, 1)
        info["generated"] = args.dossiers - have
    info["dossiers"] = count_dossiers()
    return info


def server_version() -> str:
    engine = sa.create_engine(common.database_url())
    try:
        with engine.connect() as conn:
            if engine.dialect.name == "postgresql":
                return conn.execute(sa.text("SELECT version()")).scalar()
            return f"{engine.dialect.name} {engine.dialect.server_version_info}"
    finally:
        engine.dispose()


def helper_script(name: str, args, extra_url: str | None = None) -> dict:
    """Run bench/<name>.py (written by its own issue) as a subprocess; its output is kept as text."""
    if extra_url:
        ensure_database(extra_url)
    env = dict(os.environ, BENCH_DATABASE_URL=extra_url or common.database_url(), ONESTOP_SCHEDULER="off",
               RATELIMIT_ENABLED="false")
    cmd = [sys.executable, str(common.ROOT / "bench" / f"{name}.py"), "--dossiers", str(args.dossiers)]
    if name == "sweep":
        cmd.append("--reuse")
    if name == "generate":
        cmd[-1] = str(min(args.dossiers, 1_000_000))
    started = time.monotonic()
    proc = subprocess.run(cmd, cwd=common.ROOT, env=env, capture_output=True, text=True, timeout=3600)
    print(proc.stdout, end="")
    if proc.returncode:
        print(proc.stderr[-2000:], file=sys.stderr)
    return {"returncode": proc.returncode, "seconds": round(time.monotonic() - started, 1),
            "stdout": proc.stdout[-4000:]}


def sweep_url() -> str:
    """bench/sweep.py loads its own table (dropping the schema): give it a database of its own."""
    parsed = sa.engine.make_url(common.database_url())
    if parsed.get_backend_name().startswith("postgresql"):
        return parsed.set(database=f"{parsed.database}_sweep").render_as_string(hide_password=False)
    return ""


def table(results: dict) -> str:
    rows = [("measure", "value", "note")]
    lk = results.get("lookup")
    if isinstance(lk, dict) and "healthz" in lk:
        rows.append(("/healthz", f"{lk['healthz']['per_second']:.0f} req/s", f"{lk['clients']} clients, "
                                                                          f"{lk['workers']} workers"))
        for name in ("lookup_json", "lookup_json_no_key", "lookup_page"):
            r = lk[name]
            rows.append((name, f"{r['per_second']:.0f} req/s", f"x{r['ratio_to_healthz']} of healthz, "
                                                               f"p95 {r['p95_ms']} ms, non-200 {r['non_200'] or 0}"))
    ib = results.get("inbox")
    if isinstance(ib, dict) and "domain_page_1_ms" in ib:
        note = f"{ib['user']}, {ib['visible_dossiers']:,} at the agency"
        rows.append(("inbox open work page 1 (inbox.inbox_page)", f"{ib['inbox_page_1_ms']} ms",
                     f"{ib['open_dossiers']:,} open, most urgent first"))
        rows.append((f"inbox open work page {ib['inbox_reached_page']}", f"{ib['inbox_page_n_ms']} ms", ""))
        rows.append(("inbox page 1 (queries.page)", f"{ib['domain_page_1_ms']} ms", note))
        rows.append((f"inbox page {ib['reached_page']} (queries.page)", f"{ib['domain_page_n_ms']} ms",
                     f"walk {ib['domain_walk_seconds']} s"))
        rows.append(("inbox page 1 (API)", f"{ib['api_page_1_ms']} ms",
                     f"{ib['api_page_1_throughput']['per_second']:.0f} req/s"))
        rows.append((f"inbox page {ib['api_reached_page']} (API)", f"{ib['api_page_n_ms']} ms",
                     f"{ib['api_page_n_throughput']['per_second']:.0f} req/s"))
        rows.append(("all visible to the specialist, page 1 (API)", f"{ib['api_all_visible_page_1_ms']} ms",
                     "no agency filter: policy.visible_clause's EXISTS"))
    hs = results.get("history")
    if isinstance(hs, dict) and "events" in hs:
        rows.append(("history: latest event of an action", f"{hs['last_event_ms']} ms",
                     f"p95 {hs['last_event_p95_ms']} ms; {hs['events']:,} events in {len(hs['partitions'])} "
                     f"partitions"))
        rows.append(("history: one dossier's events", f"{hs['history_ms']} ms", f"{hs['dossiers']:,} dossiers"))
    for key, label in (("startup", "CLI start-up"), ("sweep", "sweep, nothing new")):
        r = results.get(key)
        if isinstance(r, dict) and key == "startup" and "seconds" in r:
            rows.append((label, f"{r['seconds']} s", f"python alone {r['python_alone_s']} s; runs {r['runs']}"))
        if isinstance(r, dict) and key == "sweep" and "ms" in r:
            rows.append((label, f"{r['ms']} ms", f"first sweep {r['first_ms']} ms; {r['dossiers']:,} dossiers"))
    it = results.get("intake")
    if isinstance(it, dict) and "per_second" in it:
        rows.append((f"intake {it['dossiers']} by {it['clients']} clients", f"{it['per_second']:.0f} dossiers/s",
                     f"p95 {it['p95_ms']} ms, dup {it['duplicate_codes']}, gaps {it['gaps']}, "
                     f"missing {it['missing']}, ok={it['ok']}"))
    if isinstance(it, dict) and isinstance(it.get("web"), dict) and "error" in it["web"]:
        rows.append(("intake, web form beside API", "FAILED", it["web"]["error"][:80]))
    elif isinstance(it, dict) and isinstance(it.get("web"), dict):
        w, a = it["web"]["web_post"], it["web"]["api_post"]
        rows.append(("intake, 1 client: web form POST / API POST", f"{w['median_ms']} / {a['median_ms']} ms",
                     f"p95 {w['p95_ms']} / {a['p95_ms']} ms, x{it['web']['ratio']}, {w['stored']} new by the form"))
    rc = results.get("receipt")
    if isinstance(rc, dict) and "first_render_ms" in rc:
        rows.append(("receipt first render", f"{rc['first_render_ms']} ms",
                     f"bare WeasyPrint {rc['bare_weasyprint_ms']} ms, x{rc['ratio']}"))
        rows.append(("receipt reprint (storage)", f"{rc['reprint_ms']} ms", f"{rc['reprint_speedup']}x faster"))
    for name in ("sweeptable", "reports", "generate"):
        r = results.get(name)
        if isinstance(r, dict) and "returncode" in r:
            rows.append((f"bench/{name}.py", "ok" if r["returncode"] == 0 else f"exit {r['returncode']}",
                         f"{r['seconds']} s (its own table above, JSON in bench/out/)"))
    for name, r in results.items():
        if isinstance(r, dict) and "error" in r:
            rows.append((name, "FAILED", r["error"][:80]))
    widths = [max(len(str(r[i])) for r in rows) for i in range(3)]
    return "\n".join("  ".join(str(c).ljust(w) for c, w in zip(r, widths, strict=True)) for r in rows)


def _json_of(section) -> dict:
    """The BENCH_JSON line a helper script printed (bench/reports.py, bench/generate.py), if any."""
    import json

    if not isinstance(section, dict):
        return {}
    for line in (section.get("stdout") or "").splitlines():
        if line.startswith("BENCH_JSON "):
            return json.loads(line[len("BENCH_JSON "):])
    return {}


def goals(results: dict) -> list[tuple[str, str, str, bool | None]]:
    """(goal of issue 18, its target, what this run measured, whether it holds) for every measured goal."""
    rows: list[tuple[str, str, str, bool | None]] = []
    su = results.get("startup")
    if isinstance(su, dict) and "seconds" in su:
        rows.append(("CLI start-up (onestop --help)", "<= 0.8 s", f"{su['seconds']} s", su["holds"]))
    lk = results.get("lookup")
    if isinstance(lk, dict) and "healthz" in lk:
        for name, label, goal in (("lookup_json", "lookup JSON / healthz", 0.6),
                                  ("lookup_page", "lookup page / healthz", 0.45)):
            r = lk[name]
            rows.append((label, f">= {goal}", f"{r['ratio_to_healthz']} ({r['per_second']:.0f} req/s)",
                         r["ratio_to_healthz"] >= goal and not r["non_200"]))
        if lk.get("worker_rss_mb"):
            top = max(lk["worker_rss_mb"])
            rows.append(("gunicorn worker RSS under lookups", "< 150 MB", f"{top} MB", top < 150))
    it = results.get("intake")
    if isinstance(it, dict) and "per_second" in it:
        rows.append((f"intake, {it['clients']} API clients", ">= 200 dossiers/s, no dup/gap",
                     f"{it['per_second']:.0f}/s, dup {it['duplicate_codes']}, gaps {it['gaps']}",
                     it["per_second"] >= 200 and it.get("ok", True)))
    if isinstance(it, dict) and isinstance(it.get("web"), dict) and "ratio" in it["web"]:
        w = it["web"]
        rows.append(("web intake page / API intake (1 client, median)", "<= 2 x",
                     f"{w['web_post']['median_ms']} / {w['api_post']['median_ms']} ms = {w['ratio']} x",
                     w["holds"]))
    rc = results.get("receipt")
    if isinstance(rc, dict) and "ratio" in rc:
        rows.append(("receipt first render / bare WeasyPrint", "<= 1.5 x", f"{rc['ratio']} x", rc["ratio_holds"]))
        rows.append(("receipt reprint", "<= 20 ms", f"{rc['reprint_ms']} ms", rc["reprint_holds"]))
    rp = _json_of(results.get("reports"))
    if rp:
        page = rp["page_median"] * 1000
        rows.append(("dashboard for a year", "<= 500 ms and <= 2 x SQL",
                     f"{page:.0f} ms, {rp['ratio']} x its SQL", page <= 500 and rp["ratio"] <= 2))
        if "score766_median" in rp:
            ms = rp["score766_median"] * 1000
            rows.append(("766 scores for a year", "<= 500 ms", f"{ms:.0f} ms", ms <= 500))
    ib = results.get("inbox")
    if isinstance(ib, dict) and "api_page_1_ms" in ib:
        rows.append(("inbox page 1 over HTTP (busiest agency)", "<= 50 ms", f"{ib['api_page_1_ms']} ms",
                     ib["api_page_1_ms"] <= 50))
        rows.append((f"inbox page {ib['api_reached_page']} over HTTP", "<= 50 ms", f"{ib['api_page_n_ms']} ms",
                     ib["api_page_n_ms"] <= 50))
    sw = results.get("sweep")
    if isinstance(sw, dict) and "ms" in sw:
        rows.append((f"sweep, nothing new ({sw['dossiers']:,} dossiers)", "<= 100 ms beyond start-up",
                     f"{sw['ms']} ms", sw["holds"]))
    if isinstance(sw, dict) and "process_s" in sw:
        rows.append(("cron `onestop sweep` process (start-up + nothing new)", f"<= {sw['process_goal_s']} s",
                     f"{sw['process_s']} s", sw["process_holds"]))
    data = results.get("data") or {}
    gen = _json_of(results.get("generate"))
    if gen.get("seconds_per_million"):
        spm = gen["seconds_per_million"]
        rows.append(("generate 1,000,000 dossiers", "<= 180 s", f"{spm:.0f} s per million", spm <= 180))
    elif data.get("generate_seconds") and data.get("generated", 0) >= 100_000:
        spm = data["generate_seconds"] * 1_000_000 / data["generated"]
        rows.append(("generate 1,000,000 dossiers", "<= 180 s",
                     f"{spm:.0f} s per million ({data['generated']:,} in {data['generate_seconds']} s)", spm <= 180))
    hs = results.get("history")
    if isinstance(hs, dict) and "events" in hs:
        rows.append(("history partitioned, indexes valid (issue 22)", "all valid",
                     f"{hs['events']:,} events, {len(hs['partitions'])} partitions, invalid {hs['invalid_indexes']}",
                     not hs["invalid_indexes"] and hs["partitioned"]))
    return rows


def goals_table(results: dict) -> str:
    rows = [("goal", "target", "measured", "holds")]
    for goal, target, measured, ok in goals(results):
        rows.append((goal, target, measured, "yes" if ok else ("no" if ok is False else "?")))
    widths = [max(len(str(r[i])) for r in rows) for i in range(4)]
    return "\n".join("  ".join(str(c).ljust(w) for c, w in zip(r, widths, strict=True)) for r in rows)


def main(argv=None) -> int:
    args = parse_args(argv)
    results: dict = {"started": datetime.now(UTC).isoformat(timespec="seconds"), "machine": common.machine(),
                     "database": sa.engine.make_url(common.database_url()).render_as_string(hide_password=True),
                     "options": {k: v for k, v in vars(args).items()}}
    print(f"== data: {args.dossiers:,} dossiers in {results['database']}", flush=True)
    results["data"] = prepare(args)
    results["server"] = server_version()
    results["load_before"] = os.getloadavg()
    runners = {
        "lookup": lambda: __import__("bench.http_bench", fromlist=["run"]).run(seconds=args.seconds,
                                                                                clients=args.clients),
        "inbox": lambda: __import__("bench.inbox", fromlist=["run"]).run(pages=args.pages),
        "intake": lambda: __import__("bench.intake", fromlist=["run"]).run(dossiers=args.intake,
                                                                            clients=args.intake_clients),
        "receipt": lambda: __import__("bench.receipt", fromlist=["run"]).run(),
        "startup": lambda: __import__("bench.startup", fromlist=["startup"]).startup(),
        "sweep": lambda: __import__("bench.startup", fromlist=["sweep_nothing_new"]).sweep_nothing_new(),
        "history": lambda: __import__("bench.history", fromlist=["run"]).run(),
        "sweeptable": lambda: helper_script("sweep", args, sweep_url() or None),
        "reports": lambda: helper_script("reports", args),
        "generate": lambda: helper_script("generate", args),
    }
    for name in SECTIONS:
        if name not in args.only:
            continue
        print(f"== {name}", flush=True)
        started = time.monotonic()
        try:
            results[name] = runners[name]()
        except Exception as exc:  # noqa: BLE001 - one failed section must not hide the others' figures
            traceback.print_exc()
            results[name] = {"error": f"{type(exc).__name__}: {exc}"}
        print(f"   {name}: {time.monotonic() - started:.1f} s", flush=True)
    results["finished"] = datetime.now(UTC).isoformat(timespec="seconds")
    results["load_after"] = os.getloadavg()
    results["goals"] = goals(results)
    print()
    print(table(results))
    print()
    print(goals_table(results))
    path = common.write_json("suite", results)
    print(f"\nload average before {results['load_before']}, after {results['load_after']} "
          f"({os.cpu_count()} CPUs)")
    print(f"JSON: {path.relative_to(common.ROOT)}")
    failed = [n for n, r in results.items() if isinstance(r, dict) and ("error" in r or r.get("ok") is False)]
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
