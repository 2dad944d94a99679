"""The centre's floor: queue numbers taken at a desk's kiosk, counters calling them, ratings at the counter.

Numbers restart at 1 each local day at each desk; one upsert per ticket (like dossier codes) keeps
concurrent kiosks from ever handing out the same number. A counter calls the oldest waiting ticket of
the fields it serves (a ticket transferred to it first); the call is a compare-and-swap UPDATE, so two
counters never call the same ticket. Waiting time runs from taking to the first call, serving time from
the start of service to its end; the figures are SQL aggregates.
"""
from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import date, datetime, timedelta

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _

from . import audit, rows
from .errors import Conflict, NotFound, PermissionDenied, ValidationError
from .extensions import db
from .models import Agency, CounterRating, Dossier, QueueCounter, QueueSequence, QueueTicket, User, UTCDateTime
from .status import Rating, TicketState
from .timeutil import local, zone
from .timeutil import now as utcnow

# A ticket finished this recently, at this counter, and not yet rated is what the counter's tablet asks about.
RATING_WINDOW = timedelta(minutes=10)
ACTIVE = (TicketState.CALLED, TicketState.SERVING)
BOARD_CALLS = 8
FIELD_MAX = 200


# -- keys of the hall's devices ------------------------------------------------

def _device_key(purpose: str, subject: str) -> str:
    """A key printed in a device's address (kiosk, rating tablet), derived from the app's secret."""
    secret = str(current_app.config["SECRET_KEY"]).encode()
    return hmac.new(secret, f"queue:{purpose}:{subject}".encode(), hashlib.sha256).hexdigest()[:20]


def kiosk_key(agency: Agency) -> str:
    return _device_key("kiosk", agency.identifier)


def rating_key(counter: QueueCounter) -> str:
    return _device_key("rating", str(counter.id))


def key_matches(given: str | None, expected: str) -> bool:
    return bool(given) and hmac.compare_digest(str(given), expected)


# -- what a desk's hall offers -------------------------------------------------

def desk_or_404(identifier: str) -> Agency:
    agency = db.session.execute(sa.select(Agency).filter_by(identifier=identifier)).scalar_one_or_none()
    if agency is None or not agency.active:
        raise NotFound(_("Không tìm thấy bộ phận một cửa %(code)s.", code=identifier))
    return agency


def counters_of(agency_id: int, active_only: bool = True) -> list[QueueCounter]:
    query = sa.select(QueueCounter).where(QueueCounter.agency_id == agency_id).order_by(QueueCounter.number)
    if active_only:
        query = query.where(QueueCounter.active.is_(True))
    return list(db.session.execute(query).scalars())


def kiosk_fields(agency_id: int) -> list[str]:
    """The choices of the desk's kiosk: every field an active counter serves ("" when one serves all)."""
    fields: list[str] = []
    general = False
    for counter in counters_of(agency_id):
        if not counter.fields:
            general = True
        for name in counter.fields:
            if name not in fields:
                fields.append(name)
    if general and not fields:
        return [""]
    return sorted(fields)


def today(now: datetime | None = None) -> date:
    return local(now or utcnow()).date()


# -- taking a number -----------------------------------------------------------

def _next_number(agency_id: int, day: date) -> int:
    insert = rows.dialect_insert(db.session.get_bind().dialect.name)
    stmt = insert(QueueSequence).values(agency_id=agency_id, day=day, last_value=1)
    stmt = stmt.on_conflict_do_update(
        index_elements=[QueueSequence.agency_id, QueueSequence.day],
        set_={"last_value": QueueSequence.last_value + 1},
    ).returning(QueueSequence.last_value)
    return db.session.execute(stmt).scalar_one()


