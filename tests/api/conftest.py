"""API fixtures: a JSON client that signs requests with a demo user's bearer token."""
from __future__ import annotations

import pytest
from factories import APPLICANT, documents_of, procedure, user

from onestop import accounts
from onestop.extensions import db

PREFIX = "/api/v1"


class ApiClient:
    """Calls /api/v1 as a named demo user (token created on first use), or anonymously."""

    def __init__(self, client):
        self.client = client
        self.tokens: dict[str, str] = {}

    def token(self, username: str) -> str:
        if username not in self.tokens:
            _, raw = accounts.create_token(user(username), "tests")
            db.session.commit()
            self.tokens[username] = raw
        return self.tokens[username]

    def headers(self, username: str | None) -> dict:
        return {"Authorization": f"Bearer {self.token(username)}"} if username else {}

    def get(self, path: str, as_: str | None = None, **kw):
        return self.client.get(PREFIX + path, headers=self.headers(as_), **kw)

    def post(self, path: str, json=None, as_: str | None = None, **kw):
        return self.client.post(PREFIX + path, json=json, headers=self.headers(as_), **kw)

    def intake(self, code: str = "1.004227", as_: str = "tiepnhan", **fields) -> dict:
        """Receive a dossier over the API and return its JSON (asserting 201)."""
        body = intake_body(code, **fields)
        response = self.post("/dossiers", body, as_=as_)
        assert response.status_code == 201, response.get_json()
        return response.get_json()

    def act(self, dossier: dict, action: str, as_: str, expect: int = 200, **params) -> dict:
        """Perform an action with the dossier's current version; returns the JSON answer."""
        response = self.post(f"/dossiers/{dossier['code']}/actions",
                             {"action": action, "version": dossier["version"], **params}, as_=as_)
        assert response.status_code == expect, response.get_json()
        return response.get_json()


def intake_body(code: str = "1.004227", **fields) -> dict:
    body = {
        "procedure_code": code,
        "applicant": dict(APPLICANT),
        "channel": "counter",
        "documents": documents_of(procedure(code)),
    }
    body.update(fields)
    return body


@pytest.fixture
def api(client, demo):
    return ApiClient(client)
