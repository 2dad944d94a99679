"""Online public services for citizens: the public catalogue of procedures (công khai TTHC).

Only active procedures are published. The search folds diacritics (text.fold) on both sides, so
"cap ban sao" finds "Cấp bản sao"; filtering and paging happen in SQL. The catalogue's version (how many
active procedures, the latest change) names the pages' ETag, so a phone that has a page revalidates it
with one cheap aggregate query.
"""
from __future__ import annotations

import hashlib
import uuid

import sqlalchemy as sa
import sqlalchemy.orm as so
from flask_babel import gettext as _

from . import audit, files, filestore, transaction
from .errors import NotFound, ValidationError
from .extensions import db
from .models import Agency, BlankForm, Procedure, ProcedureDocument, RouteStep, User, procedure_desks
from .status import OnlineLevel
from .text import like_pattern
from .timeutil import now as utcnow

PAGE_SIZE = 30


def catalogue_version() -> str:
    """A short tag that changes whenever a published procedure, its documents or its desks change."""
    row = db.session.execute(sa.select(
        sa.func.count(Procedure.id), sa.func.max(Procedure.id), sa.func.max(Procedure.created_at),
        sa.select(sa.func.count()).select_from(ProcedureDocument).scalar_subquery(),
        sa.select(sa.func.coalesce(sa.func.sum(ProcedureDocument.id * (ProcedureDocument.position + 1)), 0))
        .scalar_subquery(),
        sa.select(sa.func.count()).select_from(procedure_desks).scalar_subquery(),
        sa.select(sa.func.coalesce(sa.func.sum(BlankForm.id), 0)).scalar_subquery(),
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


# -- blank forms (mẫu đơn, tờ khai) the admin uploads per required document ---------------------------

def blank_forms(procedure: Procedure) -> dict[str, BlankForm]:
    """The procedure's blank forms by document name."""
    rows = db.session.execute(sa.select(BlankForm).where(BlankForm.procedure_id == procedure.id)).scalars()
    return {row.document_name: row for row in rows}


def save_blank_form(actor: User, procedure: Procedure, position, file_storage) -> BlankForm:
    """Store a blank form (checked by content and size, as uploads at the desk) for one required document."""
    names = [d.name for d in procedure.documents]
    if not isinstance(position, int) or not 0 <= position < len(names):
        raise ValidationError(_("Hãy chọn một giấy tờ trong thành phần hồ sơ."), field="document")
    data, content_type = files.check_upload(file_storage, field="file")
    name = names[position]
    row = blank_forms(procedure).get(name)
    if row is None:
        row = BlankForm(procedure_id=procedure.id, document_name=name)
        db.session.add(row)
    stored_name = uuid.uuid4().hex
    store = filestore.current()
    store.put(stored_name, data, content_type)
    transaction.track_stored(lambda: store.delete(stored_name))
    row.stored_name, row.content_type, row.size = stored_name, content_type, len(data)
    row.original_name = files._clean_name(file_storage.filename)
    row.uploaded_by_id = actor.id
    row.uploaded_at = utcnow()
    db.session.flush()
    audit.record("admin.blank_form", actor=actor, target=procedure,
                 details={"document": name, "name": row.original_name, "size": row.size})
    return row


def blank_form_bytes(procedure: Procedure, form_id: int) -> tuple[BlankForm, bytes]:
    """A published procedure's blank form, for anyone."""
    row = db.session.get(BlankForm, form_id)
    if row is None or row.procedure_id != procedure.id:
        raise NotFound(_("Không tìm thấy mẫu đơn này."))
    with filestore.current().open(row.stored_name) as fh:
        return row, fh.read()
