"""plusresilient_portal_list and plusresilient_portals_sync, on the real stack."""
from __future__ import annotations

import json

import pytest

import ckan.plugins.toolkit as tk
from ckan import model
from ckan.lib import search
from ckan.tests import factories
from ckan.tests.helpers import call_action

from ckanext.harvest import model as harvest_model
from ckanext.plusresilient import portals
from tests.factories import SVRCDataset

pytestmark = pytest.mark.usefixtures("with_plugins", "clean_db", "clean_index")

STOCK_CKAN = {"ckan": "ckan"}


def anonymous():
    return {"user": "", "ignore_auth": False}


def as_user(user):
    return {"user": user["name"], "ignore_auth": False}


@pytest.fixture
def sysadmin():
    return factories.Sysadmin()


def harvestable(country, override=STOCK_CKAN):
    """The portals the sync gives a source: those whose source type (the
    override for their software, else their own harvester) is loaded."""
    from ckanext.plusresilient.portals.sync import _registered_harvesters

    loaded = _registered_harvesters()
    return [p.id for p in portals.for_country(country)
            if (override.get(p.software) or p.harvester) in loaded]


# plusresilient_portal_list ---------------------------------------------------

def test_the_list_is_public_and_complete():
    result = call_action("plusresilient_portal_list", context=anonymous())

    assert [item["id"] for item in result] == [p.id for p in portals.load()]
    first = result[0]
    assert first["country"] == "IT" and first["level"] == "national"
    assert first["harvest_source"] is None
    assert set(first) >= {"id", "name", "url", "region", "software", "api_url",
                          "harvester", "language", "verified"}


@pytest.mark.parametrize("country, expected", [
    ("IT", {"IT"}),
    ("it,es", {"IT", "ES"}),
    (["FR", "PT"], {"FR", "PT"}),
    ("GR", {"EL"}),
])
def test_the_list_filters_by_country(country, expected):
    result = call_action("plusresilient_portal_list", context=anonymous(), country=country)

    assert {item["country"] for item in result} == expected
    assert len(result) == len(portals.for_country(sorted(expected)))


def test_an_unknown_country_is_a_validation_error():
    with pytest.raises(tk.ValidationError) as error:
        call_action("plusresilient_portal_list", context=anonymous(), country="IT,DE")
    assert "DE" in error.value.error_dict["country"][0]


def test_the_list_over_the_api_takes_a_repeated_country(app):
    response = app.get("/api/3/action/plusresilient_portal_list?country=SI&country=HR")

    result = response.json["result"]
    assert {item["country"] for item in result} == {"SI", "HR"}


def test_a_harvested_portal_shows_its_source_datasets_and_last_job(sysadmin):
    call_action("plusresilient_portals_sync", context=as_user(sysadmin),
                country="SI", harvester_override=STOCK_CKAN)
    source = call_action("harvest_source_show", id="portal-si-opsi")
    # what a finished harvest leaves behind: a job, and a dataset whose
    # current harvest object points at the source
    job = call_action("harvest_job_create", source_id=source["id"], run=False)
    dataset = SVRCDataset(country="SI")
    harvest_model.HarvestObject(
        guid="opsi-1", job=harvest_model.HarvestJob.get(job["id"]),
        source=harvest_model.HarvestSource.get(source["id"]),
        package_id=dataset["id"], current=True,
    ).save()
    search.rebuild(dataset["id"])

    (item,) = call_action("plusresilient_portal_list", context=anonymous(), country="SI")

    assert item["harvest_source"] == {
        "id": source["id"],
        "name": "portal-si-opsi",
        "url": "https://podatki.gov.si",
        "datasets": 1,
        "last_job_status": "New",
    }


# plusresilient_portals_sync --------------------------------------------------

def test_sync_is_refused_to_anonymous_users():
    with pytest.raises(tk.NotAuthorized):
        call_action("plusresilient_portals_sync", context=anonymous())


def test_sync_is_refused_to_a_normal_user():
    with pytest.raises(tk.NotAuthorized):
        call_action("plusresilient_portals_sync", context=as_user(factories.User()))


def test_sync_creates_one_source_per_portal_and_is_idempotent(sysadmin):
    expected = harvestable("IT")
    assert len(expected) >= 10

    first = call_action("plusresilient_portals_sync", context=as_user(sysadmin),
                        country="IT", harvester_override=STOCK_CKAN)

    assert first["created"] == expected
    assert first["updated"] == [] and first["unchanged"] == []
    portal = portals.by_id("it-dati-gov")
    source = call_action("harvest_source_show", id="portal-it-dati-gov")
    assert source["url"] == portal.api_url
    assert source["title"] == portal.name
    assert source["source_type"] == "ckan"
    assert source["frequency"] == portal.frequency == "WEEKLY"
    organization = call_action("organization_show", id="med-open-data-portals")
    assert source["owner_org"] == organization["id"]
    assert json.loads(source["config"]) == {
        "portal": "it-dati-gov", "country": "IT", "region": None, "language": "it"}
    regional = json.loads(call_action("harvest_source_show", id="portal-it-toscana")["config"])
    assert regional["region"] == "ITI1"

    second = call_action("plusresilient_portals_sync", context=as_user(sysadmin),
                         country="IT", harvester_override=STOCK_CKAN)

    assert second["created"] == [] and second["updated"] == []
    assert second["unchanged"] == expected
    assert second["skipped"] == first["skipped"]


