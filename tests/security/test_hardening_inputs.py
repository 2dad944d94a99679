"""Issue 17, item 10: the fuzzer's six causes of server errors, each answered with a clear message instead."""
from __future__ import annotations

import base64
import json

import pytest
from factories import act, receive, user
from securitykit import readable

from onestop import accounts, inputs, queries
from onestop.errors import ValidationError
from onestop.extensions import db
from onestop.models import Agency, AuditLog, Dossier

BAD_CHARACTERS = "ký tự không hợp lệ"


def audit_rows() -> int:
    db.session.expire_all()
    return db.session.execute(db.select(db.func.count(AuditLog.id))).scalar_one()


# -- NUL bytes and surrogates --------------------------------------------------------------------

@pytest.mark.parametrize("data", [{"username": "tiep\x00nhan", "password": "x"},
                                  {"username": "tiepnhan", "password": "onestop\x002026"},
                                  {"username\x00": "a", "password": "b"}])
def test_nul_bytes_in_an_anonymous_sign_in_are_refused_plainly(client, demo, data):
    before = audit_rows()
    r = client.post("/auth/login", data=data)
    assert r.status_code == 400 and BAD_CHARACTERS in r.get_data(as_text=True)
    assert audit_rows() == before


@pytest.mark.parametrize("url", ["/lookup/?code=%00", "/lookup/X%00Y", "/processing/?q=a%00b",
                                 "/api/v1/procedures?q=%00", "/open311/v2/requests.json?service_code=%00",
                                 "/reception/register?year=%00"])
def test_nul_bytes_in_query_strings_and_paths_are_refused(client, auth, demo, url):
    auth.login("chuyenvien" if url.startswith("/processing") else "tiepnhan")
    r = client.get(url)
    assert r.status_code == 400
    body = readable(r)
    assert "không hợp lệ" in body and "Traceback" not in body


def test_nul_bytes_in_staff_forms_are_refused_before_anything_is_written(client, auth, demo):
    d = receive("1.009994")
    auth.login("tiepnhan")
    r = client.post(f"/reception/dossiers/{d.code}/refuse", data={"version": str(d.version), "reason": "sai\x00"})
    assert r.status_code == 400 and BAD_CHARACTERS in r.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Dossier, d.id).status == "received"


def test_json_strings_are_checked_by_the_same_layer_with_the_field_named(client, demo):
    _, raw = accounts.create_token(user("tiepnhan"))
    db.session.commit()
    r = client.post("/api/v1/dossiers", json={"procedure_code": "1.009994", "applicant": {"full_name": "\ud800"}},
                    headers={"Authorization": f"Bearer {raw}"})
    assert r.status_code == 422 and r.get_json()["error"]["field"] == "applicant.full_name"


# -- lengths ---------------------------------------------------------------------------------------

def test_a_hundred_thousand_character_name_gets_a_message(client, auth, demo):
    auth.login("admin")
    r = client.post("/admin/agencies/new", data={"identifier": "000.00.99.H56", "name": "A" * 100_000,
                                                 "kind": "department"})
    assert r.status_code == 400 and "quá dài" in r.get_data(as_text=True)
    r = client.post("/admin/users/chuyenvien/tokens", data={"name": "T" * 100_000})
    assert r.status_code == 400 and "quá dài" in r.get_data(as_text=True)
    r = client.get("/processing/?q=" + "x" * 5000)
    assert r.status_code == 400 and "dài quá" in r.get_data(as_text=True)


def test_values_longer_than_their_column_are_refused_on_every_database(demo):
    """SQLite would store 300 characters in a VARCHAR(255); the flush check refuses them as PostgreSQL does."""
    db.session.add(Agency(identifier="000.00.98.H56", name="B" * 300, kind="department"))
    with pytest.raises(ValidationError) as refused:
        db.session.flush()
    assert refused.value.field == "name" and "255" in refused.value.message
    db.session.rollback()
    d = receive("1.009994")
    d.sets = 10**12
    with pytest.raises(ValidationError, match="Số quá lớn"):
        db.session.flush()
    db.session.rollback()


def test_a_refusal_at_commit_time_is_a_message_not_a_500(app, client, auth, demo):
    """A value that only the flush check sees (the view left it unflushed) still answers 422."""
    @app.route("/_test/long-locale", methods=["POST"])
    def long_locale():
        user("tiepnhan").locale = "x" * 50  # String(8)
        return "ok"

    r = client.post("/_test/long-locale")
    assert r.status_code == 422 and "dài quá 8 ký tự" in r.get_data(as_text=True)
    db.session.expire_all()
    assert user("tiepnhan").locale is None


# -- Unicode digits and numbers beyond the database's integers --------------------------------------

