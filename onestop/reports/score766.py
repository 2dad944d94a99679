"""Decision 766/QĐ-TTg: the six groups, their indicators and points, as the national portal scores them.

The one home of the 766 rules (docs/score766.md explains each indicator). What each count counts is a
condition on one dossier's row (received_conditions, ended_conditions, open_conditions; `combine` makes
the figures). The buckets per procedure and receiving desk come from the kept daily facts
(reports/facts766.py) as of now, or straight from the dossiers (`counted_from_dossiers`) as of an
earlier moment; PAKN (per agency) and the catalogue are counted from their rows. Python adds up the
buckets for the scope asked for, or for every agency, desk, field or procedure of a ranking, so a
ranking costs the same reads as one score.

Definitions, for a period [start, end) and a scope (the dossiers whose deciding or receiving agency is
in the scope's subtree, as in figures.py):
- handled = received before the end, not finished before the start, neither waiting to be checked
  (submitted) nor refused at reception (never received: in no 766 figure); withdrawn dossiers are
  handled but neither early, on time nor late, so they leave the progress ratio;
- late = finished late, or more than one supplement request (Decision 766 counts those as late);
- progress = (finished early or on time + open and still within time, as of the end or now) ÷ handled;
- handling satisfaction, over the dossiers finished in the period (each counted once): finished minus
  those late OR rated "not satisfied" (whenever rated: the dossier's finishing period decides) OR with a
  PAKN; points = min(max, max × ratio ÷ threshold).
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from functools import cache

import sqlalchemy as sa
from flask_babel import get_locale
from flask_babel import lazy_gettext as _l

from .. import settings
from .. import status as st
from ..extensions import db
from ..models import (
    FACT_ENDED,
    FACT_OPEN,
    FACT_RECEIVED,
    Agency,
    Attachment,
    Dossier,
    DossierDocument,
    Feedback,
    Pakn,
    PortalSync,
    Procedure,
    RouteStep,
)
from ..status import Channel, DeadlineState, DossierStatus, OnlineLevel, Rating, SyncState
from ..status import Score766Group as G
from ..timeutil import now as utcnow
from .period import Period, Scope

NO_DATA = _l("chưa có dữ liệu")

#: the endings judged early / on time / late
JUDGED = st.FINISHED - {DossierStatus.WITHDRAWN, DossierStatus.NOT_ACCEPTED}
#: the endings that carry a result (electronic or on paper)
WITH_RESULT = (DossierStatus.RESULT_READY, DossierStatus.RETURNED)

#: group key, label, and its indicators: (key, label, weight setting)
GROUPS: tuple[tuple[str, object, tuple[tuple[str, object, str], ...]], ...] = (
    (G.TRANSPARENCY, _l("Công khai, minh bạch"), (
        ("published_on_time", _l("Thủ tục được công bố, công khai đúng hạn"), "w766_published_on_time"),
        ("updated_on_time", _l("Thủ tục sửa đổi được cập nhật đúng hạn"), "w766_updated_on_time"),
        ("published_in_full", _l("Thủ tục được công khai đầy đủ"), "w766_published_in_full"),
        ("synchronised", _l("Hồ sơ được đồng bộ lên Cổng Dịch vụ công quốc gia"), "w766_synchronised"),
    )),
    (G.PROGRESS, _l("Tiến độ giải quyết"), (
        ("progress", _l("Hồ sơ giải quyết trước hạn, đúng hạn và đang giải quyết trong hạn"), "w766_progress"),
    )),
    (G.ONLINE, _l("Dịch vụ công trực tuyến"), (
        ("online_full", _l("Hồ sơ trực tuyến trên số hồ sơ của thủ tục trực tuyến toàn trình"), "w766_online_full"),
        ("online_procedures", _l("Thủ tục được cung cấp trực tuyến"), "w766_online_procedures"),
        ("online_channel", _l("Hồ sơ tiếp nhận trực tuyến"), "w766_online_channel"),
    )),
    (G.PAYMENT, _l("Thanh toán trực tuyến"), (
        ("paid_online", _l("Hồ sơ thanh toán trực tuyến trên số hồ sơ có phí, lệ phí"), "w766_paid_online"),
    )),
    (G.SATISFACTION, _l("Mức độ hài lòng"), (
        ("pakn_on_time", _l("Phản ánh, kiến nghị được xử lý đúng hạn"), "w766_pakn_on_time"),
        ("pakn_satisfaction", _l("Hài lòng về xử lý phản ánh, kiến nghị"), "w766_pakn_satisfaction"),
        ("handling_satisfaction", _l("Hài lòng về giải quyết hồ sơ"), "w766_handling_satisfaction"),
    )),
    (G.DIGITISATION, _l("Số hóa hồ sơ"), (
        ("electronic_result", _l("Hồ sơ có kết quả điện tử"), "w766_electronic_result"),
        ("digitised", _l("Hồ sơ được số hóa khi tiếp nhận"), "w766_digitised"),
        ("e_certified", _l("Bản sao chứng thực điện tử"), "w766_e_certified"),
        ("reuse", _l("Hồ sơ tái sử dụng dữ liệu, giấy tờ đã số hóa"), "w766_reuse"),
        ("population", _l("Hồ sơ khai thác Cơ sở dữ liệu quốc gia về dân cư"), "w766_population"),
    )),
)
GROUP_KEYS = tuple(g[0] for g in GROUPS)
INDICATOR_KEYS = tuple(i[0] for g in GROUPS for i in g[2])
#: the counts of one bucket (per procedure and receiving desk)
COUNT_KEYS = (
    "handled", "pulled", "finished", "fin_ok", "fin_late", "fin_not_satisfied", "fin_pakn", "fin_bad",
    "open", "open_ok", "synced", "new", "new_online", "fee_known", "paid_online", "digitised",
    "pop_known", "pop_checked", "result_fin", "e_result", "reused", "ecert_known", "ecert_base", "ecert_yes",
)
PAKN_KEYS = ("pakn", "pakn_on_time", "pakn_rated", "pakn_rated_ok")


# -- the result ----------------------------------------------------------------

def _round(value: float | None, digits: int = 2) -> float | None:
    return None if value is None else round(value + 0.0, digits)


@dataclass
class Indicator:
    key: str
    label: str
    ratio: float | None
    points: float | None
    max: int
    part: int = 0  # the numerator (for the page and the drill-down)
    whole: int = 0  # the denominator

    @property
    def has_data(self) -> bool:
        return self.points is not None

    def as_json(self) -> dict:
        return {"key": self.key, "label": self.label, "ratio": _round(self.ratio, 4),
                "points": self.points, "max": self.max}


@dataclass
class Group:
    key: str
    label: str
    indicators: list[Indicator]

    @property
    def max(self) -> int:
        return sum(i.max for i in self.indicators)

    @property
    def points(self) -> float | None:
        scored = [i.points for i in self.indicators if i.points is not None]
        return _round(sum(scored)) if scored else None

    @property
    def ratio(self) -> float | None:
        return self.indicators[0].ratio if len(self.indicators) == 1 else None

    def as_json(self) -> dict:
        out = {"points": self.points, "max": self.max}
        if self.key == "progress":
            out["ratio"] = _round(self.ratio, 4)
        out["indicators"] = [i.as_json() for i in self.indicators]
        return out


@dataclass
class Score:
    period: Period
    scope: Scope
    as_of: datetime
    groups: list[Group]
    counts: dict = field(default_factory=dict)

    @property
    def points(self) -> float:
        return _round(sum(g.points or 0 for g in self.groups))

    @property
    def max(self) -> int:
        return sum(g.max for g in self.groups)

    def group(self, key: str) -> Group:
        return next(g for g in self.groups if g.key == key)

    def indicator(self, key: str) -> Indicator:
        return next(i for g in self.groups for i in g.indicators if i.key == key)

    def as_json(self) -> dict:
        return {"from": self.period.first.isoformat(), "to": self.period.last.isoformat(),
                "agency": self.scope.identifier or None,
                "total": {"points": self.points, "max": self.max},
                "groups": {g.key: g.as_json() for g in self.groups}}


# -- the catalogue ---------------------------------------------------------------

@dataclass
class ProcFacts:
    id: int
    code: str
    name: str
    field: str
    agency_id: int  # the deciding agency
    online_level: str
    announced_on: date | None
    published_on: date | None
    amended: bool
    published_in_full: bool | None
    active: bool


def procedures() -> dict[int, ProcFacts]:
    """Each procedure with its deciding agency (named, else the first route step, else the receiving desk)."""
    first_step = (
        sa.select(RouteStep.agency_id).where(RouteStep.procedure_id == Procedure.id)
        .order_by(RouteStep.position, RouteStep.id).limit(1).scalar_subquery()
    )
    rows = db.session.execute(sa.select(
        Procedure.id, Procedure.code, Procedure.name, Procedure.field,
        sa.func.coalesce(Procedure.deciding_agency_id, first_step, Procedure.receiving_agency_id),
        Procedure.online_level, Procedure.announced_on, Procedure.published_on, Procedure.amended,
        Procedure.published_in_full, Procedure.active,
    )).all()
    return {r[0]: ProcFacts(*r) for r in rows}


def scope_clause(scope: Scope, procs: dict[int, ProcFacts], procedure=None, desk=None):
    """Dossiers (or facts rows, given their columns) whose deciding or receiving agency is in the scope."""
    if scope.agency_ids is None:
        return sa.true()
    procedure = Dossier.procedure_id if procedure is None else procedure
    desk = Dossier.receiving_agency_id if desk is None else desk
    ids = set(scope.agency_ids)
    decided = sorted(p.id for p in procs.values() if p.agency_id in ids)
    return sa.or_(procedure.in_(decided), desk.in_(sorted(ids)))


# -- the SQL -----------------------------------------------------------------------
#
# A figure of a period [start, end) counts three kinds of dossiers, each by a condition on its own row:
# those received in the period (received_conditions), those that ended in it (ended_conditions) and those
# still open at its end, as of the end or now (open_conditions). The handled dossiers are the ended ones
# plus the open ones. The raw statements below count them straight from the dossiers; facts766 keeps the
# first two per day and the third as each day closed, and `combine` turns either into COUNT_KEYS.

#: in no 766 figure: waiting to be checked (submitted) or refused at reception (never received)
def counted():
    return sa.and_(Dossier.status != DossierStatus.SUBMITTED, Dossier.status != DossierStatus.NOT_ACCEPTED)


def _late():
    return sa.or_(Dossier.finish_state == DeadlineState.LATE, Dossier.supplement_count > 1)


def _not_satisfied():
    return Dossier.id.in_(sa.select(Feedback.dossier_id).where(Feedback.rating == Rating.NOT_SATISFIED))


def _with_pakn():
    return Dossier.id.in_(sa.select(Pakn.dossier_id).where(Pakn.dossier_id.is_not(None)))


def _has_fee():
    return sa.or_(Dossier.fee > 0, Dossier.payment_amount > 0)


def _shared() -> dict:
    """Counted over every handled dossier (ended in the period or open at its end)."""
    return {
        "synced": Dossier.id.in_(sa.select(PortalSync.dossier_id).where(PortalSync.state == SyncState.SENT)),
        "fee_known": sa.and_(_has_fee(), Dossier.paid_online.is_not(None)),
        "paid_online": sa.and_(_has_fee(), Dossier.paid_online.is_(True)),
    }


@cache
def received_conditions() -> dict:
    """Per dossier received in the period (models.FACT_RECEIVED). Built once: SQL expressions are immutable."""
    return {
        "new": sa.true(),
        "new_online": Dossier.channel == Channel.ONLINE,
        "digitised": Dossier.digitised.is_(True),
        "pop_known": Dossier.population_checked.is_not(None),
        "pop_checked": Dossier.population_checked.is_(True),
        "reused": Dossier.id.in_(sa.select(Attachment.dossier_id).where(Attachment.reused_from_id.is_not(None))),
        "ecert_known": Dossier.id.in_(
            sa.select(DossierDocument.dossier_id).where(DossierDocument.e_certified_copies.is_not(None))),
        "ecert_base": Dossier.id.in_(
            sa.select(DossierDocument.dossier_id).where(DossierDocument.certified_copies > 0)),
        "ecert_yes": Dossier.id.in_(
            sa.select(DossierDocument.dossier_id).where(DossierDocument.e_certified_copies > 0)),
    }


@cache
def ended_conditions() -> dict:
    """Per dossier that ended in the period (models.FACT_ENDED); withdrawn ones end but are not judged."""
    judged = st.in_(Dossier.status, JUDGED)
    late, not_satisfied, with_pakn = _late(), _not_satisfied(), _with_pakn()
    result = sa.and_(judged, st.in_(Dossier.status, WITH_RESULT))
    shared = _shared()
    return {
        "ended": sa.true(),
        "pulled": Dossier.status == DossierStatus.WITHDRAWN,
        "finished": judged,
        "fin_ok": sa.and_(judged, Dossier.finish_state.in_((DeadlineState.EARLY, DeadlineState.ON_TIME)),
                          Dossier.supplement_count <= 1),
        "fin_late": sa.and_(judged, late),
        "fin_not_satisfied": sa.and_(judged, not_satisfied),
        "fin_pakn": sa.and_(judged, with_pakn),
        "fin_bad": sa.and_(judged, sa.or_(late, not_satisfied, with_pakn)),
        "result_fin": result,
        "e_result": sa.and_(result, Dossier.electronic_result.is_(True)),
        "end_synced": shared["synced"],
        "end_fee_known": shared["fee_known"],
        "end_paid_online": shared["paid_online"],
    }


def _open_ok(asof):
    effective = sa.case(
        (sa.and_(Dossier.paused_at.is_not(None), Dossier.paused_at < asof), Dossier.paused_at), else_=asof)
    return sa.and_(Dossier.supplement_count <= 1, sa.or_(Dossier.due_at.is_(None), Dossier.due_at >= effective))


def open_conditions(asof) -> dict:
    """Per dossier still open at the period's end, judged as of `asof` (models.FACT_OPEN)."""
    shared = _shared()
    return {"open": sa.true(), "open_ok": _open_ok(asof), "open_synced": shared["synced"],
            "open_fee_known": shared["fee_known"], "open_paid_online": shared["paid_online"]}


