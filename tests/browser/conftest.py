"""Fixtures of the browser tests: Debian's Chromium driven by Playwright
against the test's own CKAN, served on loopback.

One browser for the browser tests (package scope: it is closed, with the
live server, once they are done, so the rest of a full run does not carry
them), a fresh context (cookies, storage) per test.
Every JavaScript error of a test's pages fails it; a failed test leaves a
screenshot and the HTML of each page it had open; every page load is timed.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any, Callable, Iterator

import pytest

from tests.browser import artifacts, timings
from tests.browser.chromium import CHROMIUM_FLAGS, ChromiumMissing, chromium_executable
from tests.browser.live_server import LiveServer
from tests.browser.pages import PageErrors

if TYPE_CHECKING:
    from playwright.sync_api import Browser, BrowserContext, Page, Playwright

#: Playwright's waits (clicks, URLs, locators): long enough for a slow CI
#: machine running other tests, short enough that a missing element fails soon.
TIMEOUT_MS = 20_000

CONTEXTS = pytest.StashKey[list["BrowserContext"]]()
ERRORS = pytest.StashKey[PageErrors]()
LOAD_TIMES = timings.PageLoadTimes()
#: known upstream JavaScript errors seen in the session -> how often
TOLERATED: dict[str, int] = {}


# -- the browser --------------------------------------------------------------------

@pytest.fixture(scope="package")
def playwright() -> Iterator[Playwright]:
    try:
        from playwright.sync_api import sync_playwright
    except ImportError as error:
        missing = f"the browser tests need Playwright for Python (dev-requirements.txt): {error}"
    else:
        missing = None
    if missing:
        pytest.fail(missing, pytrace=False)
    with sync_playwright() as driver:
        yield driver


@pytest.fixture(scope="package")
def browser(playwright: Playwright) -> Iterator[Browser]:
    try:
        executable = chromium_executable()
    except ChromiumMissing as error:
        missing = str(error)
    else:
        missing = None
    if missing:
        pytest.fail(missing, pytrace=False)
    browser = playwright.chromium.launch(executable_path=executable, args=list(CHROMIUM_FLAGS))
    yield browser
    browser.close()


# -- the portal ---------------------------------------------------------------------

@pytest.fixture(scope="package")
def live_server() -> Iterator[LiveServer]:
    server = LiveServer()
    server.start()
    yield server
    server.stop()


@pytest.fixture
def portal(live_server: LiveServer, ckan_config: dict[str, Any], with_plugins: None,
           clean_db: None, clean_index: None, clean_rate_limits: None) -> Iterator[str]:
    """The test's CKAN, on a clean database and index, at ``live_server.url``.

    Built after ckan.site_url points at the live server, so the redirects
    and asset URLs CKAN writes lead back to it. Avatars are CKAN's local
    placeholder: its default fetches them from gravatar.com, which a test
    machine cannot reach (each failed load is a console error).
    """
    from ckan.config.middleware import make_app
    from ckan.lib.app_globals import _CONFIG_CACHE

    ckan_config["ckan.site_url"] = live_server.url
    ckan_config["ckan.gravatar_default"] = "disabled"
    _CONFIG_CACHE.clear()  # as CKAN's make_app fixture: no value cached by an earlier test
    live_server.mount(make_app(ckan_config))
    yield live_server.url
    live_server.mount(None)


# -- pages ----------------------------------------------------------------------------

@pytest.fixture
def new_context(request: pytest.FixtureRequest, browser: Browser, portal: str
                ) -> Iterator[Callable[[], BrowserContext]]:
    """Opens a fresh browser context (another person, cookies of their own);
    each one's pages are watched, timed, and saved if the test fails."""
    contexts: list[BrowserContext] = []
    request.node.stash[CONTEXTS] = contexts
    errors = request.node.stash.setdefault(ERRORS, PageErrors())
    test_name = request.node.nodeid

    def record(_source: Any, timing: dict[str, Any]) -> None:
        LOAD_TIMES.record(test_name, timing)

    def open_context() -> BrowserContext:
        context = browser.new_context(base_url=portal, locale="en-GB",
                                      viewport={"width": 1280, "height": 900})
        context.set_default_timeout(TIMEOUT_MS)
        context.set_default_navigation_timeout(TIMEOUT_MS)
        errors.watch(context)
        context.expose_binding(timings.BINDING, record)
        context.add_init_script(timings.INIT_SCRIPT)
        contexts.append(context)
        return context

    yield open_context
    _take_in_pending_events(contexts)
    for context in contexts:
        context.close()


def _take_in_pending_events(contexts: list[BrowserContext]) -> None:
    """A round trip to each page, so the errors and timings its last moments
    sent are taken in before anyone looks at them."""
    for context in contexts:
        for page in context.pages:
            try:
                page.evaluate("0")
            except Exception:  # noqa: BLE001 - a closed or crashed page has nothing to send
                pass


@pytest.fixture
def context(new_context: Callable[[], BrowserContext]) -> BrowserContext:
    return new_context()


@pytest.fixture
def page(context: BrowserContext) -> Page:
    return context.new_page()


# -- hooks ---------------------------------------------------------------------------

@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item) -> Iterator[None]:
    """A JavaScript error on any page fails the test that loaded it (a test
    failing anyway lists them beside its own failure)."""
    try:
        result = yield
    finally:
        _take_in_pending_events(item.stash.get(CONTEXTS, []))
        errors = item.stash.get(ERRORS, None)
        for known, count in (errors.tolerated.items() if errors else ()):
            TOLERATED[known] = TOLERATED.get(known, 0) + count
    if errors is not None and errors.errors:
        raise AssertionError(_javascript_errors(errors))
    return result


def _javascript_errors(errors: PageErrors) -> str:
    return "JavaScript errors on the pages:\n" + "\n".join(errors.errors)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[pytest.TestReport]:
    """A failed test's open pages, saved while they are still open (the
    contexts close at teardown, after this report)."""
    report: pytest.TestReport = yield
    if report.failed and report.when in ("setup", "call"):
        pages = [page for context in item.stash.get(CONTEXTS, []) for page in context.pages]
        if pages:
            lines = artifacts.save_pages(item.name, pages)
            report.sections.append(("browser pages", "Saved for this failure:\n" + "\n".join(lines)))
        errors = item.stash.get(ERRORS, None)
        if errors is not None and errors.errors and call.excinfo is not None \
                and _javascript_errors(errors) not in str(call.excinfo.value):
            report.sections.append(("browser JavaScript errors", _javascript_errors(errors)))
    return report


def pytest_sessionfinish(session: pytest.Session) -> None:
    if LOAD_TIMES.samples:
        LOAD_TIMES.write(artifacts.artifacts_dir() / "page-load-times.json")


def pytest_terminal_summary(terminalreporter: Any) -> None:
    if LOAD_TIMES.samples:
        terminalreporter.section("page load times (browser tests)")
        for line in LOAD_TIMES.table():
            terminalreporter.write_line(line)
        terminalreporter.write_line(f"(all samples: {artifacts.artifacts_dir() / 'page-load-times.json'})")
    for known, count in TOLERATED.items():
        terminalreporter.write_line(f"known upstream JavaScript error, tolerated {count}x: {known}")
