"""Citizens' portal: the public catalogue of procedures (công khai thủ tục hành chính) and online submission."""
from flask import Blueprint

bp = Blueprint("portal", __name__)

from . import routes, submit  # noqa: E402,F401
