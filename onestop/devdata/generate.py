"""Synthetic dossiers in bulk, for demos and benchmarks (`onestop generate`).

Every moment follows the rules of `onestop.deadlines`: the intake plan, the steps' dues and judgements,
the supplement window, pauses and restarts and the final judgement come from its `BulkPlanner` (the same
rules on epoch seconds, tested to agree with the datetime functions); apologies (once, ahead of time, to
a working moment within the province's cap) and the note of a resumed clock go through the very
functions the workflow calls. Online submissions are received when the desk accepts them, and planned
again then; the province's settings (supplement window and reply time, apology limits) are honoured.

The two years are cut into batches of whole days (about BATCH dossiers, or one day's when a day holds
more), each built from its own seeded generator: the same seed on the same database state and day gives
the same rows, whether one process builds them or several. Codes continue each unit's CodeSequence of
the day and the last numbers are written back, so later intakes never collide; ids are taken in blocks
per batch (gaps between blocks, never a reuse).

On PostgreSQL worker processes build batches as COPY text while this process streams them into one
transaction, so a process holds one batch at a time and a failed run leaves nothing behind: foreign-key
triggers are skipped when the role may (else the keys are dropped and checked again at the end), and for
a large load the secondary indexes are dropped and rebuilt afterwards, then ANALYZE. Elsewhere (SQLite)
rows go through Core inserts, in one transaction too.
"""
from __future__ import annotations

import bisect
import json
import multiprocessing
import os
import random
import re
from collections import deque
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

import sqlalchemy as sa
from flask import current_app

from .. import deadlines, settings
from ..calendar import get_calendar
from ..codes import KEY_ALPHABET
from ..errors import Conflict, ValidationError
from ..extensions import db
from ..models import (
    Agency,
    CodeSequence,
    Dossier,
    DossierEvent,
    DossierStep,
    Feedback,
    Procedure,
    RouteStep,
    User,
    UTCDateTime,
)
from ..status import Channel, DeadlineState, DossierStatus, Rating, TimeUnit
from ..text import fold
from ..timeutil import zone
from . import demo

FAMILY = ["Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Huỳnh", "Phan", "Vũ", "Võ", "Đặng", "Bùi", "Đỗ", "Hồ",
          "Ngô", "Dương", "Lý"]
MIDDLE = ["Văn", "Thị", "Minh", "Hữu", "Đức", "Thanh", "Ngọc", "Quốc", "Thu", "Xuân", "Hoài", "Gia"]
GIVEN = ["An", "Bình", "Chi", "Dũng", "Giang", "Hà", "Hải", "Hạnh", "Hiếu", "Hoa", "Hùng", "Hương", "Khánh",
         "Lan", "Linh", "Long", "Mai", "Nam", "Nga", "Phúc", "Quân", "Sơn", "Tâm", "Thảo", "Trang", "Tuấn",
         "Việt", "Yến"]
STREETS = ["Lê Lợi", "Trần Hưng Đạo", "Nguyễn Huệ", "Hai Bà Trưng", "Quang Trung", "Lý Thường Kiệt"]
# Relative weights: commune certifications are the most frequent procedures.
WEIGHTS = {"2.000815": 30, "1.001193": 12, "2.000986": 14, "2.000720": 8, "1.003003": 5, "1.009994": 8,
           "1.004227": 3, "2.001610": 9, "1.001756": 8, "1.010725": 3}
BATCH = 5000
DAYS_BACK = 730
# Today's work: this share of the dossiers is received in the last three working days (still at the desk,
# waiting for papers, not yet accepted online).
RECENT_SHARE = 0.02
# From this many dossiers (and at least half the table) PostgreSQL rebuilds the secondary indexes after
# the load instead of maintaining them row by row.
BULK_MIN = 50_000
DESK_TASK = "Tiếp nhận và chuyển hồ sơ"
REFUSAL = "Hồ sơ không thuộc thẩm quyền giải quyết"
SUPPLEMENT_REASON = "Đề nghị bổ sung giấy tờ còn thiếu"
SUPPLEMENT_DOCUMENTS = ["Bản sao giấy tờ tùy thân còn thiếu"]
APOLOGY_REASON = "Hồ sơ cần xác minh thêm tại thực địa"
WITHDRAWAL = "Công dân xin rút hồ sơ"
STOP_REASON = "Không đủ điều kiện giải quyết"
COMMENT = "Cán bộ nhiệt tình"
NULL = "\\N"

S = DossierStatus
TABLES = (Dossier.__table__, DossierStep.__table__, DossierEvent.__table__, Feedback.__table__)
# The columns each story fills, in the tables' order; every other column takes its default.
FIELDS = {
    "dossiers": ("id", "code", "lookup_key", "procedure_id", "receiving_agency_id", "current_agency_id",
                 "current_step_id", "status", "channel", "applicant_name", "applicant_id_number", "applicant_phone",
                 "applicant_address", "search_text", "fee", "received_at", "clock_started_at", "handover_due_at",
                 "due_at", "original_due_at", "apology_reason", "paused_at", "supplement_count",
                 "supplement_due_at", "payment_amount", "finished_at", "finish_state", "returned_at",
                 "collected_by", "digitised", "electronic_result", "created_by_id", "created_at", "updated_at",
                 "version"),
    "dossier_steps": ("id", "dossier_id", "seq", "agency_id", "kind", "task", "share", "started_at", "due_at",
                      "finished_at", "result", "given_by_id", "received_by_id", "handed_by_id"),
    "dossier_events": ("id", "dossier_id", "action", "at", "actor_id", "status_from", "status_to",
                       "from_agency_id", "to_agency_id", "step_id", "step_due_at", "step_result", "note", "data"),
    "feedback": ("id", "dossier_id", "rating", "comment", "created_at"),
}


