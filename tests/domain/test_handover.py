"""Inter-agency hand-over: per-step due times, step results, supplements and apologies.

Expected times are worked out by hand: working hours 07:00-11:30 and 13:30-17:00 (8 h a day),
weekends off, and Tuesday 24/11/2026 (Ngày Văn hóa Việt Nam) is a holiday.
"""
import pytest
from factories import act, receive, user, vn

from onestop import workflow
from onestop.errors import Conflict, PermissionDenied
from onestop.models import DossierEvent
from onestop.timeutil import local


def steps_of(d):
    return [(s.agency.identifier, s.kind) for s in d.steps]


def route(d):
    return [s for s in d.steps if s.kind == "route"]


def test_two_agency_dossier_moves_desk_a_b_desk_returned(demo):
    # 1.004227: 25 working days, TN&MT 20 then XD 5; received Friday 20/11/2026 09:00.
    d = receive("1.004227", at=vn(2026, 11, 20, 9, 0))
    # Day 1 is 20/11; 24/11 is a holiday, so day 26 is Monday 28/12: 25 days after 09:00 on day 1.
    assert d.due_at == vn(2026, 12, 28, 9, 0)
    tnmt, xd = route(d)
    assert tnmt.due_at == vn(2026, 12, 21, 9, 0)  # five working days before the appointment
    assert xd.due_at == vn(2026, 12, 28, 9, 0)
    assert d.steps[0].due_at == vn(2026, 11, 20, 17, 0)  # received before 15:00: hand over today

    act(d, "forward", "tiepnhan", at=vn(2026, 11, 20, 10, 0))
    assert d.status == "processing" and d.current_agency.identifier == "000.00.22.H56"
    assert d.steps[0].result == "on_time"
    assert tnmt.started_at == vn(2026, 11, 20, 10, 0) and tnmt.given_by.username == "tiepnhan"

    # TN&MT is a day late: it hands over on Tuesday 22/12 after its 21/12 09:00 deadline.
    act(d, "forward", "chuyenvien.tnmt", at=vn(2026, 12, 22, 10, 0))
    assert tnmt.result == "late" and tnmt.handed_by.username == "chuyenvien.tnmt"
    assert d.current_agency.identifier == "000.00.21.H56"
    forward = d.events[-1]
    assert (forward.from_agency.identifier, forward.to_agency.identifier) == ("000.00.22.H56", "000.00.21.H56")
    assert forward.step_due_at == vn(2026, 12, 28, 9, 0) and forward.step_result == "late"

    act(d, "complete", "chuyenvien", at=vn(2026, 12, 23, 10, 0), note="Đã có kết quả")
    assert d.status == "result_ready" and d.current_agency.identifier == "000.00.17.H56"
    assert xd.result == "early"
    act(d, "return", "tiepnhan", at=vn(2026, 12, 24, 9, 0), collected_by="Nguyễn Văn Đức")
    assert d.status == "returned"
    # The dossier as a whole was early; the lateness belongs to TN&MT's step only.
    assert d.finish_state == "early"
    assert [s.result for s in d.steps] == ["on_time", "late", "early"]
    actions = [e.action for e in d.events]
    assert actions == ["intake", "forward", "forward", "complete", "return"]


def test_lateness_is_attributed_to_the_last_agency_when_it_is_late(demo):
    d = receive("1.004227", at=vn(2026, 11, 20, 9, 0))
    act(d, "forward", "tiepnhan", at=vn(2026, 11, 20, 10, 0))
    act(d, "forward", "chuyenvien.tnmt", at=vn(2026, 12, 1, 10, 0))
    act(d, "complete", "chuyenvien", at=vn(2026, 12, 29, 10, 0))
    tnmt, xd = route(d)
    assert (tnmt.result, xd.result) == ("early", "late")
    assert d.finish_state == "late"


