"""The procedure catalogue: list, add, edit, stop or resume using, delete, import and export."""
from __future__ import annotations

import sqlalchemy as sa
from flask import current_app, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from ... import admin_ops, catalogue, online, pagination
from ...errors import DomainError
from ...extensions import db
from ...inputs import ascii_int
from ...models import Procedure
from ...text import like_pattern
from ...transaction import discard
from ..common import show_domain_error
from . import bp
from .forms import ActionForm, ImportForm, ProcedureForm
from .helpers import PAGE_SIZE, admin_only, agency_choices, form_status, get_or_404, next_page_url

BY_CODE = pagination.Order(Procedure.code, Procedure.id)
STATES = {"active": Procedure.active.is_(True), "inactive": Procedure.active.is_(False)}


@bp.route("/procedures")
@admin_only
def procedures():
    q = (request.args.get("q") or "").strip()
    state = request.args.get("state") or ""
    query = sa.select(Procedure)
    if q:
        query = query.where(Procedure.name_search.like(like_pattern(q), escape="\\"))
    if state in STATES:
        query = query.where(STATES[state])
    page = pagination.page(query, BY_CODE, request.args.get("cursor"), PAGE_SIZE)
    return render_template("admin/procedures.html", procedures=page.items, total=pagination.count(query), q=q,
                           state=state, next_url=next_page_url(".procedures", page.next_cursor, q=q, state=state),
                           action_form=ActionForm())


def _procedure_page(form, procedure, status=200, error=None):
    form.set_agency_choices(agency_choices(_("— Chọn cơ quan —"), active_only=procedure is None))
    in_use = admin_ops.procedure_in_use(procedure) if procedure is not None else False
    return render_template("admin/procedure_form.html", form=form, procedure=procedure, error=error,
                           in_use=in_use, action_form=ActionForm(),
                           blank_forms=online.blank_forms(procedure) if procedure is not None else {}), status


def _save_procedure(form, procedure):
    form.set_agency_choices(agency_choices(_("— Chọn cơ quan —"), active_only=False))
    if not form.validate_on_submit():
        form.pad_rows()
        return _procedure_page(form, procedure, status=422)
    try:
        if procedure is None:
            procedure = admin_ops.create_procedure(current_user, form.to_entry())
        else:
            admin_ops.update_procedure(current_user, procedure, form.to_entry())
    except DomainError as exc:
        error = None if show_domain_error(form, exc) else exc.message
        form.pad_rows()
        return _procedure_page(form, procedure, status=exc.status, error=error)
    flash(_("Đã lưu thủ tục %(code)s.", code=procedure.code), "success")
    return redirect(url_for(".procedures", q=procedure.code))


@bp.route("/procedures/new", methods=["GET", "POST"])
@admin_only
def procedure_new():
    if request.method == "POST":
        return _save_procedure(ProcedureForm(), None)
    form = ProcedureForm(formdata=None)
    form.pad_rows()
    return _procedure_page(form, None)


@bp.route("/procedures/<code>/edit", methods=["GET", "POST"])
@admin_only
def procedure_edit(code):
    procedure = get_or_404(Procedure, code=code)
    if request.method == "POST":
        return _save_procedure(ProcedureForm(), procedure)
    form = ProcedureForm.from_entry(catalogue.serialize(procedure))
    form.pad_rows()
    return _procedure_page(form, procedure)


@bp.route("/procedures/<code>/blank-form", methods=["POST"])
@admin_only
def procedure_blank_form(code):
    """Upload the blank form of one required document (issue 16: shown on the public catalogue)."""
    procedure = get_or_404(Procedure, code=code)
    if ActionForm().validate_on_submit():
        try:
            row = online.save_blank_form(current_user, procedure, ascii_int(request.form.get("document")),
                                         request.files.get("file"))
        except DomainError as exc:
            discard()
            flash(exc.message, "error")
        else:
            flash(_("Đã đăng mẫu đơn cho giấy tờ “%(name)s”.", name=row.document_name), "success")
    return redirect(url_for(".procedure_edit", code=procedure.code) + "#blank-forms")


@bp.route("/procedures/<code>/active", methods=["POST"])
@admin_only
def procedure_active(code):
    procedure = get_or_404(Procedure, code=code)
    if ActionForm().validate_on_submit():
        active = request.form.get("active") == "1"
        admin_ops.set_procedure_active(current_user, procedure, active)
        flash(_("Đã áp dụng lại thủ tục %(code)s.", code=procedure.code) if active
              else _("Đã ngừng áp dụng thủ tục %(code)s; hồ sơ đang giải quyết vẫn được giải quyết tiếp.",
                     code=procedure.code), "success")
    return redirect(url_for(".procedure_edit", code=procedure.code))


@bp.route("/procedures/<code>/delete", methods=["POST"])
@admin_only
def procedure_delete(code):
    procedure = get_or_404(Procedure, code=code)
    if ActionForm().validate_on_submit():
        try:
            admin_ops.delete_procedure(current_user, procedure)
        except DomainError as exc:
            discard()
            flash(exc.message, "error")
            return redirect(url_for(".procedure_edit", code=code))
        flash(_("Đã xóa thủ tục %(code)s.", code=code), "success")
    return redirect(url_for(".procedures"))


@bp.route("/procedures/import", methods=["GET", "POST"])
@admin_only
def procedures_import():
    form = ImportForm()
    if form.validate_on_submit():
        upload = form.file.data
        limit = current_app.config["ONESTOP_UPLOAD_MAX_BYTES"]
        content = upload.read(limit + 1)
        if len(content) > limit:
            return render_template("admin/import.html", form=form, result=None, error=_("Tệp quá lớn.")), 413
        try:
            result = admin_ops.import_catalogue(current_user, upload.filename or "", content)
        except DomainError as exc:
            error = None if show_domain_error(form, exc) else exc.message
            return render_template("admin/import.html", form=form, result=None, error=error), exc.status
        flash(_("Đã nhập danh mục: %(c)d thủ tục mới, %(u)d cập nhật, %(n)d không đổi.",
                c=len(result.created), u=len(result.updated), n=len(result.unchanged)), "success")
        return render_template("admin/import.html", form=ImportForm(formdata=None), result=result)
    return render_template("admin/import.html", form=form, result=None), form_status()


@bp.route("/procedures/export.json")
@admin_only
def procedures_export():
    """The whole catalogue in the import format (a few hundred rows at most)."""
    rows = db.session.execute(sa.select(Procedure).order_by(Procedure.code)).scalars()
    response = jsonify([catalogue.serialize(p) for p in rows])
    response.headers["Content-Disposition"] = "attachment; filename=procedures.json"
    return response