def take_number(agency: Agency, field: str | None, *, request_token: str | None = None,
                now: datetime | None = None) -> QueueTicket:
    """A new number of the desk's day for that field; the same kiosk form posted twice gives the same ticket."""
    now = now or utcnow()
    field = (field or "").strip()[:FIELD_MAX]
    if field not in kiosk_fields(agency.id):
        raise ValidationError(_("Lĩnh vực này không có quầy nào phục vụ hôm nay."), field="field")
    if request_token:
        request_token = str(request_token)[:40]
        found = db.session.execute(
            sa.select(QueueTicket).filter_by(request_token=request_token, agency_id=agency.id)
        ).scalar_one_or_none()
        if found is not None:
            return found
    day = today(now)
    ticket = QueueTicket(agency_id=agency.id, day=day, number=_next_number(agency.id, day), field=field,
                         state=TicketState.WAITING, token=secrets.token_urlsafe(12), request_token=request_token,
                         taken_at=now, calls=0)
    db.session.add(ticket)
    db.session.flush()
    return ticket


def ticket_by_token(token: str) -> QueueTicket:
    ticket = db.session.execute(sa.select(QueueTicket).filter_by(token=str(token)[:24])).scalar_one_or_none()
    if ticket is None:
        raise NotFound(_("Không tìm thấy số thứ tự này."))
    return ticket


def people_ahead(ticket: QueueTicket) -> int:
    """Waiting tickets of the same desk, day and field taken before this one (0 once it is called)."""
    if ticket.state not in (TicketState.WAITING, TicketState.TRANSFERRED):
        return 0
    if ticket.state == TicketState.TRANSFERRED:
        cond = sa.and_(QueueTicket.state == TicketState.TRANSFERRED, QueueTicket.counter_id == ticket.counter_id)
    else:
        cond = sa.and_(QueueTicket.state == TicketState.WAITING, QueueTicket.field == ticket.field)
    return db.session.execute(
        sa.select(sa.func.count()).select_from(QueueTicket).where(
            QueueTicket.agency_id == ticket.agency_id, QueueTicket.day == ticket.day, QueueTicket.id < ticket.id,
            cond)
    ).scalar_one()


# -- the counter ---------------------------------------------------------------

def counter_for_clerk(counter_id: int, clerk: User) -> QueueCounter:
    """The counter, if the clerk works at its desk."""
    counter = db.session.get(QueueCounter, counter_id)
    if counter is None:
        raise NotFound(_("Không tìm thấy quầy."))
    if clerk.role != "clerk" or counter.agency_id != clerk.agency_id:
        raise PermissionDenied(_("Chỉ cán bộ tiếp nhận của bộ phận một cửa này được mở quầy."))
    if not counter.active:
        raise Conflict(_("Quầy %(n)s đang tạm ngừng.", n=counter.number), code="counter_inactive")
    return counter


def current_ticket(counter: QueueCounter) -> QueueTicket | None:
    return db.session.execute(
        sa.select(QueueTicket).where(QueueTicket.counter_id == counter.id, QueueTicket.state.in_(ACTIVE))
        .order_by(QueueTicket.last_called_at.desc()).limit(1)
    ).scalar_one_or_none()


def _serves(counter: QueueCounter):
    return sa.true() if not counter.fields else QueueTicket.field.in_(list(counter.fields))


def waiting_for(counter: QueueCounter, now: datetime | None = None) -> int:
    """How many tickets this counter may call now."""
    return db.session.execute(
        sa.select(sa.func.count()).select_from(QueueTicket).where(
            QueueTicket.agency_id == counter.agency_id, QueueTicket.day == today(now),
            sa.or_(sa.and_(QueueTicket.state == TicketState.TRANSFERRED, QueueTicket.counter_id == counter.id),
                   sa.and_(QueueTicket.state == TicketState.WAITING, _serves(counter))))
    ).scalar_one()


