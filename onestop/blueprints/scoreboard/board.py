"""What the public scoreboard shows, built from the reports' own figures (reports/figures.py and
reports/score766.py, so the numbers are the leaders' numbers) and kept per process for a short while.

Only counts, rates, points and, for dossiers finished late, their code, procedure, agency, dates and
the apology: never a name, an ID number, a phone, an email or an address.
"""
from __future__ import annotations

import calendar as pycal
import threading
import time as _time
from datetime import date, datetime

import sqlalchemy as sa
from flask import current_app

from ... import status as st
from ...agencies import get_by_identifier, subtree_ids
from ...extensions import db
from ...models import Agency, Dossier, Feedback, Procedure
from ...reports import figures, score766
from ...reports.period import Period, Scope
from ...status import DeadlineState, Rating
from ...timeutil import now as utcnow
from ...timeutil import zone

CACHE_SECONDS = 300
LATE_LIMIT = 50
#: the kinds of agency that get a page of their own (departments and communes)
BOARD_KINDS = ("department", "commune", "commune_center")

_lock = threading.Lock()


def _cache() -> dict:
    return current_app.extensions.setdefault("scoreboard_cache", {})


def clear_cache() -> None:
    with _lock:
        _cache().clear()


def cached(key, build):
    """The value built for `key` in the last CACHE_SECONDS (per process; plain data only)."""
    now = _time.monotonic()
    with _lock:
        hit = _cache().get(key)
        if hit is not None and now - hit[0] < CACHE_SECONDS:
            return hit[1]
    value = build()
    with _lock:
        _cache()[key] = (now, value)
    return value


def this_month_and_year(today: date | None = None) -> tuple[Period, Period]:
    today = today or datetime.now(zone()).date()
    month = Period("month", today.replace(day=1), today.replace(day=pycal.monthrange(today.year, today.month)[1]))
    year = Period("year", date(today.year, 1, 1), date(today.year, 12, 31))
    return month, year


def scope_of(identifier: str | None) -> Scope | None:
    """The province (no identifier) or one department or commune and everything below it; None if unknown."""
    if not identifier:
        return Scope(None)
    agency = get_by_identifier(identifier)
    if agency is None or not agency.active or agency.kind not in BOARD_KINDS:
        return None
    return Scope(agency, subtree_ids(agency.id))


def boards() -> list[dict]:
    """The agencies and communes that have a page (name, identifier, kind)."""
    rows = db.session.execute(
        sa.select(Agency.identifier, Agency.name, Agency.kind)
        .where(Agency.active.is_(True), Agency.kind.in_(BOARD_KINDS)).order_by(Agency.kind, Agency.name)).all()
    return [{"identifier": i, "name": n, "kind": k} for i, n, k in rows]


def _pct(part: int, whole: int) -> float | None:
    return round(100.0 * part / whole, 2) if whole else None


def _answers(period: Period, scope: Scope) -> dict:
    """The optional rating questions over the feedback given in the period (same scope as the reports)."""
    in_scope = score766.scope_clause(scope, score766.procedures())
    start = sa.literal(period.start, Feedback.created_at.type)
    end = sa.literal(period.end, Feedback.created_at.type)
    def yes(column):
        return sa.func.sum(sa.case((column.is_(True), 1), else_=0))

    row = db.session.execute(
        sa.select(sa.func.count(Feedback.asked_money), yes(Feedback.asked_money),
                  sa.func.count(Feedback.came_again), yes(Feedback.came_again))
        .select_from(Feedback).join(Dossier, Dossier.id == Feedback.dossier_id)
        .where(Feedback.created_at >= start, Feedback.created_at < end, in_scope)).one()
    return {"money_answered": int(row[0] or 0), "money_yes": int(row[1] or 0),
            "again_answered": int(row[2] or 0), "again_yes": int(row[3] or 0)}


def figures_of(period: Period, scope: Scope, as_of: datetime) -> dict:
    """One period's figures for one scope, as plain data."""
    report = figures.build(period, scope, as_of)
    fx = score766.facts(period, scope, as_of=as_of)
    s = fx.score(scope)
    t = report.total
    ratings = {str(r): int(report.satisfaction.get(r, 0)) for r in Rating}
    rated = sum(ratings.values())
    happy = ratings[str(Rating.VERY_SATISFIED)] + ratings[str(Rating.SATISFIED)]
    return {
        "label": period.label,
        "first": period.first.isoformat(), "last": period.last.isoformat(),
        "new": t.new, "carried": t.carried, "handled": t.received, "finished": t.finished,
        "early": t.counts[DeadlineState.EARLY], "on_time": t.counts[DeadlineState.ON_TIME],
        "late": t.counts[DeadlineState.LATE], "on_time_rate": t.on_time_rate,
        "open": t.open, "overdue_now": t.open_overdue,
        "ratings": ratings, "rated": rated, "satisfied_rate": _pct(happy, rated),
        **_answers(period, scope),
        "score": {"points": s.points, "max": s.max,
                  "groups": [{"key": str(g.key), "label": str(g.label), "points": g.points, "max": g.max}
                             for g in s.groups]},
        "_facts": fx, "_trend": report.trend,
    }


