"""Notices: an outbox written with the change that causes it, delivered by a job with retries.

Channels: email to the applicant (receipt, supplement request, result ready,
apology with the new date, refusal, stop) and to staff (per-agency digests of
dossiers that became due soon or overdue), and a signed JSON webhook on every
status change. Nothing is lost: a failed delivery stays in the outbox with its
error, is retried with exponential backoff and, after the last attempt, is
kept as `failed` until an operator requeues it.
"""
from __future__ import annotations

import json
import logging
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import current_app
from flask_babel import force_locale, gettext

from . import jobs, mailer, papers, webhooks
from .extensions import db
from .models import (
    ACTION_LABELS,
    Agency,
    Dossier,
    DossierEvent,
    OutboxMessage,
    Procedure,
    User,
)
from .signals import deadlines_flagged, dossier_event
from .status import DossierStatus
from .timeutil import fmt_datetime, iso
from .timeutil import now as utcnow
from .urls import base_url

log = logging.getLogger(__name__)

BATCH = 100
BACKOFF_BASE_SECONDS = 60
BACKOFF_MAX_SECONDS = 6 * 3600
DIGEST_SAMPLE = 20
DIGEST_ROLES = ("leader", "specialist")
# The sweep's flags that staff digests report.
DIGESTED = ("due_soon", "overdue", "apology_due")
# Applicant emails: action -> template (the subject is built in `_subject`).
CITIZEN_TEMPLATES = {
    "intake": "email/receipt.txt",
    "accept": "email/receipt.txt",
    "request_supplement": "email/supplement.txt",
    "complete": "email/result_ready.txt",
    "apologize": "email/apology.txt",
    "refuse": "email/refused.txt",
    "stop": "email/stopped.txt",
}
# Webhooks go out on every status change, and on these actions that keep the status.
WEBHOOK_EXTRA_ACTIONS = ("apologize",)


def init_app(app) -> None:
    dossier_event.connect(on_dossier_event, weak=False)
    deadlines_flagged.connect(on_deadlines_flagged, weak=False)


def on_deadlines_flagged(sender, *, after_event_id: int, now: datetime, counts: dict, **_) -> None:
    """The sweep flagged dossiers: queue the staff digests (only dossier crossings are digested)."""
    if counts.get("overdue") or counts.get("due_soon") or counts.get("apology_due"):
        queue_digests(after_event_id, now)


def max_attempts() -> int:
    return int(current_app.config.get("ONESTOP_NOTICE_MAX_ATTEMPTS", 10))


# -- queueing (inside the caller's transaction: add rows, never commit) ----------

def on_dossier_event(dossier: Dossier, event: DossierEvent, actor=None, **_) -> None:
    """Queue the notices a dossier event causes, in the same session."""
    if current_app.config.get("ONESTOP_WEBHOOK_URL") and (
            event.status_from != event.status_to or event.action in WEBHOOK_EXTRA_ACTIONS):
        queue_webhook(dossier, event)
    template = CITIZEN_TEMPLATES.get(event.action)
    if template and dossier.applicant_email and mailer.enabled():
        if event.action == "intake" and dossier.status != DossierStatus.RECEIVED:
            return
        queue_citizen_email(dossier, event, template)


def webhook_payload(dossier: Dossier, event: DossierEvent) -> dict:
    """The JSON sent to ONESTOP_WEBHOOK_URL (documented in docs/deadline-watch.md)."""
    agency = db.session.get(Agency, dossier.current_agency_id)
    procedure = db.session.get(Procedure, dossier.procedure_id)
    return {
        "event_id": event.id,
        "code": dossier.code,
        "status": dossier.status,
        "status_code": dossier.status_code,
        "status_label": dossier.status_label,
        "status_from": event.status_from,
        "action": event.action,
        "action_label": str(ACTION_LABELS.get(event.action, event.action)),
        "at": iso(event.at),
        "agency": agency.identifier if agency else None,
        "agency_name": agency.name if agency else None,
        "procedure": procedure.code if procedure else None,
        "due_at": iso(dossier.due_at),
        "applicant": {"phone": dossier.applicant_phone, "email": dossier.applicant_email},
    }


