"""Decision 766 scored as the portal scores it: DOMAIN.md's worked example, then each indicator's edge cases."""
from __future__ import annotations

from datetime import date

import pytest
from factories import procedure, user, vn
from score766kit import MARCH, dossier, rate

from onestop import settings
from onestop.extensions import db
from onestop.models import Agency, Dossier, DossierDocument, Pakn, PortalSync, Procedure
from onestop.reports import score766
from onestop.reports.period import Period, Scope, resolve_scope
from onestop.status import (
    Channel,
    DeadlineState,
    DossierStatus,
    OnlineLevel,
    PaknKind,
    PaknStatus,
    Rating,
    SyncState,
)

AFTER = vn(2025, 4, 20, 9, 0)
PROVINCE = Scope(None)
_serial = iter(range(1, 10_000))


def pakn(*, agency="000.00.21.H56", created=vn(2025, 3, 5, 9, 0), due=vn(2025, 3, 19, 17, 0), answered=None,
         rating=None, d: Dossier | None = None) -> Pakn:
    aid = db.session.execute(db.select(Agency.id).filter_by(identifier=agency)).scalar_one()
    n = next(_serial)
    row = Pakn(code=f"PAKN-T-{n:05d}", kind=PaknKind.COMPLAINT, agency_id=aid, content="Chậm trả kết quả",
               key="K1234567", created_at=created, due_at=due, answered_at=answered, rating=rating,
               status=PaknStatus.ANSWERED if answered else PaknStatus.OPEN, dossier_id=d.id if d else None)
    db.session.add(row)
    db.session.flush()
    return row


def worked_example() -> list[Dossier]:
    """DOMAIN.md: 6 on time, 2 late, 1 open within time, 1 open overdue; 2 "not satisfied", one of them late."""
    on_time = [dossier() for _ in range(6)]
    late = [dossier(finished=vn(2025, 3, 20, 9, 0), state=DeadlineState.LATE) for _ in range(2)]
    open_ok = dossier(DossierStatus.PROCESSING, finished=None, state=None, due=vn(2025, 4, 10, 17, 0))
    open_late = dossier(DossierStatus.PROCESSING, finished=None, state=None, due=vn(2025, 3, 20, 17, 0))
    rate(late[0])
    rate(on_time[0])
    rate(on_time[1], Rating.VERY_SATISFIED)
    return [*on_time, *late, open_ok, open_late]


def test_the_worked_example_gives_70_percent_and_14_points_then_62_5_percent_and_4_17_points(demo):
    worked_example()
    s = score766.score(MARCH, PROVINCE, as_of=AFTER)
    progress = s.indicator("progress")
    assert (progress.part, progress.whole, progress.ratio, progress.points) == (7, 10, 0.7, 14.0)
    handling = s.indicator("handling_satisfaction")
    assert (handling.part, handling.whole, handling.ratio, handling.points) == (5, 8, 0.625, 4.17)
    body = s.as_json()
    assert body["groups"]["progress"] == {"points": 14.0, "max": 20, "ratio": 0.7,
                                          "indicators": [progress.as_json()]}
    assert body["groups"]["satisfaction"]["indicators"][2] == {
        "key": "handling_satisfaction", "label": "Hài lòng về giải quyết hồ sơ", "ratio": 0.625,
        "points": 4.17, "max": 6}


def test_the_answer_has_the_contract_shape(demo):
    worked_example()
    body = score766.score(MARCH, PROVINCE, as_of=AFTER).as_json()
    assert set(body) == {"from", "to", "agency", "total", "groups"}
    assert (body["from"], body["to"], body["agency"]) == ("2025-03-01", "2025-03-31", None)
    assert list(body["groups"]) == ["transparency", "progress", "online", "payment", "satisfaction",
                                    "digitisation"]
    assert [g["max"] for g in body["groups"].values()] == [18, 20, 12, 10, 18, 22]
    assert body["total"]["max"] == 100
    for group in body["groups"].values():
        for ind in group["indicators"]:
            assert set(ind) == {"key", "label", "ratio", "points", "max"}
        scored = [i["points"] for i in group["indicators"] if i["points"] is not None]
        assert group["points"] == (round(sum(scored), 2) if scored else None)
    assert body["total"]["points"] == round(sum(g["points"] or 0 for g in body["groups"].values()), 2)
    # nothing recorded yet: no made-up number
    assert body["groups"]["payment"]["points"] is None
    digit = {i["key"]: i for i in body["groups"]["digitisation"]["indicators"]}
    assert digit["population"]["points"] is digit["reuse"]["points"] is digit["e_certified"]["points"] is None
    assert digit["population"]["label"].startswith("Hồ sơ khai thác")
    assert str(score766.NO_DATA) == "chưa có dữ liệu"


