"""The workflow: every transition allowed or refused, clocks, apology, versions, roles and agencies."""
from datetime import timedelta

import pytest
from factories import act, receive, user, vn

from onestop import settings, workflow
from onestop.errors import Conflict, PermissionDenied, StaleVersion, ValidationError
from onestop.extensions import db
from onestop.models import DossierEvent
from onestop.timeutil import local

T0 = vn(2026, 11, 19, 9, 0)  # Thursday
LATER = vn(2026, 11, 19, 10, 0)

# How to bring a dossier of 1.009994 (centre → Sở Xây dựng, 15 days, restart) into each status.
PATHS = {
    "submitted": [],
    "received": [],
    "processing": [("forward", "tiepnhan", {})],
    "supplement_requested": [("forward", "tiepnhan", {}),
                             ("request_supplement", "chuyenvien", {"reason": "Thiếu bản vẽ"})],
    "awaiting_payment": [("forward", "tiepnhan", {}), ("request_payment", "chuyenvien", {"amount": 50000})],
    "result_ready": [("forward", "tiepnhan", {}), ("complete", "chuyenvien", {})],
    "returned": [("forward", "tiepnhan", {}), ("complete", "chuyenvien", {}),
                 ("return", "tiepnhan", {"collected_by": "Nguyễn Văn Đức"})],
    "stopped": [("forward", "tiepnhan", {}), ("stop", "chuyenvien", {"reason": "Không đủ điều kiện"})],
    "withdrawn": [("withdraw", "tiepnhan", {"reason": "Công dân xin rút"})],
    "not_accepted": [("refuse", "tiepnhan", {"reason": "Không thuộc thẩm quyền"})],
}
ONLINE_FIRST = {"submitted", "not_accepted"}


def dossier_in(status):
    d = receive("1.009994", at=T0, channel="online" if status in ONLINE_FIRST else "counter")
    for action, who, params in PATHS[status]:
        act(d, action, who, at=T0 + timedelta(minutes=5), **params)
    assert d.status == status
    return d


def params_for(action, dossier):
    if action == "forward" and dossier.status == "processing":
        return {"to_agency": "000.00.22.H56", "reason": "Xin ý kiến của Sở Tài nguyên và Môi trường"}
    return {
        "refuse": {"reason": "Hồ sơ không hợp lệ"},
        "request_supplement": {"reason": "Thiếu giấy tờ", "documents": ["Bản vẽ thiết kế"]},
        "request_payment": {"amount": 100000},
        "stop": {"reason": "Không đủ điều kiện cấp phép"},
        "return": {"collected_by": "Nguyễn Văn Đức"},
        "withdraw": {"reason": "Công dân rút hồ sơ"},
        "apologize": {"reason": "Cần xác minh thêm",
                      "new_due_at": dossier.due_at + timedelta(days=3) if dossier.due_at else None},
        "reassign": {"assignee": "chuyenvien"},
        "ask_completion": {"reason": "Ảnh chụp bị mờ", "documents": ["Bản vẽ thiết kế"]},
    }.get(action, {})


def actor_for(action, status):
    if action == "reassign":
        return "lanhdao"
    if action in ("accept", "refuse", "return", "supplement_received", "payment_received", "withdraw",
                  "ask_completion"):
        return "tiepnhan"
    if action in ("forward", "apologize") and status in ("submitted", "received"):
        return "tiepnhan"
    return "chuyenvien"


ALL = [(s, a) for s in PATHS for a in workflow.ACTIONS]
ALLOWED = [(s, a) for s, a in ALL if workflow.allowed_from(a, s)]
REFUSED = [(s, a) for s, a in ALL if not workflow.allowed_from(a, s)]
EXPECTED_TARGET = {
    "accept": "received", "refuse": "not_accepted", "forward": "processing",
    "request_supplement": "supplement_requested", "supplement_received": "processing",
    "request_payment": "awaiting_payment", "payment_received": "processing", "stop": "stopped",
    "complete": "result_ready", "return": "returned", "withdraw": "withdrawn",
}


def test_the_table_covers_the_lifecycle():
    assert len(ALLOWED) == 27
    assert {s for s, _ in ALLOWED} == {"submitted", "received", "processing", "supplement_requested",
                                       "awaiting_payment", "result_ready", "stopped"}


