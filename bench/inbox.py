"""An agency inbox's page 1 and page 1,000: keyset pagination in the domain function and over the API."""
from __future__ import annotations

import json
import time

import sqlalchemy as sa

from bench.common import drive, gunicorn, make_app, median_ms


def busiest_specialist():
    """The specialist whose agency sees the most dossiers (the heaviest inbox of the province)."""
    from onestop.extensions import db
    from onestop.models import Dossier, User

    agency = db.session.execute(
        sa.select(Dossier.current_agency_id).group_by(Dossier.current_agency_id)
        .order_by(sa.func.count().desc()).limit(1)).scalar()
    return db.session.execute(sa.select(User).where(User.agency_id == agency, User.role == "specialist",
                                                    User.active.is_(True)).limit(1)).scalar_one()


GOAL_MS = 50


def run(pages: int = 1000, limit: int = 20, repeat: int = 5) -> dict:
    """The busiest agency's inbox (the dossiers it holds now, as its staff open it): page 1 and page N.

    Domain: `inbox.inbox_page` (open work, most urgent first) and `queries.page` on the agency's dossiers
    (newest first, every status: the long list that has a page 1,000). HTTP: the API's list of the
    agency's dossiers (`GET /api/v1/dossiers?agency=<identifier>`), page 1 and page N following
    `next_cursor`. For information, page 1 of everything the specialist may see (no agency filter).
    """
    from onestop import accounts, inbox, queries
    from onestop.extensions import db

    app = make_app()
    out = {"pages": pages, "limit": limit, "goal_ms": GOAL_MS}
    with app.app_context():
        user = busiest_specialist()
        out["user"] = user.username
        out["agency"] = user.agency.name
        identifier = user.agency.identifier
        mine = queries.DossierFilters(current_agency_id=user.agency_id)
        open_work = inbox.inbox_filters(user)

        def timed_walk(fetch):
            first_ms, _ = median_ms(lambda: (db.session.expire_all(), fetch(None)), repeat)
            cursor, walked = None, 1
            while walked < pages:
                result = fetch(cursor)
                if result.next_cursor is None:
                    break
                cursor, walked = result.next_cursor, walked + 1
            nth_ms, _ = median_ms(lambda: (db.session.expire_all(), fetch(cursor)), repeat)
            return first_ms, nth_ms, walked

        out["inbox_page_1_ms"], out["inbox_page_n_ms"], out["inbox_reached_page"] = timed_walk(
            lambda c: inbox.inbox_page(user, open_work, order="urgent", cursor=c, limit=limit))
        out["open_dossiers"] = queries.count(user, open_work)
        started = time.perf_counter()
        out["domain_page_1_ms"], out["domain_page_n_ms"], out["reached_page"] = timed_walk(
            lambda c: queries.page(user, mine, order="newest", cursor=c, limit=limit))
        out["domain_walk_seconds"] = round(time.perf_counter() - started, 2)
        out["visible_dossiers"] = queries.count(user, mine)
        _, token = accounts.create_token(user, "benchmark")
        db.session.commit()
        db.engine.dispose()

    headers = {"Authorization": f"Bearer {token}"}
    with gunicorn(workers=2) as port:
        import http.client

        def api(path):
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
            conn.request("GET", path, headers=headers)
            r = conn.getresponse()
            body = r.read()
            conn.close()
            assert r.status == 200, (r.status, body[:200])
            return json.loads(body)

        first = f"/api/v1/dossiers?limit={limit}&agency={identifier}"
        for _ in range(4):  # both workers warm (their first request loads the calendar and the caches)
            api(first)
        out["api_page_1_ms"], out["api_page_1_runs"] = median_ms(lambda: api(first), repeat)
        cursor, walked = None, 1
        while walked < pages:
            data = api(first + (f"&cursor={cursor}" if cursor else ""))
            if not data.get("next_cursor"):
                break
            cursor, walked = data["next_cursor"], walked + 1
        nth = first + f"&cursor={cursor}" if cursor else first
        out["api_reached_page"] = walked
        out["api_page_n_ms"], out["api_page_n_runs"] = median_ms(lambda: api(nth), repeat)
        out["api_page_1_throughput"] = drive(port, [first], seconds=3, clients=4, headers=headers)
        out["api_page_n_throughput"] = drive(port, [nth], seconds=3, clients=4, headers=headers)
        everything = f"/api/v1/dossiers?limit={limit}"
        api(everything)
        out["api_all_visible_page_1_ms"], _ = median_ms(lambda: api(everything), repeat)
    out["holds"] = max(out["api_page_1_ms"], out["api_page_n_ms"]) <= GOAL_MS
    return out
