"""The scoring job after a save: enqueued once, after the commit, run by a real RQ worker.

test.ini turns the automatic scoring off for the rest of the suite; these
tests turn it on and empty this site's queue before and after.
"""
from __future__ import annotations

import logging

import ckan.plugins.toolkit as tk
import pytest
from ckan import model
from ckan.lib import jobs as ckan_jobs
from ckan.lib import redis as ckan_redis
from ckan.lib.redis import connect_to_redis
from ckan.tests import factories
from ckan.tests.helpers import call_action
from rq.job import Job

from ckanext.plusresilient import config, jobs
from ckanext.plusresilient.model import Quality
from tests.factories import Cluster, SVRCDataset

from tests.quality.servers import csv_bytes, server  # noqa: F401 - fixture

pytestmark = [
    pytest.mark.usefixtures("with_plugins", "clean_db", "clean_index"),
    pytest.mark.ckan_config("ckanext.plusresilient.quality.auto", "true"),
]

CITIES = [("id", "city"), (1, "Bari"), (2, "Lecce")]


def run_worker():
    ckan_jobs.Worker([config.quality_queue()]).work(burst=True)
    model.Session.remove()  # the worker committed in its own process


def with_csv(server, **fields):
    url = server.serve("/cities.csv", csv_bytes(CITIES))
    return SVRCDataset(owner_org=Cluster()["id"], tags=[{"name": "cooperatives"}],
                       resources=[{"url": url, "format": "CSV", "mimetype": "text/csv"}],
                       **fields)


def test_a_saved_dataset_is_scored_by_the_worker_and_found_by_band(server, scoring_queue):
    dataset = with_csv(server)
    assert scoring_queue.job_ids == [jobs.job_id(dataset["id"])]

    run_worker()

    row = Quality.get(dataset["id"])
    assert row is not None and row.status == "scored"
    assert row.data_score == 100 and row.links_score == 100
    result = call_action("package_search", fq=f"plusresilient_quality_band:{row.overall_band}",
                         **{"facet.field": '["plusresilient_quality_band"]'})
    assert [item["id"] for item in result["results"]] == [dataset["id"]]
    assert result["facets"]["plusresilient_quality_band"] == {row.overall_band: 1}
    assert scoring_queue.job_ids == []


def test_sort_by_score_after_the_jobs_ran(server, scoring_queue):
    good = with_csv(server, name="described", theme=["SOCI"], temporal_start="2020-01-01",
                    access_rights="PUBLIC", contact=[{"name": "Open data office"}])
    poor = SVRCDataset(name="bare")

    run_worker()

    ranked = call_action("package_search", sort="plusresilient_quality_score desc")
    assert [item["name"] for item in ranked["results"]] == ["described", "bare"]
    assert Quality.get(good["id"]).overall_score > Quality.get(poor["id"]).overall_score


def test_saving_twice_quickly_queues_one_job(server, scoring_queue, sysadmin_context):
    dataset = with_csv(server)
    call_action("package_patch", context=sysadmin_context, id=dataset["id"], title="Renamed")
    call_action("package_patch", context=sysadmin_context, id=dataset["id"], title="Again")

    assert scoring_queue.job_ids == [jobs.job_id(dataset["id"])]
    run_worker()
    assert Quality.get(dataset["id"]).status == "scored"


def test_the_job_is_queued_only_when_the_save_commits(scoring_queue):
    context = {"user": factories.Sysadmin()["name"], "defer_commit": True}
    dataset = call_action("package_create", context=context, name="deferred",
                          notes="Open data.", svrc_scenario=["public-services"], country="IT",
                          license_id="cc-by")
    assert scoring_queue.job_ids == []

    model.Session.commit()

    assert scoring_queue.job_ids == [jobs.job_id(dataset["id"])]


def test_a_rolled_back_save_queues_nothing(scoring_queue):
    context = {"user": factories.Sysadmin()["name"], "defer_commit": True}
    call_action("package_create", context=context, name="undone",
                notes="Open data.", svrc_scenario=["public-services"], country="IT",
                license_id="cc-by")
    model.Session.rollback()
    SVRCDataset(name="later")  # the next commit must not bring the first one back

    assert len(scoring_queue.job_ids) == 1
    assert model.Package.get("undone") is None


