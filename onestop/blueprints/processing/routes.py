"""Inbox, dossier page, actions and slips for specialists and leaders of an agency."""
from urllib.parse import quote

import sqlalchemy as sa
from flask import Response, abort, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user

from ... import access, audit_text, deadlines, files, papers, workflow
from ... import inbox as inbox_ops
from ...calendar import get_calendar
from ...errors import Conflict, DomainError, PermissionDenied
from ...extensions import db
from ...models import ACTION_LABELS, Agency, Attachment, Procedure, RouteStep
from ...status import DossierStatus
from ...timeutil import local
from ...timeutil import now as utcnow
from ..common import show_domain_error
from . import bp
from .forms import ACTION_FORMS, InboxFilterForm

# History notes the workflow writes itself, shown in the reader's language (issue 19, item 9).
bp.add_app_template_filter(audit_text.event_note, "event_note")

AGENCY_STAFF = ("specialist", "leader")


def _procedure_choices(agency_id: int):
    """Procedures whose route passes through the agency (for the filter)."""
    rows = db.session.execute(
        sa.select(Procedure.code, Procedure.name).join(RouteStep, RouteStep.procedure_id == Procedure.id)
        .where(RouteStep.agency_id == agency_id).distinct().order_by(Procedure.code)
    ).all()
    return [("", _("Mọi thủ tục"))] + [(r.code, f"{r.code} – {r.name}") for r in rows]


@bp.route("/")
@access.roles_required(*AGENCY_STAFF)
def inbox():
    """The agency's dossiers: tabs with counts, filters, keyset pages coloured by deadline state."""
    form = InboxFilterForm(request.args)
    form.procedure.choices = _procedure_choices(current_user.agency_id)
    counts = inbox_ops.tab_counts(current_user.agency_id)
    items, next_url, total, states = [], None, 0, {}
    if form.validate():
        try:
            filters = inbox_ops.inbox_filters(
                current_user, status=form.status.data or None, deadline_state=form.deadline.data or None,
                procedure_code=form.procedure.data or None, q=form.q.data, received_from=form.received_from.data,
                received_to=form.received_to.data, assignee_id=form.assignee.data)
            result = inbox_ops.inbox_page(current_user, filters, order=form.order.data or "urgent",
                                          cursor=request.args.get("cursor") or None)
            extra = (form.q.data, form.procedure.data, form.received_from.data, form.received_to.data,
                     form.assignee.data, form.status.data and form.deadline.data)
            # A plain tab's total is already in the tab counts; only extra filters need their own count.
            tab = _tab_of(form)
            total = counts[tab] if tab and not any(extra) else inbox_ops.queries.count(current_user, filters)
        except DomainError as exc:
            flash(exc.message, "error")
        else:
            items = result.items
            states = inbox_ops.row_states(items)
            if result.next_cursor:
                args = request.args.to_dict()
                args["cursor"] = result.next_cursor
                next_url = url_for("processing.inbox", **args)
    holders = inbox_ops.holders(current_user.agency_id) if current_user.role == "leader" else None
    active_tab = _tab_of(form)
    return render_template("processing/inbox.html", form=form, counts=counts, tabs=inbox_ops.TABS,
                           active_tab=active_tab, items=items, states=states, next_url=next_url,
                           total=total, holders=holders)


def _tab_of(form) -> str | None:
    """The tab whose preset the status and deadline filters match (None for other combinations)."""
    chosen = {k: v for k, v in (("status", form.status.data), ("deadline", form.deadline.data)) if v}
    return next((name for name, (_label, preset) in inbox_ops.TABS.items() if preset == chosen), None)


def _dossier_or_abort(code: str):
    return access.visible_dossier_or_abort(code)


