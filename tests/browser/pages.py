"""What a test does in the browser as a person would: log in through the
real form, and keep every JavaScript error the pages raise."""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from tests.forms import PASSWORD

if TYPE_CHECKING:
    from playwright.sync_api import BrowserContext, ConsoleMessage, Error, Page

#: Errors of code that is not ours, known upstream and harmless to the page,
#: each matched as narrowly as its stack allows. They are counted and shown
#: in the session's summary instead of failing a test at random.
KNOWN_UPSTREAM_ERRORS: dict[str, re.Pattern[str]] = {
    # CKAN's facet links carry Bootstrap tooltips and are swapped out by htmx
    # on click; a tooltip still fading in when its link leaves the page calls
    # into its disposed instance (twbs/bootstrap#37474).
    "Bootstrap tooltip disposed while fading in (twbs/bootstrap#37474)": re.compile(
        r"^TypeError: Cannot convert undefined or null to object\s+"
        r"at Object\.values \(<anonymous>\)\s+at Tooltip\._isWithActiveTrigger \([^)]*bootstrap\.js:"),
    # CKAN's datatables_view.css names its search box's clear icon relative to
    # the stylesheet, and its webassets bundle, served from a hashed file, has no
    # such folder: the icon is missing (a 404), the table works.
    "datatables_view's clear-search icon not bundled (CKAN's datatablesview webassets)": re.compile(
        r"/webassets/ckanext-datatablesview/vendor/FontAwesome/images/times-circle-solid\.svg: "
        r"Failed to load resource: the server responded with a status of 404"),
}


def login(page: Page, user: dict[str, Any]) -> None:
    """Log in with the login form (users made with ``password=PASSWORD``)."""
    page.goto("/user/login")
    page.locator("#field-login").fill(user["name"])
    page.locator("#field-password").fill(PASSWORD)
    page.get_by_role("button", name="Login").click()
    page.wait_for_url(lambda url: "/user/login" not in url)
    # the header's account area, which CKAN shows to logged-in users only
    page.locator(f'.account.authed a[href$="/user/{user["name"]}"]').first.wait_for()


@dataclass
class PageErrors:
    """Uncaught exceptions and console errors of every page of a context."""

    errors: list[str] = field(default_factory=list)
    #: known upstream error -> how often it was seen
    tolerated: dict[str, int] = field(default_factory=dict)

    def watch(self, context: BrowserContext) -> None:
        context.on("page", self._watch_page)

    def _watch_page(self, page: Page) -> None:
        page.on("pageerror", lambda error: self._uncaught(page, error))
        page.on("console", lambda message: self._console(page, message))
        page.on("crash", lambda crashed: self.errors.append(f"{crashed.url}: the page crashed"))

    def _uncaught(self, page: Page, error: Error) -> None:
        text = error.stack or f"{error.name}: {error.message}"
        for known, pattern in KNOWN_UPSTREAM_ERRORS.items():
            if pattern.search(text):
                self.tolerated[known] = self.tolerated.get(known, 0) + 1
                return
        self.errors.append(f"{page.url}: uncaught {text}")

    def _console(self, page: Page, message: ConsoleMessage) -> None:
        if message.type == "error":
            where = message.location.get("url") or page.url
            for known, pattern in KNOWN_UPSTREAM_ERRORS.items():
                if pattern.search(f"{where}: {message.text}"):
                    self.tolerated[known] = self.tolerated.get(known, 0) + 1
                    return
            self.errors.append(f"{where}: console error: {message.text}")