FACT_KEYS = FACT_RECEIVED + FACT_ENDED + FACT_OPEN


def combine(row) -> dict:
    """COUNT_KEYS of one bucket from its received, ended and open counts (a mapping of FACT_KEYS)."""
    c = {k: int(row.get(k) or 0) for k in FACT_KEYS}
    out = {k: c[k] for k in FACT_RECEIVED}
    out.update({
        "handled": c["ended"] + c["open"], "pulled": c["pulled"], "finished": c["finished"],
        "fin_ok": c["fin_ok"], "fin_late": c["fin_late"], "fin_not_satisfied": c["fin_not_satisfied"],
        "fin_pakn": c["fin_pakn"], "fin_bad": c["fin_bad"], "open": c["open"], "open_ok": c["open_ok"],
        "synced": c["end_synced"] + c["open_synced"],
        "fee_known": c["end_fee_known"] + c["open_fee_known"],
        "paid_online": c["end_paid_online"] + c["open_paid_online"],
        "result_fin": c["result_fin"], "e_result": c["e_result"],
    })
    return out


def add_into(total: dict, row) -> None:
    for k in FACT_KEYS:
        total[k] = total.get(k, 0) + int(row.get(k) or 0)


@dataclass
class Clauses:
    """The conditions every count, the drill-down and the benchmark share."""

    handled: object
    finished: object
    late: object
    not_satisfied: object
    with_pakn: object
    bad: object
    open: object
    open_ok: object