def _build_form(action: str, dossier, posted: bool = False):
    """The action's form, bound to the posted data or prefilled with the dossier's version."""
    cls = ACTION_FORMS[action]
    form = cls(prefix=action) if posted else cls(formdata=None, prefix=action)
    if not posted:
        form.version.data = dossier.version
    if action == "forward":
        nxt = workflow.next_route_step(dossier)
        first = [("", _("Bước tiếp theo của quy trình: %(name)s", name=nxt.agency.name))] if nxt else [
            ("", _("Chọn cơ quan"))]
        agencies = db.session.execute(
            sa.select(Agency.identifier, Agency.name).where(
                Agency.active.is_(True),
                Agency.id.not_in([dossier.current_agency_id] + ([nxt.agency_id] if nxt else [])))
            .order_by(Agency.name)).all()
        form.to_agency.choices = first + [(a.identifier, a.name) for a in agencies]
    elif action == "request_supplement":
        form.documents.choices = [(d.name, d.name) for d in dossier.procedure.documents]
    elif action == "apologize" and not posted:
        # The drafted apology: the steps still to do get their shares again (the leader may change it).
        proposed = local(deadlines.propose_new_appointment(get_calendar(), dossier, workflow.open_steps(dossier),
                                                           utcnow()))
        form.new_date.data, form.new_time.data = proposed.date(), proposed.time().replace(second=0, microsecond=0)
    elif action == "reassign":
        form.assignee.choices = [("", _("Chọn cán bộ"))] + [
            (u.username, f"{u.full_name} ({u.role_label})") for u in inbox_ops.agency_staff(dossier.current_agency_id)]
    return form


def _render_dossier(dossier, failed_action=None, failed_form=None, error=None, status=200):
    actions = workflow.available_actions(current_user, dossier)
    forms = {a: (failed_form if a == failed_action else _build_form(a, dossier))
             for a in actions if a in ACTION_FORMS}
    if failed_action and failed_action not in forms and failed_form is not None:
        forms[failed_action] = failed_form
    attachments = files.attachments_of(dossier)
    events = dossier.events
    steps = dossier.steps
    state = inbox_ops.row_states([dossier])[dossier.id]
    return render_template(
        "processing/dossier.html", dossier=dossier, forms=forms, attachments=attachments, events=events,
        steps=steps, state=state, error=error, failed_action=failed_action, printable=papers.printable(dossier),
        apology_draft=dossier.apology_warned_at is not None and "apologize" in forms,
        action_labels=ACTION_LABELS,
    ), status


DRAFT_KEY = "processing_draft"
DRAFT_MAX_CHARS = 1500  # the session is a cookie: a longer text is not kept


def _keep_draft(code: str, action: str, form) -> None:
    typed = {f.short_name: f.data for f in form if f.type in ("StringField", "TextAreaField") and f.data}
    if sum(len(str(v)) for v in typed.values()) <= DRAFT_MAX_CHARS:
        session[DRAFT_KEY] = {"code": code, "action": action, "fields": typed}


def _with_draft(dossier):
    """The dossier page; an action refused by a conflict comes back open with what was typed, if still allowed."""
    draft = session.pop(DRAFT_KEY, None)
    if not isinstance(draft, dict) or draft.get("code") != dossier.code:
        return _render_dossier(dossier)
    action = draft.get("action")
    if action not in ACTION_FORMS or action not in workflow.available_actions(current_user, dossier):
        return _render_dossier(dossier)
    form = _build_form(action, dossier)
    for name, value in (draft.get("fields") or {}).items():
        field = getattr(form, name, None)
        if field is not None and field.type in ("StringField", "TextAreaField") and isinstance(value, str):
            field.data = value
    return _render_dossier(dossier, action, form)


@bp.route("/dossiers/<path:code>")
@access.roles_required(*AGENCY_STAFF)
def dossier(code):
    """Everything about one dossier and the actions this user may take now."""
    return _with_draft(_dossier_or_abort(code))


