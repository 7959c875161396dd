"""DCAT-AP 3 conformance: what the portal publishes passes the official
SHACL shapes (tests/specs/, pySHACL with RDFS inference), with 0 violations.

Real stack: the records are created through the actions (or harvested from
the imitation portals on loopback) and the RDF is read from ckanext-dcat's
own endpoints, /catalog.ttl and /dataset/<id>.ttl, so what is validated is
exactly what data.europa.eu would harvest.
"""
from __future__ import annotations

import contextlib
from typing import Any

import pytest
from rdflib import Graph, Literal, URIRef
from rdflib.namespace import RDF

from ckan.tests.helpers import call_action
from ckanext.dcat.profiles import DCAT, DCT, FOAF

from ckanext.plusresilient.harvesters.runner import run_source
from tests import shacl
from tests.mqa_parity import assert_parity
from tests.factories import Cluster, SVRCDataset
from ckanext.plusresilient.demo.portals.ckan import CKANPortal, DKANPortal
from ckanext.plusresilient.demo.portals.dcat import EU, NUTS, DCATPortal
from ckanext.plusresilient.demo.portals.opendatasoft import ODSPortal
from ckanext.plusresilient.demo.portals.socrata import SocrataPortal
from ckanext.plusresilient.demo.portals.udata import UdataPortal
from tests.harvesters.cases import make_source
from tests.profiles.test_profiles import _full_dataset

pytestmark = pytest.mark.usefixtures("with_plugins", "clean_db", "clean_index")


def _rdf(app, path: str) -> Graph:
    response = app.get(path)
    assert response.status_code == 200, (path, response.status_code)
    return Graph().parse(data=response.get_data(as_text=True), format="turtle")


def _catalog_datasets(graph: Graph) -> set[str]:
    [catalog] = graph.subjects(RDF.type, DCAT.Catalog)
    return {str(ref) for ref in graph.objects(catalog, DCAT.dataset)}


def _assert_conforms(graph: Graph, what: str) -> None:
    violations = shacl.validate(graph)
    assert not violations, f"{what}:\n{shacl.describe(violations)}"


def _assert_catalogue_and_each_dataset_conform(app, packages: list[dict[str, Any]]) -> Graph:
    """/catalog.ttl lists every package and conforms; so does each
    package's own RDF (read one by one, validated in one pass: each
    document's blank nodes stay its own)."""
    datasets = Graph()
    for package in packages:
        response = app.get(f"/dataset/{package['id']}.ttl")
        assert response.status_code == 200, (package["type"], package["name"])
        datasets.parse(data=response.get_data(as_text=True), format="turtle")
    published = {str(ref) for ref in datasets.subjects(RDF.type, DCAT.Dataset)}
    assert len(published) == len(packages)
    catalog = _rdf(app, "/catalog.ttl")
    # the catalogue lists each of them, under the URI its own RDF gives it
    assert _catalog_datasets(catalog) == published
    _assert_conforms(catalog, "/catalog.ttl")
    _assert_conforms(datasets, "/dataset/<id>.ttl of " + ", ".join(p["name"] for p in packages))
    return catalog


# --------------------------------------------------------------------------- #
# The catalogue itself
# --------------------------------------------------------------------------- #

def _catalog_publisher(graph: Graph):
    [catalog] = graph.subjects(RDF.type, DCAT.Catalog)
    [publisher] = graph.objects(catalog, DCT.publisher)
    return publisher


def test_the_site_publishes_the_catalogue_by_default(app):
    graph = _rdf(app, "/catalog.ttl")

    publisher = _catalog_publisher(graph)
    assert (publisher, RDF.type, FOAF.Agent) in graph
    assert (publisher, FOAF.name, Literal("+RESILIENT (tests)")) in graph
    [catalog] = graph.subjects(RDF.type, DCAT.Catalog)
    [homepage] = graph.objects(catalog, FOAF.homepage)
    assert (homepage, RDF.type, FOAF.Document) in graph
    _assert_conforms(graph, "an empty /catalog.ttl")


