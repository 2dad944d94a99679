"""PAKN pages (citizens file, see the answer and rate it; staff answer) and the portal sync admin page."""
from flask import Blueprint

bp = Blueprint("pakn", __name__)

from . import routes  # noqa: E402,F401
