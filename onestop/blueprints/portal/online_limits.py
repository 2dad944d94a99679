"""Rate limits of online submission (Flask-Limiter, per client address).

Every POST of the submission's steps and of the lookup page's uploads draws on
ONESTOP_ONLINE_FORM_LIMIT; sending a one-time code and the final submit also
draw on the stricter ONESTOP_ONLINE_SEND_LIMIT. Per contact, otp.py caps the
codes sent in an hour and submission.py the dossiers submitted in a day.
"""
from flask import abort, current_app

from ...extensions import limiter

FORM_LIMIT_DEFAULT = "120 per hour"
SEND_LIMIT_DEFAULT = "10 per hour"


def _form_limit() -> str:
    return current_app.config.get("ONESTOP_ONLINE_FORM_LIMIT") or FORM_LIMIT_DEFAULT


def _send_limit() -> str:
    return current_app.config.get("ONESTOP_ONLINE_SEND_LIMIT") or SEND_LIMIT_DEFAULT


def form_limit():
    return limiter.shared_limit(_form_limit, scope="online-forms", methods=["POST"])


def hit_send_limit() -> None:
    """Count one code sent or one submission against the address; 429 beyond the limit."""
    if not current_app.config.get("RATELIMIT_ENABLED", True):
        return
    from flask_limiter.util import get_remote_address
    from limits import parse

    item = parse(_send_limit())
    if not limiter.limiter.hit(item, "online-send", get_remote_address()):
        abort(429)
