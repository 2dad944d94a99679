"""Private PostgreSQL 15 servers for tests: a throwaway primary, and a streaming hot standby of it.

Each runs as the postgres user (initdb refuses root) in a temporary directory, on a free loopback port,
so tests never touch the shared cluster; they run in the SQLite pass of the suite as well.
"""
from __future__ import annotations

import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path

import sqlalchemy as sa

PG_BIN = Path("/usr/lib/postgresql/15/bin")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Throwaway:
    """A private PostgreSQL server: start, stop (fast or immediate), start again, or a standby of another."""

    def __init__(self, *, standby_of: Throwaway | None = None, options: tuple[str, ...] = ()):
        self.root = Path(tempfile.mkdtemp(prefix="onestop-pg-"))
        self.data = self.root / "data"
        self.port = free_port()
        self.options = options
        self.as_postgres = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
        if self.as_postgres:
            pw = pwd.getpwnam("postgres")
            os.chown(self.root, pw.pw_uid, pw.pw_gid)
        if standby_of is None:
            # initdb -A trust also trusts replication connections from loopback (pg_hba's replication lines).
            self.run(PG_BIN / "initdb", "-D", self.data, "-A", "trust", "-U", "postgres", "--no-sync", "-E", "UTF8")
        else:
            # -R writes standby.signal and primary_conninfo: the copy starts as a streaming hot standby.
            self.run(PG_BIN / "pg_basebackup", "-h", "127.0.0.1", "-p", standby_of.port, "-U", "postgres",
                     "-D", self.data, "-R", "-X", "stream", "--checkpoint=fast", "--no-sync")
        self.start()

    def url(self, database: str = "postgres") -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/{database}"

    def run(self, *args):
        subprocess.run([*self.as_postgres, *map(str, args)], check=True, capture_output=True, timeout=60)

    def start(self):
        extra = " ".join(f"-c {o}" for o in self.options)
        self.run(PG_BIN / "pg_ctl", "-D", self.data, "-l", self.root / "log", "-w", "-t", "30", "start",
                 "-o", f"-p {self.port} -k {self.root} -c listen_addresses=127.0.0.1 -c fsync=off {extra}")

    def stop(self, mode: str = "fast"):
        self.run(PG_BIN / "pg_ctl", "-D", self.data, "-w", "-t", "30", "-m", mode, "stop")

    def remove(self):
        try:
            self.stop("immediate")
        except subprocess.CalledProcessError:
            pass  # already stopped
        shutil.rmtree(self.root, ignore_errors=True)

    def create_database(self, name: str) -> str:
        engine = sa.create_engine(self.url(), isolation_level="AUTOCOMMIT")
        with engine.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}"'))
            conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
        engine.dispose()
        return self.url(name)


def wait_until(check, timeout: float = 20.0, step: float = 0.1):
    """Poll `check()` until it returns something true; that value, or AssertionError after `timeout`."""
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"not reached within {timeout} s")
        time.sleep(step)
