"""Public pages (no sign-in): figures, ranking, trend charts, dossiers finished late. No personal data."""
from flask import abort, jsonify, render_template

from ...extensions import csrf, limiter
from ...timeutil import iso
from . import board as boards
from . import bp

LIMIT = "120 per minute"


@bp.route("/")
@limiter.limit(LIMIT)
def index():
    """The province as a whole, with the ranking of its agencies and communes."""
    return render_template("scoreboard/board.html", board=_board(None), pages=boards.boards())


@bp.route("/<identifier>")
@limiter.limit(LIMIT)
def agency(identifier: str):
    """One department or commune (and the units under it)."""
    return render_template("scoreboard/board.html", board=_board(identifier), pages=boards.boards())


@bp.route("/du-lieu.json")
@bp.route("/<identifier>/du-lieu.json")
@csrf.exempt
@limiter.limit(LIMIT)
def data(identifier: str | None = None):
    """The same figures as JSON (for the portal or the press)."""
    b = _board(identifier)
    out = {k: v for k, v in b.items() if not k.endswith("_chart")}
    out["as_of"] = iso(b["as_of"])
    out["late"] = [{**row, **{k: iso(row[k]) if row[k] else None
                              for k in ("received_at", "due_at", "new_due_at", "finished_at")}} for row in b["late"]]
    return jsonify(out)


def _board(identifier):
    if identifier is not None and len(identifier) > 40:
        abort(404)
    b = boards.board(identifier)
    if b is None:
        abort(404)
    return b
