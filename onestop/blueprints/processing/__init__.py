"""Specialists' and leaders' inbox, dossier page and inter-agency hand-over."""
from flask import Blueprint

bp = Blueprint("processing", __name__)

from . import routes  # noqa: E402,F401
