"""Leads pages: leaders see their agency and the units below it; inspection staff the whole province."""
from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from ... import integrity, settings
from ...access import roles_required
from ...errors import ValidationError
from ...status import LeadKind
from . import bp
from .forms import ReviewForm


def _days() -> int:
    raw = (request.values.get("days") or "").strip()
    if raw.isascii() and raw.isdigit() and 1 <= int(raw) <= 366:
        return int(raw)
    return settings.get("integrity_window_days")


@bp.route("/")
@roles_required(*integrity.LEAD_ROLES)
def leads():
    """Every lead of the window, grouped by kind."""
    days = _days()
    window = integrity.window_for(current_user, days=days)
    found = integrity.leads(window)
    by_kind = {kind: [lead for lead in found if lead.kind == kind] for kind in LeadKind}
    return render_template("integrity/leads.html", by_kind=by_kind, days=days, window=window,
                           thresholds=settings.current(), answer_kinds=(LeadKind.MONEY_ASKED, LeadKind.CAME_AGAIN))


@bp.route("/lead", methods=["GET", "POST"])
@roles_required(*integrity.LEAD_ROLES)
def lead():
    """The dossiers behind one lead, and the reviewer's note (audited)."""
    days = _days()
    kind = LeadKind.parse(request.values.get("kind"))
    key = (request.values.get("key") or "").strip()[:255]
    if kind is None or not key:
        flash(_("Không rõ dấu hiệu cần xem."), "warning")
        return redirect(url_for("integrity.leads"))
    window = integrity.window_for(current_user, days=days)
    form = ReviewForm(kind=str(kind), key=key, days=str(days))
    status = 200
    if form.validate_on_submit():
        try:
            integrity.review(current_user, kind, key, form.note.data)
        except ValidationError as exc:
            form.note.errors = [exc.message]
            status = 422
        else:
            flash(_("Đã ghi nhận kết quả xem xét."), "success")
            return redirect(url_for("integrity.lead", kind=str(kind), key=key, days=days))
    elif request.method == "POST":
        status = 422
    dossiers = integrity.lead_dossiers(window, kind, key)
    review = integrity.last_reviews([(kind, key)]).get((str(kind), key))
    return render_template("integrity/lead.html", kind=kind, key=key, days=days, window=window,
                           dossiers=dossiers, review=review, form=form), status
