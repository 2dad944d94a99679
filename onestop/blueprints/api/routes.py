"""Staff endpoints of the JSON API: catalogue, intake, dossiers, actions and receipts.

Views parse input, call the workflow (the one door for state), commit once and
answer with JSON; every refusal is a DomainError rendered by the app's handler.
"""
from __future__ import annotations

from datetime import datetime

from flask import Response, jsonify, request, url_for
from sqlalchemy.orm import joinedload, selectinload

from ... import idempotency, policy, queries, workflow
from ...calendar import get_calendar
from ...errors import BadRequest, PermissionDenied, UnsupportedMediaType, ValidationError
from ...extensions import csrf, db
from ...inputs import DB_INT_MAX, check_strings
from ...models import Procedure, RouteStep
from ...text import like_pattern
from ...timeutil import local, parse_iso
from . import bp, openapi, serialize
from .auth import add_challenge, current_api_user, token_required

# Token holders are not browsers with a session: no CSRF tokens on the API.
csrf.exempt(bp)
bp.after_request(add_challenge)

MAX_Q = 200


# -- input helpers (NUL bytes, surrogates and lengths of paths and queries: onestop/inputs.py) --------

def json_body() -> dict:
    """The request's JSON object; 415 for another media type, 400 for broken JSON, 422 for a non-object."""
    if not request.is_json:
        raise UnsupportedMediaType("Nội dung yêu cầu phải có Content-Type: application/json.")
    try:
        data = request.get_json(silent=True)
    except RecursionError:
        data = None
    if data is None:
        raise BadRequest("Nội dung yêu cầu không phải JSON hợp lệ.")
    if not isinstance(data, dict):
        raise ValidationError("Nội dung yêu cầu phải là một đối tượng JSON.")
    check_strings(data)
    return data


def moment(value, field: str) -> datetime | None:
    """An ISO-8601 moment from the body, within the working calendar's years."""
    if value is None:
        return None
    if not isinstance(value, str):
        raise ValidationError("Thời điểm phải là chuỗi ISO-8601, ví dụ 2026-11-21T09:30:00+07:00.", field=field)
    try:
        parsed = parse_iso(value)
        year = local(parsed).year
    except (ValueError, OverflowError):
        raise ValidationError("Thời điểm không hợp lệ (ISO-8601, ví dụ 2026-11-21T09:30:00+07:00).",
                              field=field) from None
    cal = get_calendar()
    if not cal.first_year <= year < cal.last_year:
        raise ValidationError(f"Thời điểm phải nằm trong các năm {cal.first_year}-{cal.last_year - 1}.",
                              field=field)
    return parsed


def int_arg(name: str, default: int, low: int, high: int) -> int:
    raw = request.args.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ValidationError(f"Tham số {name} phải là số nguyên.", field=name) from None
    if not low <= value <= high:
        raise ValidationError(f"Tham số {name} phải từ {low} đến {high}.", field=name)
    return value


def bool_arg(name: str) -> bool:
    raw = (request.args.get(name) or "").lower()
    if raw in ("", "0", "false", "no"):
        return False
    if raw in ("1", "true", "yes"):
        return True
    raise ValidationError(f"Tham số {name} phải là true hoặc false.", field=name)


def checked_cursor(raw: str | None) -> str | None:
    """A cursor this API issued; anything else is a 422, never a database error."""
    if not raw:
        return None
    value, _ = queries.decode_cursor(raw)
    if value is not None and value.tzinfo is None:
        raise ValidationError("Con trỏ phân trang (cursor) không hợp lệ.", field="cursor")
    return raw


def visible_dossier(code: str):
    """The dossier if the token's user may see it: 404 when unknown, 403 when not theirs."""
    dossier = workflow.get_dossier(code)
    if not policy.can_view(current_api_user(), dossier):
        raise PermissionDenied("Bạn không có quyền xem hồ sơ này.")
    return dossier


def dossier_response(dossier, status: int = 200):
    body = serialize.dossier(dossier, serialize.Clock(), current_api_user())
    return jsonify(body), status


# -- endpoints ---------------------------------------------------------------

@bp.get("/openapi.json")
def openapi_document():
    """The OpenAPI 3 description of this API."""
    return jsonify(openapi.document())


@bp.get("/procedures")
def procedures():
    """The active procedure catalogue, optionally filtered by field or searched by name/code."""
    stmt = (
        db.select(Procedure).where(Procedure.active.is_(True))
        .options(joinedload(Procedure.receiving_agency), joinedload(Procedure.deciding_agency),
                 selectinload(Procedure.desks), selectinload(Procedure.documents),
                 selectinload(Procedure.route).joinedload(RouteStep.agency))
        .order_by(Procedure.code)
    )
    q = request.args.get("q", "").strip()
    if len(q) > MAX_Q:
        raise ValidationError(f"Từ khóa tìm kiếm không được dài quá {MAX_Q} ký tự.", field="q")
    if q:
        stmt = stmt.where(Procedure.name_search.like(like_pattern(q), escape="\\"))
    field = request.args.get("field", "").strip()
    if field:
        stmt = stmt.where(Procedure.field == field)
    items = [serialize.procedure(p) for p in db.session.execute(stmt).scalars()]
    return jsonify({"items": items})


