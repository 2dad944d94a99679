"""The leaders' dashboard: a month whose every figure is known, on the page, in XLSX and in CSV."""
from __future__ import annotations

import csv
import io
from html.parser import HTMLParser

import pytest
from factories import act, receive, vn
from openpyxl import load_workbook

from onestop.extensions import db
from onestop.models import AuditLog, Feedback

MARCH = {"kind": "month", "year": 2025, "month": 3}
XD, TNMT, KHDT = "000.00.21.H56", "000.00.22.H56", "000.00.23.H56"


@pytest.fixture
def march(demo):
    """Dossiers around March 2025 at explicit moments (no holidays between 03/02 and 10/04/2025)."""
    d12 = receive("1.009994", at=vn(2025, 2, 3, 9, 0))  # finished before March: not counted
    act(d12, "forward", "tiepnhan", at=vn(2025, 2, 3, 10, 0))
    act(d12, "complete", "chuyenvien", at=vn(2025, 2, 10, 10, 0))

    d1 = receive("1.009994", at=vn(2025, 2, 20, 9, 0))  # carried over, early, returned, very satisfied
    act(d1, "forward", "tiepnhan", at=vn(2025, 2, 20, 10, 0))
    act(d1, "complete", "chuyenvien", at=vn(2025, 3, 5, 10, 0))
    act(d1, "return", "tiepnhan", at=vn(2025, 3, 6, 9, 0), collected_by="Nguyễn Văn Đức")

    d2 = receive("1.009994", at=vn(2025, 3, 3, 8, 0), channel="online", accept=True)  # early, digitised
    d2.digitised = True
    act(d2, "forward", "tiepnhan", at=vn(2025, 3, 3, 9, 0))
    act(d2, "complete", "chuyenvien", at=vn(2025, 3, 10, 16, 0))

    d3 = receive("2.001610", at=vn(2025, 3, 4, 9, 0))  # late at Sở KH&ĐT
    act(d3, "forward", "tiepnhan", at=vn(2025, 3, 4, 9, 30))
    act(d3, "complete", "chuyenvien.khdt", at=vn(2025, 3, 12, 10, 0))

    d4 = receive("1.004227", at=vn(2025, 3, 5, 10, 0), channel="postal")  # open, on time, at Sở XD
    act(d4, "forward", "tiepnhan", at=vn(2025, 3, 5, 11, 0))
    act(d4, "forward", "chuyenvien.tnmt", at=vn(2025, 3, 25, 10, 0))

    d5 = receive("1.009994", at=vn(2025, 3, 6, 9, 0))  # waiting for a supplement
    act(d5, "forward", "tiepnhan", at=vn(2025, 3, 6, 10, 0))
    act(d5, "request_supplement", "chuyenvien", at=vn(2025, 3, 7, 9, 0), reason="Thiếu bản vẽ",
        documents=["Bản vẽ thiết kế xây dựng"])

    d6 = receive("2.001610", at=vn(2025, 3, 10, 9, 0))  # open and overdue by the end of March
    act(d6, "forward", "tiepnhan", at=vn(2025, 3, 10, 10, 0))

    d7 = receive("1.009994", at=vn(2025, 3, 11, 9, 0))  # stopped (early)
    act(d7, "forward", "tiepnhan", at=vn(2025, 3, 11, 10, 0))
    act(d7, "stop", "chuyenvien", at=vn(2025, 3, 14, 10, 0), reason="Không đủ điều kiện cấp phép")

    d8 = receive("1.009994", at=vn(2025, 3, 12, 9, 0))  # withdrawn
    act(d8, "forward", "tiepnhan", at=vn(2025, 3, 12, 10, 0))
    act(d8, "withdraw", "tiepnhan", at=vn(2025, 3, 13, 9, 0), reason="Công dân xin rút")

    d9 = receive("1.009994", at=vn(2025, 3, 14, 9, 0), channel="online", accept=False)  # refused
    act(d9, "refuse", "tiepnhan", at=vn(2025, 3, 14, 10, 0), reason="Hồ sơ không thuộc thẩm quyền")

    receive("1.009994", at=vn(2025, 3, 20, 9, 0), channel="online", accept=False)  # still unchecked

    d13 = receive("2.001610", at=vn(2025, 3, 17, 9, 0))  # on time (due 20/03 09:00), not satisfied
    act(d13, "forward", "tiepnhan", at=vn(2025, 3, 17, 9, 30))
    act(d13, "complete", "chuyenvien.khdt", at=vn(2025, 3, 20, 8, 0))
    act(d13, "return", "tiepnhan", at=vn(2025, 3, 20, 10, 0), collected_by="Nguyễn Văn Đức")

    receive("1.009994", at=vn(2025, 4, 2, 9, 0))  # after the period

    db.session.add_all([
        Feedback(dossier_id=d1.id, rating="very_satisfied", created_at=vn(2025, 3, 7, 9, 0)),
        Feedback(dossier_id=d13.id, rating="not_satisfied", created_at=vn(2025, 3, 21, 9, 0)),
    ])
    db.session.commit()