@pytest.mark.parametrize("status, action", ALLOWED)
def test_allowed_transition(demo, status, action):
    d = dossier_in(status)
    before_events = len(d.events)
    version = d.version
    event = workflow.perform(d, action, actor=user(actor_for(action, status)), version=d.version,
                             now=LATER, **params_for(action, d))
    db.session.commit()
    # a stopped dossier's written answer is handed over at the desk and the dossier stays stopped
    expected = status if (status, action) == ("stopped", "return") else EXPECTED_TARGET.get(action, status)
    assert d.status == expected
    assert d.version == version + 1
    assert len(d.events) == before_events + 1
    assert event.action == action and event.status_from == status and event.status_to == d.status


@pytest.mark.parametrize("status, action", REFUSED)
def test_refused_transition(demo, status, action):
    d = dossier_in(status)
    version, events = d.version, len(d.events)
    with pytest.raises(Conflict):
        workflow.perform(d, action, actor=user("tiepnhan"), version=d.version, now=LATER, **params_for(action, d))
    db.session.rollback()
    db.session.refresh(d)
    assert (d.status, d.version, len(d.events)) == (status, version, events)


def test_intake_computes_code_appointment_and_steps(demo):
    d = receive("1.004227", at=vn(2026, 11, 20, 16, 0))
    assert d.code == "000.00.17.H56-261120-0001"
    assert len(d.lookup_key) == 8
    # 25 working days from Friday 16:00, skipping 24/11 (holiday): Monday 28/12 16:00.
    assert local(d.due_at).strftime("%d/%m/%Y %H:%M") == "28/12/2026 16:00"
    route = [s for s in d.steps if s.kind == "route"]
    # Sở TN&MT's 20 days end 5 working days before the appointment.
    assert local(route[0].due_at).strftime("%d/%m/%Y %H:%M") == "21/12/2026 16:00"
    assert route[1].due_at == d.due_at
    # Paper received after 15:00: handed over in the first working hour of Monday.
    assert local(d.handover_due_at).replace(tzinfo=None) == vn(2026, 11, 23, 8, 0).replace(tzinfo=None)
    second = receive("1.004227", at=vn(2026, 11, 20, 16, 5))
    assert second.code == "000.00.17.H56-261120-0002"


def test_same_day_and_hourly_procedures(demo):
    morning = receive("2.000815", at=vn(2026, 11, 23, 9, 0), clerk="tiepnhan.phuloc")
    late = receive("2.000815", at=vn(2026, 11, 23, 15, 30), clerk="tiepnhan.phuloc")
    hourly = receive("2.000986", at=vn(2026, 11, 23, 15, 0), clerk="tiepnhan.phuloc")
    assert local(morning.due_at).strftime("%d/%m %H:%M") == "23/11 17:00"
    assert local(late.due_at).strftime("%d/%m %H:%M") == "25/11 17:00"
    assert local(hourly.due_at).strftime("%d/%m %H:%M") == "25/11 09:00"


def test_restart_policy_counts_the_whole_time_again(demo):
    d = receive("1.009994", at=vn(2026, 11, 2, 9, 0))  # Monday; 15 days → 23/11 09:00
    assert local(d.due_at).strftime("%d/%m %H:%M") == "23/11 09:00"
    act(d, "forward", "tiepnhan", at=vn(2026, 11, 2, 10, 0))
    act(d, "request_supplement", "chuyenvien", at=vn(2026, 11, 4, 9, 0), reason="Thiếu bản vẽ")
    assert d.paused_at is not None
    act(d, "supplement_received", "tiepnhan", at=vn(2026, 11, 16, 14, 0))
    # Restart from zero on 16/11 14:00: 15 working days, 24/11 off → 08/12 14:00.
    assert local(d.due_at).strftime("%d/%m/%Y %H:%M") == "08/12/2026 14:00"
    assert d.current_step.due_at == d.due_at


