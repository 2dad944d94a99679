"""The reception desk: intake, the online/postal queue, scans, hand-over, return of results, register."""
from __future__ import annotations

import tempfile

from flask import Response, abort, flash, jsonify, redirect, render_template, request, send_file, url_for
from flask_babel import gettext as _
from flask_login import current_user

from ... import access, audit, audit_text, files, idempotency, intake_checks, papers, policy, queries, workflow
from ...errors import Conflict, ValidationError
from ...extensions import db
from ...inputs import ascii_int
from ...models import Attachment, DossierEvent
from ...status import DossierStatus
from ...status import DossierStatus as S
from ...timeutil import local
from ...timeutil import now as utcnow
from ...urls import safe_next
from ..common import show_domain_error
from . import bp, desk, stash
from .forms import ActionForm, ApplicantLookupForm, IntakeForm, ScanForm, SupplementSlipForm

# History notes the workflow writes itself, shown in the reader's language (issue 19, item 9).
bp.add_app_template_filter(audit_text.event_note, "event_note")

STAFF = ("admin", "clerk", "specialist", "leader")
DESK_ACTIONS = ("accept", "refuse", "forward", "return")
LIST_LIMIT = 50


def _pdf(data: bytes, filename: str) -> Response:
    resp = Response(data, mimetype="application/pdf")
    resp.headers["Content-Disposition"] = f'inline; filename="{filename}"'
    resp.headers["Cache-Control"] = "no-store"
    return resp


def _desk_filters(**kw) -> queries.DossierFilters:
    return queries.DossierFilters(receiving_agency_id=current_user.agency_id, **kw)


# -- home ------------------------------------------------------------------

@bp.route("/")
@access.roles_required("clerk", "admin")
def index():
    """The desk's home: what waits for the clerk, and a search by code or applicant."""
    now = utcnow()
    counts = {
        "queue": queries.count(current_user, _desk_filters(status=[S.SUBMITTED])),
        "handover": queries.count(current_user, _desk_filters(status=[S.RECEIVED])),
        "returns": queries.count(current_user, _desk_filters(status=[S.RESULT_READY, S.STOPPED], not_returned=True)),
    }
    q = (request.args.get("q") or "").strip()
    found = None
    if q:
        found = queries.page(current_user, _desk_filters(q=q), order="newest", limit=LIST_LIMIT).items
    return render_template("reception/index.html", counts=counts, q=q, found=found, now=now)


# -- intake ----------------------------------------------------------------

@bp.route("/intake", methods=["GET", "POST"])
@access.roles_required("clerk")
def intake():
    """Pick a procedure, check its documents, fill the applicant, then preview, accept, ask or refuse."""
    code = request.values.get("procedure_code") or request.args.get("procedure")
    procedure = desk.procedure_by_code(code)
    if procedure is None:
        if code:
            flash(_("Không tìm thấy thủ tục %(code)s.", code=code), "warning")
        q = request.args.get("q", "")
        return render_template("reception/choose_procedure.html", q=q,
                               procedures=desk.search_procedures(current_user.agency_id, q))
    if not policy.can_intake(current_user, procedure):
        abort(403)
    form = IntakeForm()
    lookup = ApplicantLookupForm(request.args)
    if request.method == "GET":
        form.procedure_code.data = procedure.code
        form.fee.data = str(procedure.fee)
        form.fill_documents(procedure)
        _prefill_applicant(form, lookup)
        return _intake_page(form, lookup, procedure)
    if not form.validate():  # CSRF and file field plumbing; field rules come next
        return _intake_page(form, lookup, procedure, status=400)
    outcome = request.form.get("outcome", "preview")
    if outcome not in ("preview", "accept", "supplement", "refuse"):
        outcome = "preview"
    fresh = _stash_new_scans(form)
    if fresh is None:
        return _intake_page(form, lookup, procedure, status=422)
    if not form.check(outcome):
        return _intake_page(form, lookup, procedure, status=422)
    if outcome == "supplement":
        return _pdf(papers.supplement_slip_pdf(
            addressee=form.full_name.data.strip(), procedure_name=procedure.name,
            missing_documents=form.missing_documents(), reason=(form.reason.data or "").strip() or None,
            officer_name=current_user.full_name, officer_agency=current_user.agency, date=utcnow(),
        ), "phieu-yeu-cau-bo-sung.pdf")
    if outcome == "refuse":
        return _pdf(papers.refusal_slip_pdf(
            addressee=form.full_name.data.strip(), procedure_name=procedure.name, reason=form.reason.data.strip(),
            officer_name=current_user.full_name, officer_agency=current_user.agency, date=utcnow(),
        ), "phieu-tu-choi-tiep-nhan.pdf")
    if outcome == "preview":
        return _intake_page(form, lookup, procedure, preview=workflow.preview(procedure),
                            duplicate=intake_checks.recent_duplicate(procedure, form.id_number.data, utcnow()))
    return _accept_intake(form, lookup, procedure, fresh)


