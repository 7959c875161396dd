"""The production layout (deploy/supervisord.conf) as `bin/stack prod` runs
it, on the test database: CKAN under gunicorn, an RQ worker, the gather and a
fetch consumer and the scheduler, each a program supervisor keeps alive.

Nobody types a harvest command here: a weekly source is harvested when due,
a job whose gather was lost is ended by ckanext-harvest's timeout and started
again, and a fetch consumer killed with SIGKILL in the middle of a job is
restarted by supervisor while the scheduler puts back what it held; every
dataset ends imported exactly once. The layout starts once for the module
(about 30 s); the tests run in order on it.
"""
from __future__ import annotations

import dataclasses
import datetime
import json
import os
import re
import signal
import socket
import subprocess
import sys
import urllib.request
from pathlib import Path
from typing import Iterator

import pytest
import sqlalchemy

from ckan import model
from ckan.tests import factories
from ckan.tests.helpers import call_action
from ckanext.harvest import queue as harvest_queue
from ckanext.harvest.model import HarvestJob, HarvestObject, HarvestSource

from ckanext.plusresilient.demo.portals.ckan import CKANPortal
from ckanext.plusresilient.harvesters import consumers
from tests.faults.harvests import create_source, harvested_titles
from tests.workers import wait_until

ROOT = Path(__file__).resolve().parents[2]
STACK = ROOT / "bin" / "stack"
ALLOWED = "ckanext.plusresilient.http.allowed_private_networks"
PROGRAMS = ("web", "worker-0", "gather", "fetch-0", "scheduler")

pytestmark = pytest.mark.usefixtures("with_plugins", "clean_db")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@dataclasses.dataclass
class Layout:
    url: str
    portal: CKANPortal
    env: dict[str, str]
    log_dir: Path

    def stack(self, *args: str, timeout: float = 240) -> subprocess.CompletedProcess:
        return subprocess.run([str(STACK), *args], capture_output=True, text=True, timeout=timeout,
                              env=self.env, stdin=subprocess.DEVNULL)

    def supervisorctl(self, *args: str) -> str:
        result = subprocess.run(
            [str(Path(sys.executable).with_name("supervisorctl")), "-c", str(ROOT / "deploy" / "supervisord.conf"),
             *args], capture_output=True, text=True, timeout=60, env=self.supervisor_env())
        return result.stdout

    def supervisor_env(self) -> dict[str, str]:
        run_dir = Path(self.env["PLUSRESILIENT_STACK_DIR"]) / "prod-test" / "run"
        return {**self.env, "PLUSRESILIENT_RUN_DIR": str(run_dir)}

    def programs(self) -> dict[str, tuple[str, int | None]]:
        """Each program's state and pid, as supervisor reports them."""
        found = {}
        for line in self.supervisorctl("status").splitlines():
            match = re.match(r"plusresilient:(\S+)\s+(\S+)(?:\s+pid (\d+),)?", line)
            if match:
                found[match[1]] = (match[2], int(match[3]) if match[3] else None)
        return found

    def logs(self) -> str:
        return "\n".join(f"--- {path.name}:\n{path.read_text(errors='replace')[-3000:]}"
                         for path in sorted(self.log_dir.glob("*.log")))


