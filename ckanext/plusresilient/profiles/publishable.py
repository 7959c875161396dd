"""What may be published as an IRI, and what the portal publishes instead.

A record's own value becomes an IRI in three places: the profile's
properties, ckanext-dcat's, and the dataset and distribution URIs (the
plugin's IDCATURIGenerator). All three ask ``valid_uri`` here, so a value
rdflib would refuse to write never takes the catalogue down.
"""
from __future__ import annotations

import logging
import re
from typing import Any
from urllib.parse import urlsplit

from rdflib import URIRef

from ckanext.dcat.utils import catalog_uri, dataset_id_from_resource

# The package's logger: the whole profile logs under one name.
log = logging.getLogger(__package__)

# -- what may be published -------------------------------------------------------------
# The validators refuse what can become no URI, but older records (and
# extras, which no schema field covers) may still hold such values; rdflib
# refuses to write one IRI it finds invalid, which took the whole catalogue
# down (issue 15). Whatever the profiles wrote, nothing unpublishable leaves.

#: schemes a published IRI may have (never javascript:, data:...)
_URI_SCHEMES = frozenset({"http", "https", "ftp", "mailto", "urn"})
#: characters no IRI holds (rdflib's own list, which also makes Turtle fail)
_NOT_IN_IRI = frozenset('<>" {}|\\^`')
#: characters XML 1.0 cannot hold: one in a literal makes the RDF/XML unreadable
_NOT_IN_XML = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def valid_uri(value: Any) -> bool:
    """Whether ``value`` is an absolute IRI that Turtle, RDF/XML and JSON-LD
    all write and read back: an http(s) or ftp URL with a host, a ``mailto:``
    or ``urn:``; no blank, control, invisible or markup character."""
    if not isinstance(value, str) or not value.isprintable() or _NOT_IN_IRI.intersection(value):
        return False
    scheme, colon, rest = value.partition(":")
    if not colon or not rest or scheme.lower() not in _URI_SCHEMES:
        return False
    if scheme.lower() in ("mailto", "urn"):
        return True
    try:
        parts = urlsplit(value)
        _ = parts.port  # a port that is not a number
    except ValueError:
        return False
    return bool(parts.hostname)


def _checked_uri(value: str, owner: str, field: str) -> URIRef | None:
    """``value`` as a URIRef, or None (logged, naming the record and the
    field) when it is no valid absolute IRI: the one way this profile makes
    a URIRef out of a record's own value."""
    if valid_uri(value):
        return URIRef(value)
    log.warning("%s: %s %r is not a valid absolute URI, not published", owner, field, value[:200])
    return None


def _owner(dataset_dict: dict[str, Any]) -> str:
    """How log lines name a dataset."""
    return str(dataset_dict.get("name") or dataset_dict.get("id") or "?")


def published_dataset_uri(dataset_dict: dict[str, Any], uri: str) -> str | None:
    """IDCATURIGenerator.dataset_uri: a dataset's ``uri`` (an extra any API
    client may set) becomes the subject of all its triples and an object of
    the catalogue's; when it is no valid IRI, the dataset's page on this
    portal is its URI instead. None keeps ``uri``."""
    if valid_uri(uri) or not dataset_dict.get("id"):
        return None
    log.warning("%s: uri %r is not a valid absolute URI, the portal's own is published",
                _owner(dataset_dict), str(uri)[:200])
    return f"{catalog_uri().rstrip('/')}/dataset/{dataset_dict['id']}"


def published_resource_uri(resource_dict: dict[str, Any], uri: str) -> str | None:
    """IDCATURIGenerator.resource_uri: the same for a distribution's ``uri``."""
    if valid_uri(uri) or not resource_dict.get("id"):
        return None
    log.warning("resource %s: uri %r is not a valid absolute URI, the portal's own is published",
                resource_dict["id"], str(uri)[:200])
    return (f"{catalog_uri().rstrip('/')}/dataset/{dataset_id_from_resource(resource_dict)}"
            f"/resource/{resource_dict['id']}")
