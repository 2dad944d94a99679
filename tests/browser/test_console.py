"""Every kind of page loads in Chromium without console errors, script errors or CSP violations."""
from __future__ import annotations

import pytest
from browserkit import DESKTOP
from factories import act, receive
from playwright.sync_api import expect

PAGES = {
    None: ["/auth/login", "/lookup/", "/lookup/{code}", "/lookup/000.00.17.H56-200101-9999?key=AAAAAAAA"],
    "tiepnhan": ["/reception/", "/reception/intake", "/reception/intake?procedure=1.004227", "/reception/queue",
                 "/reception/handover", "/reception/returns", "/reception/register", "/reception/dossiers/{code}"],
    "chuyenvien.tnmt": ["/processing/", "/processing/dossiers/{code}"],
    "lanhdao.tnmt": ["/processing/", "/reports/"],
    "admin": ["/admin/", "/admin/agencies", "/admin/users", "/admin/procedures", "/admin/tokens"],
}


@pytest.fixture
def held_dossier(demo):
    """A dossier of 1.004227 handed to its first agency."""
    dossier = receive("1.004227")
    act(dossier, "forward", "tiepnhan")
    return dossier.code


def test_pages_have_no_console_errors_or_csp_violations(new_page, login, console, held_dossier):
    for username, paths in PAGES.items():
        page = new_page(**DESKTOP)
        if username:
            login(page, username)
        for path in paths:
            response = page.goto(path.format(code=held_dossier))
            assert response.status in (200, 404), f"{path}: {response.status}"
            expect(page.locator("main h1").first).to_be_visible()
            page.wait_for_load_state("load")
    assert console.problems == []


def test_the_watcher_sees_a_csp_violation(page, live_server, console):
    """The check above is not blind: an inline script injected into a page is refused and reported."""
    page.goto("/lookup/")
    page.evaluate("""() => {
        const s = document.createElement('script');
        s.textContent = 'window.inlineRan = true;';
        document.body.appendChild(s);
    }""")
    for _ in range(40):  # console events reach Python while the page is being waited on
        if console.problems:
            break
        page.wait_for_timeout(50)
    assert page.evaluate("window.inlineRan === undefined")
    assert any("Content Security Policy" in p or "CSP violation" in p for p in console.problems), console.problems
