"""The centre's floor: the kiosk, the counters, the hall's board, the rating tablets and the queue report."""
from flask import Blueprint

bp = Blueprint("queue", __name__)

from . import routes  # noqa: E402,F401
