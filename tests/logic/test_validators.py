"""Validator internals that need no database."""
from __future__ import annotations

import pytest

from ckanext.plusresilient.logic.field_validators import _as_list, _date_bounds


@pytest.mark.parametrize("value, bounds", [
    ("2020", ("2020-01-01", "2020-12-31T99")),
    ("2024-02", ("2024-02-01", "2024-02-29T99")),
    ("2023-02", ("2023-02-01", "2023-02-28T99")),
    ("2021-06-15", ("2021-06-15", "2021-06-15T99")),
    ("2021-06-15T10:00:00", ("2021-06-15T10:00:00", "2021-06-15T10:00:00")),
    ("15/06/2021", None),
])
def test_partial_dates_cover_their_whole_period(value, bounds):
    assert _date_bounds(value) == bounds


@pytest.mark.parametrize("value, items", [
    (["a", "b"], ["a", "b"]),
    ('["a", "b"]', ["a", "b"]),
    ("a, b\nc", ["a", "b", "c"]),
    ("single", ["single"]),
    ('["unterminated', None),
    ({"a": 1}, None),
])
def test_lists_arrive_in_every_shape(value, items):
    assert _as_list(value) == items


@pytest.mark.parametrize("value, url", [
    ("https://dati.veneto.it/dataset/x", "https://dati.veneto.it/dataset/x"),
    ("  HTTP://Example.org:8080/a?b=c#d ", "HTTP://Example.org:8080/a?b=c#d"),
    ("http://127.0.0.1:5001/fr/datasets/x/", "http://127.0.0.1:5001/fr/datasets/x/"),
    ("https://example.org/some file.csv", "https://example.org/some file.csv"),
    ("javascript:alert(1)", None),
    ("JAVASCRIPT:alert(1)", None),
    ("  javascript:alert(1)", None),
    ("java\tscript:alert(1)", None),
    ("\x01javascript:alert(1)", None),
    ("data:text/html,<script>alert(1)</script>", None),
    ("vbscript:msgbox(1)", None),
    ("ftp://example.org/spec", None),
    ("//example.org/x", None),
    ("https://", None),
    ("https://user:secret@example.org/", None),
    ("https://example.org:port/", None),
    ("https://exa mple.org/", None),
    ("https://example.org/\nx", None),
    ("", None),
    (None, None),
    (42, None),
])
def test_http_url_takes_http_and_https_only(value, url):
    from ckanext.plusresilient.field_values import http_url

    assert http_url(value) == url
