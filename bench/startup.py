"""CLI start-up and the deadline sweep with nothing new, on the benchmark database (issue 18).

- start-up: `flask --app wsgi onestop --help` in a new process, the median of N runs, with bytecode caching
  allowed (PYTHONPYCACHEPREFIX under bench/out/, so the tree stays clean) as an installed app runs; the
  heaviest imports from `python -X importtime` beside it;
- sweep: `sweep.run()` twice in one process on the benchmark database (the first may flag what became due
  since the data was generated and commits it; the second finds nothing new): the second's time is the
  work a cron-driven `onestop sweep` pays beyond its start-up.
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


def _env() -> dict:
    env = dict(os.environ, DATABASE_URL=common.database_url(), ONESTOP_SCHEDULER="off",
               PYTHONPYCACHEPREFIX=str(common.OUT / "pycache"))
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    return env


def startup(repeat: int = 5) -> dict:
    cmd = [str(common.VENV_BIN / "flask"), "--app", "wsgi", "onestop", "--help"]
    env = _env()
    subprocess.run(cmd, cwd=common.ROOT, env=env, capture_output=True, check=True)  # writes the bytecode cache
    runs = []
    for _ in range(repeat):
        started = time.perf_counter()
        subprocess.run(cmd, cwd=common.ROOT, env=env, capture_output=True, check=True)
        runs.append(round(time.perf_counter() - started, 3))
    bare = []
    for _ in range(repeat):  # the interpreter alone, for scale
        started = time.perf_counter()
        subprocess.run([sys.executable, "-c", "pass"], env=env, check=True)
        bare.append(round(time.perf_counter() - started, 3))
    proc = subprocess.run([sys.executable, "-X", "importtime", "-c", "import wsgi"], cwd=common.ROOT, env=env,
                          capture_output=True, text=True)
    heavy = []
    for line in proc.stderr.splitlines():
        parts = line.split("|")
        if len(parts) == 3 and parts[1].strip().isdigit():
            name = parts[2].rstrip()
            if len(name) - len(name.lstrip()) <= 3:  # top-level and first-level imports
                heavy.append((int(parts[1]), name.strip()))
    heavy.sort(reverse=True)
    seconds = statistics.median(runs)
    return {"seconds": seconds, "runs": runs, "python_alone_s": statistics.median(bare),
            "heaviest_imports_ms": [(n, round(us / 1000, 1)) for us, n in heavy[:12]],
            "goal_s": GOAL_STARTUP_S, "holds": seconds <= GOAL_STARTUP_S}


def sweep_nothing_new(repeat: int = 3) -> dict:
    from onestop import sweep
    from onestop.extensions import db
    from onestop.models import Dossier

    app = common.make_app()
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
    return {"first_ms": first_ms, "first": first, "ms": ms, "runs": runs, "last": result, "dossiers": dossiers,
            "goal_ms": GOAL_SWEEP_MS, "holds": ms <= GOAL_SWEEP_MS and not any(
                v for k, v in (result or {}).items() if isinstance(v, int) and k != "skipped")}


def run() -> dict:
    return {"startup": startup(), "sweep": sweep_nothing_new()}


if __name__ == "__main__":
    import json

    print(json.dumps(run(), ensure_ascii=False, indent=2, default=str))
