"""Broker ("cò mồi") signals: leads for a leader or an inspector to look at, never verdicts.

Every signal is one GROUP BY over the dossiers (or notices, or ratings) of a window of time, with the
province's thresholds (`integrity_*` settings): the rows stay in the database, only the groups that
pass the threshold come back (at most LIMIT of them). Nothing here acts against a citizen: a lead is
listed, its dossiers can be opened, and a reviewer notes that it was looked at (audited).

Also here: the desk's confirmation that the contact on a dossier is the applicant's own (a one-time
code, onestop/otp.py), how many other applicants share a dossier's contact, and the PAKN opened for
the inspection staff when a citizen answers that someone asked for money.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask_babel import force_locale
from flask_babel import gettext as _

from . import audit, otp, pakn, settings
from .agencies import subtree_ids
from .errors import PermissionDenied, ValidationError
from .extensions import db
from .models import (
    Agency,
    CounterRating,
    Dossier,
    Feedback,
    LeadReview,
    OnlineDraft,
    OutboxMessage,
    Pakn,
    Procedure,
    QueueCounter,
    User,
    UTCDateTime,
)
from .status import LeadKind, PaknKind
from .timeutil import now as utcnow

#: who may see the leads: leaders (dossiers received or held by their agency and the units below it) and
#: the province's inspection staff (all)
LEAD_ROLES = ("leader", "inspector")
LIMIT = 200
DOSSIERS_LIMIT = 500
NOTE_MAX = 2000
CONTACT_PURPOSE = "desk_contact"


@dataclass
class Window:
    """The dossiers' time window [start, end) and the agencies they were received by (None: all)."""

    start: datetime
    end: datetime
    agency_ids: list[int] | None = None


@dataclass
class Lead:
    kind: LeadKind
    key: str
    applicants: int
    dossiers: int
    first_at: datetime | None
    last_at: datetime | None
    confirmed: int = 0
    label: str = ""
    review: dict | None = None
    extra: dict = field(default_factory=dict)

    @property
    def kind_label(self) -> str:
        return self.kind.label


def may_see(user: User | None) -> bool:
    return bool(user is not None and getattr(user, "active", False) and user.role in LEAD_ROLES)


def window_for(user: User, *, days: int | None = None, now: datetime | None = None) -> Window:
    """The last `days` (the setting by default) up to now, over what the user may see."""
    if not may_see(user):
        raise PermissionDenied(_("Chỉ lãnh đạo và cán bộ thanh tra được xem các dấu hiệu này."))
    now = now or utcnow()
    days = days or settings.get("integrity_window_days")
    ids = None if user.role == "inspector" else subtree_ids(user.agency_id)
    return Window(now - timedelta(days=days), now, ids)


def _at(value: datetime):
    return sa.literal(value, UTCDateTime())


def _applicant():
    """Who the dossier is for: the ID number, else the name (a family's members have their own numbers)."""
    return sa.func.coalesce(sa.func.nullif(Dossier.applicant_id_number, ""), Dossier.applicant_name)


def _scope(window: Window):
    """The dossiers received by, or now held by, one of the window's agencies."""
    if window.agency_ids is None:
        return sa.true()
    ids = sorted(window.agency_ids)
    return sa.or_(Dossier.receiving_agency_id.in_(ids), Dossier.current_agency_id.in_(ids))


def _received(window: Window):
    return sa.and_(Dossier.received_at >= _at(window.start), Dossier.received_at < _at(window.end), _scope(window))


def _contact_column(kind: LeadKind):
    return Dossier.applicant_phone if kind == LeadKind.SHARED_PHONE else Dossier.applicant_email


def _collector():
    """The person who collected a result for someone else: their ID number, else their name."""
    return sa.func.coalesce(sa.func.nullif(Dossier.collected_id_number, ""), Dossier.collected_by)


def _collected_for_other():
    same_id = sa.and_(Dossier.collected_id_number.is_not(None), Dossier.applicant_id_number.is_not(None),
                      Dossier.collected_id_number == Dossier.applicant_id_number)
    same_name = sa.and_(sa.or_(Dossier.collected_id_number.is_(None), Dossier.collected_id_number == ""),
                        Dossier.collected_by == Dossier.applicant_name)
    return sa.and_(Dossier.collected_by.is_not(None), Dossier.collected_by != "", sa.not_(same_id),
                   sa.not_(same_name))


