"""Leaders' figures: on-time rates, lateness by agency, satisfaction, all aggregated in SQL.

Every figure comes from a handful of GROUP BY queries with filtered counts; Python
only adds up the per-procedure buckets (a few hundred rows at most) into totals,
agencies and fields.

Definitions (for a period [start, end) and a scope):
- a dossier "belongs" to the agency that decides it: the agency of the first step
  of its procedure's route (the receiving agency when the route is empty); a
  scope keeps dossiers whose deciding or receiving agency is in the subtree;
- handled = received before the end and not finished before the start (online
  dossiers still waiting to be checked are not counted); carried over = received
  before the start; new = received in the period (by channel);
- finished = ended in the period as result ready, returned or stopped (`JUDGED`),
  judged by `finish_state`; withdrawn dossiers are counted apart; a dossier refused
  at reception was never received (Decree 118/2025): it is counted as refused and
  nowhere else (not carried over, not new, not finished, not in the on-time rate);
- in progress = handled and not ended by the end of the period (or now, for a
  period that has not ended yet); overdue when the appointment had passed then
  (or when the clock was paused, if it was paused earlier);
- processing time = working days between reception and the end, from the
  WorkCalendar's working seconds evaluated in SQL through a small per-day table
  (see `_working_seconds`), so averages are exact and need no stored column.
"""
from __future__ import annotations

import bisect
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from functools import cached_property

import sqlalchemy as sa

from .. import status as st
from ..calendar import WorkCalendar, get_calendar
from ..extensions import db
from ..models import Agency, Dossier, DossierStep, Feedback, Procedure, RouteStep
from ..status import Channel, DeadlineState, DossierStatus, Rating, StepResult
from ..timeutil import now as utcnow
from ..timeutil import zone
from .period import Period, Scope

#: the endings judged early / on time / late (a withdrawn dossier ends without a judgement, a dossier
#: refused at reception was never received)
JUDGED = st.FINISHED - {DossierStatus.WITHDRAWN, DossierStatus.NOT_ACCEPTED}
#: endings counted on their own, whatever their judgement
ENDINGS = (DossierStatus.STOPPED, DossierStatus.NOT_ACCEPTED, DossierStatus.WITHDRAWN)
#: the counts of one bucket; those per finish state and per ending are named by the state's or status's value
COUNT_KEYS = (
    "carried", "new", "new_counter", "new_online", "new_postal", "new_digitised",
    "finished", *map(str, st.FINISH_STATES), *map(str, ENDINGS),
    "open", "open_overdue", "supplement", "ws_sum", "ws_count",
)


# -- procedures: who decides them ------------------------------------------

@dataclass
class ProcInfo:
    id: int
    code: str
    name: str
    field: str
    agency_id: int


def procedure_infos() -> dict[int, ProcInfo]:
    """Each procedure with its deciding agency (first route step, else the receiving agency)."""
    first_step = (
        sa.select(RouteStep.agency_id)
        .where(RouteStep.procedure_id == Procedure.id)
        .order_by(RouteStep.position, RouteStep.id)
        .limit(1)
        .scalar_subquery()
    )
    rows = db.session.execute(
        sa.select(Procedure.id, Procedure.code, Procedure.name, Procedure.field,
                  sa.func.coalesce(first_step, Procedure.receiving_agency_id))
    ).all()
    return {r[0]: ProcInfo(r[0], r[1], r[2], r[3], r[4]) for r in rows}


def _scope_clause(scope: Scope, procs: dict[int, ProcInfo]):
    if scope.agency_ids is None:
        return sa.true()
    ids = set(scope.agency_ids)
    decided = sorted(p.id for p in procs.values() if p.agency_id in ids)
    return sa.or_(Dossier.procedure_id.in_(decided), Dossier.receiving_agency_id.in_(sorted(ids)))


# -- working time in SQL ------------------------------------------------------

def _dialect() -> str:
    return db.session.get_bind().dialect.name


def _epoch(column, dialect: str):
    """Seconds since 1970-01-01 of a naive-UTC timestamp column, as an integer expression."""
    if dialect == "postgresql":
        return sa.cast(sa.func.floor(sa.extract("epoch", column)), sa.BigInteger)
    return sa.cast(sa.func.strftime("%s", column), sa.BigInteger)


def _day_rows(cal: WorkCalendar, first: date, last: date) -> list[tuple[int, int, int]]:
    """(day number since 1970, working seconds at 00:00, working flag) for every day in range."""
    epoch = date(1970, 1, 1).toordinal()
    rows = []
    for o in range(first.toordinal(), last.toordinal() + 1):
        i = bisect.bisect_left(cal._days, o)
        working = 1 if i < len(cal._days) and cal._days[i] == o else 0
        rows.append((o - epoch, i * cal.day_seconds, working))
    return rows


