"""What a citizen may see of a dossier, and the satisfaction rating after return.

A dossier code alone opens the status-only view (status, agencies, dates). The
second factor, the lookup key printed on the receipt or the applicant's citizen
ID (or a business's tax code), opens the full view with the applicant's name and
the details meant for the applicant (what to bring, reasons, amounts). A wrong
second factor answers exactly like an unknown code.

Every wrong second factor given for a dossier is counted (LookupFailure). ID
numbers have few possible values once a birth year and province are known, so
after ONESTOP_LOOKUP_ID_FAILURES wrong tries only the printed lookup key (31⁸
values) opens the dossier. Every page and endpoint that tests a key also shares
one budget of requests and one of failures per address (blueprints/lookup/limits.py).
"""
from __future__ import annotations

import hmac
import re
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from flask import current_app, has_app_context
from flask_babel import lazy_gettext as _l
from sqlalchemy.exc import IntegrityError

from . import audit, caches, deadlines, rows, transaction, validation
from .calendar import get_calendar
from .errors import Conflict, NotFound, ValidationError
from .extensions import db
from .i18n import gettext as _
from .inputs import storable
from .models import (
    Attachment,
    Dossier,
    DossierEvent,
    DossierStatusFacts,
    DossierStep,
    Feedback,
    LookupFailure,
)
from .status import DeadlineState, DossierStatus, Rating, StepResult
from .status import DossierStatus as S
from .timeutil import fmt_date, iso, local
from .timeutil import now as utcnow

CODE_MAX_LEN = 60
KEY_MAX_LEN = 32
CODE_RE = re.compile(r"^[0-9A-Z.\-]{1,60}$")
# The same message for an unknown code and a wrong key: an outsider cannot tell them apart.
NOT_FOUND_MESSAGE = _l("Không tìm thấy hồ sơ khớp với thông tin đã nhập. Vui lòng kiểm tra lại mã hồ sơ và mã tra cứu.")
# Compared against when there is no dossier, so both paths do the same work.
_DUMMY_SECRET = "0" * 12
ID_FAILURES_DEFAULT = 10


class DossierFacts(DossierStatusFacts):
    """The columns of a dossier the citizen's views read (`VIEW_COLUMNS`), as attributes, without the ORM."""

    def __init__(self, row):
        self.__dict__.update(zip(VIEW_COLUMNS, row, strict=False))


@dataclass
class FeedbackFacts:
    """The rating as the views show it."""

    rating: str
    comment: str | None
    created_at: datetime

    @property
    def rating_label(self) -> str:
        return Rating(self.rating).label


@dataclass
class Lookup:
    """A dossier found for a citizen, and whether the second factor was right.

    Read in one statement (issue 18): `facts`, the dossier's columns the views read; the started steps as the
    view shows them, the rating, the id of the latest result file. `dossier`, the ORM object, is loaded on
    first use only (rating it, filing a PAKN about it, answering online).
    """

    facts: DossierFacts
    full: bool
    steps: list[dict] | None = None
    feedback: FeedbackFacts | None = None
    result_id: int | None = None

    @property
    def dossier(self) -> Dossier:
        return db.session.get(Dossier, self.facts.id)


def normalize_code(code) -> str | None:
    """Dossier codes are upper-case; citizens type them in any case, with stray spaces."""
    if not isinstance(code, str):
        return None
    code = "".join(code.split()).upper()
    if not code or len(code) > CODE_MAX_LEN or not CODE_RE.match(code):
        return None
    return code


def normalize_key(key) -> str | None:
    """A lookup key or an ID number as typed: spaces dropped, upper-case."""
    if not isinstance(key, str):
        return None
    key = "".join(key.split()).upper()
    if not key:
        return None
    return key[:KEY_MAX_LEN]


def _same(given: str, secret: str | None) -> bool:
    same = hmac.compare_digest(given.encode("utf-8", "surrogatepass"),
                               (secret or _DUMMY_SECRET).encode("utf-8", "surrogatepass"))
    return same and bool(secret)