@dataclass(frozen=True)
class Proc:
    """A procedure as plain values: what the deadline rules read (same names as Procedure) and a story needs."""

    id: int
    code: str
    receiving_agency_id: int
    same_day: bool
    time_unit: str
    time_limit: int
    online_time_limit: int | None
    clock_on_supplement: str
    fee: int
    route: tuple  # ((agency id, share, task), ...) in route order
    shares_from_last: tuple


@dataclass(frozen=True)
class Chunk:
    """One batch: the working seconds [lo, hi) of whole days, how many dossiers, the first one's rank."""

    index: int
    lo: int
    hi: int
    count: int
    offset: int
    recent_lo: int
    recent_share: float
    arrival_cap: int  # arrivals stay on the batch's own days (their codes' numbers are the batch's)


class _Paper:
    """The few fields of a dossier or step that the deadline rules read and write, for one story."""

    def __init__(self, **fields):
        self.__dict__.update(fields)


@dataclass
class Batch:
    rows: dict  # table name -> list of tuples, values as COPY text (NULL for None)
    sequences: dict  # (agency id, day) -> last number given


def _text(value) -> str:
    """A constant as COPY text."""
    if value is None:
        return NULL
    if isinstance(value, bool):
        return "t" if value else "f"
    return str(value).replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")


SUPPLEMENT_DATA = _text(json.dumps({"documents": SUPPLEMENT_DOCUMENTS}, ensure_ascii=False))


class Layout:
    """How one table's rows are written: the story's columns as given, every other column at its default
    (the model's, else the database's; a column with neither that must not be NULL stops the run)."""

    def __init__(self, table: sa.Table):
        self.table = table
        self.fields = FIELDS[table.name]
        unknown = [f for f in self.fields if f not in table.c]
        if unknown:
            raise RuntimeError(f"onestop generate: bảng {table.name} không có cột {', '.join(unknown)}")
        self.columns, parts, self.constants = [], [], {}
        for column in table.columns:
            if column.name in self.fields:
                parts.append("%s")
            elif column.default is not None and column.default.is_scalar:
                self.constants[column.name] = column.default.arg
                parts.append(_text(column.default.arg).replace("%", "%%"))
            elif column.server_default is not None:
                continue  # left out of the COPY: the database fills it
            elif column.nullable:
                self.constants[column.name] = None
                parts.append(NULL)
            else:
                raise RuntimeError(f"onestop generate: không biết giá trị cho cột {table.name}.{column.name}")
            self.columns.append(column.name)
        self.template = "\t".join(parts) + "\n"
        # The story's tuples follow FIELDS, the template the table: a reordered model still works.
        self.order = [self.fields.index(n) for n in self.columns if n in self.fields]
        self.in_order = self.order == list(range(len(self.fields)))
        self.decoders = [_decoder(table.c[f]) for f in self.fields]

    def copy_text(self, rows: list[tuple]) -> bytes:
        template = self.template
        if self.in_order:
            return "".join([template % row for row in rows]).encode()
        order = self.order
        return "".join([template % tuple([row[i] for i in order]) for row in rows]).encode()

    def values(self, rows: list[tuple]) -> list[dict]:
        """The rows as Python values for a Core insert (the COPY text read back)."""
        out = []
        for row in rows:
            item = dict(self.constants)
            for name, decode, value in zip(self.fields, self.decoders, row, strict=True):
                item[name] = None if value == NULL else decode(value)
            out.append(item)
        return out


_ESCAPED = re.compile(r"\\(.)")
_UNESCAPE = {"t": "\t", "n": "\n", "r": "\r"}


def _unescape(text: str) -> str:
    return _ESCAPED.sub(lambda m: _UNESCAPE.get(m.group(1), m.group(1)), text)


def _decoder(column: sa.Column):
    """Reads a COPY text value back as the Python value a Core insert takes."""
    kind = column.type
    if isinstance(kind, UTCDateTime):
        return lambda v: datetime.fromisoformat(v).replace(tzinfo=UTC)
    if isinstance(kind, sa.Boolean):
        return lambda v: v == "t"
    if isinstance(kind, sa.JSON):
        return lambda v: json.loads(_unescape(v))
    if isinstance(kind, sa.Integer):
        return int
    return _unescape


class Context:
    """Everything a batch is built from, read once in this process (worker processes inherit it)."""

    def __init__(self, n: int, seed: int, now: datetime, batch: int):
        self.seed = seed
        self.cal = cal = get_calendar()
        self.procs = _procedures()
        longest = max(_days_of(p) for p in self.procs)
        first = (now - timedelta(days=DAYS_BACK + 40)).astimezone(cal.tz).date()
        last = min((now + timedelta(days=150 + 3 * longest)).astimezone(cal.tz).date(), date(cal.last_year, 12, 31))
        self.planner = deadlines.BulkPlanner(cal, first, last)
        self.now = int(now.timestamp())
        self.weights = list(_cumulative([WEIGHTS.get(p.code, 5) for p in self.procs]))
        self.clerks, self.specialists = _staff()
        agencies = db.session.execute(sa.select(Agency.id, Agency.identifier)).all()
        self.identifiers = {a.id: (a.identifier, fold(a.identifier)) for a in agencies}
        self.sequences = {(r.agency_id, r.day): r.last_value for r in db.session.execute(
            sa.select(CodeSequence.agency_id, CodeSequence.day, CodeSequence.last_value)
            .where(CodeSequence.day >= first))}
        self.window_days = settings.get("supplement_window_days")
        self.reply_days = settings.get("supplement_reply_days")
        self.max_requests = settings.get("supplement_max_requests")
        self.ids = {t.name: (db.session.execute(sa.select(sa.func.max(t.c.id))).scalar() or 0) + 1 for t in TABLES}
        self.max_steps = 1 + max(len(p.route) for p in self.procs)
        self.max_events = 8 + max(len(p.route) for p in self.procs)
        self.layouts = {t.name: Layout(t) for t in TABLES}
        self.chunks = _chunks(self.planner, n, batch, int((now - timedelta(days=DAYS_BACK)).timestamp()), self.now)
        # COPY text of moments: a UTC day's date, then its second.
        self.first_day = self.planner.midnight[0] // 86400
        self.day_text = [(date(1970, 1, 1) + timedelta(days=self.first_day + i)).isoformat()
                         for i in range(len(self.planner.midnight) + 2)]
        self.second_text = [f" {s // 3600:02d}:{s // 60 % 60:02d}:{s % 60:02d}" for s in range(86400)]
        self.code_day = {}
        for j, d in enumerate(self.planner.days):
            self.code_day[j] = (d, f"{d:%y%m%d}")
        self.folded = {}