def test_no_dossiers_no_ratings_no_pakn_give_no_points_rather_than_zero(demo):
    s = score766.score(MARCH, PROVINCE, as_of=AFTER)
    assert s.group("progress").points is None
    assert s.indicator("handling_satisfaction").points is None
    assert s.group("satisfaction").points is None
    assert s.group("payment").points is None
    # the catalogue exists: the share of procedures offered online is known
    assert s.indicator("online_procedures").points is not None


def test_without_ratings_only_the_late_ones_count_against_handling(demo):
    for _ in range(3):
        dossier()
    dossier(finished=vn(2025, 3, 25, 9, 0), state=DeadlineState.LATE)
    s = score766.score(MARCH, PROVINCE, as_of=AFTER)
    assert s.indicator("handling_satisfaction").ratio == 0.75
    assert s.indicator("handling_satisfaction").points == 5.0  # 6 × 0.75 ÷ 0.9


def test_a_refusal_at_reception_is_in_no_figure(demo):
    worked_example()
    dossier(DossierStatus.NOT_ACCEPTED, state=None, due=None)
    s = score766.score(MARCH, PROVINCE, as_of=AFTER)
    assert (s.indicator("progress").whole, s.indicator("handling_satisfaction").whole) == (10, 8)


def test_withdrawn_and_waiting_online_dossiers_leave_the_progress_ratio(demo):
    dossier()
    dossier(DossierStatus.WITHDRAWN, state=None)
    dossier(DossierStatus.SUBMITTED, finished=None, state=None, due=None, channel=Channel.ONLINE)
    s = score766.score(MARCH, PROVINCE, as_of=AFTER)
    assert (s.indicator("progress").part, s.indicator("progress").whole) == (1, 1)


def test_an_open_dossier_is_judged_at_the_end_of_the_period_or_now(demo):
    dossier(DossierStatus.PROCESSING, finished=None, state=None, due=vn(2025, 3, 20, 17, 0))
    assert score766.score(MARCH, PROVINCE, as_of=vn(2025, 3, 18, 9, 0)).indicator("progress").ratio == 1.0
    assert score766.score(MARCH, PROVINCE, as_of=AFTER).indicator("progress").ratio == 0.0


def test_a_dossier_with_two_supplement_requests_counts_as_late(demo):
    dossier()
    dossier(supplement_count=2)
    s = score766.score(MARCH, PROVINCE, as_of=AFTER)
    assert s.indicator("progress").ratio == 0.5
    assert s.indicator("handling_satisfaction").ratio == 0.5


def test_ratings_are_judged_by_the_dossiers_finishing_period_not_the_rating_date(demo):
    feb = dossier(received=vn(2025, 2, 3, 9, 0), finished=vn(2025, 2, 20, 9, 0))
    rate(feb, at=vn(2025, 3, 5, 9, 0))  # rated in March, finished in February: not March's
    mar = dossier()
    rate(mar, at=vn(2025, 4, 2, 9, 0))  # finished in March, rated in April: March's
    s = score766.score(MARCH, PROVINCE, as_of=AFTER)
    assert (s.indicator("handling_satisfaction").part, s.indicator("handling_satisfaction").whole) == (0, 1)


def test_a_dossier_late_not_satisfied_and_with_a_pakn_counts_once(demo):
    d = dossier(state=DeadlineState.LATE)
    rate(d)
    pakn(d=d)
    dossier()
    s = score766.score(MARCH, PROVINCE, as_of=AFTER)
    assert (s.indicator("handling_satisfaction").part, s.indicator("handling_satisfaction").whole) == (1, 2)


