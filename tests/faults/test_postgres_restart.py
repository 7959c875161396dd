"""PostgreSQL restarted under load: ``pg_ctl restart -m fast`` on the test
stack's cluster while an RQ worker (``ckan jobs worker``) works through
queued scorings and our consumers import a harvest.

Every connection is cut at once, and two of them in the middle of a
transaction, for sure rather than by luck: the fetch consumer's import,
blocked by a lock the test holds on the package table, and a scoring whose
link check the test's server holds. The same processes carry on on new
connections; every queued scoring ends stored once, every dataset of the
harvest exists once, and the job ends Finished after the scheduler's rounds
(``harvesters/scheduler.run_round``).
"""
from __future__ import annotations

import threading
import time

import pytest
import sqlalchemy as sa
from ckan import model
from ckan.tests.helpers import call_action

from ckanext.plusresilient import config, jobs
from ckanext.plusresilient.demo.portals.ckan import CKANPortal
from ckanext.plusresilient.harvesters.scheduler import run_round
from ckanext.plusresilient.model import Quality
from tests.factories import SVRCDataset
from tests.faults.harvests import (allowing, harvested_titles, job_status, object_states,
                                   scorings_stored, start_harvest)
from tests.faults.services import forget_connections
from tests.loopback_http import Server
from tests.workers import consumer, wait_until

pytestmark = pytest.mark.usefixtures("with_plugins", "clean_db", "clean_index")

#: Enough that the harvest is still importing when the test locks the package
#: table after the third dataset: on an idle machine 8 were all imported first.
HARVESTED = 40
#: How long the test's server holds the link check (below the checks' 10 s timeout).
HOLD_SECONDS = 8


def waiting_on_package_lock() -> int:
    """Sessions waiting for a lock on the package table (the blocked import)."""
    model.Session.remove()
    return model.Session.execute(sa.text(
        "SELECT count(*) FROM pg_locks WHERE NOT granted AND relation = 'package'::regclass")).scalar()


def test_the_workers_reconnect_and_nothing_is_lost_or_doubled(
        stack_postgres, start_worker, scoring_queue, sysadmin_context, tmp_path):
    titles = [f"Servizi sociali del comune {n:02d}" for n in range(HARVESTED)]
    release = threading.Event()
    links = Server()

    @links.route("/report.html")
    def held(handler):
        release.wait(HOLD_SECONDS)
        handler.reply(200, b"<html><body>report</body></html>", "text/html")

    with CKANPortal(prefix="/opendata") as portal:
        for title in titles:
            portal.add(title)
        options = allowing(portal.url, links.url("/"))
        rq_worker = start_worker("jobs", ["jobs", "worker", config.quality_queue()],
                                 options={**options, "ckanext.plusresilient.http.timeout": "15"})
        gather = consumer("gather", tmp_path / "gather.log", options=options)
        fetch = consumer("fetch", tmp_path / "fetch.log", options=options)
        workers = (rq_worker, gather, fetch)
        pids = [worker.pid for worker in workers]
        lock = None
        try:
            # test.ini queues no scoring on save: the test queues them
            plain = [SVRCDataset()["id"] for _ in range(4)]
            checked = SVRCDataset(resources=[{"url": links.url("/report.html"), "format": "HTML"}])["id"]
            for package_id in plain[:2]:
                jobs.enqueue_scoring(package_id)
            job = start_harvest(portal, sysadmin_context, "restarted-database")
            wait_until(lambda: object_states(job["id"]).get("COMPLETE", 0) >= 3,
                       90, "the harvest under way", workers)

            lock = model.meta.engine.connect()
            lock.begin()
            lock.execute(sa.text("LOCK TABLE package IN EXCLUSIVE MODE"))
            wait_until(waiting_on_package_lock, 30, "an import waiting to write its dataset", workers)
            jobs.enqueue_scoring(checked)
            wait_until(lambda: links.count("/report.html"), 60, "the held link check", workers)

            seconds = stack_postgres.restart()
            lock.invalidate()
            forget_connections()
            release.set()
            for package_id in plain[2:]:  # work queued after the restart
                jobs.enqueue_scoring(package_id)

            def finished() -> bool:
                run_round()  # the scheduler's round, every second here
                scored = scorings_stored([*plain, checked]).values()
                return job_status(job["id"]) == "Finished" and all(scored)

            wait_until(finished, 90, f"the job Finished and every dataset scored after a restart of "
                                     f"{seconds:.1f} s", workers, interval=1)
            time.sleep(1)  # an import or a scoring done twice would show by now

            assert [worker.pid for worker in workers] == pids
            assert all(worker.alive() for worker in workers)
            assert harvested_titles(job["source_id"]) == titles
            assert object_states(job["id"]) == {"COMPLETE": HARVESTED}
            assert call_action("harvest_job_show", id=job["id"])["stats"].get("errored", 0) == 0
            assert scorings_stored([*plain, checked]) == {package_id: 1 for package_id in [*plain, checked]}
            assert {Quality.get(package_id).status for package_id in [*plain, checked]} == {"scored"}
        finally:
            release.set()
            if lock is not None:
                lock.close()
            gather.stop()
            fetch.stop()
            links.close()
