"""Administration pages: thin views (form -> admin_ops verb -> commit -> flash -> redirect)."""
from __future__ import annotations

import calendar as pycalendar
import json
from datetime import UTC, date, datetime, time, timedelta

import sqlalchemy as sa
from flask import abort, current_app, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from ... import admin_ops, catalogue
from ...access import roles_required
from ...calendar import FIRST_YEAR, LAST_YEAR, get_calendar
from ...errors import DomainError
from ...extensions import db
from ...models import (
    ACTION_LABELS,
    AGENCY_KINDS,
    ROLE_LABELS,
    Agency,
    ApiToken,
    AuditLog,
    CalendarOverride,
    Procedure,
    User,
)
from ...text import like_pattern
from ...timeutil import local, zone
from . import bp
from .forms import (
    ActionForm,
    AgencyForm,
    AuditFilterForm,
    CalendarForm,
    ImportForm,
    PasswordForm,
    ProcedureForm,
    TokenForm,
    UserForm,
)

PAGE_SIZE = 50
admin_only = roles_required("admin")

AUDIT_LABELS = {
    "auth.login": _l("Đăng nhập"),
    "auth.login_failed": _l("Đăng nhập không thành công"),
    "auth.login_locked": _l("Đăng nhập khi tài khoản đang bị khóa"),
    "auth.logout": _l("Đăng xuất"),
    "admin.agency_create": _l("Thêm cơ quan"),
    "admin.agency_update": _l("Sửa cơ quan"),
    "admin.user_create": _l("Thêm tài khoản"),
    "admin.user_update": _l("Sửa tài khoản"),
    "admin.user_activate": _l("Kích hoạt tài khoản"),
    "admin.user_deactivate": _l("Vô hiệu hóa tài khoản"),
    "admin.user_reset_password": _l("Đặt lại mật khẩu"),
    "admin.user_unlock": _l("Mở khóa tài khoản"),
    "admin.token_create": _l("Cấp mã truy cập API"),
    "admin.token_revoke": _l("Thu hồi mã truy cập API"),
    "admin.procedure_create": _l("Thêm thủ tục"),
    "admin.procedure_update": _l("Sửa thủ tục"),
    "admin.procedure_activate": _l("Áp dụng lại thủ tục"),
    "admin.procedure_deactivate": _l("Ngừng áp dụng thủ tục"),
    "admin.procedure_delete": _l("Xóa thủ tục"),
    "admin.procedures_import": _l("Nhập danh mục thủ tục"),
    "admin.calendar_set": _l("Điều chỉnh lịch làm việc"),
}


def audit_label(action: str) -> str:
    if action in AUDIT_LABELS:
        return str(AUDIT_LABELS[action])
    if action.startswith("dossier.") and action[8:] in ACTION_LABELS:
        return _("Hồ sơ: %(action)s", action=str(ACTION_LABELS[action[8:]]))
    return action


