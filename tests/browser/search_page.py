"""CKAN's search pages (datasets, training, use cases) as a person reads
them: facets by their title, results by their titles, active filters as
pills.

Facet links and pills are boosted by htmx: a click swaps the results and
the facets in place, and the address may change before they do. So every
check here is one of Playwright's retrying expectations, which wait for
the page to say what is expected (or time out), never a read of the
moment.
"""
from __future__ import annotations

import re

from playwright.sync_api import Locator, Page, expect


def _exactly(text: str) -> re.Pattern[str]:
    return re.compile(rf"^\s*{re.escape(text)}\s*$")


def facet(page: Page, title: str) -> Locator:
    """A facet's list of items, found by its (translated) title: the list is
    named "Filter by: <title>" in the page's language."""
    return page.get_by_role("navigation", name=re.compile(rf":\s*{re.escape(title)}$"))


def facet_heading(page: Page, title: str) -> Locator:
    return page.locator("h2.module-heading").filter(has_text=_exactly(title))


def facet_item(page: Page, title: str, label: str) -> Locator:
    """A facet's item by its full label (long ones are truncated on the
    page, the full text being the tooltip's)."""
    items = facet(page, title).get_by_role("link")
    return items.and_(page.locator(f'[data-bs-title="{label}"]')).or_(
        items.filter(has=page.locator(".item-label").get_by_text(label, exact=True)))


def expect_facet_counts(page: Page, title: str, counts: dict[str, int]) -> None:
    """The facet lists exactly these labels, each with its count."""
    expect(facet(page, title).get_by_role("link")).to_have_count(len(counts))
    for label, count in counts.items():
        expect(facet_item(page, title, label).locator(".item-count")).to_have_text(str(count))


def results(page: Page) -> Locator:
    """Each result's title link (not the quality badge beside a scored one's)."""
    return page.locator("ul.dataset-list > li.dataset-item .dataset-heading a:not(.plusresilient-quality-badge)")


def expect_results(page: Page, titles: list[str]) -> None:
    """Exactly these results, in any order, with their number in the heading."""
    expect(page.locator("#search-results h1")).to_contain_text(re.compile(rf"^\s*{len(titles)}\b"))
    expect(results(page)).to_have_count(len(titles))
    for title in titles:
        expect(results(page).filter(has_text=_exactly(title))).to_have_count(1)


def active_filter(page: Page, code: str) -> Locator:
    """The pill of an applied filter; its remove link names the code."""
    return page.locator("span.filtered.pill").filter(
        has=page.get_by_role("link", name=f"Remove applied filter: {code}", exact=True))
