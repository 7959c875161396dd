"""The MQA computed from a dataset's DCAT-AP graph, as data.europa.eu does.

data.europa.eu never sees our dataset dicts: it harvests the RDF the portal
publishes and scores that. ``score_graph`` reads one dataset of such a graph
(what ``/dataset/<id>.ttl`` or a ``catalog.ttl`` page holds) with the same
23 indicators, points and bands as ``quality.metadata``, looking only at the
triples: the property each indicator names, on the dataset or on its
distributions (the best distribution counts).

It exists to keep the fast path honest. The portal scores the dict
(``score_metadata``: thousands of datasets a second, no serialisation), and
the parity test renders each fixture and demo dataset through ckanext-dcat,
scores both ways and requires the same verdict and the same published values
on every indicator. It is also the tool for a publisher who wants to know
what data.europa.eu would make of any DCAT-AP file.

Pure rdflib: no CKAN import.
"""
from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from rdflib import BNode, Graph, Namespace, URIRef
from rdflib.namespace import DCAT, DCTERMS as DCT, FOAF, RDF, RDFS, SKOS
from rdflib.term import Node

from ckanext.plusresilient import vocabularies
from ckanext.plusresilient.quality.metadata import (
    INDICATORS,
    MetadataScore,
    Verdict,
    file_format,
    known_media_type,
    links_answer,
    plural,
    score_verdicts,
)

__all__ = ["score_graph", "datasets_of", "LICENCE_AUTHORITY", "ACCESS_RIGHT_AUTHORITY"]

VCARD = Namespace("http://www.w3.org/2006/vcard/ns#")
SCHEMA = Namespace("http://schema.org/")

#: The EU authority tables data.europa.eu scores "from the vocabulary" against.
LICENCE_AUTHORITY = "http://publications.europa.eu/resource/authority/licence/"
ACCESS_RIGHT_AUTHORITY = "http://publications.europa.eu/resource/authority/access-right/"

_LICENCES = vocabularies.get("licences")
_NOT_SPECIFIED = "notspecified"


class _Graph:
    """One dataset of a graph, read once."""

    def __init__(self, graph: Graph, dataset: Node,
                 link_status: Mapping[str, Any] | None) -> None:
        self.g = graph
        self.dataset = dataset
        self.distributions = sorted(graph.objects(dataset, DCAT.distribution), key=str)
        self.link_status = link_status or {}

    def values(self, subject: Node, predicate: URIRef) -> list[Node]:
        return sorted(self.g.objects(subject, predicate), key=str)

    def text(self, node: Node, *labels: URIRef) -> str:
        """A node as text: a URI or literal as written, a blank node by the
        first of ``labels`` it carries."""
        if isinstance(node, BNode):
            for label in labels:
                value = self.g.value(node, label)
                if value is not None:
                    return str(value).strip()
            return ""
        return str(node).strip()

    def on_distributions(self, predicate: URIRef, *labels: URIRef) -> list[str]:
        return [self.text(node, *labels) for d in self.distributions
                for node in self.values(d, predicate)]


def _check_keywords(r: _Graph) -> Verdict:
    found = [str(k).strip() for k in r.values(r.dataset, DCAT.keyword) if str(k).strip()]
    if found:
        return Verdict(True, f"{plural(len(found), 'keyword')}.", found)
    return Verdict(False, "No dcat:keyword.")


def _check_categories(r: _Graph) -> Verdict:
    found = [r.text(node) for node in r.values(r.dataset, DCAT.theme)]
    if any(found):
        return Verdict(True, f"dcat:theme {', '.join(found)}.", found)
    return Verdict(False, "No dcat:theme.")


def _check_spatial(r: _Graph) -> Verdict:
    found = [r.text(node, SKOS.notation) for node in r.values(r.dataset, DCT.spatial)]
    if any(found):
        return Verdict(True, f"dct:spatial {', '.join(found)}.", found)
    return Verdict(False, "No dct:spatial.")


def _check_temporal(r: _Graph) -> Verdict:
    found = []
    for period in r.values(r.dataset, DCT.temporal):
        for predicate in (DCAT.startDate, SCHEMA.startDate, DCAT.endDate, SCHEMA.endDate):
            found += [str(v) for v in r.values(period, predicate)]
    if found:
        return Verdict(True, f"dct:temporal {' – '.join(found)}.", found)
    return Verdict(False, "No dct:temporal.")


def _check_access_url_status(r: _Graph) -> Verdict:
    urls = r.on_distributions(DCAT.accessURL)
    if not urls:
        return Verdict(False, "No dcat:accessURL.")
    return links_answer(urls, r.link_status, "link")


def _check_download_url(r: _Graph) -> Verdict:
    urls = r.on_distributions(DCAT.downloadURL)
    if urls:
        return Verdict(True, f"dcat:downloadURL {urls[0]}.", urls)
    return Verdict(False, "No dcat:downloadURL.")


def _check_download_url_status(r: _Graph) -> Verdict:
    urls = r.on_distributions(DCAT.downloadURL)
    if not urls:
        return Verdict(False, "No dcat:downloadURL.")
    return links_answer(urls, r.link_status, "file link")


def _formats(r: _Graph) -> list[str]:
    return r.on_distributions(DCT["format"], RDFS.label)


def _check_format(r: _Graph) -> Verdict:
    found = _formats(r)
    if found:
        return Verdict(True, f"dct:format {found[0]}.", found)
    return Verdict(False, "No dct:format.")


def _check_media_type(r: _Graph) -> Verdict:
    found = r.on_distributions(DCAT.mediaType)
    if found:
        return Verdict(True, f"dcat:mediaType {found[0]}.", found)
    return Verdict(False, "No dcat:mediaType.")


