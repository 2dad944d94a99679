"""Staff accounts: sign-in (throttled, uniform), sessions that end on demand, the password policy, API tokens."""
from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import unicodedata
from datetime import datetime, timedelta
from functools import lru_cache
from pathlib import Path

import sqlalchemy as sa
from flask import current_app, has_app_context
from flask_babel import gettext as _
from sqlalchemy.orm.attributes import set_committed_value
from werkzeug.security import check_password_hash, generate_password_hash

from . import audit, throttle
from .errors import ValidationError
from .extensions import db
from .inputs import DB_INT_MAX, is_ascii_digits
from .models import ROLE_LABELS, Agency, ApiToken, User
from .timeutil import now as utcnow

TOKEN_PREFIX = "os_"
MIN_LENGTH = 12
MAX_LENGTH = 200
PASSPHRASE_WORDS = 4
COMMON_PASSWORDS = Path(__file__).resolve().parent / "data" / "common-passwords.txt"
_LOOKALIKES = str.maketrans({"@": "a", "4": "a", "0": "o", "1": "i", "!": "i", "3": "e", "$": "s", "5": "s",
                             "7": "t", "+": "t", "8": "b", "9": "g"})


class LoginRefused(Exception):
    """A refused sign-in; `retry_after` (seconds) when the attempt came too soon."""

    def __init__(self, message: str, retry_after: int | None = None):
        super().__init__(message)
        self.message = message
        self.retry_after = retry_after


# -- sign-in -------------------------------------------------------------------------------------

def _password_method() -> str:
    return current_app.config.get("ONESTOP_PASSWORD_METHOD", "scrypt") if has_app_context() else "scrypt"


@lru_cache(maxsize=8)
def _dummy_hash(method: str) -> str:
    return generate_password_hash(secrets.token_urlsafe(16), method=method)


def _check(user: User | None, password: str) -> bool:
    """Hash the password in every case, so an unknown name costs as much time as a real one."""
    if user is None:
        check_password_hash(_dummy_hash(_password_method()), password)
        return False
    return user.check_password(password)


def authenticate(username: str, password: str, address: str | None = None, now: datetime | None = None) -> User:
    """Check a sign-in from `address`. Unknown names and wrong passwords get the same answer and cost.

    Failures grow the delays of onestop/throttle.py (never a lock): an attempt that comes too
    soon is refused before the password is even read, with the number of seconds to wait.
    """
    now = now or utcnow()
    name = (username or "").strip() if isinstance(username, str) else ""
    password = password if isinstance(password, str) else ""
    generic = _("Tên đăng nhập hoặc mật khẩu không đúng.")
    wait = throttle.check(name, address, now)
    if wait is not None:  # refused without reading the password; nothing is written
        raise LoginRefused(_("Đăng nhập sai nhiều lần. Vui lòng đợi %(seconds)s giây rồi thử lại.",
                             seconds=wait.seconds), retry_after=wait.seconds)
    user = db.session.execute(db.select(User).filter_by(username=name)).scalar_one_or_none() if name else None
    if not _check(user, password):
        throttle.failed(name, address, now)
        if user is not None:
            _show_delay_to_admins(user, name, now)
        audit.record("auth.login_failed", actor=user, actor_name=None if user else name[:120],
                     details={"reason": "wrong password" if user else "unknown user"})
        raise LoginRefused(generic)
    if not user.active:
        audit.record("auth.login_failed", actor=user, details={"reason": "inactive"})
        raise LoginRefused(_("Tài khoản đã bị vô hiệu hóa."))
    throttle.succeeded(name, address, now)
    audit.record("auth.login", actor=user)
    return user


def _show_delay_to_admins(user: User, name: str, now: datetime) -> None:
    """The account-wide delay (for addresses it never used) shows on the admin's user page as a lock."""
    row = throttle.account_row(name)
    user.failed_logins = row.failures if row else 0
    user.locked_until = row.next_allowed_at if row and row.next_allowed_at and row.next_allowed_at > now else None


def unlock(user: User) -> None:
    """Lift every sign-in delay of the account."""
    user.failed_logins = 0
    user.locked_until = None
    throttle.forget_account(user.username)


# -- sessions ------------------------------------------------------------------------------------

