"""Decision 766's facts, kept as dossiers move, so a year's score reads thousands of rows, not every dossier.

score766.py defines what each count counts (received_conditions, ended_conditions, open_conditions); this
module keeps those counts and adds them up for any period. It owns four tables (models.py):

- `score766_days`: per local day, procedure and receiving desk, the dossiers received that day
  (FACT_RECEIVED) and those that ended that day (FACT_ENDED); `score766_months` adds a month's days up.
- `score766_open`: per closed day, the dossiers still open when it ended, judged as of that moment
  (FACT_OPEN). Taken as each day closes (and by a rebuild for the last day of every month).
- `score766_ledger`: the closed days (counted, and whether the open dossiers at their end were taken).
- `score766_dirty`: closed days whose dossiers changed since they were counted. The flush listener of
  onestop/marks766.py adds them (a rating, a PAKN, a sync, a late correction of an old dossier);
  `keep_up` counts them again.

A period's counts: its clean closed days from the kept rows (whole months from `score766_months`), every
other day (today, a dirty day, a day not closed yet) counted from the dossiers; the open dossiers at its
end counted from the dossiers when it ends after now, else from `score766_open` (as they stood when the
day closed) or, when that day was not taken, from the dossiers. So the figures always equal the
dossiers' own rows (tests/domain/test_facts766.py), except that a past period's open dossiers are
counted as they stood at its end, the way the national portal's real-time score stood then.
"""
from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from datetime import UTC, date, datetime, time, timedelta
from functools import cache

import sqlalchemy as sa

from ..extensions import db
from ..marks766 import local_day
from ..models import (
    FACT_ENDED,
    FACT_OPEN,
    FACT_RECEIVED,
    Dossier,
    score766_days,
    score766_dirty,
    score766_ledger,
    score766_months,
    score766_open,
)
from ..timeutil import now as utcnow
from ..timeutil import zone
from . import score766 as rules
from .period import Period, Scope

log = logging.getLogger(__name__)

FLOW = FACT_RECEIVED + FACT_ENDED
#: days counted per statement when closing or recounting
BATCH_DAYS = 31
#: closing more days than this at once (a rebuild, a long outage) takes the open dossiers only at the
#: end of each month and of the last day; otherwise at the end of every day
EVERY_DAY_UP_TO = 7


def day_start(day: date) -> datetime:
    return datetime.combine(day, time(), tzinfo=zone()).astimezone(UTC)


def _at(moment: datetime):
    return sa.literal(moment, Dossier.received_at.type)


def _runs(days: Iterable[date]) -> list[tuple[date, date]]:
    """Consecutive days as (first, last) runs."""
    out: list[list[date]] = []
    for d in sorted(set(days)):
        if out and d == out[-1][1] + timedelta(days=1):
            out[-1][1] = d
        else:
            out.append([d, d])
    return [(a, b) for a, b in out]


def _in_days(column, runs: list[tuple[date, date]]):
    """A timestamp column within any of the runs of local days."""
    return sa.or_(*[sa.and_(column >= _at(day_start(a)), column < _at(day_start(b + timedelta(days=1))))
                    for a, b in runs])


def _month_of(day: date) -> date:
    return day.replace(day=1)


def _month_last(month: date) -> date:
    nxt = date(month.year + (month.month == 12), month.month % 12 + 1, 1)
    return nxt - timedelta(days=1)


@cache
def _sums(table, names):
    return tuple(sa.func.coalesce(sa.func.sum(table.c[k]), 0).label(k) for k in names)


@cache
def _counted(conditions) -> tuple:
    """The labelled count columns of `conditions()` (built once: SQL expressions are immutable)."""
    return tuple(rules._count(c).label(k) for k, c in conditions().items())


#: the moment open dossiers are judged at, given when the statement runs
ASOF = sa.bindparam("asof766", type_=Dossier.received_at.type)


@cache
def _open_counted() -> tuple:
    return tuple(rules._count(c).label(k) for k, c in rules.open_conditions(ASOF).items())


# -- counting from the dossiers -------------------------------------------------------------------------

