"""Freshness: every frequency of the vocabulary, the boundaries of "late",
missing and partial dates, time zones.

Pure Python, no CKAN stack needed:
    python -m pytest tests/quality/test_freshness.py -p no:ckan -o addopts=""
"""
from __future__ import annotations

import datetime
import json
from pathlib import Path

import pytest
import yaml

from ckanext.plusresilient.quality import freshness
from ckanext.plusresilient.quality.freshness import (
    LATE,
    NO_PERIOD,
    PERIODS,
    UNKNOWN,
    UP_TO_DATE,
    assess,
    assess_values,
    parse_moment,
)

UTC = datetime.timezone.utc
VOCABULARY = (Path(freshness.__file__).parents[1] / "vocabularies" / "frequencies.yaml")


def at(*parts: int) -> datetime.datetime:
    return datetime.datetime(*parts, tzinfo=UTC)


def vocabulary_codes() -> list[str]:
    return [term["code"] for term in yaml.safe_load(VOCABULARY.read_text())["terms"]]


# -- the vocabulary ---------------------------------------------------------------------

def test_every_frequency_of_the_vocabulary_is_either_periodic_or_promises_nothing():
    codes = set(vocabulary_codes())
    assert codes == set(PERIODS) | NO_PERIOD
    assert not set(PERIODS) & NO_PERIOD


#: code -> (modified, the last moment still up to date)
DUE = {
    "TRIENNIAL": ("2020-03-15", at(2023, 3, 15, 23, 59, 59)),
    "BIENNIAL": ("2020-03-15", at(2022, 3, 15, 23, 59, 59)),
    "ANNUAL": ("2020-03-15", at(2021, 3, 15, 23, 59, 59)),
    "ANNUAL_2": ("2020-03-15", at(2020, 9, 15, 23, 59, 59)),
    "ANNUAL_3": ("2020-03-15", at(2020, 7, 15, 23, 59, 59)),
    "QUARTERLY": ("2020-03-15", at(2020, 6, 15, 23, 59, 59)),
    "BIMONTHLY": ("2020-03-15", at(2020, 5, 15, 23, 59, 59)),
    "MONTHLY": ("2020-03-15", at(2020, 4, 15, 23, 59, 59)),
    "MONTHLY_2": ("2020-03-15", at(2020, 3, 31, 23, 59, 59)),
    "BIWEEKLY": ("2020-03-15", at(2020, 3, 29, 23, 59, 59)),
    "WEEKLY": ("2020-03-15", at(2020, 3, 22, 23, 59, 59)),
    "DAILY": ("2020-03-15", at(2020, 3, 16, 23, 59, 59)),
    "HOURLY": ("2020-03-15T10:20:30", at(2020, 3, 15, 11, 20, 30)),
}


def test_the_table_of_due_moments_covers_every_periodic_frequency():
    assert set(DUE) == set(PERIODS)


@pytest.mark.parametrize("code", sorted(DUE))
def test_each_period_is_up_to_date_to_its_last_second_and_late_after(code):
    modified, last_fresh = DUE[code]

    on_time = assess_values(code, modified, None, last_fresh)
    late = assess_values(code, modified, None, last_fresh + datetime.timedelta(seconds=1))

    assert on_time.status == UP_TO_DATE and on_time.expected_by == last_fresh
    assert late.status == LATE and late.expected_by == last_fresh
    assert on_time.frequency == late.frequency == code
    assert on_time.last_update_source == "declared"


@pytest.mark.parametrize("code", sorted(NO_PERIOD))
def test_frequencies_without_a_period_are_unknown_whatever_the_dates(code):
    verdict = assess_values(code, "2001-01-01", "2001-01-01T00:00:00", at(2030, 1, 1))
    assert verdict.status == UNKNOWN
    assert verdict.reason == "no_period"
    assert verdict.expected_by is None
    assert verdict.frequency == code


@pytest.mark.parametrize("frequency", [None, "", "   ", 7, ["ANNUAL"]])
def test_no_declared_frequency_is_unknown(frequency):
    verdict = assess_values(frequency, "2001-01-01", None, at(2030, 1, 1))
    assert (verdict.status, verdict.reason, verdict.frequency) == (UNKNOWN, "no_frequency", None)


