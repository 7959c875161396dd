"""Scoring datasets inside CKAN: what is stored, indexed and reused, on the real stack.

The resources are served by loopback servers (tests/quality/servers.py),
each allowed by its own 127.0.0.1:port while it runs; one test uses a server
that nothing allows.
"""
from __future__ import annotations

import datetime
import json
import socket

import ckan.plugins.toolkit as tk
import pytest
from ckan import model
from ckan.lib.search import SearchIndexError
from ckan.lib.search import common as search_common
from ckan.tests.helpers import call_action

from ckanext.plusresilient.scoring import dataset as quality
from ckanext.plusresilient.model import LinkCheck, Quality, QualityHistory
from ckanext.plusresilient.quality.metadata import INDICATOR_BY_KEY, MAX_POINTS
from tests.factories import Cluster, LinkCheckRow, QualityRow, SVRCDataset

from tests.quality.servers import csv_bytes, server, unlisted_server  # noqa: F401 - fixtures

pytestmark = pytest.mark.usefixtures("with_plugins", "clean_db", "clean_index")

SCHEMA = {"fields": [{"name": "id", "type": "integer"},
                     {"name": "city", "type": "string"},
                     {"name": "opened", "type": "date"}]}
CITIES = [("id", "city", "opened"), (1, "Bari", "2024-01-02"), (2, "Lecce", "2024-03-04")]


def complete(url: str, owner_org: str | None = None, resource: dict | None = None,
             **changes) -> dict:
    """An SVRC dataset that passes every MQA indicator when ``url`` answers."""
    fields = dict(
        owner_org=owner_org,
        tags=[{"name": "cooperatives"}, {"name": "social economy"}],
        theme=["SOCI"],
        country="IT",
        region="ITH3",
        temporal_start="2020-01-01",
        temporal_end="2023-12-31",
        access_rights="PUBLIC",
        contact=[{"name": "Open data office", "email": "opendata@example.org"}],
        issued="2024-01-15",
        modified="2024-06-01",
        resources=[dict({"name": "Register", "url": url, "format": "CSV",
                         "mimetype": "text/csv", "size": 2048,
                         "rights": "Reuse allowed with attribution"}, **(resource or {}))],
    )
    fields.update(changes)
    return SVRCDataset(**fields)


def stored(package_id: str) -> Quality:
    model.Session.remove()  # read what was committed, not this session's copy
    return Quality.get(package_id)


def failing(report: dict) -> set[str]:
    return {i["key"] for i in report["metadata"]["indicators"] if i["passed"] is not True}


# -- the MQA table, through CKAN --------------------------------------------------------

@pytest.mark.parametrize("changes, resource, fails", [
    ({}, {}, set()),
    ({"tags": []}, {}, {"keywords"}),
    ({"theme": [], "temporal_start": "", "temporal_end": ""}, {}, {"categories", "temporal"}),
    ({"contact": [], "access_rights": ""}, {},
     {"contact_point", "access_rights", "access_rights_vocabulary"}),
    ({"owner_org": None}, {"rights": "", "size": None}, {"publisher", "rights", "byte_size"}),
    ({}, {"path": "/register", "format": "", "mimetype": ""},
     {"format", "media_type", "format_vocabulary", "non_proprietary", "machine_readable",
      "download_url", "download_url_status"}),
    ({}, {"path": "/gone.csv"}, {"access_url_status", "download_url_status"}),
], ids=["complete", "no-keywords", "no-theme-no-time", "no-contact-no-rights",
        "no-publisher-no-context", "no-format", "broken-link"])
def test_stored_metadata_points_follow_the_mqa_table(server, changes, resource, fails):
    server.serve("/register.csv", csv_bytes(CITIES))
    server.serve("/register", csv_bytes(CITIES), content_type="text/plain")
    resource = dict(resource)
    path = resource.pop("path", "/register.csv")
    changes = dict({"owner_org": Cluster()["id"]}, **changes)
    dataset = complete(server.url(path), resource=resource, **changes)

    result = quality.score_dataset(dataset["id"])

    row = stored(dataset["id"])
    expected = MAX_POINTS - sum(INDICATOR_BY_KEY[key].points for key in fails)
    assert row.status == "scored" and row.error is None
    assert row.metadata_points == expected == result["metadata"]["points"]
    assert failing(json.loads(row.report)) == fails
    assert row.metadata_band == result["metadata"]["band"]


