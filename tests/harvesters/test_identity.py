"""A harvested dataset stays the same dataset however its source changes:
withdrawn then published again, retitled, moved to another source, its
harvest history cleared. Driven through each platform's imitation portal."""
from __future__ import annotations

from typing import Any

import pytest

from ckan import model
from ckan.tests import factories as core_factories
from ckan.tests.helpers import call_action

from ckanext.plusresilient.harvesters.runner import run_source
from ckanext.plusresilient.model import Feedback, HarvestRecord, QualityHistory
from tests import factories
from ckanext.plusresilient.demo.portals.ckan import CKANPortal
from tests.harvesters.cases import Platform, make_source
from tests.harvesters.cases import platform  # noqa: F401 - fixture: each platform's portal (cases.PLATFORMS)

pytestmark = pytest.mark.usefixtures("with_plugins", "clean_db", "clean_index")


def _source(platform: Platform, name: str = "source-a") -> dict[str, Any]:
    return make_source(platform.url(), name=name, config=platform.config, source_type=platform.source_type)


def _the_dataset(title_start: str) -> model.Package:
    (package,) = [p for p in model.Session.query(model.Package).filter(model.Package.type == "dataset")
                  if p.title.startswith(title_start)]
    return package


def _harvest(source_id: str, **expected: int):
    summary = run_source(source_id)
    assert not summary.gather_errors and not summary.errors, (summary.gather_errors, summary.object_errors)
    for key, value in expected.items():
        assert getattr(summary, key) == value, summary
    return summary


def _resource_ids(package_id: str) -> list[str]:
    return [r["id"] for r in call_action("package_show", id=package_id)["resources"]]


def test_a_withdrawn_dataset_published_again_is_the_same_dataset(platform):
    item = platform.add("Tiers-lieux en Occitanie")
    platform.add("Crèches")
    source = _source(platform)
    _harvest(source["id"], created=2)
    before = _the_dataset("Tiers-lieux")
    resources = _resource_ids(before.id)
    assert resources
    report_id = factories.FeedbackItem(package_id=before.id, resource_id=resources[0]).id
    factories.QualityHistoryRow(package_id=before.id)
    original = (before.id, before.name)

    platform.withdraw(item)
    _harvest(source["id"], deleted=1)
    model.Session.expire_all()
    assert model.Package.get(original[0]).state == "deleted"

    platform.republish(item)
    _harvest(source["id"], created=0, updated=1, deleted=0)
    model.Session.expire_all()
    after = _the_dataset("Tiers-lieux")
    assert (after.id, after.name, after.state) == (*original, "active")
    assert _resource_ids(after.id) == resources
    assert model.Session.query(model.Package).filter(model.Package.name.like(f"{original[1]}%")).count() == 1
    report = model.Session.get(Feedback, report_id)
    assert (report.package_id, report.resource_id) == (after.id, resources[0])
    assert [row.package_id for row in QualityHistory.of_package(after.id)] == [after.id]
    shown = call_action("package_search", fq=f"+harvest_source_id:{source['id']}", rows=10)
    assert sorted(d["name"] for d in shown["results"]) == sorted([after.name, _the_dataset("Crèches").name])

    _harvest(source["id"], created=0, updated=0, deleted=0, unchanged=2)


def test_a_retitled_dataset_keeps_its_name_and_resource_ids(platform):
    item = platform.add("Services aux personnes âgées")
    source = _source(platform)
    _harvest(source["id"], created=1)
    before = _the_dataset("Services aux")
    resources = _resource_ids(before.id)
    name, modified = before.name, before.metadata_modified

    platform.retitle(item, "Services aux personnes âgées (2024)", "2024-06-01T08:00:00")
    _harvest(source["id"], created=0, updated=1)

    model.Session.expire_all()
    after = model.Package.get(before.id)
    assert after.title == "Services aux personnes âgées (2024)"
    assert after.name == name
    assert _resource_ids(after.id) == resources
    # the portal's own record changed: what rescoring, search and every
    # harvester of this portal read (its metadata_modified) says so
    assert after.metadata_modified > modified


def test_a_dataset_that_moves_to_another_source_is_the_same_dataset():
    with CKANPortal() as regional, CKANPortal() as national:
        package = regional.add("Cooperative sociali", id="7c1e9d0a-0000-4000-8000-000000000001")
        config = {"portal": "dati-veneto", "country": "IT", "region": "ITH3", "language": "it"}
        first = make_source(regional.api_url, name="regional", config=config)
        second = make_source(national.api_url, name="national", config=config)
        _harvest(first["id"], created=1)
        dataset = _the_dataset("Cooperative")
        resources = _resource_ids(dataset.id)

        del regional.packages[package["id"]]
        _harvest(first["id"], deleted=1)
        national.packages[package["id"]] = package
        _harvest(second["id"], created=0, updated=1)

        model.Session.expire_all()
        moved = _the_dataset("Cooperative")
        assert (moved.id, moved.name, moved.state) == (dataset.id, dataset.name, "active")
        assert _resource_ids(moved.id) == resources
        found = call_action("package_search", fq=f"+harvest_source_id:{second['id']}")["results"]
        assert [d["id"] for d in found] == [dataset.id]


