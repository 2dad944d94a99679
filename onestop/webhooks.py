"""Signed JSON webhooks: HMAC-SHA256 of the body in `X-OneStop-Signature: sha256=<hex>`."""
from __future__ import annotations

import hashlib
import hmac
import urllib.error
import urllib.request

from flask import current_app

SIGNATURE_HEADER = "X-OneStop-Signature"
TIMEOUT_SECONDS = 10


def secret() -> bytes:
    """ONESTOP_WEBHOOK_SECRET, or SECRET_KEY when no separate secret is set."""
    cfg = current_app.config
    return (cfg.get("ONESTOP_WEBHOOK_SECRET") or cfg["SECRET_KEY"]).encode()


def sign(body: bytes, key: bytes | None = None) -> str:
    """The signature header value for a body."""
    return "sha256=" + hmac.new(key if key is not None else secret(), body, hashlib.sha256).hexdigest()


def verify(body: bytes, header: str | None, key: bytes) -> bool:
    """What a receiver does: recompute and compare in constant time."""
    return bool(header) and hmac.compare_digest(sign(body, key), header)


def post(url: str, body: str, *, delivery_id: int | None = None, event: str | None = None) -> str | None:
    """POST the JSON body; None when the receiver answered 2xx, else the error."""
    data = body.encode("utf-8")
    headers = {
        "Content-Type": "application/json; charset=utf-8",
        "User-Agent": "OneStop-Webhook/1",
        SIGNATURE_HEADER: sign(data),
    }
    if delivery_id is not None:
        headers["X-OneStop-Delivery"] = str(delivery_id)
    if event:
        headers["X-OneStop-Event"] = event
    request = urllib.request.Request(url, data=data, headers=headers, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT_SECONDS) as response:  # noqa: S310 (configured URL)
            if 200 <= response.status < 300:
                return None
            return f"HTTP {response.status}"
    except urllib.error.HTTPError as exc:
        return f"HTTP {exc.code}"
    except (urllib.error.URLError, OSError, ValueError) as exc:
        return f"Không gửi được webhook: {getattr(exc, 'reason', exc)}"
