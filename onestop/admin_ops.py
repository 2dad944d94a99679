"""Administration operations: one verb per use case; each flushes and writes an audit row.

Views call these and commit once; nothing here commits. Every change is recorded with
`audit.record(..., details={"before": ..., "after": ...})` so the audit page can show what changed.
"""
from __future__ import annotations

import re
from datetime import date

import sqlalchemy as sa
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from . import accounts, agencies, audit, calendar, catalogue
from .errors import Conflict, ValidationError
from .extensions import db
from .models import AGENCY_KINDS, ROLE_LABELS, Agency, ApiToken, AuditLog, Dossier, Procedure, User
from .status import TimeUnit
from .timeutil import now as utcnow

# -- snapshots (what "before" and "after" hold) ----------------------------------------------


def agency_snapshot(agency: Agency) -> dict:
    return {
        "identifier": agency.identifier, "name": agency.name, "kind": agency.kind,
        "parent": agency.parent.identifier if agency.parent else None,
        "address": agency.address, "phone": agency.phone, "active": agency.active,
    }


def user_snapshot(user: User) -> dict:
    return {
        "username": user.username, "full_name": user.full_name, "email": user.email, "role": user.role,
        "agency": user.agency.identifier if user.agency else None, "active": user.active,
        "locked": user.locked_until is not None and user.locked_until > utcnow(),
    }


def token_snapshot(token: ApiToken) -> dict:
    return {"user": token.user.username, "prefix": token.prefix, "name": token.name,
            "revoked": token.revoked_at is not None}


def procedure_snapshot(procedure: Procedure) -> dict:
    data = catalogue.serialize(procedure)
    data["active"] = procedure.active
    return data


def _record(action: str, actor, target, before, after, **extra) -> AuditLog:
    details = {"before": before, "after": after}
    details.update(extra)
    return audit.record(action, actor=actor, target=target, details=details)


# -- agencies --------------------------------------------------------------------------------


def _clean(value: str | None, max_len: int, field: str, label: str) -> str | None:
    value = " ".join((value or "").split()) or None
    if value and len(value) > max_len:
        raise ValidationError(_("%(label)s dài quá %(n)d ký tự.", label=label, n=max_len), field=field)
    return value


def create_agency(actor: User, *, identifier: str, name: str, parent: str | None = None,
                  kind: str | None = None, address: str | None = None, phone: str | None = None) -> Agency:
    """Add an agency to the tree."""
    address = _clean(address, 255, "address", _("Địa chỉ"))
    phone = _clean(phone, 40, "phone", _("Điện thoại"))
    agency = agencies.create_agency(identifier, name, parent or None, kind or None, address)
    agency.phone = phone
    db.session.flush()
    _record("admin.agency_create", actor, agency, None, agency_snapshot(agency))
    return agency


def update_agency(actor: User, agency: Agency, *, name: str, parent: str | None = None, kind: str,
                  address: str | None = None, phone: str | None = None, active: bool = True) -> Agency:
    """Change an agency's name, place in the tree, kind, contact or active flag."""
    before = agency_snapshot(agency)
    name = " ".join((name or "").split())
    if not name:
        raise ValidationError(_("Tên cơ quan là bắt buộc."), field="name")
    if len(name) > 255:
        raise ValidationError(_("Tên cơ quan dài quá 255 ký tự."), field="name")
    if kind not in AGENCY_KINDS:
        raise ValidationError(_("Loại cơ quan không hợp lệ."), field="kind")
    new_parent = None
    if parent:
        new_parent = agencies.get_by_identifier(parent.strip().upper())
        if new_parent is None:
            raise ValidationError(_("Không tìm thấy cơ quan cấp trên %(code)s.", code=parent), field="parent")
        if new_parent.id in agencies.subtree_ids(agency.id):
            raise ValidationError(_("Cơ quan cấp trên không thể là chính cơ quan này hoặc một đơn vị trực thuộc nó."),
                                  field="parent")
    if not active and agency.active:
        in_use = db.session.execute(
            sa.select(User.id).where(User.agency_id == agency.id, User.active.is_(True)).limit(1)
        ).first()
        if in_use:
            raise Conflict(_("Cơ quan còn tài khoản cán bộ đang hoạt động; hãy chuyển hoặc vô hiệu hóa "
                             "các tài khoản đó trước."), field="active")
    agency.name = name
    agency.parent = new_parent
    agency.kind = kind
    agency.address = _clean(address, 255, "address", _("Địa chỉ"))
    agency.phone = _clean(phone, 40, "phone", _("Điện thoại"))
    agency.active = bool(active)
    db.session.flush()
    after = agency_snapshot(agency)
    if after != before:
        _record("admin.agency_update", actor, agency, before, after)
    return agency


