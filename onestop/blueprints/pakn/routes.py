"""PAKN pages: citizens file a complaint or recommendation, see the answer and rate it; staff answer it.

Also the admin page of the national portal sync's failed and invalid records. Views are thin: the rules
are onestop/pakn.py's and onestop/portal_sync.py's.
"""
import sqlalchemy as sa
from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from ... import idempotency, pagination, pakn, portal_sync
from ...access import roles_required
from ...citizen import find_for_citizen
from ...errors import Conflict, NotFound, PermissionDenied, ValidationError
from ...extensions import db, limiter
from ...models import Agency, Pakn
from ...status import PaknStatus, SyncState
from ...timeutil import now as utcnow
from ..lookup.limits import lookup_limit
from . import bp
from .forms import AnswerForm, FileForm, OpenForm, RateForm

STAFF = ("clerk", "specialist", "leader", "inspector", "admin")


def _file_limit() -> str:
    from flask import current_app

    return current_app.config.get("ONESTOP_PAKN_LIMIT") or "10 per hour"


@bp.app_template_global("pakn_of_dossier")
def pakn_of_dossier(dossier_id: int):
    """The dossier page's PAKN panel (staff pages only)."""
    return pakn.for_dossier(dossier_id)


@bp.app_template_global("portal_sync_of_dossier")
def portal_sync_of_dossier(dossier_id: int):
    return portal_sync.dossier_state(dossier_id)


def _agencies():
    return db.session.execute(sa.select(Agency.id, Agency.name).where(Agency.active.is_(True))
                              .order_by(Agency.name)).all()


def _not_found():
    return render_template("pakn/not_found.html", form=OpenForm(formdata=None)), 404


# -- citizens ----------------------------------------------------------------------

@bp.route("/new", methods=["GET", "POST"])
@limiter.limit(_file_limit, methods=["POST"], scope="pakn-file")
@lookup_limit()
def new():
    """File a PAKN: about a dossier (from the lookup page, with its key) or about a desk."""
    code = request.values.get("dossier_code") or request.values.get("code")
    key = request.values.get("dossier_key") or request.values.get("key")
    dossier = None
    if code:
        try:
            found = find_for_citizen(code, key)
        except NotFound:
            return _not_found()
        if not found.full:
            return _not_found()
        dossier = found.dossier
    form = FileForm(dossier_code=dossier.code if dossier else "", dossier_key=dossier.lookup_key if dossier else "")
    if not idempotency.valid_key(form.form_token.data):  # a fresh form: a new one-time token
        form.form_token.data = idempotency.new_key()
    if dossier is not None:
        choices = {dossier.receiving_agency_id: dossier.receiving_agency.name,
                   dossier.current_agency_id: dossier.current_agency.name}
        form.agency.choices = [(str(i), n) for i, n in choices.items()]
    else:
        form.agency.choices = [("", _("— Chọn cơ quan, đơn vị —"))] + [(str(i), n) for i, n in _agencies()]
    status = 200
    if form.validate_on_submit():
        agency_id = form.agency.data if form.agency.data in {c for c, _n in form.agency.choices if c} else None
        agency = db.session.get(Agency, int(agency_id)) if agency_id else None
        try:
            item = pakn.file(kind=form.kind.data, agency=agency, content=form.content.data, dossier=dossier,
                             contact_name=form.contact_name.data, contact_phone=form.contact_phone.data,
                             contact_email=form.contact_email.data, anonymous=form.anonymous.data,
                             form_token=form.form_token.data)
        except ValidationError as exc:
            target = getattr(form, exc.field, None) if exc.field else None
            (target.errors if target is not None else form.content.errors).append(exc.message)
            status = 422
        else:
            return render_template("pakn/filed.html", item=item), 201
    elif request.method == "POST":
        status = 422
    return render_template("pakn/new.html", form=form, dossier=dossier), status


@bp.route("/", methods=["GET", "POST"])
@lookup_limit(methods=["POST"])
def open_():
    """Open a PAKN with its code and key."""
    form = OpenForm()
    if form.validate_on_submit():
        item = pakn.find(form.code.data, form.key.data)
        if item is None:
            return _not_found()
        return redirect(url_for("pakn.view", code=item.code, key=item.key))
    return render_template("pakn/open.html", form=form), 422 if form.errors else 200


@bp.route("/<code>")
@lookup_limit()
def view(code: str):
    """The PAKN, its deadline and the answer, for the holder of the key only."""
    item = pakn.find(code, request.args.get("key"))
    if item is None:
        return _not_found()
    return render_template("pakn/view.html", item=item, form=RateForm(key=item.key))


@bp.route("/<code>/rate", methods=["POST"])
@lookup_limit()
def rate(code: str):
    item = pakn.find(code, request.form.get("key"))
    if item is None:
        return _not_found()
    form = RateForm()
    if form.validate_on_submit():
        try:
            pakn.rate(item, form.rating.data)
        except ValidationError as exc:
            form.rating.errors = [exc.message]
            return render_template("pakn/view.html", item=item, form=form), 422
        except Conflict as exc:
            flash(exc.message, "warning")
            return redirect(url_for("pakn.view", code=item.code, key=item.key))
        flash(_("Cảm ơn ông/bà đã đánh giá câu trả lời."), "success")
        return redirect(url_for("pakn.view", code=item.code, key=item.key))
    return render_template("pakn/view.html", item=item, form=form), 422


# -- staff ---------------------------------------------------------------------------

@bp.route("/staff")
@roles_required(*STAFF)
def staff_list():
    """The PAKN of the user's agency: open first by deadline (the overdue at the top), keyset pages."""
    state = PaknStatus.parse(request.args.get("status")) or PaknStatus.OPEN
    stmt = sa.select(Pakn).where(pakn.visible_clause(current_user))
    stmt = stmt.where(Pakn.status == state) if state == PaknStatus.OPEN else stmt.where(Pakn.status != PaknStatus.OPEN)
    page = pagination.page(stmt, pagination.Order(Pakn.due_at, Pakn.id), request.args.get("cursor"), 50)
    return render_template("pakn/staff_list.html", page=page, counts=pakn.counts(current_user), state=state,
                           now=utcnow())


@bp.route("/staff/<code>", methods=["GET", "POST"])
@roles_required(*STAFF)
def staff_view(code: str):
    try:
        item = pakn.get_visible(code, current_user)
    except NotFound:
        abort(404)
    form = AnswerForm()
    status = 200
    if request.method == "POST":
        if form.validate_on_submit():
            try:
                pakn.answer(item, current_user, form.answer.data)
            except PermissionDenied as exc:
                flash(exc.message, "danger")
                status = 403
            except Conflict as exc:
                flash(exc.message, "warning")
                status = 409
            except ValidationError as exc:
                form.answer.errors = [exc.message]
                status = 422
            else:
                flash(_("Đã gửi câu trả lời cho người dân."), "success")
                return redirect(url_for("pakn.staff_view", code=item.code))
        else:
            status = 422
    return render_template("pakn/staff_view.html", item=item, form=form, may_answer=pakn.may_answer(current_user, item),
                           now=utcnow()), status


@bp.route("/portal-sync")
@roles_required("admin")
def portal_sync_admin():
    """The national portal sync: counts by state and the failed / invalid records."""
    page = portal_sync.problem_rows(request.args.get("cursor"), 50, request.args.get("state"))
    return render_template("pakn/portal_sync.html", page=page, counts=portal_sync.summary(),
                           enabled=portal_sync.enabled(), state=request.args.get("state"), SyncStates=list(SyncState))
