"""The combined quality score: formula, renormalisation, bands, monotonicity.

Pure Python, no CKAN stack needed:
    python -m pytest tests/quality/test_score.py -p no:ckan -o addopts=""
"""
from __future__ import annotations

import datetime
import itertools
import json

import pytest

from ckanext.plusresilient.quality.freshness import Freshness, assess_values
from ckanext.plusresilient.quality.metadata import band_for, score_metadata
from ckanext.plusresilient.quality.score import (
    BAND_THRESHOLDS,
    CommunitySummary,
    DataSummary,
    LinkSummary,
    overall_band,
    overall_score,
)


NOW = datetime.datetime(2026, 1, 1)


def metadata(points: int) -> dict:
    """A stored metadata score (MetadataScore.to_dict() shape)."""
    return {"points": points, "max_points": 405}


def test_the_formula_on_all_four_components():
    overall = overall_score(
        metadata(405),                                          # 100
        DataSummary(valid=1, invalid=1, errored=0, error_count=7),  # 50
        LinkSummary(checked=4, ok=3, broken=1),                 # 75
        CommunitySummary(ratings=3, average_rating=4.0, open_reports=1),  # 75 - 10
    )
    assert overall.components == {"metadata": 100.0, "data": 50.0, "links": 75.0,
                                  "community": 65.0, "freshness": None}
    assert overall.weights == pytest.approx({"metadata": 0.4, "data": 0.3, "links": 0.2,
                                             "community": 0.1})
    assert overall.score == pytest.approx(0.4 * 100 + 0.3 * 50 + 0.2 * 75 + 0.1 * 65)
    assert overall.score == pytest.approx(76.5)
    assert overall.band == "good"


LATE = Freshness("late")
UP_TO_DATE = Freshness("up_to_date")


def test_the_formula_on_all_five_components():
    """The four above with a late dataset: freshness 0 at weight 0.2, the
    five renormalised over 1.2."""
    overall = overall_score(
        metadata(405),
        DataSummary(valid=1, invalid=1, errored=0, error_count=7),
        LinkSummary(checked=4, ok=3, broken=1),
        CommunitySummary(ratings=3, average_rating=4.0, open_reports=1),
        LATE,
    )
    assert overall.components["freshness"] == 0.0
    assert overall.weights == pytest.approx({"metadata": 0.4 / 1.2, "data": 0.3 / 1.2,
                                             "links": 0.2 / 1.2, "community": 0.1 / 1.2,
                                             "freshness": 0.2 / 1.2})
    assert overall.score == pytest.approx(76.5 / 1.2)
    assert overall.band == "good"


@pytest.mark.parametrize("freshness, expected", [
    (UP_TO_DATE, 100.0), (LATE, 0.0), (Freshness("unknown"), None), (None, None),
    ({"status": "late"}, 0.0), ({"status": "up_to_date"}, 100.0), ({}, None),
])
def test_freshness_component(freshness, expected):
    """A verdict or its stored dict; unknown is no component at all."""
    assert overall_score(metadata(200), freshness=freshness).components["freshness"] == expected


def test_a_dataset_without_a_schedule_keeps_the_score_it_had_before_freshness():
    unknown = assess_values(None, "2020-01-01", None, NOW)
    for points in (0, 120, 260, 405):
        args = (metadata(points), DataSummary(valid=1, invalid=1), LinkSummary(checked=2, ok=1, broken=1))
        assert overall_score(*args, freshness=unknown) == overall_score(*args)


def test_a_late_dataset_is_never_excellent_and_with_all_else_perfect_stays_good():
    perfect = (metadata(405), DataSummary(valid=3), LinkSummary(checked=3, ok=3, broken=0),
               CommunitySummary(ratings=2, average_rating=5.0))
    for count in range(1, 5):  # metadata alone, then each further component present
        overall = overall_score(*perfect[:count], freshness=LATE)
        assert overall.band == "good", count
        assert overall_score(*perfect[:count], freshness=UP_TO_DATE).band == "excellent"
    assert overall_score(*perfect, freshness=LATE).score == pytest.approx(100 / 1.2)


def test_errored_checks_count_as_not_validated():
    overall = overall_score(metadata(405), DataSummary(valid=1, invalid=1, errored=2))
    assert overall.components["data"] == 25.0


def test_absent_components_are_renormalised_away():
    overall = overall_score(metadata(405), DataSummary(valid=0, invalid=2))

    assert overall.components == {"metadata": 100.0, "data": 0.0, "links": None,
                                  "community": None, "freshness": None}
    assert overall.weights == pytest.approx({"metadata": 0.4 / 0.7, "data": 0.3 / 0.7})
    assert sum(overall.weights.values()) == pytest.approx(1.0)
    assert overall.score == pytest.approx(40 / 0.7)


@pytest.mark.parametrize("data, links, community", [
    (None, None, None),
    (DataSummary(), LinkSummary(), CommunitySummary()),  # nothing tabular, checked or said
])
def test_a_dataset_is_not_punished_for_what_does_not_apply(data, links, community):
    overall = overall_score(metadata(300), data, links, community)
    assert overall.score == pytest.approx(300 / 405 * 100)
    assert overall.weights == {"metadata": 1.0}
    assert overall.components["data"] is None