def _display(value) -> str:
    """An audit value as people read it (JSON without escapes for structures)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return _("có") if value else _("không")
    if isinstance(value, (dict, list)):
        return json.dumps(value, ensure_ascii=False)
    return str(value)


def _fail(form, exc: DomainError, template: str, **context):
    """Show a domain error on the form it came from; nothing was saved."""
    db.session.rollback()
    field = getattr(form, exc.field, None) if exc.field else None
    if field is not None and hasattr(field, "errors"):
        field.errors = [*list(field.errors or []), exc.message]
    return render_template(template, form=form, error=exc.message, **context), exc.status


def _form_status() -> int:
    """A form shown again after a POST had errors: 422, like a domain refusal."""
    return 422 if request.method == "POST" else 200


def _agency_choices(blank: str | None = None, active_only: bool = True) -> list[tuple[str, str]]:
    query = sa.select(Agency.identifier, Agency.name).order_by(Agency.identifier)
    if active_only:
        query = query.where(Agency.active.is_(True))
    choices = [(row.identifier, f"{row.identifier} – {row.name}") for row in db.session.execute(query)]
    return ([("", blank)] if blank is not None else []) + choices


def _get_or_404(model, **by):
    obj = db.session.execute(sa.select(model).filter_by(**by)).scalar_one_or_none()
    if obj is None:
        abort(404)
    return obj


# -- overview --------------------------------------------------------------------------------

@bp.route("/")
@admin_only
def index():
    count = lambda query: db.session.execute(query).scalar_one()  # noqa: E731
    today = local(datetime.now(UTC)).date()
    stats = {
        "agencies": count(sa.select(sa.func.count()).select_from(Agency).where(Agency.active.is_(True))),
        "users": count(sa.select(sa.func.count()).select_from(User).where(User.active.is_(True))),
        "procedures": count(sa.select(sa.func.count()).select_from(Procedure).where(Procedure.active.is_(True))),
        "tokens": count(sa.select(sa.func.count()).select_from(ApiToken).where(ApiToken.revoked_at.is_(None))),
        "overrides": count(sa.select(sa.func.count()).select_from(CalendarOverride)
                           .where(CalendarOverride.day >= date(today.year, 1, 1))),
    }
    return render_template("admin/index.html", stats=stats, year=today.year)


# -- agencies --------------------------------------------------------------------------------

@bp.route("/agencies")
@admin_only
def agencies():
    return render_template("admin/agencies.html", tree=admin_ops.agency_tree(), kinds=AGENCY_KINDS)


@bp.route("/agencies/new", methods=["GET", "POST"])
@admin_only
def agency_new():
    form = AgencyForm()
    form.parent.choices = _agency_choices(_("— Không có (cấp cao nhất) —"))
    if request.method == "GET" and request.args.get("parent"):
        form.parent.data = request.args["parent"]
    if form.validate_on_submit():
        try:
            agency = admin_ops.create_agency(
                current_user, identifier=form.identifier.data, name=form.name.data, parent=form.parent.data,
                kind=form.kind.data, address=form.address.data, phone=form.phone.data)
        except DomainError as exc:
            return _fail(form, exc, "admin/agency_form.html", agency=None)
        db.session.commit()
        flash(_("Đã thêm cơ quan %(code)s – %(name)s.", code=agency.identifier, name=agency.name), "success")
        return redirect(url_for(".agencies"))
    return render_template("admin/agency_form.html", form=form, agency=None), _form_status()


@bp.route("/agencies/<identifier>/edit", methods=["GET", "POST"])
@admin_only
def agency_edit(identifier):
    agency = _get_or_404(Agency, identifier=identifier)
    form = AgencyForm(obj=None if request.method == "POST" else agency)
    if request.method == "GET":
        form.parent.data = agency.parent.identifier if agency.parent else ""
    form.parent.choices = [c for c in _agency_choices(_("— Không có (cấp cao nhất) —"), active_only=False)
                           if c[0] != agency.identifier]
    if form.validate_on_submit():
        try:
            admin_ops.update_agency(current_user, agency, name=form.name.data, parent=form.parent.data,
                                    kind=form.kind.data, address=form.address.data, phone=form.phone.data,
                                    active=form.active.data)
        except DomainError as exc:
            return _fail(form, exc, "admin/agency_form.html", agency=agency)
        db.session.commit()
        flash(_("Đã lưu cơ quan %(code)s.", code=agency.identifier), "success")
        return redirect(url_for(".agencies"))
    return render_template("admin/agency_form.html", form=form, agency=agency), _form_status()


# -- users -----------------------------------------------------------------------------------

@bp.route("/users")
@admin_only
def users():
    q = (request.args.get("q") or "").strip()
    role = request.args.get("role") or ""
    agency = request.args.get("agency") or ""
    after = request.args.get("after") or ""
    query = sa.select(User).join(User.agency).order_by(User.username).limit(PAGE_SIZE + 1)
    if q:
        pattern = f"%{q.lower()}%"
        query = query.where(sa.or_(sa.func.lower(User.username).like(pattern),
                                   sa.func.lower(User.full_name).like(pattern)))
    if role in ROLE_LABELS:
        query = query.where(User.role == role)
    if agency:
        query = query.where(Agency.identifier == agency)
    if after:
        query = query.where(User.username > after)
    rows = list(db.session.execute(query).scalars())
    next_url = None
    if len(rows) > PAGE_SIZE:
        rows = rows[:PAGE_SIZE]
        next_url = url_for(".users", q=q or None, role=role or None, agency=agency or None, after=rows[-1].username)
    return render_template("admin/users.html", users=rows, next_url=next_url, q=q, role=role, agency=agency,
                           agencies=_agency_choices(_("Tất cả cơ quan"), active_only=False),
                           now=datetime.now(UTC), action_form=ActionForm())


@bp.route("/users/new", methods=["GET", "POST"])
@admin_only
def user_new():
    form = UserForm()
    form.agency.choices = _agency_choices(_("— Chọn cơ quan —"))
    if form.validate_on_submit():
        try:
            user = admin_ops.create_user(
                current_user, username=form.username.data, role=form.role.data, agency=form.agency.data,
                full_name=form.full_name.data, password=form.password.data, email=form.email.data)
        except DomainError as exc:
            return _fail(form, exc, "admin/user_form.html", user=None)
        db.session.commit()
        flash(_("Đã tạo tài khoản %(username)s.", username=user.username), "success")
        return redirect(url_for(".user_edit", username=user.username))
    return render_template("admin/user_form.html", form=form, user=None), _form_status()


def _user_page(user, form=None, password_form=None, token_form=None, error=None, new_token=None, status=200):
    if form is None:
        form = UserForm(obj=user, formdata=None)
        form.agency.data = user.agency.identifier
    form.agency.choices = _agency_choices(_("— Chọn cơ quan —"), active_only=False)
    tokens = db.session.execute(
        sa.select(ApiToken).where(ApiToken.user_id == user.id).order_by(ApiToken.id.desc()).limit(PAGE_SIZE)
    ).scalars()
    return render_template(
        "admin/user_form.html", user=user, form=form, password_form=password_form or PasswordForm(formdata=None),
        token_form=token_form or TokenForm(formdata=None), action_form=ActionForm(), tokens=list(tokens),
        error=error, new_token=new_token, now=datetime.now(UTC),
    ), status


@bp.route("/users/<username>/edit", methods=["GET", "POST"])
@admin_only
def user_edit(username):
    user = _get_or_404(User, username=username)
    if request.method == "GET":
        return _user_page(user)
    form = UserForm()
    form.agency.choices = _agency_choices(_("— Chọn cơ quan —"), active_only=False)
    if not form.validate_on_submit():
        return _user_page(user, form=form, status=422)
    try:
        admin_ops.update_user(current_user, user, full_name=form.full_name.data, role=form.role.data,
                              agency=form.agency.data, email=form.email.data)
    except DomainError as exc:
        db.session.rollback()
        field = getattr(form, exc.field, None) if exc.field else None
        if field is not None:
            field.errors = [*list(field.errors or []), exc.message]
        return _user_page(user, form=form, error=exc.message, status=exc.status)
    db.session.commit()
    flash(_("Đã lưu tài khoản %(username)s.", username=user.username), "success")
    return redirect(url_for(".user_edit", username=user.username))


@bp.route("/users/<username>/password", methods=["POST"])
@admin_only
def user_password(username):
    user = _get_or_404(User, username=username)
    form = PasswordForm()
    if not form.validate_on_submit():
        return _user_page(user, password_form=form, error=_("Chưa đặt lại mật khẩu."), status=422)
    try:
        admin_ops.reset_password(current_user, user, form.password.data)
    except DomainError as exc:
        db.session.rollback()
        form.password.errors = [exc.message]
        return _user_page(user, password_form=form, error=exc.message, status=exc.status)
    db.session.commit()
    flash(_("Đã đặt lại mật khẩu cho %(username)s.", username=user.username), "success")
    return redirect(url_for(".user_edit", username=user.username))


@bp.route("/users/<username>/unlock", methods=["POST"])
@admin_only
def user_unlock(username):
    user = _get_or_404(User, username=username)
    if ActionForm().validate_on_submit():
        admin_ops.unlock(current_user, user)
        db.session.commit()
        flash(_("Đã mở khóa tài khoản %(username)s.", username=user.username), "success")
    return redirect(request.form.get("next") if request.form.get("next", "").startswith("/admin/")
                    else url_for(".user_edit", username=user.username))


@bp.route("/users/<username>/active", methods=["POST"])
@admin_only
def user_active(username):
    user = _get_or_404(User, username=username)
    if ActionForm().validate_on_submit():
        active = request.form.get("active") == "1"
        try:
            admin_ops.set_user_active(current_user, user, active)
        except DomainError as exc:
            db.session.rollback()
            flash(exc.message, "error")
            return redirect(url_for(".user_edit", username=user.username))
        db.session.commit()
        flash(_("Đã kích hoạt tài khoản %(username)s.", username=user.username) if active
              else _("Đã vô hiệu hóa tài khoản %(username)s.", username=user.username), "success")
    return redirect(url_for(".user_edit", username=user.username))


@bp.route("/users/<username>/tokens", methods=["POST"])
@admin_only
def user_token_new(username):
    user = _get_or_404(User, username=username)
    form = TokenForm()
    if not form.validate_on_submit():
        return _user_page(user, token_form=form, status=422)
    try:
        _token, raw = admin_ops.create_token(current_user, user, form.name.data)
    except DomainError as exc:
        db.session.rollback()
        return _user_page(user, token_form=form, error=exc.message, status=exc.status)
    db.session.commit()
    return _user_page(user, new_token=raw)


# -- API tokens ------------------------------------------------------------------------------

@bp.route("/tokens")
@admin_only
def tokens():
    show = request.args.get("show") or "active"
    before = request.args.get("before", type=int)
    query = sa.select(ApiToken).order_by(ApiToken.id.desc()).limit(PAGE_SIZE + 1)
    if show == "active":
        query = query.where(ApiToken.revoked_at.is_(None))
    if before:
        query = query.where(ApiToken.id < before)
    rows = list(db.session.execute(query).scalars())
    next_url = None
    if len(rows) > PAGE_SIZE:
        rows = rows[:PAGE_SIZE]
        next_url = url_for(".tokens", show=show, before=rows[-1].id)
    return render_template("admin/tokens.html", tokens=rows, next_url=next_url, show=show, action_form=ActionForm())


@bp.route("/tokens/<int:token_id>/revoke", methods=["POST"])
@admin_only
def token_revoke(token_id):
    token = db.session.get(ApiToken, token_id) or abort(404)
    if ActionForm().validate_on_submit():
        admin_ops.revoke_token(current_user, token)
        db.session.commit()
        flash(_("Đã thu hồi mã truy cập %(prefix)s… của %(username)s.", prefix=token.prefix,
                username=token.user.username), "success")
    target = request.form.get("next") or ""
    return redirect(target if target.startswith("/admin/") else url_for(".tokens"))


# -- procedures ------------------------------------------------------------------------------

@bp.route("/procedures")
@admin_only
def procedures():
    q = (request.args.get("q") or "").strip()
    state = request.args.get("state") or ""
    after = request.args.get("after") or ""
    query = sa.select(Procedure).order_by(Procedure.code).limit(PAGE_SIZE + 1)
    if q:
        query = query.where(Procedure.name_search.like(like_pattern(q), escape="\\"))
    if state == "active":
        query = query.where(Procedure.active.is_(True))
    elif state == "inactive":
        query = query.where(Procedure.active.is_(False))
    if after:
        query = query.where(Procedure.code > after)
    rows = list(db.session.execute(query).scalars())
    next_url = None
    if len(rows) > PAGE_SIZE:
        rows = rows[:PAGE_SIZE]
        next_url = url_for(".procedures", q=q or None, state=state or None, after=rows[-1].code)
    return render_template("admin/procedures.html", procedures=rows, next_url=next_url, q=q, state=state,
                           action_form=ActionForm())


def _procedure_page(form, procedure, status=200, error=None):
    choices = _agency_choices(_("— Chọn cơ quan —"), active_only=procedure is None)
    form.set_agency_choices(choices)
    in_use = admin_ops.procedure_in_use(procedure) if procedure is not None else False
    return render_template("admin/procedure_form.html", form=form, procedure=procedure, error=error,
                           in_use=in_use, action_form=ActionForm()), status


def _save_procedure(form, procedure):
    form.set_agency_choices(_agency_choices(_("— Chọn cơ quan —"), active_only=False))
    if not form.validate_on_submit():
        form.pad_rows()
        return _procedure_page(form, procedure, status=422)
    try:
        if procedure is None:
            procedure = admin_ops.create_procedure(current_user, form.to_entry())
        else:
            admin_ops.update_procedure(current_user, procedure, form.to_entry())
    except DomainError as exc:
        db.session.rollback()
        field = getattr(form, exc.field, None) if exc.field else None
        if field is not None and exc.field not in ("documents", "route"):
            field.errors = [*list(field.errors or []), exc.message]
        form.pad_rows()
        return _procedure_page(form, None if procedure is None or procedure.id is None else procedure,
                               status=exc.status, error=exc.message)
    db.session.commit()
    flash(_("Đã lưu thủ tục %(code)s.", code=procedure.code), "success")
    return redirect(url_for(".procedures", q=procedure.code))


@bp.route("/procedures/new", methods=["GET", "POST"])
@admin_only
def procedure_new():
    if request.method == "POST":
        return _save_procedure(ProcedureForm(), None)
    form = ProcedureForm(formdata=None)
    form.pad_rows()
    return _procedure_page(form, None)


@bp.route("/procedures/<code>/edit", methods=["GET", "POST"])
@admin_only
def procedure_edit(code):
    procedure = _get_or_404(Procedure, code=code)
    if request.method == "POST":
        return _save_procedure(ProcedureForm(), procedure)
    form = ProcedureForm.from_entry(catalogue.serialize(procedure))
    form.pad_rows()
    return _procedure_page(form, procedure)


@bp.route("/procedures/<code>/active", methods=["POST"])
@admin_only
def procedure_active(code):
    procedure = _get_or_404(Procedure, code=code)
    if ActionForm().validate_on_submit():
        active = request.form.get("active") == "1"
        admin_ops.set_procedure_active(current_user, procedure, active)
        db.session.commit()
        flash(_("Thủ tục %(code)s được áp dụng trở lại.", code=procedure.code) if active
              else _("Thủ tục %(code)s đã ngừng áp dụng; hồ sơ đang giải quyết không bị ảnh hưởng.",
                     code=procedure.code), "success")
    return redirect(url_for(".procedure_edit", code=procedure.code))


@bp.route("/procedures/<code>/delete", methods=["POST"])
@admin_only
def procedure_delete(code):
    procedure = _get_or_404(Procedure, code=code)
    if ActionForm().validate_on_submit():
        try:
            admin_ops.delete_procedure(current_user, procedure)
        except DomainError as exc:
            db.session.rollback()
            flash(exc.message, "error")
            return redirect(url_for(".procedure_edit", code=code))
        db.session.commit()
        flash(_("Đã xóa thủ tục %(code)s.", code=code), "success")
    return redirect(url_for(".procedures"))


@bp.route("/procedures/import", methods=["GET", "POST"])
@admin_only
def procedures_import():
    form = ImportForm()
    if form.validate_on_submit():
        upload = form.file.data
        content = upload.read(current_app.config["ONESTOP_UPLOAD_MAX_BYTES"] + 1)
        if len(content) > current_app.config["ONESTOP_UPLOAD_MAX_BYTES"]:
            return render_template("admin/import.html", form=form, error=_("Tệp quá lớn.")), 413
        try:
            result = admin_ops.import_catalogue(current_user, upload.filename or "", content)
        except DomainError as exc:
            return _fail(form, exc, "admin/import.html", result=None)
        db.session.commit()
        flash(_("Đã nhập danh mục: %(c)d thủ tục mới, %(u)d cập nhật, %(n)d không đổi.",
                c=len(result.created), u=len(result.updated), n=len(result.unchanged)), "success")
        return render_template("admin/import.html", form=ImportForm(formdata=None), result=result)
    return render_template("admin/import.html", form=form, result=None), _form_status()


@bp.route("/procedures/export.json")
@admin_only
def procedures_export():
    """The whole catalogue in the import format (a few hundred rows at most)."""
    rows = db.session.execute(sa.select(Procedure).order_by(Procedure.code)).scalars()
    response = jsonify([catalogue.serialize(p) for p in rows])
    response.headers["Content-Disposition"] = "attachment; filename=procedures.json"
    return response


# -- working calendar ------------------------------------------------------------------------

def _parse_day(text: str | None) -> date | None:
    text = (text or "").strip()
    try:
        if "/" in text:
            d, m, y = (int(x) for x in text.split("/"))
            return date(y, m, d)
        return date.fromisoformat(text)
    except (ValueError, TypeError):
        return None


def _year_view(year: int) -> list[dict]:
    """Twelve month grids (weeks from Monday) with each day's state from the calendar."""
    cal = get_calendar()
    months = []
    for month in range(1, 13):
        weeks = []
        for week in pycalendar.Calendar(firstweekday=0).monthdatescalendar(year, month):
            cells = []
            for day in week:
                if day.month != month:
                    cells.append(None)
                    continue
                info = cal.describe(day)
                override = cal.overrides.get(day)
                if override:
                    css = "cal-override-" + override
                elif day in cal.holidays:
                    css = "cal-holiday"
                elif day in cal.weekend_workdays:
                    css = "cal-makeup"
                elif day.weekday() >= 5:
                    css = "cal-weekend"
                else:
                    css = "cal-work"
                cells.append({"day": day, "working": info.working, "reason": info.reason, "css": css})
            weeks.append(cells)
        months.append({"month": month, "weeks": weeks})
    return months


