"""The desk's online queue: check an online submission, then accept it, ask for completion, or refuse it."""
from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from ... import access, files, submission
from ...errors import Conflict, NotFound, ValidationError
from ...extensions import db
from ...inputs import ascii_int
from ...models import DossierEvent
from ...status import DossierStatus as S
from ...timeutil import now as utcnow
from ..portal.forms import PostForm
from . import bp

DECISIONS = ("accept", "ask_completion", "refuse")


def _dossier(code):
    try:
        return submission.desk_dossier(current_user, code)
    except NotFound:
        abort(404)


@bp.route("/online")
@access.roles_required("clerk")
def online_queue():
    """Online submissions of this desk waiting to be checked (the clock has not started)."""
    return render_template("reception/online_queue.html", items=submission.desk_queue(current_user), now=utcnow())


def _page(dossier, status=200, error=None):
    events = db.session.execute(db.select(DossierEvent).where(DossierEvent.dossier_id == dossier.id)
                                .order_by(DossierEvent.id)).scalars().all()
    return render_template("reception/online_dossier.html", dossier=dossier, events=events,
                           scans=files.attachments_of(dossier, "scan"), form=PostForm(formdata=None),
                           waiting=dossier.status == S.SUBMITTED, error=error,
                           names=[d.name for d in dossier.documents]), status


@bp.route("/online/<code>")
@access.roles_required("clerk")
def online_dossier(code):
    return _page(_dossier(code))


@bp.route("/online/<code>/<any(accept, ask_completion, refuse):decision>", methods=["POST"])
@access.roles_required("clerk")
def online_decide(code, decision):
    """The clerk's decision, guarded by the version they saw; the citizen is told."""
    dossier = _dossier(code)
    if not PostForm().validate_on_submit():
        abort(400)
    version = ascii_int(request.form.get("version"))
    try:
        if decision == "accept":
            submission.accept(dossier, actor=current_user, version=version)
        elif decision == "refuse":
            submission.refuse(dossier, actor=current_user, version=version, reason=request.form.get("reason"))
        else:
            missing = [n for n in request.form.getlist("missing") if n.strip()]
            other = (request.form.get("other") or "").strip()
            submission.ask_completion(dossier, actor=current_user, version=version,
                                      reason=request.form.get("reason"), documents=missing + ([other] if other else []))
    except Conflict as exc:
        flash(exc.message, "error")
        return redirect(url_for(".online_dossier", code=dossier.code))
    except ValidationError as exc:
        return _page(dossier, status=exc.status, error=exc.message)
    messages = {"accept": _("Đã tiếp nhận hồ sơ %(code)s; thời hạn giải quyết tính từ bây giờ."),
                "ask_completion": _("Đã yêu cầu công dân hoàn thiện hồ sơ %(code)s."),
                "refuse": _("Đã từ chối tiếp nhận hồ sơ %(code)s; công dân đã được thông báo.")}
    flash(messages[decision] % {"code": dossier.code}, "success")
    return redirect(url_for(".online_queue"))