def test_a_save_during_a_running_job_queues_a_follow_up(scoring_queue, sysadmin_context):
    dataset = SVRCDataset()
    running = Job.fetch(jobs.job_id(dataset["id"]), connection=connect_to_redis())
    running.set_status("started")

    call_action("package_patch", context=sysadmin_context, id=dataset["id"], title="Changed")
    call_action("package_patch", context=sysadmin_context, id=dataset["id"], title="Again")

    assert jobs.job_id(dataset["id"]) + "-again" in scoring_queue.job_ids
    assert scoring_queue.job_ids.count(jobs.job_id(dataset["id"]) + "-again") == 1
    assert running.get_status() == "started"  # the running job's record is left alone


def test_a_finished_jobs_id_is_reused_without_its_expiry(scoring_queue, sysadmin_context):
    dataset = SVRCDataset()
    run_worker()
    key = Job.key_for(jobs.job_id(dataset["id"]))
    assert connect_to_redis().ttl(key) > 0  # RQ keeps a finished job for a while

    call_action("package_patch", context=sysadmin_context, id=dataset["id"], title="Changed")

    assert scoring_queue.job_ids == [jobs.job_id(dataset["id"])]
    assert connect_to_redis().ttl(key) == -1  # the queued job will not vanish


def test_nothing_is_queued_when_automatic_scoring_is_off(scoring_queue, ckan_config, monkeypatch):
    monkeypatch.setitem(ckan_config, "ckanext.plusresilient.quality.auto", "false")
    SVRCDataset()
    assert scoring_queue.job_ids == []


def test_harvest_sources_are_not_scored(scoring_queue, sysadmin_context):
    call_action("harvest_source_create", context=sysadmin_context, name="portal-y",
                url="https://portal.example.org", source_type="ckan")
    assert scoring_queue.job_ids == []


def test_only_datasets_are_scored_by_default(scoring_queue):
    """MQA judges distributions: training material and use cases have none."""
    from tests.factories import Training, UseCase

    UseCase()
    Training()
    assert scoring_queue.job_ids == []


@pytest.mark.ckan_config("ckanext.plusresilient.quality.types", "dataset use-case")
def test_the_scored_types_are_configurable(scoring_queue):
    from tests.factories import UseCase

    use_case = UseCase()
    assert scoring_queue.job_ids == [jobs.job_id(use_case["id"])]


def test_the_save_succeeds_when_redis_is_unreachable(ckan_config, monkeypatch, caplog):
    monkeypatch.setitem(ckan_config, "ckan.redis.url", "redis://127.0.0.1:1/0")
    monkeypatch.setattr(ckan_redis, "_connection_pool", None)
    monkeypatch.setattr(ckan_jobs, "_queues", {})
    # the migrations' logging setup (clean_db) disables the loggers existing before it
    monkeypatch.setattr(logging.getLogger("ckanext.plusresilient.jobs"), "disabled", False)

    with caplog.at_level(logging.WARNING, logger="ckanext.plusresilient.jobs"):
        dataset = SVRCDataset(name="saved-anyway")

    assert call_action("package_show", id="saved-anyway")["id"] == dataset["id"]
    assert f"quality scoring of dataset {dataset['id']} not queued" in caplog.text


def test_a_job_for_a_dataset_gone_meanwhile_ends_quietly(scoring_queue, sysadmin_context):
    dataset = SVRCDataset()
    call_action("dataset_purge", context=sysadmin_context, id=dataset["id"])

    run_worker()

    assert Quality.get(dataset["id"]) is None
    failed = ckan_jobs.get_queue(config.quality_queue()).failed_job_registry
    assert jobs.job_id(dataset["id"]) not in failed.get_job_ids()


@pytest.mark.ckan_config("ckanext.plusresilient.quality.max_seconds", 60)
def test_the_job_runners_timeout_fails_the_job_instead_of_blaming_the_resource(
        server, scoring_queue):
    """RQ stops a job by raising its timeout inside whatever the job runs. The
    data check's "never raises" guard once caught it: the resource got an
    "internal" error it never caused and the job ran on as if it had ended well."""
    dataset = SVRCDataset(owner_org=Cluster()["id"], resources=[
        {"url": server.stall("/stalled.csv"), "format": "CSV", "mimetype": "text/csv"}])
    scoring_queue.empty()
    job = tk.enqueue_job(jobs.score_dataset_job, [dataset["id"]], queue=config.quality_queue(),
                         rq_kwargs={"job_id": jobs.job_id(dataset["id"]), "timeout": 2})

    run_worker()

    job.refresh()
    assert job.get_status(refresh=False) == "failed"
    assert "JobTimeoutException" in job.latest_result().exc_string
    row = Quality.get(dataset["id"])
    assert row.status == "error" and "ran out of time" in row.error
    assert "internal" not in (row.report or "")
