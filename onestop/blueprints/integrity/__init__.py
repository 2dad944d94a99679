"""Broker signals (dấu hiệu cò mồi) for leaders and inspection staff: leads, their dossiers, reviews."""
from flask import Blueprint

bp = Blueprint("integrity", __name__)

from . import routes  # noqa: E402,F401
