"""Yearly partitions of the two tables that only grow: the history (`dossier_events`) and the notices (`outbox`).

On PostgreSQL both are declaratively partitioned by RANGE of their time column (the migration
`e22a0b1c2d01` converts them, keeping every row), one partition per calendar year (UTC) plus a DEFAULT
partition that catches anything outside. `ensure_ahead` creates the coming years' partitions ahead of
time (`onestop partitions`, and the scheduler once a day); should rows already sit in the DEFAULT
partition for a year that gets its own partition, they are moved into it in the same transaction.
SQLite (the embedded default) has no partitions: there these functions do nothing.

Partitioning keeps each year's history in its own table, so old years can be detached and archived
(`ALTER TABLE dossier_events DETACH PARTITION dossier_events_y2026`) and the indexes the inbox, the lookup
and the sweep use stay the size of a year.
"""
from __future__ import annotations

import re
from datetime import date

import sqlalchemy as sa

#: table -> the time column it is partitioned by
TABLES = {"dossier_events": "at", "outbox": "created_at"}
#: years created ahead of the current one
AHEAD = 2


def include_name(name, type_, parent_names) -> bool:
    """Alembic's `include_name` hook: the yearly and DEFAULT partitions are not tables of the models."""
    if type_ == "table" and name:
        return not any(name == default_name(t) or re.fullmatch(rf"{t}_y\d{{4}}", name) for t in TABLES)
    return True


def partition_name(table: str, year: int) -> str:
    return f"{table}_y{year}"


def default_name(table: str) -> str:
    return f"{table}_default"


def is_partitioned(conn, table: str) -> bool:
    if conn.dialect.name != "postgresql":
        return False
    kind = conn.execute(sa.text("SELECT relkind FROM pg_class WHERE relname = :t AND relnamespace = "
                                "current_schema()::regnamespace"), {"t": table}).scalar()
    return kind == "p"


def existing(conn, table: str) -> list[str]:
    """The partitions of `table`, by name."""
    return list(conn.execute(sa.text(
        "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
        "JOIN pg_class p ON p.oid = i.inhparent WHERE p.relname = :t ORDER BY c.relname"), {"t": table}).scalars())


def create_year(conn, table: str, year: int) -> bool:
    """Create `table`'s partition for `year` if missing, moving that year's rows out of DEFAULT. True if created."""
    name = partition_name(table, year)
    if name in existing(conn, table):
        return False
    column = TABLES[table]
    low, high = f"{year}-01-01", f"{year + 1}-01-01"
    default = default_name(table)
    # A new partition may not cover rows the DEFAULT partition holds: build it apart, fill it, attach it.
    conn.execute(sa.text(f'CREATE TABLE "{name}" (LIKE "{table}" INCLUDING DEFAULTS)'))
    if default in existing(conn, table):
        conn.execute(sa.text(
            f'WITH moved AS (DELETE FROM "{default}" WHERE "{column}" >= :low AND "{column}" < :high RETURNING *) '
            f'INSERT INTO "{name}" SELECT * FROM moved'), {"low": low, "high": high})
    conn.execute(sa.text(f'ALTER TABLE "{table}" ATTACH PARTITION "{name}" '
                         f"FOR VALUES FROM ('{low}') TO ('{high}')"))
    return True


def ensure_ahead(conn, today: date | None = None, ahead: int = AHEAD, progress=None) -> list[str]:
    """Partitions for this year and the next `ahead` years of every partitioned table; the names created."""
    if conn.dialect.name != "postgresql":
        return []
    year = (today or date.today()).year
    created = []
    for table in TABLES:
        if not is_partitioned(conn, table):
            continue
        for y in range(year, year + ahead + 1):
            if create_year(conn, table, y):
                created.append(partition_name(table, y))
            if progress:
                progress(table, y)
    return created


def run(now=None) -> dict:
    """The daily job: this year's and the coming years' partitions exist (once per run, under the job lock)."""
    from . import jobs
    from .extensions import db

    def work(moment):
        return {"created": ensure_ahead(db.session.connection(), today=moment.date())}

    return jobs.run("partitions", work, now=now)


def row_counts(conn) -> dict[str, int]:
    """Estimated rows per partition (from the planner's statistics: cheap at any size)."""
    if conn.dialect.name != "postgresql":
        return {}
    out = {}
    for table in TABLES:
        for name in existing(conn, table):
            out[name] = int(conn.execute(sa.text("SELECT GREATEST(reltuples, 0) FROM pg_class WHERE relname = :n"),
                                         {"n": name}).scalar() or 0)
    return out
