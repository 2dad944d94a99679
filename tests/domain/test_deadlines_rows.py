"""The bulk planner (deadlines.BulkPlanner) gives every row the plan the intake itself would give.

`onestop generate` plans its dossiers with epoch seconds and per-day tables; these tests put each of its
methods beside the datetime rule it stands for, on moments spread over weekends, holidays, swapped days,
province overrides, the lunch break and the 15:00 cut-off.
"""
from __future__ import annotations

import random
from datetime import UTC, date, datetime, time, timedelta
from types import SimpleNamespace

import pytest

from onestop import deadlines
from onestop.calendar import WorkCalendar
from onestop.status import Channel, DossierStatus, TimeUnit

FIRST, LAST = date(2025, 1, 1), date(2027, 6, 30)
CALENDARS = {
    "national": WorkCalendar(),
    "overrides": WorkCalendar(overrides={date(2026, 3, 2): "off", date(2026, 3, 7): "work",
                                         date(2026, 12, 31): "off"},
                              hours="07:30-11:30,13:00-16:30", cutoff="14:00"),
}
PROCEDURES = {
    "15 working days": SimpleNamespace(same_day=False, time_unit=TimeUnit.WORKING_DAYS, time_limit=15,
                                       online_time_limit=None, shares=[10, 5]),
    "25 days, 12 online": SimpleNamespace(same_day=False, time_unit=TimeUnit.WORKING_DAYS, time_limit=25,
                                          online_time_limit=12, shares=[20, 5]),
    "4 working hours": SimpleNamespace(same_day=False, time_unit=TimeUnit.WORKING_HOURS, time_limit=4,
                                       online_time_limit=None, shares=[4]),
    "same day": SimpleNamespace(same_day=True, time_unit=TimeUnit.WORKING_DAYS, time_limit=1,
                                online_time_limit=None, shares=[1]),
    "30 calendar days": SimpleNamespace(same_day=False, time_unit=TimeUnit.CALENDAR_DAYS, time_limit=30,
                                        online_time_limit=20, shares=[20, 7, 3]),
}
EDGES = [time(0, 0), time(6, 59, 59), time(7, 0), time(7, 30), time(11, 29, 59), time(11, 30), time(12, 0),
         time(13, 0), time(13, 30), time(13, 59, 59), time(14, 0), time(14, 59, 59), time(15, 0), time(16, 30),
         time(16, 59, 59), time(17, 0), time(23, 59, 59)]


def _moments(cal: WorkCalendar, n: int = 1500, seed: int = 3) -> list[datetime]:
    """Random seconds of 2025-2026 plus every edge of the working day on a few weeks around holidays."""
    rng = random.Random(seed)
    start = datetime.combine(FIRST, time(), tzinfo=cal.tz).timestamp()
    span = (date(2026, 12, 31) - FIRST).days * 86400
    out = [datetime.fromtimestamp(int(start + rng.random() * span), UTC) for _ in range(n)]
    for first in (date(2026, 1, 26), date(2026, 2, 23), date(2026, 4, 27), date(2026, 8, 31),
                  date(2026, 12, 28)):
        for k in range(10):
            day = first + timedelta(days=k)
            out += [datetime.combine(day, t, tzinfo=cal.tz).astimezone(UTC) for t in EDGES]
    return out


def _e(moment: datetime) -> int:
    return int(moment.timestamp())


@pytest.fixture(params=sorted(CALENDARS))
def cal(request):
    return CALENDARS[request.param]


@pytest.fixture
def planner(cal):
    return deadlines.BulkPlanner(cal, FIRST, LAST)


def test_working_seconds_agree_with_the_calendar(cal, planner):
    for moment in _moments(cal):
        ws = cal.to_ws(moment)
        assert planner.to_ws(_e(moment)) == ws, moment
        for prefer_end in (True, False):
            assert planner.from_ws(ws, prefer_end) == _e(cal.from_ws(ws, prefer_end)), (moment, prefer_end)
        assert planner.next_working_moment(_e(moment)) == _e(cal.next_working_moment(moment)), moment


def test_handover_and_same_day_dues_agree_around_the_cutoff(cal, planner):
    for moment in _moments(cal):
        assert planner.handover_due(_e(moment)) == _e(deadlines.handover_due(cal, moment)), moment
        assert planner.same_day_due(_e(moment)) == _e(deadlines.same_day_due(cal, moment)), moment


@pytest.mark.parametrize("name", sorted(PROCEDURES))
def test_intake_plans_and_step_dues_agree_for_every_kind_of_time_limit(cal, planner, name):
    proc = PROCEDURES[name]
    for moment in _moments(cal, n=400):
        for channel in (Channel.COUNTER, Channel.ONLINE):
            plan = deadlines.plan_intake(cal, proc, moment, channel)
            rows = planner.plan_intake(proc, _e(moment), channel)
            assert (rows.clock_started_at, rows.due_at, rows.handover_due_at) == (
                _e(plan.clock_started_at), _e(plan.due_at), _e(plan.handover_due_at)), (moment, channel)
            shares = proc.shares[::-1]
            assert planner.step_dues(proc, shares, rows.due_at, channel) == [
                _e(d) for d in deadlines.step_dues(cal, proc, shares, plan.due_at, channel)], (moment, channel)