@bp.post("/dossiers")
@token_required("clerk")
def create_dossier():
    """Intake at the desk (or registration of an online dossier); a repeated Idempotency-Key gets the first answer."""
    body = json_body()
    replay = idempotency.api_replay(current_api_user(), body)
    if replay is not None:
        return replay
    code = body.get("procedure_code")
    if not isinstance(code, str) or not code.strip():
        raise ValidationError("Mã thủ tục (procedure_code) là bắt buộc.", field="procedure_code")
    procedure = workflow.intake_procedure(code.strip())
    if procedure is None:
        raise ValidationError(f"Không tìm thấy thủ tục có mã {code.strip()[:60]}.", field="procedure_code")
    accept = body.get("accept")
    if accept is not None and not isinstance(accept, bool):
        raise ValidationError("Trường accept phải là true hoặc false.", field="accept")
    dossier = workflow.intake(
        actor=current_api_user(), procedure=procedure, applicant=body.get("applicant"),
        channel=body.get("channel"), documents=body.get("documents"),
        received_at=moment(body.get("received_at"), "received_at"), fee=body.get("fee"),
        sets=body.get("sets", 1), note=body.get("note"), accept=accept,
    )
    response, status = dossier_response(dossier, 201)
    response.status_code = status
    response.headers["Location"] = url_for("api.get_dossier", code=dossier.code)
    idempotency.api_store(response)
    return response


@bp.get("/dossiers")
@token_required()
def list_dossiers():
    """Dossiers the token's user may see, filtered and keyset-paginated."""
    args = request.args
    q = args.get("q", "").strip()
    if len(q) > MAX_Q:
        raise ValidationError(f"Từ khóa tìm kiếm không được dài quá {MAX_Q} ký tự.", field="q")
    filters = queries.DossierFilters(
        status=[s.strip() for s in args.get("status", "").split(",") if s.strip()],
        agency_identifier=args.get("agency", "").strip() or None,
        deadline_state=args.get("deadline_state", "").strip() or None,
        procedure_code=args.get("procedure", "").strip() or None,
        q=q or None,
    )
    limit = int_arg("limit", 50, 1, queries.MAX_LIMIT)
    clock = serialize.Clock()
    user = current_api_user()
    page = queries.page(user, filters, order=args.get("order", "newest"), cursor=checked_cursor(args.get("cursor")),
                        limit=limit, now=clock.now)
    body = {"items": [serialize.dossier_summary(d, clock) for d in page.items],
            "next_cursor": page.next_cursor, "limit": page.limit}
    if bool_arg("count"):
        body["count"] = queries.count(user, filters, now=clock.now)
    return jsonify(body)


@bp.get("/dossiers/<code>")
@token_required()
def get_dossier(code: str):
    """One dossier with its documents, steps and full history."""
    dossier = visible_dossier(code)
    return dossier_response(dossier)


@bp.post("/dossiers/<code>/actions")
@token_required()
def dossier_action(code: str):
    """One workflow action; answers with the dossier as it is afterwards (Idempotency-Key as for intake)."""
    dossier = visible_dossier(code)
    body = json_body()
    replay = idempotency.api_replay(current_api_user(), body)
    if replay is not None:
        return replay
    action = body.get("action")
    if not isinstance(action, str) or action not in workflow.VERBS:
        raise ValidationError("Thao tác không hợp lệ. Các thao tác: " + ", ".join(workflow.VERBS) + ".",
                              field="action")
    params = {name: body[name] for name in workflow.action_params(action) if name in body}
    if "new_due_at" in params:
        params["new_due_at"] = moment(params["new_due_at"], "new_due_at")
    assignee = params.get("assignee")
    if isinstance(assignee, int) and not isinstance(assignee, bool) and not 0 < assignee <= DB_INT_MAX:
        raise ValidationError("Người được phân công không hợp lệ.", field="assignee")
    workflow.perform(dossier, action, actor=current_api_user(), version=body.get("version"), **params)
    response, _status = dossier_response(dossier)
    idempotency.api_store(response)
    return response


@bp.get("/dossiers/<code>/receipt.pdf")
@token_required()
def receipt(code: str):
    """The receipt (Giấy tiếp nhận hồ sơ và hẹn trả kết quả) as a PDF."""
    from ... import papers

    dossier = visible_dossier(code)
    pdf = papers.receipt_pdf(dossier)
    return Response(pdf, mimetype="application/pdf",
                    headers={"Content-Disposition": f'inline; filename="{papers.receipt_filename(dossier)}"'})
