"""Checks the desk makes before a dossier is received: the same applicant and procedure received just now."""
from __future__ import annotations

from datetime import datetime, timedelta

import sqlalchemy as sa

from .extensions import db
from .models import Dossier, Procedure

# Back, retype, accept: a second dossier within this many minutes is most likely the same papers twice.
DUPLICATE_WINDOW_MINUTES = 10


def recent_duplicate(procedure: Procedure, id_number: str | None, now: datetime) -> Dossier | None:
    """The newest dossier of that citizen ID for that procedure received within the window, if any."""
    id_number = (id_number or "").strip()
    if not id_number:
        return None
    since = now - timedelta(minutes=DUPLICATE_WINDOW_MINUTES)
    return db.session.execute(
        sa.select(Dossier).where(Dossier.applicant_id_number == id_number, Dossier.procedure_id == procedure.id,
                                 Dossier.received_at >= since)
        .order_by(Dossier.received_at.desc(), Dossier.id.desc()).limit(1)
    ).scalar_one_or_none()
