"""Browser fixtures: Debian's Chromium driven by Playwright against pytest-django's live server.

`playwright install` cannot download browsers here (no internet), so Playwright launches the
system Chromium. Without the background-networking flags Chromium keeps calling Google
services (safe browsing, component updates, sync), which floods a closed network and slows
every launch.
"""

import os
import re
import sys
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from django.core.cache import cache

from tests.browser.axe import AxeChecker

# Playwright's sync API runs an asyncio event loop in the test thread; Django refuses ORM
# calls from a thread with a running loop unless told that this is deliberate. Tests call
# the ORM only to read the outbox and set up personas, never concurrently with the browser.
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
# Short enough that a broken selector fails in seconds, long enough for a loaded CI box.
TIMEOUT_MS = 10_000
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-results"


def _chromium_or_skip():
    """A browser test is never skipped in CI (DESIGN.md, Tests): missing Chromium fails there."""
    if Path(CHROMIUM).exists():
        return
    message = f"{CHROMIUM} is missing: install Debian's chromium package"
    if os.environ.get("CI"):
        pytest.fail(message + " (browser tests must run in CI)", pytrace=False)
    pytest.skip(message)


@pytest.fixture(scope="session")
def browser():
    _chromium_or_skip()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item, call):
    # Lets the page fixture know whether the test failed, to keep a screenshot of it.
    report = yield
    setattr(item, f"rep_{report.when}", report)
    return report


@pytest.fixture(autouse=True)
def _fresh_rate_limits():
    # allauth's rate limits (sign-up, confirmation e-mails) live in the cache, which the live
    # server thread shares with every test of the session.
    cache.clear()
    yield
    cache.clear()


class Browsing:
    """Opens browser contexts (one per person) and checks every page they load with axe."""

    def __init__(self, browser, base_url: str, request):
        self.browser = browser
        self.base_url = base_url.rstrip("/")
        self.request = request
        self.contexts = []
        self.pages = []
        self.errors: list[str] = []
        self.axe = AxeChecker()

    def new_page(self, *, width: int = 1280, height: int = 900):
        context = self.browser.new_context(
            base_url=self.base_url,
            viewport={"width": width, "height": height},
            # The UI is French first; the browser says so, as a French visitor's would.
            locale="fr-FR",
            timezone_id="Europe/Paris",
        )
        context.set_default_timeout(TIMEOUT_MS)
        context.set_default_navigation_timeout(TIMEOUT_MS)
        page = context.new_page()
        # A JavaScript exception or a CSP violation is a defect even if the page still works.
        page.on("pageerror", lambda exc: self.errors.append(f"page error on {page.url}: {exc}"))
        page.on("console", lambda msg: self._console(page, msg))
        page.on("load", lambda: self.axe.loaded(page))
        self.contexts.append(context)
        self.pages.append(page)
        return page

    def _console(self, page, msg):
        if msg.type == "error":
            self.errors.append(f"console error on {page.url}: {msg.text}")

    def url(self, path: str) -> str:
        """An absolute URL on the live server for a path or for a link read from an e-mail.

        Links in e-mails sent by background work use ESSAIM_BASE_URL, not the live server's
        random port: only their path and query are kept.
        """
        parts = urlsplit(path)
        return self.base_url + parts.path + (f"?{parts.query}" if parts.query else "")

    def check(self, page):
        """Runs axe on the page as it is now; serious and critical violations fail the test.

        Also fails when the page is wider than the window: on a phone that is a sideways
        scroll on every screen (DESIGN.md: readable at 360 px).
        """
        page.wait_for_load_state("load")
        self.axe.check(page)
        width = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
        assert width[0] <= width[1], f"{page.url} is {width[0]} px wide in a {width[1]} px window"

    def close(self):
        call = getattr(self.request.node, "rep_call", None)
        if call is not None and call.failed:
            ARTIFACTS.mkdir(exist_ok=True)
            name = re.sub(r"[^\w.-]+", "_", self.request.node.name)
            for i, page in enumerate(self.pages):
                try:
                    page.screenshot(path=str(ARTIFACTS / f"{name}-{i}.png"), full_page=True)
                except Exception as exc:  # the page may be the cause of the failure
                    sys.stdout.write(f"no screenshot of page {i}: {exc}\n")
        for context in self.contexts:
            context.close()


@pytest.fixture
def browsing(browser, live_server, request):
    """`browsing.new_page()` per visitor; every loaded page must have been checked by axe."""
    session = Browsing(browser, live_server.url, request)
    yield session
    # Shown with `pytest -s` or on failure: what axe checked and its minor findings.
    out = [f"axe checked {len(session.axe.checked)} pages: " + " ".join(session.axe.checked)]
    for rule, urls in sorted(session.axe.minor.items()):
        out.append(f"axe minor/moderate {rule}: {len(urls)} page(s), e.g. {urls[0]}")
    sys.stdout.write("\n".join(out) + "\n")
    try:
        call = getattr(request.node, "rep_call", None)
        if call is not None and call.passed:
            unchecked = session.axe.unchecked()
            assert not unchecked, "pages loaded but never checked with axe: " + ", ".join(unchecked)
            assert not session.errors, "\n".join(session.errors)
    finally:
        session.close()
