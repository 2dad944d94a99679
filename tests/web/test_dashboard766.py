"""The leaders' 766 dashboard: the total and the groups at a glance, rankings, trend, drill-down, exports."""
from __future__ import annotations

import io
import re
from html.parser import HTMLParser

import pytest
from openpyxl import load_workbook
from score766kit import worked_example

from onestop.extensions import db
from onestop.models import AuditLog

MARCH = {"kind": "month", "year": 2025, "month": 3}
XD, KHDT = "000.00.21.H56", "000.00.23.H56"


class _ById(HTMLParser):
    """The text inside the element with the given id (nested elements included)."""

    VOID = {"br", "img", "input", "meta", "link", "hr", "source", "col", "wbr"}

    def __init__(self, element_id: str):
        super().__init__()
        self.element_id, self.depth, self.parts, self.found = element_id, 0, [], False

    def handle_starttag(self, tag, attrs):
        if tag in self.VOID:
            return
        if self.depth:
            self.depth += 1
        elif dict(attrs).get("id") == self.element_id:
            self.depth, self.found = 1, True

    def handle_endtag(self, tag):
        if self.depth and tag not in self.VOID:
            self.depth -= 1

    def handle_data(self, data):
        if self.depth:
            self.parts.append(data)


def text_of(html: str, element_id: str) -> str:
    parser = _ById(element_id)
    parser.feed(html)
    assert parser.found, element_id
    return " ".join(" ".join(parser.parts).split())


@pytest.fixture
def example(demo):
    return worked_example()


def test_the_dashboard_shows_the_total_the_groups_and_the_counts_behind(client, auth, example):
    auth.login("admin")
    r = client.get("/reports/", query_string=MARCH)
    assert r.status_code == 200
    html = r.get_data(as_text=True)
    assert "Đánh giá chất lượng phục vụ theo Quyết định 766/QĐ-TTg" in html
    assert text_of(html, "group-progress").startswith("Tiến độ giải quyết 14,00 /20")
    assert "70,0%" in text_of(html, "group-progress")
    satisfaction = text_of(html, "group-satisfaction")
    assert satisfaction.startswith("Mức độ hài lòng 4,17 /18")
    payment = text_of(html, "group-payment")
    assert "chưa có dữ liệu" in payment
    counts = {key: text_of(html, f"drill-{key}").rsplit(" ", 1)[1]
              for key in ("late", "open_overdue", "unsatisfied", "pakn", "bad")}
    assert counts == {"late": "2", "open_overdue": "1", "unsatisfied": "2", "pakn": "0", "bad": "3"}
    # one server-rendered chart, no script, no inline style
    assert html.count("<svg") == 1 and "Điểm theo Quyết định 766 từng tháng" in html
    assert "<script>" not in html and "style=" not in html
    ranking = text_of(html, "ranking-agencies")
    assert "Sở Xây dựng" in ranking
    assert 'href="/reports/tables?' in html


def test_each_count_opens_the_dossiers_behind_it(client, auth, example):
    auth.login("lanhdao")
    r = client.get("/reports/drill", query_string={**MARCH, "what": "bad"})
    assert r.status_code == 200
    html = r.get_data(as_text=True)
    assert text_of(html, "drill-total") == "3 hồ sơ"
    codes = set(re.findall(r"K766-\d{5}", html))
    expected = {d.code for d in example["late"]} | {example["on_time"][0].code}
    assert codes == expected
    assert "Nguyễn Văn Đức" not in html  # no applicant names on the list
    overdue = client.get("/reports/drill", query_string={**MARCH, "what": "open_overdue"}).get_data(as_text=True)
    assert set(re.findall(r"K766-\d{5}", overdue)) == {example["open_late"].code}
    assert client.get("/reports/drill", query_string={**MARCH, "what": "nope"}).status_code == 404
    assert client.get("/reports/drill", query_string={**MARCH, "what": "late", "agency": KHDT}).status_code == 403


