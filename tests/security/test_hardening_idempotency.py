"""Issue 17, item 8: a double-submitted intake form or a retried API call creates one dossier, not two."""
from __future__ import annotations

import re
import threading

import pytest
from factories import APPLICANT, documents_of, procedure, user

from onestop import accounts
from onestop.extensions import db
from onestop.models import Dossier, DossierEvent

SECOND_PASSWORD = "quầy số hai trung tâm"


def second_clerk():
    """Another clerk at the same desk (the centre)."""
    clerk = accounts.create_user("tiepnhan2", role="clerk", agency_identifier="000.00.17.H56",
                                 full_name="Lê Thị Quầy Hai", password=SECOND_PASSWORD)
    db.session.commit()
    return clerk


def dossiers() -> int:
    db.session.expire_all()
    return db.session.execute(db.select(db.func.count(Dossier.id))).scalar_one()


def intake_form(client, code="1.009994") -> dict:
    """The intake page's fields as a browser would post them (accept), with the page's one-time token."""
    page = client.get(f"/reception/intake?procedure={code}").get_data(as_text=True)
    token = re.search(r'name="intake_token" value="([^"]+)"', page).group(1)
    data = {"intake_token": token, "procedure_code": code, "outcome": "accept", "channel": "counter",
            "fee": "0", "sets": "1", "full_name": APPLICANT["full_name"], "id_number": APPLICANT["id_number"],
            "phone": APPLICANT["phone"], "email": APPLICANT["email"], "address": APPLICANT["address"]}
    for i, doc in enumerate(procedure(code).documents):
        data.update({f"documents-{i}-received": "y", f"documents-{i}-name": doc.name,
                     f"documents-{i}-originals": str(doc.originals), f"documents-{i}-copies": str(doc.copies),
                     f"documents-{i}-certified_copies": "0"})
    return data


def test_the_same_intake_form_posted_twice_creates_one_dossier(client, auth, demo):
    auth.login("tiepnhan")
    data = intake_form(client)
    first = client.post("/reception/intake?procedure=1.009994", data=data)
    assert first.status_code == 302, first.get_data(as_text=True)[:500]
    code = db.session.execute(db.select(Dossier.code)).scalar_one()
    second = client.post("/reception/intake?procedure=1.009994", data=data)
    assert second.status_code == 302 and second.headers["Location"] == f"/reception/dossiers/{code}"
    page = client.get(second.headers["Location"]).get_data(as_text=True)
    assert f"Hồ sơ {code} đã được tiếp nhận từ biểu mẫu này; không tạo thêm hồ sơ." in page
    assert dossiers() == 1
    # A new form (a new token) is a new dossier, once the clerk confirms it is not the same one again.
    again = client.post("/reception/intake?procedure=1.009994", data=intake_form(client))
    assert again.status_code == 409 and dossiers() == 1
    confirmed = dict(intake_form(client), confirm_duplicate=code)
    assert client.post("/reception/intake?procedure=1.009994", data=confirmed).status_code == 302
    assert dossiers() == 2


def test_a_refused_post_does_not_use_up_the_token(client, auth, demo):
    auth.login("tiepnhan")
    data = intake_form(client)
    bad = client.post("/reception/intake?procedure=1.009994", data={**data, "id_number": "12"})
    assert bad.status_code == 422 and f'value="{data["intake_token"]}"' in bad.get_data(as_text=True)
    preview = client.post("/reception/intake?procedure=1.009994", data={**data, "outcome": "preview"})
    assert f'value="{data["intake_token"]}"' in preview.get_data(as_text=True)  # kept through the preview
    assert dossiers() == 0
    assert client.post("/reception/intake?procedure=1.009994", data=data).status_code == 302
    assert dossiers() == 1


def test_another_clerk_with_the_same_token_is_another_request(app, client, auth, demo):
    auth.login("tiepnhan")
    data = intake_form(client)
    assert client.post("/reception/intake?procedure=1.009994", data=data).status_code == 302
    second_clerk()
    other = app.test_client()
    other.post("/auth/login", data={"username": "tiepnhan2", "password": SECOND_PASSWORD})
    code = db.session.execute(db.select(Dossier.code)).scalar_one()
    # the second clerk's request is not the first one replayed: it meets the duplicate check instead
    assert other.post("/reception/intake?procedure=1.009994", data=data).status_code == 409
    assert other.post("/reception/intake?procedure=1.009994",
                      data=dict(data, confirm_duplicate=code)).status_code == 302
    assert dossiers() == 2