def _returned(window: Window):
    return sa.and_(Dossier.returned_at >= _at(window.start), Dossier.returned_at < _at(window.end), _scope(window))


def _notice(window: Window):
    return sa.and_(OutboxMessage.channel == "email", OutboxMessage.dossier_id.is_not(None),
                   OutboxMessage.recipient.is_not(None),
                   OutboxMessage.created_at >= _at(window.start), OutboxMessage.created_at < _at(window.end))


def _answers(window: Window, column_name: str):
    """(agency id, dossier id) of every rating in the window that answered yes (the rating form and the
    counter's tablet): one UNION ALL, grouped by the caller."""
    on_form = (sa.select(Dossier.receiving_agency_id.label("agency_id"), Feedback.dossier_id.label("dossier_id"))
               .join(Dossier, Dossier.id == Feedback.dossier_id)
               .where(getattr(Feedback, column_name).is_(True), Feedback.created_at >= _at(window.start),
                      Feedback.created_at < _at(window.end), _scope(window)))
    counter_scope = sa.true() if window.agency_ids is None else QueueCounter.agency_id.in_(sorted(window.agency_ids))
    on_tablet = (sa.select(QueueCounter.agency_id.label("agency_id"), CounterRating.dossier_id.label("dossier_id"))
                 .join(QueueCounter, QueueCounter.id == CounterRating.counter_id)
                 .where(getattr(CounterRating, column_name).is_(True), CounterRating.created_at >= _at(window.start),
                        CounterRating.created_at < _at(window.end), counter_scope))
    return sa.union_all(on_form, on_tablet).subquery("answers")


def _shared_contact(window: Window, kind: LeadKind, threshold: int) -> list[Lead]:
    column = _contact_column(kind)
    stmt = (sa.select(column, sa.func.count(sa.distinct(_applicant())), sa.func.count(),
                      sa.func.min(Dossier.received_at), sa.func.max(Dossier.received_at),
                      sa.func.sum(sa.case((Dossier.contact_confirmed == column, 1), else_=0)))
            .where(_received(window), column.is_not(None), column != "")
            .group_by(column).having(sa.func.count(sa.distinct(_applicant())) >= threshold)
            .order_by(sa.func.count(sa.distinct(_applicant())).desc(), column).limit(LIMIT))
    return [Lead(kind, key, int(n), int(d), _utc(a), _utc(b), confirmed=int(c or 0), label=key)
            for key, n, d, a, b, c in db.session.execute(stmt)]


def _online_contacts(window: Window, threshold: int) -> list[Lead]:
    """The contact an online submission was made from (proved with a code in the draft): the submitter."""
    stmt = (sa.select(OnlineDraft.contact, sa.func.count(sa.distinct(_applicant())),
                      sa.func.count(sa.distinct(Dossier.id)), sa.func.min(Dossier.received_at),
                      sa.func.max(Dossier.received_at))
            .join(Dossier, Dossier.id == OnlineDraft.dossier_id)
            .where(_received(window), OnlineDraft.contact.is_not(None), OnlineDraft.contact != "")
            .group_by(OnlineDraft.contact).having(sa.func.count(sa.distinct(_applicant())) >= threshold)
            .order_by(sa.func.count(sa.distinct(_applicant())).desc(), OnlineDraft.contact).limit(LIMIT))
    return [Lead(LeadKind.ONLINE_CONTACT, key, int(n), int(d), _utc(a), _utc(b), label=key)
            for key, n, d, a, b in db.session.execute(stmt)]


def _collectors(window: Window, threshold: int) -> list[Lead]:
    who = _collector()
    stmt = (sa.select(who, sa.func.max(Dossier.collected_by), sa.func.count(sa.distinct(_applicant())),
                      sa.func.count(), sa.func.min(Dossier.returned_at), sa.func.max(Dossier.returned_at))
            .where(_returned(window), _collected_for_other())
            .group_by(who).having(sa.func.count(sa.distinct(_applicant())) >= threshold)
            .order_by(sa.func.count(sa.distinct(_applicant())).desc(), who).limit(LIMIT))
    return [Lead(LeadKind.COLLECTOR, key, int(n), int(d), _utc(a), _utc(b), label=f"{name} ({key})"
                 if name and name != key else key)
            for key, name, n, d, a, b in db.session.execute(stmt)]