# Processing times in working days: 9.125 + 5.75 + 6.125 + 3.125 + 2.875 = 27.0 over 5. The dossier refused at
# reception (d9) was never received (Decree 118/2025): it is in no figure but its own.
PROVINCE = {
    "carried": 1, "new": 8, "received": 9, "new_counter": 6, "new_online": 1, "new_postal": 1,
    "finished": 5, "early": 3, "on_time": 1, "late": 1, "open_on_time": 2, "open_overdue": 1,
    "supplement": 1, "stopped": 1, "withdrawn": 1, "on_time_rate": 80.0, "avg_days": 5.4,
    "online_share": 12.5, "digitised_share": 12.5,
}
AGENCIES = {
    XD: {"carried": 1, "new": 4, "received": 5, "new_counter": 3, "new_online": 1, "new_postal": 0,
         "finished": 3, "early": 3, "on_time": 0, "late": 0, "open_on_time": 1, "open_overdue": 0,
         "supplement": 1, "stopped": 1, "withdrawn": 1, "on_time_rate": 100.0,
         "avg_days": round((9.125 + 5.75 + 3.125) / 3, 2), "online_share": 25.0, "digitised_share": 25.0},
    TNMT: {"carried": 0, "new": 1, "received": 1, "new_counter": 0, "new_online": 0, "new_postal": 1,
           "finished": 0, "early": 0, "on_time": 0, "late": 0, "open_on_time": 1, "open_overdue": 0,
           "supplement": 0, "stopped": 0, "withdrawn": 0, "on_time_rate": None, "avg_days": None,
           "online_share": 0.0, "digitised_share": 0.0},
    KHDT: {"carried": 0, "new": 3, "received": 3, "new_counter": 3, "new_online": 0, "new_postal": 0,
           "finished": 2, "early": 0, "on_time": 1, "late": 1, "open_on_time": 0, "open_overdue": 1,
           "supplement": 0, "stopped": 0, "withdrawn": 0, "on_time_rate": 50.0, "avg_days": 4.5,
           "online_share": 0.0, "digitised_share": 0.0},
}
LATE_STEPS = {KHDT: [1, 1]}


class TableParser(HTMLParser):
    """Collects <table id="table-..."> cells as text."""

    def __init__(self):
        super().__init__()
        self.tables, self._table, self._row, self._cell = {}, None, None, None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "table" and (attrs.get("id") or "").startswith("table-"):
            self._table = self.tables.setdefault(attrs["id"][6:], [])
        elif tag == "tr" and self._table is not None:
            self._row = []
        elif tag in ("td", "th") and self._row is not None:
            self._cell = []

    def handle_endtag(self, tag):
        if tag in ("td", "th") and self._cell is not None:
            self._row.append("".join(self._cell).strip())
            self._cell = None
        elif tag == "tr" and self._row is not None:
            self._table.append(self._row)
            self._row = None
        elif tag == "table":
            self._table = None

    def handle_data(self, data):
        if self._cell is not None:
            self._cell.append(data)


