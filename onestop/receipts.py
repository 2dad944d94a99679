"""Papers the desk prints: the receipt (kept as issued) and the supplement and refusal slips."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from urllib.parse import quote, urlencode

import sqlalchemy as sa
from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _

from . import files
from .errors import Conflict
from .extensions import db
from .models import Agency, Attachment, Dossier, DossierStep, User, UTCDateTime
from .pdf import qr_svg, render_pdf
from .timeutil import local
from .timeutil import now as utcnow

# No receipt for a dossier that was never received.
NO_RECEIPT_STATUSES = ("submitted", "not_accepted")
PLACE_PREFIXES = ("UBND tỉnh ", "UBND thành phố ", "Ủy ban nhân dân tỉnh ", "Ủy ban nhân dân thành phố ")


def lookup_url(dossier: Dossier) -> str:
    """The public lookup address printed in the receipt's QR code (with the citizen's key)."""
    base = current_app.config["ONESTOP_BASE_URL"].rstrip("/")
    return f"{base}/lookup/{quote(dossier.code, safe='')}?{urlencode({'key': dossier.lookup_key})}"


def place_of(agency: Agency | None) -> str:
    """The place name written before the date: the province of the agency's tree."""
    top = agency
    while top is not None and top.parent is not None:
        top = top.parent
    if top is None:
        return ""
    for prefix in PLACE_PREFIXES:
        if top.name.startswith(prefix):
            return top.name[len(prefix):]
    return top.name


@dataclass
class Heading:
    """The left block of the national heading: the governing body and the issuing agency."""

    parent: str | None
    agency: str


def heading_of(agency: Agency | str | None) -> Heading:
    if isinstance(agency, Agency):
        return Heading(agency.parent.name if agency.parent else None, agency.name)
    return Heading(None, agency or "")


def register_number(dossier: Dossier) -> int:
    """The dossier's number in its agency's yearly register (Sổ theo dõi hồ sơ), counted from 1."""
    received = local(dossier.received_at)
    year_start = received.replace(month=1, day=1, hour=0, minute=0, second=0, microsecond=0)
    key = sa.tuple_(Dossier.received_at, Dossier.id)
    bound = sa.tuple_(sa.literal(dossier.received_at, UTCDateTime()), sa.literal(dossier.id))
    stmt = sa.select(sa.func.count(Dossier.id)).where(
        Dossier.receiving_agency_id == dossier.receiving_agency_id,
        Dossier.received_at >= sa.literal(year_start, UTCDateTime()),
        key <= bound,
    )
    return db.session.execute(stmt).scalar_one()


def stored_receipt(dossier: Dossier) -> Attachment | None:
    return db.session.execute(
        sa.select(Attachment).where(Attachment.dossier_id == dossier.id, Attachment.kind == "receipt")
        .order_by(Attachment.id).limit(1)
    ).scalar_one_or_none()


def render_receipt(dossier: Dossier) -> bytes:
    """Render the receipt (Giấy tiếp nhận hồ sơ và hẹn trả kết quả) without storing it."""
    procedure = dossier.procedure
    agency = dossier.receiving_agency
    clerk = dossier.created_by
    step = desk_step(dossier)
    if clerk is None and step is not None and step.received_by_id:
        clerk = db.session.get(User, step.received_by_id)
    url = lookup_url(dossier)
    return render_pdf(
        "receipt.html",
        dossier=dossier, procedure=procedure, agency=agency, heading=heading_of(agency),
        place=place_of(agency), issued=local(dossier.received_at), received=local(dossier.received_at),
        appointment=local(dossier.due_at), result_location=procedure.result_location or _result_place(agency),
        register_year=local(dossier.received_at).year, register_no=register_number(dossier),
        clerk=clerk, qr=qr_svg(url), lookup_url=url,
    )


def _result_place(agency: Agency) -> str:
    return f"{agency.name}{', ' + agency.address if agency.address else ''}"


def receipt_pdf(dossier: Dossier) -> bytes:
    """The receipt as issued: rendered and stored the first time, served from storage afterwards.

    Storing adds an Attachment row (flushed): the caller commits.
    """
    att = stored_receipt(dossier)
    if att is not None:
        try:
            return files.read_bytes(att)
        except FileNotFoundError:
            current_app.logger.error("Receipt file of %s is missing; issuing it again", dossier.code)
            db.session.delete(att)
            db.session.flush()
    if dossier.status in NO_RECEIPT_STATUSES:
        raise Conflict(_("Hồ sơ chưa được tiếp nhận nên chưa có giấy tiếp nhận."), code="no_receipt")
    with force_locale("vi"):  # the kept copy is the citizen's legal paper, whoever printed it first
        data = render_receipt(dossier)
    files.save_bytes(dossier, data, kind="receipt", original_name=receipt_filename(dossier),
                     content_type="application/pdf", user=None)
    return data


def receipt_filename(dossier: Dossier) -> str:
    return f"giay-tiep-nhan-{dossier.code}.pdf"


def _clean_list(items) -> list[str]:
    return [" ".join(str(i).split()) for i in (items or []) if i and str(i).strip()]


def supplement_slip_pdf(*, addressee: str, procedure_name: str, missing_documents: list[str],
                        reason: str | None = None, officer_name: str, officer_agency: Agency | str,
                        officer_phone: str | None = None, date: datetime | None = None,
                        dossier_code: str | None = None) -> bytes:
    """Phiếu yêu cầu bổ sung, hoàn thiện hồ sơ: one complete list of what is missing.

    Used at the desk (nothing received yet, no dossier code) and during appraisal
    (with the dossier's code). `officer_agency` may be an Agency (gives the heading) or a name.
    """
    agency = officer_agency if isinstance(officer_agency, Agency) else None
    when = local(date or utcnow())
    return render_pdf(
        "supplement_slip.html",
        addressee=addressee, procedure_name=procedure_name, missing=_clean_list(missing_documents),
        reason=reason, officer_name=officer_name,
        officer_agency=agency.name if agency else officer_agency,
        officer_phone=officer_phone or (agency.phone if agency else None),
        heading=heading_of(officer_agency), place=place_of(agency), date=when, dossier_code=dossier_code,
    )


def refusal_slip_pdf(*, addressee: str, procedure_name: str, reason: str, officer_name: str,
                     officer_agency: Agency | str, officer_phone: str | None = None,
                     date: datetime | None = None, dossier_code: str | None = None,
                     received_at: datetime | None = None) -> bytes:
    """Phiếu từ chối tiếp nhận giải quyết hồ sơ, with the reason."""
    agency = officer_agency if isinstance(officer_agency, Agency) else None
    when = local(date or utcnow())
    return render_pdf(
        "refusal_slip.html",
        addressee=addressee, procedure_name=procedure_name, reason=reason, officer_name=officer_name,
        officer_agency=agency.name if agency else officer_agency,
        officer_phone=officer_phone or (agency.phone if agency else None),
        heading=heading_of(officer_agency), place=place_of(agency), date=when, dossier_code=dossier_code,
        received_at=local(received_at) if received_at else None,
    )


def desk_step(dossier: Dossier) -> DossierStep | None:
    return next((s for s in dossier.steps if s.kind == "desk"), None)