def _notice_contacts(window: Window, threshold: int) -> list[Lead]:
    stmt = (sa.select(OutboxMessage.recipient, sa.func.count(sa.distinct(_applicant())),
                      sa.func.count(sa.distinct(Dossier.id)), sa.func.min(OutboxMessage.created_at),
                      sa.func.max(OutboxMessage.created_at))
            .join(Dossier, Dossier.id == OutboxMessage.dossier_id)
            .where(_notice(window), _scope(window))
            .group_by(OutboxMessage.recipient).having(sa.func.count(sa.distinct(_applicant())) >= threshold)
            .order_by(sa.func.count(sa.distinct(_applicant())).desc(), OutboxMessage.recipient).limit(LIMIT))
    return [Lead(LeadKind.NOTICE_CONTACT, key, int(n), int(d), _utc(a), _utc(b), label=key)
            for key, n, d, a, b in db.session.execute(stmt)]


def _answered_yes(window: Window, kind: LeadKind, threshold: int) -> list[Lead]:
    answers = _answers(window, "asked_money" if kind == LeadKind.MONEY_ASKED else "came_again")
    stmt = (sa.select(Agency.identifier, Agency.name, sa.func.count(), sa.func.count(sa.distinct(answers.c.dossier_id)))
            .select_from(answers).join(Agency, Agency.id == answers.c.agency_id)
            .group_by(Agency.identifier, Agency.name).having(sa.func.count() >= threshold)
            .order_by(sa.func.count().desc(), Agency.identifier).limit(LIMIT))
    return [Lead(kind, key, int(n), int(d), None, None, label=name, extra={"answers": int(n)})
            for key, name, n, d in db.session.execute(stmt)]


def _utc(value):
    return UTCDateTime().process_result_value(value, None) if value is not None else None


def leads(window: Window) -> list[Lead]:
    """Every lead of the window, with the last review of each (a handful of grouped queries)."""
    applicants = settings.get("integrity_min_applicants")
    out = [
        *_shared_contact(window, LeadKind.SHARED_PHONE, applicants),
        *_shared_contact(window, LeadKind.SHARED_EMAIL, applicants),
        *_online_contacts(window, applicants),
        *_collectors(window, settings.get("integrity_min_collections")),
        *_notice_contacts(window, applicants),
        *_answered_yes(window, LeadKind.MONEY_ASKED, settings.get("integrity_min_reports")),
        *_answered_yes(window, LeadKind.CAME_AGAIN, settings.get("integrity_min_reports")),
    ]
    reviews = last_reviews([(lead.kind, lead.key) for lead in out])
    for lead in out:
        lead.review = reviews.get((str(lead.kind), lead.key))
    return out


def last_reviews(pairs) -> dict[tuple[str, str], dict]:
    """The last review of each (kind, key): one query over the keys shown."""
    keys = sorted({key for _kind, key in pairs})
    if not keys:
        return {}
    latest = (sa.select(sa.func.max(LeadReview.id)).where(LeadReview.key.in_(keys))
              .group_by(LeadReview.kind, LeadReview.key))
    rows = db.session.execute(
        sa.select(LeadReview.kind, LeadReview.key, LeadReview.note, LeadReview.reviewed_at, User.full_name)
        .join(User, User.id == LeadReview.reviewed_by_id).where(LeadReview.id.in_(latest))).all()
    return {(kind, key): {"note": note, "at": _utc(at), "by": name} for kind, key, note, at, name in rows}