def test_sync_after_a_harvest_job_finished_changes_nothing(sysadmin):
    """A finished job reindexes its source, and the indexed copy that
    harvest_source_show serves from the cache has no type, frequency or config:
    sync must compare with the stored source, or it rewrites every source."""
    first = call_action("plusresilient_portals_sync", context=as_user(sysadmin),
                        country="SI", harvester_override=STOCK_CKAN)
    source = call_action("harvest_source_show", id="portal-si-opsi")
    call_action("harvest_source_reindex", context=as_user(sysadmin), id=source["id"])

    again = call_action("plusresilient_portals_sync", context=as_user(sysadmin),
                        country="SI", harvester_override=STOCK_CKAN)

    assert again["updated"] == [] and again["unchanged"] == first["created"]


def test_sync_updates_a_source_that_drifted(sysadmin):
    context = as_user(sysadmin)
    call_action("plusresilient_portals_sync", context=context, country="ES",
                harvester_override=STOCK_CKAN)
    source = call_action("harvest_source_show", id="portal-es-madrid")
    call_action("harvest_source_patch", context=as_user(sysadmin), id=source["id"],
                url="https://example.org/moved", title="Renamed by hand")

    report = call_action("plusresilient_portals_sync", context=as_user(sysadmin), country="ES",
                         harvester_override=STOCK_CKAN)

    assert report["updated"] == ["es-madrid"]
    assert "es-madrid" not in report["unchanged"]
    source = call_action("harvest_source_show", id="portal-es-madrid")
    assert source["url"] == "https://datos.madrid.es"
    assert source["title"] == portals.by_id("es-madrid").name
    again = call_action("plusresilient_portals_sync", context=as_user(sysadmin), country="ES",
                        harvester_override=STOCK_CKAN)
    assert again["updated"] == [] and "es-madrid" in again["unchanged"]


def test_sync_skips_portals_without_an_enabled_harvester(sysadmin):
    report = call_action("plusresilient_portals_sync", context=as_user(sysadmin),
                         harvester_override={"ckan": "ckan", "opendatasoft": "not_a_harvester"})

    skipped = {item["id"]: item["reason"] for item in report["skipped"]}
    # no machine API we can use
    assert skipped["el-data-gov"] == "no harvester for this other portal"
    assert skipped["mt-portal"] == "no harvester for this other portal"
    # a harvester that is not loaded
    assert skipped["fr-paris"] == "harvester not_a_harvester not enabled"
    loaded = _loaded_plusresilient_harvesters()
    for portal in portals.load():
        if portal.software not in ("ckan", "opendatasoft") and portal.harvester not in loaded | {None}:
            assert skipped[portal.id] == f"harvester {portal.harvester} not enabled"
    created = set(report["created"])
    assert created == set(harvestable(None, {"ckan": "ckan", "opendatasoft": "not_a_harvester"}))
    assert {p.id for p in portals.load() if p.software == "ckan"} <= created
    assert not created & set(skipped)
    assert len(created) + len(skipped) == len(portals.load())


def _loaded_plusresilient_harvesters():
    from ckanext.plusresilient.portals.sync import _registered_harvesters

    return {name for name in _registered_harvesters() if name.startswith("plusresilient_")}


def test_without_override_the_unregistered_suite_harvesters_are_skipped(sysadmin):
    report = call_action("plusresilient_portals_sync", context=as_user(sysadmin), country="FR")

    loaded = _loaded_plusresilient_harvesters()
    skipped = {item["id"]: item["reason"] for item in report["skipped"]}
    for portal in portals.for_country("FR"):
        if portal.harvester not in loaded:
            assert skipped[portal.id] == f"harvester {portal.harvester} not enabled"
        else:
            assert portal.id in report["created"]


def test_a_dry_run_reports_without_creating(sysadmin):
    report = call_action("plusresilient_portals_sync", context=as_user(sysadmin),
                         country="HR", dry_run=True, harvester_override=STOCK_CKAN)

    assert report["created"] == ["hr-data-gov", "hr-zagreb"]
    assert model.Session.query(model.Package).filter_by(type="harvest").count() == 0


def test_the_override_is_validated(sysadmin):
    with pytest.raises(tk.ValidationError) as error:
        call_action("plusresilient_portals_sync", context=as_user(sysadmin),
                    harvester_override={"wordpress": "ckan"})
    assert "wordpress" in error.value.error_dict["harvester_override"][0]


def test_the_override_may_come_as_json(sysadmin):
    report = call_action("plusresilient_portals_sync", context=as_user(sysadmin), country="ME",
                         harvester_override=json.dumps(STOCK_CKAN))
    assert report["created"] == ["me-data-gov"]
