"""Browser fixtures: the app served by a real werkzeug server, Debian's Chromium driven by Playwright.

The server uses the test database of tests/conftest.py (SQLite file or TEST_DATABASE_URL), so the per-test
table cleaning of the `app` fixture applies to it too; each test loads the demo province through `demo`.
"""
from __future__ import annotations

import os
import re
import threading
from pathlib import Path

import pytest
from browserkit import CHROMIUM, DESKTOP, LAUNCH_ARGS, PHONE, TIMEOUT_MS
from support import make_app
from werkzeug.serving import make_server

from onestop.extensions import db

SCREENSHOTS = Path(__file__).parent / "screenshots"


def _browser_missing_reason() -> str | None:
    if not (os.path.isfile(CHROMIUM) and os.access(CHROMIUM, os.X_OK)):
        return f"no Chromium at {CHROMIUM} (install the Debian package `chromium`)"
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "Playwright for Python is not installed (requirements-dev.txt)"
    return None


def _skip_or_fail(reason: str):
    """Locally a missing browser skips; in CI (ONESTOP_REQUIRE_BROWSER=1) it is a failure."""
    if os.environ.get("ONESTOP_REQUIRE_BROWSER") == "1":
        pytest.fail(f"Browser tests are required (ONESTOP_REQUIRE_BROWSER=1): {reason}", pytrace=False)
    pytest.skip(reason)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """Keep each phase's report on the item so fixtures can tell a failed test at teardown."""
    outcome = yield
    report = outcome.get_result()
    setattr(item, f"rep_{report.when}", report)


@pytest.fixture(scope="session")
def live_server(_schema):
    """The app on 127.0.0.1 and a free port, in a thread, with real CSRF checks."""
    app = make_app(WTF_CSRF_ENABLED=True)
    server = make_server("127.0.0.1", 0, app, threaded=True)
    url = f"http://127.0.0.1:{server.server_port}"
    # The receipt's QR code links to the lookup page of this server.
    app.config["ONESTOP_BASE_URL"] = url
    thread = threading.Thread(target=server.serve_forever, name="live-server", daemon=True)
    thread.start()
    yield url
    server.shutdown()
    thread.join(timeout=5)
    with app.app_context():
        db.engine.dispose()


@pytest.fixture(scope="session")
def browser():
    """One Chromium for the session (never downloaded: Debian's binary through executable_path)."""
    reason = _browser_missing_reason()
    if reason:
        _skip_or_fail(reason)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=CHROMIUM, args=LAUNCH_ARGS, headless=True)
        yield chromium
        chromium.close()


class ConsoleLog:
    """Console errors, uncaught page errors and CSP violations seen by every page of a test."""

    CSP_SCRIPT = """
      document.addEventListener('securitypolicyviolation', function (e) {
        console.error('CSP violation: ' + e.violatedDirective + ' ' + (e.blockedURI || 'inline'));
      });
    """

    def __init__(self):
        self.problems: list[str] = []

    def watch(self, page):
        page.on("console", lambda msg: self._console(page, msg))
        page.on("pageerror", lambda exc: self.problems.append(f"{page.url}: {exc}"))

    def _console(self, page, msg):
        if msg.type != "error":
            return
        source = (msg.location or {}).get("url", "")
        # A page served with an error status (404 "not found" pages) is reported as a failed
        # resource: the tests check statuses themselves.
        if source == page.url and msg.text.startswith("Failed to load"):
            return
        self.problems.append(f"{page.url}: {msg.text}")


@pytest.fixture
def console():
    return ConsoleLog()


@pytest.fixture
def new_page(browser, live_server, console, request):
    """Open a page in a fresh context (one person at one device); screenshots of all of them on failure."""
    contexts = []

    def open_page(**options):
        options = {"base_url": live_server, "locale": "vi-VN", "timezone_id": "Asia/Ho_Chi_Minh",
                   "accept_downloads": True, **options}
        context = browser.new_context(**options)
        context.set_default_timeout(TIMEOUT_MS)
        context.add_init_script(ConsoleLog.CSP_SCRIPT)
        context.on("page", console.watch)
        contexts.append(context)
        page = context.new_page()
        return page

    yield open_page
    failed = any(getattr(request.node, f"rep_{when}", None) is not None
                 and getattr(request.node, f"rep_{when}").failed for when in ("setup", "call"))
    for i, context in enumerate(contexts):
        if failed:
            SCREENSHOTS.mkdir(exist_ok=True)
            name = re.sub(r"[^\w.-]+", "_", request.node.nodeid.split("::", 1)[-1])
            for j, page in enumerate(context.pages):
                try:
                    page.screenshot(path=str(SCREENSHOTS / f"{name}-{i}-{j}.png"), full_page=True)
                except Exception as exc:  # a crashed page must not hide the test's own failure
                    print(f"screenshot failed: {exc}")
        context.close()


@pytest.fixture
def page(new_page):
    """A desktop page (1280x800)."""
    return new_page(**DESKTOP)


@pytest.fixture
def phone(new_page):
    """A phone-sized page (390x844, touch, mobile)."""
    return new_page(**PHONE)


@pytest.fixture
def login(live_server):
    """Sign a page in as one of the demo staff (password onestop2026) and check the navbar says who."""
    from playwright.sync_api import expect

    def sign_in(page, username: str, password: str = "onestop2026"):
        page.goto("/auth/login")
        page.get_by_label("Tên đăng nhập").fill(username)
        page.get_by_label("Mật khẩu").fill(password)
        page.get_by_role("button", name="Đăng nhập").click()
        expect(page.get_by_role("button", name="Đăng xuất")).to_be_visible()
        return page

    return sign_in