def agency_tree() -> list[tuple[Agency, int]]:
    """All agencies in tree order with their depth (one query; the tree is small)."""
    rows = list(db.session.execute(sa.select(Agency).order_by(Agency.identifier)).scalars())
    children: dict[int | None, list[Agency]] = {}
    for agency in rows:
        children.setdefault(agency.parent_id, []).append(agency)
    ordered: list[tuple[Agency, int]] = []
    stack = [(a, 0) for a in reversed(children.get(None, []))]
    while stack:
        agency, depth = stack.pop()
        ordered.append((agency, depth))
        stack.extend((c, depth + 1) for c in reversed(children.get(agency.id, [])))
    return ordered


# -- users -----------------------------------------------------------------------------------


def _agency_or_fail(identifier: str | None) -> Agency:
    agency = agencies.get_by_identifier((identifier or "").strip().upper())
    if agency is None:
        raise ValidationError(_("Không tìm thấy cơ quan %(code)s.", code=identifier or ""), field="agency")
    if not agency.active:
        raise ValidationError(_("Cơ quan %(code)s đã ngừng hoạt động.", code=agency.identifier), field="agency")
    return agency


def _email(value: str | None) -> str | None:
    value = (value or "").strip() or None
    if value and (len(value) > 255 or not re.fullmatch(r"[^@\s]+@[^@\s]+\.[^@\s]+", value)):
        raise ValidationError(_("Địa chỉ email không hợp lệ."), field="email")
    return value


def create_user(actor: User, *, username: str, role: str, agency: str, full_name: str, password: str,
                email: str | None = None) -> User:
    """Add a staff account (the password itself is never recorded)."""
    _agency_or_fail(agency)
    user = accounts.create_user(username, role=role, agency_identifier=agency.strip().upper(),
                                full_name=full_name, password=password, email=_email(email))
    _record("admin.user_create", actor, user, None, user_snapshot(user))
    return user


def update_user(actor: User, user: User, *, full_name: str, role: str, agency: str,
                email: str | None = None) -> User:
    """Change a staff member's name, email, role or agency."""
    before = user_snapshot(user)
    full_name = " ".join((full_name or "").split())
    if not full_name:
        raise ValidationError(_("Họ và tên là bắt buộc."), field="full_name")
    if len(full_name) > 120:
        raise ValidationError(_("Họ và tên dài quá 120 ký tự."), field="full_name")
    if role not in ROLE_LABELS:
        raise ValidationError(_("Vai trò không hợp lệ."), field="role")
    if user.id == actor.id and role != "admin":
        raise ValidationError(_("Bạn không thể tự bỏ vai trò quản trị của chính mình."), field="role")
    new_agency = _agency_or_fail(agency) if agency != (user.agency.identifier if user.agency else None) \
        else user.agency
    user.full_name = full_name
    user.email = _email(email)
    user.role = role
    user.agency = new_agency
    db.session.flush()
    after = user_snapshot(user)
    if after != before:
        _record("admin.user_update", actor, user, before, after)
    return user


