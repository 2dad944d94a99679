"""Online submission, step by step (details, contact code, documents, review, done), and the citizen's
answer to a request for papers from the lookup page. Every step is a plain form: it works without JavaScript."""
from __future__ import annotations

from flask import abort, current_app, flash, make_response, redirect, render_template, request, url_for
from flask_babel import gettext as _

from ... import citizen, online, otp, settings, submission
from ...errors import Conflict, DomainError, NotFound, ValidationError
from ...inputs import ascii_int
from ..lookup.limits import lookup_limit
from . import bp, online_limits
from .forms import PostForm

APPLICANT_FIELDS = ("full_name", "id_number", "phone", "email", "address")


def _procedure(code: str):
    try:
        procedure = online.published(code)
    except NotFound:
        abort(404)
    if not submission.offered_online(procedure):
        abort(404)
    return procedure


def _token() -> str | None:
    return request.cookies.get(submission.COOKIE)


def _draft(procedure, *, required=True):
    draft = submission.draft_for(_token(), procedure)
    if draft is None and required:
        flash(_("Hồ sơ đang soạn đã hết hạn hoặc chưa được tạo. Vui lòng nhập lại thông tin."), "warning")
    return draft


def _page(template, status=200, **context):
    response = make_response(render_template(template, form=PostForm(formdata=None), **context), status)
    response.headers["Cache-Control"] = "private, no-store"
    return response


def _set_cookie(response, token: str):
    response.set_cookie(submission.COOKIE, token, max_age=submission.DRAFT_DAYS * 86400, path="/thu-tuc/",
                        httponly=True, samesite="Lax", secure=bool(current_app.config.get("SESSION_COOKIE_SECURE")))
    return response


def _csrf_or_400():
    if not PostForm().validate_on_submit():
        abort(400)


@bp.errorhandler(429)
def too_many(exc):
    return _page("portal/submit_too_many.html", status=429)


@bp.route("/<code>/nop", methods=["GET", "POST"])
@online_limits.form_limit()
def submit_details(code):
    """Step 1: the applicant, as the desk records them, and the contact to confirm."""
    procedure = _procedure(code)
    draft = submission.draft_for(_token(), procedure)
    values = dict((draft.applicant or {}) if draft else {})
    values["contact"] = draft.contact if draft else ""
    if request.method == "POST":
        _csrf_or_400()
        values = {f: request.form.get(f, "") for f in (*APPLICANT_FIELDS, "contact")}
        try:
            draft, token = submission.save_details(procedure, draft, {f: values[f] for f in APPLICANT_FIELDS},
                                                   values["contact"])
        except ValidationError as exc:
            return _page("portal/submit_details.html", status=422, procedure=procedure, values=values,
                         error=exc.message, error_field=exc.field, days=submission.DRAFT_DAYS)
        response = redirect(url_for(".submit_contact", code=procedure.code))
        return _set_cookie(response, token) if token else response
    return _page("portal/submit_details.html", procedure=procedure, values=values, error=None, error_field=None,
                 days=submission.DRAFT_DAYS)


@bp.route("/<code>/nop/xac-nhan", methods=["GET", "POST"])
@online_limits.form_limit()
def submit_contact(code):
    """Step 2: a one-time code proves the contact (sent by email, or by SMS through the gateway)."""
    procedure = _procedure(code)
    draft = _draft(procedure)
    if draft is None:
        return redirect(url_for(".submit_details", code=procedure.code))
    error, status = None, 200
    if request.method == "POST":
        _csrf_or_400()
        try:
            if request.form.get("action") == "send":
                online_limits.hit_send_limit()
                issued = submission.send_code(draft)
                flash(_("Đã gửi mã xác nhận tới %(contact)s. Mã có hiệu lực %(minutes)s phút.",
                        contact=otp.masked(issued.contact), minutes=settings.get("otp_valid_minutes")), "info")
                return redirect(url_for(".submit_contact", code=procedure.code, sent=1))
            submission.confirm_contact(draft, request.form.get("code"))
        except ValidationError as exc:
            error, status = exc.message, 422
        else:
            flash(_("Đã xác nhận địa chỉ liên hệ."), "success")
            return redirect(url_for(".submit_documents", code=procedure.code))
    return _page("portal/submit_contact.html", status=status, procedure=procedure, draft=draft,
                 masked=otp.masked(draft.contact), sent=request.args.get("sent") == "1" or status == 422, error=error)


