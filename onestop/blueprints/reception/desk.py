"""Queries the desk's pages need beyond queries.page: procedure search, returning applicants, the register."""
from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, time

import sqlalchemy as sa
import sqlalchemy.orm as so
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from ... import pagination, policy, workflow
from ... import status as st
from ...errors import ValidationError
from ...extensions import db
from ...models import Agency, Dossier, DossierEvent, DossierStep, Procedure, User, UTCDateTime
from ...status import DossierStatus
from ...text import like_pattern
from ...timeutil import fmt_datetime, zone

REGISTER_HEADINGS = (
    _l("STT"), _l("Mã hồ sơ"), _l("Tên thủ tục"), _l("Số lượng hồ sơ (bộ)"), _l("Tên cá nhân, tổ chức"), _l("Địa chỉ"),
    _l("Số điện thoại"), _l("Nhận hồ sơ"), _l("Hẹn trả kết quả"), _l("Chuyển hồ sơ đến cơ quan giải quyết"),
    _l("Nhận kết quả từ cơ quan giải quyết"), _l("Trả kết quả – Ngày, giờ"), _l("Trả kết quả – Người giao"),
    _l("Trả kết quả – Người nhận"), _l("Ghi chú"),
)


def search_procedures(agency_id: int, q: str | None, limit: int = 30) -> list[Procedure]:
    """Active procedures this desk may receive, by code prefix or folded name (diacritic-insensitive)."""
    agency = db.session.get(Agency, agency_id)
    stmt = sa.select(Procedure).where(policy.receivable_clause(agency), Procedure.active.is_(True))
    q = (q or "").strip()
    if q:
        escaped = q.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        stmt = stmt.where(sa.or_(Procedure.code.like(f"{escaped}%", escape="\\"),
                                 Procedure.name_search.like(like_pattern(q), escape="\\")))
    return list(db.session.execute(stmt.order_by(Procedure.code).limit(limit)).scalars())


def procedure_by_code(code: str | None) -> Procedure | None:
    """The procedure with its route and the route's agencies, which the intake reads (one statement)."""
    if not code:
        return None
    return workflow.intake_procedure(code.strip())


def latest_applicant(user: User, id_number: str) -> Dossier | None:
    """The newest dossier of that citizen ID among those the user may see (to fill the form)."""
    return db.session.execute(
        sa.select(Dossier).where(policy.visible_clause(user), Dossier.applicant_id_number == id_number)
        .order_by(Dossier.received_at.desc(), Dossier.id.desc()).limit(1)
    ).scalar_one_or_none()


# -- the register (Sổ theo dõi hồ sơ) --------------------------------------

@dataclass
class RegisterFilters:
    year: int
    procedure_code: str | None = None
    status: str | None = None

    def check(self) -> None:
        if not 2000 <= self.year <= 2100:
            raise ValidationError(_("Năm không hợp lệ."), field="year")
        if self.status and DossierStatus.parse(self.status) is None:
            raise ValidationError(_("Trạng thái không hợp lệ."), field="status")


@dataclass
class RegisterRow:
    no: int
    id: int
    code: str
    procedure: str
    sets: int
    applicant: str
    address: str | None
    phone: str | None
    received_at: datetime
    due_at: datetime | None
    transferred_at: datetime | None
    result_received_at: datetime | None
    returned_at: datetime | None
    giver: str | None
    receiver: str | None
    note: str | None
    status: str

    def cells(self) -> list:
        """The register's columns as the XLSX export writes them (times as dd/mm/yyyy hh:mm text)."""
        receiver = self.receiver or ""
        return [self.no, self.code, self.procedure, self.sets, self.applicant, self.address or "",
                self.phone or "", _t(self.received_at), _t(self.due_at), _t(self.transferred_at),
                _t(self.result_received_at), _t(self.returned_at), self.giver or "", receiver,
                self.note or (DossierStatus(self.status).label if self.status else "")]


def _t(value: datetime | None) -> str:
    return fmt_datetime(value) if value else ""


def _year_bounds(year: int) -> tuple[datetime, datetime]:
    tz = zone()
    return (datetime.combine(date(year, 1, 1), time(), tz), datetime.combine(date(year + 1, 1, 1), time(), tz))


