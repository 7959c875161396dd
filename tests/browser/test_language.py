"""Switching the language with CKAN's selector in the footer: the address
gets the language's prefix and the suite's own words come in that language
(from its gettext catalog, which CKAN merges with its own)."""
from __future__ import annotations

import gettext
import re
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

import ckanext.plusresilient
from ckanext.plusresilient import vocabularies
from tests.browser.search_page import expect_facet_counts, facet_heading
from tests.factories import SVRCDataset

CATALOGS = Path(ckanext.plusresilient.__file__).parent / "i18n"
DOMAIN = "ckanext-plusresilient"
#: The network's languages, as the selector names each in its own language.
LANGUAGES = {
    "en": "English", "it": "italiano", "es": "español", "fr": "français",
    "sl": "slovenščina", "hr": "hrvatski", "el": "Ελληνικά", "pt": "português",
}


def _translated(message: str, language: str) -> str:
    """The catalog's translation, which must exist: an untranslated message
    would pass the test in English."""
    translation = gettext.translation(DOMAIN, localedir=str(CATALOGS), languages=[language]).gettext(message)
    assert translation != message, f"{message!r} has no {language} translation"
    return translation


def _pick_language(page: Page, name: str) -> None:
    """As a person does: open the footer's language list (a select2 widget
    over the real <select>) and click the language; CKAN's form submits on
    change and redirects to the same page in that language."""
    footer = page.locator("footer")
    footer.locator(".lang-container").click()
    page.locator(".lang-dropdown .select2-results__option").filter(
        has_text=re.compile(rf"^\s*{re.escape(name)}\s*$")).click()


@pytest.mark.parametrize("language", ["it", "el"])
def test_the_footer_selector_switches_the_search_page_to_another_language(page: Page, language: str):
    SVRCDataset(title="Care homes in Veneto", svrc_scenario=["public-services"], country="IT")
    page.goto("/dataset/")
    expect(facet_heading(page, "SVRC macro-scenario")).to_be_visible()

    _pick_language(page, LANGUAGES[language])

    expect(page).to_have_url(re.compile(rf"/{language}/dataset/?$"))
    expect(page.locator("html")).to_have_attribute("lang", language)
    scenario_title = _translated("SVRC macro-scenario", language)
    expect(facet_heading(page, scenario_title)).to_be_visible()
    expect(facet_heading(page, _translated("Country", language))).to_be_visible()
    # the vocabulary's own labels follow the language too
    expect_facet_counts(page, scenario_title, {
        vocabularies.get("scenarios").label("public-services", language): 1})
    expect_facet_counts(page, _translated("Country", language), {
        vocabularies.get("countries").label("IT", language): 1})


def test_the_language_can_be_switched_again_from_a_translated_page(page: Page):
    SVRCDataset(title="Care homes in Veneto")
    page.goto("/dataset/")

    _pick_language(page, LANGUAGES["it"])
    expect(page).to_have_url(re.compile(r"/it/dataset/?$"))
    _pick_language(page, LANGUAGES["el"])

    expect(page).to_have_url(re.compile(r"/el/dataset/?$"))
    expect(facet_heading(page, _translated("SVRC macro-scenario", "el"))).to_be_visible()


def test_the_selector_offers_every_language_of_the_network(page: Page):
    """Portugal is one of the network's countries, and the schemas carry
    Portuguese labels: Portuguese must be one of the choices."""
    page.goto("/dataset/")

    options = page.locator("footer select#field-lang-select option")
    offered = [text.strip() for text in options.all_inner_texts()]

    # a regional variant is named with its region: "português (Portugal)"
    missing = [name for name in LANGUAGES.values() if not any(text.startswith(name) for text in offered)]
    assert not missing, f"not offered: {missing} (offered: {offered})"
