"""Citizens' pages: look a dossier up by code (and key), follow its progress, rate the service."""
from urllib.parse import quote

from flask import Response, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from ... import citizen, files, submission
from ...errors import Conflict, NotFound, ValidationError
from ...timeutil import parse_iso
from ..portal.forms import PostForm
from . import bp
from .forms import FeedbackForm, LookupForm
from .limits import lookup_limit


@bp.context_processor
def lookup_helpers():
    def at(value: str | None) -> str:
        """An ISO moment of the view as "08:30 ngày 21/11/2026"."""
        return citizen.when(parse_iso(value)) if value else ""

    return {"at": at}


@bp.errorhandler(429)
def too_many(exc):
    return render_template("lookup/too_many.html", form=LookupForm()), 429


def _not_found(code=None):
    """The one answer for an unknown code and for a wrong key."""
    form = LookupForm(formdata=None, code=citizen.normalize_code(code) or "")
    return render_template("lookup/not_found.html", form=form, message=citizen.NOT_FOUND_MESSAGE), 404


@bp.route("/", methods=["GET", "POST"])
@lookup_limit(methods=["POST"])
def index():
    """The search page; a GET with ?code= (a portal's link) goes straight to the dossier."""
    if request.method == "GET" and request.args.get("code"):
        code = citizen.normalize_code(request.args["code"])
        if code is None:
            return _not_found()
        key = citizen.normalize_key(request.args.get("key"))
        return redirect(url_for("lookup.dossier", code=code, **({"key": key} if key else {})))
    form = LookupForm()
    if not form.validate_on_submit():
        return render_template("lookup/index.html", form=form), 422 if form.errors else 200
    code = citizen.normalize_code(form.code.data)
    if code is None:
        return _not_found()
    if not citizen.normalize_key(form.key.data):
        return redirect(url_for("lookup.dossier", code=code))
    try:
        found = citizen.find_for_citizen(code, form.key.data)
    except NotFound:
        return _not_found(code)
    # The key (not an ID number) goes in the URL: the same link as the receipt's QR code.
    return redirect(url_for("lookup.dossier", code=found.facts.code, key=found.facts.lookup_key))


@bp.route("/<code>")
@lookup_limit()
def dossier(code: str):
    """The QR code of the receipt opens this page with ?key=; without it, the status-only view."""
    try:
        found = citizen.find_for_citizen(code, request.args.get("key"))
    except NotFound:
        return _not_found(code)
    view = citizen.view_of(found)  # what was read with the dossier, in one statement (issue 18)
    # The search form is shown only without the key, the answer form only with a pending request.
    facts = found.facts  # the columns read with it: no ORM load for the page
    form = None if found.full else LookupForm(formdata=None, code=facts.code)
    key = facts.lookup_key if found.full else None
    result_file = citizen.result_download(facts, found.result_id) if found.full else None
    online_request = submission.pending(facts) if found.full else None  # issue 16: answer online
    return render_template("lookup/dossier.html", view=view, form=form, key=key, result_file=result_file,
                           online_request=online_request,
                           online_form=PostForm(formdata=None) if online_request else None)


def _key_holder(code: str, key):
    """The dossier found for the holder of its key, or None (the same "not found" for every failure)."""
    if not citizen.normalize_key(key):
        return None
    try:
        return citizen.find_for_citizen(code, key)
    except NotFound:
        return None


@bp.route("/<code>/result")
@lookup_limit()
def result(code: str):
    """The result file (sealed by the agency when it is a PDF), for the holder of the key only."""
    found = _key_holder(code, request.args.get("key"))
    if found is None:
        return _not_found(code)
    att = citizen.result_attachment(found.facts)
    if att is None:
        flash(_("Hồ sơ chưa có kết quả điện tử để tải về."), "warning")
        return redirect(url_for("lookup.dossier", code=found.facts.code, key=found.facts.lookup_key))
    return Response(files.read_bytes(att), mimetype=att.content_type, headers={
        "Content-Disposition": f"attachment; filename*=UTF-8''{quote(att.original_name)}",
        "X-Content-Type-Options": "nosniff", "Cache-Control": "private, no-store"})


@bp.route("/<code>/feedback", methods=["GET", "POST"])
@lookup_limit()
def feedback(code: str):
    """Satisfaction rating, once, after the result is returned; needs the key."""
    found = _key_holder(code, request.form.get("key") if request.method == "POST" else request.args.get("key"))
    if found is None:
        return _not_found(code)
    dossier_ = found.dossier
    form = FeedbackForm(key=dossier_.lookup_key)
    status = 200
    if form.validate_on_submit():
        try:
            given = citizen.submit_feedback(dossier_, form.rating.data, form.comment.data,
                                            asked_money=form.answer(form.asked_money.data),
                                            came_again=form.answer(form.came_again.data))
        except ValidationError as exc:
            form.rating.errors = [exc.message] if exc.field == "rating" else []
            form.comment.errors = [exc.message] if exc.field == "comment" else []
            status = 422
        except Conflict as exc:
            flash(exc.message, "warning")
            status = 409
        else:
            flash(_("Cảm ơn ông/bà đã đánh giá. Ý kiến của ông/bà giúp cơ quan nhà nước phục vụ tốt hơn."),
                  "success")
            if given.pakn is not None:
                flash(_("Thông tin ông/bà cho biết đã được chuyển tới cán bộ thanh tra (không gửi cho bộ phận tiếp "
                        "nhận). Mã phản ánh: %(code)s, mã tra cứu: %(key)s.", code=given.pakn.code,
                        key=given.pakn.key), "info")
            return redirect(url_for("lookup.dossier", code=dossier_.code, key=dossier_.lookup_key))
    elif request.method == "POST":
        status = 422
    view = citizen.view_of(found)
    return render_template("lookup/feedback.html", view=view, form=form, key=dossier_.lookup_key), status
