"""One-time codes proving that a citizen holds an email address or a phone number.

`issue(contact, purpose)` makes a 6-digit code, stores only its keyed hash and
queues it through the notice outbox (email; SMS as a signed JSON webhook to the
SMS gateway at ONESTOP_SMS_GATEWAY_URL). `check(contact, purpose, code)` accepts
it once, before it expires and within the allowed attempts, and otherwise
raises a ValidationError with a Vietnamese message. A new code for the same
contact and purpose replaces the previous one. The limits are province rules
(`otp_valid_minutes`, `otp_max_attempts`, `otp_max_per_hour`).

Callers: the online submission (onestop/online.py) and the desk's contact
confirmation. Both flush only; a view answering a wrong code keeps the attempt
counter with `transaction.keep_on_error()` (check() asks for it itself).
"""
from __future__ import annotations

import hashlib
import hmac
import json
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _

from . import mailer, settings, transaction
from .errors import ValidationError
from .extensions import db
from .models import OneTimeCode, OutboxMessage
from .timeutil import fmt_datetime
from .timeutil import now as utcnow
from .validation import PHONE_RE
from .validation import email as valid_email

EMAIL, SMS = "email", "sms"
DIGITS = 6
# What the code is for, as the citizen reads it in the message.
PURPOSES = {
    "online_submit": "xác nhận nộp hồ sơ trực tuyến",
    "online_draft": "mở lại hồ sơ đang soạn",
    "returning": "dùng lại giấy tờ đã nộp",
    "desk_contact": "xác nhận số điện thoại, email với bộ phận một cửa",
}


@dataclass(frozen=True)
class Issued:
    """A code sent: where, how, until when. `code` is for the caller's tests only, never for a page."""

    id: int
    contact: str
    channel: str
    expires_at: datetime
    code: str


def normalise(contact) -> tuple[str, str]:
    """(channel, contact as stored): emails lower-cased, phones as 0xxxxxxxxx; raises on anything else."""
    text = contact.strip() if isinstance(contact, str) else ""
    if "@" in text:
        try:
            return EMAIL, valid_email(text, field="contact").lower()
        except ValidationError:
            raise ValidationError(_("Địa chỉ email không hợp lệ."), field="contact", code="otp_bad_contact") from None
    compact = re.sub(r"[\s.\-()]", "", text)
    if not PHONE_RE.match(compact):
        raise ValidationError(_("Hãy nhập một địa chỉ email hoặc số điện thoại di động hợp lệ."),
                              field="contact", code="otp_bad_contact")
    if compact.startswith("+84"):
        compact = "0" + compact[3:]
    elif compact.startswith("84") and len(compact) == 11:
        compact = "0" + compact[2:]
    return SMS, compact


def masked(contact: str) -> str:
    """The contact as shown on a page: n***@example.vn, 09******78."""
    if "@" in contact:
        name, _sep, domain = contact.partition("@")
        return f"{name[:1]}***@{domain}"
    return contact[:2] + "*" * max(len(contact) - 4, 0) + contact[-2:]


def _hash(contact: str, purpose: str, code: str) -> str:
    key = current_app.config["SECRET_KEY"].encode()
    return hmac.new(key, f"{purpose}\x00{contact}\x00{code}".encode(), hashlib.sha256).hexdigest()


def _latest(contact: str, purpose: str, *, lock: bool = False) -> OneTimeCode | None:
    stmt = (sa.select(OneTimeCode).where(OneTimeCode.contact == contact, OneTimeCode.purpose == purpose,
                                         OneTimeCode.used_at.is_(None))
            .order_by(OneTimeCode.created_at.desc(), OneTimeCode.id.desc()).limit(1))
    if lock:
        stmt = stmt.with_for_update()
    return db.session.execute(stmt).scalar_one_or_none()