def clauses(period: Period, as_of: datetime) -> Clauses:
    kind = Dossier.received_at.type
    return _clauses(sa.literal(period.start, kind), sa.literal(period.end, kind), sa.literal(as_of, kind))


def _clauses(start, end, asof) -> Clauses:
    """The clauses for a period given as SQL expressions (literals, or a months table's columns)."""
    ended = sa.and_(Dossier.finished_at.is_not(None), Dossier.finished_at < end)
    handled = sa.and_(Dossier.received_at < end, sa.or_(Dossier.finished_at.is_(None), Dossier.finished_at >= start),
                      counted())
    finished = sa.and_(ended, st.in_(Dossier.status, JUDGED))
    late, not_satisfied, with_pakn = _late(), _not_satisfied(), _with_pakn()
    still_open = sa.not_(ended)
    return Clauses(handled, finished, late, not_satisfied, with_pakn,
                   sa.or_(late, not_satisfied, with_pakn), still_open, sa.and_(still_open, _open_ok(asof)))


def statements(period: Period, scope: Scope, as_of: datetime | None = None,
               procs: dict[int, ProcFacts] | None = None) -> dict:
    """The two SQL statements behind a score counted from the dossiers (the benchmark times them bare)."""
    procs = procedures() if procs is None else procs
    as_of = min(as_of or utcnow(), period.end)
    start = sa.literal(period.start, Dossier.received_at.type)
    end = sa.literal(period.end, Dossier.received_at.type)
    asof = sa.literal(as_of, Dossier.received_at.type)
    handled, counts = _dossier_counts(start, end, asof)
    dossiers = (
        sa.select(Dossier.procedure_id, Dossier.receiving_agency_id, *[v.label(k) for k, v in counts.items()])
        .where(handled, scope_clause(scope, procs))
        .group_by(Dossier.procedure_id, Dossier.receiving_agency_id)
    )
    return {"dossiers": dossiers, "pakn": pakn_statement(period, scope, as_of), "_procs": procs, "_as_of": as_of}


