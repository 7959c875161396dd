"""The training catalogue, the use-case showcase, the names CKAN's pages
give our types, and the main navigation."""
from __future__ import annotations

import re

import pytest

import ckan.plugins.toolkit as tk
from ckan.tests import factories

from tests.factories import Cluster, SVRCDataset, Training, UseCase

pytestmark = pytest.mark.usefixtures("with_plugins", "clean_db", "clean_index")


def titles(body: str) -> list[str]:
    return sorted(re.findall(r'<h2 class="dataset-heading">.*?<a [^>]*>\s*(.*?)\s*</a>', body, re.S))


@pytest.fixture
def training(clean_db, clean_index):
    cluster = Cluster()
    Training(owner_org=cluster["id"], title="Open data basics for social enterprises",
             training_format="webinar", training_level="beginner", language=["en", "it"],
             skills=["digital-data"], duration_minutes=90)
    Training(owner_org=cluster["id"], title="Reading a quality report",
             training_format="guide", training_level="intermediate", language=["es"])


@pytest.mark.usefixtures("training")
def test_training_page_introduces_itself_and_offers_its_facets(app):
    body = app.get("/training/").body

    assert "Awareness raising and training on open data" in body
    assert titles(body) == ["Open data basics for social enterprises", "Reading a quality report"]
    for facet in ("Format", "Skills addressed", "Level", "Language"):
        assert f">{facet}<" in body or f"{facet}</h2>" in body or facet in body
    # a training item has no macro-scenario, and is not scored: no such facets
    assert "SVRC macro-scenario" not in body
    assert "There are no Quality" not in body
    assert "2 training items found" in body


@pytest.mark.usefixtures("training")
def test_training_page_filters_by_format_level_and_language(app):
    assert titles(app.get("/training/", params={"vocab_training_format": "guide"}).body) == [
        "Reading a quality report"]
    assert titles(app.get("/training/", params={"vocab_training_level": "beginner"}).body) == [
        "Open data basics for social enterprises"]
    assert titles(app.get("/training/", params={"vocab_language": "it"}).body) == [
        "Open data basics for social enterprises"]


@pytest.mark.usefixtures("training")
def test_training_items_show_format_level_language_and_duration(app):
    body = app.get("/training/", params={"vocab_training_format": "webinar"}).body
    facts = body[body.index("plusresilient-training-facts"):]
    assert "Webinar" in facts
    assert "90 min" in facts
    assert "Italian" in facts or "Italiano" in facts


def test_use_cases_address_leads_to_the_use_case_search_with_its_filters(app):
    response = app.get("/use-cases", params={"vocab_country": "IT"}, follow_redirects=False)
    assert response.status_code == 301
    assert response.headers["Location"].endswith("/use-case/?vocab_country=IT")
    assert app.get("/use-cases", follow_redirects=False).headers["Location"].endswith("/use-case/")


def test_use_case_results_link_the_datasets_they_used_but_not_private_ones(app):
    cluster = Cluster()
    used = SVRCDataset(owner_org=cluster["id"], title="Care services in Veneto")
    secret = SVRCDataset(owner_org=cluster["id"], title="Internal waiting lists", private=True)
    UseCase(owner_org=cluster["id"], title="A map of care gaps", country="IT",
            svrc_scenario=["public-services"], use_case_phase=["design", "evaluation"],
            datasets_used=[used["name"], secret["name"]])
    UseCase(owner_org=cluster["id"], title="Training social entrepreneurs in Andalucia",
            country="ES", svrc_scenario=["capacity-building"], use_case_phase=["implementation"])

    body = app.get("/use-case/").body
    assert "Open data in social innovation" in body
    assert "2 use cases found" in body
    assert titles(body) == ["A map of care gaps", "Training social entrepreneurs in Andalucia"]
    assert f'href="/dataset/{used["name"]}"' in body
    assert "Care services in Veneto" in body
    assert "Internal waiting lists" not in body
    for facet in ("SVRC macro-scenario", "Phase", "Country"):
        assert facet in body

    assert titles(app.get("/use-case/", params={"vocab_svrc_scenario": "capacity-building"}).body) == [
        "Training social entrepreneurs in Andalucia"]
    assert titles(app.get("/use-case/", params={"vocab_use_case_phase": "evaluation"}).body) == [
        "A map of care gaps"]
    assert titles(app.get("/use-case/", params={"vocab_country": "ES"}).body) == [
        "Training social entrepreneurs in Andalucia"]


def test_our_types_have_whole_names_on_ckan_pages(app):
    sysadmin = factories.Sysadmin()
    headers = {"Authorization": factories.APIToken(user=sysadmin["name"])["token"]}
    body = app.get("/use-case/", headers=headers).body
    assert "Add use case" in body
    assert "Search use cases..." in body
    assert "Use-case" not in body
    body = app.get("/training/", headers=headers).body
    assert "Add training material" in body
    assert "Trainings" not in body


def test_main_navigation_names_the_platform_functions(app):
    body = app.get("/dataset/").body
    nav = body[body.index('id="main-navigation-toggle"'):]
    nav = nav[:nav.index("</ul>")]
    for path, label in (("/dataset/", "Datasets"), ("/use-case/", "Use cases"),
                        ("/training/", "Training"), ("/portals", "Portals"),
                        ("/quality", "Quality"), ("/organization/", "Clusters")):
        assert re.search(rf'href="{re.escape(path)}"[^>]*>\s*{label}\s*<', nav), label