@pytest.mark.ckan_config("ckanext.plusresilient.dcat.publisher", "regional-open-data-office")
def test_the_option_names_the_organization_that_publishes_the_catalogue(app):
    office = Cluster(name="regional-open-data-office", title="Regional open data office",
                     website="https://example.org/office")

    graph = _rdf(app, "/catalog.ttl")

    publisher = _catalog_publisher(graph)
    # the URI its datasets give it as their publisher
    assert publisher == URIRef(f"http://test.ckan.net/organization/{office['id']}")
    assert (publisher, FOAF.name, Literal("Regional open data office")) in graph
    _assert_conforms(graph, "/catalog.ttl published by an organization")


# --------------------------------------------------------------------------- #
# Every field of every record type
# --------------------------------------------------------------------------- #

def _full_cluster() -> dict[str, Any]:
    """A cluster (the publisher of the records below) with every field."""
    return Cluster(
        name="svrc-veneto-full", title="Veneto cluster for social services innovation",
        description="The regional administration, universities and cooperatives of Veneto.",
        image_url="https://example.org/veneto/logo.png",
        country="IT", region="ITH3", svrc_scenario=["public-services", "capacity-building"],
        members_public_administration=["Regional directorate for social services"],
        members_research=["University social-innovation lab"],
        members_business=["Federation of social cooperatives"],
        members_civil_society=["Volunteer service centre"],
        ris3_url="https://example.org/veneto/ris3", website="https://example.org/veneto",
    )


def _use_case(context: dict[str, Any], org: dict[str, Any], used: list[str]) -> dict[str, Any]:
    return call_action(
        "package_create", context=dict(context), type="use-case", name="home-care-veneto",
        title="Matching accredited care places with an ageing population",
        notes="A consortium compared care places with the population aged 65 and over.",
        owner_org=org["id"], tag_string="ageing,social care",
        use_case_phase=["design", "implementation"],
        problem="Older people living alone waited months for a place.",
        outcome="A home-care service was designed for the two provinces with the largest gap.",
        svrc_scenario=["public-services"], si_area=["demography"], country="IT", region="ITH3",
        datasets_used=used, external_links=["https://example.org/veneto/home-care-report"],
        resources=[{"url": "https://example.org/veneto/home-care-report.pdf", "name": "Report",
                    "description": "The comparison, by province.", "format": "PDF"}],
    )


def _training(context: dict[str, Any], org: dict[str, Any]) -> dict[str, Any]:
    return call_action(
        "package_create", context=dict(context), type="training", name="open-data-basics",
        title="Open data basics for social enterprises",
        notes="A four-part introductory course.", owner_org=org["id"],
        training_format="course", skills=["digital-data", "collaboration"],
        training_level="beginner", language=["en", "it"], duration_minutes=240,
        audience=["social-enterprises"], url="https://example.org/training/open-data-basics",
        tag_string="open data,introduction",
        resources=[{"url": "https://example.org/training/slides.pdf", "name": "Slides",
                    "description": "The course's slides.", "format": "PDF"}],
    )


def test_every_field_of_every_record_type_conforms(app, sysadmin_context):
    cluster = _full_cluster()
    full = _full_dataset(sysadmin_context, cluster, "cooperative-sociali-veneto")
    # no URI for the region (Bosnia and Herzegovina) nor the licence (other-open)
    nodes = _full_dataset(sysadmin_context, cluster, "republika-srpska", country="BA",
                          region="BA-SRP", language=["sr", "bs"], license_id="other-open")
    # only what the schema requires
    sparse = SVRCDataset(owner_org=cluster["id"],
                         resources=[{"url": "https://example.org/sparse.csv"}])
    use_case = _use_case(sysadmin_context, cluster, [full["id"]])
    training = _training(sysadmin_context, cluster)

    catalog = _assert_catalogue_and_each_dataset_conform(
        app, [full, nodes, sparse, use_case, training])
    # and the score is what data.europa.eu computes from that RDF
    assert_parity(app, [full, nodes, sparse])

    # the cluster is the publisher of every record, a named foaf:Agent
    cluster_ref = URIRef(f"http://test.ckan.net/organization/{cluster['id']}")
    assert (cluster_ref, RDF.type, FOAF.Agent) in catalog
    assert (cluster_ref, FOAF.name, Literal(cluster["title"])) in catalog
    assert len(set(catalog.subjects(DCT.publisher, cluster_ref))) == 5