def ranking_of(period: Period, scope: Scope, fx, by: str) -> list[dict]:
    return [{"identifier": r.key, "name": r.label, "points": r.score.points, "max": r.score.max,
             "groups": {str(g.key): g.points for g in r.score.groups},
             "handled": int(r.score.counts.get("handled", 0))}
            for r in score766.ranking(period, scope, by, the_facts=fx)]


def late_returned(period: Period, scope: Scope, limit: int = LATE_LIMIT) -> list[dict]:
    """Dossiers finished late in the period, newest first, with the apology: no personal data."""
    in_scope = score766.scope_clause(scope, score766.procedures())
    start = sa.literal(period.start, Dossier.finished_at.type)
    end = sa.literal(period.end, Dossier.finished_at.type)
    rows = db.session.execute(
        sa.select(Dossier.code, Procedure.name, Agency.name, Dossier.received_at, Dossier.original_due_at,
                  Dossier.due_at, Dossier.finished_at, Dossier.apology_reason)
        .join(Procedure, Procedure.id == Dossier.procedure_id).join(Agency, Agency.id == Dossier.current_agency_id)
        .where(Dossier.finish_state == DeadlineState.LATE, Dossier.finished_at >= start, Dossier.finished_at < end,
               st.in_(Dossier.status, score766.JUDGED), in_scope)
        .order_by(Dossier.finished_at.desc(), Dossier.id.desc()).limit(limit)).all()
    return [{"code": code, "procedure": proc, "agency": agency, "received_at": received,
             "due_at": original or due, "new_due_at": due if original else None, "finished_at": finished,
             "apology": apology}
            for code, proc, agency, received, original, due, finished, apology in rows]


def bars(points: list[tuple[str, float | None]], maximum: float, *, width: int = 360, height: int = 160) -> dict:
    """Geometry of a small bar chart (the template draws it as SVG): one bar per month."""
    top, bottom, left = 14, 22, 4
    n = max(len(points), 1)
    slot = (width - left) / n
    inner = height - top - bottom
    out = []
    for i, (label, value) in enumerate(points):
        h = 0.0 if value is None or not maximum else inner * min(value, maximum) / maximum
        out.append({"x": round(left + i * slot + slot * 0.15, 1), "w": round(slot * 0.7, 1),
                    "y": round(top + inner - h, 1), "h": round(h, 1), "label": label, "value": value,
                    "cx": round(left + i * slot + slot / 2, 1)})
    return {"width": width, "height": height, "base": top + inner, "bars": out, "max": maximum}


def board(identifier: str | None = None) -> dict | None:
    """Everything a scoreboard page shows for the province or one agency (cached); None if unknown."""
    today = datetime.now(zone()).date()

    def build():
        scope = scope_of(identifier)
        if scope is None:
            return None
        as_of = utcnow()
        month, year = this_month_and_year(today)
        m, y = figures_of(month, scope, as_of), figures_of(year, scope, as_of)
        fx = y.pop("_facts")
        y.pop("_trend")
        m.pop("_facts")
        report_trend = m.pop("_trend")
        ranks = {"agency": ranking_of(year, scope, fx, "agency"), "commune": ranking_of(year, scope, fx, "commune")}
        score_trend = score766.trend(year, scope, as_of=as_of)
        return {
            "identifier": scope.identifier, "name": scope.label, "as_of": as_of,
            "month": m, "year": y, "ranking": ranks,
            "on_time_chart": bars([(r["month"][:2] + "/" + r["month"][-2:], r["on_time_rate"])
                                   for r in report_trend], 100.0),
            "received_chart": bars([(r["month"][:2] + "/" + r["month"][-2:], float(r["new"])) for r in report_trend],
                                   float(max([r["new"] for r in report_trend] + [1]))),
            "score_chart": bars([(t["month"][:2], t["total"]) for t in score_trend], 100.0),
            "late": late_returned(year, scope),
        }

    return cached(("board", identifier or "", today.isoformat()), build)