def user_for_session(session_id) -> User | None:
    """The active user a session id (`<id>:<session token>`, see User.get_id) still belongs to, else None."""
    if not isinstance(session_id, str):
        return None
    ident, _sep, token = session_id.partition(":")
    if not is_ascii_digits(ident) or int(ident) > DB_INT_MAX or not token:
        return None
    # With their agency, which every staff page names (the menu) and the desk's intake checks: one statement.
    row = db.session.execute(_USER_AGENCY, {"user_id": int(ident)}).first()
    if row is None:
        return None
    user, agency = row
    if agency is not None:
        set_committed_value(user, "agency", agency)
    if not user.active or not user.session_token:
        return None
    if not hmac.compare_digest(user.session_token.encode(), token.encode("utf-8", "surrogatepass")):
        return None
    return user


def end_sessions(user: User) -> None:
    """Sign the user out everywhere: every session cookie issued so far stops working."""
    user.rotate_session_token()
    db.session.flush()


# -- the password policy -------------------------------------------------------------------------

@lru_cache(maxsize=1)
def common_passwords() -> frozenset[str]:
    """The list shipped in onestop/data (lower-case)."""
    lines = COMMON_PASSWORDS.read_text(encoding="utf-8").splitlines()
    return frozenset(line.strip() for line in lines if line.strip() and not line.startswith("#"))


def _words(password: str) -> list[str]:
    return [w for w in re.split(r"[\s\-_.,;:/+]+", password) if w]


def is_passphrase(password: str) -> bool:
    """At least four words of two or more characters, not all the same."""
    words = _words(password)
    return (len(words) >= PASSPHRASE_WORDS and all(len(w) >= 2 for w in words)
            and len({w.lower() for w in words}) >= 3)


def _is_common(password: str) -> bool:
    common = common_passwords()
    plain = unicodedata.normalize("NFC", password).lower()
    squeezed = re.sub(r"[\s\-_.]+", "", plain)
    candidates = {plain, squeezed, squeezed.translate(_LOOKALIKES)}
    for candidate in list(candidates):
        # A common word with digits or symbols around it ("matkhau@2026", "123password!") is just as weak.
        core = re.sub(r"^[\W\d_]+|[\W\d_]+$", "", candidate)
        if core and core != candidate:
            candidates |= {core, core.translate(_LOOKALIKES)}
    return any(c in common for c in candidates)


def check_password_policy(password, *, username: str | None = None, full_name: str | None = None) -> str:
    """The password if it is strong enough; ValidationError(field="password") with the reason otherwise."""
    if not isinstance(password, str) or not password:
        raise ValidationError(_("Vui lòng nhập mật khẩu."), field="password")
    if len(password) > MAX_LENGTH:
        raise ValidationError(_("Mật khẩu dài quá %(max)s ký tự.", max=MAX_LENGTH), field="password")
    if len(password) < MIN_LENGTH and not is_passphrase(password):
        raise ValidationError(_("Mật khẩu phải có ít nhất %(min)s ký tự, hoặc là một cụm từ gồm ít nhất "
                                "%(words)s từ (ví dụ: “mèo vàng ăn cá kho”).", min=MIN_LENGTH,
                                words=PASSPHRASE_WORDS), field="password")
    if len(set(password)) < 5 or _is_common(password):
        raise ValidationError(_("Mật khẩu này quá phổ biến hoặc dễ đoán. Vui lòng chọn mật khẩu khác."),
                              field="password")
    squeezed = re.sub(r"[\s\-_.]+", "", password.lower())
    for own in (username, full_name):
        own = re.sub(r"[\s\-_.]+", "", (own or "").lower())
        if len(own) >= 4 and own in squeezed:
            raise ValidationError(_("Mật khẩu không được chứa tên đăng nhập hoặc họ tên."), field="password")
    return password


def set_password(user: User, password, *, check_policy: bool = True) -> None:
    """Give the user a new password (checked against the policy) and end every session they had."""
    if check_policy:
        check_password_policy(password, username=user.username, full_name=user.full_name)
    user.set_password(password)  # also rotates the session token
    db.session.flush()