def page_tables(client, **params) -> dict:
    response = client.get("/reports/tables", query_string=params)
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    parser = TableParser()
    parser.feed(response.get_data(as_text=True))
    return parser.tables


def vi(value) -> str:
    """How the page shows a value (Vietnamese number format)."""
    if value is None:
        return "—"
    if isinstance(value, float):
        return f"{value:,.2f}".replace(",", "\0").replace(".", ",").replace("\0", ".")
    return f"{value:,}".replace(",", ".")


FIGURE_HEADS = [
    ("carried", "Kỳ trước chuyển sang"), ("new", "Tiếp nhận mới"), ("received", "Tổng số hồ sơ"),
    ("new_counter", "Mới – trực tiếp"), ("new_online", "Mới – trực tuyến"), ("new_postal", "Mới – bưu chính"),
    ("finished", "Đã giải quyết"), ("early", "Trước hạn"), ("on_time", "Đúng hạn"), ("late", "Trễ hạn"),
    ("open_on_time", "Đang giải quyết – trong hạn"), ("open_overdue", "Đang giải quyết – quá hạn"),
    ("supplement", "Yêu cầu bổ sung"), ("stopped", "Dừng xử lý"), ("withdrawn", "Rút hồ sơ"),
    ("on_time_rate", "Tỷ lệ đúng hạn (%)"), ("avg_days", "Thời gian xử lý bình quân (ngày làm việc)"),
    ("online_share", "Tỷ lệ trực tuyến (%)"), ("digitised_share", "Tỷ lệ số hóa (%)"),
]


def expected_summary(figures, score):
    rows = [[head, figures[key]] for key, head in FIGURE_HEADS]
    return rows + [["Số hồ sơ không được tiếp nhận", 1], ["Điểm theo Quyết định 766/QĐ-TTg (trên 100 điểm)", score]]


def score_of(scope=None) -> float:
    """Decision 766's total for March 2025, from its one home (reports/score766.py)."""
    from datetime import date

    from onestop.reports import score766
    from onestop.reports.period import Period, Scope

    return score766.score(Period("month", date(2025, 3, 1), date(2025, 3, 31)), scope or Scope(None)).points


def expected_agencies(agencies=AGENCIES, late=LATE_STEPS):
    return {code: [figs[k] for k, _h in FIGURE_HEADS] + [late.get(code, [0, 0])[1]]
            for code, figs in agencies.items()}


SATISFACTION = [["Rất hài lòng", 1, 50.0], ["Hài lòng", 0, 0.0], ["Không hài lòng", 1, 50.0], ["Tổng", 2, 100.0]]


def test_dashboard_shows_every_figure(client, auth, march):
    auth.login("admin")
    tables = page_tables(client, **MARCH)
    summary = tables["summary"]
    assert summary[0] == ["Chỉ tiêu", "Giá trị"]
    assert summary[1:] == [[h, vi(v)] for h, v in expected_summary(PROVINCE, score_of())]
    agencies = {row[0]: row[2:] for row in tables["agencies"][1:]}
    assert agencies == {code: [vi(v) for v in values] for code, values in expected_agencies().items()}
    assert tables["agencies"][0][-1] == "Hồ sơ có bước trễ hạn"
    assert [row[0] for row in tables["late"][1:]] == [KHDT]
    assert tables["late"][1][2:] == ["1", "1"]
    assert tables["satisfaction"][1:] == [[a, vi(b), vi(c)] for a, b, c in SATISFACTION]
    procedures = {row[0]: row for row in tables["procedures"][1:]}
    assert set(procedures) == {"1.009994", "1.004227", "2.001610"}
    assert procedures["2.001610"][3] == "Sở Kế hoạch và Đầu tư"
    fields = {row[0]: row[1:] for row in tables["fields"][1:]}
    assert fields["Xây dựng"] == [vi(v) for v in expected_agencies()[XD][:-1]]
    trend = {row[0]: row[1:] for row in tables["trend"][1:]}
    assert len(trend) == 12 and list(trend)[-1] == "03/2025" and list(trend)[0] == "04/2024"
    assert trend["03/2025"] == ["8", "5", "4", "80,00"]
    assert trend["02/2025"] == ["2", "1", "1", "100,00"]
    assert trend["01/2025"] == ["0", "0", "0", "—"]


