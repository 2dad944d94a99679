"""The centre's floor: numbering per desk per day, call order, transfer, skip, the dossier link, figures."""
from __future__ import annotations

import threading
from datetime import timedelta

import pytest
import sqlalchemy as sa
from factories import receive, user, vn

from onestop import queue
from onestop.agencies import get_by_identifier
from onestop.errors import Conflict, ValidationError
from onestop.extensions import db
from onestop.models import CounterRating, QueueCounter, QueueTicket
from onestop.status import TicketState

CENTER = "000.00.17.H56"
MORNING = vn(2026, 12, 1, 8, 0)


@pytest.fixture
def hall(demo):
    """The centre with two counters: 1 serves Xây dựng, 2 serves Xây dựng and Đất đai."""
    center = get_by_identifier(CENTER)
    db.session.execute(sa.delete(QueueCounter).where(QueueCounter.agency_id == center.id))
    one = QueueCounter(agency_id=center.id, number=1, name="Quầy 1", fields=["Xây dựng"])
    two = QueueCounter(agency_id=center.id, number=2, name="Quầy 2", fields=["Xây dựng", "Đất đai"])
    db.session.add_all([one, two])
    db.session.commit()
    return center, one, two


def at(minutes: int):
    return MORNING + timedelta(minutes=minutes)


def test_numbers_count_up_per_desk_and_restart_each_day(hall):
    center, one, _two = hall
    ward = get_by_identifier("000.00.31.H56")  # the demo ward's counters serve Hộ tịch
    first = queue.take_number(center, "Xây dựng", now=at(0))
    second = queue.take_number(center, "Đất đai", now=at(1))
    elsewhere = queue.take_number(ward, "Hộ tịch", now=at(1))
    tomorrow = queue.take_number(center, "Xây dựng", now=at(24 * 60))
    assert (first.number, second.number, elsewhere.number, tomorrow.number) == (1, 2, 1, 1)
    assert tomorrow.day == first.day + timedelta(days=1)
    # Just before local midnight (16:59 UTC) is still the same day in Vietnam.
    late = queue.take_number(center, "Xây dựng", now=vn(2026, 12, 1, 23, 59))
    assert (late.day, late.number) == (first.day, 3)


def test_a_field_no_counter_serves_is_refused_and_a_double_tap_gives_one_ticket(hall):
    center, *_ = hall
    with pytest.raises(ValidationError):
        queue.take_number(center, "Hộ tịch", now=at(0))
    a = queue.take_number(center, "Xây dựng", request_token="tap-1", now=at(0))
    b = queue.take_number(center, "Xây dựng", request_token="tap-1", now=at(0))
    assert a.id == b.id
    assert db.session.scalar(sa.select(sa.func.count()).select_from(QueueTicket)) == 1


def test_people_ahead_and_call_order_follow_the_fields_a_counter_serves(hall):
    center, one, two = hall
    clerk = user("tiepnhan")
    land = queue.take_number(center, "Đất đai", now=at(0))
    build1 = queue.take_number(center, "Xây dựng", now=at(1))
    build2 = queue.take_number(center, "Xây dựng", now=at(2))
    assert [queue.people_ahead(t) for t in (land, build1, build2)] == [0, 0, 1]
    assert queue.call_next(one, clerk, now=at(3)).id == build1.id  # counter 1 never takes Đất đai
    assert queue.people_ahead(build2) == 0
    assert queue.call_next(two, user("tiepnhan"), now=at(4)).id == land.id  # the oldest it serves
    with pytest.raises(Conflict):
        queue.call_next(one, clerk, now=at(5))  # busy until finished, skipped or transferred
    queue.finish(one, clerk, now=at(6))
    assert queue.call_next(one, clerk, now=at(7)).id == build2.id
    queue.finish(one, clerk, now=at(8))
    assert queue.call_next(one, clerk, now=at(9)) is None


def test_call_again_skip_and_transfer(hall):
    center, one, two = hall
    clerk = user("tiepnhan")
    a = queue.take_number(center, "Xây dựng", now=at(0))
    b = queue.take_number(center, "Xây dựng", now=at(1))
    c = queue.take_number(center, "Đất đai", now=at(2))
    queue.call_next(one, clerk, now=at(3))
    again = queue.call_again(one, clerk, now=at(4))
    assert (again.id, again.calls, again.called_at, again.last_called_at) == (a.id, 2, at(3), at(4))
    queue.skip(one, clerk, now=at(5))
    assert db.session.get(QueueTicket, a.id).state == TicketState.SKIPPED
    queue.call_next(one, clerk, now=at(6))  # b
    with pytest.raises(ValidationError):
        queue.transfer(one, clerk, one.id, now=at(7))
    moved = queue.transfer(one, clerk, two.id, now=at(7))
    assert (moved.id, moved.state, moved.counter_id) == (b.id, TicketState.TRANSFERRED, two.id)
    # Counter 2 calls the transferred ticket before its own older waiting one (c).
    assert queue.call_next(two, clerk, now=at(9)).id == b.id
    assert db.session.get(QueueTicket, c.id).state == TicketState.WAITING


