"""Public lookup and feedback endpoints of the API (no token; rate-limited per client)."""
from flask import jsonify, request

from ... import citizen
from ...errors import NotFound, ValidationError
from ...extensions import csrf
from ...timeutil import iso
from ..lookup.limits import lookup_limit
from . import bp


@bp.route("/lookup/<code>", methods=["GET"])
@csrf.exempt
@lookup_limit()
def lookup_dossier(code: str):
    """The citizen's view; without the right `key`, status and dates only (no personal data)."""
    found = citizen.find_for_citizen(code, request.args.get("key"))
    view = citizen.view_of(found)
    # CONTRACT.md: the API gives the applicant's name masked, even with the key
    # (the key's holder sees the full name on the lookup page).
    view.pop("applicant_name", None)
    return jsonify(view)


@bp.route("/lookup/<code>/feedback", methods=["POST"])
@csrf.exempt
@lookup_limit()
def lookup_feedback(code: str):
    """Satisfaction after return, once per dossier; `key` in the body (or the query string)."""
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        raise ValidationError("Nội dung yêu cầu phải là một đối tượng JSON.", field="body")
    key = body.get("key", request.args.get("key"))
    if not isinstance(key, str) or not citizen.normalize_key(key):
        raise NotFound(str(citizen.NOT_FOUND_MESSAGE))
    found = citizen.find_for_citizen(code, key)
    feedback = citizen.submit_feedback(found.dossier, body.get("rating"), body.get("comment"),
                                       asked_money=body.get("asked_money"), came_again=body.get("came_again"))
    answer = {
        "code": found.facts.code,
        "rating": feedback.rating,
        "rating_label": feedback.rating_label,
        "comment": feedback.comment,
        "created_at": iso(feedback.created_at),
    }
    # The optional questions (docs/integrity.md) are echoed only when answered.
    answer.update({k: v for k in ("asked_money", "came_again") if (v := getattr(feedback, k)) is not None})
    if feedback.pakn is not None:  # the citizen's own PAKN, to follow it on /pakn
        answer["pakn"] = {"code": feedback.pakn.code, "key": feedback.pakn.key}
    return jsonify(answer), 201
