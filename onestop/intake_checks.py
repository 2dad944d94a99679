"""Checks the desk makes before a dossier is received: the same applicant and procedure received just now."""
from __future__ import annotations

from datetime import datetime, timedelta

import sqlalchemy as sa

from . import settings
from .extensions import db
from .models import Dossier, Procedure

# Back, retype, accept: a second dossier within the province's window (settings rule
# `intake_duplicate_minutes`, default 10 minutes, 0 = no warning) is most likely the same papers twice.
WINDOW_RULE = "intake_duplicate_minutes"


def window_minutes() -> int:
    return settings.get(WINDOW_RULE)


def recent_duplicate(procedure: Procedure, id_number: str | None, now: datetime) -> Dossier | None:
    """The newest dossier of that citizen ID for that procedure received within the window, if any."""
    id_number = (id_number or "").strip()
    minutes = window_minutes()
    if not id_number or minutes <= 0:
        return None
    since = now - timedelta(minutes=minutes)
    return db.session.execute(
        sa.select(Dossier).where(Dossier.applicant_id_number == id_number, Dossier.procedure_id == procedure.id,
                                 Dossier.received_at >= since)
        .order_by(Dossier.received_at.desc(), Dossier.id.desc()).limit(1)
    ).scalar_one_or_none()
