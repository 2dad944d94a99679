"""Intake of N dossiers by C concurrent clients over POST /api/v1/dossiers: throughput, no duplicate or gap."""
from __future__ import annotations

import json
from collections import defaultdict

import sqlalchemy as sa

from bench.common import drive, gunicorn, make_app

APPLICANT = {"full_name": "Trần Thị Bích", "id_number": "079190001234", "phone": "0903123456",
             "email": "bich.tran@example.vn", "address": "Số 5 đường Quang Trung, phường 2"}


def run(dossiers: int = 1000, clients: int = 20, procedure_code: str = "1.009994") -> dict:
    from onestop import accounts
    from onestop.extensions import db
    from onestop.models import Dossier, Procedure, User

    app = make_app()
    with app.app_context():
        clerk = db.session.execute(sa.select(User).filter_by(username="tiepnhan")).scalar_one()
        proc = db.session.execute(sa.select(Procedure).filter_by(code=procedure_code)).scalar_one()
        documents = [{"name": d.name, "originals": d.originals, "copies": d.copies} for d in proc.documents]
        _, token = accounts.create_token(clerk, "benchmark intake")
        db.session.commit()
        before = db.session.execute(sa.select(sa.func.count(Dossier.id))).scalar()
        db.engine.dispose()
    body = json.dumps({"procedure_code": procedure_code, "applicant": APPLICANT, "channel": "counter",
                       "documents": documents}).encode()
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    with gunicorn(workers=2) as port:
        result = drive(port, ["/api/v1/dossiers"], seconds=600, clients=clients, max_requests=dossiers,
                       method="POST", bodies=[body], headers=headers)
    responses = result.pop("_responses")
    codes = []
    for raw in responses:
        try:
            data = json.loads(raw)
        except ValueError:
            continue
        if isinstance(data, dict) and "code" in data and "error" not in data:
            codes.append(data["code"])
    out = {"dossiers": dossiers, "clients": clients, **result, "codes_returned": len(codes),
           "duplicate_codes": len(codes) - len(set(codes))}
    # Gaps: per unit and day, the numbers this run received must be consecutive after what existed.
    by_day = defaultdict(list)
    for code in codes:
        prefix, number = code.rsplit("-", 1)
        by_day[prefix].append(int(number))
    gaps = 0
    for numbers in by_day.values():
        numbers.sort()
        gaps += (numbers[-1] - numbers[0] + 1) - len(numbers)
    out["gaps"] = gaps
    with app.app_context():
        after = db.session.execute(sa.select(sa.func.count(Dossier.id))).scalar()
        stored = db.session.execute(sa.select(sa.func.count(Dossier.id)).where(Dossier.code.in_(codes))).scalar() \
            if codes else 0
        db.engine.dispose()
    out["new_rows"] = after - before
    out["missing"] = dossiers - stored
    out["ok"] = (out["statuses"] == {"201": dossiers} and out["duplicate_codes"] == 0 and gaps == 0
                 and out["missing"] == 0 and out["new_rows"] == dossiers)
    return out