@bp.route("/calendar", methods=["GET"])
@admin_only
def calendar():
    return _calendar_page(request.args.get("year", type=int))


def _calendar_page(year=None, form=None, error=None, status=200):
    today = local(datetime.now(UTC)).date()
    year = year or today.year
    if not (FIRST_YEAR <= year <= LAST_YEAR):
        year = today.year
    cal = get_calendar()
    overrides = list(db.session.execute(
        sa.select(CalendarOverride).where(CalendarOverride.day.between(date(year, 1, 1), date(year, 12, 31)))
        .order_by(CalendarOverride.day)).scalars())
    holidays = sorted((d, cal.holiday_name(d)) for d in cal.holiday_names if d.year == year)
    makeup = sorted(d for d in cal.weekend_workdays if d.year == year)
    form = form or CalendarForm(formdata=None)
    return render_template(
        "admin/calendar.html", year=year, months=_year_view(year), overrides=overrides, holidays=holidays,
        makeup=makeup, form=form, action_form=ActionForm(), error=error, today=today,
        hours=cal.periods, cutoff=cal.cutoff, day_hours=cal.day_seconds / 3600,
        timezone=current_app.config["ONESTOP_TIMEZONE"], first_year=FIRST_YEAR, last_year=LAST_YEAR,
        working_days=cal.working_days_in(date(year, 1, 1), date(year, 12, 31)),
    ), status


