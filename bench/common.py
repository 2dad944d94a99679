"""Shared pieces of the benchmark suite: settings, the app, a gunicorn server, an HTTP load driver, output."""
from __future__ import annotations

import http.client
import json
import os
import platform
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "bench" / "out"
VENV_BIN = Path(sys.executable).parent
DEFAULT_URL = "postgresql+psycopg://postgres@127.0.0.1/bench"
HOST = "127.0.0.1"  # benchmarks only ever talk to loopback

os.environ.setdefault("ONESTOP_SCHEDULER", "off")
os.environ.setdefault("RATELIMIT_ENABLED", "false")
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))


def database_url() -> str:
    return os.environ.get("BENCH_DATABASE_URL", DEFAULT_URL)


def make_app(url: str | None = None):
    """The app on the benchmark database, scheduler and rate limits off."""
    from onestop import create_app

    return create_app({"SQLALCHEMY_DATABASE_URI": url or database_url(), "ONESTOP_SCHEDULER": False,
                       "RATELIMIT_ENABLED": False, "WTF_CSRF_ENABLED": False,
                       "ONESTOP_FILES_DIR": str(files_dir())})


def files_dir() -> Path:
    path = OUT / "files"
    path.mkdir(parents=True, exist_ok=True)
    return path


def free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


def machine() -> dict:
    """What the numbers were measured on."""
    info = {"nproc": os.cpu_count(), "python": platform.python_version(), "platform": platform.platform()}
    try:
        info["memory"] = subprocess.run(["free", "-h"], capture_output=True, text=True, timeout=5).stdout.split("\n")[1]
    except (OSError, IndexError, subprocess.SubprocessError):
        pass
    try:
        with open("/proc/cpuinfo") as f:
            info["cpu"] = next(line.split(":", 1)[1].strip() for line in f if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    return info


@contextmanager
def gunicorn(workers: int = 2, threads: int = 1):
    """`gunicorn -w N wsgi:app` on a free loopback port; yields the port; stopped on exit."""
    port = free_port()
    env = dict(os.environ, DATABASE_URL=database_url(), RATELIMIT_ENABLED="false", ONESTOP_SCHEDULER="off",
               ONESTOP_FILES_DIR=str(files_dir()), ONESTOP_BASE_URL=f"http://{HOST}:{port}")
    log = tempfile.NamedTemporaryFile(prefix="bench-gunicorn-", suffix=".log", delete=False)
    cmd = [str(VENV_BIN / "gunicorn"), "-w", str(workers), "--threads", str(threads), "-b", f"{HOST}:{port}",
           "--keep-alive", "30", "--log-level", "warning", "wsgi:app"]
    proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    SERVERS.append(proc.pid)
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                raise RuntimeError(f"gunicorn exited; see {log.name}")
            try:
                status, _ = get(port, "/healthz")
                if status == 200:
                    break
            except OSError:
                time.sleep(0.3)
        else:
            raise RuntimeError(f"gunicorn did not answer /healthz within 60 s; see {log.name}")
        yield port
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


SERVERS: list[int] = []  # pids of the gunicorn masters started (the last one is running inside `gunicorn()`)


def worker_rss_mb(master_pid: int) -> list[float]:
    """Resident memory of each worker of a gunicorn master (children read from /proc), in MB."""
    sizes = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                ppid = int(f.read().rsplit(")", 1)[1].split()[1])
            if ppid != master_pid:
                continue
            with open(f"/proc/{entry}/status") as f:
                rss = next(int(line.split()[1]) for line in f if line.startswith("VmRSS:"))
            sizes.append(round(rss / 1024, 1))
        except (OSError, ValueError, IndexError, StopIteration):
            continue
    return sizes


def get(port: int, path: str, headers: dict | None = None) -> tuple[int, bytes]:
    conn = http.client.HTTPConnection(HOST, port, timeout=30)
    try:
        conn.request("GET", path, headers=headers or {})
        r = conn.getresponse()
        return r.status, r.read()
    finally:
        conn.close()


def drive(port: int, paths: list[str], *, seconds: float, clients: int, max_requests: int = 200_000,
          method: str = "GET", bodies: list[bytes] | None = None, headers: dict | None = None) -> dict:
    """Keep-alive HTTP load from `clients` threads for `seconds` (or `max_requests`): rate and latencies."""
    latencies: list[float] = []
    statuses: dict[int, int] = {}
    lock = threading.Lock()
    counter = iter(range(max_requests))
    stop_at = time.monotonic() + seconds
    responses: list[bytes] = []

    def worker(n: int):
        conn = http.client.HTTPConnection(HOST, port, timeout=60)
        mine, codes, kept = [], {}, []
        i = n
        while time.monotonic() < stop_at:
            try:
                k = next(counter)
            except StopIteration:
                break
            path = paths[(i + k) % len(paths)]
            body = bodies[k % len(bodies)] if bodies else None
            started = time.perf_counter()
            try:
                conn.request(method, path, body=body, headers=headers or {})
                r = conn.getresponse()
                data = r.read()
                status = r.status
            except (OSError, http.client.HTTPException):
                conn.close()
                conn = http.client.HTTPConnection(HOST, port, timeout=60)
                status, data = 0, b""
            mine.append(time.perf_counter() - started)
            codes[status] = codes.get(status, 0) + 1
            if method == "POST":
                kept.append(data)
        conn.close()
        with lock:
            latencies.extend(mine)
            for s, c in codes.items():
                statuses[s] = statuses.get(s, 0) + c
            responses.extend(kept)

    started = time.perf_counter()
    threads = [threading.Thread(target=worker, args=(n,)) for n in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - started
    latencies.sort()
    n = len(latencies)
    result = {
        "requests": n, "seconds": round(elapsed, 2), "per_second": round(n / elapsed, 1) if elapsed else 0,
        "p50_ms": round(latencies[n // 2] * 1000, 2) if n else None,
        "p95_ms": round(latencies[min(n - 1, int(n * 0.95))] * 1000, 2) if n else None,
        "statuses": {str(k): v for k, v in sorted(statuses.items())}, "clients": clients,
    }
    if method == "POST":
        result["_responses"] = responses
    return result


def median_ms(fn, repeat: int) -> tuple[float, list[float]]:
    """Run fn `repeat` times; median and all runs in milliseconds."""
    runs = []
    for _ in range(repeat):
        started = time.perf_counter()
        fn()
        runs.append(round((time.perf_counter() - started) * 1000, 2))
    return statistics.median(runs), runs


def write_json(name: str, data: dict) -> Path:
    OUT.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M%S")
    path = OUT / f"{name}-{stamp}.json"
    path.write_text(json.dumps(data, ensure_ascii=False, indent=2, default=str))
    return path


def have(command: str) -> bool:
    return shutil.which(command) is not None
