"""Jinja filters and globals: Vietnamese dates, money, status and deadline labels."""
import logging

from flask import Flask, has_request_context, url_for
from flask_babel import get_locale
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from jinja2 import pass_context
from markupsafe import Markup
from sqlalchemy.exc import SQLAlchemyError

from . import i18n, inbox
from .models import ROLE_LABELS
from .status import Channel, DeadlineState, DossierStatus, Rating, StepResult
from .timeutil import fmt_date, fmt_datetime, iso, local

log = logging.getLogger(__name__)

DEADLINE_CLASSES = {
    "on_time": "success", "early": "primary", "due_soon": "warning", "overdue": "danger", "late": "danger",
}


def label_of(enum, value) -> str:
    """The label of a stored value of one of the status vocabularies ('' for none or an unknown value)."""
    member = enum.parse(value)
    return member.label if member is not None else ""


def money(value) -> str:
    """1234567 -> "1.234.567 đ" in Vietnamese, "1,234,567 VND" in English."""
    if value is None:
        return ""
    if str(get_locale() or "vi") == "vi":
        return f"{int(value):,} đ".replace(",", ".")
    return f"{int(value):,} VND"


def number(value, digits: int = 0) -> str:
    """Numbers in the locale's style: 1.234,5 in Vietnamese, 1,234.5 in English."""
    if value is None:
        return ""
    text = f"{value:,.{digits}f}"
    if str(get_locale() or "vi") == "vi":
        text = text.replace(",", "\0").replace(".", ",").replace("\0", ".")
    return text


@pass_context
def _gettext(context, string, /, **variables):
    """Jinja's newstyle `_()`/`gettext()` (jinja2.ext), without its three nested `context.call`s per string."""
    rv = i18n.translations().ugettext(string)
    if context.eval_ctx.autoescape:
        rv = Markup(rv)
    return rv % variables  # always a format string, as newstyle gettext does


@pass_context
def _ngettext(context, singular, plural, num, /, **variables):
    variables.setdefault("num", num)
    rv = i18n.translations().ungettext(singular, plural, num)
    if context.eval_ctx.autoescape:
        rv = Markup(rv)
    return rv % variables


def register(app: Flask) -> None:
    # After Flask-Babel's init_app (which installed the slower callables): the same newstyle semantics.
    i18n.install_kept_domain(app)
    app.jinja_env.globals.update(_=_gettext, gettext=_gettext, ngettext=_ngettext)
    app.jinja_env.filters.update(
        date=fmt_date, datetime=fmt_datetime, iso=iso, money=money, number=number, localtime=local,
    )
    app.jinja_env.globals.update(
        Status=DossierStatus, DeadlineState=DeadlineState, Channel=Channel, Rating=Rating, StepResult=StepResult,
        DEADLINE_CLASSES=DEADLINE_CLASSES, ROLE_LABELS=ROLE_LABELS, label_of=label_of,
    )
    from . import province  # the header and footer of base.html (issue 19)

    app.jinja_env.globals["province_face"] = province.face

    # Flask-Login flashes this when a page needs a signed-in user; str() picks the request's language.
    app.login_manager.login_message = _l("Vui lòng đăng nhập để tiếp tục.")
    app.login_manager.localize_callback = str

    @app.context_processor
    def inject_user_context():
        return {"current_locale": str(get_locale() or "vi"), "me": current_user}

    @app.context_processor
    def deadline_counts():
        """The header's due-soon/overdue counters for staff, linking to where that staff member works."""
        user = current_user
        if not has_request_context() or not getattr(user, "is_authenticated", False) \
                or user.role not in inbox.BADGE_ROLES:
            return {}
        try:
            counts = inbox.badge_counts(user.agency_id)
        except SQLAlchemyError:  # an error page must still render when the database is unwell
            log.exception("deadline counters")
            return {}
        endpoint = "reception.index" if user.role == "clerk" else "processing.inbox"
        return {"deadline_counts": dict(counts, url=url_for(endpoint))}
