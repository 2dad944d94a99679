"""Decision 766's kept facts (onestop/reports/facts766.py) give the very figures the dossiers' rows give.

The dashboard and the API read per-day counts instead of every dossier; a leader must never see a
different score because of it. Each test counts the same periods and scopes both ways and compares
every bucket (procedure × receiving desk), so the rankings, the trend and the drill-down counts agree too.
"""
from __future__ import annotations

from datetime import date, timedelta

import pytest
import sqlalchemy as sa
from click.testing import CliRunner
from factories import receive

from onestop.agencies import subtree_ids
from onestop.devdata import generate
from onestop.extensions import db
from onestop.marks766 import local_day
from onestop.models import (
    Agency,
    Dossier,
    Feedback,
    Pakn,
    PortalSync,
    score766_days,
    score766_dirty,
    score766_ledger,
    score766_open,
)
from onestop.reports import facts766, score766
from onestop.reports.period import Period, Scope
from onestop.status import Channel, DossierStatus, Rating, SyncState
from onestop.timeutil import now as utcnow


def _month(d: date) -> Period:
    nxt = date(d.year + (d.month == 12), d.month % 12 + 1, 1)
    return Period("month", d.replace(day=1), nxt - timedelta(days=1))


def _periods(today: date) -> list[Period]:
    this_month = today.replace(day=1)
    months, m = [], this_month
    for _ in range(14):
        months.append(_month(m))
        m = (m - timedelta(days=1)).replace(day=1)
    q = (today.month - 1) // 3
    quarter_first = date(today.year, 3 * q + 1, 1)
    return [
        *months,
        Period("year", date(today.year, 1, 1), date(today.year, 12, 31)),
        Period("year", date(today.year - 1, 1, 1), date(today.year - 1, 12, 31)),
        Period("quarter", quarter_first, _month(date(today.year, 3 * q + 3, 1)).last),
        Period("custom", today - timedelta(days=45), today - timedelta(days=3)),  # ends on a closed day
        Period("custom", today - timedelta(days=100), today),  # ends today
        Period("custom", today - timedelta(days=400), today - timedelta(days=380)),
    ]


def _scopes() -> list[Scope]:
    agencies = list(db.session.execute(sa.select(Agency).order_by(Agency.identifier)).scalars())
    department = next(a for a in agencies if a.kind == "department")
    commune = next(a for a in agencies if a.kind in ("commune", "commune_center"))
    return [Scope(None), Scope(department, subtree_ids(department.id)), Scope(commune, subtree_ids(commune.id))]


def _buckets(fx: score766.Facts) -> list:
    return sorted((pid, desk, sorted(c.items())) for pid, desk, c in fx.buckets if any(c.values()))


def _assert_same(periods, scopes, now):
    for scope in scopes:
        for period in periods:
            kept = score766.facts(period, scope, as_of=now)
            raw = score766.counted_from_dossiers(period, scope, as_of=now)
            assert _buckets(kept) == _buckets(raw), (period, scope.identifier)
            assert kept.score().points == raw.score().points


@pytest.fixture
def province(app):
    """Two years of generated dossiers with ratings, PAKN and syncs on old ones; every past day closed."""
    generate.generate(1200, seed=21)
    old = list(db.session.execute(
        sa.select(Dossier).where(Dossier.status == DossierStatus.RETURNED,
                                 Dossier.id.not_in(sa.select(Feedback.dossier_id)))
        .order_by(Dossier.id).limit(40)).scalars())
    for d in old[:10]:
        db.session.add(Feedback(dossier_id=d.id, rating=Rating.NOT_SATISFIED, created_at=d.finished_at))
    for d in old[10:15]:
        db.session.add(Pakn(code=f"PK-{d.id}", kind="complaint", agency_id=d.receiving_agency_id, dossier_id=d.id,
                            content="Hồ sơ bị trả chậm.", key="K766TEST", due_at=d.finished_at + timedelta(days=10),
                            created_at=d.finished_at))
    for d in old[15:25]:
        db.session.add(PortalSync(dossier_id=d.id, service="DongBoHoSoMC", payload="{}", state=SyncState.SENT,
                                  created_at=d.finished_at))
    for d in old[25:32]:
        d.paid_online, d.fee = True, 50000
    db.session.commit()
    now = utcnow()
    facts766.keep_up(now)
    db.session.commit()
    return {"now": now, "old": old}


