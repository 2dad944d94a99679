"""Staff accounts and their API tokens: list, add, edit, password, lock, activation, tokens."""
from __future__ import annotations

import sqlalchemy as sa
from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from ... import admin_ops, pagination
from ...errors import DomainError
from ...extensions import db
from ...models import ROLE_LABELS, Agency, ApiToken, User
from ...timeutil import now as utcnow
from ...transaction import discard
from ..common import show_domain_error
from . import bp
from .forms import ActionForm, PasswordForm, TokenForm, UserForm
from .helpers import PAGE_SIZE, admin_only, agency_choices, back_to, form_status, get_or_404, next_page_url

BY_USERNAME = pagination.Order(User.username, User.id)
NEWEST_TOKENS_FIRST = pagination.Order(None, ApiToken.id, descending=True)


@bp.route("/users")
@admin_only
def users():
    q = (request.args.get("q") or "").strip()
    role = request.args.get("role") or ""
    agency = request.args.get("agency") or ""
    query = sa.select(User).join(User.agency)
    if q:
        pattern = f"%{q.lower()}%"
        query = query.where(sa.or_(sa.func.lower(User.username).like(pattern),
                                   sa.func.lower(User.full_name).like(pattern)))
    if role in ROLE_LABELS:
        query = query.where(User.role == role)
    if agency:
        query = query.where(Agency.identifier == agency)
    page = pagination.page(query, BY_USERNAME, request.args.get("cursor"), PAGE_SIZE)
    return render_template(
        "admin/users.html", users=page.items, total=pagination.count(query), q=q, role=role, agency=agency,
        next_url=next_page_url(".users", page.next_cursor, q=q, role=role, agency=agency),
        agencies=agency_choices(_("Tất cả cơ quan"), active_only=False), now=utcnow(), action_form=ActionForm())


@bp.route("/users/new", methods=["GET", "POST"])
@admin_only
def user_new():
    form = UserForm()
    form.agency.choices = agency_choices(_("— Chọn cơ quan —"))
    if form.validate_on_submit():
        try:
            user = admin_ops.create_user(
                current_user, username=form.username.data, role=form.role.data, agency=form.agency.data,
                full_name=form.full_name.data, password=form.password.data, email=form.email.data)
        except DomainError as exc:
            error = None if show_domain_error(form, exc) else exc.message
            return render_template("admin/user_form.html", form=form, user=None, error=error), exc.status
        flash(_("Đã tạo tài khoản %(username)s.", username=user.username), "success")
        return redirect(url_for(".user_edit", username=user.username))
    return render_template("admin/user_form.html", form=form, user=None), form_status()


def _user_page(user, form=None, password_form=None, token_form=None, error=None, new_token=None, status=200):
    """The account's page: details, password, status and tokens; one of the forms may come back with errors."""
    if form is None:
        form = UserForm(obj=user, formdata=None)
        form.agency.data = user.agency.identifier
    form.agency.choices = agency_choices(_("— Chọn cơ quan —"), active_only=False)
    query = _tokens_of(user.username)
    tokens = pagination.page(query, NEWEST_TOKENS_FIRST, None, PAGE_SIZE)
    return render_template(
        "admin/user_form.html", user=user, form=form, password_form=password_form or PasswordForm(formdata=None),
        token_form=token_form or TokenForm(formdata=None), action_form=ActionForm(), tokens=tokens.items,
        tokens_total=pagination.count(query), error=error, new_token=new_token, now=utcnow(),
        # the rest of the list continues on the tokens page, filtered to this account
        tokens_next=next_page_url(".tokens", tokens.next_cursor, user=user.username, show="all"),
    ), status


def _tokens_of(username: str | None):
    query = sa.select(ApiToken)
    if username:
        query = query.join(ApiToken.user).where(User.username == username)
    return query


def _refused(user, failed, exc: DomainError, **forms):
    """The account's page with the refusal next to the field it names (or on top); nothing was saved."""
    error = None if show_domain_error(failed, exc) else exc.message
    return _user_page(user, error=error, status=exc.status, **forms)