def _check_format_vocabulary(r: _Graph) -> Verdict:
    formats, media_types = _formats(r), r.on_distributions(DCAT.mediaType)
    known = [f for f in formats if f.startswith("http") and file_format(f)]
    known += [m for m in media_types if known_media_type(m)]
    if known:
        return Verdict(True, f"{known[0]} is in the vocabulary.", known)
    given = formats + media_types
    return Verdict(False, "Not in the vocabulary." if given else "No format.", given)


def _format_flag(r: _Graph, flag: str) -> Verdict:
    found = _formats(r)
    if any(getattr(file_format(f), flag, False) for f in found if f.startswith("http")):
        return Verdict(True, f"{flag}.", found)
    return Verdict(False, f"Not {flag}.", found)


def _check_non_proprietary(r: _Graph) -> Verdict:
    return _format_flag(r, "non_proprietary")


def _check_machine_readable(r: _Graph) -> Verdict:
    return _format_flag(r, "machine_readable")


def _check_dcat_ap_compliance(r: _Graph) -> Verdict:
    missing = [name for name, predicate in (("dct:title", DCT.title),
                                            ("dct:description", DCT.description))
               if not any(str(v).strip() for v in r.values(r.dataset, predicate))]
    without = sum(1 for d in r.distributions if not r.values(d, DCAT.accessURL))
    if without:
        missing.append(f"dcat:accessURL of {plural(without, 'distribution')}")
    if missing:
        return Verdict(False, f"Missing: {', '.join(missing)}.")
    return Verdict(True, "dct:title, dct:description and every dcat:accessURL present.")


def _licences(r: _Graph) -> list[str]:
    if r.distributions:
        return r.on_distributions(DCT.license, DCT.identifier)
    return [r.text(node, DCT.identifier) for node in r.values(r.dataset, DCT.license)]


def _check_licence(r: _Graph) -> Verdict:
    found = _licences(r)
    if any(value and value != _NOT_SPECIFIED for value in found):
        return Verdict(True, f"dct:license {found[0]}.", found)
    return Verdict(False, "No dct:license." if not found else "Licence not specified.", found)


def _check_licence_vocabulary(r: _Graph) -> Verdict:
    found = _licences(r)
    if any(value.startswith(LICENCE_AUTHORITY) for value in found):
        return Verdict(True, "An EU licence.", found)
    return Verdict(False, "Not an EU licence." if found else "No dct:license.", found)


def _access_rights(r: _Graph) -> list[str]:
    return [r.text(node, RDFS.label) for node in r.values(r.dataset, DCT.accessRights)]


def _check_access_rights(r: _Graph) -> Verdict:
    found = _access_rights(r)
    if any(found):
        return Verdict(True, f"dct:accessRights {found[0]}.", found)
    return Verdict(False, "No dct:accessRights.")


def _check_access_rights_vocabulary(r: _Graph) -> Verdict:
    found = _access_rights(r)
    if any(value.startswith(ACCESS_RIGHT_AUTHORITY) for value in found):
        return Verdict(True, "An EU access right.", found)
    return Verdict(False, "Not an EU access right." if any(found) else "No dct:accessRights.",
                   found)


def _check_contact_point(r: _Graph) -> Verdict:
    found = [str(value) for contact in r.values(r.dataset, DCAT.contactPoint)
             for predicate in (VCARD.fn, VCARD.hasEmail)
             for value in r.values(contact, predicate)]
    if any(found):
        return Verdict(True, "dcat:contactPoint.", found)
    return Verdict(False, "No dcat:contactPoint.")


def _check_publisher(r: _Graph) -> Verdict:
    found = [r.text(name) for publisher in r.values(r.dataset, DCT.publisher)
             for name in (r.values(publisher, FOAF.name) or [publisher])]
    if any(found):
        return Verdict(True, f"dct:publisher {found[0]}.", found)
    return Verdict(False, "No dct:publisher.")


def _check_rights(r: _Graph) -> Verdict:
    found = r.on_distributions(DCT.rights, RDFS.label)
    if any(found):
        return Verdict(True, "dct:rights.", found)
    return Verdict(False, "No dct:rights.")


def _check_byte_size(r: _Graph) -> Verdict:
    found = []
    for literal in r.on_distributions(DCAT.byteSize):
        try:
            number = float(literal)
        except ValueError:
            continue
        if number > 0:
            found.append(str(int(number)) if number.is_integer() else str(number))
    if found:
        return Verdict(True, "dcat:byteSize.", found)
    return Verdict(False, "No dcat:byteSize.")


def _date(r: _Graph, predicate: URIRef) -> Verdict:
    found = [str(v) for v in r.values(r.dataset, predicate) if str(v).strip()]
    if found:
        return Verdict(True, f"{found[0]}.", found)
    return Verdict(False, "Absent.")


def _check_issued(r: _Graph) -> Verdict:
    return _date(r, DCT.issued)


def _check_modified(r: _Graph) -> Verdict:
    return _date(r, DCT.modified)


_CHECKS = tuple((spec, globals()[f"_check_{spec.key}"]) for spec in INDICATORS)


def score_graph(graph: Graph, dataset: Node,
                link_status: Mapping[str, Any] | None = None) -> MetadataScore:
    """The MQA verdict on the dataset ``dataset`` of ``graph``.

    ``link_status`` as for ``score_metadata``: data.europa.eu checks the
    links itself; here the portal's own checks stand in for it.
    """
    record = _Graph(graph, dataset, link_status)
    return score_verdicts((spec, check(record)) for spec, check in _CHECKS)


def datasets_of(graph: Graph) -> Iterable[Node]:
    """Every dcat:Dataset of a graph (a catalogue page, a dataset's RDF)."""
    return sorted(graph.subjects(RDF.type, DCAT.Dataset), key=str)
