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


def run(pages: int = 1000, limit: int = 20, repeat: int = 5) -> dict:
    from onestop import accounts, queries
    from onestop.extensions import db

    app = make_app()
    out = {"pages": pages, "limit": limit}
    with app.app_context():
        user = busiest_specialist()
        out["user"] = user.username
        out["agency"] = user.agency.name
        filters = queries.DossierFilters()

        def page_one():
            db.session.expire_all()
            return queries.page(user, filters, order="newest", limit=limit)

        out["domain_page_1_ms"], out["domain_page_1_runs"] = median_ms(page_one, repeat)
        # Walk to the cursor of page N (bounded loop), then time page N itself.
        cursor, walked = None, 1
        started = time.perf_counter()
        while walked < pages:
            result = queries.page(user, filters, order="newest", cursor=cursor, limit=limit)
            if result.next_cursor is None:
                break
            cursor, walked = result.next_cursor, walked + 1
        out["domain_walk_seconds"] = round(time.perf_counter() - started, 2)
        out["reached_page"] = walked

        def page_n():
            db.session.expire_all()
            return queries.page(user, filters, order="newest", cursor=cursor, limit=limit)

        out["domain_page_n_ms"], out["domain_page_n_runs"] = median_ms(page_n, repeat)
        out["domain_page_n_items"] = len(page_n().items)
        _, token = accounts.create_token(user, "benchmark")
        db.session.commit()
        out["visible_dossiers"] = queries.count(user, filters)
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

        first = f"/api/v1/dossiers?limit={limit}"
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
        out["api_page_1_throughput"] = drive(port, [first], seconds=5, clients=4, headers=headers)
        out["api_page_n_throughput"] = drive(port, [nth], seconds=5, clients=4, headers=headers)
    return out