def test_a_code_outside_the_table_is_unknown_not_an_error():
    assert assess_values("QUINQUENNIAL", "2001", None, at(2030, 1, 1)).reason == "no_period"


@pytest.mark.parametrize("written", ["monthly", " Monthly ",
                                     "http://publications.europa.eu/resource/authority/frequency/MONTHLY"])
def test_the_code_is_read_in_any_case_or_as_its_uri(written):
    assert assess_values(written, "2020-03-15", None, at(2020, 5, 1)).frequency == "MONTHLY"
    assert assess_values(written, "2020-03-15", None, at(2020, 5, 1)).status == LATE


# -- which date ------------------------------------------------------------------------

def test_the_declared_modification_date_wins_over_the_portals_last_change():
    """A harvest re-import bumps metadata_modified; the source's date says
    when the data changed, and it is what the DCAT export publishes."""
    verdict = assess_values("ANNUAL", "2020-01-10", "2024-06-01T08:00:00.123456", at(2024, 6, 2))
    assert verdict.status == LATE
    assert verdict.last_update == at(2020, 1, 10, 23, 59, 59)
    assert verdict.last_update_source == "declared"


def test_without_a_declared_date_the_portals_last_change_counts():
    verdict = assess_values("WEEKLY", None, "2024-06-01T08:00:00.123456", at(2024, 6, 8, 8))
    assert verdict.status == UP_TO_DATE
    assert verdict.last_update_source == "portal"
    assert verdict.expected_by == at(2024, 6, 8, 8, 0, 0, 123456)
    assert assess_values("WEEKLY", None, "2024-06-01T08:00:00.123456",
                         at(2024, 6, 8, 8, 0, 1)).status == LATE


@pytest.mark.parametrize("modified, metadata_modified", [
    (None, None), ("", ""), ("not a date", None), ("2024-02-30", None), ("2024-13", None)])
def test_no_date_at_all_is_unknown(modified, metadata_modified):
    verdict = assess_values("MONTHLY", modified, metadata_modified, at(2024, 6, 1))
    assert (verdict.status, verdict.reason) == (UNKNOWN, "no_date")
    assert verdict.last_update is None and verdict.expected_by is None


def test_an_unreadable_declared_date_falls_back_to_the_portals():
    verdict = assess_values("MONTHLY", "sometime", "2024-05-20T00:00:00", at(2024, 6, 1))
    assert (verdict.status, verdict.last_update_source) == (UP_TO_DATE, "portal")


def test_a_declared_date_in_the_future_is_not_believed():
    now = at(2024, 6, 1, 12)
    tomorrow_in_kiribati = assess_values("DAILY", "2024-06-02", "2024-01-01T00:00:00", now)
    next_year = assess_values("DAILY", "2025-06-01", "2024-01-01T00:00:00", now)
    assert tomorrow_in_kiribati.last_update_source == "declared"  # within a day: time zones
    assert (next_year.last_update_source, next_year.status) == ("portal", LATE)


# -- partial dates, times and zones --------------------------------------------------

@pytest.mark.parametrize("value, first, last", [
    ("2024", at(2024, 1, 1), at(2024, 12, 31, 23, 59, 59)),
    ("2024-02", at(2024, 2, 1), at(2024, 2, 29, 23, 59, 59)),
    ("2023-02", at(2023, 2, 1), at(2023, 2, 28, 23, 59, 59)),
    ("2024-03-15", at(2024, 3, 15), at(2024, 3, 15, 23, 59, 59)),
    ("2024-03-15T10:20:30", at(2024, 3, 15, 10, 20, 30), at(2024, 3, 15, 10, 20, 30)),
    ("2024-03-15T10:20:30Z", at(2024, 3, 15, 10, 20, 30), at(2024, 3, 15, 10, 20, 30)),
    ("2024-03-15T12:20:30+02:00", at(2024, 3, 15, 10, 20, 30), at(2024, 3, 15, 10, 20, 30)),
    (datetime.date(2024, 3, 15), at(2024, 3, 15), at(2024, 3, 15, 23, 59, 59)),
    (datetime.datetime(2024, 3, 15, 10), at(2024, 3, 15, 10), at(2024, 3, 15, 10)),
])
def test_a_date_means_every_moment_of_its_precision(value, first, last):
    assert parse_moment(value) == (first, last)


