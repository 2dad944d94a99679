"""Online public services for citizens: the public catalogue of procedures (công khai TTHC).

Only active procedures are published. The search folds diacritics (text.fold) on both sides, so
"cap ban sao" finds "Cấp bản sao"; filtering and paging happen in SQL. The catalogue's version (how many
active procedures, the latest change) names the pages' ETag, so a phone that has a page revalidates it
with one cheap aggregate query.
"""
from __future__ import annotations

import hashlib

import sqlalchemy as sa
import sqlalchemy.orm as so
from flask_babel import gettext as _

from .errors import NotFound
from .extensions import db
from .models import Agency, Procedure, ProcedureDocument, RouteStep, procedure_desks
from .status import OnlineLevel
from .text import like_pattern

PAGE_SIZE = 30


def catalogue_version() -> str:
    """A short tag that changes whenever a published procedure, its documents or its desks change."""
    row = db.session.execute(sa.select(
        sa.func.count(Procedure.id), sa.func.max(Procedure.id), sa.func.max(Procedure.created_at),
        sa.select(sa.func.count()).select_from(ProcedureDocument).scalar_subquery(),
        sa.select(sa.func.coalesce(sa.func.sum(ProcedureDocument.id * (ProcedureDocument.position + 1)), 0))
        .scalar_subquery(),
        sa.select(sa.func.count()).select_from(procedure_desks).scalar_subquery(),
        sa.func.sum(sa.case((Procedure.active.is_(True), 1), else_=0)),
        sa.func.sum(sa.func.length(Procedure.name) + Procedure.time_limit + Procedure.fee
                    + sa.func.coalesce(Procedure.online_time_limit, 0)
                    + sa.func.coalesce(sa.func.length(Procedure.legal_basis), 0)),
    )).one()
    return hashlib.sha256(repr(tuple(row)).encode()).hexdigest()[:20]


def search(q: str | None = None, *, field: str | None = None, online_only: bool = False,
           after: str | None = None, limit: int | None = None) -> tuple[list[Procedure], str | None]:
    """Active procedures matching the folded text, by code; keyset-paged on the code."""
    limit = limit or PAGE_SIZE
    stmt = sa.select(Procedure).where(Procedure.active.is_(True)).options(so.selectinload(Procedure.receiving_agency))
    if q and q.strip():
        stmt = stmt.where(Procedure.name_search.like(like_pattern(q), escape="\\"))
    if field:
        stmt = stmt.where(Procedure.field == field)
    if online_only:
        stmt = stmt.where(Procedure.online_level.in_((OnlineLevel.FULL, OnlineLevel.PARTIAL)))
    if after:
        stmt = stmt.where(Procedure.code > after)
    rows = list(db.session.execute(stmt.order_by(Procedure.code).limit(limit + 1)).scalars())
    more = len(rows) > limit
    rows = rows[:limit]
    return rows, (rows[-1].code if more and rows else None)


def fields() -> list[str]:
    """The fields (lĩnh vực) of the published procedures, for the filter."""
    return list(db.session.execute(sa.select(Procedure.field).where(Procedure.active.is_(True))
                                   .distinct().order_by(Procedure.field)).scalars())


def published(code: str) -> Procedure:
    """One active procedure with everything its public page shows."""
    procedure = db.session.execute(
        sa.select(Procedure).where(Procedure.code == code, Procedure.active.is_(True)).options(
            so.selectinload(Procedure.documents), so.selectinload(Procedure.desks),
            so.selectinload(Procedure.route).selectinload(RouteStep.agency),
            so.selectinload(Procedure.receiving_agency), so.selectinload(Procedure.deciding_agency))
    ).scalar_one_or_none()
    if procedure is None:
        raise NotFound(_("Không tìm thấy thủ tục hành chính này, hoặc thủ tục đã ngừng áp dụng."))
    return procedure


def receiving_desks(procedure: Procedure) -> list[Agency]:
    """Where the procedure may be received: its desks (the main one first); for boundary-free ones, none listed."""
    if procedure.anywhere:
        return []
    desks = [procedure.receiving_agency] + [d for d in procedure.desks if d.id != procedure.receiving_agency_id]
    return [d for d in desks if d.active]
