"""`ckan plusresilient doctor` reports each service the suite needs."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from ckan.cli.cli import ckan as ckan_cli

from ckanext.plusresilient import health

pytestmark = pytest.mark.usefixtures("with_plugins", "clean_db")


def test_every_check_passes_on_the_real_stack(ckan_config):
    # a real worker process, so that the job-workers check has one to find
    worker = subprocess.Popen(
        [str(Path(sys.executable).with_name("ckan")), "-c", ckan_config["__file__"], "jobs", "worker"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env=os.environ.copy(),
    )
    try:
        checks = {}
        for _ in range(60):
            checks = {c.name: c for c in health.run_checks()}
            if checks["job workers"].ok:
                break
            __import__("time").sleep(0.5)
    finally:
        worker.terminate()
        worker.wait(timeout=30)

    assert {name: c.ok for name, c in checks.items()} == dict.fromkeys(health.CHECKS, True)
    assert checks["database"].detail.startswith("PostgreSQL ")
    assert "activity, harvest, plusresilient" in checks["migrations"].detail
    assert checks["solr"].detail.startswith(ckan_config["solr_url"])
    assert checks["redis"].detail.startswith("Redis ")


def test_doctor_exits_zero_when_the_stack_is_up(cli):
    result = cli.invoke(ckan_cli, ["plusresilient", "doctor", "--skip", "job workers"])

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

    result = cli.invoke(ckan_cli, ["plusresilient", "doctor", "--skip", "job workers"])

    assert result.exit_code == 1
    assert "FAIL solr: RuntimeError: Solr does not answer at http://127.0.0.1:9/solr/ckan" in result.output
    assert "ok   database" in result.output


def test_pending_migrations_are_named(migrate_db_for):
    from ckan import model

    with model.Session.get_bind().begin() as connection:
        connection.exec_driver_sql("DELETE FROM harvest_alembic_version")

    assert len(health.pending_migrations("harvest")) > 0
    result = dict((c.name, c) for c in health.run_checks(skip=("solr", "redis", "job workers")))
    assert not result["migrations"].ok
    assert "harvest:" in result["migrations"].detail
    assert "run `ckan db upgrade -p harvest`" in result["migrations"].detail
