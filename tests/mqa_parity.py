"""Score what is published: the metadata score of a dataset dict must equal
the MQA computed, independently, from the RDF the portal serves for it.

``assert_parity`` reads each dataset's own ``/dataset/<id>.ttl`` through the
app (what data.europa.eu harvests), scores that graph with
``quality.rdf.score_graph`` and the package_show dict with
``quality.metadata.score_metadata``, and compares them indicator by
indicator: the verdict, the points and the values found.
"""
from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from rdflib import Graph
from rdflib.namespace import DCAT, RDF

from ckan.tests.helpers import call_action

from ckanext.plusresilient.quality.metadata import MetadataScore, score_metadata
from ckanext.plusresilient.quality.rdf import score_graph

# dates are compared by presence: the export rewrites them (a date becomes
# xsd:date, a timestamp xsd:dateTime) and MQA only asks that there is one
PRESENCE_ONLY = frozenset({"temporal", "issued", "modified"})


def link_statuses(packages: Iterable[Mapping[str, Any]]) -> dict[str, int]:
    """Every resource URL of the packages, answering and failing in turn, so
    both scorers meet answering, failing and (for any other URL) unchecked
    links."""
    urls = sorted({value for package in packages for resource in package.get("resources", [])
                   for value in (resource.get("url"), resource.get("download_url")) if value})
    return {url: (200 if i % 3 else 404) for i, url in enumerate(urls)}


def dataset_graph(app, package: Mapping[str, Any]) -> tuple[Graph, Any]:
    response = app.get(f"/dataset/{package['id']}.ttl")
    assert response.status_code == 200, (package["name"], response.status_code)
    graph = Graph().parse(data=response.get_data(as_text=True), format="turtle")
    [ref] = graph.subjects(RDF.type, DCAT.Dataset)
    return graph, ref


def differences(from_dict: MetadataScore, from_graph: MetadataScore) -> list[str]:
    found = []
    for ours, theirs in zip(from_dict.indicators, from_graph.indicators, strict=True):
        assert ours.key == theirs.key
        if (ours.passed, ours.points) != (theirs.passed, theirs.points):
            found.append(f"{ours.key}: dict {ours.passed} ({ours.reason}) / "
                         f"RDF {theirs.passed} ({theirs.reason})")
        elif ours.key in PRESENCE_ONLY:
            if bool(ours.found) != bool(theirs.found):
                found.append(f"{ours.key}: dict {ours.found} / RDF {theirs.found}")
        elif sorted(ours.found) != sorted(theirs.found):
            found.append(f"{ours.key}: dict {sorted(ours.found)} / RDF {sorted(theirs.found)}")
    return found


def assert_parity(app, packages: Iterable[Mapping[str, Any]],
                  link_status: Mapping[str, Any] | None = None) -> dict[str, int]:
    """Parity on every package (read again with package_show, as the scoring
    job reads it); returns each package's points for the caller's checks."""
    shown = [call_action("package_show", id=package["id"]) for package in packages]
    status = link_statuses(shown) if link_status is None else link_status
    problems, points = {}, {}
    for package in shown:
        graph, ref = dataset_graph(app, package)
        from_dict = score_metadata(package, status)
        from_graph = score_graph(graph, ref, status)
        if diff := differences(from_dict, from_graph):
            problems[package["name"]] = diff
        points[package["name"]] = from_dict.points
    assert not problems, "\n".join(f"{name}:\n  " + "\n  ".join(diff)
                                   for name, diff in problems.items())
    return points
