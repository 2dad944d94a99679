"""Every staff route refuses anonymous visitors, and every dossier route refuses another agency's staff."""
from __future__ import annotations

import pytest
from factories import user
from securitykit import STAFF_ROUTES, is_public, leaks, readable, routes

from onestop import accounts
from onestop.extensions import db

OUTSIDERS = ("chuyenvien.tp", "tiepnhan.tanphu", "chuyenvien.tnmt")
DOSSIER_ROUTES = [r for r in STAFF_ROUTES if "<code>" in r[0] or "<path:code>" in r[0] or "attachment_id" in r[0]]
DOSSIER_ROUTES = [r for r in DOSSIER_ROUTES if not r[2].startswith("admin.")]


def call(client, method: str, url: str, headers=None):
    return client.open(url, method=method, headers=headers or {}, data={} if method == "POST" else None)


def test_the_route_lists_cover_every_blueprint():
    """Guard against an empty parametrization: new blueprints' routes are picked up automatically."""
    prefixes = {rule.split("/")[1] for rule, _, _ in STAFF_ROUTES}
    assert {"reception", "processing", "reports", "admin", "api", "about"} <= prefixes
    assert {"reception.dossier", "processing.dossier", "api.get_dossier", "api.dossier_action"} <= {
        e for _, _, e in DOSSIER_ROUTES}
    public = [r for r, _, _ in routes() if is_public(r)]
    assert "/api/v1/lookup/<code>" in public and "/api/v1/dossiers/<code>" not in public


def test_home_sends_visitors_to_the_public_lookup(client, case):
    r = client.get("/")
    assert r.status_code == 302 and r.headers["Location"].endswith("/lookup/")


@pytest.mark.parametrize(("rule", "method", "endpoint"), STAFF_ROUTES, ids=[f"{m} {r}" for r, m, _ in STAFF_ROUTES])
def test_anonymous_visitors_are_refused(client, case, rule, method, endpoint):
    before = case.state()
    r = call(client, method, case.url(rule, endpoint))
    if rule.startswith("/api/"):
        assert r.status_code == 401
        assert r.get_json()["error"]["code"]
    else:
        assert r.status_code in (302, 401, 403), r.status_code
        if r.status_code == 302:
            assert "/auth/login" in r.headers["Location"]
    assert not leaks(r)
    assert case.state() == before


@pytest.mark.parametrize("outsider", OUTSIDERS)
@pytest.mark.parametrize(("rule", "method", "endpoint"), DOSSIER_ROUTES,
                         ids=[f"{m} {r}" for r, m, _ in DOSSIER_ROUTES])
def test_staff_of_another_agency_cannot_reach_the_dossier(client, auth, case, rule, method, endpoint, outsider):
    """IDOR: a Sở XD dossier (received at the centre) opened by Sở Tư pháp, a district desk, Sở TN&MT."""
    before = case.state()
    url = case.url(rule, endpoint)
    if rule.startswith("/api/"):
        _, raw = accounts.create_token(user(outsider), "idor")
        db.session.commit()
        r = call(client, method, url, headers={"Authorization": f"Bearer {raw}"})
        assert r.status_code in (403, 404), (r.status_code, r.get_json())
        assert r.is_json and r.get_json()["error"]["code"]
    else:
        auth.login(outsider)
        r = call(client, method, url)
        assert r.status_code in (403, 404), r.status_code
    assert not leaks(r)  # the code itself may be echoed back (it is in the URL asked for)
    assert case.state() == before


@pytest.mark.parametrize("outsider", OUTSIDERS)
def test_lists_and_exports_of_another_agency_do_not_show_the_dossier(client, auth, case, outsider):
    """Every staff GET page without arguments (inboxes, queues, registers, reports, exports) as an outsider."""
    auth.login(outsider)
    _, raw = accounts.create_token(user(outsider), "lists")
    db.session.commit()
    seen = 0
    for rule, method, _ in STAFF_ROUTES:
        if method != "GET" or "<" in rule:
            continue
        headers = {"Authorization": f"Bearer {raw}"} if rule.startswith("/api/") else {}
        r = client.get(rule, headers=headers)
        assert r.status_code < 500, rule
        if r.status_code == 200:
            seen += 1
            assert not leaks(r), rule
            assert case.code not in readable(r), rule
    assert seen >= 2


def test_the_holding_agency_does_reach_it(client, auth, case):
    """The same URLs work for the right people, so the refusals above are about who asks."""
    auth.login("chuyenvien")
    assert client.get(f"/processing/dossiers/{case.code}").status_code == 200
    auth.logout()
    auth.login("tiepnhan")
    assert client.get(f"/reception/dossiers/{case.code}").status_code == 200
    assert client.get(f"/reception/files/{case.attachment_id}").status_code == 200
