"""Validator internals that need no database."""
from __future__ import annotations

import pytest

from ckanext.plusresilient import vocabularies
from ckanext.plusresilient.logic.validators import _as_list, _date_bounds, normalise_code


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


def test_codes_are_normalised_from_case_and_uri():
    themes = vocabularies.get("data_themes")
    assert normalise_code(themes, "soci") == "SOCI"
    assert normalise_code(themes, "http://publications.europa.eu/resource/authority/data-theme/SOCI") == "SOCI"
    assert normalise_code(themes, "https://publications.europa.eu/resource/authority/data-theme/SOCI/") == "SOCI"
    assert normalise_code(themes, "SOCIAL") is None
    assert normalise_code(themes, 42) is None