def test_kept_facts_give_the_dossiers_figures_for_every_period_and_scope(province):
    now = province["now"]
    today = local_day(now)
    closed = db.session.execute(sa.select(sa.func.count()).select_from(score766_ledger)).scalar()
    assert closed == (today - facts766.first_day()).days  # every day before today, once
    assert db.session.execute(sa.select(sa.func.count()).select_from(score766_days)).scalar() > 0
    _assert_same(_periods(today), _scopes(), now)
    # The year is read from the months and today's dossiers only: no closed day is counted from the dossiers.
    year = Period("year", date(today.year, 1, 1), date(today.year, 12, 31))
    clean = set(db.session.execute(sa.select(score766_ledger.c.day)).scalars())
    months, days, live = facts766._plan(year, clean)
    assert all(d >= today for d in live) and len(months) == today.month - 1


def test_trend_months_match_each_month_counted_alone(province):
    now = province["now"]
    today = local_day(now)
    year = Period("year", date(today.year, 1, 1), date(today.year, 12, 31))
    for point in score766.trend(year, Scope(None), as_of=now):
        raw = score766.counted_from_dossiers(point["period"], Scope(None), as_of=now).score()
        assert point["score"].counts == raw.counts
        assert point["total"] == raw.points


def test_changes_to_closed_days_are_marked_then_counted_again(province):
    now = province["now"]
    today = local_day(now)
    old = province["old"]
    before = score766.facts(_month(local_day(old[35].finished_at)), Scope(None)).score().counts["fin_not_satisfied"]
    # A citizen rates an old dossier; another one gets a PAKN; one was synced; one corrected at the desk.
    db.session.add(Feedback(dossier_id=old[35].id, rating=Rating.NOT_SATISFIED, created_at=now))
    db.session.add(Pakn(code="PK-LATE", kind="complaint", agency_id=old[36].receiving_agency_id,
                        dossier_id=old[36].id, content="Phản ánh muộn.", key="K766LATE",
                        due_at=now + timedelta(days=10), created_at=now))
    sync = PortalSync(dossier_id=old[37].id, service="DongBoHoSoMC", payload="{}", state=SyncState.PENDING,
                      created_at=now)
    db.session.add(sync)
    db.session.flush()
    sync.state = SyncState.SENT
    old[38].channel = Channel.ONLINE if old[38].channel != Channel.ONLINE else Channel.COUNTER
    db.session.commit()
    marked = set(db.session.execute(sa.select(score766_dirty.c.day)).scalars())
    assert {local_day(old[i].finished_at) for i in (35, 36, 37)} <= marked
    assert local_day(old[38].received_at) in marked
    month = _month(local_day(old[35].finished_at))
    assert score766.facts(month, Scope(None)).score().counts["fin_not_satisfied"] == before + 1
    _assert_same(_periods(today), _scopes()[:1], now)  # dirty days are counted from the dossiers meanwhile

    result = facts766.keep_up(now)
    db.session.commit()
    assert result["recounted"] == len(marked) and result["closed"] == 0
    assert db.session.execute(sa.select(sa.func.count()).select_from(score766_dirty)).scalar() == 0
    assert score766.facts(month, Scope(None)).score().counts["fin_not_satisfied"] == before + 1
    _assert_same(_periods(today), _scopes(), now)


def test_todays_work_leaves_no_mark(province):
    d = receive()
    d.status = DossierStatus.PROCESSING
    db.session.commit()
    assert db.session.execute(sa.select(sa.func.count()).select_from(score766_dirty)).scalar() == 0


def test_a_mark_made_while_counting_survives_for_the_next_run(province, monkeypatch):
    now = province["now"]
    yesterday = local_day(now) - timedelta(days=1)
    db.session.execute(sa.insert(score766_dirty), [{"day": yesterday}])
    real = facts766.count_days

    def counting_while_someone_rates(days, at, progress=None):
        db.session.execute(sa.insert(score766_dirty), [{"day": yesterday - timedelta(days=1)}])
        return real(days, at, progress)

    monkeypatch.setattr(facts766, "count_days", counting_while_someone_rates)
    facts766.keep_up(now)
    left = list(db.session.execute(sa.select(score766_dirty.c.day)).scalars())
    assert left == [yesterday - timedelta(days=1)]