@bp.route("/dossiers/<path:code>/actions/<action>", methods=["POST"])
@access.roles_required(*AGENCY_STAFF)
def act(code, action):
    """Perform one action; on a problem the page comes back with what the user typed."""
    if action not in ACTION_FORMS:
        abort(404)
    dossier = _dossier_or_abort(code)
    form = _build_form(action, dossier, posted=True)
    if not form.validate():
        return _render_dossier(dossier, action, form, _("Vui lòng kiểm tra lại thông tin đã nhập."), 422)
    try:
        workflow.perform(dossier, action, actor=current_user._get_current_object(),
                         version=form.version.data, **form.params(action))
        if action == "complete" and form.result_file.data and form.result_file.data.filename:
            # files.py seals a PDF result with the agency's certificate and marks the electronic result.
            files.save_upload(dossier, form.result_file.data, "result", current_user, field="result_file")
    except PermissionDenied:
        raise
    except DomainError as exc:
        show_domain_error(form, exc)
        if isinstance(exc, Conflict):
            # Another tab or person moved the dossier on: show it as it is now (Post/Redirect/Get), with the
            # actions this user may take now, so a reload repeats nothing; what was typed waits in the session.
            flash(exc.message, "error")
            _keep_draft(code, action, form)
            return redirect(url_for("processing.dossier", code=code))
        dossier = _dossier_or_abort(code)
        return _render_dossier(dossier, action, form, exc.message, exc.status)
    flash(_("Đã thực hiện: %(label)s.", label=ACTION_LABELS.get(action, action)), "success")
    return redirect(url_for("processing.dossier", code=dossier.code))


def _pdf(data: bytes, name: str) -> Response:
    return Response(data, mimetype="application/pdf", headers={
        "Content-Disposition": f"inline; filename*=UTF-8''{quote(name)}",
        "Cache-Control": "no-store",
    })


def _slip_name(prefix: str, dossier) -> str:
    return f"{prefix}-{dossier.code}.pdf"


@bp.route("/dossiers/<path:code>/control-slip.pdf")
@access.roles_required(*AGENCY_STAFF)
def control_slip(code):
    dossier = _dossier_or_abort(code)
    return _pdf(papers.control_slip_pdf(dossier), _slip_name("phieu-kiem-soat", dossier))


@bp.route("/dossiers/<path:code>/apology-slip.pdf")
@access.roles_required(*AGENCY_STAFF)
def apology_slip(code):
    dossier = _dossier_or_abort(code)
    if dossier.original_due_at is None:
        abort(404)
    return _pdf(papers.apology_slip_pdf(dossier), _slip_name("phieu-xin-loi", dossier))


@bp.route("/dossiers/<path:code>/stop-notice.pdf")
@access.roles_required(*AGENCY_STAFF)
def stop_notice(code):
    dossier = _dossier_or_abort(code)
    if dossier.status != DossierStatus.STOPPED:
        abort(404)
    return _pdf(papers.stop_notice_pdf(dossier), _slip_name("thong-bao-tu-choi", dossier))


@bp.route("/dossiers/<path:code>/supplement-slip.pdf")
@access.roles_required(*AGENCY_STAFF)
def supplement_slip(code):
    dossier = _dossier_or_abort(code)
    data = papers.supplement_slip_of(dossier)
    if data is None:
        abort(404)
    return _pdf(data, _slip_name("phieu-yeu-cau-bo-sung", dossier))


@bp.route("/dossiers/<path:code>/files/<int:attachment_id>")
@access.roles_required(*AGENCY_STAFF)
def attachment(code, attachment_id):
    """A stored scan or result of a dossier the user may see."""
    dossier = _dossier_or_abort(code)
    att = db.session.get(Attachment, attachment_id)
    if att is None or att.dossier_id != dossier.id:
        abort(404)
    return Response(files.read_bytes(att), mimetype=att.content_type, headers={
        "Content-Disposition": f"inline; filename*=UTF-8''{quote(att.original_name)}",
        "X-Content-Type-Options": "nosniff", "Cache-Control": "private, no-store"})

