"""The desk proves that the phone or email on a dossier is the applicant's own (a one-time code read back),
so that notices reach the applicant and not someone standing between them and the desk."""
from flask import abort, flash, redirect, url_for
from flask_babel import gettext as _
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import HiddenField, StringField
from wtforms.validators import Length, Optional

from ... import access, integrity, otp, policy
from ...errors import ValidationError
from . import bp


class ContactForm(FlaskForm):
    contact = HiddenField()  # "phone" or "email": which of the dossier's contacts
    code = StringField(validators=[Optional(), Length(max=12)])


def _contact(dossier, which: str) -> str:
    value = {"phone": dossier.applicant_phone, "email": dossier.applicant_email}.get(which or "")
    if not value:
        abort(400)
    return value


def _desk_dossier(code: str):
    dossier = access.visible_dossier_or_abort(code)
    if not policy.is_desk(current_user, dossier):
        abort(403)
    return dossier


@bp.context_processor
def contact_helpers():
    def contact_panel(dossier) -> dict:
        """What the dossier page shows about the applicant's contact (for the desk only)."""
        if not (getattr(current_user, "is_authenticated", False) and policy.is_desk(current_user, dossier)):
            return {}
        return {"form": ContactForm(formdata=None), "shared": integrity.contact_sharing(dossier),
                "confirmed": dossier.contact_confirmed if dossier.contact_confirmed in integrity.contacts_of(dossier)
                else None, "masked": otp.masked}

    return {"contact_panel": contact_panel}


@bp.route("/dossiers/<code>/contact/send", methods=["POST"])
@access.roles_required("clerk")
def contact_send(code):
    """Send a one-time code to the dossier's phone or email."""
    dossier = _desk_dossier(code)
    form = ContactForm()
    if not form.validate():
        abort(400)
    try:
        issued = integrity.send_contact_code(dossier, _contact(dossier, form.contact.data), actor=current_user)
    except ValidationError as exc:
        flash(exc.message, "error")
    else:
        flash(_("Đã gửi mã xác nhận tới %(contact)s. Đề nghị người nộp đọc mã để cán bộ nhập.",
                contact=otp.masked(issued.contact)), "success")
    return redirect(url_for(".dossier", code=dossier.code) + "#contact-check")


@bp.route("/dossiers/<code>/contact/confirm", methods=["POST"])
@access.roles_required("clerk")
def contact_confirm(code):
    """Check the code the applicant read out; the contact is then marked as the applicant's own."""
    dossier = _desk_dossier(code)
    form = ContactForm()
    if not form.validate():
        abort(400)
    contact = _contact(dossier, form.contact.data)
    try:
        integrity.confirm_contact(dossier, contact, form.code.data or "", actor=current_user)
    except ValidationError as exc:
        flash(exc.message, "error")  # a wrong code's attempt is kept (otp.check asks for it)
    else:
        flash(_("Đã xác nhận %(contact)s là liên hệ của người nộp.", contact=otp.masked(contact)), "success")
    return redirect(url_for(".dossier", code=dossier.code) + "#contact-check")