def queue_webhook(dossier: Dossier, event: DossierEvent) -> OutboxMessage:
    with force_locale("vi"):  # the webhook contract is Vietnamese whatever language the actor uses
        body = json.dumps(webhook_payload(dossier, event), ensure_ascii=False, separators=(",", ":"))
    message = OutboxMessage(channel="webhook", recipient=current_app.config["ONESTOP_WEBHOOK_URL"],
                            subject=event.action, body=body, kind=f"status.{event.action}",
                            dossier_id=dossier.id, next_attempt_at=utcnow())
    db.session.add(message)
    return message


def render(template: str, **context) -> str:
    """Render a plain-text email template in Vietnamese (whatever language the actor uses)."""
    with force_locale("vi"):
        return current_app.jinja_env.get_template(template).render(**context).strip() + "\n"


def _subject(action: str, code: str) -> str:
    subjects = {
        "intake": gettext("Hồ sơ %(code)s đã được tiếp nhận", code=code),
        "accept": gettext("Hồ sơ %(code)s đã được tiếp nhận", code=code),
        "request_supplement": gettext("Hồ sơ %(code)s cần bổ sung giấy tờ", code=code),
        "complete": gettext("Hồ sơ %(code)s đã có kết quả", code=code),
        "apologize": gettext("Thư xin lỗi và hẹn lại ngày trả kết quả hồ sơ %(code)s", code=code),
        "refuse": gettext("Hồ sơ %(code)s không được tiếp nhận", code=code),
        "stop": gettext("Hồ sơ %(code)s bị dừng xử lý", code=code),
    }
    return "[Một cửa] " + subjects[action]


def queue_citizen_email(dossier: Dossier, event: DossierEvent, template: str) -> OutboxMessage:
    procedure = db.session.get(Procedure, dossier.procedure_id)
    receiving = db.session.get(Agency, dossier.receiving_agency_id)
    data = event.data or {}
    with force_locale("vi"):
        subject = _subject(event.action, dossier.code)
    body = render(
        template, dossier=dossier, event=event, procedure=procedure, agency=receiving,
        documents=data.get("documents") or [], reason=event.note,
        original_due_at=dossier.original_due_at, new_due_at=dossier.due_at,
        lookup_url=papers.lookup_url(dossier), fmt_datetime=fmt_datetime,
    )
    message = OutboxMessage(channel="email", recipient=dossier.applicant_email, subject=subject, body=body,
                            kind=f"citizen.{event.action}", dossier_id=dossier.id, next_attempt_at=utcnow())
    db.session.add(message)
    return message


def queue_digests(after_event_id: int, now: datetime) -> int:
    """Per-agency emails to leaders and specialists about dossiers the sweep just flagged."""
    if not mailer.enabled():
        return 0
    fresh = sa.and_(DossierEvent.id > after_event_id, DossierEvent.action.in_(DIGESTED))
    totals = db.session.execute(
        sa.select(DossierEvent.from_agency_id, DossierEvent.action, sa.func.count())
        .where(fresh).group_by(DossierEvent.from_agency_id, DossierEvent.action)
    ).all()
    if not totals:
        return 0
    counts: dict[int, dict[str, int]] = {}
    for agency_id, action, n in totals:
        counts.setdefault(agency_id, dict.fromkeys(DIGESTED, 0))[action] = n
    rank = sa.func.row_number().over(
        partition_by=(DossierEvent.from_agency_id, DossierEvent.action),
        order_by=(Dossier.due_at, Dossier.id),
    ).label("rank")
    ranked = (
        sa.select(DossierEvent.from_agency_id.label("agency_id"), DossierEvent.action.label("action"),
                  Dossier.code.label("code"), Dossier.due_at.label("due_at"), Procedure.name.label("procedure"),
                  rank)
        .join(Dossier, Dossier.id == DossierEvent.dossier_id)
        .join(Procedure, Procedure.id == Dossier.procedure_id)
        .where(fresh)
        .subquery()
    )
    samples: dict[tuple[int, str], list] = {}
    for row in db.session.execute(
            sa.select(ranked).where(ranked.c.rank <= DIGEST_SAMPLE)
            .order_by(ranked.c.agency_id, ranked.c.action, ranked.c.rank)):
        samples.setdefault((row.agency_id, row.action), []).append(row)
    agencies = {a.id: a for a in db.session.execute(sa.select(Agency).where(Agency.id.in_(counts))).scalars()}
    recipients = db.session.execute(
        sa.select(User.agency_id, User.email).where(
            User.agency_id.in_(counts), User.active.is_(True), User.role.in_(DIGEST_ROLES),
            User.email.is_not(None), User.email != "")
        .order_by(User.agency_id, User.id)
    ).all()
    queued = 0
    for agency_id, email in recipients:
        agency, n = agencies[agency_id], counts[agency_id]
        with force_locale("vi"):
            subject = "[Một cửa] " + gettext(
                "%(agency)s: %(overdue)d hồ sơ quá hạn, %(due_soon)d hồ sơ sắp đến hạn",
                agency=agency.name, overdue=n["overdue"], due_soon=n["due_soon"])
        body = render("email/digest.txt", agency=agency, counts=n, now=now, fmt_datetime=fmt_datetime,
                      overdue=samples.get((agency_id, "overdue"), []),
                      due_soon=samples.get((agency_id, "due_soon"), []),
                      apology_due=samples.get((agency_id, "apology_due"), []),
                      inbox_url=base_url() + "/processing/")
        db.session.add(OutboxMessage(channel="email", recipient=email, subject=subject, body=body,
                                     kind="staff.digest", next_attempt_at=now))
        queued += 1
    return queued