def test_three_step_route_due_times(demo):
    # 1.010725: 30 days, XD 20 -> TN&MT 7 -> XD 3. 1/1/2027 is a holiday: day 31 is Tuesday 5/1/2027.
    d = receive("1.010725", at=vn(2026, 11, 20, 9, 0))
    assert d.due_at == vn(2027, 1, 5, 9, 0)
    first, second, third = route(d)
    assert [s.agency.identifier for s in (first, second, third)] == [
        "000.00.21.H56", "000.00.22.H56", "000.00.21.H56"]
    assert first.due_at == vn(2026, 12, 21, 9, 0)
    assert second.due_at == vn(2026, 12, 30, 9, 0)
    assert third.due_at == vn(2027, 1, 5, 9, 0)
    act(d, "forward", "tiepnhan", at=vn(2026, 11, 20, 10, 0))
    assert "complete" not in workflow.available_actions(user("chuyenvien"), d)
    act(d, "forward", "chuyenvien", at=vn(2026, 12, 18, 16, 0))
    act(d, "forward", "chuyenvien.tnmt", at=vn(2026, 12, 30, 10, 0))
    assert "complete" in workflow.available_actions(user("chuyenvien"), d)
    act(d, "complete", "lanhdao", at=vn(2027, 1, 5, 8, 0))
    assert [s.result for s in d.steps] == ["on_time", "early", "late", "on_time"]
    assert d.finish_state == "on_time"


def test_forward_outside_the_route_needs_a_reason(demo):
    d = receive("1.009994", at=vn(2026, 11, 20, 9, 0))
    act(d, "forward", "tiepnhan", at=vn(2026, 11, 20, 10, 0))
    from onestop.errors import ValidationError

    with pytest.raises(ValidationError):
        workflow.perform(d, "forward", actor=user("chuyenvien"), version=d.version,
                         now=vn(2026, 11, 23, 9, 0), to_agency="000.00.22.H56")
    act(d, "forward", "chuyenvien", at=vn(2026, 11, 23, 9, 0), to_agency="000.00.22.H56",
        reason="Xin ý kiến về môi trường")
    assert d.current_agency.identifier == "000.00.22.H56"
    assert d.events[-1].note == "Xin ý kiến về môi trường"


def test_supplement_under_restart_counts_again_from_zero(demo):
    # 1.009994: XD 15 days, restart policy. Received Friday 20/11 09:00: due Monday 14/12 09:00.
    d = receive("1.009994", at=vn(2026, 11, 20, 9, 0))
    assert d.due_at == vn(2026, 12, 14, 9, 0)
    act(d, "forward", "tiepnhan", at=vn(2026, 11, 20, 10, 0))
    act(d, "request_supplement", "chuyenvien", at=vn(2026, 11, 23, 10, 0),
        reason="Thiếu bản vẽ", documents=["Bản vẽ thiết kế xây dựng"])
    assert d.status == "supplement_requested"
    ev = d.events[-1]
    assert ev.data["documents"] == ["Bản vẽ thiết kế xây dựng"] and ev.note == "Thiếu bản vẽ"
    act(d, "supplement_received", "chuyenvien", at=vn(2026, 11, 27, 14, 0))
    # 15 full working days from Friday 27/11 14:00 (day 5): day 20 is Friday 18/12, 14:00.
    assert d.status == "processing"
    assert d.due_at == vn(2026, 12, 18, 14, 0)
    assert route(d)[0].due_at == vn(2026, 12, 18, 14, 0)


def test_supplement_under_pause_extends_by_the_time_waited(demo):
    # 1.004227 pauses: due 28/12 09:00, TN&MT's step 21/12 09:00.
    d = receive("1.004227", at=vn(2026, 11, 20, 9, 0))
    act(d, "forward", "tiepnhan", at=vn(2026, 11, 20, 10, 0))
    act(d, "request_supplement", "chuyenvien.tnmt", at=vn(2026, 11, 23, 10, 0),
        reason="Thiếu kết quả phân tích", documents=["Kết quả phân tích chất lượng nguồn nước"])
    act(d, "supplement_received", "tiepnhan", at=vn(2026, 11, 26, 10, 0))
    # Waited: 23/11 10:00-17:00 (5 h) + 25/11 (8 h) + 26/11 07:00-10:00 (3 h) = 16 h = 2 days.
    assert d.due_at == vn(2026, 12, 30, 9, 0)
    tnmt, xd = route(d)
    assert tnmt.due_at == vn(2026, 12, 23, 9, 0)
    assert xd.due_at == vn(2026, 12, 30, 9, 0)


