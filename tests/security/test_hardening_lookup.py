"""Issue 17, item 6: one guessing budget per address for every door, and a per-dossier count of wrong keys."""
from __future__ import annotations

import pytest
from factories import APPLICANT, act, receive

from onestop import citizen
from onestop.errors import NotFound
from onestop.extensions import db
from onestop.models import Feedback, LookupFailure

WRONG = "079099000111"


def returned():
    d = receive("1.009994")
    act(d, "forward", "tiepnhan")
    act(d, "complete", "chuyenvien")
    act(d, "return", "tiepnhan", collected_by=APPLICANT["full_name"])
    return d


def doors(client, d, key):
    """Every way of testing a key, in turn: page, search form, feedback page, lookup API, feedback API, Open311."""
    return [
        lambda: client.get(f"/lookup/{d.code}?key={key}"),
        lambda: client.post("/lookup/", data={"code": d.code, "key": key}),
        lambda: client.post(f"/lookup/{d.code}/feedback", data={"key": key, "rating": "satisfied"}),
        lambda: client.get(f"/api/v1/lookup/{d.code}?key={key}"),
        lambda: client.post(f"/api/v1/lookup/{d.code}/feedback", json={"key": key, "rating": "satisfied"}),
        lambda: client.get(f"/open311/v2/requests/{d.code}.json"),
    ]


@pytest.mark.config(RATELIMIT_ENABLED=True, ONESTOP_LOOKUP_LIMIT="6 per minute")
def test_every_door_draws_on_one_budget_per_address(client, demo):
    d = returned()
    assert [call().status_code for call in doors(client, d, WRONG)] == [404, 404, 404, 404, 404, 200]
    # The budget is spent: the right key is refused at every door, feedback included (the second budget is gone).
    for call in doors(client, d, d.lookup_key):
        assert call().status_code == 429
    assert db.session.scalar(db.select(db.func.count(Feedback.id))) == 0
    other = client.get(f"/api/v1/lookup/{d.code}?key={d.lookup_key}", environ_overrides={"REMOTE_ADDR": "10.9.8.7"})
    assert other.status_code == 200


@pytest.mark.config(RATELIMIT_ENABLED=True, ONESTOP_LOOKUP_LIMIT="100 per minute",
                    ONESTOP_LOOKUP_FAILURE_LIMIT="4 per hour")
def test_wrong_guesses_have_their_own_hourly_budget_across_doors(client, demo):
    d = returned()
    for _ in range(5):
        assert client.get(f"/lookup/{d.code}?key={d.lookup_key}").status_code == 200  # right keys cost nothing
    calls = doors(client, d, WRONG)
    assert [calls[i]().status_code for i in (0, 2, 3, 4)] == [404] * 4
    r = client.get(f"/lookup/{d.code}?key={d.lookup_key}")
    assert r.status_code == 429 and "Bạn đã tra cứu quá nhiều lần" in r.get_data(as_text=True)
    assert client.post(f"/api/v1/lookup/{d.code}/feedback",
                       json={"key": d.lookup_key, "rating": "satisfied"}).status_code == 429


@pytest.mark.config(ONESTOP_LOOKUP_ID_FAILURES=3)
def test_after_repeated_wrong_keys_only_the_printed_key_opens_the_dossier(client, demo):
    d = receive("1.009994")
    assert client.get(f"/api/v1/lookup/{d.code}?key={APPLICANT['id_number']}").get_json()["verified"] is True
    for guess in ("001203000001", "001203000002", "001203000003"):
        assert client.get(f"/lookup/{d.code}?key={guess}").status_code == 404
    assert citizen.failures_of(d) == 3
    # The right ID number now answers exactly like a wrong one, on every door.
    by_id = client.get(f"/lookup/{d.code}?key={APPLICANT['id_number']}")
    wrong = client.get(f"/lookup/{d.code}?key={WRONG}")
    assert by_id.status_code == wrong.status_code == 404
    assert by_id.get_data(as_text=True).replace(APPLICANT["id_number"], "X") == \
        wrong.get_data(as_text=True).replace(WRONG, "X")  # the typed key is only echoed in the language form
    assert client.post("/lookup/", data={"code": d.code, "key": APPLICANT["id_number"]}).status_code == 404
    assert client.get(f"/api/v1/lookup/{d.code}?key={APPLICANT['id_number']}").status_code == 404
    # The printed key still works, and clears the count: the applicant may use the ID number again.
    full = client.get(f"/lookup/{d.code}?key={d.lookup_key}")
    assert full.status_code == 200 and APPLICANT["full_name"] in full.get_data(as_text=True)
    assert citizen.failures_of(d) == 0
    assert client.get(f"/api/v1/lookup/{d.code}?key={APPLICANT['id_number']}").status_code == 200


def test_failures_are_counted_per_dossier_whatever_the_door(client, demo):
    d = returned()
    other = receive("1.009994")
    for call in doors(client, d, WRONG)[:5]:
        assert call().status_code == 404
    db.session.expire_all()
    assert citizen.failures_of(d) == 5 and citizen.failures_of(other) == 0
    assert db.session.get(LookupFailure, d.id).last_failed_at is not None


def test_wrong_keys_and_unknown_codes_look_alike_and_count_nothing_for_unknown_codes(client, demo):
    d = receive("1.009994")
    fake = d.code[:-4] + "9999"
    wrong = client.get(f"/api/v1/lookup/{d.code}?key={WRONG}")
    unknown = client.get(f"/api/v1/lookup/{fake}?key={WRONG}")
    assert wrong.status_code == unknown.status_code == 404 and wrong.get_json() == unknown.get_json()
    assert db.session.scalar(db.select(db.func.count()).select_from(LookupFailure)) == 1


@pytest.mark.config(ONESTOP_LOOKUP_ID_FAILURES=2)
def test_the_domain_rule(demo):
    d = receive("1.009994")
    for _ in range(2):
        with pytest.raises(NotFound):
            citizen.find_for_citizen(d.code, "SAI")
    with pytest.raises(NotFound):
        citizen.find_for_citizen(d.code, APPLICANT["id_number"])
    assert citizen.find_for_citizen(d.code, d.lookup_key.lower()).full
    assert citizen.find_for_citizen(d.code, APPLICANT["id_number"]).full
