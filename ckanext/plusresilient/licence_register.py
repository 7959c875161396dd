"""CKAN's licence register (``licenses_group_url``), built from the licences vocabulary.

CKAN shows a dataset's licence title and link, and says whether it is open,
from its licence register; by default that is CKAN's own short list, which
lacks the licences the MED portals use (Licence Ouverte, IODL, the CC 3.0
ports...): a harvested ``etalab-2.0`` dataset had no title, no link and was
absent from ``license_list``. The register shipped here (``licences.json``
next to the vocabulary) lists every term of ``vocabularies/licences.yaml`` in
the format CKAN reads, so the vocabulary stays the one source: the schema's
choices, the harvesters' mapping, the DCAT URIs and CKAN's register all come
from it. The JSON is generated, not written by hand, and a test fails when it
is stale; rebuild it with::

    python -m ckanext.plusresilient.licence_register

The plugin points CKAN at it unless the site set ``licenses_group_url``
itself (see :func:`use_by_default`).

Each entry carries CKAN's keys (``id``, ``title``, ``url``, ``od_conformance``
"approved" for open licences, which is what CKAN's ``isopen`` reads,
``is_generic`` for "other" and "not specified"...) and two of ours that CKAN
passes through ``license_list``: ``eu_uri``, the EU authority concept, and
``title_translated``, the title in the portal's eight languages.
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any, MutableMapping

from ckanext.plusresilient import vocabularies

__all__ = ["REGISTER_FILE", "entries", "render", "register_url", "use_by_default"]

REGISTER_FILE: Path = vocabularies.VOCABULARY_DIR / "licences.json"

#: Licences that name a kind rather than a text: no url of their own.
_GENERIC = frozenset({"other-open", "other-pd", "other-at", "other-closed", "notspecified"})


def _entry(term: vocabularies.Term) -> dict[str, Any]:
    is_open = bool(term.extra.get("open"))
    entry: dict[str, Any] = {
        "id": term.code,
        "title": term.label("en"),
        "url": "" if term.code in _GENERIC else str(term.extra.get("url") or ""),
        "od_conformance": "approved" if is_open else "not reviewed",
        "osd_conformance": "not reviewed",
        "status": "active",
        "maintainer": "",
        "family": "",
        "is_generic": term.code in _GENERIC,
        "domain_content": True,
        "domain_data": True,
        "domain_software": False,
        "title_translated": dict(term.labels),
    }
    if term.uri:
        entry["eu_uri"] = term.uri
    return entry


def entries() -> list[dict[str, Any]]:
    """One register entry per licence, in the vocabulary's order."""
    return [_entry(term) for term in vocabularies.get("licences")]


def render() -> str:
    """The register file's text (stable, so the freshness test can compare it)."""
    return json.dumps(entries(), ensure_ascii=False, indent=2) + "\n"


def register_url() -> str:
    """The shipped register as CKAN reads a local file: ``file://`` + the path
    (CKAN strips the prefix and opens the rest as it is)."""
    return "file://" + str(REGISTER_FILE)


def use_by_default(config: MutableMapping[str, Any]) -> None:
    """Point CKAN at the shipped register unless the site chose its own.

    CKAN builds its register once per process, on first use, and keeps it on
    ``model.Package``; one built before this point (another configuration
    loaded in the same process, as tests do) is dropped so the next use reads
    this one.
    """
    if config.get("licenses_group_url"):
        return
    config["licenses_group_url"] = register_url()
    try:
        from ckan import model
    except ImportError:  # pragma: no cover - outside CKAN (the generator)
        return
    if "_license_register" in vars(model.Package):
        del model.Package._license_register


def main() -> None:
    REGISTER_FILE.write_text(render(), encoding="utf-8")
    print(f"wrote {len(entries())} licences to {REGISTER_FILE}")


if __name__ == "__main__":
    main()