def test_judgements_agree(cal, planner):
    """Early means an earlier local day than the due one (the app's zone is the calendar's)."""
    rng = random.Random(5)
    moments = _moments(cal, n=600)
    for finished in moments:
        due = rng.choice(moments) if rng.random() < 0.9 else None
        expected = deadlines.judge(finished, due)
        assert planner.judge(_e(finished), None if due is None else _e(due)) == expected, (finished, due)
    day = datetime.combine(date(2026, 11, 25), time(17, 0), tzinfo=cal.tz)
    assert planner.judge(_e(day - timedelta(hours=1)), _e(day)) == "on_time"
    assert planner.judge(_e(day - timedelta(days=1)), _e(day)) == "early"
    assert planner.judge(_e(day + timedelta(seconds=1)), _e(day)) == "late"


def test_final_judgements_agree(cal, planner):
    """Refused at reception: no judgement; an apology or a second supplement request: late; else judged."""
    rng = random.Random(9)
    moments = _moments(cal, n=300)
    for finished in moments:
        due = rng.choice(moments)
        original = rng.choice([None, None, due - timedelta(days=3)])
        for status in (DossierStatus.SUBMITTED, DossierStatus.PROCESSING, DossierStatus.RECEIVED):
            for count in (0, 1, 2):
                dossier = SimpleNamespace(status=status, original_due_at=original, supplement_count=count,
                                          due_at=due)
                assert planner.finish_state(status, original and _e(original), count, _e(finished), _e(due)) \
                    == deadlines.finish_state(dossier, finished), (finished, due, original, status, count)


@pytest.mark.parametrize("name", sorted(PROCEDURES))
def test_pauses_and_restarts_move_the_same_dues(cal, planner, name):
    """Papers back: the appointment and the open steps move by the wait, or count again from zero."""
    proc = PROCEDURES[name]
    rng = random.Random(11)
    moments = _moments(cal, n=200)
    for paused in moments[:250]:
        resumed = paused + timedelta(seconds=rng.randint(0, 12 * 86400))
        plan = deadlines.plan_intake(cal, proc, paused - timedelta(days=2), Channel.ONLINE)
        dues = deadlines.step_dues(cal, proc, proc.shares[::-1], plan.due_at, Channel.ONLINE)
        dossier = SimpleNamespace(procedure=proc, channel=Channel.ONLINE, due_at=plan.due_at, paused_at=paused,
                                  clock_started_at=plan.clock_started_at, alert_level=0)
        steps = [SimpleNamespace(share=s, due_at=d) for s, d in zip(proc.shares, dues[::-1], strict=True)]
        waited = deadlines.shift_after_pause(cal, dossier, steps, resumed)
        assert planner.shift_after_pause(_e(plan.due_at), [_e(d) for d in dues[::-1]], _e(paused), _e(resumed)) \
            == (_e(dossier.due_at), [_e(s.due_at) for s in steps], waited), (paused, resumed)
        deadlines.restart(cal, dossier, steps, resumed)
        start, due, dues_from_last = planner.restart(proc, proc.shares[::-1], _e(resumed), Channel.ONLINE)
        assert (start, due, dues_from_last[::-1]) == (
            _e(dossier.clock_started_at), _e(dossier.due_at), [_e(s.due_at) for s in steps]), (paused, resumed)


@pytest.mark.parametrize("stored", [{}, {"supplement_window_days": 5, "supplement_max_requests": 2,
                                         "supplement_reply_days": 3}])
def test_supplement_checks_agree_with_the_provinces_settings(app, stored):
    from onestop import settings
    from onestop.calendar import get_calendar
    from onestop.errors import Conflict
    from onestop.extensions import db
    from onestop.models import Setting

    for key, value in stored.items():
        db.session.add(Setting(key=key, value=value))
    db.session.flush()
    settings.invalidate()
    cal = get_calendar()
    planner = deadlines.BulkPlanner(cal, FIRST - timedelta(days=30), LAST)
    rng = random.Random(13)
    moments = _moments(cal, n=300)
    for at in moments:
        due = None if rng.random() < 0.1 else at + timedelta(seconds=rng.randint(-3 * 86400, 20 * 86400))
        received = None if rng.random() < 0.1 else at - timedelta(seconds=rng.randint(0, 8 * 86400))
        count = rng.choice([0, 0, 1, 2])
        try:
            deadlines.check_supplement(cal, SimpleNamespace(due_at=due, supplement_count=count), received, at)
            expected = True
        except Conflict:
            expected = False
        assert planner.supplement_allowed(
            due and _e(due), count, received and _e(received), _e(at),
            max_requests=settings.get("supplement_max_requests"),
            window_days=settings.get("supplement_window_days")) is expected, (at, due, received, count)
        assert planner.add_working_days(_e(at), settings.get("supplement_reply_days")) == _e(
            deadlines.supplement_reply_due(cal, at))


def test_moments_outside_the_span_are_refused(planner):
    with pytest.raises(ValueError):
        planner.to_ws(_e(datetime(2024, 6, 1, tzinfo=UTC)))
    with pytest.raises(ValueError):
        planner.handover_due(_e(datetime(2027, 8, 1, tzinfo=UTC)))


def test_a_zone_that_changes_its_offset_is_refused():
    with pytest.raises(ValueError):
        deadlines.BulkPlanner(WorkCalendar(tz="Europe/Paris"), date(2026, 3, 1), date(2026, 4, 30))
