"""The leaders' dashboard (Decision 766 at a glance, its drill-down), the detailed tables, their exports
and the printable reports. The figures are onestop/reports' (score766.py for the 766 score)."""
from __future__ import annotations

import sqlalchemy as sa
from flask import Response, abort, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy.orm import joinedload

from ... import audit, pagination, papers, reports, spreadsheet
from ...access import roles_required
from ...errors import ValidationError
from ...extensions import db
from ...models import Dossier, Feedback, Pakn
from ...papers import score766 as score766_paper
from ...reports import score766
from ...status import Rating
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
    """Decision 766 at a glance: the total, the six groups, rankings, the trend, links to the dossiers behind."""
    choices = reports.scope_choices(current_user)
    try:
        period, scope = _selection()
    except ValidationError as exc:
        period = reports.parse_period({})
        return render_template("reports/dashboard.html", score=None, error=exc.message, period=period,
                               args=request.args, choices=choices), 422
    fx, trend = score766.facts_and_trend(period, scope)
    score = fx.score()
    agencies = score766.ranking(period, scope, "agency", the_facts=fx)
    communes = score766.ranking(period, scope, "commune", the_facts=fx)
    query = _query(period, scope)
    month_links = [url_for(".dashboard", **_query(t["period"], scope)) for t in trend]
    chart = charts.score_trend(trend, [(g.key, g.label) for g in score.groups],
                               _("Điểm theo Quyết định 766 từng tháng"), links=month_links,
                               no_data=_("chưa có dữ liệu"))
    return render_template("reports/dashboard.html", score=score, period=period, args=request.args,
                           choices=choices, agencies=agencies, communes=communes, trend=trend, chart=chart,
                           drills=drill_counts(score), score766_drills=score766.DRILLS, query=query, error=None,
                           choice_ids={a.identifier for a in choices})


def drill_counts(score: score766.Score) -> dict[str, int]:
    """How many dossiers each drill-down lists (the counts behind the score)."""
    c = score.counts
    return {"late": c["fin_late"], "unsatisfied": c["fin_not_satisfied"], "pakn": c["fin_pakn"],
            "bad": c["fin_bad"], "open_overdue": c["open"] - c["open_ok"]}


@bp.route("/tables")
@roles_required("leader", "admin")
def tables():
    """The detailed tables (received, finished, on time, late… by agency, procedure and field)."""
    choices = reports.scope_choices(current_user)
    try:
        period, scope = _selection()
    except ValidationError as exc:
        period = reports.parse_period({})
        return render_template("reports/tables.html", report=None, error=exc.message, period=period,
                               args=request.args, choices=choices), 422
    report = reports.build(period, scope)
    chart_agencies = charts.on_time_bars(report.agencies, _("Tỷ lệ giải quyết đúng hạn theo cơ quan"))
    chart_trend = charts.monthly_trend(report.trend, _("Diễn biến 12 tháng"), _("Tiếp nhận mới"),
                                       _("Đã giải quyết"), _("Tỷ lệ đúng hạn"))
    tables = {name: reports.table(report, name) for name in reports.TABLES}
    return render_template("reports/tables.html", report=report, period=period, args=request.args,
                           choices=choices, tables=tables, chart_agencies=chart_agencies,
                           chart_trend=chart_trend, query=_query(period, scope), error=None)


@bp.route("/drill")
@roles_required("leader", "admin")
def drill():
    """The dossiers behind one figure of the score (`what`: score766.DRILLS), keyset pages, with their count."""
    what = request.args.get("what") or ""
    if what not in score766.DRILLS:
        abort(404)
    choices = reports.scope_choices(current_user)
    try:
        period, scope = _selection()
    except ValidationError as exc:
        period = reports.parse_period({})
        return render_template("reports/drill.html", page=None, error=exc.message, period=period, what=what,
                               title=score766.DRILLS[what], args=request.args, choices=choices), 422
    stmt = (sa.select(Dossier).where(score766.drill_clause(period, scope, what))
            .options(joinedload(Dossier.procedure), joinedload(Dossier.receiving_agency)))
    order = pagination.Order(Dossier.received_at, Dossier.id)
    page = pagination.page(stmt, order, request.args.get("cursor"), 50)
    total = pagination.count(sa.select(Dossier.id).where(score766.drill_clause(period, scope, what)))
    ids = [d.id for d in page.items]
    unsatisfied = set(db.session.execute(sa.select(Feedback.dossier_id).where(
        Feedback.dossier_id.in_(ids), Feedback.rating == Rating.NOT_SATISFIED)).scalars()) if ids else set()
    with_pakn = set(db.session.execute(sa.select(Pakn.dossier_id).where(Pakn.dossier_id.in_(ids))).scalars()) \
        if ids else set()
    return render_template("reports/drill.html", page=page, total=total, what=what, title=score766.DRILLS[what],
                           period=period, scope=scope, query=_query(period, scope), args=request.args,
                           choices=choices, unsatisfied=unsatisfied, with_pakn=with_pakn,
                           drills=score766.DRILLS, error=None, as_of=min(now(), period.end))


@bp.route("/score766.xlsx")
@roles_required("leader", "admin")
def score766_xlsx():
    """The 766 evaluation table (group / indicator / ratio / points / max), the rankings and the trend."""
    period, scope = _selection()
    fx, trend = score766.facts_and_trend(period, scope)
    score = fx.score()
    body = exports.score766_xlsx(score, score766.ranking(period, scope, "agency", the_facts=fx),
                                 score766.ranking(period, scope, "commune", the_facts=fx), trend)
    _score_audit(score, "xlsx")
    return _download(body, spreadsheet.XLSX_TYPE, _score_filename(score, "xlsx"))


@bp.route("/score766.pdf")
@roles_required("leader", "admin")
def score766_pdf():
    """The 766 evaluation table as a printed A4 page with the national heading."""
    period, scope = _selection()
    fx = score766.facts(period, scope)
    score = fx.score()
    body = score766_paper.score766_pdf(score, score766.ranking(period, scope, "agency", the_facts=fx),
                               score766.ranking(period, scope, "commune", the_facts=fx), printed_at=now())
    _score_audit(score, "pdf")
    return _download(body, "application/pdf", _score_filename(score, "pdf"), inline=True)


def _score_filename(score: score766.Score, ext: str) -> str:
    scope = score.scope.identifier or "toan-tinh"
    return f"diem-766_{scope}_{score.period.first.isoformat()}_{score.period.last.isoformat()}.{ext}"


def _score_audit(score: score766.Score, fmt: str) -> None:
    audit.record("report.export", actor=current_user, target_type="report",
                 target_id=score.scope.identifier or "province",
                 details={"format": fmt, "tables": ["score766"], "period": score.period.params(),
                          "scope": score.scope.identifier or None})


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
