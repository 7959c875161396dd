"""What only the CKAN harvester does, against an imitation CKAN portal on
loopback, through the real stack: gather → fetch → import. What it does as
every harvester does is in test_every_platform.py; the same through the
Redis queues, with real consumer processes, is in test_consumers.py."""
from __future__ import annotations

import pytest

from ckanext.plusresilient.demo.portals.ckan import CKANPortal
from ckanext.plusresilient.harvesters.runner import run_source
from tests.harvesters.cases import datasets, make_source

pytestmark = pytest.mark.usefixtures("with_plugins", "clean_db", "clean_index")


@pytest.fixture
def portal():
    with CKANPortal(prefix="/opendata") as portal:
        yield portal


def test_first_harvest_maps_onto_the_svrc_schema(portal):
    portal.add("Cooperative sociali iscritte all'albo", tags=["cooperative sociali", "welfare"],
               groups=[{"name": "economia", "title": "Economia e lavoro"}],
               extras=[{"key": "theme", "value": "http://publications.europa.eu/resource/authority/data-theme/SOCI"}])
    portal.add("Popolazione residente per comune", tags=["popolazione", "censimento"])
    portal.add("Qualità dell'aria", tags=["ambiente", "inquinamento"], license_id="iodl-2.0")
    source = make_source(portal.api_url)

    summary = run_source(source["id"])

    assert (summary.created, summary.updated, summary.deleted, summary.errors) == (3, 0, 0, 0), summary
    cooperatives = next(d for d in datasets() if d["title"].startswith("Cooperative"))
    assert cooperatives["country"] == "IT" and cooperatives["region"] == "ITH3"
    assert cooperatives["theme"] == ["SOCI"]
    assert "social-entrepreneurship" in cooperatives["si_area"]
    assert "capacity-building" in cooperatives["svrc_scenario"]  # social enterprises
    assert cooperatives["language"] == ["it"]
    assert cooperatives["source_portal"] == "dati-veneto"
    assert cooperatives["source_url"].startswith(portal.api_url + "/dataset/")
    assert cooperatives["resources"][0]["format"] == "CSV"
    population = next(d for d in datasets() if d["title"].startswith("Popolazione"))
    assert population["od_category"] == ["demography"]
    assert population["theme"] == ["SOCI"]
    air = next(d for d in datasets() if d["title"].startswith("Qualità"))
    assert air["license_id"] == "iodl-2.0"
    assert air["od_category"] == ["environment"] and air["theme"] == ["ENVI"]


def test_an_invalid_dataset_is_an_object_error_not_a_crash(portal):
    portal.add("Good one")
    portal.add("", name="no-title", notes="")  # a title-less record still maps (falls back to the name)
    broken = portal.add("Broken resources")
    broken["resources"] = "not a list"
    summary = run_source(make_source(portal.api_url)["id"])
    assert summary.created >= 2
    assert summary.gather_errors == []


def test_a_dkan_portal_is_listed_and_read_one_by_one():
    from ckanext.plusresilient.demo.portals.ckan import DKANPortal

    with DKANPortal() as dkan:
        kept = dkan.add("Social welfare benefits", tags=["social services"])
        gone = dkan.add("Closed calls")
        source = make_source(dkan.api_url, name="data-gov-cy",
                             config={"portal": "data-gov-cy", "country": "CY", "language": "el"})
        summary = run_source(source["id"])
        assert (summary.created, summary.errors, summary.gather_errors) == (2, 0, []), summary
        assert sum("package_show" in hit for hit in dkan.hits) == 2
        welfare = next(d for d in datasets() if d["title"] == "Social welfare benefits")
        assert welfare["country"] == "CY"
        assert welfare["source_identifier"] == f"dkan:{dkan.url[len('http://'):]}:{kept['name']}"
        assert welfare["od_category"] == ["health-social"]

        del dkan.packages[gone["id"]]
        summary = run_source(source["id"])
        assert (summary.created, summary.updated, summary.deleted) == (0, 1, 1), summary
        assert [d["title"] for d in datasets()] == ["Social welfare benefits"]


def test_an_update_that_fails_to_save_is_imported_again_next_time(portal):
    """The record's source date and mapping digest are what gather compares
    to skip a dataset: they are set before the save (one write), so they
    must go with a save that fails, or the change would never come in."""
    from ckan import model
    from ckanext.plusresilient.model import HarvestRecord

    package = portal.add("Asili nido comunali")
    source = make_source(portal.api_url)
    assert run_source(source["id"]).created == 1
    package.update(metadata_modified="2024-06-01T08:00:00.000000", notes="Aggiornato.",
                   extras=[{"key": "issued", "value": "2024-13-45"}])  # a date the schema refuses

    failed = run_source(source["id"])

    assert (failed.updated, failed.errors) == (0, 1), failed
    model.Session.remove()
    (record,) = model.Session.query(HarvestRecord).all()
    assert record.remote_modified == "2024-01-10T08:00:00.000000"
    package["extras"] = []
    again = run_source(source["id"])
    assert (again.updated, again.unchanged, again.errors) == (1, 0, 0), again
    assert datasets()[0]["notes"] == "Aggiornato."
