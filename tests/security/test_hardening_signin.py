"""Issue 17, items 4 and 5: growing delays instead of a lock anyone can trigger; unknown and real names look alike."""
from __future__ import annotations

from datetime import timedelta

import pytest
from factories import user

from onestop import accounts, throttle
from onestop.extensions import db
from onestop.models import AuditLog, SignInThrottle
from onestop.timeutil import now as utcnow

CLERK_DESK = "10.0.0.5"
ATTACKER = "203.0.113.9"
GENERIC = "Tên đăng nhập hoặc mật khẩu không đúng."


class Clock:
    """The moment the sign-in code sees, moved by hand."""

    def __init__(self, monkeypatch):
        self.at = utcnow()
        monkeypatch.setattr(accounts, "utcnow", lambda: self.at)

    def advance(self, seconds: float):
        self.at += timedelta(seconds=seconds)


@pytest.fixture
def clock(monkeypatch):
    return Clock(monkeypatch)


def sign_in(client, username, password="onestop2026", address=CLERK_DESK):
    return client.post("/auth/login", data={"username": username, "password": password},
                       environ_overrides={"REMOTE_ADDR": address})


def same_page(one, one_name, other, other_name) -> bool:
    """The two answers are the same page, apart from the name typed (echoed in the form)."""
    return one.get_data(as_text=True).replace(one_name, "X") == other.get_data(as_text=True).replace(other_name, "X")


def test_delays_grow_per_account_and_address_instead_of_a_lock():
    assert [throttle.delay_after(n, 3, 300) for n in range(1, 13)] == [0, 0, 0, 1, 2, 4, 8, 16, 32, 64, 128, 256]
    assert throttle.delay_after(13, 3, 300) == 300 and throttle.delay_after(10**6, 3, 300) == 300


def test_an_attacker_elsewhere_cannot_keep_the_clerk_out(app, client, demo, clock):
    """Two hundred wrong passwords from another address, then the clerk signs in from the desk at once."""
    assert sign_in(client, "tiepnhan").status_code == 302  # the desk's address becomes known
    client.post("/auth/logout", environ_overrides={"REMOTE_ADDR": CLERK_DESK})
    attacker = app.test_client()
    answers = []
    for _ in range(200):
        answers.append(sign_in(attacker, "tiepnhan", "doan-mo", ATTACKER).status_code)
        clock.advance(1)
    assert set(answers) <= {401, 429} and answers.count(401) < 40  # delays soon answer before the hash runs
    r = sign_in(client, "tiepnhan")
    assert r.status_code == 302, r.get_data(as_text=True)
    # A wrong guess from the desk itself starts its own gentle count (three free tries).
    client.post("/auth/logout", environ_overrides={"REMOTE_ADDR": CLERK_DESK})
    for _ in range(3):
        assert sign_in(client, "tiepnhan", "go-nham").status_code == 401
    assert sign_in(client, "tiepnhan").status_code == 302


def test_too_soon_after_failures_is_refused_with_the_wait_and_then_allowed(client, demo, clock):
    for _ in range(4):
        assert sign_in(client, "chuyenvien", "sai", ATTACKER).status_code == 401
    r = sign_in(client, "chuyenvien", "onestop2026", ATTACKER)
    assert r.status_code == 429 and r.headers["Retry-After"] == "1"
    assert "Vui lòng đợi 1 giây rồi thử lại" in r.get_data(as_text=True)
    clock.advance(1)
    assert sign_in(client, "chuyenvien", "onestop2026", ATTACKER).status_code == 302


def test_one_address_has_a_budget_over_all_accounts(app, demo, clock):
    """Spraying many names from one address: after the budget, that address waits; others do not."""
    app.config["ONESTOP_LOGIN_ADDRESS_BUDGET"] = 5
    sprayer = app.test_client()
    codes = [sign_in(sprayer, f"nguoi-{i}", "123456", ATTACKER).status_code for i in range(6)]
    assert codes == [401] * 6
    assert sign_in(sprayer, "nguoi-moi", "123456", ATTACKER).status_code == 429
    assert sign_in(app.test_client(), "lanhdao", address="198.51.100.7").status_code == 302


def test_guessing_one_account_from_many_addresses_slows_only_new_addresses(app, demo, clock):
    app.config["ONESTOP_LOGIN_ACCOUNT_BUDGET"] = 5
    desk = app.test_client()
    assert sign_in(desk, "tiepnhan").status_code == 302
    for i in range(6):
        assert sign_in(app.test_client(), "tiepnhan", "sai", f"192.0.2.{i}").status_code == 401
    assert sign_in(app.test_client(), "tiepnhan", "onestop2026", "192.0.2.200").status_code == 429
    other_desk = app.test_client()
    assert sign_in(other_desk, "tiepnhan").status_code == 302  # the clerk's usual address: no wait
    # The admin sees the account-wide delay, and lifting it lets a new address in at once.
    db.session.expire_all()
    assert user("tiepnhan").locked_until is not None
    accounts.unlock(user("tiepnhan"))
    db.session.commit()
    assert sign_in(app.test_client(), "tiepnhan", "onestop2026", "192.0.2.201").status_code == 302


def test_unknown_and_real_names_get_the_same_answer_and_the_same_work(client, demo, clock, monkeypatch):
    hashed = []
    real_check = accounts.check_password_hash
    monkeypatch.setattr(accounts, "check_password_hash", lambda h, p: hashed.append(h) or real_check(h, p))
    monkeypatch.setattr(type(user("tiepnhan")), "check_password",
                        lambda self, p: hashed.append(self.password_hash) or real_check(self.password_hash, p))
    unknown = sign_in(client, "khong-ton-tai", "x", ATTACKER)
    real = sign_in(client, "chuyenvien", "x", ATTACKER)
    assert unknown.status_code == real.status_code == 401
    assert same_page(unknown, "khong-ton-tai", real, "chuyenvien")
    assert GENERIC in real.get_data(as_text=True)
    assert len(hashed) == 2 and hashed[0].split("$")[0] == hashed[1].split("$")[0]  # one hash each, same method
    # Delays count names as typed: an unknown name is delayed exactly like a real one.
    for name in ("khong-ton-tai", "chuyenvien"):
        for _ in range(3):
            sign_in(client, name, "x", ATTACKER)
    late_unknown = sign_in(client, "khong-ton-tai", "x", ATTACKER)
    late_real = sign_in(client, "chuyenvien", "x", ATTACKER)
    assert late_unknown.status_code == late_real.status_code == 429
    assert same_page(late_unknown, "khong-ton-tai", late_real, "chuyenvien")
    assert "tạm khóa" not in late_real.get_data(as_text=True)


def test_failures_are_kept_and_audited_but_delayed_attempts_write_nothing(client, demo, clock):
    for _ in range(4):
        sign_in(client, "lanhdao", "sai", ATTACKER)
    db.session.expire_all()
    failed = db.session.execute(db.select(db.func.count(AuditLog.id)).filter_by(action="auth.login_failed"))
    assert failed.scalar_one() == 4
    rows = db.session.execute(db.select(db.func.count()).select_from(SignInThrottle)).scalar_one()
    assert sign_in(client, "lanhdao", "sai", ATTACKER).status_code == 429
    db.session.expire_all()
    assert db.session.execute(db.select(db.func.count()).select_from(SignInThrottle)).scalar_one() == rows
    assert db.session.execute(db.select(db.func.count(AuditLog.id)).filter_by(action="auth.login_failed")
                              ).scalar_one() == 4

