"""The staff badge: due-soon and overdue counts of the agency's dossiers on every page."""
from __future__ import annotations

from datetime import timedelta

import pytest
from factories import act, receive

from onestop import inbox
from onestop.extensions import db
from onestop.models import Agency
from onestop.timeutil import now as utcnow


@pytest.fixture
def commune_dossiers(demo):
    """At UBND xã Phú Lộc: one overdue (received 40 days ago), one due soon (4 working hours, now)."""
    receive("2.000986", at=utcnow() - timedelta(days=40), clerk="tiepnhan.phuloc")
    receive("2.000986", clerk="tiepnhan.phuloc")
    old = receive("1.009994", at=utcnow() - timedelta(days=60))  # at the provincial centre
    act(old, "forward", "tiepnhan", at=utcnow() - timedelta(days=59))  # now at Sở Xây dựng


@pytest.mark.parametrize("username", ["chuyenvien.phuloc", "tiepnhan.phuloc"])
def test_commune_staff_see_their_counts(client, auth, commune_dossiers, username):
    auth.login(username)
    html = client.get("/about").get_data(as_text=True)
    assert "Sắp đến hạn: 1" in html
    assert "Quá hạn: 1" in html


def test_other_agencies_see_their_own(client, auth, commune_dossiers):
    auth.login("lanhdao")
    html = client.get("/about").get_data(as_text=True)
    assert "Sắp đến hạn: 0" in html and "Quá hạn: 1" in html


@pytest.mark.parametrize("username", ["admin", None])
def test_no_badge_for_admins_and_visitors(client, auth, commune_dossiers, username):
    if username:
        auth.login(username)
    html = client.get("/about", follow_redirects=True).get_data(as_text=True)
    assert "Quá hạn:" not in html


def test_badge_counts_follow_the_clock(commune_dossiers):
    commune = db.session.execute(db.select(Agency).filter_by(identifier="000.01.31.H56")).scalar_one()
    assert inbox.badge_counts(commune.id) == {"due_soon": 1, "overdue": 1}
    assert inbox.badge_counts(commune.id, now=utcnow() + timedelta(days=10)) == {"due_soon": 0, "overdue": 2}