def lead_dossiers(window: Window, kind, key: str) -> list[dict]:
    """The dossiers behind one lead (newest first, at most DOSSIERS_LIMIT)."""
    kind = LeadKind.parse(kind)
    if kind is None or not key:
        return []
    base = sa.select(Dossier.code, Dossier.applicant_name, Dossier.applicant_phone, Dossier.applicant_email,
                     Dossier.received_at, Dossier.returned_at, Dossier.status, Dossier.collected_by,
                     Dossier.contact_confirmed, Procedure.name, Agency.name)
    base = base.join(Procedure, Procedure.id == Dossier.procedure_id).join(Agency,
                                                                             Agency.id == Dossier.receiving_agency_id)
    if kind in (LeadKind.SHARED_PHONE, LeadKind.SHARED_EMAIL):
        stmt = base.where(_contact_column(kind) == key, _received(window))
    elif kind == LeadKind.ONLINE_CONTACT:
        drafts = sa.select(OnlineDraft.dossier_id).where(OnlineDraft.contact == key,
                                                         OnlineDraft.dossier_id.is_not(None))
        stmt = base.where(Dossier.id.in_(drafts), _received(window))
    elif kind == LeadKind.COLLECTOR:
        stmt = base.where(_collector() == key, _returned(window), _collected_for_other())
    elif kind == LeadKind.NOTICE_CONTACT:
        sent = sa.select(OutboxMessage.dossier_id).where(_notice(window), OutboxMessage.recipient == key)
        stmt = base.where(Dossier.id.in_(sent), _scope(window))
    else:
        answers = _answers(window, "asked_money" if kind == LeadKind.MONEY_ASKED else "came_again")
        agency = sa.select(Agency.id).where(Agency.identifier == key).scalar_subquery()
        ids = sa.select(answers.c.dossier_id).where(answers.c.agency_id == agency, answers.c.dossier_id.is_not(None))
        stmt = base.where(Dossier.id.in_(ids))
    rows = db.session.execute(stmt.order_by(Dossier.received_at.desc(), Dossier.id.desc()).limit(DOSSIERS_LIMIT))
    out = [{"code": code, "applicant": name, "phone": phone, "email": email, "received_at": _utc(received),
            "returned_at": _utc(returned), "status": status, "collected_by": collected_by,
            "confirmed": bool(confirmed) and confirmed in (phone, email), "procedure": proc, "agency": agency,
            "pakn": None}
           for code, name, phone, email, received, returned, status, collected_by, confirmed, proc, agency in rows]
    if kind == LeadKind.MONEY_ASKED and out:
        # The PAKN each "yes" opened for the inspection staff, beside its dossier.
        opened = dict(db.session.execute(
            sa.select(Dossier.code, Pakn.code).join(Feedback, Feedback.dossier_id == Dossier.id)
            .join(Pakn, Pakn.id == Feedback.pakn_id).where(Dossier.code.in_([d["code"] for d in out]))).all())
        for d in out:
            d["pakn"] = opened.get(d["code"])
    return out


def review(actor: User, kind, key: str, note: str, *, now: datetime | None = None) -> LeadReview:
    """Note that a lead was looked at (what was found, what was done); audited. Flushes."""
    if not may_see(actor):
        raise PermissionDenied(_("Chỉ lãnh đạo và cán bộ thanh tra được ghi nhận việc xem xét."))
    kind = LeadKind.parse(kind)
    key = (key or "").strip()[:255]
    if kind is None or not key:
        raise ValidationError(_("Không rõ dấu hiệu cần ghi nhận."), field="key")
    note = (note or "").strip()
    if len(note) < 5:
        raise ValidationError(_("Hãy ghi rõ kết quả xem xét (ít nhất 5 ký tự)."), field="note")
    if len(note) > NOTE_MAX:
        raise ValidationError(_("Ghi chú dài quá %(n)s ký tự.", n=NOTE_MAX), field="note")
    row = LeadReview(kind=str(kind), key=key, note=note, reviewed_at=now or utcnow(), reviewed_by_id=actor.id)
    db.session.add(row)
    db.session.flush()
    audit.record("integrity.review", actor=actor, target_type="lead", target_id=f"{kind}:{key}"[:80],
                 details={"kind": str(kind), "key": key, "note": note})
    return row


# -- the applicant's own contact ---------------------------------------------------------------

def contacts_of(dossier: Dossier) -> list[str]:
    return [c for c in (dossier.applicant_phone, dossier.applicant_email) if c]


