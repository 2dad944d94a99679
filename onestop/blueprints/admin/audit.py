"""The audit log page: who did what, in sentences, filtered by person, kind of action and dates."""
from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

import sqlalchemy as sa
from flask import render_template, request
from flask_babel import gettext as _

from ... import audit_text, pagination
from ...models import AuditLog
from ...timeutil import zone
from . import bp
from .forms import AuditFilterForm
from .helpers import PAGE_SIZE, admin_only, next_page_url, parse_day

NEWEST_FIRST = pagination.Order(None, AuditLog.id, descending=True)


def _filtered(form: AuditFilterForm):
    """The audit rows the filters select, or None when a filter is not understood (its field says why)."""
    query = sa.select(AuditLog)
    actor = (form.actor.data or "").strip()
    if actor:
        query = query.where(sa.func.lower(AuditLog.actor_name) == actor.lower())
    action = (form.action.data or "").strip()
    if action:
        pattern = action.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        query = query.where(AuditLog.action.like(pattern, escape="\\"))
    understood = True
    for field, shift in ((form.date_from, 0), (form.date_to, 1)):
        if not field.data:
            continue
        day = parse_day(field.data)
        if day is None:
            field.errors = [_("Ngày không hợp lệ (dd/mm/yyyy).")]
            understood = False
            continue
        bound = datetime.combine(day + timedelta(days=shift), time(), tzinfo=zone()).astimezone(UTC)
        query = query.where(AuditLog.at >= bound if shift == 0 else AuditLog.at < bound)
    return query if understood else None


@bp.route("/audit")
@admin_only
def audit():
    form = AuditFilterForm(request.args)
    form.set_action_choices(audit_text.ACTION_GROUPS)
    query = _filtered(form)
    if query is None:
        return render_template("admin/audit.html", form=form, entries=[], total=None, next_url=None), 422
    page = pagination.page(query, NEWEST_FIRST, request.args.get("cursor"), PAGE_SIZE)
    entries = list(zip(page.items, audit_text.describe_rows(page.items), strict=True))
    filters = {name: request.args.get(name) for name in ("actor", "action", "date_from", "date_to")}
    return render_template("admin/audit.html", form=form, entries=entries, total=pagination.count(query),
                           next_url=next_page_url(".audit", page.next_cursor, **filters))