def id_failures_allowed() -> int:
    """Wrong second factors after which an ID number or tax code no longer opens the dossier."""
    if has_app_context():
        return int(current_app.config.get("ONESTOP_LOOKUP_ID_FAILURES", ID_FAILURES_DEFAULT))
    return ID_FAILURES_DEFAULT


def failures_of(dossier: Dossier) -> int:
    row = db.session.get(LookupFailure, dossier.id)
    return row.failures if row is not None else 0


def key_matches(dossier: Dossier | None, key: str, *, id_allowed: bool = True) -> str | None:
    """Which second factor `key` is ("key", "id" or None), compared in constant time, never short-circuiting."""
    if dossier is None:
        _same(key, None)
        _same(key, None)
        _same(key, None)
        return None
    by_key = _same(key, dossier.lookup_key.upper() if dossier.lookup_key else None)
    by_id = _same(key, dossier.applicant_id_number)
    by_tax = _same(key, dossier.applicant_tax_code.upper() if dossier.applicant_tax_code else None)
    if by_key:
        return "key"
    if (by_id | by_tax) and id_allowed:
        return "id"
    return None


def _count_failure(dossier: Dossier, now: datetime) -> None:
    """One more wrong second factor for the dossier, kept although the answer is a 404."""
    insert = rows.dialect_insert(db.session.get_bind().dialect.name)
    stmt = insert(LookupFailure).values(dossier_id=dossier.id, failures=1, last_failed_at=now)
    db.session.execute(stmt.on_conflict_do_update(
        index_elements=[LookupFailure.dossier_id],
        set_={"failures": LookupFailure.failures + 1, "last_failed_at": stmt.excluded.last_failed_at}))
    transaction.keep_on_error()


def _forget_failures(dossier: Dossier) -> None:
    db.session.execute(sa.delete(LookupFailure).where(LookupFailure.dossier_id == dossier.id))


def _lookup_statement():
    """The dossier by its code with everything the citizen's view reads, in one indexed statement (issue 18).

    One row per started step (outer joins: a dossier without any still gives one row): the view's columns of
    the dossier, the count of wrong keys, the rating, the latest result file's id (a correlated max over
    `ix_attachments_dossier_kind`) and the shown columns of the step, in the view's order. Plain columns,
    no ORM objects: loading the entity was most of the lookup's cost beside the SQL.
    """
    step = DossierStep
    latest_result = (sa.select(sa.func.max(Attachment.id))
                     .where(Attachment.dossier_id == Dossier.id, Attachment.kind == "result")
                     .correlate(Dossier).scalar_subquery())
    return (
        sa.select(*(getattr(Dossier, name) for name in VIEW_COLUMNS), LookupFailure.failures,
                  Feedback.rating.label("feedback_rating"), Feedback.comment.label("feedback_comment"),
                  Feedback.created_at.label("feedback_at"), latest_result.label("result_id"),
                  step.agency_id, step.task, step.started_at.label("step_started_at"),
                  step.due_at.label("step_due_at"), step.finished_at.label("step_finished_at"), step.result)
        .outerjoin(LookupFailure, LookupFailure.dossier_id == Dossier.id)
        .outerjoin(Feedback, Feedback.dossier_id == Dossier.id)
        .outerjoin(step, sa.and_(step.dossier_id == Dossier.id, step.started_at.is_not(None)))
        .where(Dossier.code == sa.bindparam("code"))
        .order_by(step.seq, step.id)
    )


#: The dossier's columns the citizen's views read (of its 49), in the lookup statement's order.
VIEW_COLUMNS = (
    "id", "code", "lookup_key", "procedure_id", "receiving_agency_id", "current_agency_id", "status",
    "applicant_name", "applicant_id_number", "applicant_tax_code", "received_at", "due_at", "original_due_at",
    "finished_at", "returned_at", "finish_state", "paused_at", "payment_amount", "apology_reason",
    "electronic_result", "completion_requested_at",
)


