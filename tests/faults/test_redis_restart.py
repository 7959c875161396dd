"""Redis restarted with jobs queued: the stack runs it without persistence,
so a restart empties it, and with it the harvest's fetch queue and the RQ
queue of scorings.

The fetch consumer and the RQ worker are frozen (SIGSTOP: busy elsewhere)
while a harvest is gathered and datasets are saved, so the objects and the
scoring jobs wait in Redis when it restarts. Once they are thawed, the
scheduler's rounds bring back what was lost: ckanext-harvest's
``resubmit_objects`` re-sends the WAITING objects missing from the queue,
and ``jobs.requeue_lost_scorings`` the scoring of each dataset saved since
its last scoring whose job Redis no longer knows. The job ends Finished,
every dataset exists once and is scored once.
"""
from __future__ import annotations

import signal
import time

import pytest
from ckan.lib import jobs as ckan_jobs
from ckan.lib.redis import connect_to_redis
from ckanext.harvest import queue as harvest_queue
from rq.job import Job

from ckanext.plusresilient import config, jobs
from ckanext.plusresilient.demo.portals.ckan import CKANPortal
from ckanext.plusresilient.harvesters import consumers
from ckanext.plusresilient.harvesters.scheduler import run_round
from tests.factories import SVRCDataset
from tests.faults.harvests import (allowing, harvest_package_ids, harvested_titles, job_status,
                                   object_states, scorings_stored, start_harvest)
from tests.workers import consumer, wait_until

AUTO = "ckanext.plusresilient.quality.auto"
pytestmark = [pytest.mark.usefixtures("with_plugins", "clean_db", "clean_index"),
              pytest.mark.ckan_config(AUTO, "true")]

HARVESTED = 3


def listening(rq_worker, fetch) -> bool:
    """The RQ worker registered in Redis, the fetch consumer beating."""
    connection = connect_to_redis()
    registered = {int(connection.hget(key, "pid") or 0) for key in connection.smembers("rq:workers")}
    beating = {beat.pid for beat in consumers.read_heartbeats(harvest_queue.get_connection_redis(),
                                                              kind="fetch")}
    return rq_worker.pid in registered and fetch.pid in beating


def test_what_the_restart_lost_is_queued_again(stack_redis, start_worker, scoring_queue,
                                                sysadmin_context, tmp_path):
    titles = [f"Inclusione lavorativa {n}" for n in range(HARVESTED)]
    with CKANPortal(prefix="/opendata") as portal:
        for title in titles:
            portal.add(title)
        options = {**allowing(portal.url), AUTO: "true"}
        rq_worker = start_worker("jobs", ["jobs", "worker", config.quality_queue()], options=options)
        gather = consumer("gather", tmp_path / "gather.log", options=options)
        fetch = consumer("fetch", tmp_path / "fetch.log", options=options)
        workers = (rq_worker, gather, fetch)
        pids = [worker.pid for worker in workers]
        try:
            wait_until(lambda: listening(rq_worker, fetch), 60, "the RQ worker and the fetch consumer ready",
                       workers)
            for frozen in (rq_worker, fetch):
                frozen.process.send_signal(signal.SIGSTOP)
            # the consumer's last BLPOP ends on the server within its wait; the RQ
            # worker's lasts minutes, so Redis itself hands it the first job
            time.sleep(consumers.POLL_SECONDS + 0.5)
            saved = [SVRCDataset()["id"] for _ in range(2)]  # each save queues its scoring
            job = start_harvest(portal, sysadmin_context, "restarted-redis")
            fetch_key = harvest_queue.get_fetch_routing_key()
            wait_until(lambda: object_states(job["id"]) == {"WAITING": HARVESTED}
                       and harvest_queue.get_connection_redis().llen(fetch_key) == HARVESTED,
                       60, "the harvest gathered, its objects queued", workers)
            redis_jobs = connect_to_redis()
            assert all(redis_jobs.exists(Job.key_for(jobs.job_id(package_id))) for package_id in saved)

            seconds = stack_redis.restart()
            assert harvest_queue.get_connection_redis().llen(fetch_key) == 0
            assert not any(redis_jobs.exists(Job.key_for(jobs.job_id(package_id))) for package_id in saved)
            for frozen in (rq_worker, fetch):
                frozen.process.send_signal(signal.SIGCONT)

            def everything_done() -> bool:
                run_round()  # the scheduler's round: resubmits WAITING objects missing from Redis
                jobs.requeue_lost_scorings()  # and the re-queue of lost scorings
                return job_status(job["id"]) == "Finished" and all(
                    scorings_stored([*saved, *harvest_package_ids(job["source_id"])]).values())

            wait_until(everything_done, 60, f"the job Finished and every dataset scored after a "
                                            f"Redis restart of {seconds:.1f} s", workers, interval=1)
            time.sleep(1)  # a scoring or an import done twice would show by now

            assert [worker.pid for worker in workers] == pids and all(w.alive() for w in workers)
            assert harvested_titles(job["source_id"]) == titles
            assert object_states(job["id"]) == {"COMPLETE": HARVESTED}
            everyone = [*saved, *harvest_package_ids(job["source_id"])]
            assert scorings_stored(everyone) == {package_id: 1 for package_id in everyone}
            assert ckan_jobs.get_queue(config.quality_queue()).failed_job_registry.count == 0
        finally:
            for worker in workers:
                worker.process.send_signal(signal.SIGCONT)
            gather.stop()
            fetch.stop()
