"""SVRC facets and filters, answered by the real Solr."""
from __future__ import annotations

import pytest

import ckan.plugins.toolkit as tk
from ckan.tests.helpers import call_action

from tests.factories import Cluster, SVRCDataset, Training, UseCase

pytestmark = pytest.mark.usefixtures("with_plugins", "clean_db", "clean_index")


@pytest.fixture
def catalog(clean_db, clean_index):
    veneto = Cluster(name="svrc-veneto")
    andalucia = Cluster(name="svrc-andalucia", country="ES", region="ES61")
    SVRCDataset(owner_org=veneto["id"], title="Social cooperatives in Veneto",
                svrc_scenario=["social-smes"], country="IT", region="ITH3", theme=["SOCI"])
    SVRCDataset(owner_org=veneto["id"], title="Care services in Veneto",
                svrc_scenario=["public-services", "social-smes"], country="IT", region="ITH3",
                theme=["HEAL", "SOCI"])
    SVRCDataset(owner_org=andalucia["id"], title="Social enterprises in Andalucia",
                svrc_scenario=["social-smes"], country="ES", region="ES61", theme=["ECON"])
    UseCase(owner_org=veneto["id"], title="A map of care gaps",
            svrc_scenario=["public-services"], use_case_phase=["design"])
    Training(owner_org=andalucia["id"], title="Open data basics", training_format="webinar")


@pytest.mark.usefixtures("catalog")
def test_package_search_facets_on_svrc_fields():
    result = call_action("package_search", fq="+dataset_type:dataset", **{
        "facet.field": '["vocab_svrc_scenario", "vocab_country", "vocab_region", "vocab_theme"]'})
    assert result["count"] == 3
    assert result["facets"]["vocab_svrc_scenario"] == {"social-smes": 3, "public-services": 1}
    assert result["facets"]["vocab_country"] == {"IT": 2, "ES": 1}
    assert result["facets"]["vocab_region"] == {"ITH3": 2, "ES61": 1}
    assert result["facets"]["vocab_theme"] == {"SOCI": 2, "HEAL": 1, "ECON": 1}
    labels = {item["name"]: item["display_name"]
              for item in result["search_facets"]["vocab_svrc_scenario"]["items"]}
    assert labels["social-smes"].startswith("Support to social")


@pytest.mark.usefixtures("catalog")
def test_package_search_facets_on_type_across_all_types():
    result = call_action("package_search", **{"facet.field": '["dataset_type"]'})
    assert result["facets"]["dataset_type"] == {"dataset": 3, "use-case": 1, "training": 1}
    labels = {item["name"]: item["display_name"] for item in result["search_facets"]["dataset_type"]["items"]}
    assert labels == {"dataset": "Dataset", "use-case": "Use case", "training": "Training material"}


@pytest.mark.usefixtures("catalog")
def test_fq_filters_by_scenario_and_country():
    result = call_action("package_search", fq="vocab_svrc_scenario:social-smes AND vocab_country:IT")
    assert sorted(r["title"] for r in result["results"]) == [
        "Care services in Veneto", "Social cooperatives in Veneto"]


@pytest.mark.usefixtures("catalog")
def test_dataset_page_filters_by_scenario_and_country(app):
    page = app.get(tk.url_for("dataset.search", vocab_svrc_scenario="public-services", vocab_country="IT"))
    assert "Care services in Veneto" in page.body
    assert "Social cooperatives in Veneto" not in page.body
    assert "Social enterprises in Andalucia" not in page.body
    # facet titles and item labels, not codes
    assert "SVRC macro-scenario" in page.body
    assert "Delivery of public innovative services for new social needs" in page.body


@pytest.mark.usefixtures("catalog")
def test_dataset_page_facets_in_italian(app):
    page = app.get("/it" + tk.url_for("dataset.search"))
    italian_scenario = __import__("ckanext.plusresilient.vocabularies", fromlist=["get"]).get(
        "scenarios").label("social-smes", "it")
    assert italian_scenario in page.body
    assert "Macro-scenario SVRC" in page.body


@pytest.mark.usefixtures("catalog")
def test_dataset_page_facets_in_portuguese(app):
    """CKAN offers Portuguese as pt_PT only: our pt catalog and the
    vocabularies' pt labels must still be found (they were not)."""
    page = app.get("/pt_PT" + tk.url_for("dataset.search"))
    portuguese_scenario = __import__("ckanext.plusresilient.vocabularies", fromlist=["get"]).get(
        "scenarios").label("social-smes", "pt")
    assert portuguese_scenario in page.body
    assert "Macrocenário SVRC" in page.body


