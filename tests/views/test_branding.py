"""The portal is the network's: development.ini names its logo, its colours
(a stylesheet over CKAN's) and its icon through CKAN's own options, and the
About page tells of the network and the platform in the visitor's language,
unless the site wrote its own (``ckan.site_about``)."""
from __future__ import annotations

import configparser
import html
import re
from pathlib import Path

import pytest

from ckanext.plusresilient import vocabularies

ROOT = Path(__file__).resolve().parents[2]


def _development_branding() -> dict[str, str]:
    """The branding options of development.ini, as the demo runs them."""
    parser = configparser.ConfigParser(interpolation=None)
    parser.read(ROOT / "development.ini", encoding="utf-8")
    section = parser["app:main"]
    return {key: section[key] for key in ("ckan.site_title", "ckan.site_logo", "ckan.favicon", "ckan.theme")}


#: What the demo portal sets; the browser test uses it too.
BRANDING = _development_branding()


def branded(test):
    """The test runs with development.ini's branding."""
    for key, value in BRANDING.items():
        test = pytest.mark.ckan_config(key, value)(test)
    return test


pytestmark = pytest.mark.usefixtures("with_plugins")

#: English text -> its translation, as the catalogs give them once merged.
ABOUT_TEXTS = {
    "it": {
        "The +RESILIENT network": "La rete +RESILIENT",
        "What this platform offers": "Cosa offre questa piattaforma",
        "Curated open data search": "Ricerca di dati aperti selezionati",
    },
    "el": {
        "The +RESILIENT network": "Το δίκτυο +RESILIENT",
        "What this platform offers": "Τι προσφέρει αυτή η πλατφόρμα",
        "Curated open data search": "Αναζήτηση επιλεγμένων ανοικτών δεδομένων",
    },
}


def _header(body: str) -> str:
    return re.search(r'<header class="masthead">.*?</header>', body, re.S).group(0)


def _stylesheets(body: str) -> list[str]:
    return re.findall(r'<link[^>]+href="([^"]+\.css)"', body)


@pytest.mark.parametrize("key", ["ckan.site_logo", "ckan.favicon", "ckan.theme"])
def test_development_ini_sets_the_branding_through_ckan_options(key):
    assert BRANDING[key], f"development.ini sets no {key}"
    assert BRANDING["ckan.site_title"] == "+RESILIENT open data"


def test_the_logo_and_icon_are_served_as_accessible_svg(app):
    for path in (BRANDING["ckan.site_logo"], BRANDING["ckan.favicon"]):
        response = app.get(path)
        assert response.status_code == 200
        assert response.headers["Content-Type"].startswith("image/svg+xml")
        svg = response.body
        assert 'role="img"' in svg and "aria-labelledby=" in svg
        assert re.search(r"<title[^>]*>\+RESILIENT[^<]*</title>", svg)


@branded
@pytest.mark.parametrize("prefix", ["", "/it", "/el"])
def test_the_header_shows_the_networks_logo_not_ckans(app, prefix):
    body = app.get(f"{prefix}/about").body
    header = _header(body)
    logo = re.search(r'<a class="logo"[^>]*>\s*<img ([^>]+)>', header, re.S)
    assert logo, header
    assert f'src="{BRANDING["ckan.site_logo"]}"' in logo.group(1)
    # the text fallback: the site's title, shown if the image is not
    assert f'alt="{BRANDING["ckan.site_title"]}"' in logo.group(1)
    assert "ckan-logo" not in header


@branded
def test_the_theme_comes_after_ckans_stylesheet_and_the_icon_is_ours(app):
    body = app.get("/").body
    sheets = _stylesheets(body)
    main = [i for i, href in enumerate(sheets) if href.endswith("_main.css")]
    theme = [i for i, href in enumerate(sheets) if href.endswith("_theme.css")]
    assert main and theme and main[0] < theme[0], sheets
    assert f'href="{BRANDING["ckan.favicon"]}"' in body
    css = app.get(sheets[theme[0]]).body
    assert "--plusresilient-sea: #0B4A5E" in css and ".masthead" in css


@pytest.mark.ckan_config("ckan.theme", "css/main")
def test_an_installer_who_keeps_ckans_theme_gets_no_colours_of_ours(app):
    sheets = _stylesheets(app.get("/").body)
    assert any(href.endswith("_main.css") for href in sheets)
    assert not any(href.endswith("_theme.css") for href in sheets)


def _text(body: str) -> str:
    article = re.search(r'<article class="module"[^>]*>(.*?)</article>', body, re.S).group(1)
    return html.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", article)))


def test_the_about_page_tells_of_the_network_and_the_four_functions(app):
    body = app.get("/about").body
    text = _text(body)
    assert "CKAN is the world" not in text
    assert "Clusters with Social Vocation and Responsiveness (SVRC) in eight Mediterranean countries" in text
    network = vocabularies.get("countries").where(network=True)
    assert len(network) == 8
    assert ", ".join(term.label("en") for term in network) in text
    for term in vocabularies.get("scenarios"):
        assert term.label("en") in text
    for function in ("Curated open data search", "Links to existing open data resources",
                     "Quality scores and community feedback", "Use cases and training material"):
        assert function in text
    for path in ('href="/dataset/"', 'href="/portals"', 'href="/quality"', 'href="/use-cases"',
                 'href="/training/"'):
        assert path in body


@pytest.mark.parametrize("language", ["it", "el"])
def test_the_about_page_speaks_the_visitors_language(app, language):
    text = _text(app.get(f"/{language}/about").body)
    # the vocabularies' labels: translated already
    for term in vocabularies.get("scenarios"):
        assert term.label(language) in text
    assert vocabularies.get("countries").label("EL", language) in text
    # the page's own words: from the catalogs
    for english, translated in ABOUT_TEXTS[language].items():
        assert translated in text, f"{english!r} is not in {language}"
        assert english not in text


@pytest.mark.ckan_config("ckan.site_about", "Our **own** portal of the Veneto cluster.")
def test_a_site_about_text_replaces_the_networks(app):
    text = _text(app.get("/about").body)
    assert "Our own portal of the Veneto cluster." in text
    assert "The +RESILIENT network" not in text
