"""Reception desk: intake, receipts, queue, returns and the register."""
from flask import Blueprint

bp = Blueprint("reception", __name__)

from . import routes  # noqa: E402,F401