def set_user_active(actor: User, user: User, active: bool) -> User:
    """Deactivate (or reactivate) an account; a deactivated user can neither sign in nor use tokens."""
    if user.id == actor.id and not active:
        raise ValidationError(_("Bạn không thể tự vô hiệu hóa tài khoản của chính mình."), field="active")
    before = user_snapshot(user)
    if active:
        user.active = True
    else:
        accounts.deactivate(user)  # also ends every session of the account
    db.session.flush()
    _record("admin.user_activate" if active else "admin.user_deactivate", actor, user, before, user_snapshot(user))
    return user


def deactivate(actor: User, user: User) -> User:
    return set_user_active(actor, user, False)


def reset_password(actor: User, user: User, password: str) -> User:
    """Set a new password chosen by the admin (password policy); ends the user's sessions, lifts sign-in delays."""
    before = user_snapshot(user)
    accounts.reset_password(user, password)
    _record("admin.user_reset_password", actor, user, before, user_snapshot(user), password_changed=True)
    return user


def unlock(actor: User, user: User) -> User:
    """Lift the temporary lock after too many failed sign-ins."""
    before = user_snapshot(user)
    accounts.unlock(user)
    db.session.flush()
    _record("admin.user_unlock", actor, user, before, user_snapshot(user))
    return user


# -- API tokens ------------------------------------------------------------------------------


def create_token(actor: User, user: User, name: str | None = None) -> tuple[ApiToken, str]:
    """A new API token for the user; the raw value is shown once."""
    if not user.active:
        raise ValidationError(_("Tài khoản đã bị vô hiệu hóa, không thể cấp mã truy cập."), field="user")
    name = _clean(name, 120, "name", _("Ghi chú"))
    token, raw = accounts.create_token(user, name)
    _record("admin.token_create", actor, token, None, token_snapshot(token))
    return token, raw


def revoke_token(actor: User, token: ApiToken) -> ApiToken:
    """Revoke a token; requests with it are refused from now on."""
    before = token_snapshot(token)
    accounts.revoke_token(token)
    db.session.flush()
    _record("admin.token_revoke", actor, token, before, token_snapshot(token))
    return token


# -- procedures ------------------------------------------------------------------------------

FIELD_LABELS = {
    "code": _l("Mã thủ tục"), "name": _l("Tên thủ tục"), "field": _l("Lĩnh vực"),
    "time_limit": _l("Thời hạn giải quyết"), "time_unit": _l("Đơn vị thời gian"), "fee": _l("Lệ phí"),
    "receiving_agency": _l("Cơ quan tiếp nhận"), "clock_on_supplement": _l("Khi yêu cầu bổ sung"),
    "documents": _l("Thành phần hồ sơ"), "route": _l("Quy trình"),
}
# catalogue.check_entry messages, in Vietnamese or English ("item 1 (code), field “x”: ...").
_ENTRY_ERROR = re.compile(r"^(?:mục|item) \d+(?: \([^)]*\))?, (?:trường|field) “(?P<field>[^”]*)”: (?P<message>.*)$",
                          re.S)


def _agencies_by_identifier() -> dict[str, Agency]:
    return {a.identifier: a for a in db.session.execute(sa.select(Agency)).scalars()}


def _field_label(field: str) -> str:
    match = re.fullmatch(r"(documents|route)\[(\d+)\](?:\.(\w+))?", field)
    if match:
        part, index = match.group(1), int(match.group(2)) + 1
        if part == "documents":
            return _("Thành phần hồ sơ, dòng %(n)d", n=index)
        return _("Quy trình, bước %(n)d", n=index)
    return str(FIELD_LABELS.get(field, field))


