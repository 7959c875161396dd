"""A portal's licence, however it writes it, as a code of our licence register.

Portals name a licence in their own words: udata ids (``lov2``, ``fr-lo``),
Socrata ``licenseId``s (``CC_30_BY``) and names, OpenDataSoft names
("Licence Ouverte (Etalab)"), CKAN ids of other sites (``CC-BY-4.0``),
dati.gov.it's licence vocabulary, a licence page, an EU authority URI. All of
them are written in one place, the licences vocabulary
(``vocabularies/licences.yaml``: each term's code, EU URI, url and
``portal_names``), which is also what CKAN's licence register and the DCAT
profile are built from, so a licence the harvesters know is always one the
portal can show and export.

Values are compared folded: case, accents, runs of spaces, ``http``/``https``,
``www.``, a trailing slash and a Creative Commons ``legalcode`` or ``deed.xx``
suffix do not matter. Pure Python apart from the vocabularies.
"""
from __future__ import annotations

import functools
import re
import unicodedata
from typing import Any, Iterable, Mapping

from ckanext.plusresilient import vocabularies

__all__ = ["UNKNOWN", "licence_code", "alias_index", "fold"]

#: What a dataset gets when its licence is missing or unknown: CKAN's
#: "License not specified", which the quality score reads as no licence.
UNKNOWN = "notspecified"

_CC_SUFFIX = re.compile(r"/(?:legalcode(?:\.[a-z-]+)?|deed\.[a-z-]+)$")


def fold(value: str) -> str:
    """The form values are compared in (see the module docstring)."""
    text = unicodedata.normalize("NFKD", value.strip().lower())
    text = "".join(c for c in text if not unicodedata.combining(c))
    text = re.sub(r"\s+", " ", text)
    if "://" in text:
        text = re.sub(r"^https?://(?:www\.)?", "https://", text)
        text = text.rstrip("/")
        text = _CC_SUFFIX.sub("", text).rstrip("/")
    return text


def alias_index(terms: Iterable[Mapping[str, Any]]) -> dict[str, str]:
    """Folded url and ``portal_names`` of each term -> its code.

    Raises ValueError when one value names two licences: a mapping that
    depends on the order of the file would be a silent mistake.
    """
    index: dict[str, str] = {}
    for term in terms:
        code = term["code"]
        values = [term.get("url"), *(term.get("portal_names") or [])]
        for value in values:
            if not value:
                continue
            key = fold(str(value))
            if index.setdefault(key, code) != code:
                raise ValueError(f"licence alias {key!r} names both {index[key]!r} and {code!r}")
    return index


@functools.lru_cache(maxsize=1)
def _index() -> dict[str, str]:
    terms = vocabularies.get("licences").terms
    return alias_index({"code": t.code, **t.extra} for t in terms)


def licence_code(value: str | None) -> str:
    """Our licence code for a code (any case), an EU URI, a licence's url or
    any of its ``portal_names`` in the vocabulary; ``notspecified`` for anything else."""
    if not value or not str(value).strip():
        return UNKNOWN
    value = str(value)
    code = vocabularies.get("licences").normalise(value)
    return code or _index().get(fold(value), UNKNOWN)
