"""Staff accounts: sign-in with throttling, and API tokens stored hashed."""
from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from flask import current_app
from flask_babel import gettext as _

from . import audit
from .errors import ValidationError
from .extensions import db
from .models import ROLE_LABELS, Agency, ApiToken, User
from .timeutil import now as utcnow

TOKEN_PREFIX = "os_"


class LoginRefused(Exception):
    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


def authenticate(username: str, password: str) -> User:
    """Check a sign-in; counts failures and locks the account for a while after too many."""
    now = utcnow()
    user = db.session.execute(db.select(User).filter_by(username=(username or "").strip())).scalar_one_or_none()
    generic = _("Tên đăng nhập hoặc mật khẩu không đúng.")
    if user is None:
        audit.record("auth.login_failed", actor_name=(username or "")[:120], details={"reason": "unknown user"})
        raise LoginRefused(generic)
    if user.locked_until is not None and user.locked_until > now:
        audit.record("auth.login_locked", actor=user)
        raise LoginRefused(_("Tài khoản tạm khóa do đăng nhập sai nhiều lần. Vui lòng thử lại sau "
                             "%(minutes)s phút hoặc liên hệ quản trị.",
                             minutes=current_app.config["ONESTOP_LOGIN_LOCK_MINUTES"]))
    if not user.check_password(password or ""):
        user.failed_logins += 1
        if user.failed_logins >= current_app.config["ONESTOP_LOGIN_MAX_FAILURES"]:
            user.locked_until = now + timedelta(minutes=current_app.config["ONESTOP_LOGIN_LOCK_MINUTES"])
            user.failed_logins = 0
        audit.record("auth.login_failed", actor=user, details={"reason": "wrong password"})
        raise LoginRefused(generic)
    if not user.active:
        audit.record("auth.login_failed", actor=user, details={"reason": "inactive"})
        raise LoginRefused(_("Tài khoản đã bị vô hiệu hóa."))
    user.failed_logins = 0
    user.locked_until = None
    audit.record("auth.login", actor=user)
    return user


def unlock(user: User) -> None:
    user.failed_logins = 0
    user.locked_until = None


def create_user(username: str, *, role: str, agency_identifier: str, full_name: str, password: str,
                email: str | None = None) -> User:
    """Add a staff account; flushes."""
    username = (username or "").strip()
    if not username or len(username) > 64 or not username.replace(".", "").replace("_", "").replace("-", "").isalnum():
        raise ValidationError(_("Tên đăng nhập chỉ gồm chữ, số, dấu chấm, gạch dưới, gạch ngang."), field="username")
    if role not in ROLE_LABELS:
        raise ValidationError(_("Vai trò phải là admin, clerk, specialist hoặc leader."), field="role")
    agency = db.session.execute(db.select(Agency).filter_by(identifier=agency_identifier)).scalar_one_or_none()
    if agency is None:
        raise ValidationError(_("Không tìm thấy cơ quan %(identifier)s.", identifier=agency_identifier), field="agency")
    if db.session.execute(db.select(User.id).filter_by(username=username)).first():
        raise ValidationError(_("Tên đăng nhập %(username)s đã tồn tại.", username=username), field="username")
    if not full_name or not full_name.strip():
        raise ValidationError(_("Họ và tên là bắt buộc."), field="full_name")
    if not password or len(password) < 8:
        raise ValidationError(_("Mật khẩu phải có ít nhất 8 ký tự."), field="password")
    user = User(username=username, role=role, agency=agency, full_name=full_name.strip(), email=email)
    user.set_password(password)
    db.session.add(user)
    db.session.flush()
    return user


def hash_token(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def create_token(user: User, name: str | None = None) -> tuple[ApiToken, str]:
    """A new API token for the user; the raw value is returned once and never stored."""
    raw = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(user=user, token_hash=hash_token(raw), prefix=raw[:10], name=name)
    db.session.add(token)
    db.session.flush()
    return token, raw


def user_for_token(raw: str | None) -> User | None:
    """The active user a bearer token acts as, or None (unknown, revoked, inactive)."""
    if not raw or not raw.startswith(TOKEN_PREFIX) or len(raw) > 200:
        return None
    token = db.session.execute(
        db.select(ApiToken).filter_by(token_hash=hash_token(raw))
    ).scalar_one_or_none()
    if token is None or token.revoked_at is not None or not token.user.active:
        return None
    token.last_used_at = utcnow()
    return token.user


def revoke_token(token: ApiToken) -> None:
    token.revoked_at = token.revoked_at or utcnow()
