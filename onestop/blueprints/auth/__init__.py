"""Sign-in and sign-out of staff, and changing one's own password."""
from flask import Blueprint, request, session

bp = Blueprint("auth", __name__)


@bp.after_app_request
def no_store_for_staff(response):
    """Answers to a signed-in user (session or API token) stay out of shared and browser caches.

    Reads the session and the headers, not the database: this runs after the commit and must not fail.
    """
    if session.get("_user_id") or request.headers.get("Authorization"):
        response.headers["Cache-Control"] = "no-store"
        response.headers.setdefault("Pragma", "no-cache")
    return response


from . import routes  # noqa: E402,F401