def check_procedure(entry: dict, agency_map: dict[str, Agency]) -> dict:
    """Validate a procedure given as a catalogue entry; errors read well on a form."""
    route = entry.get("route") or []
    try:
        limit = int(entry.get("time_limit"))
        total = sum(int(step.get("time")) for step in route)
    except (TypeError, ValueError):
        limit = total = None
    if route and limit is not None and total != limit:
        unit = (TimeUnit.parse(entry.get("time_unit")) or TimeUnit.WORKING_DAYS).label.lower()
        raise ValidationError(
            _("Tổng thời gian các bước của quy trình (%(total)d %(unit)s) phải bằng thời hạn giải quyết "
              "(%(limit)d %(unit)s). Vui lòng điều chỉnh thời gian của các bước.",
              total=total, limit=limit, unit=unit),
            field="route")
    try:
        checked = catalogue.check_entry(0, entry, agency_map)
    except ValidationError as exc:
        match = _ENTRY_ERROR.match(exc.message)
        if not match:
            raise
        message = f"{_field_label(match['field'])}: {match['message']}"
        raise ValidationError(message, field=(exc.field or "").split("[")[0] or None) from None
    if checked["result_location"] and len(checked["result_location"]) > 255:
        raise ValidationError(_("Nơi trả kết quả dài quá 255 ký tự."), field="result_location")
    for index, step in enumerate(checked["route"]):
        if step["task"] and len(step["task"]) > 255:
            raise ValidationError(_("Quy trình, bước %(n)d: nhiệm vụ dài quá 255 ký tự.", n=index + 1), field="route")
    return checked


def _check_agencies_active(entry: dict, agency_map: dict[str, Agency]) -> None:
    for identifier in [entry["receiving_agency"], *(s["agency"] for s in entry["route"])]:
        if not agency_map[identifier].active:
            raise ValidationError(_("Cơ quan %(code)s đã ngừng hoạt động.", code=identifier), field="route")


def _code_taken(code: str, except_id: int | None = None) -> bool:
    query = sa.select(Procedure.id).where(Procedure.code == code)
    if except_id is not None:
        query = query.where(Procedure.id != except_id)
    return db.session.execute(query.limit(1)).first() is not None


def create_procedure(actor: User, entry: dict) -> Procedure:
    """Add a procedure with its documents and route (shares must add up to the time limit)."""
    agency_map = _agencies_by_identifier()
    checked = check_procedure(entry, agency_map)
    _check_agencies_active(checked, agency_map)
    if _code_taken(checked["code"]):
        raise ValidationError(_("Mã thủ tục %(code)s đã tồn tại.", code=checked["code"]), field="code")
    procedure = Procedure()
    catalogue.apply_entry(procedure, checked, agency_map)
    db.session.add(procedure)
    db.session.flush()
    _record("admin.procedure_create", actor, procedure, None, procedure_snapshot(procedure))
    return procedure


def update_procedure(actor: User, procedure: Procedure, entry: dict) -> Procedure:
    """Replace a procedure's details, documents and route."""
    agency_map = _agencies_by_identifier()
    checked = check_procedure(entry, agency_map)
    _check_agencies_active(checked, agency_map)
    if checked["code"] != procedure.code:
        if _code_taken(checked["code"], procedure.id):
            raise ValidationError(_("Mã thủ tục %(code)s đã tồn tại.", code=checked["code"]), field="code")
        if procedure_in_use(procedure):
            raise Conflict(_("Thủ tục đã có hồ sơ nên không thể đổi mã."), field="code")
    before = procedure_snapshot(procedure)
    if catalogue.serialize(procedure) != checked:
        catalogue.apply_entry(procedure, checked, agency_map)
        db.session.flush()
        _record("admin.procedure_update", actor, procedure, before, procedure_snapshot(procedure))
    return procedure


def procedure_in_use(procedure: Procedure) -> bool:
    return db.session.execute(
        sa.select(Dossier.id).where(Dossier.procedure_id == procedure.id).limit(1)
    ).first() is not None


