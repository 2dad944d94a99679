"""Report tables as XLSX (openpyxl) and CSV, with Vietnamese headings."""
from __future__ import annotations

import csv
import io

from flask_babel import gettext as _
from openpyxl import Workbook
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from ... import reports


def _title_rows(report: reports.Report) -> list[str]:
    return [_("Báo cáo tình hình giải quyết thủ tục hành chính"),
            f"{_('Kỳ báo cáo')}: {report.period.label} · {_('Phạm vi')}: {report.scope.label}"]


def xlsx(report: reports.Report, names: list[str]) -> bytes:
    """A workbook with one sheet per table: two title lines, the headings, then the rows."""
    book = Workbook()
    book.remove(book.active)
    for name in names:
        heads, rows = reports.table(report, name)
        sheet = book.create_sheet(str(reports.TABLES[name])[:31])
        for line in _title_rows(report):
            sheet.append([line])
        sheet["A1"].font = Font(bold=True, size=13)
        sheet.append(heads)
        for cell in sheet[3]:
            cell.font = Font(bold=True)
        for row in rows:
            sheet.append(row)
        sheet.freeze_panes = "A4"
        for i, head in enumerate(heads, start=1):
            sheet.column_dimensions[get_column_letter(i)].width = min(45, max(10, len(str(head)) + 2))
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def csv_bytes(report: reports.Report, name: str) -> bytes:
    """One table as CSV in UTF-8 with a BOM (so spreadsheet programs read the diacritics)."""
    heads, rows = reports.table(report, name)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(heads)
    for row in rows:
        writer.writerow(["" if v is None else v for v in row])
    return ("\ufeff" + out.getvalue()).encode("utf-8")