def test_pause_policy_extends_by_the_waiting_time(demo):
    d = receive("1.004227", at=vn(2026, 11, 2, 9, 0))  # 25 days (24/11 off) → 08/12 09:00
    assert local(d.due_at).strftime("%d/%m %H:%M") == "08/12 09:00"
    step_due = d.steps[1].due_at
    act(d, "forward", "tiepnhan", at=vn(2026, 11, 2, 10, 0))
    act(d, "request_supplement", "chuyenvien.tnmt", at=vn(2026, 11, 4, 9, 0), reason="Thiếu kết quả phân tích")
    act(d, "supplement_received", "tiepnhan", at=vn(2026, 11, 6, 9, 0))
    # Waited 2 working days: appointment and the open steps move 2 working days later.
    assert local(d.due_at).strftime("%d/%m %H:%M") == "10/12 09:00"
    assert local(d.steps[1].due_at) == local(step_due) + timedelta(days=2)


def test_second_supplement_request_counts_late(demo):
    settings.update(user("admin"), {"supplement_max_requests": "2"})  # a province that allows a second one
    d = receive("1.009994", at=vn(2026, 11, 2, 9, 0))
    act(d, "forward", "tiepnhan", at=vn(2026, 11, 2, 10, 0))
    for day in (3, 5):
        act(d, "request_supplement", "chuyenvien", at=vn(2026, 11, day, 9, 0), reason="Thiếu")
        act(d, "supplement_received", "tiepnhan", at=vn(2026, 11, day, 10, 0))
    act(d, "complete", "chuyenvien", at=vn(2026, 11, 6, 9, 0))
    assert d.finish_state == "late"


def test_single_apology_before_the_deadline(demo):
    d = receive("1.009994", at=vn(2026, 11, 2, 9, 0))
    act(d, "forward", "tiepnhan", at=vn(2026, 11, 2, 10, 0))
    new_due = d.due_at + timedelta(days=7)  # the same time of day, a week later: a working moment
    act(d, "apologize", "chuyenvien", at=vn(2026, 11, 19, 9, 0), reason="Cần xác minh thực địa",
        new_due_at=new_due)
    assert d.due_at == new_due and d.original_due_at is not None
    with pytest.raises(Conflict, match="một lần"):
        workflow.perform(d, "apologize", actor=user("chuyenvien"), version=d.version, now=vn(2026, 11, 20, 9, 0),
                         reason="Lần nữa", new_due_at=new_due + timedelta(days=2))
    db.session.rollback()
    act(d, "complete", "chuyenvien", at=vn(2026, 11, 25, 9, 0))
    assert d.finish_state == "late"  # an apology still counts as late


def test_apology_after_the_deadline_is_refused(demo):
    d = receive("1.009994", at=vn(2026, 11, 2, 9, 0))
    act(d, "forward", "tiepnhan", at=vn(2026, 11, 2, 10, 0))
    with pytest.raises(Conflict, match="quá hạn"):
        workflow.perform(d, "apologize", actor=user("chuyenvien"), version=d.version, now=vn(2026, 11, 23, 10, 0),
                         reason="Muộn", new_due_at=vn(2026, 11, 30, 9, 0))


def test_apology_needs_a_later_date(demo):
    d = receive("1.009994", at=vn(2026, 11, 2, 9, 0))
    act(d, "forward", "tiepnhan", at=vn(2026, 11, 2, 10, 0))
    with pytest.raises(ValidationError) as err:
        workflow.perform(d, "apologize", actor=user("chuyenvien"), version=d.version, now=vn(2026, 11, 10, 9, 0),
                         reason="Lý do", new_due_at=vn(2026, 11, 12, 9, 0))
    assert err.value.field == "new_due_at"


def test_stale_version_is_refused_and_nothing_changes(demo):
    d = receive("1.009994", at=T0)
    stale = d.version
    act(d, "forward", "tiepnhan", at=LATER)
    with pytest.raises(StaleVersion, match="người khác"):
        workflow.perform(d, "request_payment", actor=user("chuyenvien"), version=stale, now=LATER, amount=1000)
    db.session.rollback()
    assert d.status == "processing"


