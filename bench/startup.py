"""CLI start-up and the deadline sweep with nothing new, on the benchmark database (issue 18).

- start-up: `flask --app wsgi onestop --help` in a new process, the median of N runs, with bytecode caching
  allowed (PYTHONPYCACHEPREFIX under bench/out/, so the tree stays clean) as an installed app runs; the
  heaviest imports of that same command from `python -X importtime` beside it, and which of the libraries
  that only some commands use (Alembic, APScheduler, the blueprints, WeasyPrint, pyHanko, openpyxl, segno,
  boto3, Playwright) it imported (none, since session 26);
- sweep: `sweep.run()` twice in one process on the benchmark database (the first may flag what became due
  since the data was generated and commits it; the second finds nothing new): the second's time is the
  work a cron-driven `onestop sweep` pays beyond its start-up. Then the cron job itself, `flask --app wsgi
  onestop sweep --force` in a new process, median of N: start-up, first connection and a sweep with
  nothing new, against start-up + 100 ms.
"""
from __future__ import annotations

import os
import statistics
import subprocess
import sys
import time

from bench import common

GOAL_STARTUP_S = 0.8
GOAL_SWEEP_MS = 100
# Imported only by the commands that use them; `onestop --help` and `onestop sweep` import none.
NOT_AT_START = ("alembic", "flask_migrate", "apscheduler", "onestop.blueprints", "weasyprint", "pyhanko",
                "openpyxl", "segno", "boto3", "botocore", "playwright")


def _env() -> dict:
    env = dict(os.environ, DATABASE_URL=common.database_url(), ONESTOP_SCHEDULER="off",
               PYTHONPYCACHEPREFIX=str(common.OUT / "pycache"))
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    return env


def _timed(cmd: list[str], repeat: int, env: dict) -> list[float]:
    subprocess.run(cmd, cwd=common.ROOT, env=env, capture_output=True, check=True)  # writes the bytecode cache
    runs = []
    for _ in range(repeat):
        started = time.perf_counter()
        subprocess.run(cmd, cwd=common.ROOT, env=env, capture_output=True, check=True)
        runs.append(round(time.perf_counter() - started, 3))
    return runs


def _heavy_loaded(modules) -> list[str]:
    return sorted({m.split(".")[0] if not m.startswith("onestop.") else "onestop.blueprints" for m in modules
                   if any(m == h or m.startswith(h + ".") for h in NOT_AT_START)})


def startup(repeat: int = 5) -> dict:
    args = ["--app", "wsgi", "onestop", "--help"]
    env = _env()
    runs = _timed([str(common.VENV_BIN / "flask"), *args], repeat, env)
    bare = []
    for _ in range(repeat):  # the interpreter alone, for scale
        started = time.perf_counter()
        subprocess.run([sys.executable, "-c", "pass"], env=env, check=True)
        bare.append(round(time.perf_counter() - started, 3))
    # the command itself (`-c "import wsgi"` would load the app as gunicorn does: whole, at once)
    proc = subprocess.run([sys.executable, "-X", "importtime", "-m", "flask", *args], cwd=common.ROOT, env=env,
                          capture_output=True, text=True)
    heavy, modules = [], []
    for line in proc.stderr.splitlines():
        parts = line.split("|")
        if len(parts) == 3 and parts[1].strip().isdigit():
            name = parts[2].rstrip()
            modules.append(name.strip())
            if len(name) - len(name.lstrip()) <= 3:  # top-level and first-level imports
                heavy.append((int(parts[1]), name.strip()))
    heavy.sort(reverse=True)
    seconds = statistics.median(runs)
    return {"seconds": seconds, "runs": runs, "python_alone_s": statistics.median(bare),
            "heaviest_imports_ms": [(n, round(us / 1000, 1)) for us, n in heavy[:12]],
            "modules_imported": len(modules), "heavy_loaded": _heavy_loaded(modules),
            "goal_s": GOAL_STARTUP_S, "holds": seconds <= GOAL_STARTUP_S}


def sweep_nothing_new(repeat: int = 3) -> dict:
    app = common.make_app()  # first: `onestop.sweep` imported before the models meets their import cycle

    from onestop import sweep
    from onestop.extensions import db
    from onestop.models import Dossier

    with app.app_context():
        started = time.perf_counter()
        first = sweep.run(respect_interval=False)
        first_ms = round((time.perf_counter() - started) * 1000, 1)
        runs, result = [], None
        for _ in range(repeat):
            started = time.perf_counter()
            result = sweep.run(respect_interval=False)
            runs.append(round((time.perf_counter() - started) * 1000, 1))
        dossiers = db.session.query(Dossier.id).count()
        db.engine.dispose()
    ms = statistics.median(runs)
    # the cron job as cron runs it, now that nothing is new: start-up + first connection + the sweep
    process_runs = _timed([str(common.VENV_BIN / "flask"), "--app", "wsgi", "onestop", "sweep", "--force"], repeat,
                          _env())
    process_s = statistics.median(process_runs)
    process_goal_s = round(GOAL_STARTUP_S + GOAL_SWEEP_MS / 1000, 3)
    return {"first_ms": first_ms, "first": first, "ms": ms, "runs": runs, "last": result, "dossiers": dossiers,
            "goal_ms": GOAL_SWEEP_MS, "holds": ms <= GOAL_SWEEP_MS and not any(
                v for k, v in (result or {}).items() if isinstance(v, int) and k != "skipped"),
            "process_s": process_s, "process_runs": process_runs, "process_goal_s": process_goal_s,
            "process_holds": process_s <= process_goal_s}


def run() -> dict:
    return {"startup": startup(), "sweep": sweep_nothing_new()}


if __name__ == "__main__":
    import json

    print(json.dumps(run(), ensure_ascii=False, indent=2, default=str))