def test_a_complete_dataset_is_excellent_in_every_component(server):
    dataset = complete(server.serve("/cities.csv", csv_bytes(CITIES)), Cluster()["id"],
                       resource={"schema": json.dumps(SCHEMA)})

    result = quality.score_dataset(dataset["id"])

    assert result["status"] == "scored"
    assert result["overall"]["score"] == 100 and result["overall"]["band"] == "excellent"
    assert result["overall"]["components"] == {
        "metadata": 100, "data": 100, "links": 100, "community": None, "freshness": None}
    assert result["data"]["summary"] == {"valid": 1, "invalid": 0, "errored": 0,
                                         "error_count": 0, "checked": 1}
    (item,) = result["data"]["resources"]
    assert item["name"] == "Register" and item["resource_id"] == dataset["resources"][0]["id"]
    assert item["report"]["status"] == "valid" and item["report"]["rows"] == 2
    assert result["links"]["summary"] == {"checked": 1, "ok": 1, "broken": 0}
    (status,) = result["links"]["statuses"]
    assert status["url"] == item["url"] and status["status"] == 200 and status["ok"]
    row = stored(dataset["id"])
    assert (row.data_score, row.links_score, row.community_score) == (100, 100, None)
    assert (row.overall_score, row.overall_band) == (100, "excellent")


# -- data check results -----------------------------------------------------------------

def test_a_bad_csvs_errors_are_in_the_stored_report(server):
    rows = list(CITIES) + [(3, "Taranto", "not a date"), ("four", "Brindisi", "2024-05-06")]
    dataset = complete(server.serve("/cities.csv", csv_bytes(rows)), Cluster()["id"],
                       resource={"schema": json.dumps(SCHEMA)})

    quality.score_dataset(dataset["id"])

    row = stored(dataset["id"])
    report = json.loads(row.report)["data"]["resources"][0]["report"]
    assert report["status"] == "invalid"
    assert report["error_count"] == 2 and report["errors_by_type"] == {"type-error": 2}
    assert [(e["type"], e["row"], e["field"]) for e in report["first_errors"]] == [
        ("type-error", 4, "opened"), ("type-error", 5, "id")]
    assert row.data_score == 0
    assert row.metadata_points == MAX_POINTS  # the description is not to blame
    assert row.overall_score < 100


def test_html_served_as_csv_is_a_resource_error_and_the_dataset_is_still_scored(server):
    page = server.serve("/cities.csv", b"<!DOCTYPE html><html><body>Sign in</body></html>",
                        content_type="text/html")
    dataset = complete(page, Cluster()["id"])

    result = quality.score_dataset(dataset["id"])

    assert result["status"] == "scored"
    report = result["data"]["resources"][0]["report"]
    assert (report["status"], report["kind"]) == ("error", "not_tabular")
    assert result["data"]["summary"]["errored"] == 1
    assert result["overall"]["components"]["data"] == 0


def test_a_private_address_is_refused_and_never_requested(unlisted_server):
    server = unlisted_server
    dataset = complete(server.serve("/cities.csv", csv_bytes(CITIES)), Cluster()["id"])

    result = quality.score_dataset(dataset["id"])

    assert result["status"] == "scored"
    report = result["data"]["resources"][0]["report"]
    assert (report["status"], report["kind"]) == ("error", "blocked")
    (status,) = result["links"]["statuses"]
    assert (status["ok"], status["kind"]) == (False, "blocked")
    assert not server.hits  # neither the link check nor the data check connected
    assert "access_url_status" in failing(result)


@pytest.mark.ckan_config("ckanext.plusresilient.quality.max_bytes", "1000")
def test_a_file_over_the_byte_limit_is_not_validated(server):
    body = csv_bytes([("id", "note")] + [(n, "x" * 40) for n in range(100)])
    dataset = complete(server.serve("/big.csv", body), Cluster()["id"])

    result = quality.score_dataset(dataset["id"])

    report = result["data"]["resources"][0]["report"]
    assert (report["status"], report["kind"]) == ("error", "too_large")


def test_resource_content_is_never_stored(server):
    marker = "Zzyzx-unique-cell-value"
    dataset = complete(server.serve("/cities.csv", csv_bytes(CITIES + [(3, marker, "2024-07-08")])),
                       Cluster()["id"])

    quality.score_dataset(dataset["id"])

    row = stored(dataset["id"])
    assert json.loads(row.report)["data"]["resources"][0]["report"]["status"] == "valid"
    assert marker not in row.report


def test_a_non_tabular_resource_is_skipped_without_a_download(server):
    pdf = server.serve("/guide.pdf", b"%PDF-1.4 ...", content_type="application/pdf")
    dataset = complete(pdf, Cluster()["id"], resource={"format": "PDF", "mimetype": "application/pdf"})

    result = quality.score_dataset(dataset["id"])

    assert result["data"]["resources"][0]["report"]["status"] == "skipped"
    assert result["overall"]["components"]["data"] is None
    assert server.hits[("GET", "/guide.pdf")] == 0  # the link check's HEAD sufficed


# -- history, link reuse, options -------------------------------------------------------