def test_xlsx_has_the_same_figures(client, auth, march):
    auth.login("admin")
    response = client.get("/reports/export.xlsx", query_string=MARCH)
    assert response.status_code == 200
    assert response.mimetype.endswith("spreadsheetml.sheet")
    book = load_workbook(io.BytesIO(response.data))
    assert book.sheetnames == ["Tổng hợp", "Theo cơ quan", "Theo thủ tục", "Theo lĩnh vực",
                               "Trễ hạn theo cơ quan", "Mức độ hài lòng", "Diễn biến theo tháng"]
    summary = [list(r) for r in book["Tổng hợp"].iter_rows(min_row=4, values_only=True)]
    assert summary == expected_summary(PROVINCE, score_of())
    assert "Tháng 03/2025" in book["Tổng hợp"]["A2"].value
    agency_rows = list(book["Theo cơ quan"].iter_rows(min_row=3, values_only=True))
    assert agency_rows[0][1] == "Cơ quan"
    assert {r[0]: list(r[2:]) for r in agency_rows[1:]} == expected_agencies()
    late = list(book["Trễ hạn theo cơ quan"].iter_rows(min_row=4, values_only=True))
    assert late == [(KHDT, "Sở Kế hoạch và Đầu tư", 1, 1)]
    sat = [list(r) for r in book["Mức độ hài lòng"].iter_rows(min_row=4, values_only=True)]
    assert sat == SATISFACTION
    entry = db.session.execute(db.select(AuditLog).filter_by(action="report.export")).scalar_one()
    assert entry.actor_name == "admin" and entry.details["format"] == "xlsx"


def test_csv_has_the_same_figures(client, auth, march):
    auth.login("admin")
    response = client.get("/reports/export.csv", query_string={**MARCH, "table": "agencies"})
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    text = response.data.decode("utf-8")
    assert text.startswith("\ufeff")
    rows = list(csv.reader(io.StringIO(text[1:])))
    assert rows[0][:3] == ["Mã cơ quan", "Cơ quan", "Kỳ trước chuyển sang"]

    def plain(v):
        return "" if v is None else str(v)

    assert {r[0]: r[2:] for r in rows[1:]} == {c: [plain(v) for v in vals] for c, vals in expected_agencies().items()}
    summary = list(csv.reader(io.StringIO(client.get("/reports/export.csv", query_string=MARCH)
                                          .data.decode("utf-8")[1:])))
    assert summary[1:] == [[h, plain(v)] for h, v in expected_summary(PROVINCE, score_of())]
    actions = db.session.execute(db.select(AuditLog.details).filter_by(action="report.export")).scalars().all()
    assert [d["tables"] for d in actions] == [["agencies"], ["summary"]]


def test_leader_sees_own_agency_only(client, auth, march):
    auth.login("lanhdao")
    tables = page_tables(client, **MARCH)
    xd = AGENCIES[XD]
    summary = dict((row[0], row[1]) for row in tables["summary"][1:])
    for key, head in FIGURE_HEADS:
        assert summary[head] == vi(xd[key]), head
    assert [row[0] for row in tables["agencies"][1:]] == [XD]
    assert "late" not in tables  # no late step at Sở Xây dựng: the table is replaced by a note
    assert client.get("/reports/", query_string={**MARCH, "agency": KHDT}).status_code == 403
    assert client.get("/reports/tables", query_string={**MARCH, "agency": KHDT}).status_code == 403
    assert client.get("/reports/export.csv", query_string={**MARCH, "agency": KHDT}).status_code == 403


