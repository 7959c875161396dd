"""The names the profile publishes under: namespaces, field tables, SVRC scheme URIs.

Both halves of the profile (``serialise`` and ``parse``) walk the same
tables of fields and vocabularies and build or recognise the same concept
URIs, so they are written once, here, with the two readers of a record's
values they share.
"""
from __future__ import annotations

import json
from typing import Any

from rdflib import Namespace, URIRef

from ckanext.dcat.profiles import DCAT, DCT, SKOS

from ckanext.plusresilient import vocabularies

#: The namespace of the SVRC properties (svrc:scenario, svrc:tableSchema...).
SVRC = Namespace("https://w3id.org/plusresilient/svrc#")

#: Where the SVRC concept schemes live: <base><scheme>/<code>.
SVRC_SCHEME_BASE = "https://w3id.org/plusresilient/svrc/"


#: The prefix of the NUTS URIs (Eurostat's NUTS linked data).
NUTS_BASE = "http://data.europa.eu/nuts/code/"

#: Dataset fields whose values are EU authority concepts:
#: (field, vocabulary, predicate, several values?, rdf:type of the concept).
EU_FIELDS: tuple[tuple[str, str, URIRef, bool, URIRef], ...] = (
    ("theme", "data_themes", DCAT.theme, True, SKOS.Concept),
    ("language", "languages", DCT.language, True, DCT.LinguisticSystem),
    ("frequency", "frequencies", DCT.accrualPeriodicity, False, DCT.Frequency),
    ("access_rights", "access_rights", DCT.accessRights, False, DCT.RightsStatement),
)

#: The SVRC classification: (field, vocabulary, predicate, scheme name).
SVRC_FIELDS: tuple[tuple[str, str, URIRef, str], ...] = (
    ("svrc_scenario", "scenarios", SVRC.scenario, "scenario"),
    ("si_area", "si_areas", SVRC.socialInnovationArea, "si-area"),
    ("od_category", "od_categories", SVRC.openDataCategory, "od-category"),
    ("helix_actor", "helix_actors", SVRC.helixActor, "helix-actor"),
)

# The vocabulary of each scheme, to find a scheme from its name.
_SCHEME_VOCABULARY = {scheme: name for _, name, _, scheme in SVRC_FIELDS}


def svrc_scheme_uri(scheme: str) -> str:
    """The URI of an SVRC concept scheme, e.g. ``.../svrc/scenario``.

    A vocabulary file that declares its own ``scheme_uri`` wins.
    """
    vocabulary = vocabularies.get(_SCHEME_VOCABULARY[scheme])
    return vocabulary.scheme_uri or f"{SVRC_SCHEME_BASE}{scheme}"


def svrc_term_uri(scheme: str, term: vocabularies.Term) -> str:
    """The URI of an SVRC concept: the term's own ``uri`` if the vocabulary
    gives one, else ``<scheme URI>/<code>``; the list of terms is the
    vocabulary file, never a copy of it."""
    return term.uri or f"{svrc_scheme_uri(scheme)}/{term.code}"


def _as_list(value: Any) -> list[Any]:
    """Field values as a list: package_show gives lists, older dicts JSON."""
    if value is None or value == "":
        return []
    if isinstance(value, (list, tuple)):
        return [item for item in value if item not in (None, "")]
    if isinstance(value, str):
        text = value.strip()
        if text.startswith("["):
            try:
                loaded = json.loads(text)
            except ValueError:
                return [text]
            return loaded if isinstance(loaded, list) else [loaded]
        return [text]
    return [value]


def _term(vocabulary: vocabularies.Vocabulary, value: Any) -> vocabularies.Term | None:
    """The term for a code (any case) or its URI, as the validators read it."""
    code = vocabulary.normalise(str(value)) if value not in (None, "") else None
    return vocabulary.get(code) if code else None
