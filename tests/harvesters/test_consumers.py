"""Our harvest consumers as real processes (``ckan -c test.ini plusresilient
harvest gather-consumer`` / ``fetch-consumer``), on the real queues, against
an imitation CKAN portal:

* left idle longer than the redis client's socket timeout, then given a job
  the way the source page starts one (``harvest_job_create``): the datasets
  are imported, and SIGTERM in the middle of the gather lets it finish;
* on a Redis of the test's own that is killed and started again under them,
  then given a job: the datasets are imported.

ckanext-harvest's stock consumer, started beside ours, dies of the idle
wait (redis.exceptions.TimeoutError): that is what these consumers are for.
Each scenario runs once (module fixtures); the tests read its outcome.
"""
from __future__ import annotations

import dataclasses
import json
import signal
import socket
import subprocess
import time
from pathlib import Path
from typing import Iterator

import pytest
import redis

import ckan.plugins.toolkit as tk
from ckan import model
from ckan.tests.helpers import call_action
from ckanext.harvest import queue as harvest_queue

from ckanext.plusresilient.harvesters import consumers
from ckanext.plusresilient.demo.portals.ckan import CKANPortal
from tests.workers import Worker, consumer, stop_all, wait_until

SEARCH = "/opendata/api/3/action/package_search"
ALLOWED = "ckanext.plusresilient.http.allowed_private_networks"


def socket_timeout() -> float:
    """The socket timeout of the client ckanext-harvest consumes with
    (redis-py's default: 5 s)."""
    return consumers.socket_timeout(harvest_queue.get_connection_redis())


def allowance_for(portal: CKANPortal) -> dict[str, str]:
    """The consumers' configuration: test.ini, with the portal's port allowed."""
    return {ALLOWED: portal.url.removeprefix("http://")}


def beats(connection: redis.Redis, *workers: Worker) -> dict[int, consumers.Beat]:
    """The fresh heartbeats of these workers, by pid."""
    pids = {worker.pid for worker in workers}
    return {beat.pid: beat for beat in consumers.read_heartbeats(connection)
            if beat.pid in pids and not beat.stale}


def imported() -> list[str]:
    model.Session.remove()  # the consumers wrote them: read afresh
    found = call_action("package_search", fq="+dataset_type:dataset", rows=100)["results"]
    return sorted(d["title"] for d in found)


def start_job(portal: CKANPortal, context: dict, titles: list[str], name: str) -> dict:
    """A harvest source on ``portal`` and a job for it, created as the
    source page's "Reharvest" button does (which puts it on the gather queue)."""
    for title in titles:
        portal.add(title)
    source = call_action("harvest_source_create", dict(context), name=name, title=name,
                         url=portal.api_url, source_type="plusresilient_ckan",
                         config=json.dumps({"portal": name, "country": "IT", "language": "it"}))
    return call_action("harvest_job_create", dict(context), source_id=source["id"])


# -- scenario 1: idle past the socket timeout, then a job ---------------------------

@dataclasses.dataclass
class Idled:
    portal: CKANPortal
    gather: Worker
    fetch: Worker
    stock: Worker
    scheduler: Worker
    idle_seconds: float


@pytest.fixture(scope="module")
def idled(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Idled]:
    """Our gather and fetch consumers, and ckanext-harvest's stock gather
    consumer beside them, on the test site's queues, with no job until ours
    have waited longer than the client's socket timeout and the stock one
    has died of it."""
    logs = tmp_path_factory.mktemp("idle-consumers")
    harvest_queue.purge_queues()  # nothing left over from other tests
    connection = harvest_queue.get_connection_redis()
    portal = CKANPortal(prefix="/opendata").__enter__()
    gather = consumer("gather", logs / "gather.log", options=allowance_for(portal))
    fetch = consumer("fetch", logs / "fetch.log", options=allowance_for(portal))
    stock = Worker(["harvester", "gather-consumer"], logs / "stock-gather.log")
    # what cron's `ckan harvester run` does, once a second: marks the job Finished
    scheduler = Worker(["plusresilient", "harvest", "scheduler", "--every", "1"],
                       logs / "scheduler.log")
    try:
        wait_until(lambda: len(beats(connection, gather, fetch)) == 2, 60, "our consumers listening",
                   (gather, fetch))
        listening = time.monotonic()
        if socket_timeout() is not None:
            wait_until(lambda: not stock.alive() and time.monotonic() - listening > socket_timeout() + 1,
                       socket_timeout() + 30, "the stock consumer dead and ours idle past the socket timeout",
                       (gather, fetch))
        else:  # CKAN 2.11's redis-py 5: no timeout to outlive, and the stock one would take the job
            stock.stop()
        yield Idled(portal, gather, fetch, stock, scheduler, time.monotonic() - listening)
    finally:
        stop_all(gather, fetch, stock, scheduler)
        portal.__exit__(None, None, None)