def call_next(counter: QueueCounter, clerk: User, now: datetime | None = None) -> QueueTicket | None:
    """Call the next ticket to the counter: one transferred to it first, else the oldest waiting one it serves."""
    now = now or utcnow()
    if current_ticket(counter) is not None:
        raise Conflict(_("Quầy đang có số được gọi hoặc đang phục vụ: hãy hoàn thành, bỏ qua hoặc chuyển quầy trước."),
                       code="counter_busy")
    day = today(now)
    base = sa.select(QueueTicket.id, QueueTicket.state).where(QueueTicket.agency_id == counter.agency_id,
                                                              QueueTicket.day == day)
    for _attempt in range(20):
        row = db.session.execute(
            base.where(QueueTicket.state == TicketState.TRANSFERRED, QueueTicket.counter_id == counter.id)
            .order_by(QueueTicket.id).limit(1)).first()
        if row is None:
            row = db.session.execute(
                base.where(QueueTicket.state == TicketState.WAITING, _serves(counter))
                .order_by(QueueTicket.id).limit(1)).first()
        if row is None:
            return None
        # Compare-and-swap: another counter calling the same ticket at once wins or loses cleanly.
        taken = db.session.execute(
            sa.update(QueueTicket).where(QueueTicket.id == row.id, QueueTicket.state == row.state)
            .values(state=TicketState.CALLED, counter_id=counter.id, clerk_id=clerk.id,
                    called_at=sa.func.coalesce(QueueTicket.called_at, sa.literal(now, UTCDateTime())),
                    last_called_at=now, calls=QueueTicket.calls + 1)
            .execution_options(synchronize_session=False)
        ).rowcount
        if taken:
            ticket = db.session.get(QueueTicket, row.id)
            db.session.refresh(ticket)
            return ticket
    return None


def _current_or_fail(counter: QueueCounter, states=ACTIVE) -> QueueTicket:
    ticket = current_ticket(counter)
    if ticket is None or ticket.state not in states:
        raise Conflict(_("Quầy chưa gọi số nào."), code="no_ticket")
    return ticket


def call_again(counter: QueueCounter, clerk: User, now: datetime | None = None) -> QueueTicket:
    """Announce the counter's called number again (the board chimes once more)."""
    ticket = _current_or_fail(counter, (TicketState.CALLED,))
    ticket.last_called_at = now or utcnow()
    ticket.calls += 1
    ticket.clerk_id = clerk.id
    db.session.flush()
    return ticket


def start(counter: QueueCounter, clerk: User, now: datetime | None = None) -> QueueTicket:
    """The citizen came to the counter: service starts."""
    ticket = _current_or_fail(counter, (TicketState.CALLED,))
    ticket.state = TicketState.SERVING
    ticket.started_at = now or utcnow()
    ticket.clerk_id = clerk.id
    db.session.flush()
    return ticket


def skip(counter: QueueCounter, clerk: User, now: datetime | None = None) -> QueueTicket:
    """The called citizen did not come."""
    ticket = _current_or_fail(counter, (TicketState.CALLED,))
    ticket.state = TicketState.SKIPPED
    ticket.done_at = now or utcnow()
    db.session.flush()
    return ticket


def transfer(counter: QueueCounter, clerk: User, to_counter_id: int, now: datetime | None = None) -> QueueTicket:
    """Send the counter's ticket to another counter of the desk; it is called there before anyone else."""
    ticket = _current_or_fail(counter)
    target = db.session.get(QueueCounter, to_counter_id) if to_counter_id else None
    if target is None or target.agency_id != counter.agency_id or not target.active or target.id == counter.id:
        raise ValidationError(_("Chọn một quầy khác đang hoạt động của bộ phận này."), field="to_counter")
    ticket.state = TicketState.TRANSFERRED
    ticket.counter_id = target.id
    ticket.clerk_id = None
    db.session.flush()
    return ticket


def finish(counter: QueueCounter, clerk: User, now: datetime | None = None) -> QueueTicket:
    """Service over: the counter's tablet now asks the citizen for a rating."""
    now = now or utcnow()
    ticket = _current_or_fail(counter)
    ticket.started_at = ticket.started_at or ticket.last_called_at or now
    ticket.state = TicketState.DONE
    ticket.done_at = now
    ticket.clerk_id = clerk.id
    db.session.flush()
    return ticket