_LOOKUP = None  # built on first use (the mappers must be configured)


def find_for_citizen(code, key=None, now: datetime | None = None) -> Lookup:
    """The dossier for this code; full view only with the right key. Raises NotFound.

    A wrong key is counted against the dossier; the printed key clears the count.
    """
    global _LOOKUP
    code = normalize_code(code)
    key = normalize_key(key)
    dossier, failures, found = None, 0, None
    if code is not None:
        if _LOOKUP is None:
            _LOOKUP = _lookup_statement()
        rows = db.session.connection().execute(_LOOKUP, {"code": code}).all()
        if rows:
            first = rows[0]
            dossier, failures = DossierFacts(first), first.failures or 0
            feedback = (FeedbackFacts(first.feedback_rating, first.feedback_comment, first.feedback_at)
                        if first.feedback_rating is not None else None)
            steps = [_step_view(r.agency_id, r.task, r.step_started_at, r.step_due_at, r.step_finished_at, r.result)
                     for r in rows if r.step_started_at is not None]
            found = Lookup(dossier, False, steps=steps,
                           feedback=feedback, result_id=first.result_id)
    if key is None:
        if dossier is None:
            raise NotFound(str(NOT_FOUND_MESSAGE))
        return found
    matched = key_matches(dossier, key, id_allowed=failures < id_failures_allowed())
    if matched is None:
        if dossier is not None:
            _count_failure(dossier, now or utcnow())
        raise NotFound(str(NOT_FOUND_MESSAGE))
    if matched == "key" and failures:
        _forget_failures(dossier)
    found.full = True
    return found


# -- what the citizen reads --------------------------------------------------

def mask_name(name: str | None) -> str | None:
    """"Nguyễn Văn Đức" -> "Nguyễn V** Đ**": the family name and initials only."""
    if not name:
        return None
    words = name.split()
    return " ".join([words[0]] + [w[0] + "**" for w in words[1:]])


def when(dt: datetime | None) -> str:
    """"08:30 ngày 21/11/2026" (local time)."""
    if dt is None:
        return ""
    return _("%(time)s ngày %(date)s", time=local(dt).strftime("%H:%M"), date=fmt_date(dt))


def working_hours_text() -> str:
    """"07:00–11:30 và 13:30–17:00" from ONESTOP_WORKING_HOURS."""
    spec = "07:00-11:30,13:30-17:00"
    if has_app_context():
        spec = current_app.config.get("ONESTOP_WORKING_HOURS", spec)
    parts = [p.strip().replace("-", "–") for p in spec.split(",") if p.strip()]
    return _(" và ").join(parts)


def _agency(agency) -> dict | None:
    """An agency (or its id, read from the per-process cache) as the view names it."""
    if isinstance(agency, int):
        agency = caches.agency(agency)
    if agency is None:
        return None
    return {"identifier": agency.identifier, "name": agency.name}


def _last_event(dossier: Dossier, *actions: str) -> DossierEvent | None:
    return db.session.execute(
        db.select(DossierEvent).where(DossierEvent.dossier_id == dossier.id, DossierEvent.action.in_(actions))
        .order_by(DossierEvent.id.desc()).limit(1)
    ).scalar_one_or_none()


def _step_view(agency_id, task, started_at, due_at, finished_at, result_value) -> dict:
    result = StepResult.parse(result_value)
    return {
        "agency": _agency(agency_id),
        "task": task,
        "started_at": iso(started_at),
        "due_at": iso(due_at),
        "finished_at": iso(finished_at),
        "result": result_value,
        "result_label": (result.label if result else "") or None,
    }


