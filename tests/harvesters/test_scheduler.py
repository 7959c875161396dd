"""The scheduler's harvest round on the real queues and database: what a dead
consumer held goes back on its queue, and a job ckanext-harvest's timeout
ended is started again, a bounded number of times. The layout's end-to-end
scenarios (a consumer SIGKILLed, a gather lost) are in
tests/infra/test_production.py."""
from __future__ import annotations

import datetime
import json

import pytest

from ckan import model
from ckan.tests.helpers import call_action
from ckanext.harvest import queue as harvest_queue
from ckanext.harvest.model import HarvestGatherError, HarvestJob, HarvestObject

from ckanext.plusresilient.harvesters import consumers, scheduler

pytestmark = pytest.mark.usefixtures("with_plugins", "clean_db")


@pytest.fixture
def queues():
    harvest_queue.purge_queues()
    connection = harvest_queue.get_connection_redis()
    for key in connection.scan_iter(match=f"{harvest_queue.get_fetch_routing_key()}:*"):
        connection.delete(key)
    yield connection
    harvest_queue.purge_queues()


def _job(context: dict, name: str) -> dict:
    source = call_action("harvest_source_create", dict(context), name=name, title=name,
                         url=f"http://{name}.example.org/api", source_type="plusresilient_ckan",
                         config=json.dumps({"portal": name, "country": "IT", "language": "it"}))
    return call_action("harvest_job_create", dict(context), source_id=source["id"], run=False)


def _object(job: dict, state: str) -> str:
    found = HarvestObject(guid=f"guid-{state}", job=model.Session.get(HarvestJob, job["id"]), state=state)
    found.save()
    return found.id


def _taken(connection, object_id: str, seconds_ago: float) -> str:
    """What ckanext-harvest's consumer writes when it takes a message."""
    key = f"{harvest_queue.get_fetch_routing_key()}:{object_id}"
    connection.set(key, str(datetime.datetime.now() - datetime.timedelta(seconds=seconds_ago)))
    return key


def _queued(connection) -> list[str]:
    return [json.loads(body)["harvest_object_id"]
            for body in connection.lrange(harvest_queue.get_fetch_routing_key(), 0, -1)]


def test_an_object_a_dead_consumer_left_half_imported_goes_back_on_the_queue(queues, sysadmin_context):
    job = _job(sysadmin_context, "orphans")
    importing = _object(job, "IMPORT")
    waiting = _object(job, "WAITING")
    complete = _object(job, "COMPLETE")
    recent = _object(job, "FETCH")
    keys = {object_id: _taken(queues, object_id, 60) for object_id in (importing, waiting, complete)}
    keys[recent] = _taken(queues, recent, 1)  # just taken: its consumer may not have said so yet

    assert consumers.reclaim_orphans(queues, "fetch") == [importing]

    assert _queued(queues) == [importing]
    # WAITING: ckanext-harvest's resubmit_objects re-sends it (a second copy
    # could mark it ERROR once its job is Finished); done: only the key goes
    assert [object_id for object_id, key in keys.items() if queues.exists(key)] == [recent]
    # a second round finds nothing left
    assert consumers.reclaim_orphans(queues, "fetch") == []


def test_an_object_a_live_consumer_holds_is_left_alone(queues, sysadmin_context, tmp_path):
    job = _job(sysadmin_context, "held")
    importing = _object(job, "IMPORT")
    key = _taken(queues, importing, 60)
    with consumers.Heartbeat(queues, "fetch", harvest_queue.get_fetch_routing_key(), interval=1) as beat:
        beat.busy(importing)

        assert consumers.reclaim_orphans(queues, "fetch") == []

    assert queues.exists(key) and _queued(queues) == []


def _timed_out(job_id: str) -> None:
    """What ckanext-harvest's harvest_jobs_run does to a job past ckan.harvest.timeout."""
    job = model.Session.get(HarvestJob, job_id)
    job.status = "Finished"
    job.save()
    HarvestGatherError(message=f"Job {job_id} timeout (60 minutes)\n\tJob created: ...", job=job).save()


def test_a_timed_out_job_is_started_again_once(queues, sysadmin_context):
    first = _job(sysadmin_context, "hanging")
    _timed_out(first["id"])
    context = {"model": model, "session": model.Session, "user": sysadmin_context["user"]}

    retried = scheduler.retry_timed_out(dict(context), [first["id"]])

    assert len(retried) == 1
    retry = model.Session.get(HarvestJob, retried[0])
    assert (retry.source_id, retry.status) == (first["source_id"], "Running")  # on the gather queue
    # the retry hangs too: the source now waits for its schedule
    _timed_out(retry.id)
    assert scheduler.retry_timed_out(dict(context), [retry.id]) == []


@pytest.mark.ckan_config("ckanext.plusresilient.harvest.timeout_retries", "0")
def test_no_retry_when_retries_are_off(queues, sysadmin_context):
    job = _job(sysadmin_context, "no-retry")
    _timed_out(job["id"])
    context = {"model": model, "session": model.Session, "user": sysadmin_context["user"]}

    assert scheduler.retry_timed_out(dict(context), [job["id"]]) == []


def test_a_job_finished_normally_is_not_retried(queues, sysadmin_context):
    job = _job(sysadmin_context, "finished")
    finished = model.Session.get(HarvestJob, job["id"])
    finished.status = "Finished"
    finished.save()
    context = {"model": model, "session": model.Session, "user": sysadmin_context["user"]}

    assert scheduler.retry_timed_out(dict(context), [job["id"]]) == []