def link_dossier(clerk: User, dossier: Dossier, now: datetime | None = None) -> QueueTicket | None:
    """Tie the number the clerk is serving today to the dossier they just received (first dossier wins)."""
    ticket = db.session.execute(
        sa.select(QueueTicket).where(QueueTicket.clerk_id == clerk.id, QueueTicket.day == today(now),
                                     QueueTicket.state.in_(ACTIVE), QueueTicket.dossier_id.is_(None))
        .order_by(QueueTicket.last_called_at.desc()).limit(1)
    ).scalar_one_or_none()
    if ticket is not None:
        ticket.dossier_id = dossier.id
        db.session.flush()
    return ticket


def ticket_of_dossier(dossier_id: int) -> QueueTicket | None:
    return db.session.execute(
        sa.select(QueueTicket).where(QueueTicket.dossier_id == dossier_id).order_by(QueueTicket.id).limit(1)
    ).scalar_one_or_none()


def minutes_between(start_at: datetime | None, end_at: datetime | None) -> float | None:
    if start_at is None or end_at is None:
        return None
    return round((end_at - start_at).total_seconds() / 60, 1)


# -- the board -----------------------------------------------------------------

def board_state(agency: Agency, now: datetime | None = None) -> dict:
    """What the hall's TV shows: the latest calls (no names, numbers only) and how many wait per field."""
    day = today(now)
    calls = db.session.execute(
        sa.select(QueueTicket.id, QueueTicket.number, QueueTicket.calls, QueueTicket.last_called_at,
                  QueueTicket.state, QueueCounter.number.label("counter"), QueueCounter.name.label("counter_name"))
        .join(QueueCounter, QueueCounter.id == QueueTicket.counter_id)
        .where(QueueTicket.agency_id == agency.id, QueueTicket.day == day, QueueTicket.state.in_(ACTIVE))
        .order_by(QueueTicket.last_called_at.desc()).limit(BOARD_CALLS)
    ).all()
    waiting = db.session.execute(
        sa.select(QueueTicket.field, sa.func.count()).where(
            QueueTicket.agency_id == agency.id, QueueTicket.day == day,
            QueueTicket.state.in_((TicketState.WAITING, TicketState.TRANSFERRED)))
        .group_by(QueueTicket.field).order_by(QueueTicket.field)
    ).all()
    return {
        "desk": agency.name,
        "calls": [{"call": f"{row.id}-{row.calls}", "number": row.number, "counter": row.counter,
                   "counter_name": row.counter_name, "state": str(row.state),
                   "at": local(row.last_called_at).strftime("%H:%M:%S")} for row in calls],
        "waiting": [{"field": field or _("Tất cả lĩnh vực"), "count": count} for field, count in waiting],
    }


def public_status(ticket: QueueTicket) -> dict:
    """The ticket's public page: its number, field, state and place in the queue; nothing personal."""
    counter = db.session.get(QueueCounter, ticket.counter_id) if ticket.counter_id else None
    return {"number": ticket.number, "field": ticket.field or _("Tất cả lĩnh vực"), "state": str(ticket.state),
            "state_label": ticket.state_label, "ahead": people_ahead(ticket),
            "counter": counter.number if counter and ticket.state in ACTIVE else None,
            "taken_at": local(ticket.taken_at).strftime("%H:%M %d/%m/%Y"),
            "day": ticket.day.strftime("%d/%m/%Y")}


# -- rating at the counter -----------------------------------------------------

def counter_by_key(counter_id: int, key: str | None) -> QueueCounter:
    counter = db.session.get(QueueCounter, counter_id)
    if counter is None or not key_matches(key, rating_key(counter)):
        raise NotFound(_("Không tìm thấy máy đánh giá của quầy này."))
    return counter


