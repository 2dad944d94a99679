"""Decree 118/2025 and two-level local government: who may receive, clocks that cannot be gamed,
refusals at reception outside the on-time rate, online dossiers counted from acceptance."""
from __future__ import annotations

from datetime import timedelta

import pytest
from factories import APPLICANT, act, documents_of, procedure, receive, user, vn

from onestop import catalogue, deadlines, settings, workflow
from onestop.calendar import get_calendar
from onestop.errors import Conflict, PermissionDenied, ValidationError
from onestop.extensions import db
from onestop.status import DeadlineState, DossierStatus
from onestop.timeutil import local

COMMUNE_A1 = "000.01.31.H56"  # UBND xã Phú Lộc (desk and competent agency)
COMMUNE_B1 = "000.01.32.H56"  # UBND xã Long Bình (another commune; its clerk is tiepnhan.longbinh)


def _fail(fn, *args, **kw):
    with pytest.raises((Conflict, ValidationError, PermissionDenied)) as err:
        fn(*args, **kw)
    db.session.rollback()
    return err.value


def _at_xd(at=vn(2026, 11, 2, 9, 0)):
    d = receive("1.009994", at=at)  # 15 working days, desk -> Sở Xây dựng
    act(d, "forward", "tiepnhan", at=at + timedelta(hours=1))
    return d


# -- supplements ---------------------------------------------------------------------

def test_a_supplement_after_the_appointment_is_refused(demo):
    d = _at_xd()
    due = d.due_at
    err = _fail(workflow.request_supplement, d, actor=user("chuyenvien"), version=d.version,
                now=due + timedelta(hours=1), reason="Thiếu bản vẽ")
    assert err.code == "supplement_after_due" and "quá hạn" in err.message
    db.session.refresh(d)
    assert d.status == DossierStatus.PROCESSING and d.supplement_count == 0 and d.due_at == due


def test_a_second_supplement_is_refused_by_default(demo):
    d = _at_xd()
    act(d, "request_supplement", "chuyenvien", at=vn(2026, 11, 3, 9, 0), reason="Thiếu bản vẽ")
    act(d, "supplement_received", "tiepnhan", at=vn(2026, 11, 4, 9, 0))
    err = _fail(workflow.request_supplement, d, actor=user("chuyenvien"), version=d.version,
                now=vn(2026, 11, 4, 10, 0), reason="Thiếu thêm")
    assert err.code == "supplement_limit" and "một lần" in err.message


def test_a_supplement_only_within_three_working_days_of_getting_the_dossier(demo):
    d = _at_xd()  # Sở Xây dựng got it on Monday 02/11 10:00
    err = _fail(workflow.request_supplement, d, actor=user("chuyenvien"), version=d.version,
                now=vn(2026, 11, 5, 10, 1), reason="Thiếu bản vẽ")
    assert err.code == "supplement_window_passed" and "3 ngày làm việc" in err.message
    act(d, "request_supplement", "chuyenvien", at=vn(2026, 11, 5, 10, 0), reason="Thiếu bản vẽ")
    # The citizen has 10 working days (a setting) to supply; the date is kept with the dossier.
    assert local(d.supplement_due_at) == local(vn(2026, 11, 19, 10, 0))


def test_the_province_may_widen_the_window(demo):
    settings.update(user("admin"), {"supplement_window_days": "5"})
    db.session.commit()
    d = _at_xd()
    act(d, "request_supplement", "chuyenvien", at=vn(2026, 11, 6, 9, 0), reason="Thiếu bản vẽ")
    assert d.status == DossierStatus.SUPPLEMENT_REQUESTED


def test_settings_are_checked_and_audited(demo):
    err = _fail(settings.update, user("admin"), {"supplement_window_days": "0"})
    assert err.field == "supplement_window_days" and "từ 1 đến 30" in err.message
    err = _fail(settings.update, user("admin"), {"apology_max_days": "mười"})
    assert "số nguyên" in err.message
    changes = settings.update(user("admin"), {"apology_max_days": "20", "supplement_max_requests": "1"})
    assert changes == {"apology_max_days": (15, 20)}
    db.session.commit()
    assert settings.get("apology_max_days") == 20


# -- apologies -----------------------------------------------------------------------

def test_an_apology_less_than_a_working_day_ahead_is_refused(demo):
    d = _at_xd()
    err = _fail(workflow.apologize, d, actor=user("chuyenvien"), version=d.version,
                now=d.due_at - timedelta(minutes=1), reason="Chậm", new_due_at=d.due_at + timedelta(days=7))
    assert err.code == "apology_too_close" and "ít nhất 1 ngày làm việc" in err.message
    db.session.refresh(d)
    assert d.original_due_at is None