def pakn_statement(period: Period, scope: Scope, as_of: datetime):
    """The PAKN filed in the period, per agency (a small table: always counted from its rows)."""
    kind = Pakn.created_at.type
    created, pakn_counts = _pakn_counts(sa.literal(period.start, kind), sa.literal(period.end, kind),
                                        sa.literal(as_of, kind))
    return (sa.select(Pakn.agency_id, *[v.label(k) for k, v in pakn_counts.items()])
            .where(created, _pakn_scope(scope)).group_by(Pakn.agency_id))


def _count(cond):
    return sa.func.sum(sa.case((cond, 1), else_=0))


def _pakn_scope(scope: Scope):
    return sa.true() if scope.agency_ids is None else Pakn.agency_id.in_(sorted(scope.agency_ids))


def _pakn_counts(start, end, asof) -> tuple[object, dict]:
    """The PAKN filed in [start, end) and their filtered counts (PAKN_KEYS)."""
    created = sa.and_(Pakn.created_at >= start, Pakn.created_at < end)
    count = _count
    return created, {
        "pakn": sa.func.count(),
        "pakn_on_time": count(sa.or_(sa.and_(Pakn.answered_at.is_not(None), Pakn.answered_at <= Pakn.due_at),
                                     sa.and_(Pakn.answered_at.is_(None), Pakn.due_at >= asof))),
        "pakn_rated": count(Pakn.rating.is_not(None)),
        "pakn_rated_ok": count(sa.and_(Pakn.rating.is_not(None), Pakn.rating != Rating.NOT_SATISFIED)),
    }


