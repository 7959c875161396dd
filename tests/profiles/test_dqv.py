"""Quality measurements in the DCAT, as W3C DQV (ckanext/plusresilient/dqv.py).

The graph part is checked alone first; then, on the real stack, a dataset
scored with real link and data checks (files served on loopback) is read
back from ckanext-dcat's endpoints, parsed with rdflib and compared with
what plusresilient_quality_show gives an anonymous caller.
"""
from __future__ import annotations

import datetime
import json
from decimal import Decimal

import pytest
from rdflib import Graph, Literal, URIRef
from rdflib.namespace import PROV, RDF, SKOS, XSD

from ckan.tests.helpers import call_action
from ckanext.dcat.profiles import DCAT

from ckanext.plusresilient import dqv
from ckanext.plusresilient.dqv import DQV, LDQD, PQ, PV
from ckanext.plusresilient.scoring import dataset as quality
from tests import shacl
from tests.factories import Cluster, QualityRow, SVRCDataset
from tests.loopback_http import server  # noqa: F401 - fixture
from tests.quality.servers import csv_bytes

DIMENSIONS = ("findability", "accessibility", "interoperability", "reusability", "contextuality")
#: what one measurement node says: nothing else (no message, no detail)
MEASUREMENT_PREDICATES = {RDF.type, DQV.computedOn, DQV.isMeasurementOf, DQV.value,
                          PROV.generatedAtTime}
DATASET = URIRef("https://example.org/dataset/1")
SCORED_AT = datetime.datetime(2026, 1, 2, 3, 4, 5)


def _report(**overall) -> dict:
    """A stored report as scoring/dataset.py writes it (only what is read here)."""
    components = {"metadata": 60.0, "data": None, "links": None, "community": None}
    components.update(overall.pop("components", {}))
    return {
        "scored_at": "2026-01-02T03:04:05+00:00",
        "overall": dict({"score": 60.0, "band": "good", "components": components,
                         "weights": {}}, **overall),
        "metadata": {"points": 243, "max_points": 405, "band": "good", "indicators": [],
                     "dimensions": {"findability": {"points": 80, "max": 100},
                                    "accessibility": {"points": 50, "max": 100},
                                    "interoperability": {"points": 60, "max": 110},
                                    "reusability": {"points": 45, "max": 75},
                                    "contextuality": {"points": 8, "max": 20}}},
        "data": None, "links": None, "community": None,
    }


def measurements(graph: Graph, dataset: URIRef) -> dict[URIRef, Literal]:
    """metric -> value of the dataset's measurements, checking each node's shape."""
    found: dict[URIRef, Literal] = {}
    for node in graph.objects(dataset, DQV.hasQualityMeasurement):
        assert {p for p, _ in graph.predicate_objects(node)} == MEASUREMENT_PREDICATES, node
        assert (node, RDF.type, DQV.QualityMeasurement) in graph
        assert graph.value(node, DQV.computedOn) == dataset
        metric = graph.value(node, DQV.isMeasurementOf)
        assert metric not in found, f"two measurements of {metric}"
        found[metric] = graph.value(node, DQV.value)
    return found


def _times(graph: Graph, dataset: URIRef) -> set:
    return {graph.value(node, PROV.generatedAtTime).toPython()
            for node in graph.objects(dataset, DQV.hasQualityMeasurement)}


# -- the graph alone ------------------------------------------------------------------------

def test_no_stored_quality_adds_nothing():
    graph = Graph()

    assert dqv.add_measurements(graph, DATASET, None) == 0
    assert len(graph) == 0
    assert dqv.published_quality(None, _report()) is None
    assert dqv.published_quality(SCORED_AT, None) is None
    # a row whose scoring never worked keeps no figures
    assert dqv.published_quality(SCORED_AT, {"metadata": None, "overall": None}) is None