def test_open_dossiers_of_a_past_period_stand_as_they_were_at_its_end(province):
    now = province["now"]
    today = local_day(now)
    last_month = _month(today.replace(day=1) - timedelta(days=1))
    end = last_month.end
    # A dossier received last month and still open, overdue at the month's end as the month closed.
    d = db.session.execute(
        sa.select(Dossier).where(Dossier.received_at < end, Dossier.received_at >= last_month.start,
                                 Dossier.status.not_in((DossierStatus.SUBMITTED, DossierStatus.NOT_ACCEPTED)))
        .order_by(Dossier.id).limit(1)).scalar_one()
    d.finished_at, d.finish_state, d.status = None, None, DossierStatus.PROCESSING
    d.supplement_count, d.paused_at, d.due_at = 0, None, end - timedelta(days=1)
    db.session.commit()
    facts766.rebuild(now)
    db.session.commit()
    before = score766.facts(last_month, Scope(None)).score().counts
    assert before == score766.counted_from_dossiers(last_month, Scope(None)).score().counts
    d.due_at = now + timedelta(days=30)  # an extension granted after the month closed
    db.session.commit()
    assert score766.facts(last_month, Scope(None)).score().counts["open_ok"] == before["open_ok"]
    assert score766.counted_from_dossiers(last_month, Scope(None)).score().counts["open_ok"] == before["open_ok"] + 1
    facts766.rebuild(now)  # a rebuild counts them as the rows stand today
    db.session.commit()
    assert score766.facts(last_month, Scope(None)).score().counts["open_ok"] == before["open_ok"] + 1


def test_keep_up_closes_each_day_once_and_takes_month_ends(province):
    now = province["now"]
    again = facts766.keep_up(now)
    assert again == {"closed": 0, "recounted": 0, "open_taken": 0}
    taken = set(db.session.execute(sa.select(score766_ledger.c.day)
                                   .where(score766_ledger.c.open_taken_at.is_not(None))).scalars())
    yesterday = local_day(now) - timedelta(days=1)
    assert yesterday in taken
    assert _month(yesterday.replace(day=1) - timedelta(days=1)).last in taken
    # The next day closes alone and takes its own open dossiers.
    tomorrow = now + timedelta(days=1)
    result = facts766.keep_up(tomorrow)
    assert result["closed"] == 1 and result["open_taken"] == 1
    assert db.session.execute(sa.select(sa.func.count()).select_from(score766_open)
                              .where(score766_open.c.day == local_day(now))).scalar() > 0


def test_rebuild_and_keep_up_commands(app, province):
    runner = CliRunner()
    result = runner.invoke(app.cli, ["onestop", "score766", "rebuild"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert "Đã đếm" in result.output and "ngày" in result.output
    result = runner.invoke(app.cli, ["onestop", "score766", "keep-up"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert "Đã chốt 0 ngày" in result.output


def test_a_dossier_received_on_a_closed_day_marks_that_day(province):
    """A postal dossier logged today with yesterday's receipt date: written without a flush, it still marks."""
    now = province["now"]
    yesterday = now - timedelta(days=1)
    day = Period("custom", local_day(yesterday), local_day(yesterday))

    def received(fx):
        return sum(c["new"] for _, _, c in fx.buckets)

    before = received(score766.facts(day, Scope(None), as_of=now))
    d = receive("1.009994", at=yesterday, channel="postal")
    assert local_day(d.received_at) < local_day(now)
    marked = set(db.session.execute(sa.select(score766_dirty.c.day)).scalars())
    assert local_day(yesterday) in marked
    facts766.keep_up(now)
    db.session.commit()
    kept = score766.facts(day, Scope(None), as_of=now)
    assert received(kept) == before + 1 == received(score766.counted_from_dossiers(day, Scope(None), as_of=now))
