"""Bearer-token authentication for the staff API: a token acts as its user, and nothing more."""
from __future__ import annotations

from functools import wraps

from flask import g, request

from ... import accounts
from ...errors import DomainError, PermissionDenied
from ...policy import STAFF_ROLES


class Unauthenticated(DomainError):
    """No valid bearer token (401)."""

    status = 401
    code = "unauthorized"


def bearer_token() -> str | None:
    """The raw token of an `Authorization: Bearer <token>` header, if any."""
    scheme, _, raw = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer":
        return None
    return raw.strip() or None


def current_api_user():
    return g.get("api_user")


def token_required(*roles: str):
    """Require a valid, unrevoked token whose user has one of `roles` (any staff role if none given)."""
    allowed = roles or STAFF_ROLES

    def decorator(view):
        @wraps(view)
        def wrapped(*args, **kwargs):
            raw = bearer_token()
            user = accounts.user_for_token(raw) if raw else None
            if user is None:
                message = ("Thiếu mã truy cập (Authorization: Bearer <token>)." if raw is None
                           else "Mã truy cập không hợp lệ, đã bị thu hồi hoặc tài khoản đã bị khóa.")
                raise Unauthenticated(message)
            if user.role not in allowed:
                raise PermissionDenied("Vai trò của bạn không được dùng chức năng này.")
            g.api_user = user
            return view(*args, **kwargs)

        return wrapped

    return decorator


def add_challenge(response):
    """401 answers tell clients which scheme to use."""
    if response.status_code == 401 and request.blueprint == "api":
        response.headers.setdefault("WWW-Authenticate", 'Bearer realm="onestop"')
    return response
