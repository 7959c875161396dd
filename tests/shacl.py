"""Validate RDF against the official DCAT-AP 3.0.0 SHACL shapes.

The shapes are the ones data.europa.eu applies to the catalogues it
harvests (``tests/specs/``, copied with their attribution): the property
shapes and the class-range shapes, merged into one shapes graph and applied
with RDFS inference, as pySHACL's ``-i rdfs`` does from the command line.

``validate`` returns the results of severity ``sh:Violation`` (the shapes'
few warnings do not make a catalogue non-conformant); ``describe`` groups
them by property and message, so an assertion's failure reads like a to-do
list rather than a dump of the results graph.
"""
from __future__ import annotations

import functools
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable

from pyshacl import validate as pyshacl_validate
from rdflib import Graph, Namespace, URIRef
from rdflib.namespace import RDF
from rdflib.term import Node

SH = Namespace("http://www.w3.org/ns/shacl#")

SPECS = Path(__file__).parent / "specs"
SHAPE_FILES = ("dcat-ap-3.0.0-SHACL.ttl", "dcat-ap-3.0.0-range.ttl")

# Prefixes for readable messages only.
_PREFIXES = {
    "http://www.w3.org/ns/dcat#": "dcat:",
    "http://purl.org/dc/terms/": "dct:",
    "http://xmlns.com/foaf/0.1/": "foaf:",
    "http://www.w3.org/2004/02/skos/core#": "skos:",
    "http://www.w3.org/2006/vcard/ns#": "vcard:",
    "http://www.w3.org/1999/02/22-rdf-syntax-ns#": "rdf:",
    "http://www.w3.org/2000/01/rdf-schema#": "rdfs:",
    "http://www.w3.org/ns/adms#": "adms:",
    "http://www.w3.org/ns/locn#": "locn:",
    "http://spdx.org/rdf/terms#": "spdx:",
    "http://publications.europa.eu/resource/authority/": "eu:",
}


def _short(node: Node | None) -> str:
    if node is None:
        return "-"
    text = str(node)
    if isinstance(node, URIRef):
        for namespace, prefix in _PREFIXES.items():
            if text.startswith(namespace):
                return prefix + text[len(namespace):]
        return f"<{text}>"
    return text if len(text) <= 80 else text[:77] + "..."


@dataclass(frozen=True, order=True)
class Violation:
    """One SHACL result: what was checked where, and what the shape says."""

    path: str
    message: str
    focus: str
    value: str
    severity: str

    def __str__(self) -> str:
        return f"{self.focus} {self.path} = {self.value}: {self.message}"


@functools.lru_cache(maxsize=1)
def shapes() -> Graph:
    """Both shape files in one graph, parsed once per test session."""
    graph = Graph()
    for name in SHAPE_FILES:
        graph.parse(SPECS / name, format="turtle")
    return graph


def results(data: Graph | str, rdf_format: str = "turtle") -> list[Violation]:
    """Every SHACL result (violations and warnings) for the data."""
    if not isinstance(data, Graph):
        data = Graph().parse(data=data, format=rdf_format)
    _, report, _ = pyshacl_validate(
        data, shacl_graph=shapes(), inference="rdfs", abort_on_first=False,
        allow_warnings=True, meta_shacl=False, advanced=False, js=False,
    )
    found = []
    for result in report.subjects(RDF.type, SH.ValidationResult):
        message = report.value(result, SH.resultMessage)
        component = report.value(result, SH.sourceConstraintComponent)
        focus = report.value(result, SH.focusNode)
        # pySHACL names the focus node in some messages: without it, one
        # message per problem, whatever the node
        text = str(message).replace(f"<{focus}>", "the focus node") if message is not None \
            else _short(component)
        found.append(Violation(
            path=_short(report.value(result, SH.resultPath)),
            message=text,
            focus=_short(focus),
            value=_short(report.value(result, SH.value)),
            severity=str(report.value(result, SH.resultSeverity)).rsplit("#", 1)[-1],
        ))
    return sorted(found)


def validate(data: Graph | str, rdf_format: str = "turtle") -> list[Violation]:
    """The results of severity sh:Violation: what makes the data non-conformant."""
    return [found for found in results(data, rdf_format) if found.severity == "Violation"]


def describe(violations: Iterable[Violation], examples: int = 3) -> str:
    """Violations grouped by (property, message), most frequent first, with a
    few focus nodes and values of each group."""
    groups: dict[tuple[str, str], list[Violation]] = defaultdict(list)
    for violation in violations:
        groups[(violation.path, violation.message)].append(violation)
    lines = []
    for (path, message), members in sorted(groups.items(), key=lambda item: -len(item[1])):
        lines.append(f"{len(members):4d} x {path}: {message}")
        for member in members[:examples]:
            lines.append(f"         {member.focus} -> {member.value}")
    total = sum(len(members) for members in groups.values())
    return f"{total} SHACL violation(s)\n" + "\n".join(lines)
