from flask import current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user

from ... import accounts, audit, transaction
from ...accounts import LoginRefused, authenticate
from ...errors import ValidationError
from ...extensions import limiter
from ...urls import safe_next
from ..common import show_domain_error
from . import bp
from .forms import LoginForm, PasswordChangeForm


def _login_limit() -> str:
    return current_app.config["ONESTOP_LOGIN_LIMIT"]


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(_login_limit, methods=["POST"])
def login():
    if current_user.is_authenticated:
        return redirect(url_for("main.index"))
    form = LoginForm()
    if form.validate_on_submit():
        try:
            user = authenticate(form.username.data, form.password.data, address=request.remote_addr)
        except LoginRefused as refused:
            flash(refused.message, "danger")
            if refused.retry_after:  # refused before the password was read: nothing to keep
                page = render_template("auth/login.html", form=form), 429
                return page[0], 429, {"Retry-After": str(refused.retry_after)}
            transaction.keep_on_error()  # keep the failure counters and the audit row
            return render_template("auth/login.html", form=form), 401
        login_user(user)
        return redirect(safe_next(request.args.get("next"), url_for("main.index")))
    return render_template("auth/login.html", form=form), 422 if form.errors else 200


@bp.route("/logout", methods=["POST"])
@login_required
def logout():
    """Sign out here and everywhere: a copy of the session cookie stops working too."""
    audit.record("auth.logout", actor=current_user)
    accounts.end_sessions(current_user)
    logout_user()
    flash(_("Bạn đã đăng xuất."), "info")
    return redirect(url_for("auth.login"))


@bp.route("/password", methods=["GET", "POST"])
@login_required
def password():
    """Change one's own password (the current one first); other sessions of the account end."""
    form = PasswordChangeForm()
    if not form.validate_on_submit():
        return render_template("auth/password.html", form=form), 422 if form.errors else 200
    user = current_user._get_current_object()
    try:
        accounts.change_own_password(user, form.current_password.data, form.password.data,
                                     address=request.remote_addr)
    except ValidationError as exc:
        show_domain_error(form, exc)  # rolls back first
        if exc.code == "wrong_password":
            accounts.password_failed(user, request.remote_addr)
            transaction.keep_on_error()
        return render_template("auth/password.html", form=form), 422
    login_user(user)  # this session carries the new token; every other one has ended
    flash(_("Đã đổi mật khẩu. Các phiên đăng nhập khác của tài khoản đã kết thúc."), "success")
    return redirect(url_for("main.index"))
