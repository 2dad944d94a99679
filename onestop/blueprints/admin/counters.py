"""The centre's counters (quầy): per desk, the fields each serves, and the hall's device addresses."""
from __future__ import annotations

import sqlalchemy as sa
from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import BooleanField, IntegerField, SelectField, StringField, TextAreaField
from wtforms.validators import Optional

from ... import queue
from ...errors import DomainError
from ...extensions import db
from ...models import DESK_KINDS, Agency, Procedure, QueueCounter
from ..common import show_domain_error
from . import bp
from .helpers import admin_only


class CounterForm(FlaskForm):
    agency = SelectField(_l("Bộ phận một cửa"), validate_choice=False)
    number = IntegerField(_l("Số quầy"), validators=[Optional()])
    name = StringField(_l("Tên quầy"))
    served_fields = TextAreaField(_l("Lĩnh vực phục vụ"),
                                  description=_l("Mỗi dòng một lĩnh vực; để trống: quầy phục vụ mọi lĩnh vực."))
    active = BooleanField(_l("Đang hoạt động"), default=True)


def _desks() -> list[Agency]:
    return list(db.session.execute(sa.select(Agency).where(Agency.kind.in_(DESK_KINDS), Agency.active.is_(True))
                                   .order_by(Agency.identifier)).scalars())


def _page(form: CounterForm, desk: Agency | None, editing: QueueCounter | None = None, status: int = 200):
    desks = _desks()
    form.agency.choices = [(a.identifier, f"{a.identifier} – {a.name}") for a in desks]
    counters = queue.counters_of(desk.id, active_only=False) if desk else []
    known_fields = list(db.session.execute(sa.select(Procedure.field).distinct().order_by(Procedure.field)).scalars())
    devices = None
    if desk:
        devices = {"kiosk": url_for("queue.kiosk", identifier=desk.identifier, k=queue.kiosk_key(desk), _external=True),
                   "board": url_for("queue.board", identifier=desk.identifier, _external=True),
                   "tablets": {c.id: url_for("queue.tablet", counter_id=c.id, k=queue.rating_key(c), _external=True)
                               for c in counters}}
    return render_template("admin/counters.html", form=form, desk=desk, desks=desks, counters=counters,
                           editing=editing, devices=devices, known_fields=known_fields), status


def _desk_arg() -> Agency | None:
    identifier = request.values.get("desk") or request.values.get("agency")
    if not identifier:
        desks = _desks()
        return desks[0] if desks else None
    agency = db.session.execute(sa.select(Agency).filter_by(identifier=identifier)).scalar_one_or_none()
    if agency is None:
        abort(404)
    return agency


@bp.route("/counters", methods=["GET"])
@admin_only
def counters():
    desk = _desk_arg()
    editing = None
    if request.args.get("edit", type=int):
        editing = db.session.get(QueueCounter, request.args.get("edit", type=int)) or abort(404)
        desk = editing.agency
    form = CounterForm(formdata=None)
    if editing:
        form.agency.data, form.number.data, form.name.data = editing.agency.identifier, editing.number, editing.name
        form.served_fields.data, form.active.data = "\n".join(editing.fields or []), editing.active
    elif desk:
        form.agency.data = desk.identifier
    return _page(form, desk, editing)


@bp.route("/counters", methods=["POST"])
@admin_only
def counters_save():
    form = CounterForm()
    desk = _desk_arg()
    editing = None
    if request.form.get("counter_id", type=int):
        editing = db.session.get(QueueCounter, request.form.get("counter_id", type=int)) or abort(404)
    if not form.validate_on_submit() or desk is None:
        return _page(form, desk, editing, status=422)
    try:
        counter = queue.save_counter(current_user, agency=desk, number=form.number.data, name=form.name.data,
                                     fields=(form.served_fields.data or "").splitlines(), active=form.active.data,
                                     counter=editing)
    except DomainError as exc:
        error = None if show_domain_error(form, exc) else exc.message
        if error:
            flash(error, "error")
        return _page(form, desk, editing, status=exc.status)
    flash(_("Đã lưu quầy %(n)s của %(desk)s.", n=counter.number, desk=desk.name), "success")
    return redirect(url_for(".counters", desk=desk.identifier), code=303)