def _raw_flows(runs: list[tuple[date, date]], scope_clause) -> list:
    """The received and ended counts of the dossiers of these days, per (procedure, desk): two results."""
    if not runs:
        return []
    out = []
    for column, kind in ((Dossier.received_at, rules.received_conditions),
                         (Dossier.finished_at, rules.ended_conditions)):
        stmt = (sa.select(Dossier.procedure_id.label("pid"), Dossier.receiving_agency_id.label("desk"),
                          *_counted(kind))
                .where(rules.counted(), _in_days(column, runs), scope_clause)
                .group_by(Dossier.procedure_id, Dossier.receiving_agency_id))
        out.append(_Rows(db.session.execute(stmt)))
    return out


_POS = {k: i for i, k in enumerate(rules.FACT_KEYS)}


class _Rows:
    """A result as plain tuples, with where its procedure, desk and each count of rules.FACT_KEYS sit."""

    __slots__ = ("rows", "pairs", "pid")

    def __init__(self, result):
        keys = list(result.keys())
        self.rows = [tuple(r) for r in result]
        self.pairs = [(i, _POS[k]) for i, k in enumerate(keys) if k in _POS]
        self.pid = keys.index("pid")

    def add_to(self, totals: dict, rows=None) -> None:
        """Add the counts into totals[(procedure id, desk id)]: lists in rules.FACT_KEYS order."""
        width, pairs, p = len(rules.FACT_KEYS), self.pairs, self.pid
        for row in self.rows if rows is None else rows:
            key = (row[p], row[p + 1])
            acc = totals.get(key)
            if acc is None:
                acc = totals[key] = [0] * width
            for i, j in pairs:
                value = row[i]
                if value:
                    acc[j] += value


def _raw_flows_by_day(days: list[date]) -> dict[tuple[date, int, int], dict]:
    """The same per day, for the days kept (one statement per kind: the days as a VALUES table)."""
    kind = Dossier.received_at.type
    table = sa.values(sa.column("idx", sa.Integer), sa.column("d_start", kind), sa.column("d_end", kind),
                      name="days766")
    table = table.data([(i, day_start(d), day_start(d + timedelta(days=1))) for i, d in enumerate(days)])
    table = table.cte("days766")
    first, last = _at(day_start(days[0])), _at(day_start(days[-1] + timedelta(days=1)))
    out: dict[tuple[date, int, int], dict] = {}
    for column, conditions in ((Dossier.received_at, rules.received_conditions()),
                               (Dossier.finished_at, rules.ended_conditions())):
        stmt = (sa.select(table.c.idx, Dossier.procedure_id, Dossier.receiving_agency_id,
                          *[rules._count(c).label(k) for k, c in conditions.items()])
                .select_from(Dossier).join(table, sa.and_(column >= table.c.d_start, column < table.c.d_end))
                .where(rules.counted(), column >= first, column < last)
                .group_by(table.c.idx, Dossier.procedure_id, Dossier.receiving_agency_id))
        for row in db.session.execute(stmt).mappings():
            key = (days[row["idx"]], row["procedure_id"], row["receiving_agency_id"])
            rules.add_into(out.setdefault(key, {}), row)
    return out


def open_statement(end: datetime, asof: datetime, scope_clause=None):
    """The dossiers still open at `end`, judged as of `asof`, per (procedure "pid", desk "desk")."""
    return (sa.select(Dossier.procedure_id.label("pid"), Dossier.receiving_agency_id.label("desk"),
                      *_open_counted())
            .where(rules.counted(), Dossier.received_at < _at(end),
                   sa.or_(Dossier.finished_at.is_(None), Dossier.finished_at >= _at(end)),
                   sa.true() if scope_clause is None else scope_clause)
            .group_by(Dossier.procedure_id, Dossier.receiving_agency_id)
            .params(asof766=asof))


# -- keeping the facts ---------------------------------------------------------------------------------

