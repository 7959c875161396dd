"""The rules for values the DCAT profile publishes as URIs (issue 15).

A media type, a file format or a URL that can become no valid URI once
made rdflib refuse to write the whole catalogue. These are the pure
functions behind the schema's validators, the harvest mapping and the
profile's last check; ``tests/profiles/test_catalog_hostile.py`` drives them through
the API and the RDF endpoints.
"""
from __future__ import annotations

import pytest
from jinja2 import Undefined

from ckanext.plusresilient.field_values import http_url, media_type, resource_format, values_of
from ckanext.plusresilient.profiles import valid_uri

#: the value of the report: accepted by the form and the API, it made
#: /catalog.ttl answer 500 for everyone
EXPLOIT = '<script>alert(document.domain)</script>"><img src=x onerror=alert(1)>'


@pytest.mark.parametrize("value, expected", [
    ("text/csv", "text/csv"),
    ("  application/vnd.openxmlformats-officedocument.spreadsheetml.sheet ",
     "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
    ("application/ld+json", "application/ld+json"),
    ("text/csv; charset=utf-8", "text/csv; charset=utf-8"),
    ('text/csv;charset="utf-8"', 'text/csv;charset="utf-8"'),
    ("https://www.iana.org/assignments/media-types/text/csv",
     "https://www.iana.org/assignments/media-types/text/csv"),
    (EXPLOIT, None),
    ("text/csv; charset=<script>", None),
    ('text/csv; x="<b>"', None),
    ("text/csv;\ncharset=utf-8", None),
    ("text/csv\x00", None),
    ("csv please", None),
    ("CSV", None),
    ("javascript:alert(1)", None),
    ("text/" + "x" * 200, None),
    ("", None),
    (None, None),
    (["text/csv"], None),
])
def test_a_media_type_is_type_slash_subtype_or_a_uri(value, expected):
    assert media_type(value) == expected


@pytest.mark.parametrize("value, expected", [
    ("CSV", "CSV"),
    (" xlsx ", "xlsx"),
    (".geojson", ".geojson"),
    ("JSON-LD", "JSON-LD"),
    ("ESRI Shapefile", "ESRI Shapefile"),
    ("CSV (zip)", "CSV (zip)"),
    ("text/csv", "text/csv"),
    ("TEXT/CSV", "TEXT/CSV"),
    ("http://publications.europa.eu/resource/authority/file-type/CSV",
     "http://publications.europa.eu/resource/authority/file-type/CSV"),
    (EXPLOIT, None),
    ("<b>CSV</b>", None),
    ('CSV"', None),
    ("CSV / XLSX", None),
    ("CSV\nJSON", None),
    ("CSV\x01", None),
    ("città", None),
    ("x" * 41, None),
    ("javascript:alert(1)", None),
    ("", None),
    (None, None),
])
def test_a_format_is_a_short_name_a_media_type_or_a_uri(value, expected):
    assert resource_format(value) == expected


@pytest.mark.parametrize("value", [
    'https://example.org/"><script>alert(1)</script>',
    "https://example.org/<b>",
    "https://example.org/`x`",
    "https://example.org/a\u202eb",       # right-to-left override
    "https://example.org/a\u2028b",       # line separator
    "https://example.org/a\u00a0b",       # no-break space
])
def test_http_urls_refuse_markup_and_invisible_characters(value):
    assert http_url(value) is None


@pytest.mark.parametrize("value", [
    "https://example.org/some file.csv",  # CKAN takes it; the profile encodes the space
    "https://example.org/città",
    "https://example.org/a?b=c&d={e}",
])
def test_http_urls_keep_what_can_become_a_uri(value):
    assert http_url(value) == value


@pytest.mark.parametrize("value, valid", [
    ("https://example.org/dataset/1", True),
    ("http://publications.europa.eu/resource/authority/file-type/CSV", True),
    ("https://example.org/città", True),
    ("ftp://example.org/data.csv", True),
    ("mailto:opendata@example.org", True),
    ("urn:uuid:6e8bc430-9c3a-11d9-9669-0800200c9a66", True),
    ("https://www.iana.org/assignments/media-types/" + EXPLOIT, False),
    ("https://example.org/a b", False),
    ("https://example.org/a\nb", False),
    ("https://example.org/a\x01b", False),
    ("https://example.org/a\u202eb", False),
    ("https://example.org/{x}", False),
    ("javascript:alert(1)", False),
    ("data:text/html,x", False),
    ("SOCI", False),                      # a relative IRI: a code the euro profile wrote
    ("https://", False),
    ("https://example.org:port/", False),
    ("mailto:", False),
    ("", False),
])
def test_the_profile_publishes_only_absolute_uris_every_serialisation_reads_back(value, valid):
    assert valid_uri(value) is valid


@pytest.mark.parametrize("value, expected", [
    (None, []),
    ("", []),
    ("EL", ["EL"]),
    ('["EL", "IT"]', ["EL", "IT"]),
    ('["EL", "", null]', ["EL"]),
    ("[not json", ["[not json"]),
    ('["a"', ['["a"']),
    ('"quoted"', ['"quoted"']),
    (["EL", "", None, "IT"], ["EL", "IT"]),
    (("EL",), ["EL"]),
    ([2024, "EL"], ["2024", "EL"]),
    (7, ["7"]),
    (Undefined(), []),  # a field the form's data does not hold yet
])
def test_a_list_field_reads_the_same_whichever_way_it_came(value, expected):
    """One reader for search, the pages and the harvesters (there were four)."""
    assert values_of(value) == expected
