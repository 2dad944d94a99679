"""Public lookup throughput under gunicorn, beside /healthz on the same server in the same run."""
from __future__ import annotations

import random

import sqlalchemy as sa

from bench import common
from bench.common import drive, gunicorn, make_app


def sample_codes(n: int = 500, seed: int = 7) -> list[tuple[str, str]]:
    """(code, lookup key) of n dossiers spread over the whole table (random ids, one indexed query)."""
    from onestop.extensions import db
    from onestop.models import Dossier

    app = make_app()
    with app.app_context():
        top = db.session.execute(sa.select(sa.func.max(Dossier.id))).scalar() or 0
        rng = random.Random(seed)
        ids = rng.sample(range(1, top + 1), min(top, n * 2))
        rows = db.session.execute(sa.select(Dossier.code, Dossier.lookup_key).where(Dossier.id.in_(ids))
                                  .limit(n)).all()
        db.engine.dispose()
    return [(code, key) for code, key in rows]


def run(seconds: float = 10.0, clients: int = 8, workers: int = 2) -> dict:
    codes = sample_codes()
    if not codes:
        raise RuntimeError("no dossiers: generate them first")
    scenarios = {
        "healthz": ["/healthz"],
        "lookup_json": [f"/api/v1/lookup/{c}?key={k}" for c, k in codes],
        "lookup_json_no_key": [f"/api/v1/lookup/{c}" for c, _ in codes],
        "lookup_page": [f"/lookup/{c}?key={k}" for c, k in codes],
    }
    out = {"workers": workers, "clients": clients, "seconds_each": seconds, "codes": len(codes)}
    with gunicorn(workers=workers) as port:
        drive(port, scenarios["healthz"] + scenarios["lookup_json"][:50], seconds=2, clients=clients)  # warm up
        # healthz first and last: the ratio uses their mean, so drift in between does not bias it.
        first = drive(port, scenarios["healthz"], seconds=seconds, clients=clients)
        for name in ("lookup_json", "lookup_json_no_key", "lookup_page"):
            out[name] = drive(port, scenarios[name], seconds=seconds, clients=clients)
        out["worker_rss_mb"] = common.worker_rss_mb(common.SERVERS[-1])  # after the lookups
        last = drive(port, scenarios["healthz"], seconds=seconds, clients=clients)
    base = (first["per_second"] + last["per_second"]) / 2
    out["healthz"] = {**first, "per_second": round(base, 1), "first_per_second": first["per_second"],
                      "last_per_second": last["per_second"]}
    for name in ("lookup_json", "lookup_json_no_key", "lookup_page"):
        out[name]["ratio_to_healthz"] = round(out[name]["per_second"] / base, 3) if base else None
        bad = {k: v for k, v in out[name]["statuses"].items() if k != "200"}
        out[name]["non_200"] = bad
    return out
