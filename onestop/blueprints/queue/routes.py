"""The floor's pages: kiosk, ticket, board, counter, rating tablet, queue report."""
from __future__ import annotations

import secrets
from datetime import date, timedelta

from flask import Response, abort, current_app, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_limiter.util import get_remote_address
from flask_login import current_user

from ... import queue
from ...access import roles_required
from ...errors import DomainError, NotFound
from ...extensions import db, limiter
from ...models import Agency, QueueCounter
from ...papers import ticket as ticket_paper
from ...reports.period import resolve_scope, scope_choices
from ...transaction import discard
from . import bp
from .forms import CounterActionForm, KioskForm, RatingForm

KIOSK_LIMIT_DEFAULT = "60 per minute"
STRANGER_LIMIT = "10 per minute"


def _desk(identifier: str) -> Agency:
    try:
        return queue.desk_or_404(identifier)
    except NotFound:
        abort(404)


def _kiosk_ok(agency: Agency) -> bool:
    return queue.key_matches(request.args.get("k"), queue.kiosk_key(agency))


def _kiosk_limit_key() -> str:
    """A kiosk with its key has its own budget, which no one elsewhere can spend; anyone else is counted by address."""
    identifier = (request.view_args or {}).get("identifier", "")
    agency = db.session.query(Agency).filter_by(identifier=identifier).one_or_none()
    if agency is not None and _kiosk_ok(agency):
        return f"kiosk:{identifier}"
    return f"ip:{get_remote_address()}"


def _kiosk_limit_value() -> str:
    if _kiosk_limit_key().startswith("kiosk:"):
        return current_app.config.get("ONESTOP_KIOSK_LIMIT") or KIOSK_LIMIT_DEFAULT
    return STRANGER_LIMIT


# -- kiosk and ticket ----------------------------------------------------------

@bp.route("/kiosk/<identifier>", methods=["GET"])
def kiosk(identifier):
    agency = _desk(identifier)
    if not _kiosk_ok(agency):
        abort(404)
    return render_template("queue/kiosk.html", agency=agency, fields=queue.kiosk_fields(agency.id),
                           form=KioskForm(formdata=None), request_token=secrets.token_urlsafe(16),
                           key=request.args.get("k"))


@bp.route("/kiosk/<identifier>", methods=["POST"])
@limiter.limit(_kiosk_limit_value, key_func=_kiosk_limit_key)
def kiosk_take(identifier):
    agency = _desk(identifier)
    if not _kiosk_ok(agency):
        abort(404)
    form = KioskForm()
    if not form.validate_on_submit():
        abort(400)
    ticket = queue.take_number(agency, form.field.data, request_token=form.request_token.data or None)
    return redirect(url_for(".kiosk_ticket", identifier=identifier, token=ticket.token, k=request.args.get("k")),
                    code=303)


@bp.route("/kiosk/<identifier>/ticket/<token>")
def kiosk_ticket(identifier, token):
    agency = _desk(identifier)
    if not _kiosk_ok(agency):
        abort(404)
    ticket = queue.ticket_by_token(token)
    if ticket.agency_id != agency.id:
        abort(404)
    return render_template("queue/kiosk_ticket.html", agency=agency, ticket=ticket,
                           data=ticket_paper.ticket_data(ticket), key=request.args.get("k"))


@bp.route("/t/<token>")
def status(token):
    ticket = queue.ticket_by_token(token)
    agency = db.session.get(Agency, ticket.agency_id)
    return render_template("queue/status.html", agency=agency, data=queue.public_status(ticket),
                           board=queue.board_state(agency), token=token)


@bp.route("/t/<token>/ticket.pdf")
def ticket_pdf(token):
    ticket = queue.ticket_by_token(token)
    return Response(ticket_paper.ticket_pdf(ticket), mimetype="application/pdf",
                    headers={"Content-Disposition": f'inline; filename="so-thu-tu-{ticket.number}.pdf"'})


# -- the hall's board ----------------------------------------------------------

@bp.route("/board/<identifier>")
def board(identifier):
    agency = _desk(identifier)
    return render_template("queue/board.html", agency=agency, state=queue.board_state(agency))


@bp.route("/board/<identifier>/state.json")
def board_state(identifier):
    agency = _desk(identifier)
    response = jsonify(queue.board_state(agency))
    response.headers["Cache-Control"] = "no-store"
    return response


# -- the counter ---------------------------------------------------------------

@bp.route("/counter")
@roles_required("clerk")
def counters():
    return render_template("queue/counters.html", counters=queue.counters_of(current_user.agency_id),
                           agency=current_user.agency)


