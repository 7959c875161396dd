"""A dataset's quality measurements in its DCAT, as W3C DQV.

data.europa.eu publishes the Metadata Quality Assessment of every dataset it
harvests as Data Quality Vocabulary measurements
(https://www.w3.org/TR/vocab-dqv/)::

    <dataset> dqv:hasQualityMeasurement [
        a dqv:QualityMeasurement ;
        dqv:computedOn <dataset> ;
        dqv:isMeasurementOf pv:findabilityScoring ;
        dqv:value "80"^^xsd:integer ;
        prov:generatedAtTime "2026-01-02T03:04:05+00:00"^^xsd:dateTime ] .

This module writes the portal's own stored quality (what
``plusresilient_quality_show`` serves) the same way, so an aggregator or a
reuser reads the portal's scores from the RDF it already harvests.

Which metrics (the choice, and why):

* The five MQA dimensions and the MQA total reuse data.europa.eu's metric
  URIs from piveau's vocabulary (``https://piveau.eu/ns/voc#``):
  ``pv:findabilityScoring`` ... ``pv:contextualityScoring`` in the dimensions
  ``pv:findability`` ..., and ``pv:scoring``, all as integer points. The
  points are those of the same MQA table (``quality/metadata/indicators.py``), scored
  on what this profile publishes, so the values are the same thing on the
  same scale: tools written against data.europa.eu's measurements read ours
  unchanged, and a difference between the two is a finding, not a mapping
  problem.
* What MQA does not measure gets a metric of ours, under
  ``https://w3id.org/plusresilient/quality#`` (:data:`PQ`), each with a
  ``skos:prefLabel``, a ``skos:definition`` and ``dqv:expectedDataType``
  written into the graph (once per document), so a consumer that cannot
  dereference them still reads them:
  ``pq:dataValidity`` (the data checks), ``pq:linkAvailability`` (the link
  checks) and ``pq:overallScore`` (the combined score), as percentages
  (xsd:decimal, two decimals, as the report rounds them). Their dimensions
  are W3C's linked-data quality dimensions from the DQV Note
  (``ldqd:syntacticValidity``, ``ldqd:availability``); the two totals, which
  no single dimension holds, are in ``pq:overall``, defined here.
* The community component (ratings and reports) is not published: it is
  people's opinion, which DQV models as ``dqv:UserQualityFeedback`` rather
  than as a measurement.

Only figures leave: never the report's messages, cell values or link
errors, which ``plusresilient_quality_show`` keeps from anonymous callers. A
dataset never scored (or whose only scoring failed) gets no measurement; a
component that does not apply (no tabular resource, no link checked yet)
gets none either, as in the report.

The graph part (:func:`add_measurements`) is pure; :func:`stored_quality`
is the one database read, by primary key: the catalogue endpoints render up
to 100 datasets per page, so a page costs up to 100 indexed single-row
queries (about 1 ms each with the report's JSON parsed). Most of the cost of
the measurements is rdflib writing their ~42 triples per dataset; the
README gives the measured figures.
"""
from __future__ import annotations

import dataclasses
import datetime
import json
from decimal import Decimal
from types import MappingProxyType
from typing import Any, Mapping

import sqlalchemy as sa
from rdflib import BNode, Graph, Literal, Namespace
from rdflib.namespace import PROV, RDF, SKOS, XSD
from rdflib.term import Node, URIRef

from ckanext.plusresilient.quality.metadata import DIMENSIONS, MAX_POINTS
from ckanext.plusresilient.quality.score import WEIGHTS

__all__ = [
    "DQV",
    "LDQD",
    "PQ",
    "PV",
    "DIMENSION_METRICS",
    "PublishedQuality",
    "add_measurements",
    "published_quality",
    "stored_quality",
]

#: W3C Data Quality Vocabulary.
DQV = Namespace("http://www.w3.org/ns/dqv#")
#: The linked-data quality dimensions the DQV Note publishes (Zaveri et al.).
LDQD = Namespace("http://www.w3.org/2016/05/ldqd#")
#: piveau's vocabulary: data.europa.eu's MQA metrics and dimensions.
PV = Namespace("https://piveau.eu/ns/voc#")
#: This portal's quality metrics.
PQ = Namespace("https://w3id.org/plusresilient/quality#")