def test_pakn_on_time_and_satisfaction(demo):
    pakn(answered=vn(2025, 3, 10, 9, 0), rating=Rating.SATISFIED)  # on time
    pakn(answered=vn(2025, 3, 25, 9, 0), rating=Rating.NOT_SATISFIED)  # late
    pakn(due=vn(2025, 4, 30, 17, 0))  # open, still within time
    pakn(created=vn(2025, 2, 5, 9, 0), answered=vn(2025, 3, 25, 9, 0))  # filed in February: not March's
    s = score766.score(MARCH, PROVINCE, as_of=AFTER)
    on_time = s.indicator("pakn_on_time")
    assert (on_time.part, on_time.whole, on_time.points) == (2, 3, 4.0)
    sat = s.indicator("pakn_satisfaction")
    assert (sat.part, sat.whole, sat.points) == (1, 2, 3.0)
    # an open PAKN past its due date is late
    later = score766.score(Period("month", date(2025, 3, 1), date(2025, 5, 31)), PROVINCE,
                           as_of=vn(2025, 6, 2, 9, 0))
    assert later.indicator("pakn_on_time").part == 1


def test_synchronised_paid_online_digitised_population_and_e_certified(demo):
    a = dossier(fee=50_000, paid_online=True, digitised=True, population_checked=True)
    b = dossier(fee=50_000, paid_online=False)
    dossier(population_checked=False)
    db.session.add(PortalSync(dossier_id=a.id, service="DongBoHoSoMC", payload="{}", state=SyncState.SENT))
    db.session.add(PortalSync(dossier_id=b.id, service="DongBoHoSoMC", payload="{}", state=SyncState.FAILED))
    db.session.add(DossierDocument(dossier_id=a.id, name="Bản sao CCCD", certified_copies=1, e_certified_copies=1))
    db.session.add(DossierDocument(dossier_id=b.id, name="Bản sao CCCD", certified_copies=1, e_certified_copies=0))
    db.session.flush()
    s = score766.score(MARCH, PROVINCE, as_of=AFTER)
    assert s.indicator("synchronised").ratio == pytest.approx(1 / 3)
    assert (s.indicator("paid_online").ratio, s.indicator("paid_online").points) == (0.5, 5.0)
    assert s.indicator("digitised").ratio == pytest.approx(1 / 3)
    assert s.indicator("population").ratio == pytest.approx(1 / 3)
    assert (s.indicator("e_certified").ratio, s.indicator("e_certified").points) == (0.5, 1.0)


def test_online_full_counts_dossiers_of_fully_online_procedures(demo):
    proc = procedure("1.009994")
    proc.online_level = OnlineLevel.FULL
    procedure("2.001610").online_level = OnlineLevel.PARTIAL
    dossier(channel=Channel.ONLINE)
    dossier()
    dossier(code="2.001610", channel=Channel.ONLINE)
    s = score766.score(MARCH, PROVINCE, as_of=AFTER)
    assert s.indicator("online_full").ratio == 0.5
    assert s.indicator("online_channel").ratio == pytest.approx(2 / 3)


def test_transparency_reads_the_catalogue_dates(demo):
    procs = db.session.execute(db.select(Procedure).order_by(Procedure.code)).scalars().all()
    procs[0].announced_on, procs[0].published_on = date(2025, 3, 3), date(2025, 3, 5)  # on time
    procs[1].announced_on, procs[1].published_on = date(2025, 3, 3), date(2025, 3, 20)  # late
    procs[2].announced_on, procs[2].published_on, procs[2].amended = date(2025, 3, 3), date(2025, 3, 4), True
    procs[0].published_in_full = True
    procs[1].published_in_full = False
    db.session.flush()
    s = score766.score(MARCH, PROVINCE, as_of=AFTER)
    assert (s.indicator("published_on_time").ratio, s.indicator("published_on_time").points) == (0.5, 3.0)
    assert (s.indicator("updated_on_time").ratio, s.indicator("updated_on_time").points) == (1.0, 4.0)
    assert s.indicator("published_in_full").ratio == 0.5


def test_weights_and_the_satisfaction_threshold_are_settings(demo):
    worked_example()
    settings.update(user("admin"), {"w766_progress": "30", "t766_handling_satisfaction": "100"})
    s = score766.score(MARCH, PROVINCE, as_of=AFTER)
    assert s.indicator("progress").points == 21.0
    assert s.indicator("handling_satisfaction").points == 3.75
    assert s.group("progress").max == 30