@pytest.mark.parametrize("community, expected", [
    (CommunitySummary(ratings=1, average_rating=1.0), 0.0),
    (CommunitySummary(ratings=4, average_rating=5.0), 100.0),
    (CommunitySummary(ratings=2, average_rating=3.0), 50.0),
    (CommunitySummary(ratings=2, average_rating=3.0, open_reports=2), 30.0),
    (CommunitySummary(ratings=2, average_rating=2.0, open_reports=9), 0.0),   # floored
    (CommunitySummary(open_reports=1), 0.0),  # a report and no rating
    (CommunitySummary(), None),
    (None, None),
])
def test_community_component(community, expected):
    assert overall_score(metadata(200), community=community).components["community"] == expected


def test_a_metadata_score_object_and_its_dict_give_the_same_result():
    score = score_metadata({"title": "A", "notes": "B", "tags": [{"name": "c"}]})
    assert overall_score(score) == overall_score(score.to_dict())
    assert overall_score(score).components["metadata"] == pytest.approx(score.points / 405 * 100)


def test_metadata_alone_keeps_the_mqa_band_at_every_point():
    for points in range(406):
        assert overall_score(metadata(points)).band == band_for(points), points


@pytest.mark.parametrize("score, band", [
    (100, "excellent"), (351 / 405 * 100, "excellent"), (86.66, "good"),
    (221 / 405 * 100, "good"), (54.56, "sufficient"),
    (121 / 405 * 100, "sufficient"), (29.87, "bad"), (0, "bad"),
])
def test_band_boundaries(score, band):
    assert overall_band(score) == band


def test_band_thresholds_are_mqas_proportions():
    assert [round(lowest, 1) for lowest, _ in BAND_THRESHOLDS] == [86.7, 54.6, 29.9, 0.0]


def test_resolving_a_report_never_lowers_the_score():
    grid = itertools.product(
        (0, 120, 260, 405),                          # metadata points
        (None, DataSummary(valid=1, invalid=3), DataSummary(valid=5)),
        (None, LinkSummary(checked=2, ok=1, broken=1)),
        (0, 1, 7),                                   # ratings
        (1.0, 2.5, 5.0),                             # average
        range(1, 13),                                # open reports before resolving one
    )
    for points, data, links, ratings, average, reports in grid:
        def score(open_reports: int) -> float:
            community = CommunitySummary(ratings=ratings,
                                         average_rating=average if ratings else None,
                                         open_reports=open_reports)
            return overall_score(metadata(points), data, links, community).score

        assert score(reports - 1) >= score(reports), (points, data, links, ratings, average,
                                                       reports)


def test_more_answering_links_never_lower_the_score():
    scores = [overall_score(metadata(250), links=LinkSummary(checked=10, ok=ok, broken=10 - ok)
                            ).score for ok in range(11)]
    assert scores == sorted(scores)


@pytest.mark.parametrize("build", [
    lambda: LinkSummary(checked=2, ok=3, broken=0),
    lambda: LinkSummary(checked=-1, ok=0, broken=0),
    lambda: DataSummary(valid=1.5),
    lambda: CommunitySummary(ratings=2, average_rating=6.0),
    lambda: CommunitySummary(ratings=2, average_rating=None),
    lambda: CommunitySummary(open_reports=True),
])
def test_nonsense_summaries_are_refused(build):
    with pytest.raises(ValueError):
        build()


def test_summaries_from_what_the_checkers_return():
    links = LinkSummary.from_statuses({
        "https://a": 200, "https://b": 404, "https://c": None,
        "https://d": {"status": None, "ok": False, "kind": "timeout"},
    })
    assert links == LinkSummary(checked=3, ok=1, broken=2)

    data = DataSummary.from_reports([
        {"status": "valid", "error_count": 0},
        {"status": "invalid", "error_count": 12},
        {"status": "error", "error_count": 0},
        {"status": "skipped", "error_count": 0},
    ])
    assert data == DataSummary(valid=1, invalid=1, errored=1, error_count=12)


def test_bad_metadata_input_is_refused():
    with pytest.raises(TypeError):
        overall_score(None)
    with pytest.raises(ValueError):
        overall_score({"points": "many"})


def test_to_dict_is_plain_json():
    overall = overall_score(metadata(351), DataSummary(valid=2, invalid=1),
                            LinkSummary(checked=3, ok=3, broken=0),
                            CommunitySummary(ratings=1, average_rating=4.5))
    data = json.loads(json.dumps(overall.to_dict()))
    assert data["band"] == overall.band
    assert data["score"] == round(overall.score, 2)
    assert data["components"]["data"] == 66.67
    assert set(data["weights"]) == {"metadata", "data", "links", "community"}


def test_the_checkers_own_results_are_read():
    links = pytest.importorskip("ckanext.plusresilient.quality.links")
    data = pytest.importorskip("ckanext.plusresilient.quality.data")
    url = "https://data.example.org/a.csv"

    def status(code, ok, kind=None):
        return links.LinkStatus(url=url, status=code, ok=ok, kind=kind, message="",
                                final_url=url, checked_at="2025-01-01T00:00:00+00:00",
                                seconds=0.1)

    assert LinkSummary.from_statuses({url: status(200, True), "b": status(None, False, "timeout")}
                                     ) == LinkSummary(checked=2, ok=1, broken=1)
    record = {"resources": [{"url": url, "format": "CSV"}]}
    assert score_metadata(record, {url: status(404, False)}).indicator(
        "access_url_status").passed is False
    assert score_metadata(record, {url: status(301, True).to_dict()}).indicator(
        "access_url_status").passed is True
    reports = [data.DataReport(status="valid"), data.DataReport(status="invalid", error_count=3)]
    assert DataSummary.from_reports(reports) == DataSummary(valid=1, invalid=1, error_count=3)
