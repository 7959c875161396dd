"""`ckan plusresilient doctor` reports each service the suite needs, and
each worker it finds: RQ job workers and harvest consumers, real processes."""
from __future__ import annotations

import signal
import socket
import subprocess
from typing import Iterator

import pytest

from ckan.cli.cli import ckan as ckan_cli

from ckanext.plusresilient import health
from tests.workers import Worker, consumer, stop_all, wait_until

pytestmark = pytest.mark.usefixtures("with_plugins", "clean_db")

HOST = socket.gethostname()


@pytest.fixture(scope="module")
def workers(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Worker]]:
    """A real RQ worker and our two harvest consumers (beating every second)."""
    logs = tmp_path_factory.mktemp("doctor-workers")
    started = {"jobs": Worker(["jobs", "worker"], logs / "jobs.log"),
               "gather": consumer("gather", logs / "gather.log"),
               "fetch": consumer("fetch", logs / "fetch.log")}
    yield started
    stop_all(*started.values())


def checks_when(ready, workers: dict[str, Worker], what: str) -> dict[str, health.Check]:
    """Run the checks until ``ready(checks)``: the workers need a moment to
    start and register."""
    found: dict[str, dict[str, health.Check]] = {}

    def run():
        found["checks"] = {check.name: check for check in health.run_checks()}
        return ready(found["checks"])

    wait_until(run, 60, what, tuple(workers.values()))
    return found["checks"]


def lines_of(check: health.Check, worker: Worker) -> list[str]:
    return [line for line in check.lines if line.startswith(f"pid {worker.pid} on {HOST}: ")]


def test_every_check_passes_and_each_worker_is_listed(ckan_config, workers):
    checks = checks_when(lambda c: all(check.ok for check in c.values()), workers, "every check passing")

    assert list(checks) == list(health.CHECKS)
    assert checks["database"].detail.startswith("PostgreSQL ")
    assert "activity, harvest, plusresilient" in checks["migrations"].detail
    assert checks["solr"].detail.startswith(ckan_config["solr_url"])
    assert checks["redis"].detail.startswith("Redis ")
    [jobs] = lines_of(checks["job workers"], workers["jobs"])
    assert "last seen " in jobs and "queues default" in jobs
    for kind in ("gather", "fetch"):
        check = checks[f"{kind} consumers"]
        assert check.detail.startswith("1 live"), check
        [line] = lines_of(check, workers[kind])
        assert line.startswith(f"pid {workers[kind].pid} on {HOST}: idle, last seen ")
        assert line.endswith("0 messages handled (0 failed)")


def test_a_frozen_consumer_is_reported_stale_and_fails_the_check(workers):
    gather = workers["gather"]
    checks_when(lambda c: c["gather consumers"].ok, workers, "the gather consumer live")
    gather.process.send_signal(signal.SIGSTOP)  # alive, but no longer beating
    try:
        checks = checks_when(lambda c: not c["gather consumers"].ok, workers, "the gather consumer stale")
    finally:
        gather.process.send_signal(signal.SIGCONT)

    check = checks["gather consumers"]
    assert check.detail == "no live gather consumer: start `ckan plusresilient harvest gather-consumer`"
    [line] = lines_of(check, gather)
    assert "STALE, last seen " in line and "(beats every 1 s)" in line
    assert checks["fetch consumers"].ok
    # beating again once it runs again
    checks_when(lambda c: c["gather consumers"].ok, workers, "the gather consumer live again")


def test_a_killed_job_worker_still_registered_is_listed_not_counted():
    """rq keeps a killed worker registered for minutes: registered the way
    rq does it, with the pid of a process that has exited."""
    import rq

    from ckan.lib.jobs import get_queue
    from ckan.lib.redis import connect_to_redis

    exited = subprocess.Popen(["true"])
    exited.wait()
    dead = rq.Worker([get_queue()], connection=connect_to_redis())
    dead.pid = exited.pid
    dead.register_birth()
    try:
        check = {c.name: c for c in health.run_checks(skip=("database", "migrations", "solr"))}["job workers"]
    finally:
        dead.register_death()

    [line] = [line for line in check.lines if line.startswith(f"pid {exited.pid} on {HOST}: ")]
    assert "NOT RUNNING (still registered in Redis)" in line
    running = [line for line in check.lines if "NOT RUNNING" not in line]
    assert check.ok == bool(running)
    if running:
        assert check.detail.startswith(f"{len(running)} worker(s) on ")


def test_doctor_fails_when_no_consumer_reads_the_harvest_queues(cli, monkeypatch):
    """No consumer of this site (another site id: the consumers of the other
    tests, if any, are not its own) while the harvest plugin is loaded."""
    monkeypatch.setenv("CKAN_SITE_ID", "plusresilient_no_workers")

    result = cli.invoke(ckan_cli, ["plusresilient", "doctor", "--skip", "job workers"])

    assert result.exit_code == 1, result.output
    assert "ok   redis: Redis " in result.output
    assert ("FAIL gather consumers: no live gather consumer: start "
            "`ckan plusresilient harvest gather-consumer`") in result.output
    assert "FAIL fetch consumers: no live fetch consumer" in result.output


@pytest.mark.ckan_config("ckan.harvest.mq.type", "amqp")
def test_consumers_are_not_checked_with_another_queue_backend():
    checks = {c.name: c for c in health.run_checks(skip=("database", "migrations", "solr", "job workers"))}

    assert checks["gather consumers"].ok
    assert checks["gather consumers"].detail.startswith("not checked: ckan.harvest.mq.type is amqp")


def test_doctor_exits_zero_when_the_stack_is_up(cli):
    """A web-only node: no workers, and the checks of workers skipped."""
    result = cli.invoke(ckan_cli, ["plusresilient", "doctor", "--skip", "job workers",
                                   "--skip", "gather consumers", "--skip", "fetch consumers"])

    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert [line.split(":")[0].split(maxsplit=1)[1] for line in lines] == [
        "database",
        "migrations",
        "solr",
        "redis",
    ]
    assert all(line.startswith("ok") for line in lines)


def test_doctor_names_an_unreachable_solr_and_exits_one(cli, monkeypatch):
    # the CLI reloads test.ini, so the broken URL goes in the way an operator's would
    monkeypatch.setenv("CKAN_SOLR_URL", "http://127.0.0.1:9/solr/ckan")

    result = cli.invoke(ckan_cli, ["plusresilient", "doctor", "--skip", "job workers",
                                   "--skip", "gather consumers", "--skip", "fetch consumers"])

    assert result.exit_code == 1
    assert "FAIL solr: RuntimeError: Solr does not answer at http://127.0.0.1:9/solr/ckan" in result.output
    assert "ok   database" in result.output


def test_pending_migrations_are_named(migrate_db_for):
    from ckan import model

    with model.Session.get_bind().begin() as connection:
        connection.exec_driver_sql("DELETE FROM harvest_alembic_version")

    assert len(health.pending_migrations("harvest")) > 0
    result = dict((c.name, c) for c in health.run_checks(skip=("solr", "redis", "job workers",
                                                                   "gather consumers", "fetch consumers")))
    assert not result["migrations"].ok
    assert "harvest:" in result["migrations"].detail
    assert "run `ckan db upgrade -p harvest`" in result["migrations"].detail