def change_own_password(user: User, current: str, new: str, address: str | None = None,
                        now: datetime | None = None) -> None:
    """A staff member changes their password: the current one first (throttled like a sign-in), then the policy.

    A wrong current password raises ValidationError(field="current_password"); the caller counts it
    with `password_failed` after rolling back.
    """
    wait = throttle.check(user.username, address, now or utcnow())
    if wait is not None:
        raise ValidationError(_("Nhập sai mật khẩu nhiều lần. Vui lòng đợi %(seconds)s giây rồi thử lại.",
                                seconds=wait.seconds), field="current_password")
    if not isinstance(current, str) or not user.check_password(current):
        raise ValidationError(_("Mật khẩu hiện tại không đúng."), field="current_password", code="wrong_password")
    if isinstance(new, str) and hmac.compare_digest(current.encode("utf-8", "surrogatepass"),
                                                    new.encode("utf-8", "surrogatepass")):
        raise ValidationError(_("Mật khẩu mới phải khác mật khẩu hiện tại."), field="password")
    try:
        set_password(user, new)
    except ValidationError as exc:
        raise ValidationError(exc.message, field="password") from None
    audit.record("auth.password_change", actor=user)


def password_failed(user: User, address: str | None = None, now: datetime | None = None) -> None:
    """Count a wrong current password on the page that changes it, as a failed sign-in."""
    throttle.failed(user.username, address, now or utcnow())
    audit.record("auth.password_change_failed", actor=user)


def reset_password(user: User, password) -> None:
    """An administrator's reset: the policy applies, sessions end, sign-in delays are lifted."""
    set_password(user, password)
    unlock(user)


def deactivate(user: User) -> None:
    """No more sign-ins, tokens or sessions for the user."""
    user.active = False
    end_sessions(user)


# -- accounts ------------------------------------------------------------------------------------

def create_user(username: str, *, role: str, agency_identifier: str, full_name: str, password: str,
                email: str | None = None, check_policy: bool = True) -> User:
    """Add a staff account; flushes. `check_policy=False` only for the demo data's published password."""
    username = (username or "").strip()
    if not username or len(username) > 64 or not username.isascii() \
            or not username.replace(".", "").replace("_", "").replace("-", "").isalnum():
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
    if len(full_name.strip()) > 120:
        raise ValidationError(_("Họ và tên dài quá 120 ký tự."), field="full_name")
    if check_policy:
        check_password_policy(password, username=username, full_name=full_name)
    elif not password:
        raise ValidationError(_("Vui lòng nhập mật khẩu."), field="password")
    user = User(username=username, role=role, agency=agency, full_name=full_name.strip(), email=email)
    user.set_password(password)
    db.session.add(user)
    db.session.flush()
    return user


# -- API tokens ----------------------------------------------------------------------------------

def hash_token(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def create_token(user: User, name: str | None = None) -> tuple[ApiToken, str]:
    """A new API token for the user; the raw value is returned once and never stored."""
    raw = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(user=user, token_hash=hash_token(raw), prefix=raw[:10], name=name)
    db.session.add(token)
    db.session.flush()
    return token, raw


TOKEN_TOUCH = timedelta(minutes=1)


def user_for_token(raw: str | None) -> User | None:
    """The active user a bearer token acts as, or None (unknown, revoked, inactive)."""
    if not raw or not raw.startswith(TOKEN_PREFIX) or len(raw) > 200 or not raw.isascii():
        return None
    # The user with their agency (a desk's intake opens its codes with it) and the token's state, one row.
    row = db.session.execute(_TOKEN_USER, {"token_hash": hash_token(raw)}).first()
    if row is None:
        return None
    user, agency, token_id, last_used_at, revoked_at = row
    if revoked_at is not None or not user.active:
        return None
    if agency is not None:
        set_committed_value(user, "agency", agency)
    # "Last used" to the minute: writing it on every request locked the token's row until the commit, so
    # every request of one integration (one token) ran one at a time. Written by the request's commit.
    now = utcnow()
    if last_used_at is None or now - last_used_at >= TOKEN_TOUCH:
        db.session.get(ApiToken, token_id).last_used_at = now
    return user


_USER_AGENCY = (sa.select(User, Agency).outerjoin(Agency, Agency.id == User.agency_id)
                .where(User.id == sa.bindparam("user_id")))
_TOKEN_USER = (
    sa.select(User, Agency, ApiToken.id, ApiToken.last_used_at, ApiToken.revoked_at)
    .join(ApiToken, ApiToken.user_id == User.id).outerjoin(Agency, Agency.id == User.agency_id)
    .where(ApiToken.token_hash == sa.bindparam("token_hash"))
)


def revoke_token(token: ApiToken) -> None:
    token.revoked_at = token.revoked_at or utcnow()
