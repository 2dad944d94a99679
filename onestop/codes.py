"""Dossier codes `<unit>-<YYMMDD>-<NNNN>` (Circular 01/2018/TT-VPCP Art. 19) and lookup keys."""
import secrets
from datetime import date
from functools import cache

import sqlalchemy as sa

from . import rows
from .extensions import db
from .models import Agency, CodeSequence

# No 0/O, 1/I/L: the key is read off paper and typed on a phone.
KEY_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
KEY_LENGTH = 8


def next_number(agency_id: int, day: date) -> int:
    """Take the next number of the unit's day in the current transaction.

    One upsert with RETURNING: the row lock serialises concurrent clerks, and a
    rolled-back intake gives its number back, so numbers have no gaps.
    """
    stmt = _upsert(db.session.get_bind().dialect.name)
    return db.session.execute(stmt, {"agency_id": agency_id, "day": day}).scalar_one()


@cache
def _upsert(dialect: str) -> sa.Insert:
    """The counter's upsert, built once per dialect (its parameters bound per call)."""
    insert = rows.dialect_insert(dialect)
    table = CodeSequence.__table__
    stmt = insert(table).values(agency_id=sa.bindparam("agency_id"), day=sa.bindparam("day"), last_value=1)
    return stmt.on_conflict_do_update(
        index_elements=[table.c.agency_id, table.c.day], set_={"last_value": table.c.last_value + 1},
    ).returning(table.c.last_value)


def format_code(identifier: str, day: date, number: int) -> str:
    return f"{identifier}-{day:%y%m%d}-{number:04d}"


def allocate_code(agency: Agency, day: date) -> str:
    """A new dossier code for the receiving unit on that (local) day."""
    return format_code(agency.identifier, day, next_number(agency.id, day))


def provisional_code() -> str:
    """A unique stand-in code a new dossier is inserted under until `allocate_code` gives it its number
    (in the same transaction: no committed dossier keeps it). Never of the `<unit>-<YYMMDD>-<NNNN>` form."""
    return "~" + secrets.token_hex(16)


def new_lookup_key() -> str:
    return "".join(secrets.choice(KEY_ALPHABET) for _ in range(KEY_LENGTH))