def _prefill_applicant(form: IntakeForm, lookup: ApplicantLookupForm) -> None:
    id_number = (lookup.lookup_id.data or "").strip()
    if not id_number:
        return
    found = desk.latest_applicant(current_user, id_number)
    form.id_number.data = id_number
    if found is None:
        flash(_("Chưa có hồ sơ nào của người nộp có số CCCD %(id)s: nhập thông tin mới.", id=id_number), "info")
        return
    form.full_name.data = found.applicant_name
    form.phone.data = found.applicant_phone
    form.email.data = found.applicant_email
    form.address.data = found.applicant_address
    form.tax_code.data = found.applicant_tax_code
    flash(_("Đã điền thông tin người nộp theo hồ sơ %(code)s.", code=found.code), "info")


def _stash_new_scans(form: IntakeForm) -> list | None:
    """Check newly chosen scans and keep them for this form (a re-rendered page cannot re-send a file).

    Returns the checked files (empty when none was chosen this time), None when one is refused.
    """
    uploads = [f for f in (form.scans.data or []) if f and f.filename]
    try:
        checked = [(u.filename, *files.check_upload(u)) for u in uploads]
    except ValidationError as exc:
        form.scans.errors = list(form.scans.errors) + [exc.message]
        return None
    stash.keep(current_user.id, request.form.get("intake_token"), checked)
    return checked


def _intake_page(form, lookup, procedure, preview=None, status=200, duplicate=None):
    # One token per intake form, kept through previews and corrections: posting it twice creates one dossier.
    token = request.form.get("intake_token") if request.method == "POST" else None
    token = token if idempotency.valid_key(token) else idempotency.new_key()
    return render_template("reception/intake.html", form=form, lookup=lookup, procedure=procedure,
                           preview=preview or workflow.preview(procedure), confirmed=preview is not None,
                           intake_token=token, kept_scans=stash.names(current_user.id, token),
                           duplicate=duplicate), status


def _accept_intake(form: IntakeForm, lookup, procedure, fresh: list):
    token = request.form.get("intake_token")
    claim = idempotency.claim(current_user, "web:intake", token) if token else None
    if isinstance(claim, idempotency.Replay):  # the same form posted again (double click, Back, retry)
        flash(_("Hồ sơ %(code)s đã được tiếp nhận từ biểu mẫu này; không tạo thêm hồ sơ.", code=claim.body), "info")
        return redirect(claim.location)
    duplicate = intake_checks.recent_duplicate(procedure, form.id_number.data, utcnow())
    if duplicate is not None and request.form.get("confirm_duplicate") != duplicate.code:
        return _intake_page(form, lookup, procedure, status=409, duplicate=duplicate)
    checked = fresh or stash.kept(current_user.id, token)
    try:
        dossier = workflow.intake(
            actor=current_user, procedure=procedure, applicant=form.applicant(), channel=form.channel.data,
            documents=form.received_documents(), fee=form.fee.data or "0", sets=form.sets.data or "1",
            note=form.note.data, accept=True,
        )
    except ValidationError as exc:
        if not show_domain_error(form, exc):
            form.full_name.errors = list(form.full_name.errors) + [exc.message]
        return _intake_page(form, lookup, procedure, status=422)
    for name, data, content_type in checked:
        files.save_bytes(dossier, data, kind="scan", original_name=name, content_type=content_type,
                         user=current_user)
    stash.drop(current_user.id, token)
    from ... import queue as floor  # the queue number being served is tied to this dossier (issue 21)

    floor.link_dossier(current_user, dossier)
    flash(_("Đã tiếp nhận hồ sơ %(code)s. Hẹn trả kết quả: %(due)s.", code=dossier.code,
            due=local(dossier.due_at).strftime("%H:%M %d/%m/%Y")), "success")
    if claim is not None:
        idempotency.finish(claim, 302, dossier.code, url_for(".dossier", code=dossier.code))
    return redirect(url_for(".dossier", code=dossier.code, printed="receipt"))


