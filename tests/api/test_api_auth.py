"""Bearer tokens: who may call what, and the 401/403/404/409 answers integrators rely on."""
from __future__ import annotations

import pytest
from conftest import PREFIX, intake_body
from factories import receive, user

from onestop import accounts
from onestop.extensions import db
from onestop.models import ApiToken, Dossier


@pytest.mark.parametrize(("method", "path"), [
    ("get", "/dossiers"),
    ("post", "/dossiers"),
    ("get", "/dossiers/000.00.17.H56-261121-0001"),
    ("post", "/dossiers/000.00.17.H56-261121-0001/actions"),
    ("get", "/dossiers/000.00.17.H56-261121-0001/receipt.pdf"),
])
def test_staff_endpoints_need_a_token(api, method, path):
    response = getattr(api.client, method)(PREFIX + path, json={})
    assert response.status_code == 401
    assert response.get_json()["error"]["code"] == "unauthorized"
    assert response.get_json()["error"]["message"]
    assert response.headers["WWW-Authenticate"].startswith("Bearer")
    wrong = getattr(api.client, method)(PREFIX + path, json={}, headers={"Authorization": "Bearer os_not-a-token"})
    assert wrong.status_code == 401
    basic = getattr(api.client, method)(PREFIX + path, json={}, headers={"Authorization": "Basic dGllcG5oYW46eA=="})
    assert basic.status_code == 401


@pytest.mark.parametrize("path", ["/openapi.json", "/procedures"])
def test_public_endpoints_need_no_token(api, path):
    assert api.get(path).status_code == 200


def test_signed_in_session_is_not_a_token(api, auth):
    auth.login("tiepnhan")
    assert api.get("/dossiers").status_code == 401


def test_revoked_token_stops_working(api):
    raw = api.token("tiepnhan")
    assert api.get("/dossiers", as_="tiepnhan").status_code == 200
    token = db.session.execute(db.select(ApiToken).filter_by(token_hash=accounts.hash_token(raw))).scalar_one()
    assert token.last_used_at is not None
    accounts.revoke_token(token)
    db.session.commit()
    response = api.get("/dossiers", as_="tiepnhan")
    assert response.status_code == 401


def test_token_of_a_deactivated_user_stops_working(api):
    api.token("chuyenvien")
    user("chuyenvien").active = False
    db.session.commit()
    assert api.get("/dossiers", as_="chuyenvien").status_code == 401


def test_token_from_the_cli_acts_as_its_user(api, runner):
    result = runner.invoke(args=["onestop", "token", "create", "tiepnhan"])
    assert result.exit_code == 0
    raw = result.output.strip()
    response = api.client.post(PREFIX + "/dossiers", json=intake_body(),
                               headers={"Authorization": f"Bearer {raw}"})
    assert response.status_code == 201
    assert response.get_json()["history"][0]["by"]["username"] == "tiepnhan"


@pytest.mark.parametrize("username", ["chuyenvien", "lanhdao.tnmt", "admin"])
def test_only_clerks_receive_dossiers(api, username):
    response = api.post("/dossiers", intake_body(), as_=username)
    assert response.status_code == 403
    assert response.get_json()["error"]["code"] == "forbidden"
    assert db.session.execute(db.select(db.func.count(Dossier.id))).scalar_one() == 0


def test_clerk_of_another_desk_cannot_receive_this_procedure(api):
    response = api.post("/dossiers", intake_body(), as_="tiepnhan.tanphu")
    assert response.status_code == 403
    assert "tiếp nhận" in response.get_json()["error"]["message"]


def test_clerk_of_another_agency_cannot_see_or_act(api):
    d = api.intake()
    assert api.get(f"/dossiers/{d['code']}", as_="tiepnhan.tanphu").status_code == 403
    assert api.get(f"/dossiers/{d['code']}/receipt.pdf", as_="tiepnhan.tanphu").status_code == 403
    response = api.post(f"/dossiers/{d['code']}/actions", {"action": "forward", "version": d["version"]},
                        as_="tiepnhan.tanphu")
    assert response.status_code == 403
    assert api.get("/dossiers", as_="tiepnhan.tanphu").get_json()["items"] == []
    assert api.get(f"/dossiers/{d['code']}", as_="tiepnhan").get_json()["status"] == "received"


def test_wrong_role_for_the_action_is_403(api):
    d = api.act(api.intake(), "forward", "tiepnhan")
    # The desk clerk may not complete: that is the holding agency's job.
    assert api.act(d, "complete", "tiepnhan", expect=403)["error"]["code"] == "forbidden"
    # A specialist of the agency that does not hold the dossier may not act on it.
    assert api.act(d, "request_supplement", "chuyenvien.khdt", reason="x", expect=403)


def test_stale_version_is_409(api):
    d = api.intake()
    forwarded = api.act(d, "forward", "tiepnhan")
    stale = api.act(d, "withdraw", "tiepnhan", reason="Rút", expect=409)
    assert stale["error"]["code"] == "stale_version"
    assert "cập nhật" in stale["error"]["message"]
    again = api.get(f"/dossiers/{d['code']}", as_="tiepnhan").get_json()
    assert again["status"] == "processing" and again["version"] == forwarded["version"]


def test_action_not_allowed_in_status_is_409(api):
    d = api.intake()
    response = api.act(d, "return", "tiepnhan", collected_by="A", expect=409)
    assert response["error"]["code"] == "invalid_transition"


@pytest.mark.parametrize(("method", "path"), [
    ("get", "/dossiers/000.00.17.H56-991231-9999"),
    ("post", "/dossiers/000.00.17.H56-991231-9999/actions"),
    ("get", "/dossiers/000.00.17.H56-991231-9999/receipt.pdf"),
])
def test_unknown_code_is_404(api, method, path):
    kwargs = {"json": {"action": "forward", "version": 1}} if method == "post" else {}
    response = getattr(api, method)(path, as_="tiepnhan", **kwargs)
    assert response.status_code == 404
    assert response.get_json()["error"]["code"] == "not_found"


def test_specialist_sees_dossiers_their_agency_handled(api):
    d = api.act(api.intake(), "forward", "tiepnhan")
    assert api.get(f"/dossiers/{d['code']}", as_="chuyenvien").status_code == 403
    d = api.act(d, "forward", "chuyenvien.tnmt")
    assert api.get(f"/dossiers/{d['code']}", as_="chuyenvien").status_code == 200
    # The agency that passed it on still sees it, but may no longer act.
    seen = api.get(f"/dossiers/{d['code']}", as_="chuyenvien.tnmt").get_json()
    assert seen["available_actions"] == []


def test_dossier_received_outside_the_api_is_visible(api):
    dossier = receive("1.009994")
    response = api.get(f"/dossiers/{dossier.code}", as_="tiepnhan")
    assert response.status_code == 200
    assert response.get_json()["procedure"]["code"] == "1.009994"
