"""The demo load against a real in-process sample server, through the real
stack: what it creates, and that loading again changes nothing.

One test loads twice (the first load harvests and scores some 50 datasets,
about a minute and a half): the first through ``load()``, the second
through the CLI.
"""
from __future__ import annotations

import json

from collections import Counter
from typing import Any

import pytest
import sqlalchemy as sa
from rdflib import Graph
from rdflib.namespace import DCAT, RDF
from ckan import model
from ckan.cli.cli import ckan as ckan_cli
from ckan.tests.helpers import call_action
import ckan.plugins.toolkit as tk
from ckanext.activity.model import Activity
from ckanext.harvest.model import HarvestJob, HarvestObject

from ckanext.plusresilient.demo.content import load_content
from ckanext.plusresilient.demo.loader import load
from ckanext.plusresilient.demo.server import serving
from ckanext.plusresilient.jobs import job_id
from ckanext.plusresilient.model import Feedback, HarvestRecord, Quality, QualityHistory
from tests import shacl
from tests.loopback_http import allowing
from tests.mqa_parity import assert_parity

pytestmark = pytest.mark.usefixtures("with_plugins", "clean_db", "clean_index")

#: The demo's resources whose file is a table the check reads (its CSVs and XLSX).
PREVIEWED = 35
SAMPLE_DATASETS = {"sample-ckan-istria": 7, "sample-dcat-andalucia": 7, "sample-udata-lisboa": 7,
                   "sample-ods-occitanie": 6, "sample-socrata-lombardia": 6}


def _count(entity: Any) -> int:
    return model.Session.query(sa.func.count()).select_from(entity).scalar()


def _snapshot() -> dict[str, Any]:
    """Everything a load may write, in comparable form."""
    model.Session.remove()
    packages = model.Session.query(model.Package.name, model.Package.metadata_modified, model.Package.state)
    return {
        "packages": {name: (modified, state) for name, modified, state in packages},
        "groups": sorted(name for (name,) in model.Session.query(model.Group.name)),
        "users": sorted(name for (name,) in model.Session.query(model.User.name)),
        "harvest_records": sorted(model.Session.query(HarvestRecord.source_id, HarvestRecord.identifier,
                                                      HarvestRecord.package_id)),
        "feedback": sorted(model.Session.query(Feedback.id, Feedback.moderation, Feedback.updated)),
        "quality": dict(model.Session.query(Quality.package_id, Quality.scored_at)),
        "history": _count(QualityHistory),
        "activities": _count(Activity),
    }


def _search(fq: str) -> list[dict[str, Any]]:
    return call_action("package_search", fq=fq, rows=1000, include_private=True)["results"]


