"""Reception desk: intake, receipts, queue, returns and the register."""
from flask import Blueprint

bp = Blueprint("reception", __name__)

# contact: the applicant's own contact confirmed at the desk (issue 20); online: the desk's online queue (issue 16)
from . import contact, online, routes  # noqa: E402,F401
