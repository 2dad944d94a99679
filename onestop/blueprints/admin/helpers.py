"""What the administration pages share: the admin-only guard, agency choices, lookups and day parsing."""
from __future__ import annotations

from datetime import date

import sqlalchemy as sa
from flask import abort, request, url_for

from ...access import roles_required
from ...extensions import db
from ...models import Agency
from ...urls import is_safe_path

PAGE_SIZE = 50
admin_only = roles_required("admin")


def form_status() -> int:
    """A form shown again after a POST had errors: 422, like a domain refusal (nothing is committed)."""
    return 422 if request.method == "POST" else 200


def agency_choices(blank: str | None = None, active_only: bool = True) -> list[tuple[str, str]]:
    query = sa.select(Agency.identifier, Agency.name).order_by(Agency.identifier)
    if active_only:
        query = query.where(Agency.active.is_(True))
    choices = [(row.identifier, f"{row.identifier} – {row.name}") for row in db.session.execute(query)]
    return ([("", blank)] if blank is not None else []) + choices


def get_or_404(model, **by):
    obj = db.session.execute(sa.select(model).filter_by(**by)).scalar_one_or_none()
    if obj is None:
        abort(404)
    return obj


def parse_day(text: str | None) -> date | None:
    """A day typed as dd/mm/yyyy or given by a date input (yyyy-mm-dd); None when it is no day."""
    text = (text or "").strip()
    try:
        if "/" in text:
            d, m, y = (int(x) for x in text.split("/"))
            return date(y, m, d)
        return date.fromisoformat(text)
    except (ValueError, TypeError):
        return None


def next_page_url(endpoint: str, cursor: str | None, **args) -> str | None:
    """The link to the page after this one, keeping the list's filters (None on the last page)."""
    if not cursor:
        return None
    kept = {k: v for k, v in args.items() if v not in (None, "")}
    return url_for(endpoint, cursor=cursor, **kept)


def back_to(default: str) -> str:
    """Where a button should send the admin back to: the page it was pressed on, if that is an admin page."""
    target = request.form.get("next") or ""
    return target if target.startswith("/admin/") and is_safe_path(target) else default
