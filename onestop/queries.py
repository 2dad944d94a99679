"""Dossier lists: filters, diacritic-insensitive search and keyset pagination, all in SQL."""
from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _

from . import deadlines, pagination, policy
from .calendar import get_calendar
from .errors import ValidationError
from .extensions import db
from .inputs import DB_INT_MAX, FIRST_YEAR, LAST_YEAR
from .models import Dossier, Procedure, User
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
MAX_CURSOR_LENGTH = 500


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
    not_returned: bool = False  # the desk's returns list: nothing handed over yet


@dataclass
class Page:
    items: list[Dossier]
    next_cursor: str | None
    limit: int


def _cursor_signature(payload: str) -> str:
    secret = str(current_app.config["SECRET_KEY"]).encode()
    digest = hmac.new(secret, b"onestop-cursor:" + payload.encode(), hashlib.sha256).digest()[:16]
    return base64.urlsafe_b64encode(digest).decode().rstrip("=")


def encode_cursor(value, ident: int) -> str:
    """The cursor naming the last row shown: (moment or None, id), signed with SECRET_KEY."""
    raw = json.dumps([value.isoformat() if isinstance(value, datetime) else value, ident])
    payload = base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")
    return f"{payload}.{_cursor_signature(payload)}"


def decode_cursor(cursor: str) -> tuple[datetime | None, int]:
    """(moment or None, id) of a cursor this app issued; anything else is a 422, never a database error.

    The signature means only cursors the app made are read at all; the values are checked
    again anyway (an aware moment within years 1900-2200, an id within the integer column).
    """
    invalid = ValidationError(_("Con trỏ phân trang (cursor) không hợp lệ. Vui lòng tải lại danh sách từ đầu."),
                              field="cursor")
    if not isinstance(cursor, str) or len(cursor) > MAX_CURSOR_LENGTH or not cursor.isascii():
        raise invalid
    payload, _sep, signature = cursor.partition(".")
    if not payload or not hmac.compare_digest(signature.encode(), _cursor_signature(payload).encode()):
        raise invalid
    try:
        value, ident = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)).decode())
        moment = datetime.fromisoformat(value) if value is not None else None
    except (ValueError, TypeError, json.JSONDecodeError, UnicodeDecodeError, binascii.Error):
        raise invalid from None
    if isinstance(ident, bool) or not isinstance(ident, int) or not 0 < ident <= DB_INT_MAX:
        raise invalid
    if moment is not None:
        if moment.tzinfo is None or moment.utcoffset() is None or not FIRST_YEAR <= moment.year <= LAST_YEAR:
            raise invalid
        moment = moment.astimezone(UTC)
    return moment, ident


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
    if filters.not_returned:
        stmt = stmt.where(Dossier.returned_at.is_(None))
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
    column, desc = ORDERS[order]
    result = pagination.page(filtered(user, filters, now), pagination.Order(column, Dossier.id, desc),
                             cursor, limit, maximum=MAX_LIMIT)
    return Page(result.items, result.next_cursor, result.limit)


def count(user: User, filters: DossierFilters, now: datetime | None = None) -> int:
    """How many dossiers match (shown beside lists)."""
    sub = filtered(user, filters, now).with_only_columns(Dossier.id).subquery()
    return db.session.execute(sa.select(sa.func.count()).select_from(sub)).scalar_one()