def _dossier_counts(start, end, asof) -> tuple[object, dict]:
    """The handled clause and the FACT_KEYS counts of one bucket, for a period given as SQL."""
    handled = _clauses(start, end, asof).handled
    ended = sa.and_(Dossier.finished_at.is_not(None), Dossier.finished_at < end)
    kinds = ((Dossier.received_at >= start, received_conditions()), (ended, ended_conditions()),
             (sa.not_(ended), open_conditions(asof)))
    counts = {}
    for which, conditions in kinds:
        for key, cond in conditions.items():
            counts[key] = _count(sa.and_(which, cond))
    return handled, counts


# -- facts: the buckets, added up for any part of the scope ---------------------------

@dataclass
class Facts:
    period: Period
    scope: Scope
    as_of: datetime
    procs: dict[int, ProcFacts]
    buckets: list[tuple[int, int, dict]]  # (procedure id, receiving desk id, counts)
    pakn: dict[int, dict]  # agency id -> counts

    def score(self, scope: Scope | None = None, *, procedure_ids: set[int] | None = None,
              desk_id: int | None = None) -> Score:
        """The score of part of the facts: an agency subtree, some procedures, or one desk."""
        scope = scope or self.scope
        ids = None if scope.agency_ids is None else set(scope.agency_ids)
        counts = dict.fromkeys(COUNT_KEYS, 0)
        counts["full_new"] = counts["full_online"] = 0
        for pid, desk, row in self.buckets:
            proc = self.procs[pid]
            if procedure_ids is not None and pid not in procedure_ids:
                continue
            if desk_id is not None and desk != desk_id:
                continue
            if ids is not None and proc.agency_id not in ids and desk not in ids:
                continue
            for key in COUNT_KEYS:
                counts[key] += row[key]
            if proc.online_level == OnlineLevel.FULL:
                counts["full_new"] += row["new"]
                counts["full_online"] += row["new_online"]
        # The catalogue and PAKN belong to agencies: a desk's score has neither.
        if desk_id is None:
            catalogue = [p for p in self.procs.values() if p.active
                         and (procedure_ids is None or p.id in procedure_ids)
                         and (ids is None or p.agency_id in ids)]
        else:
            catalogue = []
        pakn = dict.fromkeys(PAKN_KEYS, 0)
        if desk_id is None and procedure_ids is None:
            for aid, row in self.pakn.items():
                if ids is None or aid in ids:
                    for key in PAKN_KEYS:
                        pakn[key] += row[key]
        counts.update(pakn)
        counts.update(_catalogue_counts(catalogue, self.period))
        return Score(self.period, scope, self.as_of, _groups(counts), counts)


def _catalogue_counts(catalogue: Iterable[ProcFacts], period: Period) -> dict:
    days = settings.get("t766_publish_days")
    out = dict.fromkeys(("announced", "announced_ok", "amended", "amended_ok", "full_known", "full_yes",
                         "procedures", "procedures_online"), 0)
    for p in catalogue:
        out["procedures"] += 1
        out["procedures_online"] += p.online_level != OnlineLevel.NONE
        if p.published_in_full is not None:
            out["full_known"] += 1
            out["full_yes"] += bool(p.published_in_full)
        if p.announced_on is not None and period.first <= p.announced_on <= period.last:
            on_time = p.published_on is not None and p.published_on <= p.announced_on + timedelta(days=days)
            key = "amended" if p.amended else "announced"
            out[key] += 1
            out[key + "_ok"] += on_time
    return out


def _ratio(part: int, whole: int) -> float | None:
    return part / whole if whole else None


_LABELS: dict[str, dict] = {}


def _labels() -> dict:
    """The groups' and indicators' labels in the reader's language, made once per process and language."""
    locale = str(get_locale() or "vi")
    table = _LABELS.get(locale)
    if table is None:
        table = {("group", key): str(label) for key, label, _i in GROUPS}
        table.update({key: str(label) for _g, _l, items in GROUPS for key, label, _r in items})
        _LABELS[locale] = table
    return table


