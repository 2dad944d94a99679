"""The public scoreboard (bảng điểm): how the province and each agency and commune serve citizens."""
from flask import Blueprint

bp = Blueprint("scoreboard", __name__)

from . import routes  # noqa: E402,F401
