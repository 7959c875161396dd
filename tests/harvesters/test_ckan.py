"""The CKAN harvester against an imitation CKAN portal on loopback, through
the real stack: gather → fetch → import (the same through the Redis queues,
with real consumer processes, is in test_consumers.py)."""
from __future__ import annotations

import json
import time

import pytest

import ckan.plugins.toolkit as tk
from ckan import model
from ckan.tests.helpers import call_action

from ckanext.plusresilient.harvesters.runner import run_source
from tests.harvesters.loopback import CKANPortal
from tests.harvesters.cases import BROKEN_SOURCE, assert_failed_and_withdrew_nothing
from tests.harvesters.cases import harvest_log  # noqa: F401 - fixture

pytestmark = pytest.mark.usefixtures("with_plugins", "clean_db", "clean_index")

VENETO = {"portal": "dati-veneto", "country": "IT", "region": "ITH3", "language": "it"}


@pytest.fixture
def portal():
    with CKANPortal(prefix="/opendata") as portal:
        yield portal


def make_source(url, name="dati-veneto", config=VENETO, source_type="plusresilient_ckan"):
    return call_action("harvest_source_create", {"user": _site_user()}, name=name, title=name,
                       url=url, source_type=source_type, config=json.dumps(config))


def _site_user():
    return call_action("get_site_user", {"ignore_auth": True})["name"]


def datasets(**fq):
    query = " ".join(f"+{k}:{v}" for k, v in fq.items())
    return call_action("package_search", fq=f"+dataset_type:dataset {query}", rows=100)["results"]


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


def test_harvested_datasets_are_searchable_by_their_source(portal):
    """The harvest source's page lists its datasets by ``harvest_source_id``,
    which ckanext-harvest adds at indexing time from the current object:
    the object must point at the dataset before the dataset is indexed."""
    portal.add("Servizi per anziani")
    portal.add("Asili nido")
    source = make_source(portal.api_url)

    run_source(source["id"])

    found = datasets(harvest_source_id=source["id"])
    assert sorted(d["title"] for d in found) == ["Asili nido", "Servizi per anziani"]
    assert call_action("package_search", fq=f"harvest_source_id:{source['id']}")["count"] == 2


def test_second_harvest_fetches_only_what_changed_and_withdraws_what_vanished(portal):
    kept = portal.add("Servizi per anziani", modified="2024-01-10T08:00:00.000000")
    changed = portal.add("Asili nido", modified="2024-01-10T08:00:00.000000")
    vanished = portal.add("Bandi chiusi", modified="2024-01-10T08:00:00.000000")
    source = make_source(portal.api_url)
    assert run_source(source["id"]).created == 3

    changed["title"] = "Asili nido comunali"
    changed["metadata_modified"] = "2099-01-01T00:00:00.000000"
    del portal.packages[vanished["id"]]
    portal.hits.clear()
    summary = run_source(source["id"])

    assert (summary.created, summary.updated, summary.unchanged, summary.deleted) == (0, 1, 1, 1), summary
    searches = [hit for hit in portal.hits if "package_search" in hit]
    assert any("metadata_modified" in hit for hit in searches), searches   # changed ones only
    assert any("fl=" in hit for hit in searches), searches                  # a light census
    assert not any("package_show" in hit for hit in portal.hits)
    titles = sorted(d["title"] for d in datasets())
    assert titles == ["Asili nido comunali", "Servizi per anziani"]
    withdrawn = model.Session.query(model.Package).filter_by(title="Bandi chiusi").one()
    assert withdrawn.state == "deleted"
    assert kept["id"] != withdrawn.id


def test_harvesting_twice_changes_nothing(portal):
    for n in range(5):
        portal.add(f"Dataset {n}")
    source = make_source(portal.api_url)
    run_source(source["id"])
    summary = run_source(source["id"])
    assert (summary.created, summary.updated, summary.unchanged, summary.deleted) == (0, 0, 5, 0)
    assert len(datasets()) == 5


