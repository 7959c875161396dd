"""Freshness inside CKAN: stored with the score, counted in it, indexed for
the facet, and turned late by the scheduler once the next update is due,
with nobody saving anything. Real PostgreSQL and Solr; no clock is faked."""
from __future__ import annotations

import datetime
import time

import pytest
from ckan.tests.helpers import call_action

from ckanext.plusresilient import scheduler
from ckanext.plusresilient.scoring import dataset as quality
from ckanext.plusresilient.timestamps import utcnow
from tests.factories import SVRCDataset

pytestmark = pytest.mark.usefixtures("with_plugins", "clean_db", "clean_index")


def scored(**fields) -> dict:
    dataset = SVRCDataset(**fields)
    quality.score_dataset(dataset["id"], with_links=False, with_data=False)
    return dataset


def indexed(dataset: dict) -> dict:
    """The dataset's freshness fields as Solr holds them: the status and
    score (indexed, not stored: read through their facets) and the due
    moment (a stored date)."""
    found = call_action("package_search", fq=f'id:"{dataset["id"]}"',
                        fl="id,plusresilient_freshness_due_date",
                        **{"facet.field": '["plusresilient_freshness", "plusresilient_quality_score"]'})
    assert found["count"] == 1
    fields = dict(found["results"][0])
    for name, counts in found["facets"].items():
        if counts:
            fields[name] = next(iter(counts))
    return fields


def test_a_late_dataset_stores_its_verdict_and_loses_the_freshness_share_of_its_score():
    late = scored(frequency="MONTHLY", modified="2020-01-15")
    unknown = scored()  # no frequency: the same record otherwise

    shown = call_action("plusresilient_quality_show", id=late["id"])
    assert shown["freshness"] == {
        "status": "late", "frequency": "MONTHLY", "last_update": "2020-01-15T23:59:59+00:00",
        "last_update_source": "declared", "expected_by": "2020-02-15T23:59:59+00:00",
        "reason": None}
    assert shown["overall"]["components"]["freshness"] == 0.0
    assert shown["overall"]["weights"]["freshness"] == pytest.approx(0.2 / 0.6, abs=1e-4)
    without = call_action("plusresilient_quality_show", id=unknown["id"])
    assert without["freshness"]["status"] == "unknown"
    assert without["freshness"]["reason"] == "no_frequency"
    assert without["overall"]["components"]["freshness"] is None
    assert "freshness" not in without["overall"]["weights"]
    # metadata alone for the second; two thirds of its metadata score for the first
    assert shown["overall"]["score"] == pytest.approx(without["overall"]["score"] * 2 / 3, abs=0.01)


def test_the_index_carries_the_status_and_the_due_moment():
    late = scored(frequency="ANNUAL", modified="2020")
    fresh = scored(frequency="ANNUAL", modified=str(utcnow().year))
    unknown = scored(frequency="IRREG", modified="2020")

    assert indexed(late)["plusresilient_freshness"] == "late"
    # the first second at which it is late: a scoring judged at 23:59:59 (to the second)
    # finds it up to date, so a due date of 23:59:59 had the scheduler rescore it too early
    assert indexed(late)["plusresilient_freshness_due_date"] == "2022-01-01T00:00:00Z"
    assert indexed(fresh)["plusresilient_freshness"] == "up_to_date"
    assert indexed(unknown)["plusresilient_freshness"] == "unknown"
    assert "plusresilient_freshness_due_date" not in indexed(unknown)

    facets = call_action("package_search", **{"facet.field": '["plusresilient_freshness"]'})
    assert facets["facets"]["plusresilient_freshness"] == {"late": 1, "up_to_date": 1, "unknown": 1}
    labels = {item["name"]: item["display_name"]
              for item in facets["search_facets"]["plusresilient_freshness"]["items"]}
    assert labels == {"late": "Late", "up_to_date": "Up to date", "unknown": "Unknown"}
    # the due moment answers date queries against NOW through the API
    overdue = call_action("package_search", fq="plusresilient_freshness_due_date:[* TO NOW]")
    assert [result["id"] for result in overdue["results"]] == [late["id"]]


def test_a_dataset_never_scored_has_no_freshness_in_the_index():
    dataset = SVRCDataset(frequency="MONTHLY", modified="2020-01-15")
    assert "plusresilient_freshness" not in indexed(dataset)


@pytest.mark.ckan_config("ckanext.plusresilient.quality.auto", "true")
@pytest.mark.usefixtures("scoring_queue")
def test_the_scheduler_turns_a_dataset_late_once_its_next_update_is_due():
    """Hourly, last updated 59 min 56 s ago: up to date when scored, due four
    seconds later. Nothing is saved after; the scheduler's round scores it
    again once the moment has passed, and the search, the band and the
    score follow."""
    last_update = utcnow().replace(microsecond=0) - datetime.timedelta(minutes=59, seconds=56)
    dataset = scored(frequency="HOURLY", modified=last_update.isoformat())
    before = call_action("plusresilient_quality_show", id=dataset["id"])
    assert before["freshness"]["status"] == "up_to_date", before["freshness"]
    assert indexed(dataset)["plusresilient_freshness"] == "up_to_date"
    assert scheduler.rescore_overdue() == ""  # not due yet: nothing to do

    due = datetime.datetime.fromisoformat(before["freshness"]["expected_by"]).replace(tzinfo=None)
    time.sleep(max(0.0, (due - utcnow()).total_seconds()) + 1.1)
    line = scheduler.rescore_overdue()

    assert line == "1 of 1 datasets due for an update since their last scoring scored again"
    after = call_action("plusresilient_quality_show", id=dataset["id"])
    assert after["freshness"]["status"] == "late"
    assert after["overall"]["score"] < before["overall"]["score"]
    assert indexed(dataset)["plusresilient_freshness"] == "late"
    assert int(indexed(dataset)["plusresilient_quality_score"]) == round(after["overall"]["score"])
    assert scheduler.rescore_overdue() == ""  # done: the next round finds nothing