@bp.route("/calendar", methods=["POST"])
@admin_only
def calendar_set():
    form = CalendarForm()
    day = _parse_day(form.day.data)
    if not form.validate_on_submit() or day is None:
        if form.day.data and day is None:
            form.day.errors = [*list(form.day.errors or []), _("Ngày không hợp lệ (dd/mm/yyyy).")]
        return _calendar_page(day.year if day else None, form=form, error=_("Chưa lưu điều chỉnh."), status=422)
    try:
        admin_ops.set_calendar_day(current_user, day, form.kind.data, form.reason.data)
    except DomainError as exc:
        db.session.rollback()
        return _calendar_page(None, form=form, error=exc.message, status=exc.status)
    db.session.commit()
    label = _("ngày nghỉ") if form.kind.data == "off" else _("ngày làm việc")
    flash(_("Đã đặt %(day)s là %(label)s.", day=day.strftime("%d/%m/%Y"), label=label), "success")
    return redirect(url_for(".calendar", year=day.year))


@bp.route("/calendar/<day>/remove", methods=["POST"])
@admin_only
def calendar_remove(day):
    parsed = _parse_day(day) or abort(404)
    if ActionForm().validate_on_submit():
        try:
            admin_ops.set_calendar_day(current_user, parsed, None)
        except DomainError as exc:
            db.session.rollback()
            flash(exc.message, "error")
            return redirect(url_for(".calendar"))
        db.session.commit()
        flash(_("Đã bỏ điều chỉnh ngày %(day)s; ngày này theo lịch mặc định.", day=parsed.strftime("%d/%m/%Y")),
              "success")
    return redirect(url_for(".calendar", year=parsed.year))


