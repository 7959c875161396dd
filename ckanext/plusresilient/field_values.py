"""What a URL, a media type or a file format may be, wherever a value comes from.

The schema's validators (logic/field_validators.py) refuse what fails here,
and the harvest mapping (harvesters/mapping.py) drops it, with the same
functions, so a harvested value and a typed one obey one rule. Plain
functions of a value, no CKAN: both sides import them from below.
"""
from __future__ import annotations

import json
import re
from typing import Any
from urllib.parse import urlsplit

__all__ = [
    "CONTROL",
    "HTTP_SCHEMES",
    "MARKUP",
    "RESOURCE_SCHEMES",
    "http_url",
    "media_type",
    "resource_format",
    "shown",
    "unprintable",
    "values_of",
]

# -- URLs --------------------------------------------------------------------------------
# A URL field is shown as a link. With any other scheme than http(s) —
# javascript:, data:, vbscript: — a click runs script on the portal's own
# origin, so links are refused at the schema, dropped by the harvest mapping
# (which calls the same functions) and, for values stored before, shown as
# text by the templates.

HTTP_SCHEMES = ("http", "https")
#: a resource may also be downloaded over FTP (CKAN's ``ckan.valid_url_schemes``)
RESOURCE_SCHEMES = ("http", "https", "ftp")
CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_HOST = re.compile(r"^[A-Za-z0-9.-]+$")
# Never part of a URI (RFC 3986), and what markup is made of: a URL holding
# them is someone's HTML, and rdflib refuses to write it as an IRI.
MARKUP = re.compile(r"[<>\"`]")


def unprintable(text: str) -> bool:
    """Control, format and separator characters (NUL, U+202E, U+2028...):
    invisible in a link, refused in an IRI. The plain space is allowed:
    CKAN takes ``some file.csv`` links, and the DCAT profile encodes them."""
    return not text.replace(" ", "").isprintable()


def shown(value: Any, limit: int = 80) -> str:
    """A refused value as a message quotes it: short, with no control
    characters (a 100,000-character value is not echoed back whole)."""
    text = CONTROL.sub("\ufffd", str(value))
    return text if len(text) <= limit else text[:limit] + "…"


def http_url(value: Any, schemes: tuple[str, ...] = HTTP_SCHEMES) -> str | None:
    """``value`` without surrounding blanks when it is an absolute URL of one
    of ``schemes`` with a plain host (letters, digits, dots, hyphens, and an
    optional numeric port: the host rule of CKAN's ``url_validator``, which
    the harvested ``url`` must pass too); None otherwise.

    Browsers drop leading blanks, and tabs or newlines anywhere, before
    reading the scheme (``java<TAB>script:`` is ``javascript:``): control
    characters are refused outright, and the scheme is read by ``urlsplit``,
    which reads it as a browser does. Credentials in the address (``https://trusted.example@elsewhere``) are
    refused as well, and so are the characters no URI holds and markup is
    made of (``<>"` ``) and invisible ones (U+202E, U+2028...): the DCAT
    profile writes these values as IRIs, which cannot hold them.
    """
    if not isinstance(value, str):
        return None
    text = value.strip()
    if not text or CONTROL.search(text) or MARKUP.search(text) or unprintable(text):
        return None
    try:
        parts = urlsplit(text)
        _ = parts.port  # raises ValueError on a port that is not a number
    except ValueError:
        return None
    if parts.scheme.lower() not in schemes or not parts.netloc or "@" in parts.netloc:
        return None
    if not parts.hostname or not _HOST.match(parts.hostname):
        return None
    return text


# -- media types and formats --------------------------------------------------------------
# DCAT-AP publishes both as URIs (dcat:mediaType an IANA URI, dct:format the
# EU file-type URI); ckanext-dcat writes a format holding a "/" as a media
# type. A value that can become neither, markup above all, is refused here
# and dropped by the harvest mapping (which calls the same functions), so one
# resource can never make the catalogue unwritable.

# RFC 6838 restricted names; parameters as ``; charset=utf-8`` (a token, or a
# quoted string without markup).
_RESTRICTED_NAME = r"[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]{0,126}"
_PARAMETER = r" *; *[A-Za-z0-9!#$&^_.+-]+=(?:[A-Za-z0-9!#$&^_.+-]+|\"[^\"\\<>\x00-\x1f\x7f]*\")"
_MEDIA_TYPE = re.compile(rf"^{_RESTRICTED_NAME}/{_RESTRICTED_NAME}(?:{_PARAMETER})*$")
#: a file format as CKAN's format field holds it: CSV, XLSX, .geojson, ESRI Shapefile, JSON-LD
_FORMAT_TOKEN = re.compile(r"^\.?[A-Za-z0-9][A-Za-z0-9 ._+()-]{0,39}$")


def media_type(value: Any) -> str | None:
    """``value`` without surrounding blanks when it is an IANA media type
    (``text/csv``, ``text/csv; charset=utf-8``) or an http(s) URI naming
    one; None otherwise."""
    if not isinstance(value, str):
        return None
    text = value.strip()
    if _MEDIA_TYPE.match(text):
        return text
    return http_url(text)


def resource_format(value: Any) -> str | None:
    """``value`` without surrounding blanks when it is a file format: a short
    name (``CSV``, ``ESRI Shapefile``: letters, digits, spaces and
    ``. _ + - ( )``, up to 40 characters after an optional leading dot), a
    media type (see :func:`media_type`) or an http(s) URI (the EU file-type
    authority's); None otherwise."""
    if not isinstance(value, str):
        return None
    text = value.strip()
    if _FORMAT_TOKEN.match(text):
        return text
    return media_type(text)


# -- lists ---------------------------------------------------------------------------------

def values_of(value: Any) -> list[str]:
    """A list field's values as texts, whichever way it came: one value, a
    list, or a JSON list as text (stored records, search results and remote
    portals give each of these). Empty values are left out."""
    if value in (None, ""):
        return []
    if isinstance(value, str):
        if not value.startswith("["):
            return [value]
        try:
            loaded = json.loads(value)
        except ValueError:
            return [value]
        if not isinstance(loaded, list):
            return [value]
        value = loaded
    if isinstance(value, (list, tuple)):
        return [item if isinstance(item, str) else str(item) for item in value if item]
    return [str(value)] if value else []  # a template's undefined value is falsy
