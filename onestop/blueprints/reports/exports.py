"""Report tables as XLSX and CSV, with Vietnamese headings, through the one spreadsheet writer."""
from __future__ import annotations

from flask_babel import gettext as _

from ... import reports, spreadsheet


def xlsx(report: reports.Report, names: list[str]) -> bytes:
    """A workbook with one sheet per table: two title lines, the headings, then the rows."""
    titles = reports.title_lines(report)

    def sheet(name: str) -> spreadsheet.Sheet:
        heads, rows = reports.table(report, name)
        return spreadsheet.Sheet(reports.TABLES[name], heads, rows, titles=titles)

    return spreadsheet.xlsx_bytes(sheet(name) for name in names)


def csv_bytes(report: reports.Report, name: str) -> bytes:
    """One table as CSV in UTF-8 with a BOM."""
    return spreadsheet.csv_bytes(*reports.table(report, name))


def score766_xlsx(score, agencies, communes, trend) -> bytes:
    """The evaluation table, the rankings and the trend of Decision 766, one sheet each (values, no formulas)."""
    titles = reports.score766_title_lines(score)
    heads, rows = reports.score766_table(score)
    sheets = [spreadsheet.Sheet(_("Bảng điểm QĐ 766"), heads, rows, titles=titles, widths=[7, 30, 60, 12, 16, 12])]
    for name, ranked in ((_("Xếp hạng cơ quan"), agencies), (_("Xếp hạng xã, phường"), communes)):
        h, r = reports.score766_ranking_table(ranked)
        sheets.append(spreadsheet.Sheet(name, h, r, titles=titles, wrap_heads=True,
                                        widths=[7, 16, 45] + [14] * (len(h) - 3)))
    h, r = reports.score766_trend_table(trend)
    sheets.append(spreadsheet.Sheet(_("Diễn biến theo tháng"), h, r, titles=titles, wrap_heads=True,
                                    widths=[10] + [14] * (len(h) - 1)))
    return spreadsheet.xlsx_bytes(sheets)
