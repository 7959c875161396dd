"""A dataset's page and its quality report in a browser: the badge shows the
score the scorer stored, and the Quality tab leads to every MQA dimension
and indicator."""
from __future__ import annotations

import re

from playwright.sync_api import Page, expect

from ckanext.plusresilient.scoring.dataset import score_dataset
from tests.browser.legibility import MINIMUM_CONTRAST, contrast_ratio
from tests.factories import SVRCDataset

DIMENSIONS = {
    "findability": "Findability",
    "accessibility": "Accessibility",
    "interoperability": "Interoperability",
    "reusability": "Reusability",
    "contextuality": "Contextuality",
}
BANDS = {"excellent": "Excellent", "good": "Good", "sufficient": "Sufficient", "bad": "Bad"}


def _scored_dataset() -> tuple[dict, dict]:
    dataset = SVRCDataset(
        title="Elderly care services in Veneto",
        tags=[{"name": "elderly"}, {"name": "care"}],
        theme=["SOCI"], region="ITH3",
        resources=[{"name": "Services 2024", "url": "https://data.example.org/services.csv",
                    "format": "CSV"}],
    )
    annotation = score_dataset(dataset["id"], with_links=False, with_data=False)
    assert annotation and annotation["status"] == "scored"
    return dataset, annotation


def test_the_dataset_page_shows_the_quality_badge(page: Page):
    dataset, annotation = _scored_dataset()
    band, score = annotation["overall"]["band"], round(annotation["overall"]["score"])

    page.goto(f"/dataset/{dataset['name']}")

    badge = page.locator(".plusresilient-quality-summary .plusresilient-quality-badge")
    expect(badge).to_have_attribute("data-band", band)
    expect(badge).to_contain_text(BANDS[band])
    expect(badge).to_contain_text(f"{score}/100")


def test_the_quality_tab_lists_every_dimension_and_indicator(page: Page):
    dataset, annotation = _scored_dataset()
    metadata = annotation["metadata"]
    page.goto(f"/dataset/{dataset['name']}")

    # the dataset's tabs (each link starts with its icon)
    page.locator("ul.nav-tabs").get_by_role("link", name="Quality").click()

    expect(page).to_have_url(re.compile(rf"/dataset/{dataset['name']}/quality$"))
    expect(page.get_by_role("heading", name="Quality report")).to_be_visible()
    points = f"Metadata: {metadata['points']} of {metadata['max_points']} points"
    expect(page.get_by_role("heading", name=points)).to_be_visible()
    tables = page.locator("table.plusresilient-quality-dimension")
    expect(tables).to_have_count(len(DIMENSIONS))
    for name, label in DIMENSIONS.items():
        totals = metadata["dimensions"][name]
        expect(tables.and_(page.locator(f'[data-dimension="{name}"]')).locator("caption")).to_have_text(
            f"{label}: {totals['points']}/{totals['max']}")
    rows = page.locator("table.plusresilient-quality-dimension tbody tr")
    expect(rows).to_have_count(len(metadata["indicators"]))
    for indicator in metadata["indicators"]:
        table = f'table[data-dimension="{indicator["dimension"]}"]'
        row = page.locator(f'{table} tr[data-indicator="{indicator["key"]}"]')
        expect(row.get_by_role("rowheader")).to_have_text(indicator["label"])
        expect(row.locator("td").nth(1)).to_have_text(f"{indicator['points']}/{indicator['points_max']}")
        result = {True: "Passed", False: "Failed", None: "Not checked yet"}[indicator["passed"]]
        expect(row.locator("td").first.locator(".badge")).to_have_text(result)


def test_the_quality_badge_can_be_read_wherever_it_is_shown(page: Page):
    """A badge's text is white: without a background of its band it is
    white on white, there but unreadable."""
    dataset, annotation = _scored_dataset()
    badge = ".plusresilient-quality-badge"
    places = {
        "dataset page": f"/dataset/{dataset['name']}",
        "quality report": f"/dataset/{dataset['name']}/quality",
        "search results": "/dataset/",
    }
    contrasts = {}
    for place, url in places.items():
        page.goto(url)
        expect(page.locator(badge).first).to_be_visible()
        contrasts[place] = round(contrast_ratio(page.locator(badge).first), 2)

    assert all(ratio >= MINIMUM_CONTRAST for ratio in contrasts.values()), (
        f"contrast of the {annotation['overall']['band']} badge's text (WCAG AA wants "
        f">= {MINIMUM_CONTRAST}): {contrasts}")