def test_clearing_a_source_history_neither_duplicates_nor_unlinks_its_datasets():
    """ckanext-harvest's ``clearsource_history`` keeps the datasets and
    deletes the jobs and objects; its own harvesters then create duplicates
    (ckanext-harvest #268). Here the next run finds each dataset again and
    links it back to the source."""
    with CKANPortal() as portal:
        portal.add("Asili nido")
        source = make_source(portal.api_url, name="regional")
        _harvest(source["id"], created=1)
        dataset = _the_dataset("Asili")

        call_action("harvest_source_job_history_clear", {"user": _sysadmin()}, id=source["id"])
        # ckanext-harvest reports "added" for the dataset's first object in
        # the new history; what matters is the dataset it went into
        _harvest(source["id"], deleted=0)

        model.Session.expire_all()
        assert model.Session.query(model.Package).filter(model.Package.type == "dataset").count() == 1
        found = call_action("package_search", fq=f"+harvest_source_id:{source['id']}")["results"]
        assert [d["id"] for d in found] == [dataset.id]


def test_clearing_a_source_brings_its_datasets_back_with_their_ids_and_names():
    """``clearsource`` purges the source's datasets; the feedback and the
    quality history kept under their ids find them again."""
    with CKANPortal() as portal:
        portal.add("Asili nido")
        source = make_source(portal.api_url, name="regional")
        _harvest(source["id"], created=1)
        dataset = _the_dataset("Asili")
        identity = (dataset.id, dataset.name)
        report_id = factories.FeedbackItem(package_id=dataset.id).id

        call_action("harvest_source_clear", {"user": _sysadmin()}, id=source["id"])
        model.Session.expire_all()
        assert model.Package.get(identity[0]) is None
        _harvest(source["id"], created=1)

        model.Session.expire_all()
        again = _the_dataset("Asili")
        assert (again.id, again.name) == identity
        assert model.Session.get(Feedback, report_id).package_id == again.id


def _sysadmin() -> str:
    return core_factories.Sysadmin()["name"]


def test_resources_are_matched_by_distribution_then_by_url():
    """A distribution keeps its resource id when its URL changes (matched by
    its id at the source) and when the source gives it a new id but the same
    URL; a new one is added, a gone one removed, one added here stays."""
    with CKANPortal() as portal:
        base = portal.url
        package = portal.add("Bilanci", resources=[
            {"id": "r-1", "name": "Bilancio 2022", "url": f"{base}/b2022.csv", "format": "CSV"},
            {"id": "r-2", "name": "Bilancio 2023", "url": f"{base}/b2023.csv", "format": "CSV"},
            {"id": "r-3", "name": "Note", "url": f"{base}/note.pdf", "format": "PDF"},
        ])
        source = make_source(portal.api_url, name="regional")
        _harvest(source["id"], created=1)
        dataset = _the_dataset("Bilanci")
        ids = {r["name"]: r["id"] for r in call_action("package_show", id=dataset.id)["resources"]}
        call_action("resource_create", {"user": _sysadmin()}, package_id=dataset.id,
                    url="https://example.org/glossario.html", name="Glossario (aggiunto qui)")

        package["resources"] = [
            {"id": "r-1", "name": "Bilancio 2022", "url": f"{base}/v2/b2022.csv", "format": "CSV"},
            {"id": "r-2-new", "name": "Bilancio 2023", "url": f"{base}/b2023.csv", "format": "CSV"},
            {"id": "r-4", "name": "Bilancio 2024", "url": f"{base}/b2024.csv", "format": "CSV"},
        ]
        package["metadata_modified"] = "2024-06-01T00:00:00.000000"
        _harvest(source["id"], updated=1)

        after = {r["name"]: r for r in call_action("package_show", id=dataset.id)["resources"]}
        assert after["Bilancio 2022"]["id"] == ids["Bilancio 2022"]
        assert after["Bilancio 2022"]["url"] == f"{base}/v2/b2022.csv"
        assert after["Bilancio 2023"]["id"] == ids["Bilancio 2023"]
        assert after["Bilancio 2024"]["id"] not in ids.values()
        assert "Note" not in after
        assert "Glossario (aggiunto qui)" in after
        assert list(after)[:3] == ["Bilancio 2022", "Bilancio 2023", "Bilancio 2024"]

        _harvest(source["id"], unchanged=1)
        assert {r["id"] for r in call_action("package_show", id=dataset.id)["resources"]} == \
            {r["id"] for r in after.values()}


def test_the_records_say_which_source_holds_what():
    with CKANPortal() as portal:
        package = portal.add("Asili nido")
        source = make_source(portal.api_url, name="regional")
        _harvest(source["id"], created=1)
        dataset = _the_dataset("Asili")
        assert [r.source_id for r in HarvestRecord.sources_of(dataset.id)] == [source["id"]]
        del portal.packages[package["id"]]
        _harvest(source["id"], deleted=1)
        assert HarvestRecord.sources_of(dataset.id) == []
        _harvest(source["id"], deleted=0)  # withdrawn once, not at every run
        (record,) = model.Session.query(HarvestRecord).all()  # kept, marked withdrawn
        assert (record.identifier, record.package_id) == (f"ckan:{package['id']}", dataset.id)
        assert record.withdrawn is not None