def send_contact_code(dossier: Dossier, contact: str, *, actor: User, now: datetime | None = None) -> otp.Issued:
    """Send a one-time code to the dossier's phone or email, for the desk to type back. Flushes."""
    if contact not in contacts_of(dossier):
        raise ValidationError(_("Chỉ gửi mã tới số điện thoại hoặc email ghi trên hồ sơ."), field="contact")
    issued = otp.issue(contact, CONTACT_PURPOSE, now=now, dossier_id=dossier.id)
    audit.record("dossier.contact_code", actor=actor, target=dossier, details={"contact": otp.masked(issued.contact)})
    return issued


def confirm_contact(dossier: Dossier, contact: str, code: str, *, actor: User, now: datetime | None = None) -> str:
    """Check the code the applicant read out and mark the contact as the applicant's own. Flushes."""
    if contact not in contacts_of(dossier):
        raise ValidationError(_("Chỉ xác nhận số điện thoại hoặc email ghi trên hồ sơ."), field="contact")
    otp.check(contact, CONTACT_PURPOSE, code, now=now)
    dossier.contact_confirmed = contact
    dossier.contact_confirmed_at = now or utcnow()
    db.session.flush()
    audit.record("dossier.contact_confirmed", actor=actor, target=dossier, details={"contact": otp.masked(contact)})
    return contact


def contact_sharing(dossier: Dossier, *, now: datetime | None = None) -> dict[str, int]:
    """How many other applicants used this dossier's phone or email within the window (indexed lookups)."""
    now = now or utcnow()
    since = now - timedelta(days=settings.get("integrity_window_days"))
    me = sa.func.coalesce(sa.func.nullif(dossier.applicant_id_number or "", ""), dossier.applicant_name)
    out = {}
    for name, column, value in (("phone", Dossier.applicant_phone, dossier.applicant_phone),
                                ("email", Dossier.applicant_email, dossier.applicant_email)):
        if not value:
            continue
        out[name] = int(db.session.execute(
            sa.select(sa.func.count(sa.distinct(_applicant())))
            .where(column == value, Dossier.received_at >= _at(since), _applicant() != me)).scalar_one())
    return out


# -- the citizen's answers on the rating form --------------------------------------------------

def inspection_agency() -> Agency | None:
    """Where a citizen's report goes: the agency of the inspection staff, else the province itself."""
    staffed = db.session.execute(
        sa.select(Agency).join(User, User.agency_id == Agency.id)
        .where(User.role == "inspector", User.active.is_(True), Agency.active.is_(True))
        .order_by(Agency.identifier).limit(1)).scalar_one_or_none()
    if staffed is not None:
        return staffed
    return db.session.execute(
        sa.select(Agency).where(Agency.parent_id.is_(None), Agency.active.is_(True))
        .order_by((Agency.kind != "province"), Agency.identifier).limit(1)).scalar_one_or_none()


def report_money(dossier: Dossier, feedback: Feedback, *, now: datetime | None = None) -> Pakn | None:
    """A citizen answered that someone asked for money or offered to speed the dossier up: an anonymous
    PAKN for the inspection staff, kept on the rating (not on the dossier, so the desk does not see it)."""
    comment = feedback.comment
    agency = inspection_agency()
    if agency is None:
        return None
    receiving = db.session.get(Agency, dossier.receiving_agency_id)
    with force_locale("vi"):  # the PAKN is read by the province's staff, whatever the citizen's language
        content = _("Qua phiếu đánh giá hồ sơ %(code)s (%(procedure)s, tiếp nhận tại %(desk)s), người dân cho biết "
                    "có người đòi tiền hoặc gợi ý làm nhanh hồ sơ.", code=dossier.code,
                    procedure=dossier.procedure.name, desk=receiving.name if receiving else "")
        if comment:
            content += " " + _("Góp ý của người dân: %(comment)s", comment=comment)
    item = pakn.file(kind=PaknKind.COMPLAINT, agency=agency, content=content[:pakn.CONTENT_MAX], anonymous=True,
                     now=now)
    feedback.pakn = item
    db.session.flush()
    return item