@bp.route("/users/<username>/edit", methods=["GET", "POST"])
@admin_only
def user_edit(username):
    user = get_or_404(User, username=username)
    if request.method == "GET":
        return _user_page(user)
    form = UserForm()
    form.agency.choices = agency_choices(_("— Chọn cơ quan —"), active_only=False)
    if not form.validate_on_submit():
        return _user_page(user, form=form, status=422)
    try:
        admin_ops.update_user(current_user, user, full_name=form.full_name.data, role=form.role.data,
                              agency=form.agency.data, email=form.email.data)
    except DomainError as exc:
        return _refused(user, form, exc, form=form)
    flash(_("Đã lưu tài khoản %(username)s.", username=user.username), "success")
    return redirect(url_for(".user_edit", username=user.username))


@bp.route("/users/<username>/password", methods=["POST"])
@admin_only
def user_password(username):
    user = get_or_404(User, username=username)
    form = PasswordForm()
    if not form.validate_on_submit():
        return _user_page(user, password_form=form, error=_("Chưa đặt lại mật khẩu."), status=422)
    try:
        admin_ops.reset_password(current_user, user, form.password.data)
    except DomainError as exc:
        return _refused(user, form, exc, password_form=form)
    flash(_("Đã đặt lại mật khẩu cho %(username)s.", username=user.username), "success")
    return redirect(url_for(".user_edit", username=user.username))


@bp.route("/users/<username>/unlock", methods=["POST"])
@admin_only
def user_unlock(username):
    user = get_or_404(User, username=username)
    if ActionForm().validate_on_submit():
        admin_ops.unlock(current_user, user)
        flash(_("Đã mở khóa tài khoản %(username)s.", username=user.username), "success")
    return redirect(back_to(url_for(".user_edit", username=user.username)))


@bp.route("/users/<username>/active", methods=["POST"])
@admin_only
def user_active(username):
    user = get_or_404(User, username=username)
    if ActionForm().validate_on_submit():
        active = request.form.get("active") == "1"
        try:
            admin_ops.set_user_active(current_user, user, active)
        except DomainError as exc:
            discard()
            flash(exc.message, "error")
            return redirect(url_for(".user_edit", username=user.username))
        flash(_("Đã kích hoạt tài khoản %(username)s.", username=user.username) if active
              else _("Đã vô hiệu hóa tài khoản %(username)s.", username=user.username), "success")
    return redirect(url_for(".user_edit", username=user.username))


@bp.route("/users/<username>/tokens", methods=["POST"])
@admin_only
def user_token_new(username):
    user = get_or_404(User, username=username)
    form = TokenForm()
    if not form.validate_on_submit():
        return _user_page(user, token_form=form, status=422)
    try:
        _token, raw = admin_ops.create_token(current_user, user, form.name.data)
    except DomainError as exc:
        return _refused(user, form, exc, token_form=form)
    return _user_page(user, new_token=raw)


@bp.route("/tokens")
@admin_only
def tokens():
    show = "all" if request.args.get("show") == "all" else "active"
    username = (request.args.get("user") or "").strip()
    query = _tokens_of(username)
    if show == "active":
        query = query.where(ApiToken.revoked_at.is_(None))
    page = pagination.page(query, NEWEST_TOKENS_FIRST, request.args.get("cursor"), PAGE_SIZE)
    return render_template("admin/tokens.html", tokens=page.items, total=pagination.count(query), show=show,
                           username=username, action_form=ActionForm(),
                           next_url=next_page_url(".tokens", page.next_cursor, show=show, user=username))


@bp.route("/tokens/<int:token_id>/revoke", methods=["POST"])
@admin_only
def token_revoke(token_id):
    token = db.session.get(ApiToken, token_id) or abort(404)
    if ActionForm().validate_on_submit():
        admin_ops.revoke_token(current_user, token)
        flash(_("Đã thu hồi mã truy cập %(prefix)s… của %(username)s.", prefix=token.prefix,
                username=token.user.username), "success")
    return redirect(back_to(url_for(".tokens")))