def test_the_ticket_being_served_is_linked_to_the_dossier_received(hall):
    center, one, _two = hall
    clerk = user("tiepnhan")
    ticket = queue.take_number(center, "Xây dựng")
    queue.call_next(one, clerk)
    queue.start(one, clerk)
    dossier = receive("1.009994", commit=False)
    assert queue.link_dossier(clerk, dossier).id == ticket.id
    assert queue.ticket_of_dossier(dossier.id).id == ticket.id
    other = receive("1.009994", commit=False)
    assert queue.link_dossier(clerk, other) is None  # the first dossier of the service keeps the link


def test_rating_once_per_finished_ticket_with_the_integrity_answers(hall):
    center, one, _two = hall
    clerk = user("tiepnhan")
    ticket = queue.take_number(center, "Xây dựng")
    queue.call_next(one, clerk)
    assert queue.rating_target(one) is None
    queue.finish(one, clerk)
    assert queue.rating_target(one).id == ticket.id
    queue.rate(one, ticket.id, "not_satisfied", asked_money=True, came_again=None)
    row = db.session.execute(sa.select(CounterRating)).scalar_one()
    assert (row.rating, row.asked_money, row.came_again, row.counter_id) == ("not_satisfied", True, None, one.id)
    with pytest.raises(Conflict):
        queue.rate(one, ticket.id, "satisfied")
    with pytest.raises(ValidationError):
        queue.rate(one, ticket.id, "wonderful")


def test_figures_per_desk_counter_field_and_hour_are_computed_in_sql(hall):
    center, one, two = hall
    clerk = user("tiepnhan")
    for minute, field in ((0, "Xây dựng"), (5, "Xây dựng"), (10, "Đất đai")):
        queue.take_number(center, field, now=at(minute))
    queue.call_next(one, clerk, now=at(10))          # waited 10 min
    queue.start(one, clerk, now=at(11))
    queue.finish(one, clerk, now=at(21))             # served 10 min
    queue.call_next(two, clerk, now=at(30))          # the second Xây dựng, waited 25 min
    queue.finish(two, clerk, now=at(34))             # served 4 min (from the call)
    queue.call_next(two, clerk, now=at(40))          # Đất đai, waited 30 min, still at the counter
    day = at(0).date()
    desk = queue.figures([center.id], day, day, "desk")
    assert [(r.key, r.tickets, r.served, r.avg_wait, r.max_wait, r.avg_serve) for r in desk] == [
        (center.name, 3, 2, 21.7, 30.0, 7.0)]
    by_field = {r.key: (r.tickets, r.avg_wait, r.avg_serve) for r in queue.figures(None, day, day, "field")}
    assert by_field == {"Xây dựng": (2, 17.5, 7.0), "Đất đai": (1, 30.0, None)}
    by_counter = {r.key: r.served for r in queue.figures(None, day, day, "counter")}
    assert by_counter == {f"{center.name} · Quầy 1": 1, f"{center.name} · Quầy 2": 1}
    hours = queue.figures(None, day, day, "hour")
    assert [(r.key, r.tickets) for r in hours] == [("08:00–08:59", 3)]
    assert queue.figures(None, day + timedelta(days=1), day + timedelta(days=1), "desk") == []


def _take_concurrently(app, agency_id: int, kiosks: int) -> list[int]:
    numbers: list[int] = []
    errors: list[BaseException] = []
    start = threading.Barrier(kiosks, timeout=30)
    lock = threading.Lock()

    def kiosk():
        try:
            with app.app_context():
                agency = db.session.get(type(get_by_identifier(CENTER)), agency_id)
                start.wait()
                ticket = queue.take_number(agency, "Xây dựng")
                db.session.commit()
                with lock:
                    numbers.append(ticket.number)
                db.session.remove()
        except BaseException as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=kiosk) for _ in range(kiosks)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert not errors, errors
    return numbers


@pytest.mark.config(SQLALCHEMY_ENGINE_OPTIONS={"pool_size": 25, "max_overflow": 0, "pool_pre_ping": True})
def test_twenty_concurrent_kiosks_never_hand_out_the_same_number(app, hall):
    center, *_ = hall
    numbers = _take_concurrently(app, center.id, 20)
    assert sorted(numbers) == list(range(1, 21))


def test_twenty_kiosks_one_after_another_on_any_database(hall):
    center, *_ = hall
    numbers = []
    for _ in range(20):
        numbers.append(queue.take_number(center, "Xây dựng").number)
        db.session.commit()
    assert numbers == list(range(1, 21))
