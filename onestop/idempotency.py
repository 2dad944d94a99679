"""Idempotency keys: a request sent twice (a double click, a client retrying after a timeout) acts once.

The first request with a key claims it (a row of onestop.models.IdempotentRequest,
unique per user, scope and key) in the same transaction as the work it does, and
stores its answer there before the commit. A repeat gets that answer again; a
repeat that arrives while the first is still running waits for it on the unique
index and then gets its answer too. If the first request fails, its claim is
rolled back with everything else and the next try runs afresh. The same key with
a different request is refused (422). Keys are kept for KEEP_FOR.
"""
from __future__ import annotations

import hashlib
import json
import secrets
import time
from dataclasses import dataclass
from datetime import timedelta

import sqlalchemy as sa
from flask import Response, request
from flask_babel import gettext as _

from . import rows
from .errors import BadRequest, Conflict, ValidationError
from .extensions import db
from .models import IdempotentRequest, User, UTCDateTime
from .timeutil import now as utcnow

HEADER = "Idempotency-Key"
REPLAYED_HEADER = "Idempotent-Replayed"
MAX_KEY_LENGTH = 200
KEEP_FOR = timedelta(hours=24)
API_SCOPE = "api"
_CLAIM = "onestop.idempotency_claim"


@dataclass
class Replay:
    """The stored answer of the first request with this key."""

    status: int
    body: str
    location: str | None

    def response(self) -> Response:
        response = Response(self.body, status=self.status, mimetype="application/json")
        if self.location:
            response.headers["Location"] = self.location
        response.headers[REPLAYED_HEADER] = "true"
        return response


def new_key() -> str:
    """A fresh one-time token for a form."""
    return secrets.token_urlsafe(18)


def valid_key(key) -> bool:
    """1 to 200 printable ASCII characters."""
    return isinstance(key, str) and 0 < len(key) <= MAX_KEY_LENGTH and all(" " <= c <= "~" for c in key)


def fingerprint(*parts) -> str:
    """SHA-256 of what was asked (method, path, body as canonical JSON)."""
    text = json.dumps(parts, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


def _stored(user: User, scope: str, key: str) -> IdempotentRequest | None:
    return db.session.execute(sa.select(IdempotentRequest).filter_by(user_id=user.id, scope=scope, key=key)
                              ).scalar_one_or_none()


def _answer(row: IdempotentRequest, fingerprint_: str | None) -> Replay:
    if fingerprint_ is not None and row.fingerprint != fingerprint_:
        raise ValidationError(_("Khóa %(header)s này đã được dùng cho một yêu cầu khác; mỗi yêu cầu mới cần một "
                                "khóa mới.", header=HEADER), field=HEADER, code="idempotency_key_reused")
    return Replay(row.status or 200, row.body or "", row.location)


_PURGED: dict[int, float] = {}  # user id -> when this process last deleted their expired keys (monotonic)
PURGE_EVERY = 60.0


def _forget_expired(user: User, now) -> None:
    """Delete the user's keys older than KEEP_FOR, at most once a minute per process (not on every claim)."""
    last = _PURGED.get(user.id)
    moment = time.monotonic()
    if last is not None and moment - last < PURGE_EVERY:
        return
    db.session.execute(sa.delete(IdempotentRequest).where(
        IdempotentRequest.user_id == user.id,
        IdempotentRequest.created_at < sa.literal(now - KEEP_FOR, UTCDateTime())))
    if len(_PURGED) > 10_000:
        _PURGED.clear()
    _PURGED[user.id] = moment


def claim(user: User, scope: str, key: str, fingerprint_: str | None = None) -> IdempotentRequest | Replay:
    """Claim the key for this request (written at once, in the request's transaction), or the first answer
    given with it."""
    if not valid_key(key):
        raise BadRequest(_("%(header)s phải gồm 1 đến %(max)s ký tự ASCII in được.", header=HEADER,
                           max=MAX_KEY_LENGTH))
    now = utcnow()
    _forget_expired(user, now)
    values = {"user_id": user.id, "scope": scope, "key": key, "fingerprint": fingerprint_ or "", "created_at": now}
    for _attempt in range(2):
        # A concurrent first request holding the key makes this INSERT wait for its end, then skip the row.
        row = rows.insert_unless_exists(IdempotentRequest, values, ("user_id", "scope", "key"))
        if row is not None:
            return row
        existing = _stored(user, scope, key)
        if existing is None or existing.created_at >= now - KEEP_FOR:
            break
        db.session.delete(existing)  # expired since the last purge: the key is free again
        db.session.flush()
    if existing is None:
        raise Conflict(_("Yêu cầu trùng đang được xử lý; vui lòng thử lại."), code="idempotency_in_progress")
    return _answer(existing, fingerprint_)


def finish(row: IdempotentRequest, status: int, body: str, location: str | None = None) -> None:
    """Store the answer with the claim; it is committed together with the work."""
    row.status, row.body, row.location = status, body, location
    db.session.flush()


# -- the JSON API: the Idempotency-Key header --------------------------------------------------------

def api_replay(user: User, body) -> Response | None:
    """With an Idempotency-Key header: the first answer for a repeat, else None after claiming the key."""
    key = request.headers.get(HEADER)
    if key is None:
        return None
    found = claim(user, API_SCOPE, key, fingerprint(request.method, request.path, body))
    if isinstance(found, Replay):
        return found.response()
    request.environ[_CLAIM] = found
    return None


def api_store(response: Response) -> None:
    """Keep the answer of a request that claimed a key (call before returning it)."""
    row = request.environ.get(_CLAIM)
    if row is not None:
        finish(row, response.status_code, response.get_data(as_text=True), response.headers.get("Location"))
