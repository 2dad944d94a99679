"""Jinja filters and globals: Vietnamese dates, money, status and deadline labels."""
from flask import Flask
from flask_babel import get_locale
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from .models import (
    CHANNEL_LABELS,
    DEADLINE_LABELS,
    RATING_LABELS,
    ROLE_LABELS,
    STATUS_CODES,
    STATUS_LABELS,
    STEP_RESULT_LABELS,
)
from .timeutil import fmt_date, fmt_datetime, iso, local

DEADLINE_CLASSES = {
    "on_time": "success", "early": "primary", "due_soon": "warning", "overdue": "danger", "late": "danger",
}


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


def register(app: Flask) -> None:
    app.jinja_env.filters.update(
        date=fmt_date, datetime=fmt_datetime, iso=iso, money=money, number=number, localtime=local,
    )
    app.jinja_env.globals.update(
        STATUS_LABELS=STATUS_LABELS, STATUS_CODES=STATUS_CODES, DEADLINE_LABELS=DEADLINE_LABELS,
        DEADLINE_CLASSES=DEADLINE_CLASSES, CHANNEL_LABELS=CHANNEL_LABELS, ROLE_LABELS=ROLE_LABELS,
        RATING_LABELS=RATING_LABELS, STEP_RESULT_LABELS=STEP_RESULT_LABELS,
    )

    # Flask-Login flashes this when a page needs a signed-in user; str() picks the request's language.
    app.login_manager.login_message = _l("Vui lòng đăng nhập để tiếp tục.")
    app.login_manager.localize_callback = str

    @app.context_processor
    def inject_user_context():
        return {"current_locale": str(get_locale() or "vi"), "me": current_user}