def test_history_grows_by_one_per_scoring(server, sysadmin_context):
    dataset = complete(server.serve("/cities.csv", csv_bytes(CITIES)), Cluster()["id"])

    quality.score_dataset(dataset["id"])
    call_action("package_patch", context=sysadmin_context, id=dataset["id"], tags=[])
    quality.score_dataset(dataset["id"])

    history = quality.history(dataset["id"])
    assert len(history) == 2
    assert [entry["metadata_points"] for entry in history] == [MAX_POINTS, MAX_POINTS - 30]
    assert history[0]["scored_at"] <= history[1]["scored_at"]
    assert model.Session.query(Quality).count() == 1


def test_a_young_link_result_is_reused_and_an_old_one_checked_again(server):
    url = server.serve("/cities.csv", csv_bytes(CITIES))
    dataset = complete(url, Cluster()["id"])

    quality.score_dataset(dataset["id"])
    quality.score_dataset(dataset["id"])
    assert server.hits[("HEAD", "/cities.csv")] == 1

    row = LinkCheck.of_urls([url])[url]
    row.checked_at -= datetime.timedelta(hours=25)
    model.Session.commit()
    quality.score_dataset(dataset["id"])
    assert server.hits[("HEAD", "/cities.csv")] == 2
    model.Session.remove()
    assert LinkCheck.of_urls([url])[url].checked_at > datetime.datetime.utcnow() - datetime.timedelta(hours=1)


def test_one_link_result_serves_every_dataset_linking_to_it(server):
    url = server.serve("/cities.csv", csv_bytes(CITIES))
    organization = Cluster()["id"]
    first, second = complete(url, organization), complete(url, organization)

    quality.score_dataset(first["id"])
    quality.score_dataset(second["id"])

    assert server.hits[("HEAD", "/cities.csv")] == 1
    assert model.Session.query(LinkCheck).count() == 1


def test_without_links_and_data_the_stored_results_are_used(server):
    url = server.serve("/cities.csv", csv_bytes(CITIES))
    dataset = complete(url, Cluster()["id"])
    quality.score_dataset(dataset["id"])
    row = LinkCheck.of_urls([url])[url]
    row.checked_at -= datetime.timedelta(days=30)
    model.Session.commit()
    hits = dict(server.hits)

    result = quality.score_dataset(dataset["id"], with_links=False, with_data=False)

    assert dict(server.hits) == hits  # nothing was requested
    assert result["links"]["summary"]["ok"] == 1
    assert result["data"]["resources"][0]["report"]["status"] == "valid"
    assert result["overall"]["score"] == 100


def test_without_links_a_link_never_checked_is_left_out(server):
    dataset = complete(server.serve("/cities.csv", csv_bytes(CITIES)), Cluster()["id"])

    result = quality.score_dataset(dataset["id"], with_links=False)

    assert not server.hits[("HEAD", "/cities.csv")]
    assert result["links"]["statuses"] == []
    assert result["overall"]["components"]["links"] is None
    indicator = next(i for i in result["metadata"]["indicators"] if i["key"] == "access_url_status")
    assert indicator["passed"] is None


def test_a_spent_time_budget_skips_the_remaining_data_checks(server):
    dataset = complete(server.serve("/cities.csv", csv_bytes(CITIES)), Cluster()["id"])
    LinkCheckRow(url=dataset["resources"][0]["url"])

    result = quality.score_dataset(dataset["id"], budget_seconds=0)

    report = result["data"]["resources"][0]["report"]
    assert (report["status"], report["kind"]) == ("skipped", "timeout")
    assert result["links"]["summary"]["ok"] == 1  # the fresh stored result still counts
    assert not server.hits


def test_a_spent_time_budget_still_scores_a_dataset_with_a_document(server):
    """A resource that is not tabular is looked at even when no time is left:
    it needs none, and an exhausted budget must not turn into a failed scoring."""
    dataset = complete(server.serve("/guide.pdf", b"%PDF-1.4", content_type="application/pdf"),
                       Cluster()["id"], resource={"format": "PDF", "mimetype": "application/pdf"})
    LinkCheckRow(url=dataset["resources"][0]["url"])

    result = quality.score_dataset(dataset["id"], budget_seconds=0)

    assert result["status"] == "scored", result.get("error")
    assert result["data"]["resources"][0]["report"]["status"] == "skipped"


# -- failures on the CKAN side ----------------------------------------------------------

