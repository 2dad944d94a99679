"""The receipt (Giấy tiếp nhận hồ sơ và hẹn trả kết quả): rendered once, kept with the dossier, reprinted
from storage."""
from __future__ import annotations

import sqlalchemy as sa
from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _

from .. import files
from ..errors import Conflict
from ..extensions import db
from ..models import Agency, Attachment, Dossier, DossierDocument, DossierStep, Procedure, User, UTCDateTime
from ..status import DossierStatus
from ..timeutil import local
from . import common, render

# No receipt for a dossier that was never received.
NO_RECEIPT_STATUSES = frozenset({DossierStatus.SUBMITTED, DossierStatus.NOT_ACCEPTED})
KIND = "receipt"  # the Attachment kind of the kept receipt


def has_receipt(dossier: Dossier) -> bool:
    return dossier.status not in NO_RECEIPT_STATUSES


def register_number(dossier: Dossier) -> int:
    """The dossier's number in its agency's yearly register (Sổ theo dõi hồ sơ), counted from 1.

    Bounded on both sides of `received_at` so the count is one range of the (agency, received_at, id) index.
    """
    received = local(dossier.received_at)
    year_start = received.replace(month=1, day=1, hour=0, minute=0, second=0, microsecond=0)
    at = sa.literal(dossier.received_at, UTCDateTime())
    stmt = sa.select(sa.func.count()).select_from(Dossier).where(
        Dossier.receiving_agency_id == dossier.receiving_agency_id,
        Dossier.received_at >= sa.literal(year_start, UTCDateTime()),
        Dossier.received_at <= at,
        sa.or_(Dossier.received_at < at, Dossier.id <= dossier.id),
    )
    return db.session.execute(stmt).scalar_one()


def _clerk_name(dossier: Dossier) -> str | None:
    """Who received it: the clerk who entered it, else the one who accepted the online submission."""
    clerk_id = dossier.created_by_id
    if clerk_id is None:
        clerk_id = db.session.execute(
            sa.select(DossierStep.received_by_id).where(DossierStep.dossier_id == dossier.id,
                                                        DossierStep.kind == "desk").limit(1)
        ).scalar_one_or_none()
    if clerk_id is None:
        return None
    return db.session.execute(sa.select(User.full_name).where(User.id == clerk_id)).scalar_one_or_none()


def receipt_data(dossier: Dossier) -> dict:
    """Everything the receipt prints, as plain values read now (the template touches no ORM object)."""
    procedure = db.session.get(Procedure, dossier.procedure_id)
    agency = db.session.get(Agency, dossier.receiving_agency_id)
    documents = db.session.execute(
        sa.select(DossierDocument.name, DossierDocument.originals, DossierDocument.certified_copies,
                  DossierDocument.copies)
        .where(DossierDocument.dossier_id == dossier.id).order_by(DossierDocument.position, DossierDocument.id)
    ).all()
    received = local(dossier.received_at)
    url = common.lookup_url(dossier)
    return {
        "heading": common.heading(agency, dossier.received_at, number=common.number_line(dossier.code)),
        "code": dossier.code,
        "lookup_key": dossier.lookup_key,
        "lookup_url": url,
        "qr": render.qr_image(url),
        "agency_name": agency.name,
        "applicant": {
            "name": dossier.applicant_name, "id_number": dossier.applicant_id_number or "",
            "tax_code": dossier.applicant_tax_code, "address": dossier.applicant_address or "",
            "phone": dossier.applicant_phone or "", "email": dossier.applicant_email or "",
        },
        "procedure": {"name": procedure.name, "code": procedure.code, "time_label": procedure.time_label},
        "channel_label": dossier.channel_label,
        "documents": [{"name": d.name, "originals": d.originals, "certified_copies": d.certified_copies,
                       "copies": d.copies} for d in documents],
        "sets": dossier.sets,
        "fee": dossier.fee,
        "received_at": received,
        "appointment": local(dossier.due_at),
        "result_location": procedure.result_location or _result_place(agency),
        "register_year": received.year,
        "register_no": register_number(dossier),
        "clerk_name": _clerk_name(dossier) or "",
    }


def _result_place(agency: Agency) -> str:
    return f"{agency.name}{', ' + agency.address if agency.address else ''}"


def render_receipt(dossier: Dossier) -> bytes:
    """Render the receipt in the reader's language, without storing it."""
    return render.render("receipt.html", receipt_data(dossier))


def stored_receipt(dossier: Dossier) -> Attachment | None:
    return db.session.execute(
        sa.select(Attachment).where(Attachment.dossier_id == dossier.id, Attachment.kind == KIND)
        .order_by(Attachment.id).limit(1)
    ).scalar_one_or_none()


def receipt_pdf(dossier: Dossier) -> bytes:
    """The receipt as issued: rendered and stored the first time, served from storage afterwards.

    Storing adds an Attachment row (flushed): the request's commit keeps it.
    """
    att = stored_receipt(dossier)
    if att is not None:
        try:
            return files.read_bytes(att)
        except FileNotFoundError:
            current_app.logger.error("Receipt file of %s is missing; issuing it again", dossier.code)
            db.session.delete(att)
            db.session.flush()
    if not has_receipt(dossier):
        raise Conflict(_("Hồ sơ chưa được tiếp nhận nên chưa có giấy tiếp nhận."), code="no_receipt")
    with force_locale("vi"):  # the kept copy is the citizen's legal paper, whoever printed it first
        data = render_receipt(dossier)
    att = files.save_bytes(dossier, data, kind=KIND, original_name=receipt_filename(dossier),
                           content_type="application/pdf", user=None)
    return files.read_bytes(att)  # as stored: sealed by the receiving desk when it has a certificate


def receipt_filename(dossier: Dossier) -> str:
    return f"giay-tiep-nhan-{dossier.code}.pdf"
