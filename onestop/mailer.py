"""SMTP delivery of outbox emails (MAIL_* settings; MAIL_SERVER unset means mail is off)."""
from __future__ import annotations

import smtplib
import ssl
from email.header import Header
from email.mime.text import MIMEText
from email.utils import formataddr, formatdate, make_msgid, parseaddr

from flask import current_app

TIMEOUT_SECONDS = 15


def enabled() -> bool:
    """Whether notices by email are configured at all."""
    return bool(current_app.config.get("MAIL_SERVER"))


def build(recipient: str, subject: str, body: str, message_id: int | None = None) -> MIMEText:
    """A plain-text UTF-8 message.

    The subject goes through `email.header.Header`, which folds long Vietnamese
    subjects into encoded words without losing the spaces between them (the
    newer EmailMessage folding drops some).
    """
    cfg = current_app.config
    msg = MIMEText(body, "plain", "utf-8")
    msg["Subject"] = Header(subject, "utf-8")
    name, address = parseaddr(cfg.get("MAIL_SENDER") or "onestop@localhost")
    msg["From"] = formataddr((name, address), charset="utf-8") if name else address
    msg["To"] = recipient
    msg["Date"] = formatdate(localtime=False)
    msg["Message-ID"] = make_msgid(idstring=f"onestop.{message_id}" if message_id else None)
    return msg


def connect() -> smtplib.SMTP:
    """An open, authenticated SMTP connection; raises OSError/SMTPException when the server is down."""
    cfg = current_app.config
    host, port = cfg["MAIL_SERVER"], int(cfg.get("MAIL_PORT") or 25)
    if port == 465:
        smtp = smtplib.SMTP_SSL(host, port, timeout=TIMEOUT_SECONDS, context=ssl.create_default_context())
    else:
        smtp = smtplib.SMTP(host, port, timeout=TIMEOUT_SECONDS)
        if cfg.get("MAIL_USE_TLS"):
            smtp.starttls(context=ssl.create_default_context())
    if cfg.get("MAIL_USERNAME"):
        smtp.login(cfg["MAIL_USERNAME"], cfg.get("MAIL_PASSWORD") or "")
    return smtp


def send_all(messages) -> dict[int, str | None]:
    """Send outbox rows over one connection: {row id: None when sent, else the error}."""
    results: dict[int, str | None] = {}
    if not messages:
        return results
    if not enabled():
        return {m.id: "Chưa cấu hình máy chủ thư (MAIL_SERVER)." for m in messages}
    try:
        smtp = connect()
    except (OSError, smtplib.SMTPException) as exc:
        error = f"Không kết nối được máy chủ thư: {exc}"
        return {m.id: error for m in messages}
    try:
        for m in messages:
            try:
                smtp.send_message(build(m.recipient, m.subject or "", m.body, m.id))
                results[m.id] = None
            except smtplib.SMTPServerDisconnected as exc:
                results[m.id] = f"Máy chủ thư ngắt kết nối: {exc}"
                for rest in messages:
                    results.setdefault(rest.id, results[m.id])
                break
            except (OSError, smtplib.SMTPException) as exc:
                results[m.id] = f"Gửi thư thất bại: {exc}"
    finally:
        try:
            smtp.quit()
        except (OSError, smtplib.SMTPException):
            pass
    return results