def _steps(dossier: Dossier) -> list[dict]:
    """The started steps: one indexed query for the columns shown, agency names from the cache."""
    rows = db.session.execute(
        db.select(DossierStep.agency_id, DossierStep.task, DossierStep.started_at, DossierStep.due_at,
                  DossierStep.finished_at, DossierStep.result)
        .where(DossierStep.dossier_id == dossier.id, DossierStep.started_at.is_not(None))
        .order_by(DossierStep.seq, DossierStep.id)
    ).all()
    return [_step_view(*step) for step in rows]


def collection_place(dossier: Dossier) -> dict:
    """Where the result is collected: the procedure's counter, else the receiving agency."""
    agency = caches.agency(dossier.receiving_agency_id)
    return {
        "location": caches.procedure(dossier.procedure_id).result_location or agency.name,
        "agency": agency.name,
        "address": agency.address,
        "phone": agency.phone,
        "working_hours": working_hours_text(),
    }


def status_summary(dossier: Dossier) -> str:
    """One plain-Vietnamese sentence on where the dossier stands; no personal data."""
    status = dossier.status
    receiving = caches.agency(dossier.receiving_agency_id).name
    due = when(dossier.due_at)
    if status == S.SUBMITTED:
        text = _("Hồ sơ đã được đăng ký trực tuyến, đang chờ Bộ phận Một cửa kiểm tra và tiếp nhận.")
    elif status == S.RECEIVED:
        text = _("Hồ sơ đã được tiếp nhận tại %(agency)s và đang được chuyển đến cơ quan giải quyết. "
                 "Hẹn trả kết quả lúc %(due)s.", agency=receiving, due=due)
    elif status == S.PROCESSING:
        text = _("Hồ sơ đang được xử lý tại %(agency)s. Hẹn trả kết quả lúc %(due)s.",
                 agency=caches.agency(dossier.current_agency_id).name, due=due)
    elif status == S.SUPPLEMENT_REQUESTED:
        if caches.procedure(dossier.procedure_id).clock_on_supplement == "pause":
            clock = _("Thời gian chờ bổ sung không tính vào thời hạn giải quyết.")
        else:
            clock = _("Thời hạn giải quyết được tính lại từ đầu khi nhận đủ giấy tờ bổ sung.")
        text = _("Cơ quan giải quyết yêu cầu bổ sung giấy tờ. Vui lòng nộp bổ sung tại %(agency)s. %(clock)s",
                 agency=receiving, clock=clock)
    elif status == S.AWAITING_PAYMENT:
        text = _("Hồ sơ đang chờ thực hiện nghĩa vụ tài chính (nộp phí, lệ phí hoặc thuế). "
                 "Thời gian chờ không tính vào thời hạn giải quyết.")
    elif status == S.NOT_ACCEPTED:
        text = _("Hồ sơ không được tiếp nhận. Lý do được ghi trong Phiếu từ chối tiếp nhận giải quyết hồ sơ.")
    elif status == S.WITHDRAWN:
        text = _("Hồ sơ đã được rút theo yêu cầu của người nộp; thủ tục không tiếp tục được giải quyết.")
    elif status == S.STOPPED:
        text = _("Cơ quan giải quyết đã dừng xử lý hồ sơ. Vui lòng liên hệ %(agency)s để nhận văn bản trả lời.",
                 agency=receiving)
    elif status == S.RESULT_READY:
        text = _("Hồ sơ đã có kết quả. Mời ông/bà đến nhận kết quả tại %(place)s trong giờ làm việc (%(hours)s).",
                 place=collection_place(dossier)["location"], hours=working_hours_text())
    elif status == S.RETURNED:
        text = _("Kết quả đã được trả lúc %(at)s.", at=when(dossier.returned_at or dossier.finished_at))
    else:
        text = dossier.status_label
    if dossier.original_due_at is not None and DossierStatus(status).is_open:
        text += " " + _("Hồ sơ bị chậm so với hẹn ban đầu (%(original)s); cơ quan giải quyết đã xin lỗi "
                        "và hẹn lại ngày trả kết quả: %(due)s.", original=when(dossier.original_due_at), due=due)
    return text