def _groups(c: dict) -> list[Group]:
    """Every indicator's ratio and points from the counts (None: nothing to count yet)."""
    rules = settings.current()
    labels = _labels()
    threshold = rules["t766_handling_satisfaction"] / 100
    progress_whole = c["handled"] - c["pulled"]
    # (ratio part, ratio whole, whether there is data at all)
    parts = {
        "published_on_time": (c["announced_ok"], c["announced"], c["announced"] > 0),
        "updated_on_time": (c["amended_ok"], c["amended"], c["amended"] > 0),
        "published_in_full": (c["full_yes"], c["full_known"], c["full_known"] > 0),
        "synchronised": (c["synced"], c["handled"], c["handled"] > 0),
        "progress": (c["fin_ok"] + c["open_ok"], progress_whole, progress_whole > 0),
        "online_full": (c["full_online"], c["full_new"], c["full_new"] > 0),
        "online_procedures": (c["procedures_online"], c["procedures"], c["procedures"] > 0),
        "online_channel": (c["new_online"], c["new"], c["new"] > 0),
        "paid_online": (c["paid_online"], c["fee_known"], c["fee_known"] > 0),
        "pakn_on_time": (c["pakn_on_time"], c["pakn"], c["pakn"] > 0),
        "pakn_satisfaction": (c["pakn_rated_ok"], c["pakn_rated"], c["pakn_rated"] > 0),
        "handling_satisfaction": (c["finished"] - c["fin_bad"], c["finished"], c["finished"] > 0),
        "electronic_result": (c["e_result"], c["result_fin"], c["result_fin"] > 0),
        "digitised": (c["digitised"], c["new"], c["new"] > 0),
        "e_certified": (c["ecert_yes"], c["ecert_base"], c["ecert_known"] > 0 and c["ecert_base"] > 0),
        "reuse": (c["reused"], c["new"], c["reused"] > 0),
        "population": (c["pop_checked"], c["new"], c["pop_known"] > 0),
    }
    groups = []
    for gkey, _glabel, indicators in GROUPS:
        items = []
        for key, _label, rule in indicators:
            weight = rules[rule]
            part, whole, has_data = parts[key]
            ratio = _ratio(part, whole) if has_data else None
            if ratio is None:
                points = None
            elif key == "handling_satisfaction":
                points = _round(min(weight, weight * ratio / threshold))
            else:
                points = _round(weight * ratio)
            items.append(Indicator(key, labels[key], ratio, points, weight, part, whole))
        groups.append(Group(gkey, labels[("group", gkey)], items))
    return groups


#: an `as_of` this close to now is "now": the kept facts answer it (a caller took utcnow() a moment ago)
NOW_SLACK = timedelta(minutes=10)


def from_kept_facts(period: Period, as_of: datetime | None, now: datetime) -> bool:
    """Whether facts766 can answer: as of now, or of the period's end (an earlier moment is counted raw)."""
    return as_of is None or as_of >= min(now - NOW_SLACK, period.end)


def _pakn_rows(stmt) -> dict[int, dict]:
    return {row["agency_id"]: {k: int(row[k] or 0) for k in PAKN_KEYS} for row in db.session.execute(stmt).mappings()}


def facts(period: Period, scope: Scope, *, as_of: datetime | None = None) -> Facts:
    """Count once; the buckets then give the score of the scope or of any part of it.

    As of now (or of the period's end) the counts come from the kept facts (facts766), which equal the
    dossiers' own rows; as of an earlier moment they are counted from the dossiers.
    """
    from . import facts766

    now = utcnow()
    procs = procedures()
    if from_kept_facts(period, as_of, now):
        moment = as_of if as_of is not None and as_of < now else now
        buckets = facts766.buckets([period], scope, procs, moment)[0]
        eff = min(moment, period.end)
        return Facts(period, scope, eff, procs, buckets, _pakn_rows(pakn_statement(period, scope, eff)))
    return counted_from_dossiers(period, scope, as_of=as_of, procs=procs)


def counted_from_dossiers(period: Period, scope: Scope, *, as_of: datetime | None = None,
                          procs: dict[int, ProcFacts] | None = None) -> Facts:
    """The same facts counted straight from the dossiers' rows (an earlier `as_of`; the reference of tests)."""
    procs = procedures() if procs is None else procs
    stmts = statements(period, scope, as_of, procs)
    buckets = [(row["procedure_id"], row["receiving_agency_id"], combine(row))
               for row in db.session.execute(stmts["dossiers"]).mappings()]
    return Facts(period, scope, stmts["_as_of"], procs, buckets, _pakn_rows(stmts["pakn"]))