def _day_table(rows, name: str):
    return sa.values(
        sa.column("dn", sa.Integer), sa.column("base", sa.BigInteger), sa.column("working", sa.Integer),
        name=name, literal_binds=True,
    ).data(rows).cte(name)


def _working_seconds(cal: WorkCalendar, column, days, dialect: str, offset: int):
    """WorkCalendar.to_ws(column) as SQL: base of the local day plus time worked that day."""
    local = _epoch(column, dialect) + offset
    day_number = local // 86400
    tod = local % 86400
    within = sa.literal(0)
    for a, b in cal._spans:
        within = within + sa.case((tod <= a, 0), (tod >= b, b - a), else_=tod - a)
    return day_number, days.c.base + days.c.working * within


# -- the figures -------------------------------------------------------------

@dataclass
class Figures:
    """Counts for one procedure, agency, field or the whole scope."""

    counts: dict = field(default_factory=lambda: dict.fromkeys(COUNT_KEYS, 0))
    day_seconds: int = 8 * 3600

    def add(self, other: Figures) -> None:
        for key in COUNT_KEYS:
            self.counts[key] += other.counts[key]

    def __getattr__(self, name):
        counts = self.__dict__.get("counts")
        if counts is not None and name in counts:
            return counts[name]
        raise AttributeError(name)

    @property
    def received(self) -> int:
        return self.counts["carried"] + self.counts["new"]

    @property
    def open_on_time(self) -> int:
        return self.counts["open"] - self.counts["open_overdue"]

    @property
    def on_time_total(self) -> int:
        return self.counts[DeadlineState.EARLY] + self.counts[DeadlineState.ON_TIME]

    @property
    def on_time_rate(self) -> float | None:
        return _pct(self.on_time_total, self.counts["finished"])

    @property
    def late_rate(self) -> float | None:
        return _pct(self.counts[DeadlineState.LATE], self.counts["finished"])

    @property
    def avg_days(self) -> float | None:
        if not self.counts["ws_count"]:
            return None
        return round(self.counts["ws_sum"] / self.counts["ws_count"] / self.day_seconds, 2)

    @property
    def online_share(self) -> float | None:
        return _pct(self.counts["new_online"], self.counts["new"])

    @property
    def digitised_share(self) -> float | None:
        return _pct(self.counts["new_digitised"], self.counts["new"])


def _pct(part: int, whole: int) -> float | None:
    return round(100.0 * part / whole, 2) if whole else None


@dataclass
class Row:
    key: str
    label: str
    figures: Figures
    extra: dict = field(default_factory=dict)


@dataclass
class Report:
    period: Period
    scope: Scope
    as_of: datetime
    total: Figures
    agencies: list[Row]
    procedures: list[Row]
    fields: list[Row]
    late_steps: list[Row]
    satisfaction: dict
    trend: list[dict]

    @property
    def satisfaction_total(self) -> int:
        return sum(self.satisfaction.values())

    def satisfaction_share(self, rating: str) -> float | None:
        return _pct(self.satisfaction.get(rating, 0), self.satisfaction_total)

    @cached_property
    def score766(self):
        """Decision 766's score of the same period and scope: computed by its one home, reports/score766.py."""
        from .score766 import score

        return score(self.period, self.scope, as_of=self.as_of)

    @property
    def score_766(self) -> float:
        """Decision 766's total (points out of 100), as the national portal scores it."""
        return self.score766.points


