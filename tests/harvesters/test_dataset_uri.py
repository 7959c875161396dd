"""A harvested dataset keeps the URI its source published as its URI in our
DCAT, so that an aggregator (data.europa.eu) harvesting both portals counts
one dataset, not two."""
from __future__ import annotations

import pytest
from rdflib import Graph, Namespace, URIRef
from rdflib.namespace import RDF

from ckan.tests.helpers import call_action

from ckanext.plusresilient.harvesters.runner import run_source
from ckanext.plusresilient.demo.portals.ckan import CKANPortal
from ckanext.plusresilient.demo.portals.dcat import DCATPortal
from tests.harvesters.cases import make_source

pytestmark = pytest.mark.usefixtures("with_plugins", "clean_db", "clean_index")

DCAT = Namespace("http://www.w3.org/ns/dcat#")


def _datasets_in(app, path: str) -> set[URIRef]:
    graph = Graph().parse(data=app.get(path).body, format="turtle")
    return set(graph.subjects(RDF.type, DCAT.Dataset))


def test_a_dcat_dataset_keeps_its_source_uri(app):
    with DCATPortal("fr") as portal:
        published = portal.add("Logements sociaux")
        source = make_source(portal.catalog_url, name="data-gouv-fr",
                             config={"portal": "data-gouv-fr", "country": "FR", "language": "fr"},
                             source_type="plusresilient_dcat")
        assert run_source(source["id"]).created == 1
    (dataset,) = call_action("package_search", fq="+dataset_type:dataset")["results"]
    uri = URIRef(portal.dataset_uri(published))

    assert dataset["uri"] == str(uri)
    assert _datasets_in(app, f"/dataset/{dataset['name']}.ttl") == {uri}
    assert uri in _datasets_in(app, "/catalog.ttl")


def test_a_dataset_without_a_source_uri_has_the_portal_s_own(app):
    with CKANPortal() as portal:
        portal.add("Asili nido")
        source = make_source(portal.api_url, name="regional")
        run_source(source["id"])
    (dataset,) = call_action("package_search", fq="+dataset_type:dataset")["results"]

    assert not dataset.get("uri")
    (node,) = _datasets_in(app, f"/dataset/{dataset['name']}.ttl")
    assert str(node).endswith(f"/dataset/{dataset['id']}")