#: MQA dimension (the report's key) -> (data.europa.eu's metric, its dimension).
DIMENSION_METRICS: Mapping[str, tuple[URIRef, URIRef]] = MappingProxyType({
    name: (PV[f"{name}Scoring"], PV[name]) for name in DIMENSIONS
})


@dataclasses.dataclass(frozen=True)
class _OwnTerm:
    """A metric or dimension of ours, described where it is used."""

    uri: URIRef
    label: str
    definition: str


_OVERALL = _OwnTerm(
    PQ.overall, "Overall quality",
    "All the quality dimensions of a dataset taken together.")
_DATA_VALIDITY = _OwnTerm(
    PQ.dataValidity, "Valid tabular data",
    "The share, in percent (0 to 100), of the dataset's tabular resources whose file "
    "opened and validated against its Table Schema (or an inferred one): valid / "
    "(valid + invalid + could not be checked) x 100. Resources that are not tabular, "
    "or were not checked, are left out.")
_LINK_AVAILABILITY = _OwnTerm(
    PQ.linkAvailability, "Links that answer",
    "The share, in percent (0 to 100), of the dataset's checked resource links "
    "(access and download URLs) that answered with a success or a redirect to one. "
    "Links not checked yet are left out.")
_OVERALL_SCORE = _OwnTerm(
    PQ.overallScore, "Overall quality score",
    "The portal's combined score, 0 to 100: the weighted mean of the metadata "
    f"(MQA points / {MAX_POINTS} x 100, weight {WEIGHTS['metadata']}), data validity "
    f"({WEIGHTS['data']}), link availability ({WEIGHTS['links']}), community feedback "
    f"({WEIGHTS['community']}) and freshness ({WEIGHTS['freshness']}) components that apply, "
    "renormalised over them.")

#: our metric -> (its term, its dimension, datatype of its values)
_OWN_METRICS: tuple[tuple[_OwnTerm, URIRef, URIRef], ...] = (
    (_DATA_VALIDITY, LDQD.syntacticValidity, XSD.decimal),
    (_LINK_AVAILABILITY, LDQD.availability, XSD.decimal),
    (_OVERALL_SCORE, PQ.overall, XSD.decimal),
)


@dataclasses.dataclass(frozen=True)
class PublishedQuality:
    """What of a dataset's stored quality is published: figures only.

    ``dimensions`` are MQA points by dimension; the percentages are None
    where the component does not apply.
    """

    scored_at: datetime.datetime
    dimensions: Mapping[str, int]
    metadata_points: int | None
    data: float | None
    links: float | None
    overall: float | None


def published_quality(scored_at: datetime.datetime | None,
                      report: Mapping[str, Any] | None) -> PublishedQuality | None:
    """The figures of a stored report (the JSON ``plusresilient_quality``
    keeps, which quality_show serves), or None when there are none. Anything
    that is not a number is left out rather than published."""
    if scored_at is None or not isinstance(report, Mapping):
        return None
    metadata, overall = _mapping(report.get("metadata")), _mapping(report.get("overall"))
    components = _mapping(overall.get("components"))
    dimensions = _mapping(metadata.get("dimensions"))
    points = {name: value.get("points") for name, value in dimensions.items()
              if name in DIMENSION_METRICS and isinstance(value, Mapping)}
    quality = PublishedQuality(
        scored_at=scored_at,
        dimensions={name: value for name, value in points.items() if _is_int(value)},
        metadata_points=metadata.get("points") if _is_int(metadata.get("points")) else None,
        data=_number(components.get("data")),
        links=_number(components.get("links")),
        overall=_number(overall.get("score")),
    )
    empty = (not quality.dimensions and quality.metadata_points is None
             and quality.data is None and quality.links is None and quality.overall is None)
    return None if empty else quality


def stored_quality(package_id: str | None) -> PublishedQuality | None:
    """The published figures of a dataset's current quality row: one
    primary-key query. A row in status "error" keeps the figures (and the
    date) of its last scoring that worked, as quality_show shows them."""
    # imported here: the graph part of this module needs no CKAN
    from ckan.model import meta

    from ckanext.plusresilient.model.quality import quality_table

    if not isinstance(package_id, str) or not package_id:
        return None  # a dict that is no stored dataset (a test's, a harvested record's)
    row = meta.Session.execute(
        sa.select(quality_table.c.scored_at, quality_table.c.report)
        .where(quality_table.c.package_id == package_id)).first()
    if row is None or not row.report:
        return None
    try:
        report = json.loads(row.report)
    except ValueError:
        return None
    return published_quality(row.scored_at, report)