# -- the API: Idempotency-Key --------------------------------------------------------------------

@pytest.fixture
def api(client, demo):
    _, raw = accounts.create_token(user("tiepnhan"))
    _, other = accounts.create_token(second_clerk())
    db.session.commit()
    body = {"procedure_code": "1.009994", "applicant": dict(APPLICANT), "channel": "counter",
            "documents": documents_of(procedure("1.009994"))}

    def post(path, json, key=None, token=raw):
        headers = {"Authorization": f"Bearer {token}"}
        if key is not None:
            headers["Idempotency-Key"] = key
        return client.post("/api/v1" + path, json=json, headers=headers)

    post.body, post.other = body, other
    return post


def test_a_retried_intake_gets_the_first_answer(api):
    first = api("/dossiers", api.body, key="3f6c1a9e-intake-1")
    again = api("/dossiers", api.body, key="3f6c1a9e-intake-1")
    assert first.status_code == again.status_code == 201
    assert again.get_json() == first.get_json()
    assert again.headers["Location"] == first.headers["Location"]
    assert again.headers["Idempotent-Replayed"] == "true" and "Idempotent-Replayed" not in first.headers
    assert dossiers() == 1
    assert api("/dossiers", api.body).status_code == 201, "without a key every post is a new intake"
    assert dossiers() == 2


def test_the_same_key_with_another_body_is_refused(api):
    assert api("/dossiers", api.body, key="k-1").status_code == 201
    changed = dict(api.body, channel="postal")
    r = api("/dossiers", changed, key="k-1")
    assert r.status_code == 422 and r.get_json()["error"]["code"] == "idempotency_key_reused"
    assert dossiers() == 1


def test_keys_belong_to_their_user(api):
    first = api("/dossiers", api.body, key="shared-key")
    second = api("/dossiers", api.body, key="shared-key", token=api.other)
    assert first.status_code == second.status_code == 201
    assert first.get_json()["code"] != second.get_json()["code"]


@pytest.mark.parametrize("key", ["", "x" * 201, "khóa-có-dấu"])
def test_malformed_keys_are_refused(api, key):
    r = api("/dossiers", api.body, key=key.encode().decode("latin-1"))
    assert r.status_code == 400 and "Idempotency-Key" in r.get_json()["error"]["message"]
    assert dossiers() == 0


def test_a_retried_action_acts_once(api):
    created = api("/dossiers", api.body).get_json()
    action = {"action": "forward", "version": created["version"]}
    first = api(f"/dossiers/{created['code']}/actions", action, key="fwd-1")
    again = api(f"/dossiers/{created['code']}/actions", action, key="fwd-1")
    assert first.status_code == again.status_code == 200 and again.get_json() == first.get_json()
    forwards = db.session.execute(db.select(db.func.count(DossierEvent.id)).filter_by(action="forward"))
    assert forwards.scalar_one() == 1
    # The key names that request only: reused on another dossier's path it is refused.
    other = api("/dossiers", api.body).get_json()
    r = api(f"/dossiers/{other['code']}/actions", {"action": "forward", "version": other["version"]}, key="fwd-1")
    assert r.status_code == 422


def test_a_failed_first_try_leaves_the_key_free(api):
    bad = api("/dossiers", dict(api.body, channel="pigeon"), key="k-2")
    assert bad.status_code == 422
    assert api("/dossiers", dict(api.body, channel="pigeon"), key="k-2").status_code == 422
    assert dossiers() == 0


def test_two_copies_at_the_same_moment_create_one_dossier(app, demo):
    """The retry arrives while the first request is still working: it waits for it and answers the same."""
    _, raw = accounts.create_token(user("tiepnhan"))
    db.session.commit()
    body = {"procedure_code": "1.009994", "applicant": dict(APPLICANT), "channel": "counter",
            "documents": documents_of(procedure("1.009994"))}
    start, answers = threading.Barrier(2), []

    def send():
        client = app.test_client()
        start.wait()
        r = client.post("/api/v1/dossiers", json=body,
                        headers={"Authorization": f"Bearer {raw}", "Idempotency-Key": "same-moment"})
        answers.append((r.status_code, (r.get_json() or {}).get("code")))

    threads = [threading.Thread(target=send) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert dossiers() == 1
    created = [code for status, code in answers if status == 201]
    assert created and len(set(created)) == 1
    assert all(status in (201, 503) for status, _ in answers), answers  # 503: SQLite's single writer, retry