def _deadline(dossier: Dossier, now: datetime) -> tuple[str | None, str | None]:
    cal = get_calendar()
    state = deadlines.deadline_state(dossier, now, deadlines.due_soon_threshold(cal, now))
    if state is None:
        return None, None
    if dossier.is_open:
        if dossier.original_due_at is not None and state != "overdue":
            # Still within the new appointment, but already late against the first one.
            return state, _("Đã hẹn lại ngày trả kết quả")
        return state, DeadlineState(state).label
    return state, DeadlineState(state).finished_label


def feedback_of(dossier: Dossier) -> Feedback | None:
    return db.session.execute(db.select(Feedback).filter_by(dossier_id=dossier.id)).scalar_one_or_none()


_UNREAD = object()


def view_of(found: Lookup, now: datetime | None = None) -> dict:
    """The citizen's view of what `find_for_citizen` found, from what it read with the dossier."""
    return public_view(found.facts, found.full, now, steps=found.steps, feedback=found.feedback)


def public_view(dossier: Dossier, full: bool, now: datetime | None = None, *, steps: list[dict] | None = None,
                feedback=_UNREAD) -> dict:
    """The citizen's view (page, API, Open311). Without `full`, no personal data at all.

    `steps` and `feedback` when the caller read them already (`view_of`); otherwise they are read here.
    """
    now = now or utcnow()
    state, state_label = _deadline(dossier, now)
    procedure = caches.procedure(dossier.procedure_id)
    view = {
        "code": dossier.code,
        "verified": bool(full),
        "procedure": {"code": procedure.code, "name": procedure.name},
        "status": dossier.status,
        "status_code": dossier.status_code,
        "status_label": dossier.status_label,
        "summary": status_summary(dossier),
        "deadline_state": state,
        "deadline_label": state_label,
        "received_at": iso(dossier.received_at),
        "due_at": iso(dossier.due_at),
        "original_due_at": iso(dossier.original_due_at),
        "finished_at": iso(dossier.finished_at),
        "returned_at": iso(dossier.returned_at),
        "receiving_agency": _agency(dossier.receiving_agency_id),
        "current_agency": _agency(dossier.current_agency_id),
        "collection": collection_place(dossier) if dossier.status == S.RESULT_READY else None,
        "steps": _steps(dossier) if steps is None else steps,
        "applicant_name": None,
        "applicant_name_masked": None,
        "details": None,
        "feedback": None,
        "can_give_feedback": False,
    }
    if full:
        view.update(_personal_part(dossier, feedback))
    return view


def _personal_part(dossier: Dossier, feedback=_UNREAD) -> dict:
    """What only the applicant (holder of the key) reads: name, reasons, documents, amounts, rating."""
    details: dict = {}
    status = dossier.status
    if status == S.SUPPLEMENT_REQUESTED:
        event = _last_event(dossier, "request_supplement")
        details["supplement"] = {
            "documents": list((event.data or {}).get("documents") or []) if event else [],
            "reason": event.note if event else None,
            "requested_at": iso(event.at) if event else None,
            "bring_to": caches.agency(dossier.receiving_agency_id).name,
        }
    if status == S.AWAITING_PAYMENT:
        details["payment"] = {"amount": dossier.payment_amount}
    if status in (S.NOT_ACCEPTED, S.STOPPED, S.WITHDRAWN):
        event = _last_event(dossier, {S.NOT_ACCEPTED: "refuse", S.STOPPED: "stop", S.WITHDRAWN: "withdraw"}[status])
        details["reason"] = event.note if event else None
    if dossier.original_due_at is not None:
        details["apology"] = {
            "reason": dossier.apology_reason,
            "original_due_at": iso(dossier.original_due_at),
            "new_due_at": iso(dossier.due_at),
        }
    if status != S.RETURNED:
        feedback = None  # rated only once returned (final)
    elif feedback is _UNREAD:
        feedback = feedback_of(dossier)
    return {
        "applicant_name": dossier.applicant_name,
        "applicant_name_masked": mask_name(dossier.applicant_name),
        "details": details,
        "feedback": None if feedback is None else {
            "rating": feedback.rating,
            "rating_label": Rating(feedback.rating).label,
            "comment": feedback.comment,
            "created_at": iso(feedback.created_at),
        },
        "can_give_feedback": status == S.RETURNED and feedback is None,
    }