# -- audit log -------------------------------------------------------------------------------

@bp.route("/audit")
@admin_only
def audit():
    form = AuditFilterForm(request.args)
    query = sa.select(AuditLog).order_by(AuditLog.id.desc()).limit(PAGE_SIZE + 1)
    errors = []
    actor = (form.actor.data or "").strip()
    if actor:
        query = query.where(sa.func.lower(AuditLog.actor_name) == actor.lower())
    action = (form.action.data or "").strip()
    if action:
        pattern = action.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        query = query.where(AuditLog.action.like(pattern, escape="\\"))
    for name, field, shift in (("from", form.date_from, 0), ("to", form.date_to, 1)):
        if not field.data:
            continue
        day = _parse_day(field.data)
        if day is None:
            field.errors = [_("Ngày không hợp lệ (dd/mm/yyyy).")]
            errors.append(field)
            continue
        bound = datetime.combine(day + timedelta(days=shift), time(), tzinfo=zone()).astimezone(UTC)
        query = query.where(AuditLog.at >= bound if name == "from" else AuditLog.at < bound)
    before = request.args.get("before", type=int)
    if before:
        query = query.where(AuditLog.id < before)
    rows = list(db.session.execute(query).scalars()) if not errors else []
    next_url = None
    if len(rows) > PAGE_SIZE:
        rows = rows[:PAGE_SIZE]
        args = {k: v for k, v in request.args.items() if k != "before" and v}
        next_url = url_for(".audit", before=rows[-1].id, **args)
    entries = [{"row": row, "label": audit_label(row.action), "details": _display(row.details),
                "changes": [(k, _display(b), _display(a)) for k, b, a in admin_ops.changes(row.details)]}
               for row in rows]
    return render_template("admin/audit.html", form=form, entries=entries, next_url=next_url,
                           actions=sorted(AUDIT_LABELS)), 422 if errors else 200
