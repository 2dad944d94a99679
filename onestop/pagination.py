"""Keyset pagination for every list: the page after a cursor, ordered on (value, id), computed in SQL.

A list is ordered on one value column and the id (the id breaks ties), or on the
id alone. The cursor (`queries.encode_cursor`) names the last row shown. When
the value is a moment it travels in the cursor, as the API has always given it;
any other value (a user name, a procedure code) is read again from the row the
cursor names, inside the same statement, so every list can keep its natural
order without a cursor format of its own.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from . import queries
from .extensions import db

DEFAULT_LIMIT = 50
MAX_LIMIT = 200


@dataclass(frozen=True)
class Order:
    """How a list is ordered: a value column (None: the id alone), the id column, and the direction."""

    value: Any
    ident: Any
    descending: bool = False

    @property
    def value_in_cursor(self) -> bool:
        """Moments travel in the cursor; other values are looked up from the row the cursor names."""
        if self.value is None:
            return False
        kind = self.value.type
        if isinstance(kind, sa.types.TypeDecorator):
            kind = kind.impl_instance
        return isinstance(kind, sa.DateTime)

    def columns(self) -> list:
        return [self.ident] if self.value is None else [self.value, self.ident]


@dataclass
class Page:
    """One page of a list: its rows, the cursor of the next page (None on the last) and the page size."""

    items: list
    next_cursor: str | None
    limit: int


def clamp(limit, maximum: int = MAX_LIMIT) -> int:
    """A page size between 1 and `maximum`."""
    return max(1, min(int(limit), maximum))


def seek(stmt, order: Order, cursor: str | None):
    """The statement restricted to the rows after the cursor, in the list's order (any order it had is replaced)."""
    if cursor:
        value, ident = queries.decode_cursor(cursor)
        if order.value is None:
            key, bound = order.ident, sa.literal(ident)
        else:
            key = sa.tuple_(order.value, order.ident)
            if order.value_in_cursor:
                start = sa.literal(value, order.value.type)
            else:  # the value of the row the cursor names, read in the same statement
                start = sa.select(order.value).where(order.ident == ident).correlate(None).scalar_subquery()
            bound = sa.tuple_(start, sa.literal(ident))
        stmt = stmt.where(key < bound if order.descending else key > bound)
    return stmt.order_by(None).order_by(*(c.desc() if order.descending else c.asc() for c in order.columns()))


def page(stmt, order: Order, cursor: str | None = None, limit: int = DEFAULT_LIMIT,
         maximum: int = MAX_LIMIT) -> Page:
    """One page of the statement's rows (ORM objects for a select of one entity, rows otherwise)."""
    limit = clamp(limit, maximum)
    result = db.session.execute(seek(stmt, order, cursor).limit(limit + 1))
    entity = _selects_one_entity(stmt)
    rows = list(result.scalars() if entity else result)
    next_cursor = None
    if len(rows) > limit:
        rows = rows[:limit]
        next_cursor = _cursor_after(rows[-1], order, entity)
    return Page(rows, next_cursor, limit)


def count(stmt) -> int:
    """How many rows the statement gives (shown beside the list)."""
    sub = stmt.order_by(None).limit(None).subquery()
    return db.session.execute(sa.select(sa.func.count()).select_from(sub)).scalar_one()


def _selects_one_entity(stmt) -> bool:
    described = stmt.column_descriptions
    return len(described) == 1 and described[0]["entity"] is not None \
        and described[0]["expr"] is described[0]["entity"]


def _cursor_after(row, order: Order, entity: bool) -> str:
    def read(column):
        return getattr(row, column.key) if entity else row._mapping[column]

    value = read(order.value) if order.value_in_cursor else None
    return queries.encode_cursor(value, read(order.ident))