def test_ascii_digits_only():
    assert inputs.is_ascii_digits("123") and not any(map(inputs.is_ascii_digits, ["²", "١٢", "-1", " 1", "", "1.0"]))
    assert inputs.ascii_int("²", 7) == 7 and inputs.ascii_int(str(2**31), 7) == 7 and inputs.ascii_int("42") == 42
    with pytest.raises(ValidationError):
        inputs.bounded_int("²", "limit")
    assert inputs.bounded_int("-5", "x", low=-10, high=10) == -5


@pytest.mark.parametrize("size", ["²", "١٢", "1000", "0", "-1", "99999999999999999999", "1e3"])
def test_open311_page_size_is_checked_and_bounded(client, demo, size):
    r = client.get(f"/open311/v2/requests.json?page_size={size}")
    assert r.status_code == 422
    assert "page_size phải là số từ 1 đến 100" in r.get_json()[0]["description"]


@pytest.mark.parametrize("url", ["/admin/tokens/999999999999999/revoke", "/admin/tokens/%C2%B2/revoke",
                                 "/admin/tokens/99999999999999999999/revoke"])
def test_ids_beyond_the_integer_range_are_not_found(client, auth, demo, url):
    auth.login("admin")
    assert client.post(url).status_code == 404


def test_unicode_digits_in_desk_parameters_fall_back_to_defaults(client, auth, demo):
    d = receive("1.009994")
    auth.login("tiepnhan")
    assert client.get("/reception/register?year=²&start=²").status_code == 200
    assert client.get("/reception/register?year=99999999999").status_code in (200, 302)
    r = client.post(f"/reception/dossiers/{d.code}/forward", data={"version": "²"})
    assert r.status_code in (409, 422)


@pytest.mark.parametrize("query, message", [
    ("received_from=0001-01-01", "Ngày phải trong khoảng năm 1900–2200"),
    ("received_to=9999-12-31", "Ngày phải trong khoảng năm 1900–2200"),
    ("assignee=99999999999999999999", "Người xử lý không hợp lệ."),
    ("assignee=0", "Người xử lý không hợp lệ."),
    ("assignee=²", "Người xử lý"),
])
def test_out_of_range_inbox_filters_are_explained(client, auth, demo, query, message):
    d = receive("1.009994")
    act(d, "forward", "tiepnhan")
    auth.login("chuyenvien")
    r = client.get(f"/processing/?{query}")
    assert r.status_code == 200 and message in r.get_data(as_text=True)


# -- forged page cursors -------------------------------------------------------------------------

def _unsigned(value, ident) -> str:
    return base64.urlsafe_b64encode(json.dumps([value, ident]).encode()).decode().rstrip("=")


def _signed(value, ident) -> str:
    payload = _unsigned(value, ident)
    return f"{payload}.{queries._cursor_signature(payload)}"


FORGED = {
    "naive moment, signed": lambda: _signed("2026-01-01T00:00:00", 1),
    "huge id, signed": lambda: _signed("2026-01-01T00:00:00+00:00", 10**30),
    "year 1, signed": lambda: _signed("0001-01-01T00:00:00+00:00", 1),
    "not a moment, signed": lambda: _signed(12, 1),
    "old unsigned format": lambda: _unsigned("2026-01-01T00:00:00+00:00", 1),
    "naive, unsigned": lambda: _unsigned("2026-01-01T00:00:00", 1),
    "another secret": lambda: _unsigned("2026-01-01T00:00:00+00:00", 1) + ".AAAAAAAAAAAAAAAAAAAAAA",
    "garbage": lambda: "%%%²",
}


@pytest.mark.parametrize("name", list(FORGED))
def test_forged_cursors_get_a_clear_422_everywhere(app, client, auth, demo, name):
    receive("1.009994")
    cursor = FORGED[name]()
    _, raw = accounts.create_token(user("tiepnhan"))
    db.session.commit()
    r = client.get("/api/v1/dossiers", query_string={"cursor": cursor}, headers={"Authorization": f"Bearer {raw}"})
    assert r.status_code == 422 and r.get_json()["error"]["field"] == "cursor"
    r = client.get("/open311/v2/requests.json", query_string={"cursor": cursor})
    assert r.status_code == 422
    auth.login("tiepnhan")
    r = client.get("/reception/queue", query_string={"cursor": cursor})
    assert r.status_code == 422 and "Con trỏ phân trang (cursor) không hợp lệ" in r.get_data(as_text=True)


def test_issued_cursors_still_page_through(client, demo):
    for _ in range(3):
        receive("1.009994")
    _, raw = accounts.create_token(user("tiepnhan"))
    db.session.commit()
    headers = {"Authorization": f"Bearer {raw}"}
    first = client.get("/api/v1/dossiers?limit=2", headers=headers).get_json()
    assert "." in first["next_cursor"]
    second = client.get("/api/v1/dossiers", query_string={"limit": 2, "cursor": first["next_cursor"]},
                        headers=headers).get_json()
    assert len(first["items"]) == 2 and len(second["items"]) == 1