@pytest.mark.parametrize("moment, words", [
    (lambda d: local(d.due_at).replace(hour=3, minute=0) + timedelta(days=(6 - local(d.due_at).weekday()) % 7 or 7),
     "giờ làm việc"),  # 03:00 on a Sunday
    (lambda d: d.due_at + timedelta(days=365), "không được muộn hơn 15 ngày làm việc"),  # a year later
    (lambda d: d.due_at - timedelta(hours=1), "phải sau ngày hẹn hiện tại"),
])
def test_the_new_appointment_must_be_a_near_working_moment(demo, moment, words):
    d = _at_xd()
    err = _fail(workflow.apologize, d, actor=user("chuyenvien"), version=d.version, now=vn(2026, 11, 10, 9, 0),
                reason="Chậm", new_due_at=moment(d))
    assert err.field == "new_due_at" and words in err.message


def test_the_drafted_apology_proposes_a_working_moment_within_the_cap(demo):
    d = _at_xd()
    cal = get_calendar()
    proposed = deadlines.propose_new_appointment(cal, d, workflow.open_steps(d), vn(2026, 11, 19, 9, 0))
    assert deadlines.is_appointment_moment(cal, proposed)
    assert cal.add_working_days(d.due_at, 1) <= proposed <= cal.add_working_days(d.due_at, 15)
    act(d, "apologize", "lanhdao", at=vn(2026, 11, 19, 9, 0), reason="Chờ ý kiến thẩm định", new_due_at=proposed)
    assert d.original_due_at is not None and d.due_at == proposed


# -- refused at reception; online dossiers ------------------------------------------

def test_a_dossier_refused_at_reception_is_neither_on_time_nor_late(demo):
    d = receive("1.009994", at=vn(2026, 11, 2, 9, 0), channel="online")
    act(d, "refuse", "tiepnhan", at=vn(2026, 11, 30, 9, 0), reason="Không thuộc thẩm quyền")  # long after
    assert d.status == DossierStatus.NOT_ACCEPTED and d.finish_state is None
    cal = get_calendar()
    now = vn(2026, 12, 1, 9, 0)
    assert deadlines.deadline_state(d, now, deadlines.due_soon_threshold(cal, now)) is None


def test_an_online_dossier_is_counted_from_its_acceptance(demo):
    d = receive("1.009994", at=vn(2026, 11, 2, 9, 0), channel="online")
    assert d.status == DossierStatus.SUBMITTED
    act(d, "accept", "tiepnhan", at=vn(2026, 11, 4, 14, 0))  # two days after submission
    plan = deadlines.plan_intake(get_calendar(), d.procedure, vn(2026, 11, 4, 14, 0))
    assert d.received_at == vn(2026, 11, 4, 14, 0) and d.clock_started_at == plan.clock_started_at
    assert d.due_at == plan.due_at and local(d.due_at) == local(vn(2026, 11, 26, 14, 0))  # 24/11 off
    route = [s for s in d.steps if s.kind == "route"]
    assert route[-1].due_at == d.due_at


def test_the_shorter_online_time_limit(demo):
    proc = procedure("1.009994")
    proc.online_time_limit = 10
    db.session.commit()
    d = receive("1.009994", at=vn(2026, 11, 2, 9, 0), channel="online", accept=True)
    assert local(d.due_at) == local(vn(2026, 11, 16, 9, 0))
    counter = receive("1.009994", at=vn(2026, 11, 2, 9, 0))
    assert local(counter.due_at) == local(vn(2026, 11, 23, 9, 0))


def test_calendar_days_count_every_day_and_end_on_a_working_day(demo):
    proc = procedure("1.009994")
    proc.time_unit = "calendar_days"
    db.session.commit()
    d = receive("1.009994", at=vn(2026, 11, 2, 9, 0))  # + 15 days = Tuesday 17/11
    assert local(d.due_at) == local(vn(2026, 11, 17, 17, 0))
    d2 = receive("1.009994", at=vn(2026, 11, 6, 9, 0))  # + 15 days = Saturday 21/11 -> Monday 23/11
    assert local(d2.due_at) == local(vn(2026, 11, 23, 17, 0))
    assert procedure("1.009994").time_label == "15 ngày"


# -- who may receive -------------------------------------------------------------------