def score(period: Period, scope: Scope, *, as_of: datetime | None = None) -> Score:
    """Decision 766's score of the scope for the period (as of now, or of `as_of` when earlier than its end)."""
    return facts(period, scope, as_of=as_of).score()


# -- rankings and trend -------------------------------------------------------------------

@dataclass
class Ranked:
    key: str
    label: str
    kind: str
    score: Score


RANKINGS = ("agency", "commune", "desk", "field", "procedure")


def ranking(period: Period, scope: Scope, by: str = "agency", *, as_of: datetime | None = None,
            the_facts: Facts | None = None) -> list[Ranked]:
    """Scores of every agency (departments), commune, desk, field or procedure in the scope, best first."""
    fx = the_facts or facts(period, scope, as_of=as_of)
    out: list[Ranked] = []
    if by in ("agency", "commune", "desk"):
        agencies = {a.id: a for a in db.session.execute(sa.select(Agency)).scalars()}
        children: dict[int | None, list[int]] = {}
        for a in agencies.values():
            children.setdefault(a.parent_id, []).append(a.id)

        def subtree(top: int) -> list[int]:
            out_ids, todo = [], [top]
            while todo:
                aid = todo.pop()
                out_ids.append(aid)
                todo.extend(children.get(aid, ()))
            return out_ids

        allowed = None if scope.agency_ids is None else set(scope.agency_ids)
        if by == "desk":
            desks = sorted({desk for _p, desk, _r in fx.buckets}, key=lambda i: agencies[i].identifier)
            for aid in desks:
                if allowed is None or aid in allowed:
                    a = agencies[aid]
                    out.append(Ranked(a.identifier, a.name, a.kind, fx.score(desk_id=aid)))
        else:
            kinds = ("commune", "commune_center") if by == "commune" else ("department",)
            for a in sorted(agencies.values(), key=lambda a: a.identifier):
                if a.kind in kinds and (allowed is None or a.id in allowed):
                    sub = Scope(a, subtree(a.id))
                    s = fx.score(sub)
                    if s.counts["handled"] or s.counts["procedures"] or s.counts["pakn"]:
                        out.append(Ranked(a.identifier, a.name, a.kind, s))
    elif by == "field":
        fields: dict[str, set[int]] = {}
        for p in fx.procs.values():
            fields.setdefault(p.field, set()).add(p.id)
        for name in sorted(fields):
            s = fx.score(procedure_ids=fields[name])
            if s.counts["handled"]:
                out.append(Ranked(name, name, "field", s))
    elif by == "procedure":
        used = {pid for pid, _d, _r in fx.buckets}
        for pid in sorted(used, key=lambda i: fx.procs[i].code):
            p = fx.procs[pid]
            out.append(Ranked(p.code, p.name, "procedure", fx.score(procedure_ids={pid})))
    else:
        raise ValueError(by)
    out.sort(key=lambda r: -r.score.points)
    return out


def months_of(period: Period) -> list[Period]:
    """The calendar months the period covers (at most its last twelve)."""
    out = []
    y, m = period.last.year, period.last.month
    while len(out) < 12:
        first = date(y, m, 1)
        nxt = date(y + (m == 12), m % 12 + 1, 1)
        out.append(Period("month", max(first, period.first), min(nxt - timedelta(days=1), period.last)))
        if first <= period.first:
            break
        y, m = (y - 1, 12) if m == 1 else (y, m - 1)
    return list(reversed(out))


def trend_statements(months: list[Period], scope: Scope, now: datetime, procs: dict[int, ProcFacts],
                     *, dossiers: bool = True) -> dict:
    """Every month's buckets in one statement per table: the dossiers (and PAKN) joined to a table of the
    months (index, start, end, as of), grouped by month — one scan instead of one per month."""
    kind = Dossier.received_at.type
    table = sa.values(sa.column("idx", sa.Integer), sa.column("m_start", kind), sa.column("m_end", kind),
                      sa.column("m_asof", kind), name="months766")
    table = table.data([(i, m.start, m.end, min(now, m.end)) for i, m in enumerate(months)]).cte("months766")
    first, last = sa.literal(months[0].start, kind), sa.literal(months[-1].end, kind)
    handled, counts = _dossier_counts(table.c.m_start, table.c.m_end, table.c.m_asof) if dossiers else (None, {})
    dossiers_stmt = None if not dossiers else (
        sa.select(table.c.idx, Dossier.procedure_id, Dossier.receiving_agency_id,
                  *[v.label(k) for k, v in counts.items()])
        .select_from(Dossier).join(table, handled)
        .where(Dossier.received_at < last, sa.or_(Dossier.finished_at.is_(None), Dossier.finished_at >= first),
               scope_clause(scope, procs))
        .group_by(table.c.idx, Dossier.procedure_id, Dossier.receiving_agency_id)
    )
    created, pakn_counts = _pakn_counts(table.c.m_start, table.c.m_end, table.c.m_asof)
    pakn = (
        sa.select(table.c.idx, Pakn.agency_id, *[v.label(k) for k, v in pakn_counts.items()])
        .select_from(Pakn).join(table, created)
        .where(Pakn.created_at >= sa.literal(months[0].start, Pakn.created_at.type),
               Pakn.created_at < sa.literal(months[-1].end, Pakn.created_at.type), _pakn_scope(scope))
        .group_by(table.c.idx, Pakn.agency_id)
    )
    return {"dossiers": dossiers_stmt, "pakn": pakn}


