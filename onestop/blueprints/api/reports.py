"""Leaders' scores over the API: GET /api/v1/reports/score766 (Decision 766/QĐ-TTg), as CONTRACT.md describes.

The same code as the dashboard and its exports: onestop/reports/score766.py. Leaders and admins only
(a token acts as its user); `agency` outside the caller's scope is a 403, an unknown one a 404.
"""
from __future__ import annotations

import json
import re
from datetime import date, datetime

from flask import current_app, request

from ...errors import NotFound, PermissionDenied, ValidationError
from ...extensions import db
from ...models import Agency
from ...reports import score766
from ...reports.period import FIRST_YEAR, LAST_YEAR, LONGEST_DAYS, Period, resolve_scope
from ...timeutil import zone
from . import bp
from .auth import current_api_user, token_required

_ISO_DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")
MAX_AGENCY = 40


def _day(name: str, label: str, default: date) -> date:
    raw = request.args.get(name)
    if raw is None or raw == "":
        return default
    if not _ISO_DAY.match(raw):
        raise ValidationError(f"{label} phải có dạng YYYY-MM-DD, ví dụ 2026-01-31.", field=name)
    try:
        value = date.fromisoformat(raw)
    except ValueError:
        raise ValidationError(f"{label} không phải ngày có thật.", field=name) from None
    if not FIRST_YEAR <= value.year <= LAST_YEAR:
        raise ValidationError(f"{label} phải nằm trong các năm {FIRST_YEAR}-{LAST_YEAR}.", field=name)
    return value


def api_period() -> Period:
    """`from` and `to` (local days, inclusive); omitted: from 1 January of this year to today."""
    today = datetime.now(zone()).date()
    last = _day("to", "Ngày kết thúc (to)", today)
    first = _day("from", "Ngày bắt đầu (from)", date(last.year, 1, 1))
    if last < first:
        raise ValidationError("Ngày kết thúc (to) phải không sớm hơn ngày bắt đầu (from).", field="to")
    if (last - first).days > LONGEST_DAYS:
        raise ValidationError("Kỳ tính điểm không được dài quá 5 năm.", field="to")
    return Period("custom", first, last)


def api_scope(user, identifier: str | None):
    """The caller's scope, or one agency in it: 404 when it does not exist, 403 when it is not the caller's."""
    identifier = (identifier or "").strip()
    if len(identifier) > MAX_AGENCY or any(not (" " < c <= "~") for c in identifier):
        raise ValidationError("Mã định danh cơ quan (agency) không hợp lệ.", field="agency")
    if identifier and db.session.execute(
            db.select(Agency.id).filter_by(identifier=identifier)).scalar_one_or_none() is None:
        raise NotFound(f"Không tìm thấy cơ quan {identifier}.")
    try:
        return resolve_scope(user, identifier)
    except PermissionDenied:
        raise PermissionDenied("Bạn chỉ được xem điểm của cơ quan mình và các đơn vị trực thuộc.") from None


@bp.get("/reports/score766", endpoint="score766")  # replica.READ_ENDPOINTS names it
@token_required("leader", "admin")
def score766_report():
    """Decision 766's six groups, their indicators and points, for the period and scope asked for."""
    period = api_period()
    scope = api_scope(current_api_user(), request.args.get("agency"))
    body = score766.score(period, scope).as_json()
    # Groups in the contract's order (jsonify would sort the keys).
    return current_app.response_class(json.dumps(body, ensure_ascii=False), mimetype="application/json")

