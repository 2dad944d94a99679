"""New rows written by one Core INSERT ... RETURNING and kept in the session as if a flush had written them.

The unit of work costs about three times the SQL it sends for a small graph of new objects (the intake's
dossier, steps, documents and first event: 6 of its 14 ms of CPU). `insert` sends one statement per table,
then builds each row's object with every column set (nothing is left expired, so reading it sends no SQL)
and attaches it to the session as persistent: later changes in the same transaction are flushed as usual.

What a flush would have done for these rows is done here by hand: the column defaults, the flush layer's
checks (`inputs.check_row`). The callers own what the flush listeners would have added for their rows (the
766 marks: `marks766.mark_days`).
"""
from __future__ import annotations

from functools import cache

import sqlalchemy as sa

from . import inputs
from .extensions import db


@cache
def _plan(model) -> tuple[sa.Insert, str, tuple[tuple[str, object], ...]]:
    """The INSERT (RETURNING the key, in the order of the rows), the key and each column's Python default."""
    mapper = sa.inspect(model)
    (pk,) = mapper.primary_key
    key = mapper.get_property_by_column(pk).key
    defaults = []
    for prop in mapper.column_attrs:
        column = prop.columns[0]
        if prop.key == key:
            continue
        default = column.default
        if default is not None and default.is_scalar:
            defaults.append((prop.key, default.arg))
        elif default is not None and default.is_callable:
            defaults.append((prop.key, default.arg))  # called per row below (SQLAlchemy wraps it: arg(ctx))
        else:
            server = column.server_default
            if server is not None and isinstance(getattr(server, "arg", None), sa.sql.elements.False_):
                defaults.append((prop.key, False))
            elif server is not None and isinstance(getattr(server, "arg", None), sa.sql.elements.True_):
                defaults.append((prop.key, True))
            else:
                defaults.append((prop.key, None))
    table = mapper.local_table
    stmt = table.insert().returning(table.c[pk.key], sort_by_parameter_order=True)
    return stmt, key, tuple(defaults)


def _complete(defaults, values: dict) -> dict:
    row = {}
    for key, default in defaults:
        if key in values:
            row[key] = values[key]
        elif callable(default):
            row[key] = default(None)
        else:
            row[key] = default
    return row


def _sent(row: dict) -> dict:
    """What the INSERT sends: the columns with a value (a NULL is what the database puts in the others)."""
    return {k: v for k, v in row.items() if v is not None}


def insert(model, values: list[dict]) -> list:
    """Insert `values` (one dict per row) in one statement; their persistent objects, in the same order."""
    if not values:
        return []
    stmt, key, defaults = _plan(model)
    rows = [_complete(defaults, v) for v in values]
    for row in rows:
        inputs.check_row(model, row)
    session = db.session
    if len(rows) == 1:
        ids = [session.connection().execute(stmt, _sent(rows[0])).scalar_one()]
    else:  # one multi-row INSERT needs the same columns in every row
        ids = [r[0] for r in session.connection().execute(stmt, rows)]
    return [_attach(session, model, key, row, ident) for row, ident in zip(rows, ids, strict=True)]


def write(model, values: list[dict]) -> None:
    """Insert rows nobody reads back in this transaction (an audit entry, an outbox record): no objects."""
    if not values:
        return
    _, _, defaults = _plan(model)
    rows = [_complete(defaults, v) for v in values]
    for row in rows:
        inputs.check_row(model, row)
    table = sa.inspect(model).local_table
    db.session.connection().execute(table.insert(), _sent(rows[0]) if len(rows) == 1 else rows)


def _attach(session, model, key: str, row: dict, ident):
    """The persistent object of a row just inserted, registered as a flush registers what it inserted: its
    values (filled straight into the instance's dict, no attribute events) are its committed state, nothing
    is expired, and a rollback of the transaction expunges it (as it does the flushed new objects)."""
    obj = sa.inspect(model).class_manager.new_instance()
    obj.__dict__.update(row)
    obj.__dict__[key] = ident
    real = session()  # the request's Session behind the scoped proxy
    real.add(obj)  # pending, as a new object is until its flush ...
    real._register_persistent({sa.inspect(obj)})  # ... and persistent as the flush leaves it (SQLAlchemy 2)
    return obj


def dialect_insert(dialect: str):
    """The INSERT constructor with ON CONFLICT for the database in use (PostgreSQL, else SQLite)."""
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    return insert


@cache
def _plan_unless(model, keys: tuple[str, ...], dialect: str) -> sa.Insert:
    table = sa.inspect(model).local_table
    (pk,) = sa.inspect(model).primary_key
    return (dialect_insert(dialect)(table).on_conflict_do_nothing(index_elements=[table.c[k] for k in keys])
            .returning(table.c[pk.key]))


def insert_unless_exists(model, values: dict, keys: tuple[str, ...]):
    """One row, unless a row with the same `keys` (a unique constraint) exists: its object, or None.

    A concurrent transaction inserting the same keys makes this one wait for its end (the unique index),
    then answer None if it committed: one statement where a savepoint and an INSERT took four.
    """
    _, key, defaults = _plan(model)
    row = _complete(defaults, values)
    inputs.check_row(model, row)
    session = db.session
    ident = session.execute(_plan_unless(model, keys, session.get_bind().dialect.name), row).scalar()
    if ident is None:
        return None
    return _attach(session, model, key, row, ident)