def test_a_search_index_failure_is_stored_as_error_keeping_the_figures(server, monkeypatch):
    dataset = complete(server.serve("/cities.csv", csv_bytes(CITIES)), Cluster()["id"])

    with socket.socket() as closed:  # a port nothing listens on: Solr is down
        closed.bind(("127.0.0.1", 0))
        port = closed.getsockname()[1]
    monkeypatch.setitem(tk.config, "solr_url", f"http://127.0.0.1:{port}/solr/ckan")
    if hasattr(search_common, "SolrSettings"):  # CKAN 2.11 connects to the URL read at startup
        monkeypatch.setattr(search_common.SolrSettings, "_url", f"http://127.0.0.1:{port}/solr/ckan")
    result = quality.score_dataset(dataset["id"])

    assert result["status"] == "error"
    assert result["error"].startswith(SearchIndexError.__name__)
    assert f"127.0.0.1:{port}" in result["error"]
    assert result["overall"]["band"] == "excellent"  # computed and stored before the failure
    row = stored(dataset["id"])
    assert (row.status, row.overall_band) == ("error", "excellent")

    monkeypatch.undo()
    again = quality.score_dataset(dataset["id"])
    assert (again["status"], again["error"]) == ("scored", None)


def test_an_unknown_or_deleted_dataset_is_not_scored(sysadmin_context):
    deleted = SVRCDataset()
    call_action("package_delete", context=sysadmin_context, id=deleted["id"])

    assert quality.score_dataset("no-such-dataset") is None
    assert quality.score_dataset(deleted["id"]) is None
    assert model.Session.query(Quality).count() == 0


# -- the search index -------------------------------------------------------------------

def test_the_failed_indicators_are_kept_beside_the_figures(server):
    """The catalogue counts them from this column, never from the reports."""
    dataset = SVRCDataset(tags=[], owner_org=Cluster()["id"], resources=[
        {"url": "http://data.example.org/never-checked.csv", "format": "CSV"}])

    quality.score_dataset(dataset["id"], with_links=False, with_data=False)

    report = quality.annotation(dataset["id"])
    failing = [i["key"] for i in report["metadata"]["indicators"] if i["passed"] is False]
    not_assessable = [i["key"] for i in report["metadata"]["indicators"] if i["passed"] is None]
    row = Quality.get(dataset["id"])
    assert "keywords" in failing and not_assessable  # links not checked: not failed
    assert row.failed_indicators == failing


def test_band_facet_and_score_sort_come_from_the_stored_rows():
    organization = Cluster()["id"]
    scores = {"low": 20.4, "middle": 60.0, "high": 87.4, "top": 100.0}
    ids = {}
    for name, score in scores.items():
        dataset = SVRCDataset(name=name, owner_org=organization)
        QualityRow(package_id=dataset["id"], overall_score=score)
        ids[name] = dataset["id"]
    SVRCDataset(name="unscored", owner_org=organization)
    for package_id in ids.values():
        quality._reindex(package_id, defer_commit=False)

    result = call_action("package_search", sort="plusresilient_quality_score desc",
                         **{"facet.field": '["plusresilient_quality_band"]'})

    assert [item["name"] for item in result["results"]] == ["top", "high", "middle", "low",
                                                            "unscored"]
    assert result["facets"]["plusresilient_quality_band"] == {
        "excellent": 2, "good": 1, "bad": 1}
    labels = {item["name"]: item["display_name"]
              for item in result["search_facets"]["plusresilient_quality_band"]["items"]}
    assert labels == {"excellent": "Excellent", "good": "Good", "bad": "Bad"}
    ascending = call_action("package_search", sort="plusresilient_quality_score asc",
                            fq="plusresilient_quality_band:*")
    assert [item["name"] for item in ascending["results"]] == ["low", "middle", "high", "top"]


@pytest.mark.parametrize("score, band, indexed", [
    (7.5, "bad", "008"), (86.5, "good", "087"), (100, "excellent", "100")])
def test_the_indexed_score_is_three_zero_padded_digits_rounded_half_up(score, band, indexed):
    dataset = SVRCDataset()
    QualityRow(package_id=dataset["id"], overall_score=score)
    assert quality.index_values(dataset["id"]) == {
        "plusresilient_quality_band": band, "plusresilient_quality_score": indexed}


def test_a_dataset_never_scored_has_no_quality_fields():
    assert quality.index_values(SVRCDataset()["id"]) == {}


def test_the_datasets_own_dict_stays_clean(server):
    dataset = complete(server.serve("/cities.csv", csv_bytes(CITIES)), Cluster()["id"])
    quality.score_dataset(dataset["id"])

    shown = call_action("package_show", id=dataset["id"])
    found = call_action("package_search", q=f"id:{dataset['id']}")["results"][0]

    for record in (shown, found):
        assert not [key for key in record if "quality" in key]


def test_the_history_rows_carry_the_trend_figures(server):
    dataset = complete(server.serve("/cities.csv", csv_bytes(CITIES)), Cluster()["id"])
    quality.score_dataset(dataset["id"])

    (row,) = QualityHistory.of_package(dataset["id"])
    assert (row.metadata_points, row.data_score, row.links_score, row.community_score,
            row.overall_score, row.overall_band) == (MAX_POINTS, 100, 100, None, 100, "excellent")
