"""Smoke tests: the suite's CKAN talks to real PostgreSQL, Solr and Redis."""
from __future__ import annotations

import os
import subprocess
import sys
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