def test_scopes_and_rankings_add_up_the_same_buckets(demo):
    worked_example()
    dossier(code="2.001610", state=DeadlineState.LATE)
    leader_scope = resolve_scope(user("lanhdao"), None)  # Sở Xây dựng
    own = score766.score(MARCH, leader_scope, as_of=AFTER)
    assert own.indicator("progress").whole == 10
    ranked = score766.ranking(MARCH, PROVINCE, "agency", as_of=AFTER)
    by_key = {r.key: r.score for r in ranked}
    assert by_key["000.00.21.H56"].points == own.points
    assert by_key["000.00.23.H56"].indicator("progress").ratio == 0.0
    assert [r.score.points for r in ranked] == sorted((r.score.points for r in ranked), reverse=True)
    fields = {r.key: r.score for r in score766.ranking(MARCH, PROVINCE, "field", as_of=AFTER)}
    assert fields["Xây dựng"].indicator("progress").whole == 10


def test_the_trend_scores_each_month(demo):
    worked_example()
    dossier(received=vn(2025, 2, 3, 9, 0), finished=vn(2025, 2, 20, 9, 0))
    q1 = Period("quarter", date(2025, 1, 1), date(2025, 3, 31))
    months = score766.trend(q1, PROVINCE, as_of=AFTER)
    assert [m["month"] for m in months] == ["01/2025", "02/2025", "03/2025"]
    assert months[0]["groups"]["progress"] is None
    assert months[1]["groups"]["progress"] == 20.0
    assert months[2]["groups"]["progress"] == 14.0


def test_the_drill_down_selects_the_dossiers_behind_the_figures(demo):
    rows = worked_example()
    late = db.session.execute(db.select(Dossier.id).where(
        score766.drill_clause(MARCH, PROVINCE, "late", as_of=AFTER))).scalars().all()
    assert sorted(late) == sorted(d.id for d in rows[6:8])
    bad = db.session.execute(db.select(Dossier.id).where(
        score766.drill_clause(MARCH, PROVINCE, "bad", as_of=AFTER))).scalars().all()
    assert sorted(bad) == sorted([rows[0].id, rows[6].id, rows[7].id])
    overdue = db.session.execute(db.select(Dossier.id).where(
        score766.drill_clause(MARCH, PROVINCE, "open_overdue", as_of=AFTER))).scalars().all()
    assert overdue == [rows[9].id]


def test_the_trend_scores_each_month_as_score_does(demo):
    """trend() counts every month in one statement; each month must equal score() of that month alone."""
    from datetime import timedelta

    for month in range(1, 7):
        for i, code in enumerate(("1.009994", "1.004227", "1.001193")):
            for k in range(3):
                received = vn(2025, month, 3 + k, 9, 0)
                late = (month + i + k) % 4 == 0
                d = dossier(code=code, received=received, due=received + timedelta(days=10),
                            finished=None if (month == 6 and k == 0) else received + timedelta(days=14 if late else 6),
                            status=DossierStatus.PROCESSING if (month == 6 and k == 0) else DossierStatus.RETURNED,
                            state=None if (month == 6 and k == 0) else (DeadlineState.LATE if late else
                                                                        DeadlineState.ON_TIME))
                if (month + k) % 3 == 0:
                    rate(d, at=received + timedelta(days=20))
        pakn(created=vn(2025, month, 5, 9, 0), due=vn(2025, month, 19, 17, 0),
             answered=vn(2025, month, 10, 9, 0) if month % 2 else None, rating=Rating.SATISFIED if month % 2 else None)
    # a dossier open across several months counts in each
    dossier(DossierStatus.PROCESSING, received=vn(2025, 2, 10, 9, 0), finished=None, state=None,
            due=vn(2025, 4, 15, 17, 0))
    db.session.commit()
    half = Period("custom", date(2025, 1, 1), date(2025, 6, 30))
    now = vn(2025, 6, 20, 9, 0)  # June still running
    months = score766.trend(half, PROVINCE, as_of=now)
    assert [t["month"] for t in months] == ["01/2025", "02/2025", "03/2025", "04/2025", "05/2025", "06/2025"]
    for t in months:
        alone = score766.score(t["period"], PROVINCE, as_of=now)
        assert t["score"].as_json() == alone.as_json(), t["month"]
        assert t["score"].counts == alone.counts, t["month"]
    scope = resolve_scope(user("lanhdao"), None)
    for t in score766.trend(half, scope, as_of=now):
        assert t["score"].as_json() == score766.score(t["period"], scope, as_of=now).as_json(), t["month"]