def rating_target(counter: QueueCounter, now: datetime | None = None) -> QueueTicket | None:
    """The counter's last finished ticket, if it is recent and not rated yet."""
    now = now or utcnow()
    rated = sa.select(CounterRating.id).where(CounterRating.ticket_id == QueueTicket.id).exists()
    return db.session.execute(
        sa.select(QueueTicket).where(
            QueueTicket.counter_id == counter.id, QueueTicket.state == TicketState.DONE,
            QueueTicket.done_at >= sa.literal(now - RATING_WINDOW, UTCDateTime()), ~rated)
        .order_by(QueueTicket.done_at.desc()).limit(1)
    ).scalar_one_or_none()


def rate(counter: QueueCounter, ticket_id: int, rating: str, *, asked_money: bool | None = None,
         came_again: bool | None = None, now: datetime | None = None) -> CounterRating:
    """Record the citizen's rating of the service just finished at this counter (once per ticket)."""
    value = Rating.parse(rating)
    if value is None:
        raise ValidationError(_("Hãy chọn một mức đánh giá."), field="rating")
    target = rating_target(counter, now)
    if target is None or target.id != ticket_id:
        raise Conflict(_("Lượt phục vụ này đã được đánh giá hoặc đã quá thời gian đánh giá."), code="not_ratable")
    entry = CounterRating(ticket_id=target.id, counter_id=counter.id, dossier_id=target.dossier_id, rating=value,
                          asked_money=asked_money, came_again=came_again, created_at=now or utcnow())
    try:
        with db.session.begin_nested():
            db.session.add(entry)
    except sa.exc.IntegrityError:
        raise Conflict(_("Lượt phục vụ này đã được đánh giá."), code="not_ratable") from None
    return entry


# -- counters (the admin page) -------------------------------------------------

def _counter_snapshot(counter: QueueCounter) -> dict:
    return {"agency": counter.agency.identifier if counter.agency else None, "number": counter.number,
            "name": counter.name, "fields": list(counter.fields or []), "active": counter.active}


def _clean_fields(fields) -> list[str]:
    cleaned: list[str] = []
    for name in fields or []:
        name = str(name).strip()[:FIELD_MAX]
        if name and name not in cleaned:
            cleaned.append(name)
    return cleaned


def save_counter(actor: User, *, agency: Agency, number: int, name: str, fields, active: bool = True,
                 counter: QueueCounter | None = None) -> QueueCounter:
    """Create or change a counter of a desk (audited); numbers are unique per desk."""
    from .models import DESK_KINDS

    if agency.kind not in DESK_KINDS:
        raise ValidationError(_("Chỉ bộ phận một cửa mới có quầy."), field="agency")
    if not isinstance(number, int) or not 1 <= number <= 999:
        raise ValidationError(_("Số quầy từ 1 đến 999."), field="number")
    name = (name or "").strip()[:200]
    if not name:
        raise ValidationError(_("Hãy nhập tên quầy."), field="name")
    clash = db.session.execute(
        sa.select(QueueCounter.id).where(QueueCounter.agency_id == agency.id, QueueCounter.number == number,
                                         QueueCounter.id != (counter.id if counter else -1))
    ).first()
    if clash:
        raise ValidationError(_("Bộ phận này đã có quầy số %(n)s.", n=number), field="number")
    before = _counter_snapshot(counter) if counter else None
    if counter is None:
        counter = QueueCounter(agency_id=agency.id)
        db.session.add(counter)
    counter.agency = agency
    counter.number, counter.name, counter.fields, counter.active = number, name, _clean_fields(fields), bool(active)
    db.session.flush()
    audit.record("queue.counter_saved" if before else "queue.counter_created", actor=actor, target=counter,
                 target_type="queue_counter", target_id=counter.id,
                 details={"before": before, "after": _counter_snapshot(counter)})
    return counter


# -- figures -------------------------------------------------------------------

