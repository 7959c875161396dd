"""Smoke tests: the suite's CKAN talks to real PostgreSQL, Solr and Redis."""
from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

import ckan.plugins.toolkit as tk
from ckan import model
from ckan.lib import search
from ckan.tests import factories
from ckan.tests.helpers import call_action

from tests.factories import SVRCDataset

pytestmark = pytest.mark.usefixtures("with_plugins", "clean_db", "clean_index")


def test_solr_indexes_and_facets_a_dataset():
    cluster = factories.Organization(name="svrc-puglia", title="SVRC Puglia")
    other = factories.Organization(name="svrc-andalucia")
    SVRCDataset(owner_org=cluster["id"], title="Social cooperatives in Apulia")
    SVRCDataset(owner_org=cluster["id"])
    SVRCDataset(owner_org=other["id"])

    result = call_action(
        "package_search",
        fq="organization:svrc-puglia",
        q="cooperatives",
        **{"facet.field": '["organization"]'},
    )

    assert result["count"] == 1
    assert result["results"][0]["title"] == "Social cooperatives in Apulia"
    assert result["facets"]["organization"] == {"svrc-puglia": 1}

    everything = call_action("package_search", **{"facet.field": '["organization"]'})
    assert everything["count"] == 3
    assert everything["facets"]["organization"] == {"svrc-puglia": 2, "svrc-andalucia": 1}


def test_harvest_source_is_created_and_indexed(sysadmin_context):
    source = call_action(
        "harvest_source_create",
        context=dict(sysadmin_context),
        name="dati-gov-it",
        title="dati.gov.it",
        url="https://www.dati.gov.it/opendata/api/3/action/",
        source_type="ckan",
        frequency="WEEKLY",
    )

    shown = call_action("harvest_source_show", context=dict(sysadmin_context), id=source["id"])
    assert shown["source_type"] == "ckan"
    assert shown["url"] == "https://www.dati.gov.it/opendata/api/3/action/"
    assert shown["frequency"] == "WEEKLY"
    assert model.Session.query(model.Package).filter_by(name="dati-gov-it", type="harvest").count() == 1

    # harvest sources are datasets of type "harvest": Solr has it too
    found = call_action(
        "package_search", context=dict(sysadmin_context), fq="+dataset_type:harvest", include_private=True
    )
    assert [r["name"] for r in found["results"]] == ["dati-gov-it"]


def _ckan_command() -> str:
    return str(Path(sys.executable).with_name("ckan"))


@pytest.mark.usefixtures("clean_queues")  # jobs other tests queued (quality refreshes) are not ours
def test_background_job_runs_in_a_real_rq_worker(ckan_config):
    dataset = SVRCDataset(title="Re-indexed by a worker")
    search.clear(dataset["id"])
    assert call_action("package_search", q="worker")["count"] == 0

    job = tk.enqueue_job(search.rebuild, kwargs={"package_id": dataset["id"]}, title="reindex one")
    assert [j["id"] for j in call_action("job_list")] == [job.id]

    worker = subprocess.run(
        [_ckan_command(), "-c", ckan_config["__file__"], "jobs", "worker", "--burst"],
        capture_output=True,
        text=True,
        timeout=120,
        env=os.environ.copy(),
    )

    assert worker.returncode == 0, worker.stderr[-2000:]
    job.refresh()
    assert job.get_status() == "finished"
    assert call_action("job_list") == []
    found = call_action("package_search", q="worker")
    assert [r["id"] for r in found["results"]] == [dataset["id"]]


def test_dataset_page_lists_datasets_from_solr(app):
    SVRCDataset(title="Employment of vulnerable groups in Slovenia")

    response = app.get("/dataset")

    assert response.status_code == 200
    assert "Employment of vulnerable groups in Slovenia" in response.get_data(as_text=True)
    assert "1 dataset found" in response.get_data(as_text=True)


def test_status_show_lists_the_plugins(app):
    response = app.get("/api/3/action/status_show")

    assert response.status_code == 200
    result = response.json["result"]
    assert result["ckan_version"].startswith(("2.11", "2.12"))
    assert {"plusresilient", "harvest", "activity"} <= set(result["extensions"])


def test_our_migrations_are_applied():
    inspector = __import__("sqlalchemy").inspect(model.Session.get_bind())

    assert inspector.has_table("plusresilient_alembic_version")
    assert inspector.has_table("harvest_source")
    assert inspector.has_table("activity")


# -- bin/stack status ------------------------------------------------------------------

