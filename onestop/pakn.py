"""Citizens' complaints and recommendations (phản ánh, kiến nghị, PAKN): the one home of their rules.

A citizen files a PAKN about a dossier (with its lookup key) or about a desk (anonymously if they
wish); it gets a code, a key and a deadline (the province's `pakn_answer_days`, working days).
Staff of the agency concerned, or leaders of an agency above it, answer it once; the citizen sees
the answer with code + key and rates it once. The sweep flags an unanswered PAKN past its deadline
once (`flag_overdue`) and queues a notice to the agency. Nothing here commits.
"""
from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask_babel import gettext as _

from . import audit, codes, deadlines
from .calendar import get_calendar
from .errors import Conflict, NotFound, PermissionDenied, ValidationError
from .extensions import db
from .models import Agency, AuditLog, Dossier, OutboxMessage, Pakn, User
from .status import PaknKind, PaknStatus, Rating
from .timeutil import local
from .timeutil import now as utcnow

CONTENT_MIN, CONTENT_MAX = 10, 4000
ANSWER_MAX = 8000
# Inspectors answer what lands at their agency: the citizens' reports of money asked (onestop/integrity.py).
ANSWER_ROLES = ("clerk", "specialist", "leader", "inspector")


def _clean(value: str | None, limit: int) -> str | None:
    value = (value or "").strip()
    return value[:limit] or None


# -- a form sent twice (a double click, Back and send again, a retry) files one PAKN -----------------

FORM_KEEP = timedelta(hours=24)


def _form_digest(form_token: str) -> str:
    return hashlib.sha256(form_token.encode("utf-8", "surrogatepass")).hexdigest()[:40]


def filed_with(form_token: str | None, now: datetime | None = None) -> Pakn | None:
    """The PAKN already filed from the form carrying this one-time token (within FORM_KEEP), if any.

    On PostgreSQL a transaction-scoped advisory lock on the token serialises two requests sent at the
    same moment: the second waits for the first to commit, then finds its PAKN here; on SQLite an
    empty write takes the database's write lock for the same effect. The token's digest is kept in the
    "pakn.file" audit row written with the PAKN.
    """
    if not form_token:
        return None
    now = now or utcnow()
    digest = _form_digest(form_token)
    dialect = db.session.get_bind().dialect.name
    if dialect == "postgresql":
        db.session.execute(sa.select(sa.func.pg_advisory_xact_lock(int(digest[:15], 16))))
    elif dialect == "sqlite":
        # A write statement (even one that changes nothing) takes SQLite's single write lock now, before the
        # read: a second request waits here for the first to commit, then finds its PAKN.
        db.session.execute(sa.text("UPDATE pakn SET id = id WHERE 0 = 1"))
    code = db.session.execute(
        sa.select(AuditLog.target_id).where(
            AuditLog.action == "pakn.file", AuditLog.at >= sa.literal(now - FORM_KEEP, AuditLog.at.type),
            AuditLog.details["form"].as_string() == digest)
        .order_by(AuditLog.id).limit(1)).scalar_one_or_none()
    if code is None:
        return None
    return db.session.execute(sa.select(Pakn).where(Pakn.code == code)).scalar_one_or_none()