@bp.route("/applicant")
@access.roles_required("clerk")
def applicant():
    """JSON for the intake page's script: the latest details known for a citizen ID."""
    id_number = (request.args.get("id_number") or "").strip()
    found = desk.latest_applicant(current_user, id_number) if id_number else None
    if found is None:
        return jsonify({"found": False})
    return jsonify({"found": True, "code": found.code, "full_name": found.applicant_name,
                    "phone": found.applicant_phone, "email": found.applicant_email,
                    "address": found.applicant_address, "tax_code": found.applicant_tax_code})


# -- one dossier at the desk -----------------------------------------------

def _dossier_page(dossier, form=None, scan_form=None, slip_form=None, status=200, error=None):
    actions = workflow.available_actions(current_user, dossier)
    events = db.session.execute(
        db.select(DossierEvent).where(DossierEvent.dossier_id == dossier.id).order_by(DossierEvent.id)
    ).scalars().all()
    attachments = files.attachments_of(dossier)
    form = form or ActionForm(formdata=None)
    form.version.data = str(dossier.version)
    return render_template(
        "reception/dossier.html", dossier=dossier, actions=actions, events=events,
        scans=[a for a in attachments if a.kind in ("scan", "result")],
        has_receipt=papers.has_receipt(dossier),
        refusal=_refusal_event(dossier), form=form, scan_form=scan_form or ScanForm(formdata=None),
        slip_form=slip_form or SupplementSlipForm(formdata=None), now=utcnow(), error=error,
        next_step=workflow.next_route_step(dossier) if "forward" in actions else None,
    ), status


def _refusal_event(dossier):
    if dossier.status != S.NOT_ACCEPTED:
        return None
    return db.session.execute(
        db.select(DossierEvent).where(DossierEvent.dossier_id == dossier.id, DossierEvent.action == "refuse")
        .order_by(DossierEvent.id.desc()).limit(1)
    ).scalar_one_or_none()


@bp.route("/dossiers/<code>")
@access.roles_required("clerk", "admin")
def dossier(code):
    return _dossier_page(access.visible_dossier_or_abort(code))


@bp.route("/dossiers/<code>/<any(accept, refuse, forward, return):action>", methods=["POST"])
@access.roles_required("clerk")
def act(code, action):
    """accept / refuse / forward (Chuyển xử lý) / return, guarded by the version the clerk saw."""
    dossier = access.visible_dossier_or_abort(code)
    form = ActionForm()
    if not form.validate():
        abort(400)
    params = {}
    if action == "refuse":
        params["reason"] = form.reason.data
    if action == "return":
        params.update(collected_by=form.collected_by.data, collected_id_number=form.collected_id_number.data)
    try:
        workflow.perform(dossier, action, actor=current_user, version=form.version_number(), **params)
    except Conflict as exc:  # a stale version or a status that moved on: show the dossier as it is now
        show_domain_error(form, exc)
        flash(exc.message, "error")
        return redirect(url_for(".dossier", code=dossier.code))
    except ValidationError as exc:
        shown = show_domain_error(form, exc)
        return _dossier_page(dossier, form=form, status=exc.status, error=None if shown else exc.message)
    messages = {
        "accept": _("Đã tiếp nhận hồ sơ %(code)s."),
        "refuse": _("Đã từ chối tiếp nhận hồ sơ %(code)s. In phiếu từ chối để giao cho người nộp."),
        "forward": _("Đã chuyển hồ sơ %(code)s đến %(agency)s."),
        "return": _("Đã trả kết quả hồ sơ %(code)s cho %(who)s."),
    }
    flash(messages[action] % {"code": dossier.code, "agency": dossier.current_agency.name,
                              "who": dossier.collected_by or ""}, "success")
    return redirect(safe_next(form.next.data, url_for(".dossier", code=dossier.code)))