@pytest.fixture(scope="module")
def layout(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Layout]:
    """`TEST=1 bin/stack prod`, with one of each worker, a harvest round
    every second, and an imitation CKAN portal the layout may reach."""
    work = tmp_path_factory.mktemp("production")
    portal = CKANPortal(prefix="/opendata").__enter__()
    extra = work / "extra.ini"
    extra.write_text(f"{ALLOWED} = {portal.url.removeprefix('http://')}\n")
    port = free_port()
    stack_dir = os.environ.get("PLUSRESILIENT_STACK_DIR") or str(ROOT / ".stack")
    env = {**os.environ, "TEST": "1", "PLUSRESILIENT_STACK_DIR": stack_dir,
           "PLUSRESILIENT_CKAN_PORT": str(port), "PLUSRESILIENT_EXTRA_INI": str(extra),
           "PLUSRESILIENT_WEB_WORKERS": "1", "PLUSRESILIENT_RQ_WORKERS": "1",
           "PLUSRESILIENT_FETCH_CONSUMERS": "1", "PLUSRESILIENT_HARVEST_EVERY": "1",
           "PLUSRESILIENT_LINKS_EVERY": "0"}
    layout = Layout(f"http://127.0.0.1:{port}", portal, env, Path(stack_dir) / "log" / "prod-test")
    harvest_queue.purge_queues()  # nothing left over from other tests
    started = layout.stack("prod")
    try:
        assert started.returncode == 0, started.stderr + layout.logs()
        yield layout
    finally:
        stopped = layout.stack("prod", "stop", timeout=120)
        portal.__exit__(None, None, None)
        assert stopped.returncode == 0, stopped.stderr


@pytest.fixture
def sysadmin_context(clean_db, layout: Layout) -> dict:
    """A sysadmin's context, once CKAN's site user exists again: clean_db
    emptied the users, and the layout's scheduler recreates the site user
    within a second, maybe while this process does (get_site_user is not
    atomic: one of the two inserts fails)."""
    for _attempt in range(3):
        try:
            call_action("get_site_user")
            break
        except sqlalchemy.exc.IntegrityError:
            model.Session.rollback()
    return {"user": factories.Sysadmin()["name"], "ignore_auth": False}


def test_bin_stack_status_lists_every_program_running(layout: Layout):
    result = layout.stack("status", timeout=60)

    lines = [line for line in result.stderr.splitlines() if line.startswith("stack: prod ")]
    assert [line.split()[2] for line in lines] == [f"plusresilient:{name}" for name in sorted(PROGRAMS)], \
        result.stderr
    assert all(" RUNNING " in line for line in lines), result.stderr
    for kind in ("gather", "fetch-0"):
        line = next(line for line in lines if f"plusresilient:{kind} " in line)
        assert re.search(r", heartbeat \d+ s ago, \d+ messages handled$", line), line
    assert result.returncode == 0, result.stderr


def test_ckan_answers_through_gunicorn(layout: Layout):
    with urllib.request.urlopen(f"{layout.url}/api/action/status_show", timeout=30) as response:
        status = json.load(response)["result"]
    with urllib.request.urlopen(f"{layout.url}/dataset/", timeout=30) as response:
        page = response.read().decode()

    assert "plusresilient" in status["extensions"]
    assert response.status == 200 and "+RESILIENT" in page
    assert "gunicorn" in (layout.log_dir / "web.log").read_text()


def _source(layout: Layout, context: dict, name: str, titles: list[str], frequency: str) -> dict:
    layout.portal.packages.clear()  # the portal lists this test's datasets only
    for title in titles:
        layout.portal.add(title)
    return create_source(layout.portal, context, name, frequency)


def _jobs(source_id: str) -> list[HarvestJob]:
    model.Session.remove()  # the layout wrote them: read afresh
    return (model.Session.query(HarvestJob).filter_by(source_id=source_id)
            .order_by(HarvestJob.created).all())


def _all_finished(source_id: str, count: int) -> list[HarvestJob] | None:
    jobs = _jobs(source_id)
    return jobs if len(jobs) >= count and all(job.status == "Finished" for job in jobs) else None


def test_a_weekly_source_is_harvested_when_due_without_anyone_asking(layout: Layout, sysadmin_context: dict):
    titles = [f"Weekly social services {n}" for n in range(3)]
    source = _source(layout, sysadmin_context, "weekly-portal", titles, "WEEKLY")

    # nobody creates a job: the scheduler finds the source due (never run)
    jobs = wait_until(lambda: _all_finished(source["id"], 1), 90, "the scheduled harvest finished")
    assert harvested_titles(source["id"]) == titles
    next_run = model.Session.get(HarvestSource, source["id"]).next_run
    week = datetime.timedelta(weeks=1)
    assert week - datetime.timedelta(minutes=5) < next_run - jobs[0].created < week + datetime.timedelta(minutes=5)

    # a week later (its next run moved into the past), harvested again; nothing doubled
    layout.portal.add("Weekly social services 3")
    model.Session.query(HarvestSource).filter_by(id=source["id"]).update(
        {"next_run": datetime.datetime.utcnow() - datetime.timedelta(minutes=1)})
    model.Session.commit()
    wait_until(lambda: _all_finished(source["id"], 2), 90, "the second scheduled harvest finished")
    assert harvested_titles(source["id"]) == sorted(titles + ["Weekly social services 3"])