def add_measurements(graph: Graph, dataset_ref: Node, quality: PublishedQuality | None) -> int:
    """Add one dqv:QualityMeasurement per published figure to ``graph``
    (and, once per graph, the definitions of the metrics and dimensions);
    returns how many measurements were added (0 for None)."""
    if quality is None:
        return 0
    if _MARKER not in graph:  # a catalogue page holds up to 100 datasets: define once
        for prefix, namespace in _PREFIXES:
            graph.bind(prefix, namespace)
        for triple in _VOCABULARY:
            graph.add(triple)
    moment = Literal(_aware(quality.scored_at).isoformat(timespec="seconds"),
                     datatype=XSD.dateTime)
    values: list[tuple[URIRef, Literal]] = [
        (metric, Literal(quality.dimensions[name], datatype=XSD.integer))
        for name, (metric, _) in DIMENSION_METRICS.items() if name in quality.dimensions]
    if quality.metadata_points is not None:
        values.append((PV.scoring, Literal(quality.metadata_points, datatype=XSD.integer)))
    values.extend((term.uri, Literal(_decimal(value), datatype=datatype))
                  for (term, _, datatype), value in zip(
                      _OWN_METRICS, (quality.data, quality.links, quality.overall))
                  if value is not None)
    for metric, value in values:
        node = BNode()
        for triple in ((dataset_ref, DQV.hasQualityMeasurement, node),
                       (node, RDF.type, DQV.QualityMeasurement),
                       (node, DQV.computedOn, dataset_ref),
                       (node, DQV.isMeasurementOf, metric),
                       (node, DQV.value, value),
                       (node, PROV.generatedAtTime, moment)):
            graph.add(triple)
    return len(values)


# -- the vocabulary, written once per graph ------------------------------------------------

def _vocabulary() -> tuple[tuple[URIRef, URIRef, Node], ...]:
    """Every metric as a dqv:Metric in a dqv:Dimension with the datatype of
    its values; ours with their labels and definitions. data.europa.eu's
    own terms are typed, never relabelled."""
    metrics = [(metric, dimension, XSD.integer) for metric, dimension in DIMENSION_METRICS.values()]
    metrics.append((PV.scoring, _OVERALL.uri, XSD.integer))
    metrics.extend((term.uri, dimension, datatype) for term, dimension, datatype in _OWN_METRICS)
    triples: list[tuple[URIRef, URIRef, Node]] = []
    for metric, dimension, datatype in metrics:
        triples += [(metric, RDF.type, DQV.Metric), (metric, DQV.inDimension, dimension),
                    (metric, DQV.expectedDataType, datatype), (dimension, RDF.type, DQV.Dimension)]
    for term in (_OVERALL, *(term for term, _, _ in _OWN_METRICS)):
        triples += [(term.uri, SKOS.prefLabel, Literal(term.label, lang="en")),
                    (term.uri, SKOS.definition, Literal(term.definition, lang="en"))]
    return tuple(triples)


_VOCABULARY = _vocabulary()
#: present once the vocabulary is in a graph
_MARKER = (_OVERALL.uri, RDF.type, DQV.Dimension)
_PREFIXES = (("dqv", DQV), ("pv", PV), ("pq", PQ), ("ldqd", LDQD), ("prov", PROV))


# -- small helpers -----------------------------------------------------------------------

def _mapping(value: Any) -> Mapping[str, Any]:
    """A part of the stored report, or an empty one when it is not a mapping."""
    return value if isinstance(value, Mapping) else {}


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return float(value) if value == value and abs(value) != float("inf") else None


def _decimal(value: float) -> Decimal:
    """Two decimals, as the report rounds them (87.5 -> 87.50 is the same value)."""
    return Decimal(str(round(value, 2)))


def _aware(moment: datetime.datetime) -> datetime.datetime:
    """Stored naive in UTC, published with its offset."""
    if moment.tzinfo is None:
        return moment.replace(tzinfo=datetime.timezone.utc)
    return moment.astimezone(datetime.timezone.utc)