@pytest.mark.ckan_config("ckanext.plusresilient.quality.auto", "true")
def test_load_fills_the_portal_and_a_second_load_changes_nothing(cli, app):
    content = load_content()
    with serving() as url, allowing(url):
        first = load(url)
        after_first = _snapshot()
        # scored synchronously: no second scoring queued for its own saves, option restored
        queued = [job["id"] for job in call_action("job_list")]
        auto_after_load = tk.config.get("ckanext.plusresilient.quality.auto")
        jobs_before = (_count(HarvestJob), _count(HarvestObject))
        second = cli.invoke(ckan_cli, ["plusresilient", "demo", "load", "--portals-url", url])
        after_second = _snapshot()

    # -- the first load ------------------------------------------------------------------
    assert first.ok, first.errors
    clusters = [call_action("organization_show", id=name) for name in call_action("organization_list")]
    assert len(clusters) >= 6
    assert len({cluster["country"] for cluster in clusters}) >= 5
    assert all(cluster["region"] and cluster["members_business"] for cluster in clusters)

    training = _search("+dataset_type:training")
    assert len(training) == len(content.training) >= 6
    assert len({t["training_format"] for t in training}) >= 2
    assert len({t["training_level"] for t in training}) >= 2

    for name, expected in SAMPLE_DATASETS.items():
        source = call_action("harvest_source_show", id=name)
        harvested = _search(f"+harvest_source_id:{source['id']}")
        assert len(harvested) == expected == first.harvests[name].created, name
        assert {d["organization"]["name"] for d in harvested} == {
            next(s["cluster"] for s in content.sources if s["name"] == name)}

    use_cases = _search("+dataset_type:use-case")
    assert len(use_cases) == len(content.use_cases) >= 5
    assert {s for use_case in use_cases for s in use_case["svrc_scenario"]} == {
        "public-services", "social-smes", "capacity-building"}
    harvested_ids = {package_id for (package_id,) in model.Session.query(HarvestRecord.package_id)}
    for use_case in use_cases:
        assert use_case["datasets_used"], use_case["name"]
        for dataset_id in use_case["datasets_used"]:
            dataset = call_action("package_show", id=dataset_id)
            assert dataset["state"] == "active" and dataset_id in harvested_ids

    # every dataset scored once, with varied bands (training and use cases are not scored)
    scored_types = ("dataset",)
    every = {p.id: p for p in model.Session.query(model.Package).filter(
        model.Package.state == "active", model.Package.type.in_(scored_types))}
    rows = {row.package_id: row for row in model.Session.query(Quality)}
    assert set(every) <= set(rows)
    assert {rows[i].status for i in every} == {"scored"}
    assert after_first["history"] == len(every)
    dataset_bands = Counter(rows[i].overall_band for i, p in every.items() if p.type == "dataset")
    assert len(dataset_bands) >= 3, dataset_bands
    assert first.bands == dict(Counter(rows[i].overall_band for i in every))
    assert _search("+plusresilient_quality_band:*")  # the bands reached the search index

    # the demo's tables are previewed: their rows in the DataStore, with CKAN's table view
    previews = [item for i in every for item in json.loads(rows[i].report)["data"]["resources"]
                if (item.get("preview") or {}).get("status") == "loaded"]
    assert len(previews) >= PREVIEWED, len(previews)
    for item in previews:
        table = call_action("datastore_search", resource_id=item["resource_id"], limit=1)
        assert table["total"] == item["preview"]["rows"] > 0, item
        assert "datatables_view" in [v["view_type"] for v in
                                     call_action("resource_view_list", id=item["resource_id"])]

    # what the demo publishes passes the DCAT-AP 3 shapes, and each dataset's
    # score is what data.europa.eu computes from its RDF
    response = app.get("/catalog.ttl")
    assert response.status_code == 200
    catalog = Graph().parse(data=response.get_data(as_text=True), format="turtle")
    assert len(set(catalog.subjects(RDF.type, DCAT.Dataset))) == len(_search("+state:active"))
    violations = shacl.validate(catalog)
    assert not violations, shacl.describe(violations)
    assert_parity(app, [p for p in _search("+dataset_type:dataset") if not p["private"]])

    # the community shows: ratings approved and counted in the score
    rated = model.Package.get(next(n for n, p in after_first["packages"].items()
                                   if n.startswith("registar-socijalnih-zadruga")))
    annotation = call_action("plusresilient_quality_show", id=rated.id)
    assert annotation["community"]["ratings"] == 1
    assert {item["moderation"] for item in call_action("plusresilient_feedback_list", package_id=rated.id)} == {"approved"}

    # (the queue is shared with the rest of the session: only the loaded records' jobs count)
    loaded = {job_id(package.id) for package in model.Session.query(model.Package.id)}
    assert not [i for i in queued if i in loaded], queued
    assert tk.asbool(auto_after_load) is True

    # -- the second load, through the CLI ------------------------------------------------
    assert second.exit_code == 0, second.output
    for line in ("clusters: created 0, updated 0, unchanged 8", "training: created 0, updated 0, unchanged 8",
                 "harvest sources: created 0, updated 0, unchanged 5", "use cases: created 0, updated 0, unchanged 6",
                 "feedback: created 0, updated 0, unchanged 8", "quality: scoring 0 of"):
        assert line in second.output, second.output
    for name, expected in SAMPLE_DATASETS.items():
        assert (f"harvest {name}: created 0, updated 0, unchanged {expected}, deleted 0, errors 0"
                in second.output)
    # nothing written: no dataset, no metadata_modified, no score, no activity
    assert after_second == after_first
    # ckanext-harvest logs the run itself: one job per source, one "not modified" object per dataset
    assert (_count(HarvestJob), _count(HarvestObject)) == (jobs_before[0] + 5, jobs_before[1] + 33)