def test_the_stock_consumer_dies_when_idle(idled: Idled):
    """Why ours exist: ckanext-harvest's consumer, started with them, died
    of the redis client's socket timeout while waiting for work."""
    if socket_timeout() is None:
        pytest.skip("CKAN 2.11 pins redis-py 5, whose clients have no socket timeout by default: "
                    "ckanext-harvest's consumer waits there (redis-py 8's 5 s timeout is CKAN 2.12's)")
    assert idled.stock.process.returncode not in (None, 0)
    assert "redis.exceptions.TimeoutError: Timeout reading from socket" in idled.stock.output()


@pytest.mark.usefixtures("with_plugins", "clean_db", "clean_index")
def test_a_job_queued_after_idling_is_imported_and_sigterm_lets_the_gather_finish(
        idled: Idled, sysadmin_context: dict):
    gather, fetch = idled.gather, idled.fetch
    assert gather.alive() and fetch.alive(), gather.output() + fetch.output()
    assert socket_timeout() is None or idled.idle_seconds > socket_timeout()
    connection = harvest_queue.get_connection_redis()
    titles = [f"Dataset harvested after a long wait {n}" for n in range(3)]

    portal = idled.portal
    listing = portal.routes[SEARCH]
    portal.routes[SEARCH] = lambda query: (time.sleep(1.5), listing(query))[1]  # a gather in progress to interrupt
    job = start_job(portal, sysadmin_context, titles, "idle-portal")
    assert job["status"] == "Running"

    wait_until(lambda: any(SEARCH in hit for hit in portal.hits), 30, "the gather reaching the portal",
               (gather, fetch))
    busy = beats(connection, gather)[gather.pid]
    assert (busy.state, busy.current) == ("busy", job["id"])
    gather.process.send_signal(signal.SIGTERM)  # mid-gather: it must finish the job first

    wait_until(lambda: imported() == titles, 60, "the datasets imported", (fetch,))

    assert gather.process.wait(30) == 0, gather.output()
    assert "SIGTERM received: stopping once the current message is done" in gather.output()
    # nobody calls harvest_jobs_run here: the scheduler process marks the job finished
    finished = wait_until(lambda: _finished(job["id"]), 30, "the scheduler finishing the job",
                          (fetch, idled.scheduler))
    assert finished["gather_started"] and finished["stats"]["added"] == 3, finished
    fetched = beats(connection, fetch)[fetch.pid]
    # Three objects, each handled at least once. ckanext-harvest's
    # resubmit_objects (the scheduler's harvest_jobs_run, every second here)
    # re-sends a WAITING object it does not see in the fetch list, and an
    # object committed by the gather but not yet published, or popped but not
    # yet marked FETCH, is one: on a loaded machine a fourth message, a no-op
    # for the object already imported (three datasets, none failed, above).
    assert fetched.handled >= 3 and (fetched.failed, fetched.state) == (0, "idle")

    started = time.monotonic()
    assert fetch.stop() == 0, fetch.output()  # idle: stops within one wait
    assert time.monotonic() - started < consumers.POLL_SECONDS + 3
    assert beats(connection, gather, fetch) == {}  # a clean exit removes the heartbeat


def _finished(job_id: str) -> dict | None:
    model.Session.remove()
    job = call_action("harvest_job_show", id=job_id)
    return job if job["status"] == "Finished" else None