# -- the electronic result --------------------------------------------------------

RESULT_STATUSES = (S.RESULT_READY, S.RETURNED)


def result_attachment(dossier: Dossier, attachment_id=_UNREAD):
    """The result file the applicant may download (the latest one), once the result is ready or returned.

    `attachment_id`: the latest result file's id when the caller read it already (`Lookup.result_id`).
    """
    if dossier.status not in RESULT_STATUSES:
        return None
    if attachment_id is not _UNREAD:
        return db.session.get(Attachment, attachment_id) if attachment_id is not None else None
    return db.session.execute(
        db.select(Attachment).where(Attachment.dossier_id == dossier.id, Attachment.kind == "result")
        .order_by(Attachment.id.desc()).limit(1)
    ).scalar_one_or_none()


def result_download(dossier: Dossier, attachment_id=_UNREAD) -> dict | None:
    """What the lookup page says of the downloadable result (only shown to the holder of the key)."""
    att = result_attachment(dossier, attachment_id)
    if att is None:
        return None
    return {"name": att.original_name, "size": att.size, "is_pdf": att.content_type == "application/pdf",
            "signed": bool(dossier.electronic_result) and att.content_type == "application/pdf"}


# -- satisfaction ----------------------------------------------------------------

def submit_feedback(dossier: Dossier, rating, comment=None, now: datetime | None = None, *,
                    asked_money=None, came_again=None) -> Feedback:
    """Record the citizen's rating once, after the result is returned. Flushes, never commits.

    `asked_money` / `came_again` are the optional yes/no answers (None: not answered); a yes to money opens
    an anonymous PAKN for the inspection staff (onestop/integrity.py), kept as `feedback.pakn`.
    """
    for name, value in (("asked_money", asked_money), ("came_again", came_again)):
        if value is not None and not isinstance(value, bool):
            raise ValidationError(_("Câu trả lời chỉ có thể là có hoặc không."), field=name)
    if not isinstance(rating, str) or Rating.parse(rating) is None:
        raise ValidationError(_("Vui lòng chọn mức độ hài lòng: Rất hài lòng, Hài lòng hoặc Không hài lòng."),
                              field="rating")
    comment = validation.clean_str(comment, "comment", _("Góp ý"), max_len=2000)
    if comment is not None and not storable(comment):
        raise ValidationError(_("Góp ý chứa ký tự không hợp lệ."), field="comment")
    if dossier.status != S.RETURNED:
        raise Conflict(_("Chỉ có thể đánh giá sau khi ông/bà đã nhận kết quả."), code="not_returned")
    if feedback_of(dossier) is not None:
        raise Conflict(_("Hồ sơ này đã được đánh giá; mỗi hồ sơ chỉ được đánh giá một lần."),
                       code="feedback_exists")
    feedback = Feedback(dossier_id=dossier.id, rating=rating, comment=comment, created_at=now or utcnow(),
                        asked_money=asked_money, came_again=came_again)
    try:
        with db.session.begin_nested():  # two submissions at once: the unique dossier_id lets one through
            db.session.add(feedback)
    except IntegrityError:
        raise Conflict(_("Hồ sơ này đã được đánh giá; mỗi hồ sơ chỉ được đánh giá một lần."),
                       code="feedback_exists") from None
    audit.record("dossier.feedback", target=dossier, actor_name="citizen",
                 details={"rating": rating, "has_comment": comment is not None})
    if asked_money:
        from . import integrity  # the broker signals' home; imported here, it imports the PAKN rules

        integrity.report_money(dossier, feedback, now=now)
    return feedback