def issue(contact, purpose: str, *, now: datetime | None = None, dossier_id: int | None = None) -> Issued:
    """Send a new code to the contact (through the outbox) and store its hash; flushes."""
    if purpose not in PURPOSES:
        raise ValueError(f"unknown one-time code purpose {purpose!r}")
    now = now or utcnow()
    channel, contact = normalise(contact)
    if channel == EMAIL and not mailer.enabled():
        raise ValidationError(_("Hệ thống chưa gửi được email; hãy dùng số điện thoại."), field="contact",
                              code="otp_channel_off")
    gateway = current_app.config.get("ONESTOP_SMS_GATEWAY_URL")
    if channel == SMS and not gateway:
        raise ValidationError(_("Hệ thống chưa gửi được tin nhắn SMS; hãy dùng địa chỉ email."), field="contact",
                              code="otp_channel_off")
    hour_ago = now - timedelta(hours=1)
    sent = db.session.execute(sa.select(sa.func.count()).select_from(OneTimeCode).where(
        OneTimeCode.contact == contact, OneTimeCode.created_at > hour_ago)).scalar_one()
    if sent >= settings.get("otp_max_per_hour"):
        raise ValidationError(_("Đã gửi quá nhiều mã xác nhận tới %(contact)s trong một giờ. Vui lòng thử lại sau.",
                                contact=masked(contact)), field="contact", code="otp_too_many_sent")
    # A new code replaces the one not used yet.
    db.session.execute(sa.update(OneTimeCode).where(
        OneTimeCode.contact == contact, OneTimeCode.purpose == purpose, OneTimeCode.used_at.is_(None))
        .values(used_at=now).execution_options(synchronize_session=False))
    code = f"{secrets.randbelow(10 ** DIGITS):0{DIGITS}d}"
    expires_at = now + timedelta(minutes=settings.get("otp_valid_minutes"))
    row = OneTimeCode(contact=contact, channel=channel, purpose=purpose, code_hash=_hash(contact, purpose, code),
                      created_at=now, expires_at=expires_at, attempts=0)
    db.session.add(row)
    with force_locale("vi"):
        text = _("Mã xác nhận %(code)s để %(purpose)s. Mã có hiệu lực đến %(until)s. Không đưa mã này cho bất kỳ ai, "
                 "kể cả người tự xưng là cán bộ.", code=code, purpose=PURPOSES[purpose],
                 until=fmt_datetime(expires_at))
        subject = "[Một cửa] " + _("Mã xác nhận %(code)s", code=code)
    if channel == EMAIL:
        db.session.add(OutboxMessage(channel="email", recipient=contact, subject=subject, body=text + "\n",
                                     kind=f"otp.{purpose}", dossier_id=dossier_id, next_attempt_at=now))
    else:
        body = json.dumps({"to": contact, "text": text, "kind": f"otp.{purpose}"}, ensure_ascii=False,
                          separators=(",", ":"))
        db.session.add(OutboxMessage(channel="webhook", recipient=gateway, subject="sms", body=body,
                                     kind=f"otp.{purpose}", dossier_id=dossier_id, next_attempt_at=now))
    db.session.flush()
    return Issued(id=row.id, contact=contact, channel=channel, expires_at=expires_at, code=code)


def check(contact, purpose: str, code, *, now: datetime | None = None) -> str:
    """Accept the code once; returns the normalised contact. Wrong, expired or exhausted codes raise.

    A wrong attempt is counted and kept even though the request answers an error.
    """
    now = now or utcnow()
    _channel, contact = normalise(contact)
    typed = re.sub(r"\s", "", code) if isinstance(code, str) else ""
    row = _latest(contact, purpose, lock=True)
    if row is None:
        raise ValidationError(_("Chưa có mã xác nhận nào được gửi tới %(contact)s, hoặc mã đã được dùng. "
                                "Hãy bấm “Gửi mã”.", contact=masked(contact)), field="code", code="otp_missing")
    if row.expires_at <= now:
        raise ValidationError(_("Mã xác nhận đã hết hạn. Hãy bấm “Gửi lại mã” để nhận mã mới."), field="code",
                              code="otp_expired")
    limit = settings.get("otp_max_attempts")
    if row.attempts >= limit:
        raise ValidationError(_("Đã nhập sai mã quá %(n)d lần. Hãy bấm “Gửi lại mã” để nhận mã mới.", n=limit),
                              field="code", code="otp_too_many_attempts")
    if not re.fullmatch(rf"\d{{{DIGITS}}}", typed) or not hmac.compare_digest(row.code_hash,
                                                                            _hash(contact, purpose, typed)):
        row.attempts += 1
        db.session.flush()
        transaction.keep_on_error()
        left = limit - row.attempts
        if left <= 0:
            raise ValidationError(_("Mã xác nhận không đúng. Đã nhập sai quá %(n)d lần: hãy bấm “Gửi lại mã”.",
                                    n=limit), field="code", code="otp_too_many_attempts")
        raise ValidationError(_("Mã xác nhận không đúng. Còn %(left)d lần thử.", left=left), field="code",
                              code="otp_wrong")
    row.used_at = now
    db.session.flush()
    return contact


def forget_old(now: datetime | None = None, keep: timedelta = timedelta(days=1)) -> int:
    """Delete codes expired for a day (the per-hour count only needs the last hour)."""
    now = now or utcnow()
    return db.session.execute(sa.delete(OneTimeCode).where(OneTimeCode.expires_at < now - keep)).rowcount
