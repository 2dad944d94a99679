"""Home, health check, language choice and error pages."""
from flask import Blueprint

bp = Blueprint("main", __name__)

from . import face, routes  # noqa: E402,F401  (face: the province's face, issue 19)