def _boundary_free_procedure():
    entry = {"code": "1.001193-BF", "name": "Đăng ký khai sinh (tiếp nhận không phụ thuộc địa giới)",
             "field": "Hộ tịch", "time_limit": 3, "time_unit": "working_days", "fee": 0,
             "receiving_agency": COMMUNE_A1, "anywhere": True, "deciding_agency": COMMUNE_A1,
             "clock_on_supplement": "restart", "online_level": "full", "legal_basis": "Luật Hộ tịch 2014",
             "documents": [{"name": "Tờ khai đăng ký khai sinh", "originals": 1, "copies": 0}],
             "route": [{"agency": COMMUNE_A1, "time": 3, "task": "Đăng ký khai sinh"}]}
    catalogue.import_entries([entry])
    db.session.commit()
    return procedure("1.001193-BF")


def test_a_boundary_free_procedure_is_received_at_another_communes_desk_and_returned_there(demo):
    proc = _boundary_free_procedure()
    d = workflow.intake(actor=user("tiepnhan.longbinh"), procedure=proc, applicant=dict(APPLICANT),
                        channel="counter", documents=documents_of(proc), now=vn(2026, 11, 2, 9, 0))
    db.session.commit()
    assert d.code.startswith(COMMUNE_B1 + "-261102-")  # the receiving desk's identifier
    assert d.receiving_agency.identifier == COMMUNE_B1
    act(d, "forward", "tiepnhan.longbinh", at=vn(2026, 11, 2, 10, 0))
    assert d.current_agency.identifier == COMMUNE_A1  # the competent commune processes it
    act(d, "complete", "chuyenvien.phuloc", at=vn(2026, 11, 3, 10, 0))
    assert d.current_agency.identifier == COMMUNE_B1  # the result goes back to the desk that received it
    with pytest.raises(PermissionDenied):
        workflow.return_result(d, actor=user("tiepnhan.phuloc"), version=d.version, collected_by="Nguyễn Văn Đức")
    db.session.rollback()
    act(d, "return", "tiepnhan.longbinh", at=vn(2026, 11, 3, 14, 0), collected_by="Nguyễn Văn Đức")
    assert d.status == DossierStatus.RETURNED and d.finish_state == DeadlineState.EARLY


def test_a_listed_procedure_is_refused_at_a_desk_not_on_its_list(demo):
    proc = procedure("1.009994")  # received at the provincial centre and its branch only
    err = _fail(workflow.intake, actor=user("tiepnhan.longbinh"), procedure=proc, applicant=dict(APPLICANT),
                channel="counter", documents=documents_of(proc))
    assert err.code == "not_a_receiving_desk"


def test_the_demo_province_has_two_levels_and_desks_at_both(demo):
    from onestop.models import Agency

    kinds = dict(db.session.execute(db.select(Agency.identifier, Agency.kind)).all())
    assert "district" not in kinds.values()
    assert kinds["000.00.17.H56"] == "center" and kinds["000.01.17.H56"] == "center_branch"
    assert sum(kind == "commune" for kind in kinds.values()) == 6
    branch = user("tiepnhan.chinhanh")
    assert workflow.intake(actor=branch, procedure=procedure("1.009994"), applicant=dict(APPLICANT),
                           channel="counter", documents=documents_of(procedure("1.009994"))) \
        .code.startswith("000.01.17.H56-")
    db.session.rollback()
    assert procedure("1.001756").anywhere and procedure("2.001610").online_time_limit == 2


def test_the_catalogue_keeps_old_files_working_and_reads_the_new_fields(demo):
    old = [catalogue.serialize(procedure("2.000986"))]  # a procedure the 2025 fields leave at their defaults
    for key in ("receiving_desks", "anywhere", "deciding_agency", "online_time_limit", "online_level",
                "legal_basis"):
        old[0].pop(key)
    assert catalogue.import_entries(old).summary() == {"created": 0, "updated": 0, "unchanged": 1}
    proc = _boundary_free_procedure()
    entry = catalogue.serialize(proc)
    assert entry["anywhere"] is True and entry["online_level"] == "full"
    assert entry["receiving_desks"] == [COMMUNE_A1] and entry["legal_basis"] == "Luật Hộ tịch 2014"
    bad = dict(entry, online_time_limit=9)
    err = _fail(catalogue.import_entries, [bad])
    assert err.field == "online_time_limit"
    err = _fail(catalogue.import_entries, [dict(entry, receiving_desks=["000.99.99.H56"])])
    assert err.field == "receiving_desks[0]"
    err = _fail(catalogue.import_entries, [dict(entry, time_unit="weeks")])
    assert "calendar_days" in err.message
