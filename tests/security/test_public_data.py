"""Whoever types a dossier code sees no personal data: lookup page and API, Open311."""
from __future__ import annotations

import pytest
from factories import APPLICANT
from securitykit import leaks

from onestop.extensions import db
from onestop.models import Dossier
from onestop.text import fold


@pytest.fixture
def key(case):
    return db.session.get(Dossier, case.dossier.id).lookup_key


def public_urls(code: str, key: str) -> list[str]:
    wrong = "ZZZZZZ" if key != "ZZZZZZ" else "YYYYYY"
    return [
        f"/lookup/{code}", f"/lookup/{code}?key={wrong}", f"/lookup/?code={code}",
        f"/lookup/{code}/feedback", f"/lookup/{code}/feedback?key={wrong}",
        f"/api/v1/lookup/{code}", f"/api/v1/lookup/{code}?key={wrong}",
        f"/open311/v2/requests/{code}.json", "/open311/v2/requests.json",
        "/open311/v2/requests.json?status=open", "/open311/v2/services.json", "/api/v1/procedures",
    ]


def test_without_the_key_nothing_personal_is_shown(client, case, key):
    seen = 0
    for url in public_urls(case.code, key):
        r = client.get(url, follow_redirects=True)
        assert r.status_code < 500, url
        assert not leaks(r), (url, leaks(r))
        seen += r.status_code == 200
    assert seen >= 6
    status = client.get(f"/api/v1/lookup/{case.code}").get_json()
    assert status["status"] == "processing", "the status itself is public"


def test_the_lookup_form_with_someone_elses_id_number_shows_nothing_personal(client, case):
    """The right ID number is a second factor (the citizen's own view); a guessed one reveals nothing."""
    for guess in ("001203009999", "0912345678", "Nguyễn Văn Đức"):
        r = client.post("/lookup/", data={"code": case.code, "key": guess}, follow_redirects=True)
        assert r.status_code < 500 and not leaks(r), guess


def test_with_the_key_only_the_name_is_shown_never_id_or_contacts(client, case, key):
    """The key on the receipt is the second factor: the applicant's name, but never ID, phone, email, address."""
    for url in (f"/api/v1/lookup/{case.code}?key={key}", f"/lookup/{case.code}?key={key}"):
        r = client.get(url)
        assert r.status_code == 200
        assert set(leaks(r)) <= {APPLICANT["full_name"], fold(APPLICANT["full_name"])}, (url, leaks(r))
