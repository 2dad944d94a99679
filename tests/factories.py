"""Builders for tests: users by name, dossiers received at a given moment."""
from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from onestop import workflow
from onestop.extensions import db
from onestop.models import Dossier, Procedure, User

VN = ZoneInfo("Asia/Ho_Chi_Minh")


def vn(*args) -> datetime:
    """A moment in Vietnam's time: vn(2026, 11, 20, 16, 0)."""
    return datetime(*args, tzinfo=VN)


APPLICANT = {
    "full_name": "Nguyễn Văn Đức",
    "id_number": "001203004567",
    "phone": "0912345678",
    "email": "duc.nguyen@example.vn",
    "address": "Số 12 đường Lê Lợi, phường 1, thành phố Sơn Hà",
}


def user(username: str) -> User:
    return db.session.execute(db.select(User).filter_by(username=username)).scalar_one()


def procedure(code: str) -> Procedure:
    return db.session.execute(db.select(Procedure).filter_by(code=code)).scalar_one()


def documents_of(proc: Procedure) -> list[dict]:
    return [{"name": d.name, "originals": d.originals, "copies": d.copies} for d in proc.documents]


def receive(code: str = "1.004227", *, at: datetime | None = None, clerk: str = "tiepnhan",
            channel: str = "counter", applicant: dict | None = None, commit: bool = True, **kw) -> Dossier:
    """Receive a dossier for the procedure at the desk, at moment `at` (now if omitted)."""
    proc = procedure(code)
    dossier = workflow.intake(
        actor=user(clerk), procedure=proc, applicant=applicant or dict(APPLICANT), channel=channel,
        documents=documents_of(proc), received_at=at, now=at, **kw,
    )
    if commit:
        db.session.commit()
    return dossier


def act(dossier: Dossier, action: str, username: str, at: datetime | None = None, **params):
    """Perform an action as that user at that moment, and commit."""
    event = workflow.perform(dossier, action, actor=user(username), version=dossier.version, now=at, **params)
    db.session.commit()
    return event
