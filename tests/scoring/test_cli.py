"""`ckan plusresilient quality score` and `... quality links`, on the real stack."""
from __future__ import annotations

import datetime

import pytest
from ckan import model
from ckan.cli.cli import ckan as ckan_cli

from ckanext.plusresilient import jobs
from ckanext.plusresilient.model import LinkCheck, Quality
from tests.factories import Cluster, LinkCheckRow, SVRCDataset
from tests.quality.servers import csv_bytes, server  # noqa: F401 - fixture

pytestmark = pytest.mark.usefixtures("with_plugins", "clean_db", "clean_index")

CITIES = [("id", "city"), (1, "Bari"), (2, "Lecce")]


def quality(cli, *args):
    return cli.invoke(ckan_cli, ["plusresilient", "quality", *args])


def with_csv(server, name):
    url = server.serve(f"/{name}.csv", csv_bytes(CITIES))
    return SVRCDataset(name=name, owner_org=Cluster()["id"], tags=[{"name": "cooperatives"}],
                       theme=["SOCI"], temporal_start="2020-01-01", access_rights="PUBLIC",
                       contact=[{"name": "Open data office"}],
                       resources=[{"url": url, "format": "CSV", "mimetype": "text/csv",
                                   "size": 100, "rights": "CC BY"}])


def hours_ago(hours: float) -> datetime.datetime:
    return datetime.datetime.utcnow().replace(microsecond=0) - datetime.timedelta(hours=hours)


# -- score ------------------------------------------------------------------------------

def test_score_all_shows_progress_and_counts_the_bands(cli, server):
    complete = with_csv(server, "complete")
    bare = SVRCDataset(name="bare")

    result = quality(cli, "score", "--all")

    assert result.exit_code == 0, result.output
    assert "scoring 2 datasets" in result.output
    assert ("scored 2 of 2 datasets: excellent 1, good 0, sufficient 0, bad 1; "
            "errors 0, not found 0") in result.output
    model.Session.remove()
    assert Quality.get(complete["id"]).overall_band == "excellent"
    assert Quality.get(bare["id"]).overall_band == "bad"


def test_score_all_leaves_harvest_sources_out(cli, sysadmin_context):
    from ckan.tests.helpers import call_action

    call_action("harvest_source_create", context=sysadmin_context, name="portal-z",
                url="https://portal.example.org", source_type="ckan")
    SVRCDataset()

    result = quality(cli, "score", "--all")

    assert "scoring 1 datasets" in result.output and result.exit_code == 0


def test_score_named_datasets_and_report_the_unknown(cli):
    SVRCDataset(name="known")

    result = quality(cli, "score", "known", "unknown")

    assert result.exit_code == 1
    assert "scored 1 of 2 datasets" in result.output and "not found 1" in result.output
    assert "unknown: not found" in result.output


def test_score_wants_datasets_or_all_but_not_both(cli):
    assert quality(cli, "score").exit_code == 2
    assert quality(cli, "score", "--all", "some-dataset").exit_code == 2


def test_score_without_links_and_data_requests_nothing(cli, server):
    with_csv(server, "complete")

    result = quality(cli, "score", "--all", "--no-links", "--no-data")

    assert result.exit_code == 0, result.output
    assert not server.hits


# -- links ------------------------------------------------------------------------------

def test_links_rechecks_only_old_rows_and_queues_the_datasets_of_changed_ones(
        cli, server, scoring_queue):
    gone = server.url("/gone.csv")  # answered once, 404 now
    still = server.serve("/still.csv", csv_bytes(CITIES))
    young = server.serve("/young.csv", csv_bytes(CITIES))
    LinkCheckRow(url=gone, checked_at=hours_ago(48))
    LinkCheckRow(url=still, checked_at=hours_ago(30))
    LinkCheckRow(url=young, checked_at=hours_ago(1))
    user = SVRCDataset(resources=[{"url": gone, "format": "CSV"}])
    SVRCDataset(resources=[{"url": still, "format": "CSV"}])

    result = quality(cli, "links", "--older-than", "24")

    assert result.exit_code == 0, result.output
    assert ("re-checked 2 links, 1 changed; 1 datasets to rescore: 1 queued, "
            "0 already waiting") in result.output
    assert server.hits[("HEAD", "/gone.csv")] == server.hits[("HEAD", "/still.csv")] == 1
    assert not server.hits[("HEAD", "/young.csv")]
    model.Session.remove()
    rows = LinkCheck.of_urls([gone, still, young])
    assert (rows[gone].ok, rows[gone].status) == (False, 404)
    assert rows[still].checked_at > hours_ago(1)
    assert rows[young].checked_at <= hours_ago(1)
    assert scoring_queue.job_ids == [jobs.job_id(user["id"])]


def test_links_default_age_is_the_configured_one(cli, server, scoring_queue):
    LinkCheckRow(url=server.serve("/a.csv", b"a\n1\n"), checked_at=hours_ago(23))
    LinkCheckRow(url=server.serve("/b.csv", b"b\n1\n"), checked_at=hours_ago(25))

    result = quality(cli, "links")

    assert "re-checked 1 links, 0 changed; 0 datasets to rescore" in result.output
    assert not server.hits[("HEAD", "/a.csv")] and server.hits[("HEAD", "/b.csv")] == 1


@pytest.mark.ckan_config("ckanext.plusresilient.quality.auto", "false")
def test_score_all_queued_goes_to_the_workers_in_chunks(cli, scoring_queue, monkeypatch):
    """One job per chunk, not per dataset: a job costs the worker a fork and
    a new database connection, more than scoring a dataset without checks."""
    from ckan.lib import jobs as ckan_jobs

    from ckanext.plusresilient import config

    monkeypatch.setattr(jobs, "RESCORE_CHUNK", 2)
    datasets = [SVRCDataset() for _ in range(5)]

    result = quality(cli, "score", "--all", "--no-links", "--no-data", "--queue")

    assert result.exit_code == 0, result.output
    assert "queued 5 datasets in 3 jobs" in result.output
    assert [len(job.args[0]) for job in scoring_queue.jobs] == [2, 2, 1]
    assert all(Quality.get(dataset["id"]) is None for dataset in datasets)

    ckan_jobs.Worker([config.quality_queue()]).work(burst=True)

    model.Session.remove()
    assert all(Quality.get(dataset["id"]).status == "scored" for dataset in datasets)
    assert scoring_queue.job_ids == []
