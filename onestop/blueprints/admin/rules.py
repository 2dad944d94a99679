"""The province's rules where the law leaves a choice (Decree 118/2025): supplements, apologies, warnings."""
from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import StringField

from ... import settings
from ...errors import ValidationError
from ..common import show_domain_error
from . import bp
from .helpers import admin_only


def _form_class():
    """One text field per rule (the domain checks the numbers and says what is wrong, in Vietnamese)."""
    fields = {rule.key: StringField(rule.label, description=rule.help) for rule in settings.RULES}
    return type("RulesForm", (FlaskForm,), fields)


@bp.route("/rules", methods=["GET", "POST"])
@admin_only
def rules():
    """Show and change the province's settings; every change is audited."""
    form = _form_class()()
    values = settings.current()
    if request.method == "GET":
        for rule in settings.RULES:
            getattr(form, rule.key).data = str(values[rule.key])
    elif form.validate():
        try:
            changes = settings.update(current_user, {rule.key: getattr(form, rule.key).data for rule in settings.RULES})
        except ValidationError as exc:
            show_domain_error(form, exc)
        else:
            flash(_("Đã lưu %(n)d thay đổi.", n=len(changes)) if changes else _("Không có thay đổi nào."), "success")
            return redirect(url_for("admin.rules"))
    status = 422 if request.method == "POST" else 200
    return render_template("admin/rules.html", form=form, rules=settings.RULES, defaults=True), status
