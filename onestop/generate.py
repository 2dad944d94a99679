"""Synthetic dossiers in bulk, for demos and benchmarks (`onestop generate`).

Rows are built in Python from a seeded generator and written in batches: COPY
on PostgreSQL (psycopg's `cursor.copy`), Core `insert()` executemany elsewhere.
Deadlines use the WorkCalendar's working-seconds arithmetic (one addition and a
bisect per moment), never a per-row holiday lookup. Codes follow CodeSequence:
numbers continue after those already given, and the final value per unit and day
is written back, so later intakes never collide.

The same seed on the same database state and the same day gives the same rows.
"""
from __future__ import annotations

import random
from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

import sqlalchemy as sa

from . import deadlines, demo
from .calendar import WorkCalendar, get_calendar
from .codes import KEY_ALPHABET, format_code
from .extensions import db
from .models import (
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
from .text import fold
from .timeutil import zone

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


@dataclass
class Proc:
    id: int
    code: str
    receiving_agency_id: int
    limit_ws: int
    same_day: bool
    pause: bool
    fee: int
    route: list  # [(agency_id, share_ws, task)]
    unit: int


@dataclass
class Tables:
    dossiers: list
    steps: list
    events: list
    feedback: list
    current: list  # (dossier id, current step id)


def _procedures(cal: WorkCalendar) -> list[Proc]:
    out = []
    for p in db.session.execute(sa.select(Procedure).where(Procedure.active.is_(True))).scalars():
        unit = 3600 if p.time_unit == "working_hours" else cal.day_seconds
        route = [(s.agency_id, s.time * unit, s.task) for s in
                 db.session.execute(sa.select(RouteStep).filter_by(procedure_id=p.id).order_by(RouteStep.position))
                 .scalars()]
        if not route:
            route = [(p.receiving_agency_id, p.time_limit * unit, None)]
        out.append(Proc(p.id, p.code, p.receiving_agency_id, p.time_limit * unit, p.same_day,
                        p.clock_on_supplement == "pause", p.fee, route, unit))
    return out


def _staff() -> tuple[dict, dict]:
    """A clerk per agency (receiving desks) and a specialist per agency (steps)."""
    clerks, specialists = {}, {}
    for u in db.session.execute(sa.select(User).order_by(User.id)).scalars():
        if u.role == "clerk":
            clerks.setdefault(u.agency_id, u.id)
        elif u.role in ("specialist", "leader"):
            specialists.setdefault(u.agency_id, u.id)
    return clerks, specialists


def _next_ids() -> dict:
    return {name: (db.session.execute(sa.select(sa.func.max(model.id))).scalar() or 0) + 1
            for name, model in (("dossier", Dossier), ("step", DossierStep), ("event", DossierEvent),
                                ("feedback", Feedback))}


def _judge(cal: WorkCalendar, finished: datetime, due: datetime | None) -> str:
    if due is None:
        return "on_time"
    if finished > due:
        return "late"
    tz = cal.tz
    return "early" if finished.astimezone(tz).date() < due.astimezone(tz).date() else "on_time"


class Generator:
    """Builds dossiers with steps, events and ratings, deterministic for a seed."""

    def __init__(self, cal: WorkCalendar, seed: int, now: datetime):
        self.cal, self.rng, self.now = cal, random.Random(seed), now
        self.procs = _procedures(cal)
        self.clerks, self.specialists = _staff()
        self.ids = _next_ids()
        # Numbers already given (by intakes or an earlier run) continue, never restart.
        self.sequences: dict[tuple[int, date], int] = {
            (r.agency_id, r.day): r.last_value for r in db.session.execute(
                sa.select(CodeSequence.agency_id, CodeSequence.day, CodeSequence.last_value)
                .where(CodeSequence.day >= (now - timedelta(days=DAYS_BACK + 2)).date()))
        }
        self.identifiers = dict(db.session.execute(sa.text("SELECT id, identifier FROM agencies")).all())
        self.proc_weights = [WEIGHTS.get(p.code, 5) for p in self.procs]
        self.now_ws = cal.to_ws(now)
        self.folded: dict[str, str] = {}

    def received_moments(self, n: int) -> list[int]:
        """Working-second moments of reception over the last two years, in order."""
        start = self.cal.to_ws(self.now - timedelta(days=DAYS_BACK))
        rng = self.rng
        recent = self.now_ws - 3 * self.cal.day_seconds  # today's work: a few dossiers still at the desk
        return sorted(rng.randint(recent if rng.random() < 0.02 else start, self.now_ws - 1) for _ in range(n))

    def _number(self, agency_id: int, day: date) -> int:
        key = (agency_id, day)
        value = self.sequences.get(key, 0) + 1
        self.sequences[key] = value
        return value

    def _new_id(self, kind: str) -> int:
        value = self.ids[kind]
        self.ids[kind] = value + 1
        return value

    def batch(self, moments: list[int]) -> Tables:
        out = Tables([], [], [], [], [])
        for ws in moments:
            self._one(ws, out)
        return out

    def _one(self, received_ws: int, out: Tables) -> None:  # noqa: C901 - one dossier's whole story
        cal, rng, now = self.cal, self.rng, self.now
        proc = rng.choices(self.procs, self.proc_weights)[0]
        channel = rng.choices(("counter", "online", "postal"), (55, 35, 10))[0]
        received = cal.from_ws(received_ws, prefer_end=False) + timedelta(seconds=rng.randint(0, 59))
        if channel == "online" and rng.random() < 0.2:  # online dossiers arrive at any hour
            received = received + timedelta(hours=rng.choice((5, 7, 13)))
            received = min(received, now - timedelta(minutes=5))
        day = received.astimezone(cal.tz).date()
        code = format_code(self.identifiers[proc.receiving_agency_id], day,
                           self._number(proc.receiving_agency_id, day))
        did = self._new_id("dossier")
        clerk = self.clerks.get(proc.receiving_agency_id)
        start = cal.next_working_moment(received)
        start_ws = cal.to_ws(start)
        due = deadlines.same_day_due(cal, start) if proc.same_day else cal.from_ws(start_ws + proc.limit_ws)
        due_ws = cal.to_ws(due)
        limit_ws = max(due_ws - start_ws, 3600)
        handover_due = deadlines.handover_due(cal, received)
        name = f"{rng.choice(FAMILY)} {rng.choice(MIDDLE)} {rng.choice(GIVEN)}"
        folded = self.folded.get(name) or self.folded.setdefault(name, fold(name))

        # The story: outcome drawn first, then moments placed in working time.
        r = rng.random()
        status = None
        supplement_count, original_due, apology_reason, paused_at = 0, None, None, None
        if channel == "online" and received_ws > self.now_ws - 2 * cal.day_seconds and r < 0.4:
            status = "submitted"
        elif channel == "online" and r < 0.02:
            status = "not_accepted"
        events = []  # (action, at, actor, status_from, status_to, from_agency, to_agency, step, result, note)
        steps = []  # [id, seq, agency, kind, task, share, started, due, finished, result, given, received, handed]
        intake_action = "submit" if channel == "online" else "intake"
        events.append((intake_action, received, clerk, None, "submitted" if channel == "online" else "received",
                       None, proc.receiving_agency_id, None, None, None))
        if channel == "online" and status != "submitted":
            accepted = min(received + timedelta(hours=rng.randint(1, 20)), now)
            if status != "not_accepted":
                events.append(("accept", accepted, clerk, "submitted", "received", None,
                               proc.receiving_agency_id, None, None, None))
        desk_id = self._new_id("step")
        steps.append([desk_id, 0, proc.receiving_agency_id, "desk", "Tiếp nhận và chuyển hồ sơ", 0, received,
                      handover_due, None, None, None, clerk, None])
        route_dues = []
        ws = due_ws
        for _agency, share, _task in reversed(proc.route):
            route_dues.append(cal.from_ws(ws))
            ws -= share
        route_dues.reverse()
        finished_at = finish_state = returned_at = None
        current_step = desk_id
        current_agency = proc.receiving_agency_id

        if status in ("submitted", "not_accepted"):
            if status == "not_accepted":
                finished_at = min(received + timedelta(hours=rng.randint(1, 30)), now)
                finish_state = _judge(cal, finished_at, due)
                steps[0][8], steps[0][9], steps[0][12] = finished_at, "on_time", clerk
                events.append(("refuse", finished_at, clerk, "submitted", "not_accepted", None, None, desk_id,
                               "on_time", "Hồ sơ không thuộc thẩm quyền giải quyết"))
        else:
            # How long processing takes, as a share of the time limit.
            outcome = rng.random()
            if outcome < 0.70:
                factor = rng.uniform(0.25, 0.9)
            elif outcome < 0.88:
                factor = rng.uniform(0.9, 1.0)
            else:
                factor = rng.uniform(1.02, 1.7)
            wait = 0
            if rng.random() < 0.09:  # a supplement request
                supplement_count = 2 if rng.random() < 0.12 else 1
                wait = rng.randint(1, 6) * cal.day_seconds
            stop = rng.random() < 0.03
            withdraw = rng.random() < 0.015
            apology = factor > 1.0 and rng.random() < 0.35
            handover_ws = cal.to_ws(received) + rng.randint(600, 3 * 3600)
            if received_ws > self.now_ws - cal.day_seconds and rng.random() < 0.5:
                handover_ws = self.now_ws + 3600  # not handed over yet
            forwarded_ws = max(handover_ws, start_ws)
            finish_ws = start_ws + int(limit_ws * factor) + wait
            supp_ws = start_ws + int(limit_ws * 0.2)
            if wait and not proc.pause:  # Decree 61/2018: the clock restarts when the dossier is complete
                due_ws_new = supp_ws + wait + (due_ws - start_ws)
            else:
                due_ws_new = due_ws + wait
            if wait:
                due = cal.from_ws(due_ws_new)
                shift = due_ws_new - due_ws
                route_dues = [cal.add_seconds(d, shift) for d in route_dues]
                due_ws = due_ws_new
            if apology:
                original_due = due
                due = cal.from_ws(due_ws + rng.randint(3, 10) * cal.day_seconds)
                apology_reason = "Hồ sơ cần xác minh thêm tại thực địa"
            if withdraw:
                finish_ws = min(finish_ws, forwarded_ws + rng.randint(1, 5) * cal.day_seconds)
            # Step boundaries: each step takes a random share of the actual duration.
            weights = [share * rng.uniform(0.5, 1.5) for _a, share, _t in proc.route]
            total = sum(weights)
            bounds, acc = [forwarded_ws], forwarded_ws
            for w in weights:
                acc += int((finish_ws - forwarded_ws) * w / total)
                bounds.append(acc)
            bounds[-1] = finish_ws
            forwarded = cal.from_ws(forwarded_ws)
            if forwarded <= now:
                steps[0][8], steps[0][12] = forwarded, clerk
                steps[0][9] = _judge(cal, forwarded, handover_due)
            prev_agency = proc.receiving_agency_id
            for i, (agency_id, share, task) in enumerate(proc.route):
                s_start, s_end = cal.from_ws(bounds[i], prefer_end=False), cal.from_ws(bounds[i + 1])
                sid = self._new_id("step")
                actor = self.specialists.get(agency_id)
                row = [sid, (i + 1) * 10, agency_id, "route", task, share, None, route_dues[i], None, None,
                       None, None, None]
                steps.append(row)
                if s_start > now:
                    continue
                row[6], row[10] = s_start, actor if i else clerk
                prev_result = steps[-2][9]
                events.append(("forward", s_start, actor if i else clerk, "processing" if i else "received",
                               "processing", prev_agency, agency_id, sid, prev_result, None))
                current_step, current_agency = sid, agency_id
                if s_end <= now:
                    row[8], row[12] = s_end, actor
                    row[9] = _judge(cal, s_end, route_dues[i])
                prev_agency = agency_id
            supp_at = cal.from_ws(supp_ws)
            if wait and supp_at <= now and supp_at < cal.from_ws(finish_ws):
                events.append(("request_supplement", supp_at, self.specialists.get(proc.route[0][0]), "processing",
                               "supplement_requested", proc.route[0][0], None, None, None,
                               "Đề nghị bổ sung giấy tờ còn thiếu"))
                back = cal.from_ws(supp_ws + wait)
                if back <= now:
                    events.append(("supplement_received", back, clerk, "supplement_requested", "processing", None,
                                   current_agency, None, None, "Đã nhận hồ sơ bổ sung"))
                else:
                    paused_at = supp_at
                    status = "supplement_requested"
            if apology and original_due is not None:
                apologized = cal.add_seconds(original_due, -cal.day_seconds * 2)
                if apologized <= now:
                    events.append(("apologize", apologized, self.specialists.get(current_agency), None, None,
                                   current_agency, None, None, None, apology_reason))
                else:
                    due, original_due, apology_reason = original_due, None, None
            finish = cal.from_ws(finish_ws)
            if finish <= now and status is None:
                finished_at = finish
                last = steps[-1]
                if withdraw:
                    status, finish_state = "withdrawn", "late" if (original_due or supplement_count > 1) \
                        else _judge(cal, finish, due)
                    events.append(("withdraw", finish, clerk, "processing", "withdrawn", current_agency, None,
                                   None, None, "Công dân xin rút hồ sơ"))
                else:
                    finish_state = "late" if (original_due or supplement_count > 1) else _judge(cal, finish, due)
                    action = "stop" if stop else "complete"
                    status = "stopped" if stop else "result_ready"
                    events.append((action, finish, self.specialists.get(last[2]), "processing", status, last[2],
                                   proc.receiving_agency_id, last[0], last[9],
                                   "Không đủ điều kiện giải quyết" if stop else None))
                    current_agency = proc.receiving_agency_id
                    if not stop:
                        back = finish + timedelta(hours=rng.choice((1, 2, 20, 26, 50, 75)))
                        if back <= now and rng.random() < 0.93:
                            returned_at, status = back, "returned"
                            events.append(("return", back, clerk, "result_ready", "returned",
                                           proc.receiving_agency_id, None, None, None, f"Người nhận: {name}"))
            elif status is None:
                status = "processing" if forwarded <= now else "received"
                if status == "processing" and rng.random() < 0.25:
                    status, paused_at = "awaiting_payment", max(forwarded, now - timedelta(days=2))

        if status is None:
            status = "received"
        if status in ("submitted",):
            steps = steps[:1]
        out.current.append((did, current_step))
        digitised = channel == "online" or rng.random() < 0.8
        out.dossiers.append({
            "id": did, "code": code, "lookup_key": "".join(rng.choices(KEY_ALPHABET, k=8)),
            "procedure_id": proc.id, "receiving_agency_id": proc.receiving_agency_id,
            "current_agency_id": current_agency, "current_step_id": None, "assignee_id": None,
            "status": status, "channel": channel, "applicant_name": name,
            "applicant_id_number": f"{rng.randint(1, 96):03d}{rng.randint(0, 999999999):09d}",
            "applicant_phone": f"09{rng.randint(0, 99999999):08d}", "applicant_email": None,
            "applicant_address": f"Số {rng.randint(1, 300)} đường {rng.choice(STREETS)}",
            "applicant_tax_code": None, "search_text": f"{code.lower()} {folded}", "fee": proc.fee, "sets": 1,
            "note": None, "received_at": received, "clock_started_at": start, "handover_due_at": handover_due,
            "due_at": due, "original_due_at": original_due, "apology_reason": apology_reason,
            "paused_at": paused_at, "supplement_count": supplement_count, "payment_amount": None,
            "finished_at": finished_at, "finish_state": finish_state, "returned_at": returned_at,
            "collected_by": name if returned_at else None, "collected_id_number": None, "alert_level": 0,
            "digitised": digitised, "electronic_result": bool(finished_at) and rng.random() < 0.6,
            "created_by_id": clerk, "created_at": received, "updated_at": finished_at or received,
            "version": len(events),
        })
        for s in steps:
            out.steps.append({
                "id": s[0], "dossier_id": did, "seq": s[1], "agency_id": s[2], "kind": s[3], "task": s[4],
                "share": s[5] // proc.unit,
                "started_at": s[6], "due_at": s[7], "finished_at": s[8], "result": s[9], "given_by_id": s[10],
                "received_by_id": s[11], "handed_by_id": s[12], "note": None, "alert_level": 0,
            })
        for e in events:
            out.events.append({
                "id": self._new_id("event"), "dossier_id": did, "action": e[0], "at": e[1], "actor_id": e[2],
                "status_from": e[3], "status_to": e[4], "from_agency_id": e[5], "to_agency_id": e[6],
                "step_id": e[7], "step_due_at": None, "step_result": e[8], "note": e[9], "data": None,
            })
        if returned_at is not None and rng.random() < 0.45:
            bad = 0.25 if finish_state == "late" else 0.04
            rating = rng.choices(("very_satisfied", "satisfied", "not_satisfied"), (0.6 - bad, 0.4, bad))[0]
            out.feedback.append({
                "id": self._new_id("feedback"), "dossier_id": did, "rating": rating,
                "comment": "Cán bộ nhiệt tình" if rating == "very_satisfied" else None,
                "created_at": min(returned_at + timedelta(hours=rng.randint(1, 48)), now),
            })


# -- writing --------------------------------------------------------------

def _write(table: sa.Table, rows: list[dict], conn, postgres: bool) -> None:
    if not rows:
        return
    if not postgres:
        conn.execute(table.insert(), rows)
        return
    cols = list(rows[0])
    # Every moment built here is aware UTC; the columns hold naive UTC.
    stamps = [i for i, c in enumerate(cols) if isinstance(table.c[c].type, UTCDateTime)]
    raw = conn.connection.dbapi_connection
    with raw.cursor() as cur, cur.copy(f"COPY {table.name} ({', '.join(cols)}) FROM STDIN") as copy:
        for row in rows:
            values = list(row.values())
            for i in stamps:
                if values[i] is not None:
                    values[i] = values[i].replace(tzinfo=None)
            copy.write_row(values)


def _set_current_steps(pairs: list[tuple[int, int]], conn, postgres: bool) -> None:
    if postgres:
        raw = conn.connection.dbapi_connection
        with raw.cursor() as cur:
            cur.execute("UPDATE dossiers d SET current_step_id = u.sid FROM unnest(%s::bigint[], %s::bigint[]) "
                        "AS u(id, sid) WHERE d.id = u.id", ([p[0] for p in pairs], [p[1] for p in pairs]))
    else:
        conn.execute(sa.text("UPDATE dossiers SET current_step_id = :sid WHERE id = :id"),
                     [{"id": d, "sid": s} for d, s in pairs])


def _save_sequences(sequences: dict, conn, postgres: bool) -> None:
    if not sequences:
        return
    if postgres:
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    rows = [{"agency_id": a, "day": d, "last_value": v} for (a, d), v in sequences.items()]
    for i in range(0, len(rows), 2000):
        stmt = insert(CodeSequence.__table__).values(rows[i:i + 2000])
        stmt = stmt.on_conflict_do_update(
            index_elements=["agency_id", "day"],
            set_={"last_value": sa.func.max(stmt.excluded.last_value, CodeSequence.__table__.c.last_value)
                  if not postgres else sa.func.greatest(stmt.excluded.last_value,
                                                        CodeSequence.__table__.c.last_value)})
        conn.execute(stmt)


def _skip_fk_triggers(conn) -> None:
    """Rows generated here are consistent by construction: spare PostgreSQL the per-row foreign key checks.

    Needs a role allowed to set session_replication_role; without it the checks simply run.
    """
    try:
        with conn.begin_nested():
            conn.execute(sa.text("SET LOCAL session_replication_role = replica"))
    except sa.exc.DBAPIError:
        pass


def _reset_sequences(conn) -> None:
    for table in ("dossiers", "dossier_steps", "dossier_events", "feedback"):
        conn.execute(sa.text(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                             f"(SELECT coalesce(max(id), 1) FROM {table}))"))


def generate(n: int, seed: int = 1, now: datetime | None = None, progress=None) -> dict:
    """Add n dossiers received over the last two years; loads the demo province if it is missing.

    `progress(count)` is called after each batch. Commits once per batch.
    """
    if n < 1:
        raise ValueError("n must be positive")
    demo.load()
    db.session.commit()
    cal = get_calendar()
    if now is None:  # anchored to today's start, so a seed gives the same data all day
        today = datetime.now(zone()).date()
        now = datetime.combine(today, time(), tzinfo=zone()).astimezone(UTC)
    gen = Generator(cal, seed, now)
    moments = gen.received_moments(n)
    conn = db.session.connection()
    postgres = conn.dialect.name == "postgresql"
    counts = defaultdict(int)
    tables = {"dossiers": Dossier.__table__, "steps": DossierStep.__table__, "events": DossierEvent.__table__,
              "feedback": Feedback.__table__}
    for i in range(0, n, BATCH):
        out = gen.batch(moments[i:i + BATCH])
        conn = db.session.connection()
        if postgres:
            _skip_fk_triggers(conn)
        for name, table in tables.items():
            rows = getattr(out, name)
            _write(table, rows, conn, postgres)
            counts[name] += len(rows)
        _set_current_steps(out.current, conn, postgres)
        db.session.commit()
        if progress:
            progress(len(out.dossiers))
    conn = db.session.connection()
    _save_sequences(gen.sequences, conn, postgres)
    if postgres:
        _reset_sequences(conn)
        conn.execute(sa.text("ANALYZE dossiers"))
        conn.execute(sa.text("ANALYZE dossier_steps"))
    db.session.commit()
    return dict(counts)