def aggregate_statements(period: Period, scope: Scope, as_of: datetime | None = None,
                         cal: WorkCalendar | None = None) -> dict:
    """The SQL statements behind a report (the benchmark times them bare)."""
    cal = cal or get_calendar()
    as_of = min(as_of or utcnow(), period.end)
    procs = procedure_infos()
    dialect = _dialect()
    start = sa.literal(period.start, Dossier.received_at.type)
    end = sa.literal(period.end, Dossier.received_at.type)
    asof = sa.literal(as_of, Dossier.received_at.type)
    in_scope = _scope_clause(scope, procs)

    def count(cond):
        return sa.func.sum(sa.case((cond, 1), else_=0))

    ended = sa.and_(Dossier.finished_at.is_not(None), Dossier.finished_at < end)
    finished = sa.and_(ended, st.in_(Dossier.status, JUDGED))
    received = Dossier.status != DossierStatus.NOT_ACCEPTED
    is_new = sa.and_(received, Dossier.received_at >= start)
    still_open = sa.not_(ended)
    effective = sa.case(
        (sa.and_(Dossier.paused_at.is_not(None), Dossier.paused_at < asof), Dossier.paused_at), else_=asof)
    counts = {
        "carried": count(sa.and_(received, Dossier.received_at < start)),
        "new": count(is_new),
        "new_counter": count(sa.and_(is_new, Dossier.channel == Channel.COUNTER)),
        "new_online": count(sa.and_(is_new, Dossier.channel == Channel.ONLINE)),
        "new_postal": count(sa.and_(is_new, Dossier.channel == Channel.POSTAL)),
        "new_digitised": count(sa.and_(is_new, Dossier.digitised.is_(True))),
        "finished": count(finished),
        **{str(state): count(sa.and_(finished, Dossier.finish_state == state)) for state in st.FINISH_STATES},
        **{str(status): count(sa.and_(ended, Dossier.status == status)) for status in ENDINGS},
        "open": count(still_open),
        "open_overdue": count(sa.and_(still_open, Dossier.due_at.is_not(None), Dossier.due_at < effective)),
        "supplement": count(Dossier.supplement_count > 0),
    }
    handled = sa.and_(
        Dossier.received_at < end,
        sa.or_(Dossier.finished_at.is_(None), Dossier.finished_at >= start),
        Dossier.status != DossierStatus.SUBMITTED,
        in_scope,
    )
    main = (sa.select(Dossier.procedure_id, *[c.label(k) for k, c in counts.items()])
            .where(handled).group_by(Dossier.procedure_id))

    # Processing time of dossiers finished in the period, in working seconds.
    offset = int(datetime.combine(period.first, time(12), tzinfo=zone()).utcoffset().total_seconds())
    oldest = max(date(cal.first_year, 1, 1), period.first - timedelta(days=3 * 366))
    day_rows = _day_rows(cal, oldest, min(period.last + timedelta(days=1), date(cal.last_year, 12, 31)))
    days_r, days_f = _day_table(day_rows, "workdays_r"), _day_table(day_rows, "workdays_f")
    dn_r, ws_r = _working_seconds(cal, Dossier.received_at, days_r, dialect, offset)
    dn_f, ws_f = _working_seconds(cal, Dossier.finished_at, days_f, dialect, offset)
    timing = (
        sa.select(Dossier.procedure_id, sa.func.sum(ws_f - ws_r).label("ws_sum"),
                  sa.func.count().label("ws_count"))
        .select_from(Dossier).join(days_r, days_r.c.dn == dn_r).join(days_f, days_f.c.dn == dn_f)
        .where(Dossier.finished_at >= start, Dossier.finished_at < end, st.in_(Dossier.status, JUDGED),
               Dossier.received_at < end, in_scope)
        .group_by(Dossier.procedure_id)
    )

    # Late steps, counted against the agency whose step it was.
    step_scope = sa.true() if scope.agency_ids is None else DossierStep.agency_id.in_(sorted(scope.agency_ids))
    late = (
        sa.select(DossierStep.agency_id, sa.func.count().label("steps"),
                  sa.func.count(sa.distinct(DossierStep.dossier_id)).label("dossiers"))
        .where(DossierStep.result == StepResult.LATE, DossierStep.finished_at >= start, DossierStep.finished_at < end,
               step_scope)
        .group_by(DossierStep.agency_id)
    )

    rated = (
        sa.select(Feedback.rating, sa.func.count())
        .select_from(Feedback).join(Dossier, Dossier.id == Feedback.dossier_id)
        .where(Feedback.created_at >= start, Feedback.created_at < end, in_scope)
        .group_by(Feedback.rating)
    )

    # Monthly trend: the twelve months up to the period's last month.
    months = _trend_months(period.last)
    t_first = sa.literal(months[0][1], Dossier.received_at.type)
    t_cols = []
    for i, (_label, m_start, m_end) in enumerate(months):
        a = sa.literal(m_start, Dossier.received_at.type)
        b = sa.literal(m_end, Dossier.received_at.type)
        fin = sa.and_(Dossier.finished_at >= a, Dossier.finished_at < b, st.in_(Dossier.status, JUDGED))
        t_cols += [
            count(sa.and_(Dossier.received_at >= a, Dossier.received_at < b,
                          Dossier.status != DossierStatus.NOT_ACCEPTED)).label(f"r{i}"),
            count(fin).label(f"f{i}"),
            count(sa.and_(fin, Dossier.finish_state.in_((DeadlineState.EARLY, DeadlineState.ON_TIME)))).label(f"o{i}"),
        ]
    t_last = sa.literal(months[-1][2], Dossier.received_at.type)
    trend = sa.select(*t_cols).where(
        Dossier.status != DossierStatus.SUBMITTED, in_scope,
        sa.or_(sa.and_(Dossier.received_at >= t_first, Dossier.received_at < t_last),
               sa.and_(Dossier.finished_at >= t_first, Dossier.finished_at < t_last)),
    )
    return {"main": main, "timing": timing, "late": late, "rated": rated, "trend": trend,
            "_procs": procs, "_months": months, "_as_of": as_of, "_cal": cal}


