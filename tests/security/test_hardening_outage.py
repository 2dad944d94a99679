"""Issue 17, item 9: a database outage answers 503 with a clear message; a committed answer is never a 500."""
from __future__ import annotations

import pytest
from factories import APPLICANT, documents_of, procedure, user
from sqlalchemy.exc import OperationalError
from support import make_app

from onestop import accounts
from onestop.extensions import db
from onestop.models import Dossier

DEAD_DATABASES = {
    "postgresql": "postgresql+psycopg://postgres@127.0.0.1:9/none?connect_timeout=2",
    "sqlite": "sqlite:////nonexistent-onestop-dir/none.db",
}
MESSAGE = "không kết nối được cơ sở dữ liệu"
LEAKS = ("Traceback", "psycopg", "OperationalError", "sqlalchemy", "sqlite3")


def body(r) -> str:
    return r.get_data(as_text=True)


def intake_body() -> dict:
    return {"procedure_code": "1.009994", "applicant": dict(APPLICANT), "channel": "counter",
            "documents": documents_of(procedure("1.009994"))}


@pytest.mark.parametrize("kind", list(DEAD_DATABASES))
def test_every_kind_of_request_answers_503_while_the_database_is_away(app, client, auth, demo, kind):
    auth.login("tiepnhan")
    cookie = client.get_cookie("session").value
    _, raw = accounts.create_token(user("tiepnhan"))
    db.session.commit()
    down = make_app(SQLALCHEMY_DATABASE_URI=DEAD_DATABASES[kind], PROPAGATE_EXCEPTIONS=False)
    visitor, staff = down.test_client(), down.test_client()
    staff.set_cookie("session", cookie)
    answers = {
        "lookup page": visitor.get("/lookup/000.00.17.H56-261121-0001"),
        "sign-in": visitor.post("/auth/login", data={"username": "tiepnhan", "password": "onestop2026"}),
        "staff page": staff.get("/reception/"),
        "lookup API": visitor.get("/api/v1/lookup/000.00.17.H56-261121-0001"),
        "intake API": visitor.post("/api/v1/dossiers", json={"procedure_code": "1.009994"},
                                   headers={"Authorization": f"Bearer {raw}"}),
        "Open311": visitor.get("/open311/v2/requests.json"),
    }
    for name, r in answers.items():
        assert r.status_code == 503, (name, r.status_code)
        assert not any(marker in body(r) for marker in LEAKS), name
        if name != "staff page":  # the signed-in page says it generically (rendered without the user)
            assert MESSAGE in (r.get_json()["error"]["message"] if r.is_json else body(r)), name
        assert r.headers.get("Retry-After") == "30", name
    assert answers["intake API"].get_json()["error"]["code"] == "database_unavailable"
    health = visitor.get("/healthz")
    assert health.status_code == 503 and health.get_json() == {"status": "error", "db": "unavailable"}
    with down.app_context():
        db.engine.dispose()


def test_a_failing_commit_answers_503_saves_nothing_and_the_retry_acts_once(app, client, demo, monkeypatch):
    _, raw = accounts.create_token(user("tiepnhan"))
    db.session.commit()
    headers = {"Authorization": f"Bearer {raw}", "Idempotency-Key": "retry-after-outage"}
    real_commit = db.session.commit
    broken = {"on": True}

    def commit():
        if broken["on"]:
            raise OperationalError("COMMIT", {}, Exception("server closed the connection unexpectedly"))
        return real_commit()

    monkeypatch.setattr(db.session, "commit", commit)
    r = client.post("/api/v1/dossiers", json=intake_body(), headers=headers)
    assert r.status_code == 503 and r.get_json()["error"]["code"] == "database_unavailable"
    broken["on"] = False
    db.session.expire_all()
    assert db.session.execute(db.select(db.func.count(Dossier.id))).scalar_one() == 0
    first = client.post("/api/v1/dossiers", json=intake_body(), headers=headers)
    again = client.post("/api/v1/dossiers", json=intake_body(), headers=headers)
    assert first.status_code == again.status_code == 201 and first.get_json() == again.get_json()
    assert db.session.execute(db.select(db.func.count(Dossier.id))).scalar_one() == 1


def _fail_after_commit(app):
    """An after-request hook that runs after the commit and breaks (a cache, a metrics exporter...)."""
    def broken(response):
        raise RuntimeError("after the commit")

    app.after_request_funcs.setdefault(None, []).insert(0, broken)  # hooks run last-registered first


def test_an_error_after_the_commit_still_sends_the_committed_answer(app, client, auth, demo):
    app.config["PROPAGATE_EXCEPTIONS"] = False
    _, raw = accounts.create_token(user("tiepnhan"))
    db.session.commit()
    auth.login("tiepnhan")
    _fail_after_commit(app)
    r = client.post("/api/v1/dossiers", json=intake_body(), headers={"Authorization": f"Bearer {raw}"})
    assert r.status_code == 201, body(r)
    db.session.expire_all()
    saved = db.session.execute(db.select(Dossier)).scalar_one()
    assert r.get_json()["code"] == saved.code and r.headers["Location"].endswith(saved.code)
    # Pages too: the clerk is sent on to the dossier, not to an error page that invites doing it again.
    r = client.post(f"/reception/dossiers/{saved.code}/forward", data={"version": str(saved.version)})
    assert r.status_code == 302 and r.headers["Location"] == f"/reception/dossiers/{saved.code}"
    db.session.expire_all()
    assert db.session.get(Dossier, saved.id).status == "processing"


def test_a_failure_before_the_commit_is_still_a_500_with_nothing_saved(app, client, demo, monkeypatch):
    app.config["PROPAGATE_EXCEPTIONS"] = False
    _, raw = accounts.create_token(user("tiepnhan"))
    db.session.commit()
    from onestop import workflow

    def crash(*args, **kwargs):
        raise RuntimeError("bug")

    monkeypatch.setattr(workflow, "intake", crash)
    r = client.post("/api/v1/dossiers", json=intake_body(), headers={"Authorization": f"Bearer {raw}"})
    assert r.status_code == 500 and r.get_json()["error"]["code"] == "server_error"
    assert db.session.execute(db.select(db.func.count(Dossier.id))).scalar_one() == 0