def test_payment_pauses_the_clock(demo):
    d = receive("1.009994", at=vn(2026, 11, 20, 9, 0))
    act(d, "forward", "tiepnhan", at=vn(2026, 11, 20, 10, 0))
    act(d, "request_payment", "chuyenvien", at=vn(2026, 11, 25, 9, 0), amount=500000)
    assert d.status == "awaiting_payment" and d.payment_amount == 500000
    act(d, "payment_received", "chuyenvien", at=vn(2026, 11, 26, 9, 0))
    assert d.status == "processing"
    assert d.due_at == vn(2026, 12, 15, 9, 0)  # one working day later


def _at_xd(code="1.009994"):
    d = receive(code, at=vn(2026, 11, 20, 9, 0))
    act(d, "forward", "tiepnhan", at=vn(2026, 11, 20, 10, 0))
    return d


def test_apology_once_and_before_the_deadline(demo):
    d = _at_xd()
    act(d, "apologize", "chuyenvien", at=vn(2026, 12, 10, 9, 0), reason="Chờ ý kiến cơ quan phối hợp",
        new_due_at=vn(2026, 12, 21, 16, 0))
    assert d.original_due_at == vn(2026, 12, 14, 9, 0)
    assert d.due_at == vn(2026, 12, 21, 16, 0)
    assert d.apology_reason == "Chờ ý kiến cơ quan phối hợp"
    with pytest.raises(Conflict) as exc:
        workflow.perform(d, "apologize", actor=user("chuyenvien"), version=d.version,
                         now=vn(2026, 12, 11, 9, 0), reason="Lần hai", new_due_at=vn(2026, 12, 28, 16, 0))
    assert exc.value.code == "apology_used"
    assert "apologize" not in workflow.available_actions(user("chuyenvien"), d)
    act(d, "complete", "chuyenvien", at=vn(2026, 12, 18, 9, 0))
    assert d.finish_state == "late"  # an apology still counts as late


def test_apology_after_the_deadline_is_refused(demo):
    d = _at_xd()
    with pytest.raises(Conflict) as exc:
        workflow.perform(d, "apologize", actor=user("chuyenvien"), version=d.version,
                         now=vn(2026, 12, 14, 10, 0), reason="Trễ", new_due_at=vn(2026, 12, 21, 16, 0))
    assert exc.value.code == "apology_too_late"
    assert d.original_due_at is None


def test_stop_ends_the_dossier_with_the_reason(demo):
    d = _at_xd()
    act(d, "stop", "chuyenvien", at=vn(2026, 11, 25, 9, 0), reason="Không phù hợp quy hoạch")
    assert d.status == "stopped" and d.current_agency.identifier == "000.00.17.H56"
    assert d.events[-1].note == "Không phù hợp quy hoạch"


def test_leader_reassigns_within_the_agency_only(demo):
    d = _at_xd()
    assert "reassign" not in workflow.available_actions(user("chuyenvien"), d)
    act(d, "reassign", "lanhdao", at=vn(2026, 11, 20, 11, 0), assignee="chuyenvien")
    assert d.assignee.username == "chuyenvien"
    from onestop.errors import ValidationError

    with pytest.raises(ValidationError):
        workflow.perform(d, "reassign", actor=user("lanhdao"), version=d.version, assignee="chuyenvien.tnmt")


def test_other_agencies_cannot_act(demo):
    d = receive("1.004227", at=vn(2026, 11, 20, 9, 0))
    act(d, "forward", "tiepnhan", at=vn(2026, 11, 20, 10, 0))
    for name in ("chuyenvien.tp", "chuyenvien"):
        assert workflow.available_actions(user(name), d) == []
        with pytest.raises(PermissionDenied):
            workflow.perform(d, "forward", actor=user(name), version=d.version)


def test_history_records_every_hand_over(demo):
    d = _at_xd("1.004227")
    act(d, "forward", "chuyenvien.tnmt", at=vn(2026, 11, 30, 10, 0))
    rows = [(e.action, e.actor.username, local(e.at).date().isoformat()) for e in
            sorted(d.events, key=lambda e: e.id) if isinstance(e, DossierEvent)]
    assert rows == [("intake", "tiepnhan", "2026-11-20"), ("forward", "tiepnhan", "2026-11-20"),
                    ("forward", "chuyenvien.tnmt", "2026-11-30")]
