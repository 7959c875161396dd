"""Solr stopped in the middle of a harvest, for real, then started again.

A harvest of an imitation CKAN portal runs through the real queues with
real consumer processes (our gather and fetch consumers, and the scheduler
that marks jobs finished). After an earlier harvest, the portal edits one
dataset, withdraws one and publishes new ones; once some of the new ones
are imported, the test stack's Solr is stopped (SIGTERM, as ``bin/stack
down`` does, and waited for). Expected, and checked:

* what is imported while Solr is down (new datasets, the edit, the
  withdrawal) ends as harvest objects in ERROR, with a message that names
  the search index and says the next harvest retries; the consumers survive
  it (same processes), and the job ends Finished;
* nothing is lost from PostgreSQL, and nothing is half-saved: CKAN 2.12
  sends a dataset to Solr before it commits it, so a failed index rolls the
  whole save back (the harvest record with it), and once Solr is back
  every dataset PostgreSQL holds is in the index;
* the next harvest of the source (a new job, as the schedule would start)
  does what failed: every dataset of the portal is there exactly once, in
  PostgreSQL and in Solr, the withdrawn one is gone, and CKAN's own
  ``ckan search-index check`` finds nothing missing from the index.

The scheduler is held still (SIGSTOP) while a job's objects are on the
queue, and let go to mark the job finished: each of its rounds runs
ckanext-harvest's ``resubmit_objects``, which re-sends every WAITING object
it does not see on the fetch queue, and an object the gather has committed
but not yet published, or that the fetch consumer has popped but not yet
marked, is one. Such a second message is a race of its own (an object
imported twice, or turned from COMPLETE to ERROR once its job is Finished),
which would blur what this test counts.

Solr is started again when the test ends, whatever happened (the
``stack_solr`` fixture), so the tests that come next have a search index.
"""
from __future__ import annotations

import contextlib
import datetime
import json
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Iterator

import pytest

from ckan import model
from ckan.tests.helpers import call_action
from ckanext.harvest import queue as harvest_queue
from ckanext.harvest.model import HarvestJob, HarvestObject, HarvestObjectError

from ckanext.plusresilient.demo.portals.ckan import CKANPortal
from ckanext.plusresilient.harvesters import consumers
from tests.faults.solr import StackSolr
from tests.workers import ROOT, Worker, wait_until

ALLOWED = "ckanext.plusresilient.http.allowed_private_networks"
PREFIX = "Dataset harvested around a Solr outage"
#: new datasets at the portal when Solr is stopped, after BEFORE were imported
NEW = 12
BEFORE = 4
#: sorted last by id: the edited dataset is imported after the new ones
LAST_ID = "ffffffff-0000-4000-8000-000000000000"


@pytest.fixture
def stack_solr() -> Iterator[StackSolr]:
    """The stack's Solr; running again after the test, even a failed one."""
    solr = StackSolr.of_session()
    assert solr.answers(), f"the stack's Solr at {solr.url} does not answer before the test"
    yield solr
    solr.start()


@pytest.fixture
def portal() -> Iterator[CKANPortal]:
    with CKANPortal(prefix="/opendata") as running:
        yield running


def _harvested(job_id: str) -> int:
    """Objects of the job imported so far (added, updated or withdrawn)."""
    model.Session.remove()  # the consumers write them: read afresh
    return model.Session.query(HarvestObject).filter(
        HarvestObject.harvest_job_id == job_id, HarvestObject.state == "COMPLETE",
        HarvestObject.report_status != "not modified").count()


def _states(job_id: str) -> Counter:
    model.Session.remove()  # the consumers write them: read afresh
    return Counter(state for (state,) in model.Session.query(HarvestObject.state)
                   .filter(HarvestObject.harvest_job_id == job_id))


def _finished(job_id: str) -> HarvestJob | None:
    model.Session.remove()
    job = model.Session.get(HarvestJob, job_id)
    return job if job.status == "Finished" else None


def _active_titles() -> list[str]:
    """The datasets in PostgreSQL, one title per row (a double shows twice)."""
    model.Session.remove()
    return sorted(title for (title,) in model.Session.query(model.Package.title)
                  .filter(model.Package.type == "dataset", model.Package.state == "active"))


