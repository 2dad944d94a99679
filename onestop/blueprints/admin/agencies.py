"""Agencies: the tree, adding one, editing one (form -> admin_ops verb -> flash -> redirect)."""
from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from ... import admin_ops
from ...errors import DomainError
from ...models import AGENCY_KINDS, Agency
from ..common import show_domain_error
from . import bp
from .forms import AgencyForm
from .helpers import admin_only, agency_choices, form_status, get_or_404


@bp.route("/agencies")
@admin_only
def agencies():
    return render_template("admin/agencies.html", tree=admin_ops.agency_tree(), kinds=AGENCY_KINDS)


def _refused(form, exc: DomainError, agency: Agency | None):
    """The form again with the refusal next to its field (or on top); nothing was saved."""
    error = None if show_domain_error(form, exc) else exc.message
    return render_template("admin/agency_form.html", form=form, agency=agency, error=error), exc.status


@bp.route("/agencies/new", methods=["GET", "POST"])
@admin_only
def agency_new():
    form = AgencyForm()
    form.parent.choices = agency_choices(_("— Không có (cấp cao nhất) —"))
    if request.method == "GET" and request.args.get("parent"):
        form.parent.data = request.args["parent"]
    if form.validate_on_submit():
        try:
            agency = admin_ops.create_agency(
                current_user, identifier=form.identifier.data, name=form.name.data, parent=form.parent.data,
                kind=form.kind.data, address=form.address.data, phone=form.phone.data)
        except DomainError as exc:
            return _refused(form, exc, None)
        flash(_("Đã thêm cơ quan %(code)s – %(name)s.", code=agency.identifier, name=agency.name), "success")
        return redirect(url_for(".agencies"))
    return render_template("admin/agency_form.html", form=form, agency=None), form_status()


@bp.route("/agencies/<identifier>/edit", methods=["GET", "POST"])
@admin_only
def agency_edit(identifier):
    agency = get_or_404(Agency, identifier=identifier)
    form = AgencyForm(obj=None if request.method == "POST" else agency)
    if request.method == "GET":
        form.parent.data = agency.parent.identifier if agency.parent else ""
    form.parent.choices = [c for c in agency_choices(_("— Không có (cấp cao nhất) —"), active_only=False)
                           if c[0] != agency.identifier]
    if form.validate_on_submit():
        try:
            admin_ops.update_agency(current_user, agency, name=form.name.data, parent=form.parent.data,
                                    kind=form.kind.data, address=form.address.data, phone=form.phone.data,
                                    active=form.active.data)
        except DomainError as exc:
            return _refused(form, exc, agency)
        flash(_("Đã lưu cơ quan %(code)s.", code=agency.identifier), "success")
        return redirect(url_for(".agencies"))
    return render_template("admin/agency_form.html", form=form, agency=agency), form_status()