# --------------------------------------------------------------------------- #
# Harvested datasets, one small harvest of each platform
# --------------------------------------------------------------------------- #

def _harvest(url: str, source_type: str, config: dict[str, Any], name: str) -> None:
    source = make_source(url, name=name, config=config, source_type=source_type)
    summary = run_source(source["id"])
    assert summary.created >= 1 and (summary.errors, summary.gather_errors) == (0, []), (name, summary)


def test_harvested_datasets_of_every_platform_conform(app):
    with contextlib.ExitStack() as stack:
        ckan = stack.enter_context(CKANPortal(prefix="/opendata"))
        ckan.add("Cooperative sociali iscritte all'albo", tags=["cooperative sociali", "welfare"],
                 extras=[{"key": "theme",
                          "value": f"{EU}data-theme/SOCI"}])
        ckan.add("Qualità dell'aria", tags=["ambiente"], license_id="iodl-2.0")
        dkan = stack.enter_context(DKANPortal())
        dkan.add("Social welfare benefits", tags=["social services"])
        italy = stack.enter_context(DCATPortal("it", page_size=10))
        italy.add("Asili nido comunali", keywords=["asili", "infanzia"], spatial=[f"{NUTS}ITH35"])
        spain = stack.enter_context(DCATPortal("es", page_size=10))
        spain.add("Calidad del aire en Madrid", keywords=["aire"],
                  themes=["http://datos.gob.es/kos/sector-publico/sector/medio-ambiente"],
                  distributions=[{"id": "8d3c2ada", "title": "Mediciones 2024", "format": "XLS",
                                  "media_type": "application/vnd.ms-excel", "size": 43008,
                                  "url": "https://datos.madrid.es/egob/catalogo/aire.xlsx"}])
        france = stack.enter_context(DCATPortal("fr", page_size=10))
        france.add("Bureaux de vote - Vanves", keywords=["elections"], spatial=[f"{NUTS}FR10"])
        udata = stack.enter_context(UdataPortal())
        udata.add("Coopératives de l'économie sociale", tags=["economie-sociale"],
                  frequency="monthly", license="lov2")
        ods = stack.enter_context(ODSPortal())
        ods.add("Population légale des communes", keyword=["recensement"], theme=["Société"])
        socrata = stack.enter_context(SocrataPortal())
        socrata.add("Popolazione residente per comune", category="Popolazione", tags=["censimento"])

        for url, source_type, config in (
            (ckan.api_url, "plusresilient_ckan", {"portal": "dati-veneto", "country": "IT", "region": "ITH3"}),
            (dkan.api_url, "plusresilient_ckan", {"portal": "data-gov-cy", "country": "CY", "language": "el"}),
            (italy.catalog_url, "plusresilient_dcat", {"portal": "dati-gov-it", "country": "IT"}),
            (spain.catalog_url, "plusresilient_dcat", {"portal": "datos-gob-es", "country": "ES"}),
            (france.catalog_url, "plusresilient_dcat", {"portal": "data-gouv-fr", "country": "FR"}),
            (udata.url, "plusresilient_udata", {"portal": "dados-gov-pt", "country": "PT"}),
            (ods.portal_url, "plusresilient_ods", {"portal": "ile-de-france", "country": "FR"}),
            (socrata.url, "plusresilient_socrata", {"portal": "dati-lombardia", "country": "IT"}),
        ):
            _harvest(url, source_type, config, name=config["portal"])

    harvested = call_action("package_search", fq="+dataset_type:dataset", rows=100)["results"]
    assert len(harvested) == 9
    _assert_catalogue_and_each_dataset_conform(app, harvested)
    assert_parity(app, harvested)
