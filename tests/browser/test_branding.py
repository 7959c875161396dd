"""The network's header in a browser, in two languages: the +RESILIENT logo
(an SVG the browser draws), the network's colours over CKAN's stylesheet,
and an About page that speaks the visitor's language.

Runs with development.ini's branding options, as the demo does."""
from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from ckanext.plusresilient import vocabularies
from tests.views.test_branding import ABOUT_TEXTS, BRANDING, branded

#: The header's background: the theme's sea colour (#0B4A5E).
SEA = "rgb(11, 74, 94)"
#: CKAN's own word for "About" in each language (its catalog has it).
ABOUT = {"it": "Informazioni", "el": "Σχετικά"}


@branded
@pytest.mark.parametrize("language", ["it", "el"])
def test_the_header_is_the_networks_in_the_visitors_language(page: Page, language: str):
    page.goto(f"/{language}/")

    header = page.locator("header.masthead")
    expect(header).to_have_css("background-color", SEA)
    logo = header.locator("a.logo img")
    expect(logo).to_have_attribute("src", BRANDING["ckan.site_logo"])
    expect(logo).to_have_attribute("alt", BRANDING["ckan.site_title"])
    expect(logo).to_be_visible()
    # drawn, not a broken image showing its alt text
    assert logo.evaluate("img => img.complete && img.naturalWidth > 0")
    box = logo.bounding_box()
    assert box is not None and 50 <= box["height"] <= 64

    header.get_by_role("link", name=ABOUT[language], exact=True).click()

    expect(page).to_have_url(re.compile(rf"/{language}/about$"))
    article = page.locator("article.module")
    for translated in ABOUT_TEXTS[language].values():
        expect(article).to_contain_text(translated)
    for term in vocabularies.get("scenarios"):
        expect(article.get_by_text(term.label(language), exact=True)).to_be_visible()
