"""Administration: agencies, users and their tokens, procedures, the calendar, the province's rules, the audit log."""
from flask import Blueprint

bp = Blueprint("admin", __name__)

from . import (  # noqa: E402,F401
    agencies,
    audit,
    calendar,
    counters,  # noqa: E402,F401  (issue 21)
    procedures,
    province,  # noqa: E402,F401  (issue 19)
    routes,
    rules,
    system,
    users,
)
