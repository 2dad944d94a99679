"""Issue 21: the counter's ratings are the counter's own satisfaction figure on the queue report.

DOMAIN.md counts satisfaction per dossier, rated after the result is returned (and Decision 766 counts the
dossiers rated "not satisfied"); a rating at the counter is about the service at the counter, so it is shown as
the counter's own figure and does not enter the dossier satisfaction indicators.
"""
from __future__ import annotations

import re

import sqlalchemy as sa
from factories import user

from onestop import queue
from onestop.agencies import get_by_identifier
from onestop.extensions import db
from onestop.models import QueueCounter

CENTER = "000.00.17.H56"


def _serve_and_rate(counter, rating):
    ticket = queue.take_number(get_by_identifier(CENTER), "Xây dựng")
    queue.call_next(counter, user("tiepnhan"))
    queue.finish(counter, user("tiepnhan"))
    queue.rate(counter, ticket.id, rating)
    db.session.commit()


def test_the_report_shows_the_counters_own_satisfaction_rate(client, auth, demo):
    center = get_by_identifier(CENTER)
    one = db.session.execute(sa.select(QueueCounter).filter_by(agency_id=center.id, number=1)).scalar_one()
    for rating in ("very_satisfied", "satisfied", "not_satisfied"):
        _serve_and_rate(one, rating)
    rows = queue.figures(None, queue.today(), queue.today(), "counter")
    assert [(r.ratings, r.satisfied, r.satisfied_rate) for r in rows] == [(3, 2, 66.7)]
    auth.login("admin")
    page = client.get("/queue/report?by=counter").get_data(as_text=True)
    assert "Tỷ lệ hài lòng tại quầy" in page
    cell = re.search(r'data-figure="satisfied-rate">([^<]*)<', page).group(1)
    assert cell == "66,7 %"
