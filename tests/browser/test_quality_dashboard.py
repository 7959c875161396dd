"""The quality dashboard (``/quality``) in a browser: every chart is drawn
(its canvas holds pixels) and the table it is drawn from shows the figures
the server computes for the same visitor.

The page's contract: each chart is a ``figure.plusresilient-chart`` with a
``data-chart`` name, holding a ``<canvas>`` and a ``<table>``; the figure
gets ``data-rendered="true"`` once the chart is drawn.
"""
from __future__ import annotations

import re
from typing import Any

from ckan.tests.helpers import call_action
from playwright.sync_api import Locator, Page, expect

from ckanext.plusresilient.scoring.dataset import score_dataset
from tests.browser.people import cluster
from tests.factories import SVRCDataset

BANDS = ("excellent", "good", "sufficient", "bad")
GROUPED_CHARTS = {
    "country": "bands-by-country", "region": "bands-by-region", "organization": "bands-by-cluster"}

#: Whether a canvas holds any drawing: compared with a blank canvas of its size.
CANVAS_IS_DRAWN = """
(canvas) => {
  const blank = document.createElement("canvas");
  blank.width = canvas.width;
  blank.height = canvas.height;
  return canvas.width > 0 && canvas.height > 0 && canvas.toDataURL() !== blank.toDataURL();
}
"""


def _catalog() -> None:
    """Scored datasets in two countries and two clusters, from sparse to rich
    metadata (so they fall in different bands), and one not scored yet."""
    veneto = cluster(title="Veneto social cluster")
    andalusia = cluster(title="Andalusia social cluster", country="ES", region="ES61")
    rich = {"tags": [{"name": "care"}, {"name": "elderly"}], "theme": ["SOCI"], "language": ["it"],
            "frequency": "ANNUAL", "access_rights": "PUBLIC",
            "temporal_start": "2020", "temporal_end": "2024",
            "resources": [{"name": "Data", "url": "https://data.example.org/data.csv", "format": "CSV",
                           "mimetype": "text/csv"}]}
    datasets = [
        SVRCDataset(owner_org=veneto["id"], country="IT", region="ITH3", **rich),
        SVRCDataset(owner_org=veneto["id"], country="IT", region="ITC4"),
        SVRCDataset(owner_org=andalusia["id"], country="ES", region="ES61", **rich),
        SVRCDataset(owner_org=andalusia["id"], country="ES", region="ES51", tags=[{"name": "jobs"}]),
    ]
    for dataset in datasets:
        score_dataset(dataset["id"], with_links=False, with_data=False)
    SVRCDataset(owner_org=andalusia["id"], country="ES")


def _anonymous(action: str, **data: Any) -> Any:
    """What the server computes for a visitor who is not logged in."""
    return call_action(action, {"user": "", "ignore_auth": False}, **data)


def _number(text: str) -> float:
    return float(text.strip().replace(",", ""))


def _figure(page: Page, chart: str) -> Locator:
    return page.locator(f'figure.plusresilient-chart[data-chart="{chart}"]')


def _rows(figure: Locator) -> list[list[str]]:
    """The table's body as the visitor reads it: each row's cells' text."""
    return [[cell.strip() for cell in row.locator("th, td").all_inner_texts()]
            for row in figure.locator("table tbody tr").all()]


def test_every_chart_is_drawn_and_its_table_shows_the_servers_figures(page: Page):
    _catalog()
    page.goto("/")

    page.locator("header nav").get_by_role("link", name="Quality", exact=True).click()

    expect(page).to_have_url(re.compile(r"/quality/?$"))
    figures = page.locator("figure.plusresilient-chart")
    expected_charts = {*GROUPED_CHARTS.values(), "trend", "indicators"}
    expect(figures).to_have_count(len(expected_charts))
    assert {figure.get_attribute("data-chart") for figure in figures.all()} == expected_charts
    for figure in figures.all():
        chart = figure.get_attribute("data-chart")
        expect(figure, f"chart {chart} drawn").to_have_attribute("data-rendered", "true")
        canvas = figure.locator("canvas")
        expect(canvas).to_be_visible()
        assert canvas.evaluate(CANVAS_IS_DRAWN), f"the canvas of {chart} is blank"
        expect(figure.locator("table")).to_have_count(1)

    for by, chart in GROUPED_CHARTS.items():
        summary = _anonymous("plusresilient_quality_summary", by=by)
        expected = sorted([group["label"], *(str(group["bands"][band]) for band in BANDS),
                           str(group["bands"]["not_scored"]), str(group["total"])]
                          for group in summary["groups"])
        assert sorted(_rows(_figure(page, chart))) == expected, chart

    trend = _anonymous("plusresilient_quality_trend")
    expected_trend = [[period["period"], str(period["datasets"]), f"{period['average']:.1f}",
                       *(str(period["bands"][band]) for band in BANDS)] for period in trend["periods"]]
    assert trend["periods"] and _rows(_figure(page, "trend")) == expected_trend

    indicators = _anonymous("plusresilient_quality_indicators")
    shown = {row[0]: row for row in _rows(_figure(page, "indicators"))}
    assert len(shown) == len(indicators["indicators"]) > 0
    for indicator in indicators["indicators"]:
        row = shown[indicator["label"]]
        assert row[2] == f"{indicator['failed']} of {indicators['scored']}"
        assert _number(row[3].rstrip("%")) == round(indicator["share"] * 100, 1)
        assert _number(row[4]) == indicator["points_lost"]


def test_the_dashboard_of_an_empty_catalog_draws_no_chart(page: Page):
    page.goto("/quality")

    expect(page.get_by_role("heading", name="Catalog quality", level=1)).to_be_visible()
    expect(page.locator("article.plusresilient-dashboard .empty")).to_be_visible()
    expect(page.locator("figure.plusresilient-chart")).to_have_count(0)
