"""Dossier lists: filters, diacritic-insensitive search and keyset pagination, all in SQL."""
from __future__ import annotations

import base64
import json
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

import sqlalchemy as sa
from flask_babel import gettext as _

from . import deadlines, policy
from .calendar import get_calendar
from .errors import ValidationError
from .extensions import db
from .models import Dossier, Procedure, User, UTCDateTime
from .status import DeadlineState, DossierStatus
from .text import like_pattern
from .timeutil import now as utcnow
from .timeutil import zone

# order name -> (column, descending)
ORDERS = {
    "newest": (Dossier.received_at, True),
    "oldest": (Dossier.received_at, False),
    "urgent": (Dossier.due_at, False),
}
MAX_LIMIT = 200


@dataclass
class DossierFilters:
    status: list[str] = field(default_factory=list)
    current_agency_id: int | None = None
    receiving_agency_id: int | None = None
    agency_identifier: str | None = None
    deadline_state: str | None = None
    procedure_code: str | None = None
    q: str | None = None
    received_from: date | None = None
    received_to: date | None = None
    assignee_id: int | None = None


@dataclass
class Page:
    items: list[Dossier]
    next_cursor: str | None
    limit: int


def encode_cursor(value, ident: int) -> str:
    raw = json.dumps([value.isoformat() if isinstance(value, datetime) else value, ident])
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[datetime | None, int]:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        value, ident = json.loads(base64.urlsafe_b64decode(padded.encode()).decode())
        if not isinstance(ident, int):
            raise ValueError
        return (datetime.fromisoformat(value) if value is not None else None), ident
    except (ValueError, TypeError, json.JSONDecodeError, UnicodeDecodeError):
        raise ValidationError(_("Con trỏ phân trang (cursor) không hợp lệ."), field="cursor") from None


def _local_day_start(d: date) -> datetime:
    return datetime.combine(d, time()).replace(tzinfo=zone())


def filtered(user: User, filters: DossierFilters, now: datetime | None = None):
    """A SELECT of the dossiers the user may see that match the filters (unordered)."""
    now = now or utcnow()
    stmt = sa.select(Dossier).where(policy.visible_clause(user))
    for status in filters.status:
        if DossierStatus.parse(status) is None:
            raise ValidationError(_("Trạng thái không hợp lệ: %(status)s.", status=status), field="status")
    if filters.status:
        stmt = stmt.where(Dossier.status.in_(filters.status))
    if filters.current_agency_id is not None:
        stmt = stmt.where(Dossier.current_agency_id == filters.current_agency_id)
    if filters.receiving_agency_id is not None:
        stmt = stmt.where(Dossier.receiving_agency_id == filters.receiving_agency_id)
    if filters.agency_identifier:
        from .agencies import get_by_identifier

        agency = get_by_identifier(filters.agency_identifier)
        if agency is None:
            raise ValidationError(_("Không tìm thấy cơ quan."), field="agency")
        stmt = stmt.where(Dossier.current_agency_id == agency.id)
    if filters.deadline_state:
        if DeadlineState.parse(filters.deadline_state) is None:
            raise ValidationError(_("Tình trạng hạn xử lý không hợp lệ."), field="deadline_state")
        threshold = deadlines.due_soon_threshold(get_calendar(), now)
        stmt = stmt.where(deadlines.deadline_clause(filters.deadline_state, now, threshold))
    if filters.procedure_code:
        stmt = stmt.join(Procedure, Procedure.id == Dossier.procedure_id).where(
            Procedure.code == filters.procedure_code)
    if filters.q and filters.q.strip():
        stmt = stmt.where(Dossier.search_text.like(like_pattern(filters.q), escape="\\"))
    if filters.received_from:
        stmt = stmt.where(Dossier.received_at >= _local_day_start(filters.received_from))
    if filters.received_to:
        stmt = stmt.where(Dossier.received_at < _local_day_start(filters.received_to + timedelta(days=1)))
    if filters.assignee_id is not None:
        stmt = stmt.where(Dossier.assignee_id == filters.assignee_id)
    return stmt


def page(user: User, filters: DossierFilters, *, order: str = "newest", cursor: str | None = None,
         limit: int = 50, now: datetime | None = None) -> Page:
    """One page of dossiers, keyset-paginated on (order column, id)."""
    if order not in ORDERS:
        raise ValidationError(_("Thứ tự sắp xếp không hợp lệ."), field="order")
    limit = max(1, min(int(limit), MAX_LIMIT))
    column, desc = ORDERS[order]
    stmt = filtered(user, filters, now)
    if cursor:
        value, ident = decode_cursor(cursor)
        key = sa.tuple_(column, Dossier.id)
        bound = sa.tuple_(sa.literal(value, UTCDateTime()), sa.literal(ident))
        stmt = stmt.where(key < bound if desc else key > bound)
    if desc:
        stmt = stmt.order_by(column.desc(), Dossier.id.desc())
    else:
        stmt = stmt.order_by(column.asc(), Dossier.id.asc())
    rows = list(db.session.execute(stmt.limit(limit + 1)).scalars())
    next_cursor = None
    if len(rows) > limit:
        rows = rows[:limit]
        last = rows[-1]
        next_cursor = encode_cursor(getattr(last, column.key), last.id)
    return Page(rows, next_cursor, limit)


def count(user: User, filters: DossierFilters, now: datetime | None = None) -> int:
    """How many dossiers match (shown beside lists)."""
    sub = filtered(user, filters, now).with_only_columns(Dossier.id).subquery()
    return db.session.execute(sa.select(sa.func.count()).select_from(sub)).scalar_one()
