"""Dossier codes: format, per unit per day, no duplicates and no gaps under concurrency."""
import threading

import pytest
from factories import APPLICANT, documents_of, procedure, receive, user, vn
from support import IS_POSTGRES

from onestop import workflow
from onestop.codes import KEY_ALPHABET
from onestop.extensions import db
from onestop.models import Dossier


def test_sequence_restarts_each_day_and_per_unit(demo):
    a = receive("1.009994", at=vn(2026, 11, 19, 9, 0))
    b = receive("1.009994", at=vn(2026, 11, 19, 9, 5))
    c = receive("1.009994", at=vn(2026, 11, 20, 8, 0))
    d = receive("2.000720", at=vn(2026, 11, 19, 9, 0), clerk="tiepnhan.tanphu")
    assert [a.code, b.code, c.code, d.code] == [
        "000.00.17.H56-261119-0001", "000.00.17.H56-261119-0002",
        "000.00.17.H56-261120-0001", "000.00.31.H56-261119-0001",
    ]
    assert all(ch in KEY_ALPHABET for ch in a.lookup_key) and a.lookup_key != b.lookup_key


def test_local_date_decides_the_code_day(demo):
    # 23:30 on 19/11 in Hà Nội is 16:30 UTC: the code carries the local date.
    d = receive("1.009994", at=vn(2026, 11, 19, 23, 30), channel="online")
    assert d.code.endswith("-261119-0001")


def test_a_rolled_back_intake_gives_its_number_back(demo):
    from onestop.errors import ValidationError

    receive("1.009994", at=vn(2026, 11, 19, 9, 0))
    with pytest.raises(ValidationError):
        receive("1.009994", at=vn(2026, 11, 19, 9, 1), applicant=dict(APPLICANT, phone="123"))
    db.session.rollback()
    assert receive("1.009994", at=vn(2026, 11, 19, 9, 2)).code.endswith("-0002")


def test_many_clerks_at_the_same_moment_get_distinct_consecutive_codes(app, demo):
    """Threads with their own sessions and connections, like simultaneous requests."""
    if not IS_POSTGRES:
        threads_count, per_thread = 4, 5
    else:
        threads_count, per_thread = 10, 10
    at = vn(2026, 11, 19, 9, 0)
    errors, barrier = [], threading.Barrier(threads_count)

    def work():
        with app.app_context():
            try:
                barrier.wait()
                for _ in range(per_thread):
                    workflow.intake(actor=user("tiepnhan"), procedure=procedure("1.009994"),
                                    applicant=dict(APPLICANT), channel="counter",
                                    documents=documents_of(procedure("1.009994")), now=at)
                    db.session.commit()
            except Exception as exc:  # noqa: BLE001 - reported below
                errors.append(repr(exc))
            finally:
                db.session.remove()

    threads = [threading.Thread(target=work) for _ in range(threads_count)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    codes = sorted(db.session.execute(db.select(Dossier.code)).scalars())
    total = threads_count * per_thread
    assert codes == [f"000.00.17.H56-261119-{n:04d}" for n in range(1, total + 1)]
