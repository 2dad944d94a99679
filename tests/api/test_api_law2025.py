"""Decree 118/2025 over the API: every refused action is a 409 (or 422/403) naming the rule, and changes nothing."""
from __future__ import annotations

from datetime import timedelta

from onestop.timeutil import now as utcnow
from onestop.timeutil import parse_iso


def _at_xd(api):
    d = api.intake("1.009994")
    return api.act(d, "forward", "tiepnhan")


def test_a_second_supplement_is_a_409_naming_the_rule(api):
    d = _at_xd(api)
    d = api.act(d, "request_supplement", "chuyenvien", reason="Thiếu bản vẽ", documents=["Bản vẽ"])
    d = api.act(d, "supplement_received", "tiepnhan")
    err = api.act(d, "request_supplement", "chuyenvien", expect=409, reason="Thiếu thêm")["error"]
    assert err["code"] == "supplement_limit" and "một lần" in err["message"]
    again = api.get(f"/dossiers/{d['code']}", as_="chuyenvien").get_json()
    assert again["version"] == d["version"] and again["supplement_count"] == 1


def test_an_apology_to_a_sunday_night_or_a_year_later_is_refused(api):
    d = _at_xd(api)
    due = parse_iso(d["due_at"])
    sunday = due + timedelta(days=(6 - due.weekday()) % 7 or 7)
    for moment in (sunday.replace(hour=3), due + timedelta(days=365)):
        err = api.act(d, "apologize", "chuyenvien", expect=422, reason="Chậm",
                      new_due_at=moment.isoformat())["error"]
        assert err["field"] == "new_due_at"
    assert api.get(f"/dossiers/{d['code']}", as_="chuyenvien").get_json()["original_due_at"] is None


def test_an_online_dossier_accepted_later_is_counted_from_acceptance(api):
    submitted_at = (utcnow() - timedelta(days=2)).isoformat()
    d = api.intake("1.009994", channel="online", accept=False, received_at=submitted_at)
    assert d["status"] == "submitted"
    accepted = api.act(d, "accept", "tiepnhan")
    assert parse_iso(accepted["received_at"]) > parse_iso(submitted_at) + timedelta(days=1)
    assert parse_iso(accepted["due_at"]) > parse_iso(d["due_at"])
    refused = api.intake("1.009994", channel="online", accept=False)
    refused = api.act(refused, "refuse", "tiepnhan", reason="Sai thẩm quyền")
    assert refused["status"] == "not_accepted" and refused["deadline_state"] is None


def test_a_desk_not_listed_for_the_procedure_gets_a_403(api):
    response = api.post("/dossiers", {"procedure_code": "1.009994", "channel": "counter",
                                      "applicant": {"full_name": "Lê Văn Tâm", "id_number": "079190001234",
                                                    "phone": "0987654321"}}, as_="tiepnhan.longbinh")
    assert response.status_code == 403
    assert response.get_json()["error"]["code"] == "not_a_receiving_desk"
