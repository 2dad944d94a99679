"""PostgreSQL: the history (dossier_events) and the notices (outbox) partitioned by year.

Each table becomes a declaratively partitioned table (RANGE on its time column) with one partition per
calendar year (UTC) from its oldest row to two years ahead, and a DEFAULT partition; every row is kept,
and so are the indexes, foreign keys and id sequence. The primary key becomes (id, time column), as
PostgreSQL requires the partition key in it. SQLite is left as it is. onestop/partitions.py creates the
coming years' partitions later (`onestop partitions`, and the scheduler daily).

Revision ID: e22a0b1c2d01
Revises: d21a0c0e0e01
Create Date: 2026-12-02 19:40:00

"""
from datetime import date

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'e22a0b1c2d01'
down_revision = 'd21a0c0e0e01'
branch_labels = None
depends_on = None

TABLES = {"dossier_events": "at", "outbox": "created_at"}
AHEAD = 2


def _definitions(conn, table):
    """The table's secondary indexes and foreign keys as SQL, its primary key's name, its id sequence."""
    indexes = conn.execute(sa.text(
        "SELECT i.indexname, i.indexdef FROM pg_indexes i WHERE i.tablename = :t AND i.schemaname = current_schema() "
        "AND i.indexname NOT IN (SELECT conname FROM pg_constraint WHERE conrelid = CAST(:t AS regclass) "
        "AND contype IN ('p', 'u'))"), {"t": table}).all()
    fks = conn.execute(sa.text(
        "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint WHERE conrelid = CAST(:t AS regclass) "
        "AND contype = 'f' ORDER BY conname"), {"t": table}).all()
    pk = conn.execute(sa.text("SELECT conname FROM pg_constraint WHERE conrelid = CAST(:t AS regclass) "
                              "AND contype = 'p'"), {"t": table}).scalar()
    sequence = conn.execute(sa.text("SELECT pg_get_serial_sequence(:t, 'id')"), {"t": table}).scalar()
    referenced = conn.execute(sa.text(
        "SELECT conname FROM pg_constraint WHERE confrelid = CAST(:t AS regclass) AND contype = 'f'"),
        {"t": table}).scalars().all()
    if referenced:
        raise RuntimeError(f"{table} is referenced by {referenced}: a partitioned table cannot be")
    return indexes, fks, pk or f"pk_{table}", sequence


def _rebuild(conn, table, *, partitioned, key):
    indexes, fks, pk, sequence = _definitions(conn, table)
    new = f"{table}__new"
    if partitioned:
        conn.execute(sa.text(f'CREATE TABLE "{new}" (LIKE "{table}" INCLUDING DEFAULTS) PARTITION BY RANGE ("{key}")'))
        first = conn.execute(sa.text(f'SELECT CAST(EXTRACT(YEAR FROM min("{key}")) AS integer) FROM "{table}"')).scalar()
        this_year = date.today().year
        for year in range(min(first or this_year, this_year), this_year + AHEAD + 1):
            conn.execute(sa.text(f'CREATE TABLE "{table}_y{year}" PARTITION OF "{new}" '
                                 f"FOR VALUES FROM ('{year}-01-01') TO ('{year + 1}-01-01')"))
        conn.execute(sa.text(f'CREATE TABLE "{table}_default" PARTITION OF "{new}" DEFAULT'))
    else:
        conn.execute(sa.text(f'CREATE TABLE "{new}" (LIKE "{table}" INCLUDING DEFAULTS)'))
    conn.execute(sa.text(f'INSERT INTO "{new}" SELECT * FROM "{table}"'))
    if sequence:
        conn.execute(sa.text(f'ALTER SEQUENCE {sequence} OWNED BY "{new}".id'))
    conn.execute(sa.text(f'DROP TABLE "{table}"'))
    conn.execute(sa.text(f'ALTER TABLE "{new}" RENAME TO "{table}"'))
    columns = f'id, "{key}"' if partitioned else "id"
    conn.execute(sa.text(f'ALTER TABLE "{table}" ADD CONSTRAINT "{pk}" PRIMARY KEY ({columns})'))
    for _name, definition in indexes:
        conn.execute(sa.text(definition))
    for name, definition in fks:
        conn.execute(sa.text(f'ALTER TABLE "{table}" ADD CONSTRAINT "{name}" {definition}'))


def upgrade():
    conn = op.get_bind()
    if conn.dialect.name != "postgresql":
        return
    for table, key in TABLES.items():
        _rebuild(conn, table, partitioned=True, key=key)


def downgrade():
    conn = op.get_bind()
    if conn.dialect.name != "postgresql":
        return
    for table, key in TABLES.items():
        _rebuild(conn, table, partitioned=False, key=key)
