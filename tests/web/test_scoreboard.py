"""The public scoreboard: its figures are the reports' figures for the same period and scope."""
from __future__ import annotations

import re

import pytest

from onestop.agencies import get_by_identifier, subtree_ids
from onestop.blueprints.scoreboard import board
from onestop.devdata import generate
from onestop.reports import figures, score766
from onestop.reports.period import Scope
from onestop.status import DeadlineState, Rating

DEPT = "000.00.21.H56"


@pytest.fixture
def generated(app):
    generate.generate(400, seed=20)
    board.clear_cache()


def _figure(html: str, card: int, name: str) -> str:
    found = re.findall(rf'data-figure="{name}">([^<]*)', html)
    return found[card].strip()


@pytest.mark.parametrize("identifier", [None, DEPT])
def test_figures_equal_the_reports(client, generated, identifier):
    scope = Scope(None) if identifier is None else Scope(get_by_identifier(identifier),
                                                         subtree_ids(get_by_identifier(identifier).id))
    shown = board.board(identifier)
    month, year = board.this_month_and_year()
    for key, period in (("month", month), ("year", year)):
        report = figures.build(period, scope, shown["as_of"])
        t, f = report.total, shown[key]
        assert (f["new"], f["carried"], f["finished"], f["open"], f["overdue_now"]) == \
            (t.new, t.carried, t.finished, t.open, t.open_overdue)
        assert f["late"] == t.counts[DeadlineState.LATE]
        assert f["on_time_rate"] == t.on_time_rate
        assert f["rated"] == report.satisfaction_total
        assert f["ratings"][str(Rating.NOT_SATISFIED)] == report.satisfaction[Rating.NOT_SATISFIED]
        assert f["score"]["points"] == score766.score(period, scope, as_of=shown["as_of"]).points
    assert shown["year"]["finished"] > 0, "the generated set has dossiers finished this year"

    # The page and the JSON show those numbers.
    url = "/bang-diem/" if identifier is None else f"/bang-diem/{identifier}"
    page = client.get(url)
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert _figure(html, 0, "new") == f"{shown['month']['new']:,}".replace(",", ".")
    assert _figure(html, 1, "finished") == f"{shown['year']['finished']:,}".replace(",", ".")
    assert "<svg" in html
    data = client.get(url.rstrip("/") + "/du-lieu.json").get_json()
    assert data["year"]["finished"] == shown["year"]["finished"]
    assert data["year"]["score"]["points"] == shown["year"]["score"]["points"]


def test_ranking_and_late_list(client, generated):
    shown = board.board(None)
    ranked = shown["ranking"]["agency"] + shown["ranking"]["commune"]
    assert ranked, "departments and communes are ranked"
    year = board.this_month_and_year()[1]
    expected = [r.key for r in score766.ranking(year, Scope(None), "agency", as_of=shown["as_of"])]
    assert [r["identifier"] for r in shown["ranking"]["agency"]] == expected
    for row in shown["late"]:
        assert set(row) == {"code", "procedure", "agency", "received_at", "due_at", "new_due_at", "finished_at",
                            "apology"}
    html = client.get("/bang-diem/").get_data(as_text=True)
    for row in shown["late"][:5]:
        assert row["code"] in html


def test_unknown_agency_is_404_and_pages_are_cached(client, demo):
    assert client.get("/bang-diem/000.99.99.H56").status_code == 404
    assert client.get("/bang-diem/" + "9" * 60).status_code == 404
    board.clear_cache()
    first = board.board(None)
    assert board.board(None) is first, "a second visit within the cache time costs nothing"