@bp.route("/<code>/nop/giay-to", methods=["GET", "POST"])
@online_limits.form_limit()
def submit_documents(code):
    """Step 3: one upload per required document, or an earlier scan of the same citizen."""
    procedure = _procedure(code)
    draft = _draft(procedure)
    if draft is None:
        return redirect(url_for(".submit_details", code=procedure.code))
    if draft.contact_confirmed_at is None:
        return redirect(url_for(".submit_contact", code=procedure.code))
    error, status = None, 200
    if request.method == "POST":
        _csrf_or_400()
        try:
            for i, _name in enumerate(submission.required_documents(procedure)):
                chosen = request.form.get(f"reuse_{i}")
                upload = request.files.get(f"file_{i}")
                if upload is not None and upload.filename:
                    submission.attach(draft, i, upload)
                elif chosen:
                    submission.reuse(draft, i, ascii_int(chosen))
        except ValidationError as exc:
            error, status = exc.message, 422
        else:
            missing = submission.missing_documents(draft)
            if not missing:
                return redirect(url_for(".submit_review", code=procedure.code))
            # What was uploaded is kept (the draft): the citizen may come back for the rest.
            flash(_("Đã lưu. Còn thiếu giấy tờ: %(names)s.", names="; ".join(missing)), "warning")
            return redirect(url_for(".submit_documents", code=procedure.code))
    have = {f.position: f for f in draft.files}
    return _page("portal/submit_documents.html", status=status, procedure=procedure, draft=draft, have=have,
                 names=submission.required_documents(procedure), earlier=submission.reusable(draft),
                 max_mb=current_app.config["ONESTOP_UPLOAD_MAX_BYTES"] // (1024 * 1024), error=error)


@bp.route("/<code>/nop/gui", methods=["GET", "POST"])
@online_limits.form_limit()
def submit_review(code):
    """Step 4: read it all once more and submit; a double click or a retry gives the same dossier."""
    procedure = _procedure(code)
    if request.method == "POST":
        _csrf_or_400()
        online_limits.hit_send_limit()
        try:
            submission.submit(_token(), procedure)
        except NotFound as exc:
            flash(exc.message, "warning")
            return redirect(url_for(".submit_details", code=procedure.code))
        except ValidationError as exc:
            flash(exc.message, "error")
            return redirect(url_for(".submit_documents", code=procedure.code))
        return redirect(url_for(".submit_done", code=procedure.code), 303)
    draft = _draft(procedure)
    if draft is None:
        return redirect(url_for(".submit_details", code=procedure.code))
    if draft.dossier_id is not None:
        return redirect(url_for(".submit_done", code=procedure.code))
    return _page("portal/submit_review.html", procedure=procedure, draft=draft,
                 missing=submission.missing_documents(draft), masked=otp.masked(draft.contact))


@bp.route("/<code>/nop/xong")
def submit_done(code):
    """The dossier code and lookup key, shown to the browser that submitted it only."""
    procedure = _procedure(code)
    draft = submission.draft_for(_token(), procedure)
    if draft is None or draft.dossier is None:
        return redirect(url_for(".submit_details", code=procedure.code))
    return _page("portal/submit_done.html", procedure=procedure, dossier=draft.dossier,
                 masked=otp.masked(draft.contact))


@bp.route("/ho-so/<code>/nop-them", methods=["POST"])
@online_limits.form_limit()
@lookup_limit()
def answer(code):
    """The citizen uploads the papers the desk or the agency asked for, from the lookup page (key required)."""
    _csrf_or_400()
    key = request.form.get("key")
    try:
        found = citizen.find_for_citizen(code, key) if citizen.normalize_key(key) else None
    except NotFound:
        found = None
    if found is None or not found.full:
        abort(404)
    dossier = found.dossier
    uploads = [request.files.get(f"file_{i}") for i in range(20)]
    try:
        submission.answer(dossier, uploads, request.form.get("note"))
    except (ValidationError, Conflict) as exc:
        return _refused(dossier, exc)  # answered 4xx: nothing of the attempt is kept
    flash(_("Đã nộp giấy tờ trực tuyến. Cơ quan đang giữ hồ sơ đã nhận được."), "success")
    return redirect(url_for("lookup.dossier", code=dossier.code, key=dossier.lookup_key), 303)


def _refused(dossier, exc: DomainError):
    """The lookup page again with the message, answered 422 so nothing of the attempt is kept."""
    from ..lookup.forms import LookupForm
    from ..lookup.routes import lookup_helpers
    view = citizen.public_view(dossier, True)
    return render_template("lookup/dossier.html", **lookup_helpers(), view=view,
                           form=LookupForm(formdata=None, code=dossier.code),
                           key=dossier.lookup_key, result_file=citizen.result_download(dossier),
                           online_request=submission.pending(dossier), online_form=PostForm(formdata=None),
                           online_error=exc.message), exc.status
