"""JSON API v1 (/api/v1): staff endpoints with bearer tokens, public lookup and feedback."""
from flask import Blueprint

bp = Blueprint("api", __name__)

from . import lookup, routes  # noqa: E402,F401

# -- api modules: issue 15 (score766, PAKN) --
# isort: split
from . import reports  # noqa: E402,F401
# -- api modules: issue 16 (online submission) --
# -- api modules: issue 20 (scoreboard) --
