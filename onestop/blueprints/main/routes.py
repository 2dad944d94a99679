from flask import abort, jsonify, redirect, render_template, request, session, url_for
from flask_login import current_user, login_required
from sqlalchemy import text

from ... import LANGUAGES
from ...extensions import csrf, db
from ...urls import safe_next
from . import bp

HOME_BY_ROLE = {
    "clerk": "reception.index",
    "specialist": "processing.inbox",
    "leader": "processing.inbox",
    "admin": "admin.index",
    "inspector": "integrity.leads",
}


@bp.route("/")
def index():
    """Staff land on their own desk; visitors on the public lookup."""
    if not current_user.is_authenticated:
        return redirect(url_for("lookup.index"))
    return redirect(url_for(HOME_BY_ROLE.get(current_user.role, "main.about")))


@bp.route("/about")
@login_required
def about():
    return render_template("main/about.html")


@bp.route("/healthz")
@csrf.exempt
def healthz():
    """Cheap liveness and database check for load balancers."""
    try:
        db.session.execute(text("SELECT 1"))
        return jsonify(status="ok", db="ok")
    except Exception:  # noqa: BLE001 - any database failure means "not healthy"
        db.session.rollback()
        return jsonify(status="error", db="unavailable"), 503


@bp.route("/lang/<code>", methods=["GET", "POST"])
def set_language(code: str):
    """Remember the chosen language in the session (and, posted by a signed-in user, in their profile).

    Public pages switch with a plain link (GET): a visitor who only reads gets no session cookie, and no
    CSRF token is made for every page (issue 18); the choice is kept in the session alone, and a link from
    elsewhere can change no more than the language of the pages. Staff pages post the form with its CSRF
    token, which also saves the choice in the profile.
    """
    if code not in LANGUAGES:
        abort(404)
    session["lang"] = code
    if request.method == "POST" and current_user.is_authenticated:
        current_user.locale = code  # committed with the request
    target = request.form.get("next") if request.method == "POST" else request.args.get("next")
    return redirect(safe_next(target, url_for("main.index")))
