"""DOMAIN.md's worked example of Decision 766 as rows, for the API, dashboard and export tests."""
from __future__ import annotations

from datetime import date

from factories import procedure, vn

from onestop.extensions import db
from onestop.models import Dossier, Feedback
from onestop.reports.period import Period
from onestop.status import Channel, DeadlineState, DossierStatus, Rating

MARCH = Period("month", date(2025, 3, 1), date(2025, 3, 31))
_serial = iter(range(1, 100_000))


def dossier(status=DossierStatus.RETURNED, *, received=vn(2025, 3, 3, 9, 0), finished=vn(2025, 3, 10, 9, 0),
            state=DeadlineState.ON_TIME, due=vn(2025, 3, 14, 17, 0), code="1.009994", **kw) -> Dossier:
    proc = procedure(code)
    n = next(_serial)
    d = Dossier(code=f"K766-{n:05d}", lookup_key="ABCD1234", procedure_id=proc.id,
                receiving_agency_id=proc.receiving_agency_id, current_agency_id=proc.receiving_agency_id,
                status=status, channel=kw.pop("channel", Channel.COUNTER), applicant_name="Nguyễn Văn Đức",
                received_at=received, due_at=due, finished_at=finished, finish_state=state, **kw)
    db.session.add(d)
    db.session.flush()
    return d


def rate(d: Dossier, rating=Rating.NOT_SATISFIED, at=vn(2025, 3, 20, 9, 0)) -> None:
    db.session.add(Feedback(dossier_id=d.id, rating=rating, created_at=at))
    db.session.flush()


def worked_example(code: str = "1.009994") -> dict:
    """6 on time, 2 late, 1 open within time, 1 open overdue; 2 rated "not satisfied", one of them late."""
    on_time = [dossier(code=code) for _ in range(6)]
    late = [dossier(finished=vn(2025, 3, 20, 9, 0), state=DeadlineState.LATE, code=code) for _ in range(2)]
    open_ok = dossier(DossierStatus.PROCESSING, finished=None, state=None, due=vn(2025, 4, 10, 17, 0), code=code)
    open_late = dossier(DossierStatus.PROCESSING, finished=None, state=None, due=vn(2025, 3, 20, 17, 0), code=code)
    rate(late[0])
    rate(on_time[0])
    rate(on_time[1], Rating.VERY_SATISFIED)
    db.session.commit()
    return {"on_time": on_time, "late": late, "open_ok": open_ok, "open_late": open_late}
