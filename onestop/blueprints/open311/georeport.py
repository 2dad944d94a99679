"""Dossiers and procedures as GeoReport v2 service requests and services (no personal data)."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import joinedload

from ... import citizen, queries
from ... import status as st
from ...errors import ValidationError
from ...extensions import db
from ...inputs import ascii_int, storable
from ...models import Dossier, Procedure, UTCDateTime
from ...timeutil import iso, parse_iso
from ...timeutil import now as utcnow

DEFAULT_PAGE_SIZE = 50
# Small pages: a whole list of codes is the first step of guessing keys (issue 17).
MAX_PAGE_SIZE = 100
MAX_IDS = 100
# GeoReport v2: without a date range, requests of the last 90 days.
DEFAULT_WINDOW = timedelta(days=90)


def service(procedure: Procedure) -> dict:
    """A procedure as a GeoReport v2 service."""
    fee = f"{procedure.fee:,}".replace(",", ".") + " đồng" if procedure.fee else "không thu phí"
    return {
        "service_code": procedure.code,
        "service_name": procedure.name,
        "description": f"Lĩnh vực {procedure.field}. Thời hạn giải quyết: {procedure.time_label}. Lệ phí: {fee}.",
        "metadata": False,
        "type": "realtime",
        "keywords": procedure.field,
        "group": procedure.field,
    }


def services() -> list[dict]:
    rows = db.session.execute(
        db.select(Procedure).where(Procedure.active.is_(True)).order_by(Procedure.field, Procedure.code)
    ).scalars()
    return [service(p) for p in rows]


def service_request(dossier: Dossier) -> dict:
    """A dossier as a GeoReport v2 service request: status and dates only."""
    return {
        "service_request_id": dossier.code,
        "status": "open" if dossier.is_open else "closed",
        "status_notes": citizen.status_summary(dossier),
        "service_name": dossier.procedure.name,
        "service_code": dossier.procedure.code,
        "agency_responsible": dossier.current_agency.name,
        "service_notice": dossier.procedure.time_label,
        "requested_datetime": iso(dossier.received_at),
        "updated_datetime": iso(dossier.updated_at),
        "expected_datetime": iso(dossier.due_at),
    }


def _with_relations(stmt):
    return stmt.options(joinedload(Dossier.procedure), joinedload(Dossier.current_agency),
                        joinedload(Dossier.receiving_agency))


def one_request(code: str) -> Dossier | None:
    code = citizen.normalize_code(code)
    if code is None:
        return None
    return db.session.execute(_with_relations(db.select(Dossier).where(Dossier.code == code))).scalar_one_or_none()


@dataclass
class RequestQuery:
    """Filters of requests.json, parsed and checked."""

    ids: list[str]
    service_codes: list[str]
    status: str | None
    start: datetime | None
    end: datetime | None
    page_size: int
    after: tuple[datetime, int] | None


def _csv(value: str | None) -> list[str]:
    items = [v.strip() for v in (value or "").split(",") if v.strip()]
    if not all(storable(v) for v in items):
        raise ValidationError("Tham số chứa ký tự không hợp lệ.")
    return items


def _moment(value: str | None, field: str) -> datetime | None:
    if not value:
        return None
    try:
        return parse_iso(value)
    except ValueError:
        raise ValidationError(f"{field} phải là thời điểm theo ISO-8601 (W3C).", field=field) from None


def encode_cursor(dossier: Dossier) -> str:
    """The next page's cursor: signed like every list's (onestop/queries.py)."""
    return queries.encode_cursor(dossier.received_at, dossier.id)


def _decode_cursor(value: str) -> tuple[datetime, int]:
    at, ident = queries.decode_cursor(value)
    if at is None:
        raise ValidationError("Tham số cursor không hợp lệ.", field="cursor")
    return at, ident


def parse_query(args) -> RequestQuery:
    """Read requests.json parameters; bad values raise ValidationError (never a 500)."""
    ids = [c for c in (citizen.normalize_code(v) for v in _csv(args.get("service_request_id"))) if c]
    if len(ids) > MAX_IDS:
        raise ValidationError(f"Tối đa {MAX_IDS} mã hồ sơ mỗi lần.", field="service_request_id")
    statuses = {s.lower() for s in _csv(args.get("status"))}
    if not statuses <= {"open", "closed"}:
        raise ValidationError("status chỉ nhận open hoặc closed.", field="status")
    size = ascii_int(args.get("page_size", str(DEFAULT_PAGE_SIZE)), low=1, high=MAX_PAGE_SIZE)
    if size is None:
        raise ValidationError(f"page_size phải là số từ 1 đến {MAX_PAGE_SIZE}.", field="page_size")
    start = _moment(args.get("start_date"), "start_date")
    end = _moment(args.get("end_date"), "end_date")
    if start and end and start > end:
        raise ValidationError("start_date phải trước end_date.", field="start_date")
    cursor = args.get("cursor")
    return RequestQuery(
        ids=ids,
        service_codes=_csv(args.get("service_code")),
        status=statuses.pop() if len(statuses) == 1 else None,
        start=start,
        end=end,
        page_size=size,
        after=_decode_cursor(cursor) if cursor else None,
    )


def find_requests(q: RequestQuery, now: datetime | None = None) -> tuple[list[dict], str | None]:
    """One page of service requests, newest first, and the cursor of the next page (keyset)."""
    stmt = _with_relations(db.select(Dossier))
    if q.ids:
        stmt = stmt.where(Dossier.code.in_(q.ids))
    elif q.start is None and q.end is None:
        stmt = stmt.where(Dossier.received_at >= sa.literal((now or utcnow()) - DEFAULT_WINDOW, UTCDateTime()))
    if q.start is not None:
        stmt = stmt.where(Dossier.received_at >= sa.literal(q.start, UTCDateTime()))
    if q.end is not None:
        stmt = stmt.where(Dossier.received_at <= sa.literal(q.end, UTCDateTime()))
    if q.service_codes:
        stmt = stmt.join(Procedure, Procedure.id == Dossier.procedure_id).where(Procedure.code.in_(q.service_codes))
    if q.status == "open":
        stmt = stmt.where(st.in_(Dossier.status, st.OPEN))
    elif q.status == "closed":
        stmt = stmt.where(st.in_(Dossier.status, st.FINISHED))
    if q.after is not None:
        at, ident = q.after
        at_value = sa.literal(at, UTCDateTime())
        stmt = stmt.where(sa.or_(Dossier.received_at < at_value,
                                 sa.and_(Dossier.received_at == at_value, Dossier.id < ident)))
    stmt = stmt.order_by(Dossier.received_at.desc(), Dossier.id.desc()).limit(q.page_size + 1)
    rows = list(db.session.execute(stmt).unique().scalars())
    next_cursor = encode_cursor(rows[q.page_size - 1]) if len(rows) > q.page_size else None
    return [service_request(d) for d in rows[:q.page_size]], next_cursor


def discovery(endpoint_url: str) -> dict:
    """The GeoReport v2 discovery document (read-only, JSON only)."""
    return {
        "changeset": "2026-11-21T00:00:00+07:00",
        "contact": "Trung tâm Phục vụ hành chính công",
        "key_service": "Không cần khóa: các điểm cuối chỉ đọc, không có dữ liệu cá nhân.",
        "endpoints": [{
            "specification": "http://wiki.open311.org/GeoReport_v2",
            "url": endpoint_url,
            "changeset": "2026-11-21T00:00:00+07:00",
            "type": "production",
            "formats": ["application/json"],
        }],
    }