def _indexed_titles() -> list[str]:
    """The datasets in Solr, one title per document."""
    model.Session.remove()
    found = call_action("package_search", fq="+dataset_type:dataset", rows=1000)
    return sorted(d["title"] for d in found["results"])


def _gathered(connection, gather: Worker, jobs: int) -> bool:
    """The gather consumer has handled ``jobs`` jobs (and so published their objects)."""
    return any(beat.pid == gather.pid and beat.handled >= jobs and beat.state == "idle"
               for beat in consumers.read_heartbeats(connection))


def _settled(job_id: str) -> bool:
    """No object of the job waits or is in hand any more."""
    return sum(count for state, count in _states(job_id).items() if state not in ("COMPLETE", "ERROR")) == 0


@contextlib.contextmanager
def _held(*workers: Worker) -> Iterator[None]:
    """These workers stopped (SIGSTOP) for the block, then let go."""
    for worker in workers:
        worker.process.send_signal(signal.SIGSTOP)
    try:
        yield
    finally:
        for worker in workers:
            worker.process.send_signal(signal.SIGCONT)


def _harvest(source_id: str, context: dict, connection, gather: Worker, jobs: int) -> dict:
    """A job, as the source page's "Reharvest" starts one (the ``jobs``-th of
    the test), once the gather has put its objects on the fetch queue."""
    job = call_action("harvest_job_create", dict(context), source_id=source_id)
    wait_until(lambda: _gathered(connection, gather, jobs), 60, "the gather published", (gather,))
    return job


