"""Sign-in throttling with growing delays, never a lock that someone else can trigger.

Three counters of failed sign-ins (onestop.models.SignInThrottle):

- per (account name, address): a few free failures, then 1 s, 2 s, 4 s ... up to
  `ONESTOP_LOGIN_PAIR_MAX_DELAY` seconds between attempts;
- per address, over all account names: `ONESTOP_LOGIN_ADDRESS_BUDGET` failures an
  hour, then growing delays for that address;
- per account name, over all addresses: `ONESTOP_LOGIN_ACCOUNT_BUDGET` failures an
  hour, then growing delays, but only for addresses the account never signed in from.

An address the account signed in from ("known") skips the address and account
counters, so guessing from elsewhere never keeps a clerk out of their own desk.
Names are counted as typed, whether or not such an account exists, so the
answers do not tell real accounts from unknown ones.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import current_app

from . import rows
from .extensions import db
from .models import SignInThrottle, UTCDateTime

WINDOW = timedelta(hours=1)
KNOWN_FOR = timedelta(days=90)
DEFAULTS = {
    "ONESTOP_LOGIN_PAIR_FREE": 3,
    "ONESTOP_LOGIN_PAIR_MAX_DELAY": 300,
    "ONESTOP_LOGIN_ADDRESS_BUDGET": 30,
    "ONESTOP_LOGIN_ACCOUNT_BUDGET": 10,
    "ONESTOP_LOGIN_MAX_DELAY": 900,
}
PAIR, ADDRESS, ACCOUNT, KNOWN = "pair", "address", "account", "known"


def setting(name: str) -> int:
    return int(current_app.config.get(name, DEFAULTS[name]))


def delay_after(failures: int, free: int, cap: int) -> int:
    """Seconds to wait after `failures` failures: none while free, then 1, 2, 4 ... capped."""
    if failures <= free:
        return 0
    exponent = failures - free - 1
    return cap if exponent >= 30 else min(cap, 2 ** exponent)


def account_key(username) -> str:
    """The name as counted: trimmed, lower-case, at most 64 characters."""
    return (username or "").strip().lower()[:64] if isinstance(username, str) else ""


def address_key(address) -> str:
    return (address or "")[:64]


@dataclass
class Wait:
    """A refused attempt: come back in `seconds`."""

    seconds: int


def _key(kind: str, account: str = "", address: str = "") -> dict:
    return {"kind": kind, "account": account, "address": address}


def _row(kind: str, account: str = "", address: str = "", *, lock: bool = False) -> SignInThrottle | None:
    stmt = sa.select(SignInThrottle).filter_by(**_key(kind, account, address))
    if lock:
        stmt = stmt.with_for_update()
    return db.session.execute(stmt).scalar_one_or_none()


def _claim(kind: str, account: str, address: str, now: datetime) -> SignInThrottle:
    """The counter row, created if missing and locked for this transaction (concurrent attempts queue here)."""
    insert = rows.dialect_insert(db.session.get_bind().dialect.name)
    db.session.execute(insert(SignInThrottle).values(**_key(kind, account, address), failures=0, updated_at=now)
                       .on_conflict_do_nothing())
    return _row(kind, account, address, lock=True)


def _waiting(row: SignInThrottle | None, now: datetime) -> int:
    if row is None or row.next_allowed_at is None or row.next_allowed_at <= now:
        return 0
    return max(1, math.ceil((row.next_allowed_at - now).total_seconds()))


def account_row(username) -> SignInThrottle | None:
    """The account-wide counter (over all addresses) of this name."""
    return _row(ACCOUNT, account_key(username), "")


def is_known(account: str, address: str, now: datetime) -> bool:
    row = _row(KNOWN, account, address)
    return row is not None and row.updated_at >= now - KNOWN_FOR


def check(username, address, now: datetime) -> Wait | None:
    """Whether this attempt must wait; takes the (account, address) row lock so parallel guesses queue."""
    account, address = account_key(username), address_key(address)
    waits = [_waiting(_claim(PAIR, account, address, now), now)]
    if not is_known(account, address, now):
        waits += [_waiting(_row(ADDRESS, "", address), now), _waiting(_row(ACCOUNT, account, ""), now)]
    longest = max(waits)
    return Wait(longest) if longest else None


def _count(row: SignInThrottle, now: datetime, free: int, cap: int, windowed: bool) -> None:
    if windowed and (row.window_started_at is None or row.window_started_at < now - WINDOW):
        row.failures, row.window_started_at = 0, now
    row.failures = (row.failures or 0) + 1
    row.window_started_at = row.window_started_at or now
    seconds = delay_after(row.failures, free, cap)
    row.next_allowed_at = now + timedelta(seconds=seconds) if seconds else None
    row.updated_at = now


def failed(username, address, now: datetime) -> None:
    """Count a failed attempt on the three counters (flushes; the caller keeps it despite the error answer)."""
    account, address = account_key(username), address_key(address)
    cap = setting("ONESTOP_LOGIN_MAX_DELAY")
    _count(_claim(PAIR, account, address, now), now, setting("ONESTOP_LOGIN_PAIR_FREE"),
           setting("ONESTOP_LOGIN_PAIR_MAX_DELAY"), windowed=False)
    _count(_claim(ADDRESS, "", address, now), now, setting("ONESTOP_LOGIN_ADDRESS_BUDGET"), cap, windowed=True)
    _count(_claim(ACCOUNT, account, "", now), now, setting("ONESTOP_LOGIN_ACCOUNT_BUDGET"), cap, windowed=True)
    _forget_stale(now)
    db.session.flush()


def succeeded(username, address, now: datetime) -> None:
    """A right password: this pair starts afresh and the address becomes known for the account."""
    account, address = account_key(username), address_key(address)
    db.session.execute(sa.delete(SignInThrottle).where(
        SignInThrottle.kind == PAIR, SignInThrottle.account == account, SignInThrottle.address == address))
    known = _claim(KNOWN, account, address, now)
    known.updated_at = now
    db.session.flush()


def forget_account(username) -> None:
    """Lift every delay of an account (an administrator's unlock or password reset)."""
    account = account_key(username)
    db.session.execute(sa.delete(SignInThrottle).where(
        SignInThrottle.kind.in_((PAIR, ACCOUNT)), SignInThrottle.account == account))


def _forget_stale(now: datetime) -> None:
    """Counters idle for a day have no delay left to give; known addresses last KNOWN_FOR."""
    day_ago = sa.literal(now - timedelta(days=1), UTCDateTime())
    db.session.execute(sa.delete(SignInThrottle).where(
        SignInThrottle.kind != KNOWN, SignInThrottle.updated_at < day_ago,
        sa.or_(SignInThrottle.next_allowed_at.is_(None), SignInThrottle.next_allowed_at < day_ago)))
    db.session.execute(sa.delete(SignInThrottle).where(
        SignInThrottle.kind == KNOWN, SignInThrottle.updated_at < sa.literal(now - KNOWN_FOR, UTCDateTime())))