def test_each_figure_is_one_measurement_of_its_metric():
    report = _report(score=71.43, components={"data": 33.33, "links": 66.67})
    graph = Graph()

    added = dqv.add_measurements(graph, DATASET, dqv.published_quality(SCORED_AT, report))

    found = measurements(graph, DATASET)
    assert added == len(found) == 9
    for name in DIMENSIONS:
        value = found[PV[f"{name}Scoring"]]
        assert value.datatype == XSD.integer
        assert value.toPython() == report["metadata"]["dimensions"][name]["points"]
        assert (PV[f"{name}Scoring"], DQV.inDimension, PV[name]) in graph
        assert (PV[name], RDF.type, DQV.Dimension) in graph
    assert found[PV.scoring] == Literal(243, datatype=XSD.integer)
    assert found[PQ.dataValidity] == Literal(Decimal("33.33"), datatype=XSD.decimal)
    assert found[PQ.linkAvailability] == Literal(Decimal("66.67"), datatype=XSD.decimal)
    assert found[PQ.overallScore] == Literal(Decimal("71.43"), datatype=XSD.decimal)
    assert _times(graph, DATASET) == {datetime.datetime(2026, 1, 2, 3, 4, 5,
                                                        tzinfo=datetime.timezone.utc)}
    # every metric is a dqv:Metric in a dqv:Dimension, with the type of its values
    for metric in found:
        assert (metric, RDF.type, DQV.Metric) in graph
        [dimension] = graph.objects(metric, DQV.inDimension)
        assert (dimension, RDF.type, DQV.Dimension) in graph
        [datatype] = graph.objects(metric, DQV.expectedDataType)
        assert found[metric].datatype == datatype
    assert (PQ.dataValidity, DQV.inDimension, LDQD.syntacticValidity) in graph
    assert (PQ.linkAvailability, DQV.inDimension, LDQD.availability) in graph
    # ours are defined where they are used; data.europa.eu's are not redefined
    for term in (PQ.dataValidity, PQ.linkAvailability, PQ.overallScore, PQ.overall):
        assert graph.value(term, SKOS.prefLabel).language == "en"
        assert len(str(graph.value(term, SKOS.definition))) > 40
    assert graph.value(PV.scoring, SKOS.prefLabel) is None


def test_components_that_do_not_apply_and_values_that_are_no_number_are_left_out():
    report = _report()  # no tabular resource, no link checked
    report["metadata"]["dimensions"]["contextuality"]["points"] = "8"
    report["metadata"]["dimensions"]["reusability"]["points"] = True
    report["overall"]["score"] = float("nan")
    graph = Graph()

    dqv.add_measurements(graph, DATASET, dqv.published_quality(SCORED_AT, report))

    assert set(measurements(graph, DATASET)) == {
        PV.findabilityScoring, PV.accessibilityScoring, PV.interoperabilityScoring, PV.scoring}
    # the metrics are defined all the same: a catalogue page defines them once for all
    assert (PQ.dataValidity, RDF.type, DQV.Metric) in graph


# -- on the real stack ----------------------------------------------------------------------

pytest_stack = pytest.mark.usefixtures("with_plugins", "clean_db", "clean_index")

SCHEMA = {"fields": [{"name": "id", "type": "integer"}, {"name": "city", "type": "string"}]}
BAD_CELL = "not-a-number-3f9a"


def _anonymous(action: str, **data) -> dict:
    return call_action(action, context={"user": "", "ignore_auth": False}, **data)


def _rdf(app, path: str, rdf_format: str = "turtle") -> tuple[Graph, str]:
    response = app.get(path)
    assert response.status_code == 200, (path, response.status_code)
    text = response.get_data(as_text=True)
    return Graph().parse(data=text, format=rdf_format), text


def _dataset_node(graph: Graph, package: dict) -> URIRef:
    [node] = (ref for ref in graph.subjects(RDF.type, DCAT.Dataset)
              if str(ref).endswith(package["id"]))
    return node


def _expected(shown: dict) -> dict[URIRef, object]:
    """What quality_show gives an anonymous caller, by metric."""
    expected: dict[URIRef, object] = {
        PV[f"{name}Scoring"]: shown["metadata"]["dimensions"][name]["points"]
        for name in DIMENSIONS}
    expected[PV.scoring] = shown["metadata"]["points"]
    expected[PQ.dataValidity] = shown["overall"]["components"]["data"]
    expected[PQ.linkAvailability] = shown["overall"]["components"]["links"]
    expected[PQ.overallScore] = shown["overall"]["score"]
    return expected


def _values(found: dict[URIRef, Literal]) -> dict[URIRef, object]:
    return {metric: (value.toPython() if value.datatype == XSD.integer
                     else float(value.toPython()))
            for metric, value in found.items()}