def count_days(days: Iterable[date], now: datetime, progress: Callable[[int], None] | None = None) -> int:
    """Count these days again from the dossiers (and their months from the days); mark them counted."""
    days = sorted(set(days))
    for i in range(0, len(days), BATCH_DAYS):
        batch = days[i:i + BATCH_DAYS]
        rows = _raw_flows_by_day(batch)
        db.session.execute(sa.delete(score766_days).where(score766_days.c.day.in_(batch)))
        if rows:
            db.session.execute(sa.insert(score766_days), [
                {"day": d, "procedure_id": pid, "desk_id": desk, **{k: int(c.get(k) or 0) for k in FLOW}}
                for (d, pid, desk), c in rows.items()])
        known = set(db.session.execute(sa.select(score766_ledger.c.day)
                                       .where(score766_ledger.c.day.in_(batch))).scalars())
        if known:
            db.session.execute(sa.update(score766_ledger).where(score766_ledger.c.day.in_(sorted(known)))
                               .values(counted_at=now))
        fresh = [d for d in batch if d not in known]
        if fresh:
            db.session.execute(sa.insert(score766_ledger), [{"day": d, "counted_at": now} for d in fresh])
        if progress:
            progress(len(batch))
    months = sorted({_month_of(d) for d in days})
    for month in months:
        last = _month_last(month)
        db.session.execute(sa.delete(score766_months).where(score766_months.c.month == month))
        db.session.execute(sa.insert(score766_months).from_select(
            ["month", "procedure_id", "desk_id", *FLOW],
            sa.select(sa.literal(month, sa.Date), score766_days.c.procedure_id, score766_days.c.desk_id,
                      *[sa.func.sum(score766_days.c[k]) for k in FLOW])
            .where(score766_days.c.day >= month, score766_days.c.day <= last)
            .group_by(score766_days.c.procedure_id, score766_days.c.desk_id)))
    return len(days)


def take_open(day: date, now: datetime) -> None:
    """The dossiers still open when `day` ended, as they stood then (the day must be in the ledger)."""
    end = day_start(day + timedelta(days=1))
    db.session.execute(sa.delete(score766_open).where(score766_open.c.day == day))
    rows = db.session.execute(open_statement(end, end)).mappings().all()
    if rows:
        db.session.execute(sa.insert(score766_open), [
            {"day": day, "procedure_id": r["pid"], "desk_id": r["desk"],
             **{k: int(r[k] or 0) for k in FACT_OPEN}} for r in rows])
    db.session.execute(sa.update(score766_ledger).where(score766_ledger.c.day == day).values(open_taken_at=now))


def first_day() -> date | None:
    """The local day of the first dossier received."""
    first = db.session.execute(sa.select(sa.func.min(Dossier.received_at))).scalar()
    if first is None:
        return None
    if isinstance(first, str):  # SQLite: a bare aggregate is not converted
        first = datetime.fromisoformat(first)
    if first.tzinfo is None:
        first = first.replace(tzinfo=UTC)
    return local_day(first)


def keep_up(now: datetime | None = None, progress: Callable[[int], None] | None = None) -> dict:
    """The job: close the days that ended since the last run and count again the days that changed.

    The dirty marks are read before counting and only those are removed, so a change committed while
    this runs is counted by the next run.
    """
    now = now or utcnow()
    today = local_day(now)
    last = db.session.execute(sa.select(sa.func.max(score766_ledger.c.day))).scalar()
    start = last + timedelta(days=1) if last is not None else first_day()
    to_close = []
    if start is not None:
        to_close = [start + timedelta(days=i) for i in range((today - start).days)]
    marks = db.session.execute(sa.select(score766_dirty.c.id, score766_dirty.c.day)).all()
    dirty = {d for _id, d in marks if d < today}
    count_days(set(to_close) | dirty, now, progress)
    every_day = len(to_close) <= EVERY_DAY_UP_TO
    taken = [d for d in to_close
             if every_day or d == to_close[-1] or d == _month_last(d)]
    for d in taken:
        take_open(d, now)
    ids = [i for i, d in marks if d < today]
    for i in range(0, len(ids), 1000):
        db.session.execute(sa.delete(score766_dirty).where(score766_dirty.c.id.in_(ids[i:i + 1000])))
    return {"closed": len(to_close), "recounted": len(dirty - set(to_close)), "open_taken": len(taken)}


def forget() -> None:
    """Empty every facts table (a rebuild starts from nothing)."""
    for table in (score766_dirty, score766_open, score766_months, score766_days, score766_ledger):
        db.session.execute(sa.delete(table))


def rebuild(now: datetime | None = None, progress: Callable[[int], None] | None = None) -> dict:
    """Count every day again from the dossiers (after an import, a restore or a change of the rules)."""
    forget()
    return keep_up(now, progress)


def days_to_close(now: datetime | None = None) -> int:
    """How many days a rebuild counts (for a progress bar)."""
    first = first_day()
    return 0 if first is None else max(0, (local_day(now or utcnow()) - first).days)