def test_same_dataset_through_region_and_aggregator_is_one_dataset(portal):
    shared = portal.add("Strutture residenziali per anziani")
    with CKANPortal(prefix="/opendata") as aggregator:
        aggregator.add(shared["title"], id=shared["id"], name="strutture-anziani-veneto")
        aggregator.add("Un altro dataset nazionale")
        regional = make_source(portal.api_url)
        national = make_source(aggregator.api_url, name="dati-gov-it",
                               config={"portal": "dati-gov-it", "country": "IT", "language": "it"})
        run_source(regional["id"])
        summary = run_source(national["id"])
        assert (summary.created, summary.updated) == (1, 1), summary
        assert sorted(d["title"] for d in datasets()) == [
            "Strutture residenziali per anziani", "Un altro dataset nazionale"]

        # gone from the region but still at the aggregator: not withdrawn
        del portal.packages[shared["id"]]
        assert run_source(regional["id"]).deleted == 1
        assert len(datasets()) == 2


@BROKEN_SOURCE
def test_a_broken_source_records_an_error_and_withdraws_nothing(portal, failure, message):
    for n in range(3):
        portal.add(f"Dataset {n}")
    source = make_source(portal.api_url)
    run_source(source["id"])
    portal.packages.clear()
    portal.failures["/opendata/api/3/action/package_search"] = failure

    summary = run_source(source["id"])

    assert_failed_and_withdrew_nothing(summary, message)
    assert len(datasets()) == 3


@pytest.mark.ckan_config("ckanext.plusresilient.http.timeout", "1")
@pytest.mark.ckan_config("ckanext.plusresilient.http.retries", "0")
def test_a_slow_source_times_out(portal):
    portal.failures["/opendata/api/3/action/package_search"] = "slow"
    started = time.monotonic()
    summary = run_source(make_source(portal.api_url)["id"])
    assert time.monotonic() - started < 6
    assert "timed out" in summary.gather_errors[0].lower() or "timeout" in summary.gather_errors[0].lower()


@pytest.mark.ckan_config("ckanext.plusresilient.http.max_response_bytes", "1000000")
def test_a_huge_response_is_cut_at_the_cap(portal):
    portal.failures["/opendata/api/3/action/package_search"] = "huge"
    summary = run_source(make_source(portal.api_url)["id"])
    assert len(summary.gather_errors) == 1
    assert "over the 977 KB limit" in summary.gather_errors[0]


@pytest.mark.ckan_config("ckanext.plusresilient.http.allowed_private_networks", "")
def test_a_source_inside_the_network_is_refused(portal):
    portal.add("Should never be read")
    summary = run_source(make_source(portal.api_url)["id"])
    assert "127.0.0.1" in summary.gather_errors[0]
    assert not portal.hits


def test_an_invalid_dataset_is_an_object_error_not_a_crash(portal):
    portal.add("Good one")
    portal.add("", name="no-title", notes="")  # a title-less record still maps (falls back to the name)
    broken = portal.add("Broken resources")
    broken["resources"] = "not a list"
    summary = run_source(make_source(portal.api_url)["id"])
    assert summary.created >= 2
    assert summary.gather_errors == []


def test_a_dkan_portal_is_listed_and_read_one_by_one():
    from tests.harvesters.loopback import DKANPortal

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


def test_a_script_url_from_the_portal_is_dropped_not_the_dataset(portal, harvest_log):
    portal.add("Dataset con link trappola", url="javascript:alert(document.domain)",
               resources=[{"id": "r1", "name": "trappola", "url": "javascript:alert(1)", "format": "CSV"},
                          {"id": "r2", "name": "ftp", "url": "ftp://ftp.example.org/dati.csv", "format": "CSV"}])
    source = make_source(portal.api_url)

    summary = run_source(source["id"])

    assert (summary.created, summary.errors) == (1, 0), summary
    [dataset] = datasets()
    assert dataset["source_url"].startswith(portal.api_url + "/dataset/")
    assert dataset["url"] == dataset["source_url"]
    assert [r["url"] for r in dataset["resources"]] == ["ftp://ftp.example.org/dati.csv"]
    assert "javascript:alert(document.domain)" in harvest_log.text and "javascript:alert(1)" in harvest_log.text
