"""Who may see and do what: role and agency rules reused by every page and API call."""
from __future__ import annotations

import sqlalchemy as sa

from . import status as st
from .models import DESK_KINDS, Agency, Dossier, DossierStep, Procedure, User, procedure_desks

STAFF_ROLES = ("admin", "clerk", "specialist", "leader")
AGENCY_ROLES = ("specialist", "leader")

# Who may take each action: "desk" = clerk of the receiving agency,
# "agency" = specialist or leader of the agency holding the dossier,
# "leader" = leader of the agency holding the dossier.
ACTION_ACTORS: dict[str, tuple[str, ...]] = {
    "accept": ("desk",),
    "refuse": ("desk",),
    "forward": ("desk_if_received", "agency"),
    "request_supplement": ("agency",),
    "supplement_received": ("desk", "agency"),
    "request_payment": ("agency",),
    "payment_received": ("desk", "agency"),
    "stop": ("agency",),
    "complete": ("agency",),
    "return": ("desk",),
    "withdraw": ("desk", "agency"),
    "apologize": ("agency", "desk_if_received"),
    "reassign": ("leader",),
    "ask_completion": ("desk",),  # online submissions (issue 16)
}


def is_desk(user: User, dossier: Dossier) -> bool:
    return user.role == "clerk" and user.agency_id == dossier.receiving_agency_id


def is_holding_agency(user: User, dossier: Dossier) -> bool:
    return user.role in AGENCY_ROLES and user.agency_id == dossier.current_agency_id


def may_act(user: User, dossier: Dossier, action: str) -> bool:
    """Whether the user's role and agency allow the action on this dossier (status aside)."""
    if user is None or not user.active:
        return False
    for who in ACTION_ACTORS.get(action, ()):
        if who == "desk" and is_desk(user, dossier):
            return True
        if who == "desk_if_received" and dossier.status in (st.DossierStatus.RECEIVED, st.DossierStatus.SUBMITTED) \
                and is_desk(user, dossier):
            return True
        if who == "agency" and is_holding_agency(user, dossier):
            return True
        if who == "leader" and user.role == "leader" and user.agency_id == dossier.current_agency_id:
            return True
    return False


def can_view(user: User, dossier: Dossier) -> bool:
    """Admins see everything; staff see dossiers their agency received, holds or handled."""
    if user is None or not getattr(user, "active", False):
        return False
    if user.role == "admin":
        return True
    if user.agency_id in (dossier.receiving_agency_id, dossier.current_agency_id):
        return True
    return any(step.agency_id == user.agency_id for step in dossier.steps if step.started_at)


def visible_clause(user: User):
    """SQL condition selecting the dossiers `user` may see (mirrors can_view)."""
    if user.role == "admin":
        return sa.true()
    handled = sa.exists().where(
        DossierStep.dossier_id == Dossier.id,
        DossierStep.agency_id == user.agency_id,
        DossierStep.started_at.is_not(None),
    )
    return sa.or_(
        Dossier.receiving_agency_id == user.agency_id,
        Dossier.current_agency_id == user.agency_id,
        handled,
    )


def receives(procedure: Procedure, agency: Agency | None) -> bool:
    """Whether this desk may receive the procedure's dossiers (Decree 118/2025: its listed desks, or any
    one-stop desk of the province when the procedure is published as received regardless of boundary)."""
    if agency is None or not agency.active:
        return False
    if procedure.anywhere:
        return agency.kind in DESK_KINDS
    return agency.id == procedure.receiving_agency_id or any(d.id == agency.id for d in procedure.desks)


def receivable_clause(agency: Agency):
    """SQL condition on Procedure: the procedures this desk may receive (mirrors `receives`)."""
    listed = sa.exists().where(procedure_desks.c.procedure_id == Procedure.id, procedure_desks.c.agency_id == agency.id)
    anywhere = sa.and_(Procedure.anywhere.is_(True), sa.literal(agency.kind in DESK_KINDS))
    return sa.or_(Procedure.receiving_agency_id == agency.id, listed, anywhere)


def can_intake(user: User, procedure) -> bool:
    """A clerk of a desk that may receive the procedure."""
    return bool(user and user.active and user.role == "clerk" and receives(procedure, user.agency))