def file(*, kind, agency: Agency, content: str, dossier: Dossier | None = None, contact_name: str | None = None,
         contact_phone: str | None = None, contact_email: str | None = None, anonymous: bool = False,
         now: datetime | None = None, form_token: str | None = None) -> Pakn:
    """Record a citizen's PAKN about `agency` (and `dossier`); flushed, with its code, key and deadline.

    With `form_token` (the form's one-time token), the PAKN already filed from that form is returned
    instead of a second one (`filed_with`).
    """
    now = now or utcnow()
    earlier = filed_with(form_token, now)
    if earlier is not None:
        return earlier
    kind = PaknKind.parse(kind)
    if kind is None:
        raise ValidationError(_("Chọn phản ánh hoặc kiến nghị."), field="kind")
    if agency is None or not agency.active:
        raise ValidationError(_("Chọn cơ quan, đơn vị được phản ánh, kiến nghị."), field="agency")
    content = (content or "").strip()
    if len(content) < CONTENT_MIN:
        raise ValidationError(_("Nội dung phản ánh, kiến nghị cần ít nhất %(n)s ký tự.", n=CONTENT_MIN),
                              field="content")
    if len(content) > CONTENT_MAX:
        raise ValidationError(_("Nội dung phản ánh, kiến nghị dài quá %(n)s ký tự.", n=CONTENT_MAX),
                              field="content")
    if anonymous:
        contact_name = contact_phone = contact_email = None
    item = Pakn(
        code=f"TMP-{secrets.token_hex(8)}", kind=kind, status=PaknStatus.OPEN, agency_id=agency.id,
        dossier_id=dossier.id if dossier is not None else None, content=content,
        contact_name=_clean(contact_name, 120), contact_phone=_clean(contact_phone, 20),
        contact_email=_clean(contact_email, 120), anonymous=bool(anonymous), key=codes.new_lookup_key(),
        created_at=now, due_at=deadlines.pakn_answer_due(get_calendar(), now),
    )
    db.session.add(item)
    db.session.flush()
    # Its own sequence: the row's id, gap-free enough and never reused; the year is the local year filed.
    item.code = format_code(local(now).year, item.id)
    db.session.flush()
    audit.record("pakn.file", target=item, actor_name="citizen",
                 details={"kind": str(kind), "agency": agency.identifier,
                          "dossier": dossier.code if dossier is not None else None,
                          **({"form": _form_digest(form_token)} if form_token else {})})
    return item


def format_code(year: int, number: int) -> str:
    return f"PAKN-{year}-{number:06d}"


def find(code: str, key: str) -> Pakn | None:
    """The PAKN with this code if the key matches (None otherwise: someone else's key sees nothing)."""
    code, key = (code or "").strip().upper(), (key or "").strip().upper()
    if not code or not key:
        return None
    item = db.session.execute(sa.select(Pakn).where(Pakn.code == code)).scalar_one_or_none()
    if item is None or not secrets.compare_digest(item.key.encode(), key.encode()):
        return None
    return item


def _ancestor_ids(agency_id: int) -> list[int]:
    """The agency and every agency above it (one recursive query)."""
    up = sa.select(Agency.id, Agency.parent_id).where(Agency.id == agency_id).cte("up", recursive=True)
    up = up.union_all(sa.select(Agency.id, Agency.parent_id).where(Agency.id == up.c.parent_id))
    return list(db.session.execute(sa.select(up.c.id)).scalars())


def may_answer(user: User | None, item: Pakn) -> bool:
    """Staff of the agency concerned, or leaders of an agency above it."""
    if user is None or not getattr(user, "active", False) or user.role not in ANSWER_ROLES or not user.agency_id:
        return False
    if user.agency_id == item.agency_id:
        return True
    return user.role == "leader" and user.agency_id in _ancestor_ids(item.agency_id)


def may_view(user: User | None, item: Pakn) -> bool:
    if user is not None and getattr(user, "active", False) and user.role == "admin":
        return True
    return may_answer(user, item)


def visible_clause(user: User):
    """SQL condition on Pakn: what `user` may see (mirrors may_view): own agency; leaders the agencies below."""
    if user.role == "admin":
        return sa.true()
    if not user.agency_id:
        return sa.false()
    if user.role == "leader":
        below = sa.select(Agency.id).where(Agency.id == user.agency_id).cte("below", recursive=True)
        below = below.union_all(sa.select(Agency.id).where(Agency.parent_id == below.c.id))
        return Pakn.agency_id.in_(sa.select(below.c.id))
    return Pakn.agency_id == user.agency_id