def _days_of(proc: Proc) -> int:
    if proc.time_unit == TimeUnit.CALENDAR_DAYS:
        return max(proc.time_limit, 1)
    if proc.time_unit == TimeUnit.WORKING_HOURS:
        return max(proc.time_limit // 8, 1)
    return max(proc.time_limit, 1) * 2  # working days are at most about two calendar days each


def _cumulative(values):
    total = 0
    for v in values:
        total += v
        yield total


def _procedures() -> list[Proc]:
    routes: dict[int, list] = {}
    for s in db.session.execute(sa.select(RouteStep.procedure_id, RouteStep.agency_id, RouteStep.time,
                                          RouteStep.task).order_by(RouteStep.procedure_id, RouteStep.position)):
        routes.setdefault(s.procedure_id, []).append((s.agency_id, s.time, _text(s.task)))
    out = []
    for p in db.session.execute(sa.select(Procedure.id, Procedure.code, Procedure.receiving_agency_id,
                                          Procedure.same_day, Procedure.time_unit, Procedure.time_limit,
                                          Procedure.online_time_limit, Procedure.clock_on_supplement,
                                          Procedure.fee).where(Procedure.active.is_(True)).order_by(Procedure.id)):
        route = tuple(routes.get(p.id) or [(p.receiving_agency_id, p.time_limit, NULL)])
        out.append(Proc(p.id, p.code, p.receiving_agency_id, p.same_day, p.time_unit, p.time_limit,
                        p.online_time_limit, p.clock_on_supplement, p.fee or 0, route,
                        tuple(share for _a, share, _t in reversed(route))))
    if not out:
        raise RuntimeError("onestop generate: chưa có thủ tục nào đang áp dụng")
    return out


def _staff() -> tuple[dict, dict]:
    """A clerk per agency (receiving desks) and a specialist per agency (steps)."""
    clerks, specialists = {}, {}
    for u in db.session.execute(sa.select(User.id, User.role, User.agency_id).order_by(User.id)):
        if u.role == "clerk":
            clerks.setdefault(u.agency_id, u.id)
        elif u.role in ("specialist", "leader"):
            specialists.setdefault(u.agency_id, u.id)
    return clerks, specialists


def _chunks(planner: deadlines.BulkPlanner, n: int, batch: int, start: int, now: int) -> list[Chunk]:
    """Cut [start, now) into batches of whole working days holding about `batch` dossiers each.

    Reception is uniform in working time, plus RECENT_SHARE of the dossiers in the last three working days;
    each batch gets its expected count (rounded on the running total, so the counts add up to n).
    """
    day = planner.day_seconds
    lo, hi = planner.to_ws(start), planner.to_ws(now)
    recent = max(lo, hi - 3 * day)
    span, recent_span = max(hi - lo, 1), max(hi - recent, 1)

    def expected(x: int) -> float:
        return n * ((1 - RECENT_SHARE) * (x - lo) / span + RECENT_SHARE * max(0, x - recent) / recent_span)

    cuts, last, cut = [lo], lo, lo
    first_boundary = (lo // day + 1) * day
    for boundary in [*range(first_boundary, hi, day), hi]:
        if expected(boundary) - expected(cut) > batch and last > cut:
            cuts.append(last)
            cut = last
        last = boundary
    cuts.append(hi)
    chunks, offset = [], 0
    for a, b in zip(cuts, cuts[1:], strict=False):
        count = round(expected(b)) - round(expected(a))
        if count <= 0:
            continue
        whole = expected(b) - expected(a)
        in_recent = n * RECENT_SHARE * max(0, b - max(a, recent)) / recent_span
        cap = now - 300 if b >= hi else planner.midnight[planner.day(planner.from_ws(b, prefer_end=False))] - 1
        chunks.append(Chunk(len(chunks), a, b, count, offset, max(a, recent), in_recent / whole if whole else 0, cap))
        offset += count
    return chunks


def _dt(moment: int) -> datetime:
    return datetime.fromtimestamp(moment, UTC)


def _epoch(moment: datetime) -> int:
    return int(moment.timestamp())


class Builder:
    """Builds the rows of one batch: each dossier's story, then its rows as COPY text values."""

    def __init__(self, ctx: Context):
        self.ctx = ctx
        day_text, second_text, first_day = ctx.day_text, ctx.second_text, ctx.first_day

        def stamp(moment):
            if moment is None:
                return NULL
            return day_text[moment // 86400 - first_day] + second_text[moment % 86400]
        self.stamp = stamp

    def batch(self, k: int) -> Batch:
        ctx = self.ctx
        chunk = ctx.chunks[k]
        rng = random.Random(f"{ctx.seed}:{chunk.index}")
        r = rng.random
        P = ctx.planner
        procs, weights = ctx.procs, ctx.weights
        total = weights[-1]
        arrivals = []
        span, recent_span = chunk.hi - chunk.lo, chunk.hi - chunk.recent_lo
        for _ in range(chunk.count):
            if r() < chunk.recent_share:
                ws = chunk.recent_lo + int(r() * recent_span)
            else:
                ws = chunk.lo + int(r() * span)
            proc = procs[bisect.bisect_right(weights, r() * total)]
            x = r()
            channel = Channel.COUNTER if x < 0.55 else Channel.ONLINE if x < 0.9 else Channel.POSTAL
            arrival = P.from_ws(ws, prefer_end=False) + int(r() * 60)
            if channel is Channel.ONLINE and r() < 0.2:  # online dossiers arrive at any hour
                arrival += (5, 7, 13)[int(r() * 3)] * 3600
            arrivals.append((min(arrival, chunk.arrival_cap), ws, proc, channel))
        arrivals.sort(key=lambda a: a[0])  # numbers follow the order of arrival
        out = Batch({name: [] for name in FIELDS}, {})
        story = _Story(ctx, self.stamp, rng, out, chunk)
        for i, (arrival, ws, proc, channel) in enumerate(arrivals):
            story.tell(chunk.offset + i, arrival, ws, proc, channel)
        return out


class _Story:
    """One dossier after another: what happened to it, as rows."""

    def __init__(self, ctx: Context, stamp, rng: random.Random, out: Batch, chunk: Chunk):
        self.ctx, self.stamp, self.rng, self.out = ctx, stamp, rng, out
        self.step_id = ctx.ids["dossier_steps"] + chunk.offset * ctx.max_steps
        self.event_id = ctx.ids["dossier_events"] + chunk.offset * ctx.max_events
        self.feedback_id = ctx.ids["feedback"] + chunk.offset
        self.step_limit = self.step_id + chunk.count * ctx.max_steps
        self.event_limit = self.event_id + chunk.count * ctx.max_events
        self.now_ws = ctx.planner.to_ws(ctx.now)

    def _number(self, agency_id: int, day: date) -> int:
        key = (agency_id, day)
        seq = self.out.sequences
        value = seq.get(key)
        if value is None:
            value = self.ctx.sequences.get(key, 0)
        seq[key] = value + 1
        return value + 1

    def tell(self, rank: int, arrival: int, ws: int, proc: Proc, channel: Channel) -> None:
        ctx, r, P = self.ctx, self.rng.random, self.ctx.planner
        now, D = ctx.now, P.day_seconds
        did = ctx.ids["dossiers"] + rank
        desk = proc.receiving_agency_id
        clerk = ctx.clerks.get(desk)
        specialists = ctx.specialists
        j = P.day(arrival)
        day, yymmdd = ctx.code_day[j]
        identifier, folded_identifier = ctx.identifiers[desk]
        number = self._number(desk, day)
        name = f"{FAMILY[int(r() * 16)]} {MIDDLE[int(r() * 12)]} {GIVEN[int(r() * 28)]}"
        folded = ctx.folded.get(name)
        if folded is None:
            folded = ctx.folded[name] = fold(name)

        # Reception: counter and postal dossiers at once; online ones when the desk accepts them.
        status = None
        # (at, action, actor, status from, to, agency from, to, (step index, its due then), result, note, data)
        events = []
        received = arrival
        refused = None
        if channel is Channel.ONLINE:
            events.append((arrival, "submit", clerk, None, S.SUBMITTED, None, desk, (0, P.handover_due(arrival)),
                           None, NULL, NULL))
            x = r()
            delay = 600 + int(r() * r() * 2 * D)  # mostly checked within the working day
            if ws > self.now_ws - 2 * D and x < 0.5:  # not checked yet
                status = S.SUBMITTED
            elif x < 0.02:
                refused = P.from_ws(P.to_ws(arrival) + delay)
                status = S.SUBMITTED if refused > now else S.NOT_ACCEPTED
            else:
                received = P.from_ws(P.to_ws(arrival) + delay)
                if received > now:
                    status, received = S.SUBMITTED, arrival
                else:
                    events.append((received, "accept", clerk, S.SUBMITTED, S.RECEIVED, None, desk, None, None, NULL,
                                   NULL))
        plan = P.plan_intake(proc, received, channel)
        start, due, handover_due = plan.clock_started_at, plan.due_at, plan.handover_due_at
        if channel is not Channel.ONLINE:
            events.append((arrival, "intake", clerk, None, S.RECEIVED, None, desk, (0, handover_due), None, NULL,
                           NULL))
        route = proc.route
        route_dues = P.step_dues(proc, proc.shares_from_last, due, channel)[::-1]
        # Steps: [started, due, finished, result, given by, handed by]; the desk's first.
        steps = [[received, handover_due, None, None, None, None]]
        steps += [[None, d, None, None, None, None] for d in route_dues]
        current = 0
        current_agency = desk
        original_due = apology_reason = paused_at = supplement_due = payment = None
        finished = finish_state = returned = None
        supplement_count = 0

        if status is S.NOT_ACCEPTED:
            steps[0][2], steps[0][3], steps[0][5] = refused, P.judge(refused, handover_due), clerk
            finished = refused
            finish_state = P.finish_state(S.SUBMITTED, None, 0, refused, due)
            events.append((refused, "refuse", clerk, S.SUBMITTED, S.NOT_ACCEPTED, None, None, None, None, REFUSAL,
                           NULL))
        elif status is None:
            start_ws, due_ws, received_ws = P.to_ws(start), P.to_ws(due), P.to_ws(received)
            limit_ws = max(due_ws - start_ws, 3600)
            outcome = r()
            if outcome < 0.70:
                factor = 0.25 + 0.65 * r()
            elif outcome < 0.88:
                factor = 0.9 + 0.1 * r()
            else:
                factor = 1.02 + 0.68 * r()
            supplement = r() < 0.12
            wait = (1 + int(r() * (ctx.reply_days + 2))) * D  # now and then later than the citizen's time
            stop = r() < 0.03
            withdraw = r() < 0.015
            apology = factor > 1.0 and r() < 0.35
            forwarded_ws = max(received_ws + 600 + int(r() * 3 * 3600), start_ws)
            if received_ws > self.now_ws - D and r() < 0.5:
                forwarded_ws = self.now_ws + 3600  # not handed over yet
            forwarded = P.from_ws(forwarded_ws)
            if forwarded > now:
                status = S.RECEIVED
            else:
                # The desk hands the dossier to the first agency of the route.
                desk_step, first = steps[0], steps[1]
                desk_step[2], desk_step[3], desk_step[5] = forwarded, P.judge(forwarded, handover_due), clerk
                first[0], first[4] = forwarded, clerk
                events.append((forwarded, "forward", clerk, S.RECEIVED, S.PROCESSING, desk, route[0][0],
                               (1, first[1]), desk_step[3], NULL, NULL))
                current, current_agency = 1, route[0][0]
                anchor_ws = forwarded_ws
                if supplement:
                    anchor_ws, status, supplement_count, supplement_due, start, due, paused_at = self._supplement(
                        proc, channel, steps, events, start, due, forwarded, forwarded_ws, wait)
                    due_ws = P.to_ws(due)
                if status is None:
                    finish_ws = max(due_ws - limit_ws + int(limit_ws * factor), anchor_ws + 600)
                    if withdraw:
                        finish_ws = min(finish_ws, anchor_ws + (1 + int(r() * 5)) * D)
                    # Each step takes a random share of the time from hand-over (or the papers' return) to the end.
                    weights = [share * (0.5 + r()) for _a, share, _t in route]
                    whole = sum(weights) or 1.0
                    bounds, acc = [forwarded_ws], 0.0
                    for w in weights[:-1]:
                        acc += w
                        bounds.append(max(anchor_ws + int((finish_ws - anchor_ws) * acc / whole), bounds[-1]))
                    bounds.append(finish_ws)
                    moments = [forwarded] + [P.from_ws(b) for b in bounds[1:]]
                    for i in range(1, len(route)):  # each agency hands over to the next; the step closes
                        begin = moments[i]
                        if begin > now:
                            break
                        step, prev = steps[i + 1], steps[i]
                        giver = specialists.get(route[i - 1][0])
                        step[0], step[4] = begin, giver
                        prev[2], prev[3], prev[5] = begin, P.judge(begin, prev[1]), giver
                        events.append((begin, "forward", giver, S.PROCESSING, S.PROCESSING, current_agency,
                                       route[i][0], (i + 1, step[1]), prev[3], NULL, NULL))
                        current, current_agency = i + 1, route[i][0]
                    if apology:
                        apologized = P.from_ws(due_ws - 2 * D)
                        if P.to_ws(apologized) >= anchor_ws and apologized <= now and apologized < moments[-1]:
                            new_due = self._apology(proc, due, apologized)
                            if new_due is not None:
                                holder = current_agency
                                for i in range(len(route), 0, -1):
                                    if steps[i][0] is not None and steps[i][0] <= apologized:
                                        holder = route[i - 1][0]
                                        break
                                original_due, due, apology_reason = due, new_due, APOLOGY_REASON
                                data = _text(json.dumps({"original_due_at": _dt(original_due).isoformat(),
                                                         "new_due_at": _dt(new_due).isoformat()}))
                                events.append((apologized, "apologize", specialists.get(holder), S.PROCESSING,
                                               S.PROCESSING, holder, None, None, None, APOLOGY_REASON, data))
                    finish = moments[-1]
                    if finish <= now:
                        last = steps[current]
                        actor = specialists.get(current_agency)
                        last[2], last[3], last[5] = finish, P.judge(finish, last[1]), actor
                        finished = finish
                        finish_state = P.finish_state(S.PROCESSING, original_due, supplement_count, finish, due)
                        if withdraw:
                            status = S.WITHDRAWN
                            events.append((finish, "withdraw", clerk, S.PROCESSING, S.WITHDRAWN, current_agency,
                                           None, None, None, WITHDRAWAL, NULL))
                        else:
                            action, status = ("stop", S.STOPPED) if stop else ("complete", S.RESULT_READY)
                            events.append((finish, action, actor, S.PROCESSING, status, current_agency, desk,
                                           (current, last[1]), last[3], STOP_REASON if stop else NULL, NULL))
                            current_agency = desk
                            if not stop:
                                back = finish + (1, 2, 20, 26, 50, 75)[int(r() * 6)] * 3600
                                if back <= now and r() < 0.93:
                                    returned, status = back, S.RETURNED
                                    events.append((back, "return", clerk, S.RESULT_READY, S.RETURNED, desk, None,
                                                   None, None, f"Người nhận: {name}", NULL))
                    else:
                        status = S.PROCESSING
                        if r() < 0.25:  # asked for fees: the clock is held until they are paid
                            asked = max(max(e[0] for e in events) + 60, now - 2 * 86400)
                            if asked < now:
                                status, paused_at = S.AWAITING_PAYMENT, asked
                                payment = proc.fee or 50000
                                events.append((asked, "request_payment", specialists.get(current_agency),
                                               S.PROCESSING, S.AWAITING_PAYMENT, current_agency, None, None, None,
                                               f"Số tiền: {payment:,} đồng".replace(",", "."),
                                               _text(json.dumps({"amount": payment}))))

        self._rows(did, proc, channel, status, steps, current, current_agency, events, arrival, received,
                   start, handover_due, due, original_due, apology_reason, paused_at, supplement_count,
                   supplement_due, payment, finished, finish_state, returned, name, folded,
                   f"{identifier}-{yymmdd}-{number:04d}", f"{folded_identifier}-{yymmdd}-{number:04d}")

    def _supplement(self, proc, channel, steps, events, start, due, forwarded, forwarded_ws, wait):
        """Papers asked for in the first route step, within the province's window and before the appointment;
        they come back (the clock paused or restarted, as the procedure says) or are still awaited."""
        ctx, P, r = self.ctx, self.ctx.planner, self.rng.random
        latest = min(forwarded_ws + ctx.window_days * P.day_seconds, P.to_ws(due) - 60)
        nothing = (forwarded_ws, None, 0, None, start, due, None)
        if latest <= forwarded_ws + 600:
            return nothing
        asked_ws = forwarded_ws + 600 + int(r() * (latest - forwarded_ws - 600))
        asked = P.from_ws(asked_ws)
        if asked > ctx.now or not P.supplement_allowed(due, 0, forwarded, asked, max_requests=ctx.max_requests,
                                                        window_days=ctx.window_days):
            return nothing
        first_agency = proc.route[0][0]
        events.append((asked, "request_supplement", ctx.specialists.get(first_agency), S.PROCESSING,
                       S.SUPPLEMENT_REQUESTED, first_agency, None, None, None, SUPPLEMENT_REASON, SUPPLEMENT_DATA))
        reply_due = P.add_working_days(asked, ctx.reply_days)
        back_ws = asked_ws + wait
        back = P.from_ws(back_ws)
        if back > ctx.now:
            return asked_ws, S.SUPPLEMENT_REQUESTED, 1, reply_due, start, due, asked
        if proc.clock_on_supplement == "pause":
            due, dues, waited = P.shift_after_pause(due, [s[1] for s in steps[1:]], asked, back)
        else:
            start, due, dues = P.restart(proc, proc.shares_from_last, back, channel)
            dues, waited = dues[::-1], None
        for step, step_due in zip(steps[1:], dues, strict=True):
            step[1] = step_due
        note = _text(deadlines.resume_note(ctx.cal, _Paper(due_at=_dt(due)), waited))
        events.append((back, "supplement_received", ctx.clerks.get(proc.receiving_agency_id),
                       S.SUPPLEMENT_REQUESTED, S.PROCESSING, None, first_agency, (1, steps[1][1]), None, note, NULL))
        return back_ws, None, 1, reply_due, start, due, None

    def _apology(self, proc, due: int, at: int) -> int | None:
        """A new appointment a few working days later, when the apology is allowed then (else None)."""
        cal = self.ctx.cal
        paper = _Paper(procedure=proc, due_at=_dt(due), original_due_at=None)
        new_due = cal.add_working_days(paper.due_at, 3 + int(self.rng.random() * 8))
        try:
            deadlines.check_apology_allowed(cal, paper, _dt(at))
            deadlines.check_new_appointment(cal, paper, _dt(at), new_due)
        except (Conflict, ValidationError):
            return None
        return _epoch(new_due)

    def _rows(self, did, proc, channel, status, steps, current, current_agency, events, arrival, received,
              start, handover_due, due, original_due, apology_reason, paused_at, supplement_count, supplement_due,
              payment, finished, finish_state, returned, name, folded, code, folded_code) -> None:
        ctx, stamp, r, out = self.ctx, self.stamp, self.rng.random, self.out.rows
        desk = proc.receiving_agency_id
        clerk = ctx.clerks.get(desk)
        first_step = self.step_id
        self.step_id += len(steps)
        if self.step_id > self.step_limit:
            raise RuntimeError("onestop generate: step ids overflow their block")
        rows = out["dossier_steps"]
        route = proc.route
        for i, (started, step_due, done, result, given, handed) in enumerate(steps):
            if i == 0:
                rows.append((first_step, did, 0, desk, "desk", DESK_TASK, 0, stamp(started), stamp(step_due),
                             stamp(done), result or NULL, NULL, clerk or NULL, handed or NULL))
            else:
                agency_id, share, task = route[i - 1]
                rows.append((first_step + i, did, i * 10, agency_id, "route", task, share, stamp(started),
                             stamp(step_due), stamp(done), result or NULL, given or NULL, NULL, handed or NULL))
        events.sort(key=lambda e: e[0])
        rows = out["dossier_events"]
        for at, action, actor, status_from, status_to, from_agency, to_agency, step, result, note, data in events:
            step_id, step_due = (NULL, NULL) if step is None else (first_step + step[0], stamp(step[1]))
            rows.append((self.event_id, did, action, stamp(at), actor or NULL, status_from or NULL, status_to,
                         from_agency or NULL, to_agency or NULL, step_id, step_due, result or NULL, note, data))
            self.event_id += 1
        if self.event_id > self.event_limit:
            raise RuntimeError("onestop generate: event ids overflow their block")
        digitised = channel is Channel.ONLINE or r() < 0.8
        electronic = finished is not None and r() < 0.6
        key = "".join([KEY_ALPHABET[int(r() * 31)] for _ in range(8)])
        out["dossiers"].append((
            did, code, key, proc.id, desk, current_agency, first_step + current, status, channel, name,
            f"{int(r() * 96) + 1:03d}{int(r() * 1e9):09d}", f"09{int(r() * 1e8):08d}",
            f"Số {int(r() * 300) + 1} đường {STREETS[int(r() * 6)]}", f"{folded_code} {folded}", proc.fee,
            stamp(received), stamp(start), stamp(handover_due), stamp(due), stamp(original_due),
            apology_reason or NULL, stamp(paused_at), supplement_count, stamp(supplement_due),
            NULL if payment is None else payment, stamp(finished), finish_state or NULL, stamp(returned),
            name if returned else NULL, "t" if digitised else "f", "t" if electronic else "f", clerk or NULL,
            stamp(arrival), stamp(events[-1][0]), len(events),
        ))
        if returned is not None and r() < 0.45:
            bad = 0.25 if finish_state is DeadlineState.LATE else 0.04
            x = r()
            rating = Rating.VERY_SATISFIED if x < 0.6 - bad else Rating.SATISFIED if x < 1 - bad else \
                Rating.NOT_SATISFIED
            out["feedback"].append((self.feedback_id, did, rating, COMMENT if rating is Rating.VERY_SATISFIED else NULL,
                                    stamp(min(returned + (1 + int(r() * 48)) * 3600, ctx.now))))
            self.feedback_id += 1


# -- writing ---------------------------------------------------------------------------

_worker: Builder | None = None


def _start_worker(app, ctx: Context) -> None:
    """In a worker process: leave the parent's connections alone and use an app context of its own."""
    global _worker
    db.engine.dispose(close=False)
    app.app_context().push()
    _worker = Builder(ctx)


def _build_copy_text(k: int) -> tuple[int, dict, dict]:
    batch = _worker.batch(k)
    layouts = _worker.ctx.layouts
    return len(batch.rows["dossiers"]), {name: (len(rows), layouts[name].copy_text(rows))
                                         for name, rows in batch.rows.items()}, batch.sequences


def _skip_fk_triggers(conn) -> bool:
    """Rows built here are consistent by construction: spare PostgreSQL the per-row foreign-key checks.

    Needs a role allowed to set session_replication_role; False when it is not.
    """
    try:
        with conn.begin_nested():
            conn.execute(sa.text("SET LOCAL session_replication_role = replica"))
    except sa.exc.DBAPIError:
        return False
    return True


def _table_list() -> str:
    return ", ".join(f"'{t.name}'::regclass" for t in TABLES)


def _drop_foreign_keys(conn) -> list[tuple[str, str, str]]:
    """Drop the loaded tables' foreign keys (a dossier points at its current step before the step exists)."""
    keys = conn.execute(sa.text(
        "SELECT conrelid::regclass::text, quote_ident(conname), pg_get_constraintdef(oid) FROM pg_constraint "
        f"WHERE contype = 'f' AND conrelid IN ({_table_list()}) ORDER BY conrelid, conname")).all()
    for table, name, _definition in keys:
        conn.execute(sa.text(f"ALTER TABLE {table} DROP CONSTRAINT {name}"))
    return [tuple(k) for k in keys]


def _drop_indexes(conn) -> list[str]:
    """Drop the loaded tables' secondary indexes (not those behind a constraint); their definitions."""
    rows = conn.execute(sa.text(
        "SELECT i.indexrelid::regclass::text, pg_get_indexdef(i.indexrelid) FROM pg_index i "
        f"WHERE i.indrelid IN ({_table_list()}) "
        "AND NOT EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conindid = i.indexrelid) "
        "ORDER BY i.indrelid, 1")).all()
    for name, _definition in rows:
        conn.execute(sa.text(f"DROP INDEX {name}"))
    return [rebuildable(definition) for _name, definition in rows]


def rebuildable(definition: str) -> str:
    """An index definition from pg_get_indexdef as it must be run again after the load.

    A partitioned table's index (the yearly history, issue 22) reads back as `CREATE INDEX ... ON ONLY t`,
    which makes an INVALID index on the parent alone, with none on the partitions, and the history's
    per-dossier reads then scan every partition; without ONLY it is built on every partition.
    """
    return definition.replace(" ON ONLY ", " ON ", 1)


class _Postgres:
    """COPY into one transaction; around a large load, indexes rebuilt and keys checked once at the end."""

    def __init__(self, conn, layouts: dict, rebuild: bool):
        self.conn, self.layouts = conn, layouts
        # Intakes during the load wait for it: their numbers come after the generated ones.
        conn.execute(sa.text(f"LOCK TABLE {CodeSequence.__tablename__} IN EXCLUSIVE MODE"))
        conn.execute(sa.text("SET LOCAL maintenance_work_mem = '256MB'"))
        self.keys = [] if _skip_fk_triggers(conn) else _drop_foreign_keys(conn)
        self.indexes = _drop_indexes(conn) if rebuild else []
        self.raw = conn.connection.dbapi_connection

    def write(self, texts: dict) -> None:
        with self.raw.cursor() as cur:
            for table in TABLES:
                _count, data = texts[table.name]
                if data:
                    columns = ", ".join(self.layouts[table.name].columns)
                    with cur.copy(f"COPY {table.name} ({columns}) FROM STDIN") as copy:
                        copy.write(data)

    def finish(self) -> None:
        conn = self.conn
        for definition in self.indexes:
            conn.execute(sa.text(definition))
        for table, name, definition in self.keys:
            conn.execute(sa.text(f"ALTER TABLE {table} ADD CONSTRAINT {name} {definition}"))
        for table in TABLES:
            conn.execute(sa.text(f"SELECT setval(pg_get_serial_sequence('{table.name}', 'id'), "
                                 f"(SELECT coalesce(max(id), 1) FROM {table.name}))"))
            conn.execute(sa.text(f"ANALYZE {table.name}"))


class _Inserts:
    """Core inserts (SQLite): foreign keys checked at commit, since a dossier names its step before it."""

    def __init__(self, conn, layouts: dict):
        self.conn, self.layouts = conn, layouts
        if conn.dialect.name == "sqlite":
            conn.exec_driver_sql("PRAGMA defer_foreign_keys = ON")

    def write(self, texts: dict) -> None:
        for table in TABLES:
            _count, rows = texts[table.name]
            if rows:
                self.conn.execute(table.insert(), self.layouts[table.name].values(rows))

    def finish(self) -> None:
        pass


def _save_sequences(sequences: dict, conn) -> None:
    """Write back the last number given per unit and day (never lowering one taken meanwhile)."""
    if not sequences:
        return
    if conn.dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
        highest = sa.func.greatest
    else:
        from sqlalchemy.dialects.sqlite import insert
        highest = sa.func.max
    table = CodeSequence.__table__
    rows = [{"agency_id": a, "day": d, "last_value": v} for (a, d), v in sorted(sequences.items())]
    for i in range(0, len(rows), 2000):
        stmt = insert(table).values(rows[i:i + 2000])
        conn.execute(stmt.on_conflict_do_update(
            index_elements=["agency_id", "day"],
            set_={"last_value": highest(stmt.excluded.last_value, table.c.last_value)}))


def default_workers(n: int, batch: int, dialect: str) -> int:
    """Processes building batches: both cores on PostgreSQL for more than a couple of batches, else one."""
    if dialect != "postgresql" or n <= 2 * batch:
        return 1
    return max(1, min(2, os.cpu_count() or 1))


def generate(n: int, seed: int = 1, now: datetime | None = None, progress=None, *, workers: int | None = None,
             batch: int = BATCH, rebuild_indexes: bool | None = None) -> dict:
    """Add n dossiers received over the last two years; loads the demo province if it is missing.

    `progress(count)` is called after each batch is written; everything is committed once, at the end.
    `workers` processes build batches (default: see `default_workers`); `rebuild_indexes` (PostgreSQL)
    drops the secondary indexes during the load, by default for a load of BULK_MIN or more that is at
    least half the table.
    """
    if n < 1:
        raise ValueError("n must be positive")
    demo.load()
    db.session.commit()
    if now is None:  # anchored to today's start, so a seed gives the same data all day
        today = datetime.now(zone()).date()
        now = datetime.combine(today, time(), tzinfo=zone()).astimezone(UTC)
    ctx = Context(n, seed, now, batch)
    conn = db.session.connection()
    dialect = conn.dialect.name
    if workers is None:
        workers = default_workers(n, batch, dialect)
    if dialect == "postgresql":
        _yearly_partitions(conn, now)
        if rebuild_indexes is None:
            have = conn.execute(sa.select(sa.func.count()).select_from(Dossier)).scalar()
            rebuild_indexes = n >= BULK_MIN and 2 * n >= have
        writer = _Postgres(conn, ctx.layouts, rebuild_indexes)
    else:
        writer = _Inserts(conn, ctx.layouts)
    counts = dict.fromkeys(("dossiers", "steps", "events", "feedback"), 0)
    names = dict(zip(FIELDS, counts, strict=True))
    sequences: dict = {}

    def write(result) -> None:
        dossiers, texts, batch_sequences = result
        writer.write(texts)
        for table, (count, _data) in texts.items():
            counts[names[table]] += count
        sequences.update(batch_sequences)
        if progress:
            progress(dossiers)

    chunks = range(len(ctx.chunks))
    if workers <= 1:
        builder = Builder(ctx)
        for k in chunks:
            built = builder.batch(k)
            if dialect == "postgresql":
                texts = {name: (len(rows), ctx.layouts[name].copy_text(rows)) for name, rows in built.rows.items()}
            else:
                texts = {name: (len(rows), rows) for name, rows in built.rows.items()}
            write((len(built.rows["dossiers"]), texts, built.sequences))
    else:
        _parallel(ctx, chunks, workers, dialect, write)
    writer.finish()
    _save_sequences(sequences, conn)
    db.session.commit()
    if dialect == "postgresql" and rebuild_indexes:
        _vacuum(("dossiers", "dossier_steps"))
    # The rows were copied in bulk, past the flush listener that keeps Decision 766's facts: count them again.
    from ..reports import facts766

    facts766.rebuild()
    db.session.commit()
    return counts


def _yearly_partitions(conn, now: datetime) -> None:
    """The yearly partitions of the history for every year the data spans (issue 22), before the COPY: the
    rows of past years land in their own partition, not in DEFAULT (`ensure_ahead` only makes this year's
    and the coming ones)."""
    from .. import partitions

    table = DossierEvent.__tablename__
    if not partitions.is_partitioned(conn, table):
        return
    for year in range((now - timedelta(days=DAYS_BACK + 40)).year, now.year + 1):
        partitions.create_year(conn, table, year)


def _vacuum(tables) -> None:
    """VACUUM ANALYZE after a large load (outside any transaction): it sets the visibility map that
    autovacuum would set later, so the index-only scans of the register number and the sweep's partial
    indexes read no heap (issue 18), as they do on a database that has been running a while."""
    with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        for table in tables:
            conn.execute(sa.text(f"VACUUM (ANALYZE) {table}"))


def _parallel(ctx: Context, chunks, workers: int, dialect: str, write) -> None:
    """Worker processes build batches, this one writes them in order; at most one waiting per worker."""
    app = current_app._get_current_object()
    pool = multiprocessing.get_context("fork").Pool(workers, initializer=_start_worker, initargs=(app, ctx))
    try:
        pending: deque = deque()
        for k in chunks:
            pending.append(pool.apply_async(_build_copy_text if dialect == "postgresql" else _build_rows, (k,)))
            if len(pending) > workers:
                write(pending.popleft().get())
        while pending:
            write(pending.popleft().get())
        pool.close()
    finally:
        pool.terminate()
        pool.join()


def _build_rows(k: int) -> tuple[int, dict, dict]:
    batch = _worker.batch(k)
    return len(batch.rows["dossiers"]), {name: (len(rows), rows) for name, rows in batch.rows.items()}, \
        batch.sequences
