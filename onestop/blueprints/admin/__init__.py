"""Administration: agencies, users and their tokens, procedures, the calendar, the province's rules, the audit log."""
from flask import Blueprint

bp = Blueprint("admin", __name__)

from . import agencies, audit, calendar, procedures, routes, rules, users  # noqa: E402,F401