@bp.route("/dossiers/<code>/receipt.pdf")
@access.roles_required(*STAFF)
def receipt(code):
    """The receipt as issued (rendered once, then served from storage)."""
    dossier = access.visible_dossier_or_abort(code)
    data = papers.receipt_pdf(dossier)
    return _pdf(data, papers.receipt_filename(dossier))


@bp.route("/dossiers/<code>/refusal-slip.pdf")
@access.roles_required(*STAFF)
def refusal_slip(code):
    dossier = access.visible_dossier_or_abort(code)
    event = _refusal_event(dossier)
    if event is None:
        abort(404)
    officer = event.actor or current_user
    return _pdf(papers.refusal_slip_pdf(
        addressee=dossier.applicant_name, procedure_name=dossier.procedure.name, reason=event.note or "",
        officer_name=officer.full_name, officer_agency=dossier.receiving_agency, date=event.at,
        dossier_code=dossier.code, received_at=dossier.received_at,
    ), f"phieu-tu-choi-{dossier.code}.pdf")


@bp.route("/dossiers/<code>/stop-notice.pdf")
@access.roles_required(*STAFF)
def stop_notice(code):
    """The written answer of a stopped dossier (Thông báo từ chối giải quyết), to hand to the citizen."""
    dossier = access.visible_dossier_or_abort(code)
    if dossier.status != S.STOPPED:
        abort(404)
    return _pdf(papers.stop_notice_pdf(dossier), f"thong-bao-tu-choi-{dossier.code}.pdf")


@bp.route("/dossiers/<code>/supplement-slip", methods=["POST"])
@access.roles_required("clerk")
def supplement_slip(code):
    """Ask an online/postal applicant for completion: print the slip; the dossier stays as it is."""
    dossier = access.visible_dossier_or_abort(code)
    if not policy.is_desk(current_user, dossier):
        abort(403)
    form = SupplementSlipForm()
    if not form.validate():
        abort(400)
    names = {doc.name for doc in dossier.procedure.documents} | {doc.name for doc in dossier.documents}
    missing = [n for n in request.form.getlist("missing") if n in names]
    reason = (form.reason.data or "").strip()
    if not missing and not reason:
        form.reason.errors = [_("Chọn giấy tờ còn thiếu hoặc ghi rõ nội dung cần bổ sung.")]
        return _dossier_page(dossier, slip_form=form, status=422)
    if len(reason) > 2000:
        form.reason.errors = [_("Lý do không được dài quá 2000 ký tự.")]
        return _dossier_page(dossier, slip_form=form, status=422)
    return _pdf(papers.supplement_slip_pdf(
        addressee=dossier.applicant_name, procedure_name=dossier.procedure.name, missing_documents=missing,
        reason=reason or None, officer_name=current_user.full_name, officer_agency=current_user.agency,
        date=utcnow(), dossier_code=dossier.code,
    ), f"phieu-yeu-cau-bo-sung-{dossier.code}.pdf")


# -- scans -----------------------------------------------------------------

@bp.route("/dossiers/<code>/scans", methods=["POST"])
@access.roles_required("clerk")
def upload_scans(code):
    dossier = access.visible_dossier_or_abort(code)
    if not policy.is_desk(current_user, dossier):
        abort(403)
    form = ScanForm()
    if not form.validate():
        abort(400)
    uploads = [f for f in (form.scans.data or []) if f and f.filename]
    if not uploads:
        form.scans.errors = [_("Chưa chọn tệp.")]
        return _dossier_page(dossier, scan_form=form, status=422)
    try:
        checked = [(u.filename, *files.check_upload(u)) for u in uploads]
    except ValidationError as exc:
        form.scans.errors = [exc.message]
        return _dossier_page(dossier, scan_form=form, status=422)
    for name, data, content_type in checked:
        files.save_bytes(dossier, data, kind="scan", original_name=name, content_type=content_type,
                         user=current_user)
    flash(_("Đã lưu %(n)d tệp quét vào hồ sơ.", n=len(checked)), "success")
    return redirect(url_for(".dossier", code=dossier.code))


@bp.route("/files/<int:attachment_id>")
@access.roles_required(*STAFF)
def download(attachment_id):
    """A stored file, for staff who may see its dossier only."""
    att = db.session.get(Attachment, attachment_id)
    if att is None:
        abort(404)
    access.visible_dossier_or_abort(att.dossier.code)
    try:
        handle = files.open_attachment(att)
    except FileNotFoundError:
        abort(404)
    inline = att.content_type == "application/pdf" or att.content_type.startswith("image/")
    return send_file(handle, mimetype=att.content_type, download_name=att.original_name,
                     as_attachment=not inline, max_age=0)