def test_admin_scope_of_one_agency(client, auth, march):
    auth.login("admin")
    tables = page_tables(client, **MARCH, agency=KHDT)
    assert [row[0] for row in tables["agencies"][1:]] == [KHDT]
    assert [row[0] for row in tables["late"][1:]] == [KHDT]


@pytest.mark.parametrize("username, status", [("tiepnhan", 403), ("chuyenvien", 403), ("lanhdao", 200),
                                              ("admin", 200)])
@pytest.mark.parametrize("path", ["/reports/", "/reports/tables", "/reports/export.xlsx", "/reports/export.csv"])
def test_only_leaders_and_admins(client, auth, demo, username, status, path):
    auth.login(username)
    assert client.get(path).status_code == status


def test_anonymous_is_sent_to_login(client, demo):
    response = client.get("/reports/")
    assert response.status_code == 302 and "/auth/login" in response.headers["Location"]


@pytest.mark.parametrize("params, message", [
    ({"kind": "week"}, "Loại kỳ báo cáo không hợp lệ."),
    ({"kind": "month", "month": "13"}, "Tháng phải từ 1 đến 12."),
    ({"kind": "year", "year": "abc"}, "Năm không hợp lệ."),
    ({"kind": "custom", "from": "2025-03-10", "to": "2025-03-01"}, "Ngày kết thúc phải không sớm hơn ngày bắt đầu."),
    ({"kind": "custom", "from": "31/02/2025", "to": "2025-03-01"}, "Ngày bắt đầu không hợp lệ (dd/mm/yyyy)."),
    ({"agency": "999.99.99.H56"}, "Không tìm thấy cơ quan 999.99.99.H56."),
])
def test_bad_filters_give_a_clear_message(client, auth, demo, params, message):
    auth.login("admin")
    response = client.get("/reports/tables", query_string=params)
    assert response.status_code == 422
    assert message in client.get("/reports/", query_string=params).get_data(as_text=True)
    assert message in response.get_data(as_text=True)
    assert client.get("/reports/export.csv", query_string={**params, "table": "nope"}).status_code == 422


def test_quarter_year_and_custom_periods(client, auth, march):
    auth.login("admin")
    for params, new in (({"kind": "quarter", "year": 2025, "quarter": 1}, "10"),
                        ({"kind": "year", "year": 2025}, "11"),
                        ({"kind": "custom", "from": "2025-02-01", "to": "2025-03-31"}, "10")):
        tables = page_tables(client, **params)
        summary = dict((row[0], row[1]) for row in tables["summary"][1:])
        assert summary["Kỳ trước chuyển sang"] == "0"
        assert summary["Tiếp nhận mới"] == new
        assert summary["Đã giải quyết"] == "6"  # the refusal at reception is not counted
    tables = page_tables(client, kind="custom", **{"from": "2025-04-01", "to": "2025-04-30"})
    summary = dict((row[0], row[1]) for row in tables["summary"][1:])
    assert summary["Kỳ trước chuyển sang"] == "3" and summary["Tiếp nhận mới"] == "1"


def test_charts_are_inline_svg_and_tables_sortable(client, auth, march):
    auth.login("admin")
    html = client.get("/reports/tables", query_string=MARCH).get_data(as_text=True)
    assert html.count("<svg") == 2
    assert "Tỷ lệ giải quyết đúng hạn theo cơ quan" in html and "Diễn biến 12 tháng" in html
    assert 'class="table table-sm table-bordered table-hover align-middle report-table js-sortable"' in html
    assert "js/sortable.js" in html and "<script>" not in html


def test_monthly_pdf(client, auth, march):
    auth.login("admin")
    response = client.get("/reports/monthly.pdf", query_string=MARCH)
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    from pypdf import PdfReader

    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(response.data)).pages)
    assert "BÁO CÁO TÌNH HÌNH GIẢI QUYẾT" in text.upper()
    assert "Tháng 03/2025" in text and "80,00" in text
    entry = db.session.execute(db.select(AuditLog).filter_by(action="report.export")).scalar_one()
    assert entry.details["format"] == "pdf"
