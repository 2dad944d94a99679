"""The working calendar: the year at a glance, the province's days off and make-up working days."""
from __future__ import annotations

import calendar as pycalendar
from datetime import date

import sqlalchemy as sa
from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from ... import admin_ops
from ...calendar import FIRST_YEAR, LAST_YEAR, get_calendar
from ...errors import DomainError
from ...extensions import db
from ...models import CalendarOverride
from ...timeutil import local
from ...timeutil import now as utcnow
from ...transaction import discard
from ..common import show_domain_error
from . import bp
from .forms import ActionForm, CalendarForm
from .helpers import admin_only, parse_day


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
    today = local(utcnow()).date()
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
    day = parse_day(form.day.data)
    if not form.validate_on_submit() or day is None:
        if form.day.data and day is None:
            form.day.errors = [*list(form.day.errors or []), _("Ngày không hợp lệ (dd/mm/yyyy).")]
        return _calendar_page(day.year if day else None, form=form, error=_("Chưa lưu điều chỉnh."), status=422)
    try:
        admin_ops.set_calendar_day(current_user, day, form.kind.data, form.reason.data)
    except DomainError as exc:
        error = None if show_domain_error(form, exc) else exc.message
        return _calendar_page(None, form=form, error=error or _("Chưa lưu điều chỉnh."), status=exc.status)
    label = _("ngày nghỉ") if form.kind.data == "off" else _("ngày làm việc")
    flash(_("Đã đặt %(day)s là %(label)s.", day=day.strftime("%d/%m/%Y"), label=label), "success")
    return redirect(url_for(".calendar", year=day.year))


@bp.route("/calendar/<day>/remove", methods=["POST"])
@admin_only
def calendar_remove(day):
    parsed = parse_day(day) or abort(404)
    if ActionForm().validate_on_submit():
        try:
            admin_ops.set_calendar_day(current_user, parsed, None)
        except DomainError as exc:
            discard()
            flash(exc.message, "error")
            return redirect(url_for(".calendar"))
        flash(_("Đã bỏ điều chỉnh ngày %(day)s; ngày này theo lịch mặc định.", day=parsed.strftime("%d/%m/%Y")),
              "success")
    return redirect(url_for(".calendar", year=parsed.year))
