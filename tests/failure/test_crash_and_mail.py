"""A crash inside an action leaves the dossier as it was; with the mail server down, notices are kept."""
from __future__ import annotations

import socket
from datetime import timedelta

import pytest
from factories import APPLICANT, act, documents_of, procedure, receive, user

from onestop import accounts, notices, signals
from onestop.extensions import db
from onestop.models import Dossier, DossierEvent, OutboxMessage
from onestop.timeutil import now as utcnow


def fresh(dossier_id: int) -> tuple:
    """Status, version, events and step rows of the dossier as the database holds them (a new session)."""
    db.session.remove()
    d = db.session.get(Dossier, dossier_id)
    events = db.session.execute(db.select(db.func.count(DossierEvent.id)).filter_by(dossier_id=dossier_id)).scalar()
    return d.status, d.version, d.current_agency_id, events, len(d.steps), d.finished_at


class Boom(RuntimeError):
    pass


@pytest.fixture
def crash():
    """Make the signal sent after the status change (and before the commit) raise."""
    def explode(dossier, **_):
        raise Boom("crash after the status change, before the commit")

    signals.dossier_event.connect(explode)
    yield
    signals.dossier_event.disconnect(explode)


@pytest.fixture
def held(demo):
    d = receive("1.009994")
    act(d, "forward", "tiepnhan")
    return d


@pytest.mark.config(PROPAGATE_EXCEPTIONS=False)
def test_crash_in_an_api_action_changes_nothing(client, held, crash):
    _, raw = accounts.create_token(user("chuyenvien"), "crash")
    db.session.commit()
    before = fresh(held.id)
    r = client.post(f"/api/v1/dossiers/{held.code}/actions", json={"action": "complete", "version": before[1]},
                    headers={"Authorization": f"Bearer {raw}"})
    assert r.status_code == 500 and r.get_json()["error"]["code"] == "server_error"
    assert "Traceback" not in r.get_data(as_text=True) and "Boom" not in r.get_data(as_text=True)
    assert fresh(held.id) == before


@pytest.mark.config(PROPAGATE_EXCEPTIONS=False)
def test_crash_in_a_page_action_changes_nothing_and_the_action_works_afterwards(client, auth, held, crash):
    auth.login("chuyenvien")
    before = fresh(held.id)
    r = client.post(f"/processing/dossiers/{held.code}/actions/complete",
                    data={"complete-version": before[1], "complete-note": "Cấp phép", "complete-confirm": "y"},
                    content_type="multipart/form-data")
    assert r.status_code == 500 and "Vui lòng thử lại sau" in r.get_data(as_text=True)
    assert fresh(held.id) == before


def test_after_the_crash_the_same_action_succeeds(client, auth, held):
    """Control: without the crash the same form completes the dossier (the test above is about the crash)."""
    auth.login("chuyenvien")
    version = fresh(held.id)[1]
    r = client.post(f"/processing/dossiers/{held.code}/actions/complete",
                    data={"complete-version": version, "complete-note": "Cấp phép", "complete-confirm": "y"},
                    content_type="multipart/form-data")
    assert r.status_code == 302
    assert fresh(held.id)[0] == "result_ready"


@pytest.mark.config(PROPAGATE_EXCEPTIONS=False)
def test_crash_during_intake_saves_no_dossier_and_uses_no_number(client, demo, crash):
    _, raw = accounts.create_token(user("tiepnhan"), "crash")
    db.session.commit()
    body = {"procedure_code": "1.009994", "applicant": dict(APPLICANT), "channel": "counter",
            "documents": documents_of(procedure("1.009994"))}
    r = client.post("/api/v1/dossiers", json=body, headers={"Authorization": f"Bearer {raw}"})
    assert r.status_code == 500
    db.session.remove()
    assert db.session.execute(db.select(db.func.count(Dossier.id))).scalar() == 0


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]  # nobody listens once the socket is closed


@pytest.mark.config(MAIL_SERVER="127.0.0.1", MAIL_PORT=closed_port(), ONESTOP_NOTICE_MAX_ATTEMPTS=3)
def test_smtp_down_the_desk_keeps_working_and_every_notice_is_kept(client, auth, demo):
    """End to end over HTTP: intake and hand-over succeed, the receipt email waits in the outbox with its error."""
    auth.login("tiepnhan")
    _, raw = accounts.create_token(user("tiepnhan"), "smtp")
    db.session.commit()
    body = {"procedure_code": "1.009994", "applicant": dict(APPLICANT), "channel": "counter",
            "documents": documents_of(procedure("1.009994"))}
    r = client.post("/api/v1/dossiers", json=body, headers={"Authorization": f"Bearer {raw}"})
    assert r.status_code == 201
    code = r.get_json()["code"]
    queued = db.session.execute(db.select(OutboxMessage).filter_by(channel="email")).scalars().all()
    assert [m.recipient for m in queued] == [APPLICANT["email"]] and queued[0].status == "pending"

    moment = utcnow()
    outcome = notices.deliver(now=moment)
    assert outcome["sent"] == 0 and outcome["retry"] == 1
    for _ in range(2):
        moment += timedelta(hours=7)
        notices.deliver(now=moment)
    db.session.remove()
    kept = db.session.execute(db.select(OutboxMessage).filter_by(channel="email")).scalar_one()
    assert kept.status == "failed" and kept.attempts == 3 and kept.last_error and kept.sent_at is None
    assert code in kept.body or code in (kept.subject or "")
    # An operator requeues it once the server is back: it is still there to send.
    assert notices.requeue(all_failed=True) == 1
    db.session.commit()
    again = db.session.execute(db.select(OutboxMessage).filter_by(channel="email")).scalar_one()
    assert again.status == "pending" and again.attempts == 0