def set_procedure_active(actor: User, procedure: Procedure, active: bool) -> Procedure:
    """Apply or stop applying a procedure; a stopped one takes no new dossiers, open ones go on."""
    before = procedure_snapshot(procedure)
    procedure.active = bool(active)
    db.session.flush()
    _record("admin.procedure_activate" if active else "admin.procedure_deactivate", actor, procedure,
            before, procedure_snapshot(procedure))
    return procedure


def delete_procedure(actor: User, procedure: Procedure) -> None:
    """Delete a procedure that never had a dossier; one in use is only ever deactivated."""
    if procedure_in_use(procedure):
        raise Conflict(_("Thủ tục đã có hồ sơ nên không thể xóa; hãy ngừng áp dụng thủ tục thay vì xóa."))
    before = procedure_snapshot(procedure)
    _record("admin.procedure_delete", actor, procedure, before, None)
    db.session.delete(procedure)
    db.session.flush()


def _check_lengths(entries) -> None:
    """Texts catalogue.check_entry does not bound but the columns do (255 characters)."""
    if not isinstance(entries, list):
        return
    for index, entry in enumerate(entries):
        if not isinstance(entry, dict):
            continue
        texts = [("result_location", entry.get("result_location"))]
        route = entry.get("route") if isinstance(entry.get("route"), list) else []
        texts += [(f"route[{j}].task", s.get("task")) for j, s in enumerate(route) if isinstance(s, dict)]
        for name, value in texts:
            if isinstance(value, str) and len(value) > 255:
                raise ValidationError(_("mục %(n)d, trường “%(field)s”: dài quá 255 ký tự", n=index + 1, field=name),
                                      field=name.split("[")[0])


def import_catalogue(actor: User, filename: str, content: bytes) -> catalogue.ImportResult:
    """Import a JSON/CSV catalogue file; all or nothing; the same file twice changes nothing."""
    if not content:
        raise ValidationError(_("Tệp danh mục trống."), field="file")
    entries = catalogue.load_file(filename or "", content)
    _check_lengths(entries)
    result = catalogue.import_entries(entries)
    audit.record("admin.procedures_import", actor=actor, target_type="file", target_id=(filename or "")[:80],
                 details={"before": None, "after": result.summary(), "created": result.created,
                          "updated": result.updated})
    return result


# -- calendar --------------------------------------------------------------------------------


def set_calendar_day(actor: User, day: date, kind: str | None, reason: str | None = None) -> dict | None:
    """Make a day off, a make-up working day, or (kind None) remove its override."""
    if not (calendar.FIRST_YEAR <= day.year <= calendar.LAST_YEAR):
        raise ValidationError(_("Ngày phải trong khoảng %(a)d–%(b)d.", a=calendar.FIRST_YEAR, b=calendar.LAST_YEAR),
                              field="day")
    if kind not in (None, "off", "work"):
        raise ValidationError(_("Loại điều chỉnh phải là ngày nghỉ hoặc ngày làm bù."), field="kind")
    reason = _clean(reason, 255, "reason", _("Lý do"))
    after = {"kind": kind, "reason": reason} if kind else None
    before = calendar.set_override(day, kind, reason)
    if before != after:
        audit.record("admin.calendar_set", actor=actor, target_type="calendar", target_id=day.isoformat(),
                     details={"before": before, "after": after})
    return before


# -- audit log -------------------------------------------------------------------------------


def changes(details: dict | None) -> list[tuple[str, object, object]]:
    """The keys whose value differs between details["before"] and details["after"]."""
    if not isinstance(details, dict):
        return []
    before, after = details.get("before"), details.get("after")
    if not isinstance(before, dict) and not isinstance(after, dict):
        return []
    before, after = before if isinstance(before, dict) else {}, after if isinstance(after, dict) else {}
    keys = list(dict.fromkeys([*before, *after]))
    return [(k, before.get(k), after.get(k)) for k in keys if before.get(k) != after.get(k)]
