"""Validator internals that need no database."""
from __future__ import annotations

import pytest

from ckanext.plusresilient.logic.validators import _as_list, _date_bounds


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