STACK = Path(__file__).resolve().parents[2] / "bin" / "stack"
WORKER_NAMES = ("jobs", "gather", "fetch", "scheduler", "portals", "web")


def test_status_lists_the_services_and_every_worker():
    """On the stack the tests run on: the services run; each worker of the
    demo is listed (stopped, unless a demo runs on this stack too)."""
    result = subprocess.run([str(STACK), "status"], capture_output=True, text=True, timeout=60)

    assert result.returncode == 0, result.stderr
    lines = result.stderr.splitlines()
    for service in ("PostgreSQL", "Redis", "Solr"):
        assert any(line.startswith(f"stack: {service} running (pid ") for line in lines), result.stderr
    for worker in WORKER_NAMES:
        assert any(line.startswith((f"stack: {worker} running (pid ", f"stack: {worker} stopped"))
                   for line in lines), result.stderr


def test_status_exits_3_when_the_services_are_stopped(tmp_path):
    env = {**os.environ, "PLUSRESILIENT_STACK_DIR": str(tmp_path)}  # a stack that never started

    result = subprocess.run([str(STACK), "status"], capture_output=True, text=True, timeout=60, env=env)

    assert result.returncode == 3
    assert "stack: Redis stopped" in result.stderr
    assert [line for line in result.stderr.splitlines() if line.split()[1] in WORKER_NAMES] == [
        f"stack: {worker} stopped" for worker in WORKER_NAMES]


def test_status_tells_a_live_consumer_from_a_stale_and_a_dead_one(tmp_path, ckan_config):
    """Workers as `bin/stack demo` leaves them, in a stack folder of the
    test's own: pidfiles of a live consumer, a frozen one (SIGSTOP: alive,
    no heartbeat) and a job worker that has exited."""
    from ckanext.harvest import queue as harvest_queue

    from ckanext.plusresilient.harvesters import consumers
    from tests.workers import consumer, stop_all, wait_until

    run = tmp_path / "run"
    run.mkdir()
    gather = consumer("gather", tmp_path / "gather.log")
    fetch = consumer("fetch", tmp_path / "fetch.log")
    exited = subprocess.Popen(["true"])
    exited.wait()
    for name, pid in (("gather", gather.pid), ("fetch", fetch.pid), ("jobs", exited.pid)):
        (run / f"worker-{name}.pid").write_text(f"{pid}\n")
    connection = harvest_queue.get_connection_redis()

    def status() -> subprocess.CompletedProcess:
        # the demo's workers beat in development.ini's Redis; these in test.ini's
        # ($0 is not the script: sourced, it then defines its functions and runs nothing)
        script = f'source "$1"; CKAN_REDIS_URL={ckan_config["ckan.redis.url"]}; status_workers'
        return subprocess.run(["bash", "-c", script, "bash", str(STACK)], capture_output=True, text=True,
                              timeout=60, env={**os.environ, "PLUSRESILIENT_STACK_DIR": str(tmp_path)})

    try:
        wait_until(lambda: {b.pid for b in consumers.read_heartbeats(connection)} >= {gather.pid, fetch.pid},
                   60, "both consumers beating", (gather, fetch))
        fetch.process.send_signal(signal.SIGSTOP)
        time.sleep(3)  # three missed beats of one second, then whatever the rounding of ages takes
        result = wait_until(lambda: (r := status()) and "stale" in r.stderr and r, 15,
                            "the frozen consumer seen stale", (gather,))

        assert result.returncode == 1, result.stderr
        lines = result.stderr.splitlines()
        assert lines[0] == f"stack: jobs dead: pid {exited.pid} has exited (see {tmp_path}/log/worker-jobs.log)"
        assert re.fullmatch(rf"stack: gather running \(pid {gather.pid}\), heartbeat \d s ago, "
                            r"0 messages handled", lines[1]), lines[1]
        assert re.fullmatch(rf"stack: fetch running \(pid {fetch.pid}\) but its heartbeat is stale: "
                            r"last beat \d+ s ago, expected every 1 s \(see .*worker-fetch.log\)", lines[2]), lines[2]
        assert lines[3:] == ["stack: scheduler stopped", "stack: portals stopped", "stack: web stopped"]

        fetch.process.send_signal(signal.SIGCONT)
        (run / "worker-jobs.pid").unlink()
        healthy = wait_until(lambda: (r := status()).returncode == 0 and r, 10, "every worker fresh again",
                             (gather, fetch))
        assert f"stack: fetch running (pid {fetch.pid}), heartbeat " in healthy.stderr
        assert "stack: jobs stopped" in healthy.stderr
    finally:
        stop_all(gather, fetch)