def test_the_drill_down_pages_with_a_cursor(client, auth, demo):
    from factories import vn
    from score766kit import dossier

    from onestop.status import DeadlineState
    for _ in range(53):
        dossier(finished=vn(2025, 3, 20, 9, 0), state=DeadlineState.LATE)
    db.session.commit()
    auth.login("admin")
    first = client.get("/reports/drill", query_string={**MARCH, "what": "late"}).get_data(as_text=True)
    assert text_of(first, "drill-total") == "53 hồ sơ"
    assert len(set(re.findall(r"K766-\d{5}", first))) == 50
    nxt = re.search(r'id="next-page" href="([^"]+)"', first).group(1).replace("&amp;", "&")
    second = client.get(nxt).get_data(as_text=True)
    assert len(set(re.findall(r"K766-\d{5}", second))) == 3
    assert 'id="next-page"' not in second


@pytest.mark.parametrize("path", ["/reports/", "/reports/tables", "/reports/drill?what=late", "/reports/score766.xlsx",
                                  "/reports/score766.pdf"])
@pytest.mark.parametrize("username, status", [("tiepnhan", 403), ("chuyenvien", 403), ("lanhdao", 200),
                                              ("admin", 200)])
def test_only_leaders_and_admins(client, auth, demo, username, status, path):
    auth.login(username)
    assert client.get(path).status_code == status


def test_bad_period_gives_a_clear_message(client, auth, demo):
    auth.login("admin")
    for path in ("/reports/", "/reports/drill"):
        r = client.get(path, query_string={"kind": "month", "month": "13", "what": "late"})
        assert r.status_code == 422 and "Tháng phải từ 1 đến 12." in r.get_data(as_text=True)


def test_xlsx_is_the_portal_evaluation_table(client, auth, example):
    auth.login("admin")
    r = client.get("/reports/score766.xlsx", query_string=MARCH)
    assert r.status_code == 200 and r.mimetype.endswith("spreadsheetml.sheet")
    book = load_workbook(io.BytesIO(r.data))
    assert book.sheetnames == ["Bảng điểm QĐ 766", "Xếp hạng cơ quan", "Xếp hạng xã, phường", "Diễn biến theo tháng"]
    sheet = book["Bảng điểm QĐ 766"]
    assert "Quyết định 766" in sheet["A1"].value and "Tháng 03/2025" in sheet["A2"].value
    rows = [list(r) for r in sheet.iter_rows(min_row=3, values_only=True)]
    assert rows[0] == ["STT", "Nhóm chỉ số", "Chỉ số", "Tỷ lệ (%)", "Điểm", "Điểm tối đa"]
    by_label = {(r[1] or r[2]): r for r in rows[1:]}
    assert by_label["Tiến độ giải quyết"][3:] == [70.0, 14.0, 20]
    assert by_label["Hài lòng về giải quyết hồ sơ"][3:] == [62.5, 4.17, 6]
    assert by_label["Thanh toán trực tuyến"][4] == "chưa có dữ liệu"
    assert rows[-1][1] == "Tổng điểm" and rows[-1][5] == 100
    assert not any(c.data_type == "f" for ws in book for row in ws.iter_rows() for c in row)
    entry = db.session.execute(db.select(AuditLog).filter_by(action="report.export")).scalar_one()
    assert entry.details["format"] == "xlsx" and entry.details["tables"] == ["score766"]


def test_pdf_reads_back_as_the_evaluation_table(client, auth, example):
    from pypdf import PdfReader

    auth.login("admin")
    r = client.get("/reports/score766.pdf", query_string=MARCH)
    assert r.status_code == 200 and r.mimetype == "application/pdf"
    text = " ".join(" ".join(p.extract_text() for p in PdfReader(io.BytesIO(r.data)).pages).split())
    assert "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM" in text
    assert "Tháng 03/2025" in text
    assert "Tiến độ giải quyết" in text and "14,00" in text and "4,17" in text and "62,50" in text
    assert "chưa có dữ liệu" in text
    assert "Xếp hạng các cơ quan" in text and "Sở Xây dựng" in text


def test_the_detailed_tables_show_the_same_766_total(client, auth, example):
    """One home for the rule: the summary table's 766 row is the dashboard's total, not the old 100 − rates."""
    auth.login("admin")
    dashboard = client.get("/reports/", query_string=MARCH).get_data(as_text=True)
    tables = client.get("/reports/tables", query_string=MARCH).get_data(as_text=True)
    total = text_of(dashboard, "score-total").split("/")[0].strip()
    assert text_of(tables, "kpi-score") == total
    assert "Điểm theo Quyết định 766/QĐ-TTg (trên 100 điểm)" in tables
    assert "Điểm hài lòng theo Quyết định 766 (%)" not in tables