def test_the_scheduler_stops_cleanly(idled: Idled):
    assert idled.scheduler.alive(), idled.scheduler.output()
    assert idled.scheduler.stop() == 0, idled.scheduler.output()
    assert "harvest scheduler round failed" not in idled.scheduler.output()
    assert "harvest scheduler" in idled.scheduler.output() and "stopped" in idled.scheduler.output()


# -- scenario 2: Redis restarted under the consumers -------------------------------

def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class RedisServer:
    """A redis-server of the test's own on a free loopback port, no persistence."""

    def __init__(self, workdir: Path) -> None:
        self.port = free_port()
        self.workdir = workdir
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        self.process = subprocess.Popen(
            ["redis-server", "--bind", "127.0.0.1", "--port", str(self.port), "--save", "",
             "--appendonly", "no", "--dir", str(self.workdir)],
            stdout=open(self.workdir / "redis.log", "a"), stderr=subprocess.STDOUT)
        client = redis.Redis.from_url(self.url)
        wait_until(lambda: self._ping(client), 20, f"redis-server on port {self.port}")

    @staticmethod
    def _ping(client: redis.Redis) -> bool:
        try:
            return client.ping()
        except redis.ConnectionError:
            return False

    def kill(self) -> None:
        """As a crash would: no goodbye to the clients."""
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(10)

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(10)


@dataclasses.dataclass
class Restarted:
    server: RedisServer
    portal: CKANPortal
    gather: Worker
    fetch: Worker


@pytest.fixture(scope="module")
def restarted(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Restarted]:
    """Our two consumers on a Redis of the test's own (CKAN_REDIS_URL), which
    is killed and started again once they are listening."""
    workdir = tmp_path_factory.mktemp("restarted-redis")
    server = RedisServer(workdir)
    server.start()
    portal = CKANPortal(prefix="/opendata").__enter__()
    env = {"CKAN_REDIS_URL": server.url}
    gather = consumer("gather", workdir / "gather.log", env=env, options=allowance_for(portal))
    fetch = consumer("fetch", workdir / "fetch.log", env=env, options=allowance_for(portal))
    connection = redis.Redis.from_url(server.url, decode_responses=True)
    try:
        wait_until(lambda: len(beats(connection, gather, fetch)) == 2, 60, "our consumers listening",
                   (gather, fetch))
        server.kill()
        wait_until(lambda: all("Redis unreachable" in w.output() for w in (gather, fetch)), 30,
                   "both consumers noticing Redis is gone", (gather, fetch))
        time.sleep(1)  # a few more failed attempts
        server.start()  # empty: the queues and heartbeats went with the old one
        wait_until(lambda: len(beats(connection, gather, fetch)) == 2, 30, "heartbeats in the new Redis",
                   (gather, fetch))
        yield Restarted(server, portal, gather, fetch)
    finally:
        stop_all(gather, fetch)
        server.stop()
        portal.__exit__(None, None, None)


@pytest.mark.usefixtures("with_plugins", "clean_db", "clean_index")
def test_a_job_queued_after_a_redis_restart_is_imported(restarted: Restarted, sysadmin_context: dict,
                                                        monkeypatch: pytest.MonkeyPatch):
    gather, fetch = restarted.gather, restarted.fetch
    for worker in (gather, fetch):
        assert worker.alive(), worker.output()
        assert "Redis unreachable (ConnectionError" in worker.output()
    titles = ["Dataset harvested after a Redis restart 0", "Dataset harvested after a Redis restart 1"]

    with monkeypatch.context() as patch:  # the job goes to the consumers' Redis
        patch.setitem(tk.config, "ckan.redis.url", restarted.server.url)
        start_job(restarted.portal, sysadmin_context, titles, "restart-portal")
    wait_until(lambda: imported() == titles, 60, "the datasets imported", (gather, fetch))

    assert stop_all(gather, fetch) == [0, 0], gather.output() + fetch.output()
    for worker in (gather, fetch):
        assert "Redis reachable again after" in worker.output()
        assert "Traceback" not in worker.output()