def _clerk_counter(counter_id: int) -> QueueCounter:
    try:
        return queue.counter_for_clerk(counter_id, current_user)
    except NotFound:
        abort(404)
    except DomainError as exc:
        abort(exc.status)


@bp.route("/counter/<int:counter_id>")
@roles_required("clerk")
def counter(counter_id):
    here = _clerk_counter(counter_id)
    ticket = queue.current_ticket(here)
    others = [c for c in queue.counters_of(here.agency_id) if c.id != here.id]
    return render_template("queue/counter.html", counter=here, ticket=ticket, others=others,
                           waiting=queue.waiting_for(here), form=CounterActionForm(formdata=None),
                           wait_minutes=queue.minutes_between(ticket.taken_at, ticket.called_at) if ticket else None)


ACTIONS = {"call": queue.call_next, "recall": queue.call_again, "start": queue.start, "skip": queue.skip,
           "transfer": queue.transfer, "finish": queue.finish}


@bp.route("/counter/<int:counter_id>/<action>", methods=["POST"])
@roles_required("clerk")
def counter_act(counter_id, action):
    if action not in ACTIONS:
        abort(404)
    here = _clerk_counter(counter_id)
    form = CounterActionForm()
    if not form.validate_on_submit():
        abort(400)
    verb = ACTIONS[action]
    try:
        if action == "transfer":
            ticket = verb(here, current_user, form.to_counter.data)
        else:
            ticket = verb(here, current_user)
    except DomainError as exc:
        discard()
        flash(exc.message, "error")
        return redirect(url_for(".counter", counter_id=here.id), code=303)
    messages = {
        "call": _("Đã gọi số %(n)s."), "recall": _("Đã gọi lại số %(n)s."), "start": _("Bắt đầu phục vụ số %(n)s."),
        "skip": _("Đã bỏ qua số %(n)s."), "transfer": _("Đã chuyển số %(n)s sang quầy khác."),
        "finish": _("Đã hoàn thành số %(n)s."),
    }
    if ticket is None:
        flash(_("Không còn ai chờ ở quầy này."), "info")
    else:
        flash(messages[action] % {"n": ticket.number}, "success")
    return redirect(url_for(".counter", counter_id=here.id), code=303)


# -- the rating tablet ---------------------------------------------------------

def _tablet(counter_id: int) -> QueueCounter:
    try:
        return queue.counter_by_key(counter_id, request.args.get("k"))
    except NotFound:
        abort(404)


@bp.route("/rate/<int:counter_id>", methods=["GET"])
def tablet(counter_id):
    here = _tablet(counter_id)
    target = queue.rating_target(here)
    return render_template("queue/tablet.html", counter=here, target=target, form=RatingForm(formdata=None),
                           key=request.args.get("k"), agency=db.session.get(Agency, here.agency_id))


@bp.route("/rate/<int:counter_id>/state.json")
def tablet_state(counter_id):
    here = _tablet(counter_id)
    target = queue.rating_target(here)
    response = jsonify({"ticket": target.id if target else None, "number": target.number if target else None})
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.route("/rate/<int:counter_id>", methods=["POST"])
@limiter.limit("30 per minute", key_func=lambda: f"rate:{request.view_args.get('counter_id')}")
def tablet_rate(counter_id):
    here = _tablet(counter_id)
    form = RatingForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        queue.rate(here, form.ticket_id.data or 0, form.rating.data, asked_money=form.answer(form.asked_money.data),
                   came_again=form.answer(form.came_again.data))
    except DomainError as exc:
        discard()
        flash(exc.message, "warning")
        return redirect(url_for(".tablet", counter_id=here.id, k=request.args.get("k")), code=303)
    flash(_("Cảm ơn ông/bà đã đánh giá!"), "success")
    return redirect(url_for(".tablet", counter_id=here.id, k=request.args.get("k"), thanks=1), code=303)


# -- the queue report ----------------------------------------------------------

def _day(value: str | None, default: date) -> date:
    try:
        return date.fromisoformat(value) if value else default
    except ValueError:
        return default


@bp.route("/report")
@roles_required("leader", "admin")
def report():
    today = queue.today()
    first = _day(request.args.get("from"), today - timedelta(days=29))
    last = _day(request.args.get("to"), today)
    if last < first or (last - first).days > 366:
        first, last = last - timedelta(days=29), last
    scope = resolve_scope(current_user, request.args.get("agency"))
    by = request.args.get("by") if request.args.get("by") in queue.GROUPINGS else "desk"
    rows = queue.figures(scope.agency_ids, first, last, by)
    return render_template("queue/report.html", rows=rows, by=by, first=first, last=last, scope=scope,
                           choices=scope_choices(current_user), groupings=queue.GROUPINGS)
