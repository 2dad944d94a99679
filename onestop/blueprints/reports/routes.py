"""The leaders' dashboard, its exports and the printable monthly report."""
from __future__ import annotations

from flask import Response, render_template, request
from flask_babel import gettext as _
from flask_login import current_user

from ... import audit, papers, reports, spreadsheet
from ...access import roles_required
from ...errors import ValidationError
from ...timeutil import now
from . import bp, charts, exports


def _selection():
    period = reports.parse_period(request.args)
    scope = reports.resolve_scope(current_user, request.args.get("agency"))
    return period, scope


def _filename(report: reports.Report, ext: str, table: str | None = None) -> str:
    scope = report.scope.identifier or "toan-tinh"
    parts = ["bao-cao", scope, report.period.first.isoformat(), report.period.last.isoformat()]
    if table:
        parts.append(table)
    return "_".join(parts) + "." + ext


def _export_audit(report: reports.Report, fmt: str, tables) -> None:
    audit.record("report.export", actor=current_user, target_type="report",
                 target_id=report.scope.identifier or "province",
                 details={"format": fmt, "tables": list(tables), "period": report.period.params(),
                          "scope": report.scope.identifier or None})


@bp.route("/")
@roles_required("leader", "admin")
def dashboard():
    choices = reports.scope_choices(current_user)
    try:
        period, scope = _selection()
    except ValidationError as exc:
        period = reports.parse_period({})
        return render_template("reports/dashboard.html", report=None, error=exc.message, period=period,
                               args=request.args, choices=choices), 422
    report = reports.build(period, scope)
    chart_agencies = charts.on_time_bars(report.agencies, _("Tỷ lệ giải quyết đúng hạn theo cơ quan"))
    chart_trend = charts.monthly_trend(report.trend, _("Diễn biến 12 tháng"), _("Tiếp nhận mới"),
                                       _("Đã giải quyết"), _("Tỷ lệ đúng hạn"))
    tables = {name: reports.table(report, name) for name in reports.TABLES}
    return render_template("reports/dashboard.html", report=report, period=period, args=request.args,
                           choices=choices, tables=tables, chart_agencies=chart_agencies,
                           chart_trend=chart_trend, query=_query(period, scope), error=None)


def _query(period: reports.Period, scope: reports.Scope) -> dict:
    params = period.params()
    if scope.identifier:
        params["agency"] = scope.identifier
    return params


@bp.route("/export.xlsx")
@roles_required("leader", "admin")
def export_xlsx():
    period, scope = _selection()
    names = _table_names(all_by_default=True)
    report = reports.build(period, scope)
    body = exports.xlsx(report, names)
    _export_audit(report, "xlsx", names)
    return _download(body, spreadsheet.XLSX_TYPE, _filename(report, "xlsx", names[0] if len(names) == 1 else None))


@bp.route("/export.csv")
@roles_required("leader", "admin")
def export_csv():
    period, scope = _selection()
    names = _table_names(all_by_default=False)
    report = reports.build(period, scope)
    body = exports.csv_bytes(report, names[0])
    _export_audit(report, "csv", names)
    return _download(body, spreadsheet.CSV_TYPE, _filename(report, "csv", names[0]))


@bp.route("/monthly.pdf")
@roles_required("leader", "admin")
def monthly_pdf():
    period, scope = _selection()
    report = reports.build(period, scope)
    tables = {name: reports.table(report, name) for name in ("summary", "agencies", "fields", "late",
                                                             "satisfaction")}
    body = papers.monthly_report_pdf(report, tables=tables, printed_at=now(),
                                     chart=charts.on_time_bars(report.agencies, _("Tỷ lệ đúng hạn theo cơ quan")))
    _export_audit(report, "pdf", ["monthly"])
    return _download(body, "application/pdf", _filename(report, "pdf"), inline=True)


def _table_names(all_by_default: bool) -> list[str]:
    name = (request.args.get("table") or "").strip()
    if not name:
        return list(reports.TABLES) if all_by_default else ["summary"]
    if name not in reports.TABLES:
        raise ValidationError(_("Bảng báo cáo không hợp lệ."), field="table")
    return [name]


def _download(body: bytes, content_type: str, filename: str, inline: bool = False) -> Response:
    # content_type, not mimetype: Flask would add a second "; charset=utf-8" to a text type given as mimetype
    response = Response(body, content_type=content_type)
    kind = "inline" if inline else "attachment"
    response.headers["Content-Disposition"] = f'{kind}; filename="{filename}"'
    response.headers["Cache-Control"] = "no-store"
    return response