def _trend_months(last_day: date) -> list[tuple[str, datetime, datetime]]:
    out = []
    y, m = last_day.year, last_day.month
    for _i in range(12):
        first = date(y, m, 1)
        nxt = date(y + (m == 12), m % 12 + 1, 1)
        out.append((f"{m:02d}/{y}", datetime.combine(first, time(), tzinfo=zone()).astimezone(UTC),
                    datetime.combine(nxt, time(), tzinfo=zone()).astimezone(UTC)))
        y, m = (y - 1, 12) if m == 1 else (y, m - 1)
    return list(reversed(out))


def build(period: Period, scope: Scope, as_of: datetime | None = None) -> Report:
    """Run the aggregate queries and arrange them by agency, procedure and field."""
    stmts = aggregate_statements(period, scope, as_of)
    procs: dict[int, ProcInfo] = stmts["_procs"]
    cal: WorkCalendar = stmts["_cal"]
    run = db.session.execute
    per_proc: dict[int, Figures] = {}
    for row in run(stmts["main"]).mappings():
        fig = per_proc.setdefault(row["procedure_id"], Figures(day_seconds=cal.day_seconds))
        for key in COUNT_KEYS[:-2]:
            fig.counts[key] = int(row[key] or 0)
    for row in run(stmts["timing"]).mappings():
        fig = per_proc.setdefault(row["procedure_id"], Figures(day_seconds=cal.day_seconds))
        fig.counts["ws_sum"] = int(row["ws_sum"] or 0)
        fig.counts["ws_count"] = int(row["ws_count"] or 0)

    agencies = {a.id: a for a in db.session.execute(db.select(Agency)).scalars()}
    total = Figures(day_seconds=cal.day_seconds)
    by_agency: dict[int, Figures] = {}
    by_field: dict[str, Figures] = {}
    proc_rows = []
    for pid, fig in per_proc.items():
        info = procs[pid]
        total.add(fig)
        by_agency.setdefault(info.agency_id, Figures(day_seconds=cal.day_seconds)).add(fig)
        by_field.setdefault(info.field, Figures(day_seconds=cal.day_seconds)).add(fig)
        proc_rows.append(Row(info.code, info.name, fig,
                             {"field": info.field, "agency": agencies[info.agency_id].name}))
    proc_rows.sort(key=lambda r: r.key)

    late_by_agency = {r.agency_id: (int(r.steps), int(r.dossiers)) for r in run(stmts["late"])}
    agency_rows = []
    for aid in sorted(set(by_agency) | set(late_by_agency), key=lambda i: agencies[i].identifier):
        fig = by_agency.get(aid) or Figures(day_seconds=cal.day_seconds)
        steps, dossiers = late_by_agency.get(aid, (0, 0))
        agency_rows.append(Row(agencies[aid].identifier, agencies[aid].name, fig,
                               {"late_steps": steps, "late_step_dossiers": dossiers}))
    late_rows = [Row(agencies[aid].identifier, agencies[aid].name, Figures(day_seconds=cal.day_seconds),
                     {"late_steps": s, "late_step_dossiers": d})
                 for aid, (s, d) in sorted(late_by_agency.items(), key=lambda kv: (-kv[1][1], agencies[kv[0]].name))]
    field_rows = [Row(name, name, fig) for name, fig in sorted(by_field.items())]

    satisfaction = dict.fromkeys(Rating.values(), 0)
    for rating, n in run(stmts["rated"]):
        satisfaction[rating] = int(n)

    trend_row = run(stmts["trend"]).mappings().one()
    trend = []
    for i, (label, _a, _b) in enumerate(stmts["_months"]):
        received, fin, ok = (int(trend_row[f"{p}{i}"] or 0) for p in "rfo")
        trend.append({"month": label, "new": received, "finished": fin, "on_time_total": ok,
                      "on_time_rate": _pct(ok, fin)})
    return Report(period, scope, stmts["_as_of"], total, agency_rows, proc_rows, field_rows, late_rows,
                  satisfaction, trend)


