"""The demo's content (``content/*.yaml``), read and cross-checked.

The files are written by hand; a typo in a cluster name or a dataset title
should stop the load before anything is written, with a message naming the
file and the entry, rather than half-way through with a CKAN validation
error about something else.
"""
from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

from ckanext.plusresilient.demo.apis import portal_paths
from ckanext.plusresilient.vocabularies import read_yaml

CONTENT_DIR = Path(__file__).resolve().parent / "content"


@dataclasses.dataclass(frozen=True)
class DatasetRef:
    """A harvested dataset, named by its sample portal and its title there
    (its name on this portal is chosen by the harvester)."""

    portal: str
    title: str

    def __str__(self) -> str:
        return f"'{self.title}' of the sample {self.portal} portal"


@dataclasses.dataclass(frozen=True)
class Content:
    clusters: list[dict[str, Any]]
    sources: list[dict[str, Any]]
    training: list[dict[str, Any]]
    use_cases: list[dict[str, Any]]
    users: list[dict[str, Any]]
    feedback: list[dict[str, Any]]

    def source_for(self, portal: str) -> dict[str, Any]:
        return next(source for source in self.sources if source["portal"] == portal)


def load_content(directory: Path = CONTENT_DIR) -> Content:
    """Every section, with each reference checked; ValueError otherwise."""
    sections = {name: _section(directory / f"{file}.yaml", name) for file, name in (
        ("clusters", "clusters"), ("sources", "sources"), ("training", "training"),
        ("use_cases", "use_cases"), ("community", "users"), ("community", "feedback"))}
    content = Content(**sections)
    _check(content)
    return content


def _section(path: Path, key: str) -> list[dict[str, Any]]:
    data = read_yaml(path) or {}
    items = data.get(key)
    if not isinstance(items, list) or not all(isinstance(item, dict) for item in items):
        raise ValueError(f"{path.name}: '{key}' must be a list of entries")
    return items


def dataset_refs(entry: dict[str, Any], key: str = "datasets_used") -> list[DatasetRef]:
    values = entry.get(key) or []
    return [DatasetRef(portal=value["portal"], title=value["title"]) for value in values]


def _check(content: Content) -> None:
    clusters = {cluster["name"] for cluster in content.clusters}
    portals = set(portal_paths())
    users = {user["name"] for user in content.users}
    problems = []
    for kind, entries in (("sources", content.sources), ("training", content.training),
                          ("use_cases", content.use_cases)):
        for entry in entries:
            if entry.get("cluster") not in clusters:
                problems.append(f"{kind} {entry.get('name')}: unknown cluster {entry.get('cluster')!r}")
    for source in content.sources:
        if source.get("portal") not in portals:
            problems.append(f"sources {source.get('name')}: unknown portal {source.get('portal')!r}")
    if sorted(source["portal"] for source in content.sources) != sorted(portals):
        problems.append(f"sources: one source per sample portal is expected ({', '.join(sorted(portals))})")
    for use_case in content.use_cases:
        for ref in dataset_refs(use_case):
            if ref.portal not in portals:
                problems.append(f"use_cases {use_case['name']}: unknown portal {ref.portal!r}")
    for item in content.feedback:
        if item.get("user") not in users:
            problems.append(f"feedback on {item.get('title')!r}: unknown user {item.get('user')!r}")
        if item.get("portal") not in portals:
            problems.append(f"feedback on {item.get('title')!r}: unknown portal {item.get('portal')!r}")
    names = [entry["name"] for entry in (*content.training, *content.use_cases)]
    duplicates = sorted({name for name in names if names.count(name) > 1})
    if duplicates:
        problems.append(f"names used twice: {', '.join(duplicates)}")
    if problems:
        raise ValueError("the demo content is inconsistent: " + "; ".join(problems))