# -- lists -----------------------------------------------------------------

def _list(template, statuses, order, not_returned=False, **extra):
    filters = _desk_filters(status=statuses, not_returned=not_returned)
    result = queries.page(current_user, filters, order=order, cursor=request.args.get("cursor") or None,
                          limit=LIST_LIMIT)
    next_url = url_for(request.endpoint, cursor=result.next_cursor) if result.next_cursor else None
    return render_template(template, items=result.items, next_url=next_url,
                           total=queries.count(current_user, filters), now=utcnow(),
                           form=ActionForm(formdata=None), **extra)


@bp.route("/queue")
@access.roles_required("clerk", "admin")
def queue():
    """Online and postal dossiers waiting to be checked (Mới đăng ký)."""
    return _list("reception/queue.html", [S.SUBMITTED], "oldest")


@bp.route("/handover")
@access.roles_required("clerk", "admin")
def handover():
    """Received dossiers waiting to be handed to the agency; those past the 15:00-rule deadline stand out."""
    return _list("reception/handover.html", [S.RECEIVED], "oldest")


@bp.route("/returns")
@access.roles_required("clerk", "admin")
def returns():
    """Results ready at the desk (Đã xử lý xong) and stop notices (Dừng xử lý), to hand to the citizen."""
    return _list("reception/returns.html", [S.RESULT_READY, S.STOPPED], "urgent", not_returned=True)


# -- register --------------------------------------------------------------

def _register_filters() -> desk.RegisterFilters:
    year_text = (request.args.get("year") or "").strip()
    year = ascii_int(year_text, local(utcnow()).year, low=1, high=9999)
    return desk.RegisterFilters(year=year, procedure_code=(request.args.get("procedure") or "").strip() or None,
                                status=(request.args.get("status") or "").strip() or None)


@bp.route("/register")
@access.roles_required("clerk", "admin")
def register():
    """Sổ theo dõi hồ sơ: the desk's yearly register with filters and keyset pagination."""
    filters = _register_filters()
    start_text = request.args.get("start", "1")
    start = ascii_int(start_text, 1, low=1)
    try:
        rows, next_cursor = desk.register_page(current_user, filters, request.args.get("cursor") or None,
                                               start=start, limit=LIST_LIMIT)
        total = desk.register_count(current_user, filters)
    except ValidationError as exc:
        flash(exc.message, "error")
        filters = desk.RegisterFilters(year=local(utcnow()).year)
        rows, next_cursor = desk.register_page(current_user, filters, limit=LIST_LIMIT)
        total = desk.register_count(current_user, filters)
    args = {"year": filters.year, "procedure": filters.procedure_code or "", "status": filters.status or ""}
    next_url = (url_for(".register", cursor=next_cursor, start=start + len(rows), **args)
                if next_cursor else None)
    return render_template("reception/register.html", rows=rows, total=total, filters=filters, args=args,
                           next_url=next_url, procedures=desk.search_procedures(current_user.agency_id, None, 500),
                           statuses=dict(DossierStatus.choices()), this_year=local(utcnow()).year)


@bp.route("/register.xlsx")
@access.roles_required("clerk", "admin")
def register_xlsx():
    """The register as XLSX (openpyxl write-only; rows streamed from the database)."""
    filters = _register_filters()
    try:
        filters.check()
    except ValidationError as exc:
        flash(exc.message, "error")
        return redirect(url_for(".register"))
    spool = tempfile.SpooledTemporaryFile(max_size=8 * 1024 * 1024)
    desk.write_register_xlsx(desk.register_rows(current_user, filters), spool,
                             agency_name=current_user.agency.name, year=filters.year)
    audit.record("register.export", actor=current_user, target_type="register",
                 target_id=f"{current_user.agency.identifier}/{filters.year}",
                 details={"procedure": filters.procedure_code, "status": filters.status})
    spool.seek(0)
    stamp = local(utcnow()).strftime("%Y%m%d")
    return send_file(spool, as_attachment=True,
                     download_name=f"so-theo-doi-ho-so-{filters.year}-{stamp}.xlsx",
                     mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", max_age=0)

