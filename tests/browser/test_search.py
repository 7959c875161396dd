"""The dataset search page in a browser: the SVRC facets narrow the results
and their filters come off again."""
from __future__ import annotations

import re

from ckan.tests.helpers import call_action
from playwright.sync_api import Page, expect

from ckanext.plusresilient import vocabularies
from tests.browser.search_page import (active_filter, expect_facet_counts, expect_results, facet_heading,
                                       facet_item)
from tests.factories import SVRCDataset

DATASETS = {
    "Care homes in Veneto": ("public-services", "IT"),
    "Day centres in Lombardy": ("public-services", "IT"),
    "Municipal help desks in Catalonia": ("public-services", "ES"),
    "Social cooperatives of Andalusia": ("social-smes", "ES"),
    "Digital skills courses in Slovenia": ("capacity-building", "SI"),
}


def _label(vocabulary: str, code: str) -> str:
    return vocabularies.get(vocabulary).label(code, "en")


def _create_datasets() -> None:
    for title, (scenario, country) in DATASETS.items():
        SVRCDataset(title=title, svrc_scenario=[scenario], country=country)
    # the page searches Solr: test.ini commits each save, so all are found at once
    assert call_action("package_search", rows=0)["count"] == len(DATASETS)


def _titles(scenario: str | None = None, country: str | None = None) -> list[str]:
    return [title for title, (their_scenario, their_country) in DATASETS.items()
            if scenario in (None, their_scenario) and country in (None, their_country)]


def test_the_macro_scenario_facet_narrows_the_results_and_its_filter_comes_off(page: Page):
    _create_datasets()

    page.goto("/dataset/")

    expect(facet_heading(page, "SVRC macro-scenario")).to_be_visible()
    expect_facet_counts(page, "SVRC macro-scenario", {
        _label("scenarios", "public-services"): 3,
        _label("scenarios", "social-smes"): 1,
        _label("scenarios", "capacity-building"): 1,
    })
    expect_results(page, _titles())

    facet_item(page, "SVRC macro-scenario", _label("scenarios", "public-services")).click()

    expect(page).to_have_url(re.compile(r"vocab_svrc_scenario=public-services"))
    expect_results(page, _titles(scenario="public-services"))
    expect(active_filter(page, "public-services")).to_contain_text(_label("scenarios", "public-services"))

    active_filter(page, "public-services").get_by_role("link").click()

    expect(page).not_to_have_url(re.compile(r"vocab_svrc_scenario"))
    expect_results(page, _titles())
    expect(active_filter(page, "public-services")).to_have_count(0)


def test_the_country_facet_combines_with_the_macro_scenario(page: Page):
    _create_datasets()
    page.goto("/dataset/")

    expect(facet_heading(page, "Country")).to_be_visible()
    expect_facet_counts(page, "Country", {
        _label("countries", "IT"): 2, _label("countries", "ES"): 2, _label("countries", "SI"): 1})

    facet_item(page, "Country", _label("countries", "ES")).click()
    expect(page).to_have_url(re.compile(r"vocab_country=ES"))
    expect_results(page, _titles(country="ES"))
    # the other facets now count within Spain only
    expect_facet_counts(page, "SVRC macro-scenario", {
        _label("scenarios", "public-services"): 1, _label("scenarios", "social-smes"): 1})

    facet_item(page, "SVRC macro-scenario", _label("scenarios", "public-services")).click()
    expect(page).to_have_url(re.compile(r"vocab_svrc_scenario=public-services"))
    expect_results(page, _titles(scenario="public-services", country="ES"))

    # an active facet item is a link that takes its own filter off
    facet_item(page, "Country", _label("countries", "ES")).click()
    expect(page).not_to_have_url(re.compile(r"vocab_country"))
    expect_results(page, _titles(scenario="public-services"))


def test_the_freshness_facet_finds_the_late_datasets(page: Page):
    from ckanext.plusresilient.scoring.dataset import score_dataset
    from ckanext.plusresilient.timestamps import utcnow

    scored = {
        "Monthly unemployment, stopped in 2020": {"frequency": "MONTHLY", "modified": "2020-01-15"},
        "Annual care places, this year": {"frequency": "ANNUAL", "modified": str(utcnow().year)},
        "A one-off survey": {},
    }
    for title, fields in scored.items():
        score_dataset(SVRCDataset(title=title, **fields)["id"], with_links=False, with_data=False)

    page.goto("/dataset/")

    expect(facet_heading(page, "Freshness")).to_be_visible()
    expect_facet_counts(page, "Freshness", {"Late": 1, "Up to date": 1, "Unknown": 1})

    facet_item(page, "Freshness", "Late").click()

    expect(page).to_have_url(re.compile(r"plusresilient_freshness=late"))
    expect_results(page, ["Monthly unemployment, stopped in 2020"])
    expect(active_filter(page, "late")).to_contain_text("Late")
    late = page.locator("ul.dataset-list > li.dataset-item")
    expect(late.locator(".plusresilient-quality-badge")).to_have_count(1)