# -- delivery --------------------------------------------------------------------

def backoff(attempts: int) -> timedelta:
    """Wait before the next attempt: 1, 2, 4 ... minutes, at most 6 hours."""
    return timedelta(seconds=min(BACKOFF_BASE_SECONDS * 2 ** max(attempts - 1, 0), BACKOFF_MAX_SECONDS))


def deliver(now: datetime | None = None, limit: int = BATCH) -> dict:
    """Send due pending messages once (guarded across processes) and commit; counts by outcome."""
    outcome = {"sent": 0, "retry": 0, "failed": 0}
    return jobs.run("outbox", lambda at: _deliver(at, limit, outcome), now=now or utcnow(),
                    skipped=lambda reason: dict(outcome, skipped=reason))


def _deliver(now: datetime, limit: int, outcome: dict) -> dict:
    rows = db.session.execute(
                sa.select(OutboxMessage)
        .where(OutboxMessage.status == "pending", OutboxMessage.next_attempt_at <= now)
        .order_by(OutboxMessage.next_attempt_at, OutboxMessage.id).limit(limit)
    ).scalars().all()
    results = mailer.send_all([m for m in rows if m.channel == "email"])
    for m in rows:
        if m.channel == "webhook":
            results[m.id] = webhooks.post(m.recipient, m.body, delivery_id=m.id, event=m.subject)
        elif m.channel != "email":
            results[m.id] = f"Kênh không hỗ trợ: {m.channel}"
    for m in rows:
        outcome[_record(m, results.get(m.id), now)] += 1
    return outcome


def _record(message: OutboxMessage, error: str | None, now: datetime) -> str:
    message.attempts += 1
    if error is None:
        message.status, message.sent_at, message.last_error = "sent", now, None
        return "sent"
    message.last_error = error[:2000]
    log.warning("outbox %s (%s) attempt %s failed: %s", message.id, message.channel, message.attempts, error)
    if message.attempts >= max_attempts():
        message.status = "failed"
        return "failed"
    message.next_attempt_at = now + backoff(message.attempts)
    return "retry"


def requeue(ids: list[int] | None = None, *, all_failed: bool = False, now: datetime | None = None) -> int:
    """Put failed (or given) messages back in the queue for an immediate attempt. Flushes."""
    now = now or utcnow()
    stmt = sa.update(OutboxMessage).values(status="pending", attempts=0, next_attempt_at=now)
    if ids:
        stmt = stmt.where(OutboxMessage.id.in_(ids), OutboxMessage.status != "sent")
    elif all_failed:
        stmt = stmt.where(OutboxMessage.status == "failed")
    else:
        return 0
    return db.session.execute(stmt).rowcount


def summary() -> dict:
    """How many messages are pending, sent and failed (one grouped query)."""
    rows = db.session.execute(sa.select(OutboxMessage.status, sa.func.count()).group_by(OutboxMessage.status))
    return {"pending": 0, "sent": 0, "failed": 0, **dict(rows.all())}