def test_a_partial_date_is_judged_by_its_last_moment():
    """The 2023 edition, annual: the next one is due by the end of 2024."""
    assert assess_values("ANNUAL", "2023", None, at(2024, 12, 31, 23, 59, 59)).status == UP_TO_DATE
    assert assess_values("ANNUAL", "2023", None, at(2025, 1, 1)).status == LATE


@pytest.mark.parametrize("modified, expected", [
    ("2024-01-31", at(2024, 2, 29, 23, 59, 59)),   # a shorter month: its last day
    ("2024-02", at(2024, 3, 31, 23, 59, 59)),      # the end of a month: the end of the next
    ("2023-11-30", at(2023, 12, 31, 23, 59, 59)),
    ("2024-12-15", at(2025, 1, 15, 23, 59, 59)),   # over the year's end
])
def test_months_are_calendar_months(modified, expected):
    assert assess_values("MONTHLY", modified, None, at(2030, 1, 1)).expected_by == expected


def test_aware_and_naive_moments_agree_when_they_are_the_same_instant():
    naive_now = datetime.datetime(2024, 6, 1, 10)
    aware_now = datetime.datetime(2024, 6, 1, 12, tzinfo=datetime.timezone(datetime.timedelta(hours=2)))
    for modified in ("2024-05-31T10:00:00", "2024-05-31T12:00:00+02:00", "2024-05-31T10:00:00Z"):
        assert assess_values("DAILY", modified, None, naive_now) == \
            assess_values("DAILY", modified, None, aware_now), modified


def test_an_offset_moves_the_instant():
    """10:30 in Athens (+03:00) is 07:30 UTC: due 08:30 UTC, hourly."""
    verdict = assess_values("HOURLY", "2024-06-01T10:30:00+03:00", None, at(2024, 6, 1, 8, 30, 1))
    assert verdict.expected_by == at(2024, 6, 1, 8, 30)
    assert verdict.status == LATE


def test_every_moment_returned_is_utc():
    verdict = assess_values("MONTHLY", "2024-03-15T12:00:00+05:00", None,
                            datetime.datetime(2024, 3, 20))
    assert verdict.last_update.utcoffset() == verdict.expected_by.utcoffset() == datetime.timedelta(0)


# -- the dataset dict and the stored form ----------------------------------------------

def test_a_dataset_dict_is_read_as_package_show_gives_it():
    dataset = {"frequency": "QUARTERLY", "modified": "2024-01-15",
               "metadata_modified": "2024-06-01T00:00:00.000001"}
    assert assess(dataset, at(2024, 4, 15, 23, 59, 59)).status == UP_TO_DATE
    assert assess(dataset, at(2024, 4, 16)).status == LATE
    assert assess({}, at(2024, 4, 16)).status == UNKNOWN


def test_the_stored_form_is_plain_json():
    verdict = assess_values("MONTHLY", "2024-03-15", None, at(2024, 5, 1))
    stored = json.loads(json.dumps(verdict.to_dict()))
    assert stored == {"status": "late", "frequency": "MONTHLY",
                      "last_update": "2024-03-15T23:59:59+00:00", "last_update_source": "declared",
                      "expected_by": "2024-04-15T23:59:59+00:00", "reason": None}
    assert assess_values(None, None, None, at(2024, 5, 1)).to_dict()["expected_by"] is None


def test_the_verdict_of_a_moment_can_be_recomputed_later():
    """The search index recomputes the verdict for the moment the dataset was
    scored: the same inputs and moment give the same verdict."""
    dataset = {"frequency": "WEEKLY", "metadata_modified": "2024-06-01T08:00:00"}
    scored_at = datetime.datetime(2024, 6, 5, 9)
    assert assess(dataset, scored_at) == assess(dict(dataset), scored_at)
    assert assess(dataset, scored_at).status == UP_TO_DATE