def trend(period: Period, scope: Scope, *, as_of: datetime | None = None) -> list[dict]:
    """The score month by month over the period: {month, period, total, groups: {key: points}, score}.

    Each month is scored exactly as `score(month, scope)` would score it, from a few statements in all.
    """
    return _trend(period, scope, as_of)[1]


def facts_and_trend(period: Period, scope: Scope) -> tuple[Facts, list[dict]]:
    """The period's facts and its monthly trend, read together (the dashboard and its exports)."""
    return _trend(period, scope, None, with_period=True)


def _trend(period: Period, scope: Scope, as_of: datetime | None, *,
           with_period: bool = False) -> tuple[Facts | None, list[dict]]:
    from . import facts766

    now = as_of or utcnow()
    months = [m for m in months_of(period) if m.start <= now]
    if not months:
        return (facts(period, scope, as_of=as_of) if with_period else None), []
    procs = procedures()
    real_now = utcnow()
    period_facts = None
    pakn: dict[int, dict] = {i: {} for i in range(len(months))}
    if all(from_kept_facts(m, as_of, real_now) for m in [*months, *([period] if with_period else [])]):
        moment = min(now, real_now)
        lists = facts766.buckets([*([period] if with_period else []), *months], scope, procs, moment)
        if with_period:
            eff = min(moment, period.end)
            period_facts = Facts(period, scope, eff, procs, lists.pop(0),
                                 _pakn_rows(pakn_statement(period, scope, eff)))
        buckets = dict(enumerate(lists))
        stmts = trend_statements(months, scope, moment, procs, dossiers=False)
    else:
        moment = now
        if with_period:
            period_facts = counted_from_dossiers(period, scope, as_of=as_of, procs=procs)
        stmts = trend_statements(months, scope, now, procs)
        buckets = {i: [] for i in range(len(months))}
        for row in db.session.execute(stmts["dossiers"]).mappings():
            buckets[row["idx"]].append((row["procedure_id"], row["receiving_agency_id"], combine(row)))
    for row in db.session.execute(stmts["pakn"]).mappings():
        pakn[row["idx"]][row["agency_id"]] = {k: int(row[k] or 0) for k in PAKN_KEYS}
    out = []
    for i, month in enumerate(months):
        s = Facts(month, scope, min(moment, month.end), procs, buckets[i], pakn[i]).score()
        out.append({"month": f"{month.first.month:02d}/{month.first.year}", "period": month, "total": s.points,
                    "groups": {g.key: g.points for g in s.groups}, "score": s})
    return period_facts, out


# -- drill-down: the dossiers behind a figure -----------------------------------------------

DRILLS = {
    "late": _l("Hồ sơ trễ hạn đã giải quyết"),
    "unsatisfied": _l("Hồ sơ bị đánh giá không hài lòng"),
    "pakn": _l("Hồ sơ có phản ánh, kiến nghị"),
    "bad": _l("Hồ sơ làm giảm điểm hài lòng (trễ hạn, không hài lòng hoặc có phản ánh)"),
    "open_overdue": _l("Hồ sơ đang giải quyết quá hạn"),
}


def drill_clause(period: Period, scope: Scope, what: str, *, as_of: datetime | None = None):
    """The WHERE clause selecting the dossiers behind one figure of the score."""
    as_of = min(as_of or utcnow(), period.end)
    c = clauses(period, as_of)
    which = {
        "late": sa.and_(c.finished, c.late),
        "unsatisfied": sa.and_(c.finished, c.not_satisfied),
        "pakn": sa.and_(c.finished, c.with_pakn),
        "bad": sa.and_(c.finished, c.bad),
        "open_overdue": sa.and_(c.open, sa.not_(c.open_ok)),
    }[what]
    return sa.and_(c.handled, scope_clause(scope, procedures()), which)
