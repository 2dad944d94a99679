"""The report as tables of Vietnamese headings and plain values: one shape for the page, XLSX, CSV and the PDF."""
from __future__ import annotations

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from ..errors import ValidationError
from ..status import Rating
from .figures import Figures, Report

#: (heading, value) of the columns every figures table has
FIGURE_COLUMNS = [
    (_l("Kỳ trước chuyển sang"), lambda f: f.carried),
    (_l("Tiếp nhận mới"), lambda f: f.new),
    (_l("Tổng số hồ sơ"), lambda f: f.received),
    (_l("Mới – trực tiếp"), lambda f: f.new_counter),
    (_l("Mới – trực tuyến"), lambda f: f.new_online),
    (_l("Mới – bưu chính"), lambda f: f.new_postal),
    (_l("Đã giải quyết"), lambda f: f.finished),
    (_l("Trước hạn"), lambda f: f.early),
    (_l("Đúng hạn"), lambda f: f.on_time),
    (_l("Trễ hạn"), lambda f: f.late),
    (_l("Đang giải quyết – trong hạn"), lambda f: f.open_on_time),
    (_l("Đang giải quyết – quá hạn"), lambda f: f.open_overdue),
    (_l("Yêu cầu bổ sung"), lambda f: f.supplement),
    (_l("Dừng xử lý"), lambda f: f.stopped),
    (_l("Rút hồ sơ"), lambda f: f.withdrawn),
    (_l("Tỷ lệ đúng hạn (%)"), lambda f: f.on_time_rate),
    (_l("Thời gian xử lý bình quân (ngày làm việc)"), lambda f: f.avg_days),
    (_l("Tỷ lệ trực tuyến (%)"), lambda f: f.online_share),
    (_l("Tỷ lệ số hóa (%)"), lambda f: f.digitised_share),
]

TABLES = {
    "summary": _l("Tổng hợp"),
    "agencies": _l("Theo cơ quan"),
    "procedures": _l("Theo thủ tục"),
    "fields": _l("Theo lĩnh vực"),
    "late": _l("Trễ hạn theo cơ quan"),
    "satisfaction": _l("Mức độ hài lòng"),
    "trend": _l("Diễn biến theo tháng"),
}


def table(report: Report, name: str) -> tuple[list[str], list[list]]:
    """One table of the report as Vietnamese headings and rows of plain values."""
    fig_heads = [str(h) for h, _g in FIGURE_COLUMNS]

    def figs(f: Figures) -> list:
        return [g(f) for _h, g in FIGURE_COLUMNS]

    if name == "summary":
        heads = [_("Chỉ tiêu"), _("Giá trị")]
        rows = [[h, v] for h, v in zip(fig_heads, figs(report.total), strict=True)]
        rows += [[_("Số hồ sơ không được tiếp nhận"), report.total.not_accepted],
                 [_("Điểm theo Quyết định 766/QĐ-TTg (trên 100 điểm)"), report.score_766]]
        return heads, rows
    if name == "agencies":
        heads = [_("Mã cơ quan"), _("Cơ quan"), *fig_heads, _("Hồ sơ có bước trễ hạn")]
        return heads, [[r.key, r.label, *figs(r.figures), r.extra["late_step_dossiers"]] for r in report.agencies]
    if name == "procedures":
        heads = [_("Mã thủ tục"), _("Thủ tục"), _("Lĩnh vực"), _("Cơ quan giải quyết"), *fig_heads]
        return heads, [[r.key, r.label, r.extra["field"], r.extra["agency"], *figs(r.figures)]
                       for r in report.procedures]
    if name == "fields":
        heads = [_("Lĩnh vực"), *fig_heads]
        return heads, [[r.label, *figs(r.figures)] for r in report.fields]
    if name == "late":
        heads = [_("Mã cơ quan"), _("Cơ quan"), _("Số bước trễ hạn"), _("Số hồ sơ bị trễ tại cơ quan")]
        return heads, [[r.key, r.label, r.extra["late_steps"], r.extra["late_step_dossiers"]]
                       for r in report.late_steps]
    if name == "satisfaction":
        heads = [_("Mức độ"), _("Số lượt đánh giá"), _("Tỷ lệ (%)")]
        rows = [[str(label), report.satisfaction.get(key, 0), report.satisfaction_share(key)]
                for key, label in Rating.choices()]
        rows.append([_("Tổng"), report.satisfaction_total, 100.0 if report.satisfaction_total else None])
        return heads, rows
    if name == "trend":
        heads = [_("Tháng"), _("Tiếp nhận mới"), _("Đã giải quyết"), _("Đúng và trước hạn"), _("Tỷ lệ đúng hạn (%)")]
        return heads, [[t["month"], t["new"], t["finished"], t["on_time_total"], t["on_time_rate"]]
                       for t in report.trend]
    raise ValidationError(_("Bảng báo cáo không hợp lệ."), field="table")


def title_lines(report: Report) -> list[str]:
    """The lines above an exported table: what it is, the period and the scope."""
    return [_("Báo cáo tình hình giải quyết thủ tục hành chính"),
            f"{_('Kỳ báo cáo')}: {report.period.label} · {_('Phạm vi')}: {report.scope.label}"]


# -- Decision 766: the evaluation table, laid out as the national portal's ------------------------

def _pct_of(ratio: float | None) -> float | None:
    return None if ratio is None else round(100.0 * ratio, 2)


def score766_table(score) -> tuple[list[str], list[list]]:
    """Group / indicator / ratio / points / max, one row per group then its indicators, then the total.

    Points without data are the words "chưa có dữ liệu" (never a made-up 0); ratios are percentages.
    """
    from .score766 import NO_DATA

    heads = [_("STT"), _("Nhóm chỉ số"), _("Chỉ số"), _("Tỷ lệ (%)"), _("Điểm"), _("Điểm tối đa")]
    rows: list[list] = []
    for n, group in enumerate(score.groups, start=1):
        rows.append([str(n), group.label, "", _pct_of(group.ratio) if len(group.indicators) == 1 else None,
                     group.points if group.points is not None else str(NO_DATA), group.max])
        for m, ind in enumerate(group.indicators, start=1):
            rows.append([f"{n}.{m}", "", ind.label, _pct_of(ind.ratio),
                         ind.points if ind.points is not None else str(NO_DATA), ind.max])
    rows.append(["", _("Tổng điểm"), "", None, score.points, score.max])
    return heads, rows


def score766_ranking_table(ranked) -> tuple[list[str], list[list]]:
    """A ranking (score766.ranking) as rows: rank, code, name, total and each group's points."""
    heads = [_("Hạng"), _("Mã"), _("Tên"), _("Tổng điểm")]
    if ranked:
        heads += [g.label for g in ranked[0].score.groups]
    rows = [[i, r.key, r.label, r.score.points, *[g.points for g in r.score.groups]]
            for i, r in enumerate(ranked, start=1)]
    return heads, rows


def score766_trend_table(trend: list[dict]) -> tuple[list[str], list[list]]:
    """The score month by month (score766.trend)."""
    heads = [_("Tháng"), _("Tổng điểm")]
    rows = []
    for t in trend:
        if not heads[2:]:
            heads += [g.label for g in t["score"].groups]
        rows.append([t["month"], t["total"], *[g.points for g in t["score"].groups]])
    return heads, rows


def score766_title_lines(score) -> list[str]:
    return [_("Kết quả đánh giá chất lượng phục vụ người dân, doanh nghiệp theo Quyết định 766/QĐ-TTg"),
            f"{_('Kỳ đánh giá')}: {score.period.label} · {_('Phạm vi')}: {score.scope.label}"]