def register_select(user: User, filters: RegisterFilters):
    """One SELECT giving every register column per dossier, computed in SQL (no per-row queries)."""
    filters.check()
    start, end = _year_bounds(filters.year)
    desk = so.aliased(DossierStep)
    giver = so.aliased(User)
    proc = so.aliased(Procedure)
    returned_by = (
        sa.select(giver.full_name)
        .join(DossierEvent, DossierEvent.actor_id == giver.id)
        .where(DossierEvent.dossier_id == Dossier.id, DossierEvent.action == "return")
        .order_by(DossierEvent.id.desc()).limit(1).correlate(Dossier).scalar_subquery()
    )
    result_back = sa.case((st.in_(Dossier.status, (DossierStatus.RESULT_READY, DossierStatus.RETURNED)),
                           Dossier.finished_at), else_=None)
    stmt = (
        sa.select(Dossier.id, Dossier.code, proc.name, Dossier.sets, Dossier.applicant_name,
                  Dossier.applicant_address, Dossier.applicant_phone, Dossier.received_at, Dossier.due_at,
                  desk.finished_at, result_back, Dossier.returned_at, returned_by, Dossier.collected_by,
                  Dossier.note, Dossier.status)
        .join(proc, proc.id == Dossier.procedure_id)
        .outerjoin(desk, sa.and_(desk.dossier_id == Dossier.id, desk.kind == "desk"))
        .where(policy.visible_clause(user), Dossier.receiving_agency_id == user.agency_id,
               Dossier.received_at >= sa.literal(start, UTCDateTime()),
               Dossier.received_at < sa.literal(end, UTCDateTime()))
    )
    if filters.procedure_code:
        stmt = stmt.where(proc.code == filters.procedure_code)
    if filters.status:
        stmt = stmt.where(Dossier.status == filters.status)
    return stmt


def _row(no: int, r) -> RegisterRow:
    return RegisterRow(no, *r)


def register_page(user: User, filters: RegisterFilters, cursor: str | None = None, start: int = 1,
                  limit: int = 50) -> tuple[list[RegisterRow], str | None]:
    """One page of the register in order received, keyset-paginated; numbering continues from `start`."""
    result = pagination.page(register_select(user, filters), pagination.Order(Dossier.received_at, Dossier.id),
                             cursor, limit)
    return [_row(start + i, r) for i, r in enumerate(result.items)], result.next_cursor


def register_count(user: User, filters: RegisterFilters) -> int:
    sub = register_select(user, filters).subquery()
    return db.session.execute(sa.select(sa.func.count()).select_from(sub)).scalar_one()


def register_rows(user: User, filters: RegisterFilters) -> Iterator[RegisterRow]:
    """Every register row of the year, streamed from the database in batches."""
    stmt = register_select(user, filters).order_by(Dossier.received_at, Dossier.id)
    result = db.session.execute(stmt.execution_options(yield_per=500))
    for i, r in enumerate(result, start=1):
        yield _row(i, r)


def write_register_xlsx(rows: Iterator[RegisterRow], target, *, agency_name: str, year: int) -> None:
    """Write the register as an XLSX workbook (write-only: rows are streamed); times are real dates."""
    from ...spreadsheet import Sheet, write_xlsx

    def values(row: RegisterRow) -> list:
        status = DossierStatus(row.status).label if row.status else ""
        return [row.no, row.code, row.procedure, row.sets, row.applicant, row.address or "", row.phone or "",
                row.received_at, row.due_at, row.transferred_at, row.result_received_at, row.returned_at,
                row.giver or "", row.receiver or "", row.note or status]

    title = _("SỔ THEO DÕI HỒ SƠ NĂM %(year)s – %(agency)s", year=year, agency=agency_name)
    write_xlsx(target, [Sheet(f"So theo doi {year}", REGISTER_HEADINGS, (values(row) for row in rows),
                              titles=[title], widths=(6, 28, 40, 10, 26, 36, 14, 17, 17, 17, 17, 17, 22, 22, 24),
                              wrap_heads=True)])


def _col(i: int) -> str:
    from openpyxl.utils import get_column_letter

    return get_column_letter(i)

