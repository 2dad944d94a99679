"""Open311 GeoReport v2 read endpoints."""
from flask import Blueprint

bp = Blueprint("open311", __name__)

from . import routes  # noqa: E402,F401
