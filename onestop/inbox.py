"""An agency's inbox: the dossiers it holds, tab counts and who holds what, aggregated in SQL."""
from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from . import deadlines, pagination, policy, queries
from . import status as st
from .calendar import get_calendar
from .extensions import db
from .models import Dossier, User
from .timeutil import now as utcnow

# tab -> (label, query-string preset). The tabs are presets of the filter form.
TABS: dict[str, tuple] = {
    "all": (_l("Tất cả"), {}),
    st.DossierStatus.PROCESSING.value: (_l("Đang xử lý"), {"status": st.DossierStatus.PROCESSING.value}),
    "due_soon": (_l("Sắp đến hạn"), {"deadline": "due_soon"}),
    "overdue": (_l("Quá hạn"), {"deadline": "overdue"}),
    st.DossierStatus.SUPPLEMENT_REQUESTED.value: (_l("Chờ bổ sung"),
                                                   {"status": st.DossierStatus.SUPPLEMENT_REQUESTED.value}),
    st.DossierStatus.AWAITING_PAYMENT.value: (_l("Chờ thanh toán"),
                                               {"status": st.DossierStatus.AWAITING_PAYMENT.value}),
}


_STATUS_TABS = (st.DossierStatus.PROCESSING, st.DossierStatus.SUPPLEMENT_REQUESTED, st.DossierStatus.AWAITING_PAYMENT)


def _open_at(agency_id: int):
    return sa.and_(Dossier.current_agency_id == agency_id, st.in_(Dossier.status, st.AGENCY_WORK))


def tab_counts(agency_id: int, now: datetime | None = None) -> dict[str, int]:
    """How many dossiers the agency holds per tab, in one query with filtered counts."""
    now = now or utcnow()
    threshold = deadlines.due_soon_threshold(get_calendar(), now)
    count = sa.func.count
    stmt = sa.select(
        count().label("all"),
        *(count().filter(Dossier.status == s).label(s.value) for s in _STATUS_TABS),
        count().filter(deadlines.deadline_clause("due_soon", now, threshold)).label("due_soon"),
        count().filter(deadlines.deadline_clause("overdue", now, threshold)).label("overdue"),
    ).where(_open_at(agency_id))
    row = db.session.execute(stmt).one()
    return {name: int(getattr(row, name) or 0) for name in TABS}


@dataclass
class Holder:
    """One specialist's (or nobody's) share of the agency's open dossiers."""

    user_id: int | None
    username: str | None
    full_name: str
    role: str | None
    total: int = 0
    due_soon: int = 0
    overdue: int = 0


def holders(agency_id: int, now: datetime | None = None) -> list[Holder]:
    """Who holds what at the agency: open dossiers per assignee (unassigned first), counted in SQL."""
    now = now or utcnow()
    threshold = deadlines.due_soon_threshold(get_calendar(), now)
    count = sa.func.count
    stmt = (
        sa.select(
            Dossier.assignee_id,
            count().label("total"),
            count().filter(deadlines.deadline_clause("due_soon", now, threshold)).label("due_soon"),
            count().filter(deadlines.deadline_clause("overdue", now, threshold)).label("overdue"),
        )
        .where(_open_at(agency_id))
        .group_by(Dossier.assignee_id)
    )
    counts = {row.assignee_id: row for row in db.session.execute(stmt)}
    staff = db.session.execute(
        sa.select(User).where(User.agency_id == agency_id, User.active.is_(True),
                              User.role.in_(policy.AGENCY_ROLES)).order_by(User.full_name)
    ).scalars().all()
    result = [Holder(None, None, str(_l("Chưa phân công")), None)]
    result += [Holder(u.id, u.username, u.full_name, u.role) for u in staff]
    by_id = {h.user_id: h for h in result}
    for assignee_id, row in counts.items():
        holder = by_id.get(assignee_id)
        if holder is None:  # assigned to someone who has since left the agency
            holder = Holder(assignee_id, None, str(_l("Người khác")), None)
            result.append(holder)
            by_id[assignee_id] = holder
        holder.total, holder.due_soon, holder.overdue = row.total, row.due_soon, row.overdue
    return result


def agency_staff(agency_id: int) -> list[User]:
    """Active specialists and leaders of the agency (candidates for an assignment)."""
    return list(db.session.execute(
        sa.select(User).where(User.agency_id == agency_id, User.active.is_(True),
                              User.role.in_(policy.AGENCY_ROLES)).order_by(User.full_name)
    ).scalars())


def inbox_filters(user: User, *, status: str | None = None, deadline_state: str | None = None,
                  procedure_code: str | None = None, q: str | None = None, received_from=None,
                  received_to=None, assignee_id: int | None = None) -> queries.DossierFilters:
    """The list filters of the user's agency inbox; without a status, all work still open there."""
    return queries.DossierFilters(
        status=[status] if status else [s.value for s in st.ordered(st.AGENCY_WORK)],
        current_agency_id=user.agency_id,
        deadline_state=deadline_state or None,
        procedure_code=procedure_code or None,
        q=q or None,
        received_from=received_from,
        received_to=received_to,
        assignee_id=assignee_id,
    )


def inbox_page(user: User, filters: queries.DossierFilters, *, order: str = "urgent",
               cursor: str | None = None, limit: int = 50, now: datetime | None = None) -> queries.Page:
    """One keyset page of the inbox (shared list query, visibility applied).

    "Most urgent first" over several statuses is one ordered index range per status
    (ix_dossiers_agency_status_due), merged in SQL: a single ORDER BY due_at over an
    IN list would sort every open dossier of the agency for each page.
    """
    if order != "urgent" or len(filters.status) < 2:
        return queries.page(user, filters, order=order, cursor=cursor, limit=limit, now=now)
    limit = pagination.clamp(limit, queries.MAX_LIMIT)
    parts = []
    for status in filters.status:
        one = replace(filters, status=[status])
        stmt = queries.filtered(user, one, now).with_only_columns(Dossier.id, Dossier.due_at)
        stmt = pagination.seek(stmt, pagination.Order(Dossier.due_at, Dossier.id), cursor)
        parts.append(stmt.limit(limit + 1).subquery().select())
    merged = sa.union_all(*parts).subquery()
    keys = pagination.page(sa.select(merged.c.id, merged.c.due_at), pagination.Order(merged.c.due_at, merged.c.id),
                           limit=limit)
    loaded = {d.id: d for d in db.session.execute(
        sa.select(Dossier).where(Dossier.id.in_([k.id for k in keys.items]))).scalars()}
    return queries.Page([loaded[k.id] for k in keys.items], keys.next_cursor, limit)


BADGE_ROLES = ("clerk", "specialist", "leader")


def badge_counts(agency_id: int, now: datetime | None = None) -> dict:
    """Due-soon and overdue dossiers currently at an agency, in one filtered COUNT query."""
    now = now or utcnow()
    threshold = deadlines.due_soon_threshold(get_calendar(), now)
    row = db.session.execute(
        sa.select(
            sa.func.count().filter(deadlines.deadline_clause("due_soon", now, threshold)),
            sa.func.count().filter(deadlines.deadline_clause("overdue", now, threshold)),
        ).where(_open_at(agency_id))
    ).one()
    return {"due_soon": row[0] or 0, "overdue": row[1] or 0}


def row_states(dossiers, now: datetime | None = None) -> dict[int, str | None]:
    """Deadline state per dossier id, for colouring the rows of one page."""
    now = now or utcnow()
    threshold = deadlines.due_soon_threshold(get_calendar(), now)
    return {d.id: deadlines.deadline_state(d, now, threshold) for d in dossiers}