def test_a_job_whose_gather_was_lost_is_timed_out_and_started_again(layout: Layout, sysadmin_context: dict):
    """The gather message lost (as a Redis restart without persistence loses
    it) while the job is Running: before, the job stayed Running for ever."""
    titles = [f"Lost gather dataset {n}" for n in range(2)]
    source = _source(layout, sysadmin_context, "lost-gather-portal", titles, "MANUAL")
    assert layout.supervisorctl("stop", "plusresilient:gather").strip().endswith("stopped")
    try:
        job = call_action("harvest_job_create", dict(sysadmin_context), source_id=source["id"])
        harvest_queue.get_connection_redis().delete(harvest_queue.get_gather_routing_key())
        # ckan.harvest.timeout (deploy/production.ini: 60 minutes) passes
        model.Session.query(HarvestJob).filter_by(id=job["id"]).update(
            {"created": datetime.datetime.utcnow() - datetime.timedelta(minutes=61)})
        model.Session.commit()
    finally:
        assert "started" in layout.supervisorctl("start", "plusresilient:gather")

    jobs = wait_until(lambda: _all_finished(source["id"], 2), 90, "the job timed out and its retry finished")

    timed_out, retry = jobs[0], jobs[1]
    assert timed_out.id == job["id"]
    assert [error.message.split("\n")[0] for error in timed_out.get_gather_errors()] == [
        f"Job {job['id']} timeout (60 minutes)"]
    assert retry.get_gather_errors() == []
    assert harvested_titles(source["id"]) == titles
    assert "timed out: started again as " + retry.id in (layout.log_dir / "scheduler.log").read_text()


def test_a_fetch_consumer_killed_mid_job_is_restarted_and_the_job_completes(layout: Layout, sysadmin_context: dict):
    titles = [f"Dataset imported across a crash {n:02d}" for n in range(30)]
    source = _source(layout, sysadmin_context, "crash-portal", titles, "MANUAL")
    killed_pid = layout.programs()["fetch-0"][1]
    connection = harvest_queue.get_connection_redis()

    job = call_action("harvest_job_create", dict(sysadmin_context), source_id=source["id"])
    busy = wait_until(lambda: next((beat for beat in consumers.read_heartbeats(connection, kind="fetch")
                                    if beat.pid == killed_pid and beat.state == "busy" and beat.handled >= 2),
                                   None), 90, "the fetch consumer in the middle of the job")
    os.kill(killed_pid, signal.SIGKILL)

    restarted = wait_until(lambda: (state := layout.programs()["fetch-0"])[0] == "RUNNING"
                           and state[1] != killed_pid and state, 60, "supervisor restarting the consumer")
    jobs = wait_until(lambda: _all_finished(source["id"], 1), 120, "the job finished after the crash")

    assert restarted[1] != killed_pid
    assert harvested_titles(source["id"]) == titles  # every dataset, exactly once
    model.Session.remove()
    states = {obj.state for obj in model.Session.query(HarvestObject).filter_by(harvest_job_id=job["id"])}
    assert states == {"COMPLETE"}, states
    assert jobs[0].get_gather_errors() == []
    # The object in hand when killed was done again well within ckanext-harvest's
    # 3 minutes (the wait above): by ckanext-harvest's resubmit_objects when
    # still WAITING, else put back by the scheduler once no live consumer held
    # it (tests/harvesters/test_scheduler.py); its key is gone either way.
    assert not connection.exists(f"{harvest_queue.get_fetch_routing_key()}:{busy.current}")