def answer(item: Pakn, user: User, text: str, *, now: datetime | None = None) -> Pakn:
    """The agency's answer, once; audited."""
    now = now or utcnow()
    if not may_answer(user, item):
        raise PermissionDenied(_("Chỉ cán bộ của cơ quan được phản ánh, kiến nghị (hoặc lãnh đạo cấp trên) "
                                 "được trả lời."))
    if item.status != PaknStatus.OPEN:
        raise Conflict(_("Phản ánh, kiến nghị này đã được trả lời."), code="pakn_answered")
    text = (text or "").strip()
    if len(text) < CONTENT_MIN:
        raise ValidationError(_("Nội dung trả lời cần ít nhất %(n)s ký tự.", n=CONTENT_MIN), field="answer")
    if len(text) > ANSWER_MAX:
        raise ValidationError(_("Nội dung trả lời dài quá %(n)s ký tự.", n=ANSWER_MAX), field="answer")
    # One statement guarded on the status: a double submit or a colleague's answer at the same moment loses.
    done = db.session.execute(
        sa.update(Pakn).where(Pakn.id == item.id, Pakn.status == PaknStatus.OPEN)
        .values(status=PaknStatus.ANSWERED, answer=text, answered_at=now, answered_by_id=user.id)
        .execution_options(synchronize_session=False)).rowcount
    if not done:
        raise Conflict(_("Phản ánh, kiến nghị này đã được trả lời."), code="pakn_answered")
    db.session.refresh(item)
    audit.record("pakn.answer", actor=user, target=item, details={"late": now > item.due_at})
    return item


def rate(item: Pakn, rating, *, now: datetime | None = None) -> Pakn:
    """The citizen's rating of the answer, once."""
    now = now or utcnow()
    rating = Rating.parse(rating)
    if rating is None:
        raise ValidationError(_("Chọn mức độ hài lòng."), field="rating")
    if item.status == PaknStatus.OPEN or item.answered_at is None:
        raise Conflict(_("Phản ánh, kiến nghị chưa được trả lời: chưa thể đánh giá."), code="pakn_not_answered")
    done = db.session.execute(
        sa.update(Pakn).where(Pakn.id == item.id, Pakn.rating.is_(None))
        .values(rating=rating, rated_at=now).execution_options(synchronize_session=False)).rowcount
    if not done:
        raise Conflict(_("Bạn đã đánh giá câu trả lời này."), code="pakn_rated")
    db.session.refresh(item)
    return item


def get_visible(code: str, user: User) -> Pakn:
    item = db.session.execute(sa.select(Pakn).where(Pakn.code == (code or "").upper())).scalar_one_or_none()
    if item is None or not may_view(user, item):
        raise NotFound(_("Không tìm thấy phản ánh, kiến nghị."))
    return item


def counts(user: User, now: datetime | None = None) -> dict:
    """Open, overdue (open past the deadline), answered, for what the user sees (one grouped query)."""
    now = now or utcnow()
    row = db.session.execute(sa.select(
        sa.func.count().filter(Pakn.status == PaknStatus.OPEN),
        sa.func.count().filter(Pakn.status == PaknStatus.OPEN, Pakn.due_at < now),
        sa.func.count().filter(Pakn.status != PaknStatus.OPEN),
    ).where(visible_clause(user))).one()
    return {"open": row[0], "overdue": row[1], "answered": row[2]}


def for_dossier(dossier_id: int) -> list[Pakn]:
    return list(db.session.execute(
        sa.select(Pakn).where(Pakn.dossier_id == dossier_id).order_by(Pakn.id.desc()).limit(50)).scalars())


def flag_overdue(now: datetime) -> int:
    """The sweep: mark every open PAKN past its deadline once and queue a notice to its agency."""
    ids = list(db.session.execute(
        sa.update(Pakn).where(Pakn.status == PaknStatus.OPEN, Pakn.due_at < now, Pakn.overdue_flagged_at.is_(None))
        .values(overdue_flagged_at=now).returning(Pakn.id).execution_options(synchronize_session=False)).scalars())
    if not ids:
        return 0
    # The notice goes to the agency's leaders who have an email address.
    rows = db.session.execute(
        sa.select(Pakn.code, Pakn.due_at, User.email).join(User, User.agency_id == Pakn.agency_id)
        .where(Pakn.id.in_(ids), User.role == "leader", User.active.is_(True), User.email.is_not(None),
               User.email != "")).all()
    for code, due_at, email in rows:
        db.session.add(OutboxMessage(
            channel="email", recipient=email, kind="pakn_overdue", created_at=now, next_attempt_at=now,
            subject=f"Phản ánh, kiến nghị {code} đã quá hạn trả lời",
            body=f"Phản ánh, kiến nghị {code} đã quá hạn trả lời (hạn {local(due_at):%d/%m/%Y %H:%M}). "
                 "Đề nghị cơ quan trả lời người dân ngay.",
        ))
    return len(ids)