@pytest.mark.usefixtures("with_plugins", "clean_db", "clean_index")
def test_solr_stopped_during_a_harvest_loses_nothing_and_the_next_run_repairs_the_index(
        stack_solr: StackSolr, portal: CKANPortal, start_worker, sysadmin_context: dict):
    started = time.monotonic()
    harvest_queue.purge_queues()  # nothing left over from other tests
    connection = harvest_queue.get_connection_redis()
    options = {ALLOWED: portal.url.removeprefix("http://")}
    gather = start_worker("gather", consumer_args("gather"), options=options)
    fetch = start_worker("fetch", consumer_args("fetch"), options=options)
    # what cron's `ckan harvester run` does, once a second: marks the jobs Finished
    scheduler = start_worker("scheduler", ["plusresilient", "harvest", "scheduler", "--every", "1"])
    workers = (gather, fetch, scheduler)
    pids = tuple(worker.pid for worker in workers)
    wait_until(lambda: len([b for b in consumers.read_heartbeats(connection)
                            if b.pid in pids and not b.stale]) == 2,
               60, "both consumers listening", workers)

    # -- an earlier harvest, with Solr up ---------------------------------------------------
    kept = portal.add(f"{PREFIX} kept")
    changed = portal.add(f"{PREFIX} changed", id=LAST_ID)  # listed last: updated while Solr is down
    gone = portal.add(f"{PREFIX} gone")
    source = call_action("harvest_source_create", dict(sysadmin_context), name="outage-portal",
                         title="Outage portal", url=portal.api_url, source_type="plusresilient_ckan",
                         config=json.dumps({"portal": "outage", "country": "IT", "language": "it"}))
    with _held(scheduler):
        earlier = _harvest(source["id"], sysadmin_context, connection, gather, 1)
        wait_until(lambda: _settled(earlier["id"]), 60, "the earlier job imported", workers)
    wait_until(lambda: _finished(earlier["id"]), 60, "the earlier job Finished", workers)
    assert _active_titles() == sorted([kept["title"], changed["title"], gone["title"]])

    # since then, the portal changed: one dataset edited, one withdrawn, many new
    now = datetime.datetime.utcnow().strftime("%Y-%m-%dT%H:%M:%S.%f")
    changed.update(title=f"{PREFIX} changed, edited", metadata_modified=now)
    del portal.packages[gone["id"]]
    for number in range(NEW):
        portal.add(f"{PREFIX} new {number:02d}", modified=now)
    every_title = sorted(p["title"] for p in portal.packages.values())
    objects = NEW + 2  # the new ones, the edited one, the withdrawal

    # -- in the middle of the import, Solr goes away ------------------------------------
    with _held(scheduler):
        first = _harvest(source["id"], sysadmin_context, connection, gather, 2)
        wait_until(lambda: _harvested(first["id"]) >= BEFORE, 60, f"{BEFORE} datasets imported", workers)
        # the fetch consumer is held still while Solr shuts down, so that the
        # rest of the job meets a stopped Solr whatever the machine's speed
        with _held(fetch):
            stopped_in = stack_solr.stop()
        assert not stack_solr.running() and not stack_solr.answers()
        imported_before = _harvested(first["id"])
        assert imported_before < NEW, "the new datasets were all imported before Solr stopped"
        wait_until(lambda: _settled(first["id"]), 60, "every object of the job imported or failed", workers)
    wait_until(lambda: _finished(first["id"]), 60, "the job Finished with Solr down", workers)

    # -- the outage, as the job recorded it ---------------------------------------------
    states = _states(first["id"])
    failed = states["ERROR"]
    # the one in hand when Solr stopped may have made it; +1: kept, not modified
    assert states == Counter(COMPLETE=objects - failed + 1, ERROR=failed), states
    assert failed >= objects - imported_before - 1, (states, imported_before)
    errors = dict(model.Session.query(HarvestObject.guid, HarvestObjectError.message)
                  .join(HarvestObjectError).filter(HarvestObject.harvest_job_id == first["id"]))
    assert len(errors) == failed, errors
    assert {f"ckan:{changed['id']}", f"ckan:{gone['id']}"} <= set(errors)  # listed last
    for message in errors.values():
        assert "search index (Solr)" in message and "the next harvest" in message, message
    assert "Could not withdraw dataset" in errors[f"ckan:{gone['id']}"]
    for worker in workers:
        assert worker.alive(), worker.output()
    assert tuple(worker.pid for worker in workers) == pids

    # Nothing lost, nothing half-saved: what was imported stays, the edit
    # and the withdrawal wait, and a failed import left no row behind (CKAN
    # 2.12 sends a dataset to Solr before it commits it: the failure rolls
    # the save back, the harvest record with it).
    imported = [title for (title,) in model.Session.query(model.Package.title)
                .join(HarvestObject, HarvestObject.package_id == model.Package.id)
                .filter(HarvestObject.harvest_job_id == first["id"], HarvestObject.state == "COMPLETE",
                        HarvestObject.report_status == "added")]
    assert len(imported) == objects - failed
    assert _active_titles() == sorted([kept["title"], f"{PREFIX} changed", gone["title"], *imported])

    # -- Solr again: what PostgreSQL holds is all in the index ------------------------------
    restarted_in = stack_solr.start()
    wait_until(lambda: _indexed_titles() == _active_titles(), 30, "every dataset saved is indexed")

    # -- and the next run of the source repairs the rest -----------------------------------
    with _held(scheduler):
        second = _harvest(source["id"], sysadmin_context, connection, gather, 3)
        wait_until(lambda: _settled(second["id"]), 60, "the next job imported", workers)
    wait_until(lambda: _finished(second["id"]), 60, "the next job Finished", workers)
    second_states = _states(second["id"])
    assert second_states == Counter(COMPLETE=len(every_title) + 1), second_states  # +1: the withdrawal
    assert _active_titles() == every_title  # each once in PostgreSQL, the withdrawn one gone
    wait_until(lambda: _indexed_titles() == every_title, 30, "each dataset once in Solr")

    check = subprocess.run([str(Path(sys.executable).with_name("ckan")), "-c", str(ROOT / "test.ini"),
                            "search-index", "check"], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert check.returncode == 0, check.stdout + check.stderr
    assert "Packages not indexed = 0 out of" in check.stdout, check.stdout + check.stderr

    for worker in workers:
        assert worker.alive(), worker.output()
    assert tuple(worker.pid for worker in workers) == pids
    print(f"Solr stopped in {stopped_in:.1f} s, started again in {restarted_in:.1f} s; "
          f"{objects - failed} of {objects} objects imported, {failed} failed; "
          f"scenario {time.monotonic() - started:.1f} s")


def consumer_args(kind: str) -> list[str]:
    """Our consumer, beating every second (tests/workers.py's ``consumer``)."""
    return ["plusresilient", "harvest", f"{kind}-consumer", "--heartbeat", "1"]