@pytest_stack
def test_a_scored_dataset_publishes_its_measurements_and_an_unscored_one_none(app, server):
    server.serve("/valid.csv", csv_bytes([("id", "city"), (1, "Bari"), (2, "Lecce")]))
    server.serve("/invalid.csv", csv_bytes([("id", "city"), (1, "Bari"), (BAD_CELL, "Lecce")]))
    scored = SVRCDataset(resources=[
        {"name": "Valid", "url": server.url("/valid.csv"), "format": "CSV", "schema": SCHEMA},
        {"name": "Invalid", "url": server.url("/invalid.csv"), "format": "CSV", "schema": SCHEMA},
        {"name": "Gone", "url": server.url("/gone.csv"), "format": "CSV"},
    ])
    unscored = SVRCDataset()
    private = SVRCDataset(owner_org=Cluster()["id"], private=True)
    QualityRow(package_id=private["id"], report=json.dumps(_report()))
    quality.score_dataset(scored["id"])
    shown = _anonymous("plusresilient_quality_show", id=scored["id"])
    # the checks really ran: one file of three validates, two links of three answer
    assert shown["data"]["summary"]["valid"] == 1 and shown["links"]["summary"]["ok"] == 2
    details = call_action("plusresilient_quality_show", id=scored["id"])  # what editors see
    messages = [status.get("message") for status in details["links"]["statuses"]]
    messages += [item["report"].get("message") for item in details["data"]["resources"]]
    secrets = {BAD_CELL} | {text for text in messages if text and len(text) >= 8}
    assert len(secrets) >= 3 and BAD_CELL in json.dumps(details["data"]), messages

    dataset_graph, dataset_text = _rdf(app, f"/dataset/{scored['id']}.ttl")
    catalog, catalog_text = _rdf(app, "/catalog.ttl")

    expected = _expected(shown)
    assert len(expected) == 9 and None not in expected.values()
    scored_at = datetime.datetime.fromisoformat(shown["scored_at"])
    for graph in (dataset_graph, catalog):
        node = _dataset_node(graph, scored)
        assert _values(measurements(graph, node)) == expected
        assert _times(graph, node) == {scored_at}
    assert measurements(catalog, _dataset_node(catalog, unscored)) == {}
    # a private dataset is not in the catalogue, nor are its measurements
    assert set(catalog.subjects(DQV.hasQualityMeasurement, None)) == {_dataset_node(catalog, scored)}
    assert private["id"] not in catalog_text
    _, unscored_text = _rdf(app, f"/dataset/{unscored['id']}.ttl")
    assert "hasQualityMeasurement" not in unscored_text
    # only figures: none of what quality_show hides from anonymous callers
    for text in (dataset_text, catalog_text):
        assert not [secret for secret in secrets if secret in text]
    # the other serialisations carry them too
    for extension, rdf_format in (("rdf", "xml"), ("jsonld", "json-ld")):
        graph, _ = _rdf(app, f"/dataset/{scored['id']}.{extension}", rdf_format)
        assert _values(measurements(graph, _dataset_node(graph, scored))) == expected
    # and DCAT-AP 3 still holds
    for graph, what in ((catalog, "/catalog.ttl"), (dataset_graph, "/dataset/<id>.ttl")):
        violations = shacl.validate(graph)
        assert not violations, f"{what} with DQV:\n{shacl.describe(violations)}"


@pytest_stack
def test_a_failed_rescoring_keeps_the_last_figures_and_never_publishes_its_error(app):
    dataset = SVRCDataset()
    secret = "OperationalError: connection to 10.1.2.3 refused for user ckan_default"
    QualityRow(package_id=dataset["id"], status="error", error=secret,
               scored_at=SCORED_AT, report=json.dumps(_report()))
    shown = _anonymous("plusresilient_quality_show", id=dataset["id"])

    graph, text = _rdf(app, f"/dataset/{dataset['id']}.ttl")

    found = _values(measurements(graph, _dataset_node(graph, dataset)))
    assert found == {metric: value for metric, value in _expected(shown).items()
                     if value is not None}
    assert _times(graph, _dataset_node(graph, dataset)) == {
        SCORED_AT.replace(tzinfo=datetime.timezone.utc)}
    assert "10.1.2.3" not in text and "OperationalError" not in text


@pytest_stack
def test_a_row_without_figures_publishes_nothing(app):
    dataset = SVRCDataset()
    QualityRow(package_id=dataset["id"], status="error", error="never scored",
               metadata_points=None, metadata_band=None, overall_score=None, overall_band=None,
               report=None)

    _, text = _rdf(app, f"/dataset/{dataset['id']}.ttl")

    assert "hasQualityMeasurement" not in text
