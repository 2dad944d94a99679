"""Route guards reused by every blueprint: roles, and dossiers the user may see."""
from functools import wraps

from flask import abort
from flask_login import current_user, login_required

from . import policy
from .extensions import db
from .models import Dossier


def roles_required(*roles: str):
    """Signed-in staff with one of the roles; others get 403 (anonymous: the login page)."""

    def decorator(view):
        @wraps(view)
        @login_required
        def wrapped(*args, **kwargs):
            if current_user.role not in roles:
                abort(403)
            return view(*args, **kwargs)

        return wrapped

    return decorator


def visible_dossier_or_abort(code: str, user=None) -> Dossier:
    """The dossier with that code if the user may see it: 404 if unknown, 403 if not theirs."""
    user = user or current_user
    dossier = db.session.execute(db.select(Dossier).filter_by(code=code)).scalar_one_or_none()
    if dossier is None:
        abort(404)
    if not policy.can_view(user, dossier):
        abort(403)
    return dossier
