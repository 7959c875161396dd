"""The training catalogue and the use-case showcase in a browser: reached
from the main navigation, filtered with their own facets; each use case
links the datasets it used."""
from __future__ import annotations

import re

from playwright.sync_api import Page, expect

from ckanext.plusresilient import vocabularies
from tests.browser.search_page import (active_filter, expect_facet_counts, expect_results, facet_heading,
                                       facet_item, results)
from tests.factories import SVRCDataset, Training, UseCase


def _label(vocabulary: str, code: str) -> str:
    return vocabularies.get(vocabulary).label(code, "en")


def _main_navigation(page: Page, name: str) -> None:
    page.locator("header nav").get_by_role("link", name=name, exact=True).click()


def test_training_is_filtered_by_format(page: Page):
    Training(title="Open data basics for social enterprises", training_format="webinar",
             training_level="beginner", language=["en", "it"])
    Training(title="Finding regional open data", training_format="webinar",
             training_level="intermediate", language=["es"])
    Training(title="Reading a quality report", training_format="guide",
             training_level="intermediate", language=["es"])
    page.goto("/")

    _main_navigation(page, "Training")

    expect(page).to_have_url(re.compile(r"/training/?$"))
    for title in ("Format", "Skills addressed", "Level", "Language"):
        expect(facet_heading(page, title)).to_be_visible()
    expect_results(page, ["Open data basics for social enterprises", "Finding regional open data",
                          "Reading a quality report"])
    expect_facet_counts(page, "Format", {_label("training_formats", "webinar"): 2,
                                         _label("training_formats", "guide"): 1})

    facet_item(page, "Format", _label("training_formats", "webinar")).click()

    expect(page).to_have_url(re.compile(r"/training/\?vocab_training_format=webinar$"))
    expect_results(page, ["Open data basics for social enterprises", "Finding regional open data"])
    expect_facet_counts(page, "Level", {_label("training_levels", "beginner"): 1,
                                        _label("training_levels", "intermediate"): 1})

    active_filter(page, "webinar").get_by_role("link").click()
    expect(page).to_have_url(re.compile(r"/training/?$"))
    expect(results(page)).to_have_count(3)


def test_use_cases_are_filtered_by_phase_and_link_the_datasets_they_used(page: Page):
    used = SVRCDataset(title="Care services in Veneto")
    UseCase(title="A map of care gaps", country="IT", svrc_scenario=["public-services"],
            use_case_phase=["design", "evaluation"], datasets_used=[used["name"]])
    UseCase(title="Training social entrepreneurs in Andalucia", country="ES",
            svrc_scenario=["capacity-building"], use_case_phase=["implementation"])
    page.goto("/")

    _main_navigation(page, "Use cases")

    expect(page).to_have_url(re.compile(r"/use-cases?/?$"))
    for title in ("SVRC macro-scenario", "Phase", "Country"):
        expect(facet_heading(page, title)).to_be_visible()
    expect_results(page, ["A map of care gaps", "Training social entrepreneurs in Andalucia"])

    facet_item(page, "Phase", _label("use_case_phases", "evaluation")).click()

    expect(page).to_have_url(re.compile(r"vocab_use_case_phase=evaluation"))
    expect_results(page, ["A map of care gaps"])
    expect_facet_counts(page, "Country", {_label("countries", "IT"): 1})

    facet_item(page, "Country", _label("countries", "IT")).click()
    expect(page).to_have_url(re.compile(r"vocab_country=IT"))
    expect_results(page, ["A map of care gaps"])

    result = page.locator("ul.dataset-list > li.dataset-item").filter(has_text="A map of care gaps")
    result.get_by_role("link", name="Care services in Veneto").click()
    expect(page).to_have_url(re.compile(rf"/dataset/{used['name']}$"))
    expect(page.get_by_role("heading", name="Care services in Veneto", level=1)).to_be_visible()
