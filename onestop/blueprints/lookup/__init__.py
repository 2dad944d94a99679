"""Public lookup of a dossier by code and key, and satisfaction rating."""
from flask import Blueprint

bp = Blueprint("lookup", __name__)

from . import routes  # noqa: E402,F401