@dataclass(frozen=True)
class FigureRow:
    key: str
    tickets: int
    served: int
    skipped: int
    avg_wait: float | None
    max_wait: float | None
    avg_serve: float | None
    ratings: int = 0
    satisfied: int = 0

    @property
    def satisfied_rate(self) -> float | None:
        """Share of the counter ratings that were "Rất hài lòng" or "Hài lòng", in per cent (None: no rating).

        The counter's own figure: the service at the counter, rated on its tablet. It is not the per-dossier
        rating after the result is returned that the satisfaction indicators (and Decision 766) count.
        """
        return None if not self.ratings else round(100.0 * self.satisfied / self.ratings, 1)


GROUPINGS = ("desk", "counter", "field", "hour")


def _seconds(later, earlier, dialect: str):
    if dialect == "postgresql":
        return sa.extract("epoch", later - earlier)
    return (sa.func.julianday(later) - sa.func.julianday(earlier)) * 86400.0


def _local_hour(column, dialect: str):
    if dialect == "postgresql":
        tz = str(zone().key)
        return sa.cast(sa.extract("hour", sa.func.timezone(tz, sa.func.timezone("UTC", column))), sa.Integer)
    offset = int(local(utcnow()).utcoffset().total_seconds())
    return sa.cast(sa.func.strftime("%H", column, f"{offset:+d} seconds"), sa.Integer)


def figures(agency_ids: list[int] | None, first: date, last: date, by: str = "desk") -> list[FigureRow]:
    """Waiting and serving minutes of the tickets of those desks and days, grouped in SQL."""
    if by not in GROUPINGS:
        raise ValidationError(_("Cách nhóm không hợp lệ."), field="by")
    dialect = db.session.get_bind().dialect.name
    wait = _seconds(QueueTicket.called_at, QueueTicket.taken_at, dialect) / 60.0
    serve = sa.case((QueueTicket.state == TicketState.DONE,
                     _seconds(QueueTicket.done_at, QueueTicket.started_at, dialect) / 60.0))
    if by == "desk":
        key = Agency.name
    elif by == "counter":
        key = sa.func.coalesce(Agency.name, "") + " · " + _("Quầy") + " " + sa.cast(QueueCounter.number, sa.String)
    elif by == "field":
        key = QueueTicket.field
    else:
        key = _local_hour(QueueTicket.taken_at, dialect)
    ratings = (sa.select(CounterRating.ticket_id, CounterRating.rating).subquery())
    query = (
        sa.select(key.label("key"), sa.func.count(QueueTicket.id), sa.func.count(QueueTicket.done_at).filter(
            QueueTicket.state == TicketState.DONE),
            sa.func.count(QueueTicket.id).filter(QueueTicket.state == TicketState.SKIPPED),
            sa.func.avg(wait), sa.func.max(wait), sa.func.avg(serve),
            sa.func.count(ratings.c.ticket_id),
            sa.func.count(ratings.c.ticket_id).filter(ratings.c.rating.in_(
                [Rating.VERY_SATISFIED.value, Rating.SATISFIED.value])))
        .select_from(QueueTicket)
        .join(Agency, Agency.id == QueueTicket.agency_id)
        .outerjoin(QueueCounter, QueueCounter.id == QueueTicket.counter_id)
        .outerjoin(ratings, ratings.c.ticket_id == QueueTicket.id)
        .where(QueueTicket.day.between(first, last))
        .group_by(key).order_by(key)
    )
    if by == "counter":
        query = query.where(QueueTicket.counter_id.is_not(None))
    if agency_ids is not None:
        query = query.where(QueueTicket.agency_id.in_(agency_ids))

    def _r(value):
        return None if value is None else round(float(value), 1)

    rows = []
    for k, tickets, served, skipped, avg_wait, max_wait, avg_serve, n_ratings, satisfied in db.session.execute(query):
        label = (f"{int(k):02d}:00–{int(k):02d}:59" if by == "hour" else (k or _("Tất cả lĩnh vực")))
        rows.append(FigureRow(label, tickets, served, skipped, _r(avg_wait), _r(max_wait), _r(avg_serve),
                              n_ratings, satisfied))
    return rows
