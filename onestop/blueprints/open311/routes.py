"""GeoReport v2 read endpoints: services (procedures) and service requests (dossiers).

Requests share the citizens' lookup budget per address (lists too: a list of codes
is where guessing starts), pages hold at most 100 requests, and every absolute URL
is built from ONESTOP_BASE_URL, never from the Host header a client sent.
"""
from urllib.parse import urlencode

from flask import current_app, jsonify, request, url_for
from werkzeug.exceptions import HTTPException

from ... import transaction
from ...errors import DomainError
from ...extensions import csrf, db
from ..lookup.limits import lookup_limit
from ..main.errors import MESSAGES
from . import bp, georeport


def _spec_error(status: int, description: str):
    """GeoReport v2 errors: a list of {code, description}."""
    return jsonify([{"code": status, "description": description}]), status


def _absolute(endpoint: str, **args) -> str:
    """An absolute URL on the configured site (ONESTOP_BASE_URL)."""
    path = url_for(endpoint)
    query = f"?{urlencode(args)}" if args else ""
    return f"{current_app.config['ONESTOP_BASE_URL']}{path}{query}"


@bp.errorhandler(DomainError)
def domain_error(exc: DomainError):
    if not transaction.kept_on_error():
        db.session.rollback()
    return _spec_error(exc.status, exc.message)


@bp.errorhandler(HTTPException)
def http_error(exc: HTTPException):
    status = exc.code or 500
    return _spec_error(status, str(MESSAGES.get(status, ("error", "Đã có lỗi xảy ra."))[1]))


@bp.route("/services.json")
@csrf.exempt
def services():
    return jsonify(georeport.services())


@bp.route("/requests.json")
@csrf.exempt
@lookup_limit()
def requests():
    query = georeport.parse_query(request.args)
    items, next_cursor = georeport.find_requests(query)
    response = jsonify(items)
    if next_cursor:
        args = {k: v for k, v in request.args.items() if k != "cursor"}
        response.headers["Link"] = f'<{_absolute("open311.requests", **args, cursor=next_cursor)}>; rel="next"'
    return response


@bp.route("/requests/<code>.json")
@csrf.exempt
@lookup_limit()
def request_one(code: str):
    dossier = georeport.one_request(code)
    if dossier is None:
        return _spec_error(404, "Không tìm thấy hồ sơ.")
    return jsonify([georeport.service_request(dossier)])


@bp.route("/discovery.json")
@csrf.exempt
def discovery():
    """GeoReport v2 service discovery: where this endpoint lives and what it speaks."""
    return jsonify(georeport.discovery(_absolute("open311.services").rsplit("/", 1)[0]))