# -- reading: the buckets of any period ------------------------------------------------------------------

def _plan(period: Period, clean: set[date]) -> tuple[list[date], list[date], list[date]]:
    """(whole clean months, other clean days, days to count from the dossiers) of the period."""
    months, days, live = [], [], []
    d = period.first
    while d <= period.last:
        month_last = _month_last(d)
        whole = d.day == 1 and month_last <= period.last
        if whole and all(d + timedelta(days=i) in clean for i in range((month_last - d).days + 1)):
            months.append(d)
            d = month_last + timedelta(days=1)
            continue
        (days if d in clean else live).append(d)
        d += timedelta(days=1)
    return months, days, live


def buckets(periods: list[Period], scope: Scope, procs: dict, now: datetime) -> list[list[tuple[int, int, dict]]]:
    """Every period's buckets (procedure id, receiving desk id, COUNT_KEYS), as score766.Facts takes them."""
    if not periods:
        return []
    today = local_day(now)
    lo = min(p.first for p in periods)
    hi = max(p.last for p in periods)
    ledger = {r[0]: r[1] for r in db.session.execute(
        sa.select(score766_ledger.c.day, score766_ledger.c.open_taken_at)
        .where(score766_ledger.c.day >= lo, score766_ledger.c.day <= hi))}
    dirty = set()
    if ledger:
        dirty = set(db.session.execute(sa.select(score766_dirty.c.day).distinct()
                                       .where(score766_dirty.c.day >= lo, score766_dirty.c.day <= hi)).scalars())
    clean = {d for d in ledger if d not in dirty and d < today}
    plans = [_plan(p, clean) for p in periods]

    def in_scope(table):
        return rules.scope_clause(scope, procs, table.c.procedure_id, table.c.desk_id)

    def keyed(table, first, names, where):
        """(rows by their first column, the result) of a kept table."""
        stmt = (sa.select(table.c[first], table.c.procedure_id.label("pid"), table.c.desk_id.label("desk"),
                          *[table.c[k] for k in names]).where(where, in_scope(table)))
        result = _Rows(db.session.execute(stmt))
        by: dict[date, list] = {}
        for row in result.rows:
            by.setdefault(row[0], []).append(row)
        return by, result

    wanted_months = sorted({m for plan in plans for m in plan[0]})
    by_month, months_rows = ({}, None)
    if wanted_months:
        by_month, months_rows = keyed(score766_months, "month", FLOW, score766_months.c.month.in_(wanted_months))
    past_ends = sorted({p.last for p in periods if p.end <= now and ledger.get(p.last) is not None})
    by_end, open_rows = ({}, None)
    if past_ends:
        by_end, open_rows = keyed(score766_open, "day", FACT_OPEN, score766_open.c.day.in_(past_ends))
    dossiers_in_scope = rules.scope_clause(scope, procs)
    raw: dict[tuple, list] = {}  # the same days or the same end counted from the dossiers once per call
    out = []
    for period, (months, days, live) in zip(periods, plans, strict=True):
        totals: dict[tuple[int, int], list] = {}
        for m in months:
            months_rows.add_to(totals, by_month.get(m, ()))
        if days:
            t = score766_days
            stmt = (sa.select(t.c.procedure_id.label("pid"), t.c.desk_id.label("desk"), *_sums(t, FLOW))
                    .where(sa.or_(*[t.c.day.between(a, b) for a, b in _runs(days)]), in_scope(t))
                    .group_by(t.c.procedure_id, t.c.desk_id))
            _Rows(db.session.execute(stmt)).add_to(totals)
        runs = tuple(_runs(live))
        if runs:
            if ("flows", runs) not in raw:
                raw[("flows", runs)] = _raw_flows(list(runs), dossiers_in_scope)
            for result in raw[("flows", runs)]:
                result.add_to(totals)
        if period.end > now or ledger.get(period.last) is None:
            key = ("open", period.end, min(now, period.end))
            if key not in raw:
                raw[key] = [_Rows(db.session.execute(open_statement(period.end, key[2], dossiers_in_scope)))]
            raw[key][0].add_to(totals)
        else:
            open_rows.add_to(totals, by_end.get(period.last, ()))
        out.append([(pid, desk, rules.combine(dict(zip(rules.FACT_KEYS, acc, strict=True))))
                    for (pid, desk), acc in totals.items()])
    return out