def test_concurrent_update_loses_nothing(app, demo):
    """Another session commits between our read and our write: our flush is refused."""
    import sqlalchemy as sa
    from sqlalchemy.orm import Session

    from onestop.models import Dossier

    d = receive("1.009994", at=T0)
    act(d, "forward", "tiepnhan", at=LATER)
    version = d.version
    with Session(db.engine) as other:
        other.execute(sa.update(Dossier).where(Dossier.id == d.id).values(version=Dossier.version + 1,
                                                                          note="changed elsewhere"))
        other.commit()
    with pytest.raises(StaleVersion):
        workflow.perform(d, "stop", actor=user("chuyenvien"), version=version, now=LATER, reason="Không đạt")
    db.session.rollback()
    db.session.refresh(d)
    assert d.status == "processing" and d.note == "changed elsewhere"


@pytest.mark.parametrize("username, action, params", [
    ("chuyenvien.tp", "forward", {}),                 # specialist of an agency not on the route
    ("tiepnhan.tanphu", "forward", {}),               # clerk of another desk
    ("chuyenvien", "return", {"collected_by": "A"}),  # specialist may not return results
    ("admin", "forward", {}),                         # admins configure, they do not process
])
def test_role_and_agency_refusals(demo, username, action, params):
    d = receive("1.009994", at=T0)
    with pytest.raises(PermissionDenied):
        workflow.perform(d, action, actor=user(username), version=d.version, now=LATER, **params)


def test_specialist_of_the_next_agency_cannot_act_before_the_handover(demo):
    d = receive("1.004227", at=T0)
    act(d, "forward", "tiepnhan", at=LATER)
    with pytest.raises(PermissionDenied):
        workflow.perform(d, "complete", actor=user("chuyenvien"), version=d.version, now=LATER)


def test_clerk_cannot_receive_for_another_agency(demo):
    with pytest.raises(PermissionDenied):
        receive("1.009994", at=T0, clerk="tiepnhan.tanphu")
    assert db.session.query(DossierEvent).count() == 0


def test_invalid_applicant_saves_nothing(demo):
    from factories import APPLICANT

    with pytest.raises(ValidationError) as err:
        receive("1.009994", at=T0, applicant=dict(APPLICANT, id_number="12345"))
    assert err.value.field == "applicant.id_number"
    assert "12 chữ số" in err.value.message
    db.session.rollback()
    assert db.session.query(DossierEvent).count() == 0


def test_online_submission_in_the_future_is_refused(demo):
    with pytest.raises(ValidationError) as err:
        workflow.intake(actor=user("tiepnhan"), procedure=__import__("factories").procedure("1.009994"),
                        applicant=dict(__import__("factories").APPLICANT), channel="online",
                        received_at=vn(2030, 1, 1, 9, 0), now=T0)
    assert err.value.field == "received_at"


def test_forward_outside_the_route_needs_a_reason(demo):
    d = receive("1.009994", at=T0)
    act(d, "forward", "tiepnhan", at=LATER)
    with pytest.raises(ValidationError):
        workflow.perform(d, "forward", actor=user("chuyenvien"), version=d.version, now=LATER,
                         to_agency="000.00.22.H56")
    db.session.rollback()
    act(d, "forward", "chuyenvien", at=LATER, to_agency="000.00.22.H56", reason="Xin ý kiến về môi trường")
    assert d.current_agency.identifier == "000.00.22.H56"
    assert d.current_step.kind == "extra"


def test_complete_with_steps_remaining_is_refused(demo):
    d = receive("1.004227", at=T0)
    act(d, "forward", "tiepnhan", at=LATER)
    with pytest.raises(Conflict):
        workflow.perform(d, "complete", actor=user("chuyenvien.tnmt"), version=d.version, now=LATER)


def test_late_step_is_attributed_to_its_agency(demo):
    d = receive("1.004227", at=vn(2026, 11, 2, 9, 0))
    act(d, "forward", "tiepnhan", at=vn(2026, 11, 2, 9, 30))
    # Sở TN&MT's share ended 01/12 09:00; it hands over on 02/12.
    act(d, "forward", "chuyenvien.tnmt", at=vn(2026, 12, 2, 9, 0))
    act(d, "complete", "chuyenvien", at=vn(2026, 12, 3, 9, 0))
    results = {s.agency.identifier: s.result for s in d.steps if s.kind == "route"}
    assert results == {"000.00.22.H56": "late", "000.00.21.H56": "early"}
    assert d.finish_state == "early"
