"""The leaders' 766 dashboard in Chromium at 1366 px: readable at a glance, drill-down by clicking, no script needed."""
from __future__ import annotations

from datetime import timedelta

import pytest
from browserkit import shot
from factories import vn
from playwright.sync_api import expect
from score766kit import dossier, rate

from onestop.extensions import db
from onestop.status import DeadlineState, DossierStatus, Rating

LAPTOP = {"viewport": {"width": 1366, "height": 768}}
PROCEDURES = ("1.009994", "1.004227", "2.001610", "1.001756", "1.001193", "2.000720", "2.000815")


@pytest.fixture
def year(demo):
    """A year of dossiers at departments and communes, some late, some rated "not satisfied"."""
    n = 0
    for month in range(1, 12):
        for i, code in enumerate(PROCEDURES):
            for k in range(2 + (month + i) % 3):
                n += 1
                received = vn(2025, month, 3 + k, 9, 0)
                late = (n % (4 + i)) == 0
                d = dossier(code=code, received=received, due=received + timedelta(days=10),
                            finished=received + timedelta(days=14 if late else 6),
                            state=DeadlineState.LATE if late else DeadlineState.ON_TIME)
                if n % 7 == 0:
                    rate(d, Rating.NOT_SATISFIED, at=received + timedelta(days=15))
    for code in PROCEDURES[:3]:
        dossier(DossierStatus.PROCESSING, code=code, received=vn(2025, 11, 10, 9, 0), finished=None, state=None,
                due=vn(2025, 11, 20, 17, 0))
    db.session.commit()


def test_the_dashboard_at_a_glance_and_its_drill_down(new_page, login, console, year):
    page = login(new_page(**LAPTOP), "admin")
    page.goto("/reports/?kind=year&year=2025")
    expect(page.locator("#score-total")).to_be_visible()
    # the total and the six groups are on the first screen of a 1366 × 768 laptop
    for key in ("transparency", "progress", "online", "payment", "satisfaction", "digitisation"):
        box = page.locator(f"#group-{key}").bounding_box()
        assert box["y"] + box["height"] <= 768, key
        assert box["x"] + box["width"] <= 1366, key
    assert page.evaluate("document.documentElement.scrollWidth") <= 1366  # no sideways scrolling
    expect(page.locator("#ranking-agencies")).to_contain_text("Sở Xây dựng")
    expect(page.locator("#ranking-communes")).to_contain_text("UBND")
    shot(page, "dashboard-1366")
    late = page.locator("#drill-late .badge").inner_text()
    page.locator("#drill-late").click()
    expect(page.locator("h1")).to_have_text("Hồ sơ trễ hạn đã giải quyết")
    expect(page.locator("#drill-total")).to_have_text(f"{late} hồ sơ")
    shot(page, "drill-late-1366")
    assert console.problems == []


def test_the_drill_down_works_without_javascript(new_page, login, year):
    page = login(new_page(**LAPTOP, java_script_enabled=False), "lanhdao")
    page.goto("/reports/?kind=year&year=2025")
    page.locator("#drill-bad").click()
    expect(page.locator("#table-drill")).to_be_visible()
    page.select_option("#kind", "month")
    page.select_option("#month", "3")
    page.fill("#year", "2025")
    page.get_by_role("button", name="Xem báo cáo").click()
    expect(page.locator("h1")).to_have_text("Hồ sơ làm giảm điểm hài lòng (trễ hạn, không hài lòng hoặc có phản ánh)")
    assert "month=3" in page.url
    shot(page, "drill-bad-nojs")