@pytest.mark.usefixtures("catalog")
def test_use_case_and_training_search_pages_have_their_facets(app):
    use_cases = app.get(tk.url_for("use-case.search"))
    assert "A map of care gaps" in use_cases.body
    assert "Phase" in use_cases.body
    trainings = app.get(tk.url_for("training.search", vocab_training_format="webinar"))
    assert "Open data basics" in trainings.body
    assert "Skills addressed" in trainings.body


@pytest.mark.usefixtures("catalog")
def test_cluster_page_facets_its_datasets(app):
    page = app.get(tk.url_for("organization.read", id="svrc-veneto"))
    assert "SVRC macro-scenario" in page.body
    assert "Care services in Veneto" in page.body
    assert "Social enterprises in Andalucia" not in page.body


@pytest.mark.usefixtures("catalog")
@pytest.mark.parametrize("path", [
    "/dataset/?q=social&page=2",
    "/dataset/?vocab_country=IT&ext_note=caf%C3%A9&vocab_region=ITH3&sort=name+asc",
    "/use-case/?vocab_svrc_scenario=public-services",
    "/organization/svrc-veneto?vocab_svrc_scenario=social-smes",
])
def test_facet_links_are_the_ones_ckan_builds(app, path):
    """Each item's link (built once per page, not by url_for per item) is the
    string CKAN's add_url_param / remove_url_param give on that page."""
    from bs4 import BeautifulSoup

    page = BeautifulSoup(app.get(path).body, "html.parser")
    links = [(item.find_parent("nav")["aria-label"], item) for item in page.select("ul.nav-facet a")]
    assert links
    with app.flask_app.test_request_context(path):
        from ckan.config.middleware.flask_app import ckan_before_request

        ckan_before_request()
        for _, link in links:
            name, _, value = _facet_of(link, path)
            if link.find_parent("li").get("class") and "active" in link.find_parent("li")["class"]:
                expected = tk.h.remove_url_param(name, value)
            else:
                expected = tk.h.add_url_param(new_params={name: value})
            assert link["href"] == expected


def _facet_of(link, path):
    """(field, "=", value) of a facet link: the parameter it adds, or the one
    of the page it takes away."""
    from urllib.parse import parse_qsl, urlsplit

    page = parse_qsl(urlsplit(path).query)
    linked = parse_qsl(urlsplit(link["href"]).query)
    added = [pair for pair in linked if pair not in page]
    removed = [pair for pair in page if pair not in linked and pair[0] != "page"]
    name, value = (added or removed)[0]
    return name, "=", value


# -- freshness ----------------------------------------------------------------------------

@pytest.fixture
def freshness_catalog(clean_db, clean_index):
    """One dataset each late, up to date and without a schedule, scored."""
    from ckanext.plusresilient.scoring.dataset import score_dataset
    from ckanext.plusresilient.timestamps import utcnow

    for title, fields in {
        "Monthly unemployment, stopped in 2020": {"frequency": "MONTHLY", "modified": "2020-01-15"},
        "Annual care places, this year": {"frequency": "ANNUAL", "modified": str(utcnow().year)},
        "A one-off survey": {},
    }.items():
        score_dataset(SVRCDataset(title=title, **fields)["id"], with_links=False, with_data=False)


@pytest.mark.usefixtures("freshness_catalog")
def test_the_dataset_page_facets_and_filters_on_freshness(app):
    from bs4 import BeautifulSoup

    page = BeautifulSoup(app.get(tk.url_for("dataset.search")).body, "html.parser")
    facet = page.find("nav", attrs={"aria-label": lambda label: label and label.endswith(": Freshness")})
    assert facet is not None
    items = {link.select_one(".item-label").get_text(strip=True): link["href"]
             for link in facet.select("a")}
    assert set(items) == {"Late", "Up to date", "Unknown"}
    assert "plusresilient_freshness=late" in items["Late"]

    late = app.get(items["Late"]).body
    assert "Monthly unemployment, stopped in 2020" in late
    assert "Annual care places, this year" not in late and "A one-off survey" not in late
