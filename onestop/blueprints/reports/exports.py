"""Report tables as XLSX and CSV, with Vietnamese headings, through the one spreadsheet writer."""
from __future__ import annotations

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
