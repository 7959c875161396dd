"""What every harvester does the same way, run against each platform's
imitation portal through the real stack (gather → fetch → import): the
mapping onto the SVRC schema, incremental harvests, withdrawals, paging,
broken and hostile portals. The platforms and what each is expected to
ask of its portal are in cases.py; what only one platform has (DCAT's
hydra paging and RDF flavours, udata's X-Fields, OpenDataSoft's exports,
Socrata's /api/views, DKAN's package_list) is in that platform's module."""
from __future__ import annotations

import time
from typing import Any, Callable

import pytest

from ckan import model
from ckan.tests.helpers import call_action

from ckanext.plusresilient.harvesters.runner import run_source
from tests.harvesters.cases import (
    BROKEN_SOURCE, WITH_DKAN, Platform, assert_failed_and_withdrew_nothing, datasets,
)
from tests.harvesters.cases import harvest_log, platform  # noqa: F401 - fixtures

pytestmark = pytest.mark.usefixtures("with_plugins", "clean_db", "clean_index")


def _only(*names: str):
    """Run a test on these platforms only (those that have what it checks)."""
    return pytest.mark.parametrize("platform", names, indirect=True)


def _titles() -> list[str]:
    return sorted(d["title"] for d in datasets())


def _withdrawn(title: str) -> bool:
    return model.Session.query(model.Package).filter_by(title=title).one().state == "deleted"


def test_a_first_harvest_maps_onto_the_svrc_schema_and_a_second_changes_nothing(platform):
    platform.add_plain("Cooperative sociali iscritte all'albo", ["cooperative sociali", "welfare"])
    platform.add_plain("Popolazione residente per comune", ["popolazione", "censimento"])
    platform.add_plain("Qualità dell'aria", ["ambiente", "inquinamento"])
    platform.add("Servizi per anziani")
    platform.add("Bandi di gara", **platform.undated)   # DCAT: no date, compared by content
    source = platform.source()

    summary = run_source(source["id"])

    assert (summary.created, summary.updated, summary.deleted, summary.errors) == (5, 0, 0, 0), summary
    assert summary.gather_errors == []
    harvested = {d["title"]: d for d in datasets(harvest_source_id=source["id"])}
    assert len(harvested) == 5, sorted(harvested)
    config = platform.config
    for dataset in harvested.values():   # what the source's configuration says
        assert (dataset["country"], dataset.get("region"), dataset["language"]) == (
            config["country"], config.get("region"), [config["language"]])
        assert dataset["source_portal"] == config["portal"]
        assert "CSV" in {r["format"] for r in dataset["resources"]}
    cooperatives = harvested["Cooperative sociali iscritte all'albo"]
    assert "social-entrepreneurship" in cooperatives["si_area"]
    assert "capacity-building" in cooperatives["svrc_scenario"]   # social enterprises
    population = harvested["Popolazione residente per comune"]
    assert population["od_category"] == ["demography"] and population["theme"] == ["SOCI"]
    air = harvested["Qualità dell'aria"]
    assert air["od_category"] == ["environment"] and air["theme"] == ["ENVI"]
    # the source's page lists them by the harvest_source_id the index got
    assert call_action("package_search", fq=f"harvest_source_id:{source['id']}")["count"] == 5

    platform.portal.hits.clear()
    again = run_source(source["id"])

    assert (again.created, again.updated, again.unchanged, again.deleted) == (0, 0, 5, 0), again
    assert len(datasets()) == 5
    assert platform.single_reads() == []   # the listing says nothing changed: nothing read alone


def test_a_changed_dataset_is_updated_and_a_vanished_one_withdrawn(platform):
    platform.add("Servizi per anziani")
    changed = platform.add("Asili nido")
    vanished = platform.add("Bandi chiusi")
    source = platform.source()
    assert run_source(source["id"]).created == 3

    platform.retitle(changed, "Asili nido comunali", "2099-01-01T00:00:00")
    platform.withdraw(vanished)
    platform.portal.hits.clear()
    summary = run_source(source["id"])

    assert (summary.created, summary.updated, summary.unchanged, summary.deleted) == (0, 1, 1, 1), summary
    assert _titles() == ["Asili nido comunali", "Servizi per anziani"]
    assert _withdrawn("Bandi chiusi")
    hits = platform.portal.hits
    assert len(hits) == platform.requests_after_a_change, hits
    for words in platform.incremental:
        assert any(all(word in hit for word in words) for hit in platform.listing_hits()), (words, hits)
    alone = platform.single_reads()
    if platform.reads_changed_alone:
        assert len(alone) == 1 and changed[platform.key] in alone[0], alone
    else:
        assert alone == [], alone


def test_paging_reads_every_page_in_a_stable_order(platform, monkeypatch):
    items = [platform.add(f"Dataset {n}") for n in range(5)]
    if platform.page_size:
        config = {**platform.config, "page_size": 2}
    else:   # the catalogue decides its pages
        platform.portal.page_size, config = 2, platform.config
    source = platform.source(config=config)

    summary = run_source(source["id"])

    assert (summary.created, summary.errors, summary.gather_errors) == (5, 0, []), summary
    pages = platform.listing_hits()
    assert len(pages) == 3, pages   # 2 + 2 + 1
    for hit in pages:
        if platform.page_size:
            assert f"{platform.page_size}=2" in hit, hit
        if platform.order:
            assert platform.order in hit, hit
    assert platform.single_reads() == []
    assert _titles() == [f"Dataset {n}" for n in range(5)]

    # the census pages too: the four left, on two pages, are all found again
    if platform.census_page_size:
        monkeypatch.setattr(*platform.census_page_size, 2)
    platform.withdraw(items[1])
    platform.portal.hits.clear()
    again = run_source(source["id"])
    assert (again.created, again.updated, again.unchanged, again.deleted) == (0, 0, 4, 1), again
    census = [hit for hit in platform.listing_hits() if (platform.census or "") in hit]
    assert len(census) == 2, platform.portal.hits


def _answer_another_kind(query):
    return 200, {"Content-Type": "application/json"}, b'{"message": "Service Unavailable", "status": 503}'


@pytest.mark.parametrize("platform", sorted(WITH_DKAN), indirect=True)
@pytest.mark.ckan_config("ckanext.plusresilient.http.max_response_bytes", "1000000")
def test_a_broken_source_records_an_error_and_withdraws_nothing(platform):
    """However the listing fails (an error, a cut-off or oversized answer, a
    redirect inside the network, JSON of another kind), the harvest is one
    gather error naming the cause, and nothing is withdrawn though the
    portal now lists nothing. One source, broken each way in turn."""
    for n in range(3):
        platform.add(f"Dataset {n}")
    source = platform.source()
    assert run_source(source["id"]).created == 3
    for item in list(platform.store(platform.portal).values()):
        platform.withdraw(item)
    listing = platform.listing_path()

    for failure, message in (*BROKEN_SOURCE, ("another kind", platform.foreign_message)):
        if failure == "another kind":
            del platform.portal.failures[listing]
            platform.portal.routes[listing] = _answer_another_kind
        else:
            platform.portal.failures[listing] = failure
        platform.portal.hits.clear()

        summary = run_source(source["id"])

        assert_failed_and_withdrew_nothing(summary, message)
        assert len(datasets()) == 3, failure
        assert platform.single_reads() == [], (failure, platform.portal.hits)   # no fallback, no dataset


@pytest.mark.ckan_config("ckanext.plusresilient.http.timeout", "1")
@pytest.mark.ckan_config("ckanext.plusresilient.http.retries", "0")
@_only("ckan")
def test_a_slow_listing_times_out(platform):
    """Once: the timeout is the HTTP guard's, which every harvester reads
    through, and each turns a failed listing into a gather error (above)."""
    platform.portal.failures[platform.listing_path()] = "slow"
    started = time.monotonic()
    summary = run_source(platform.source()["id"])
    assert time.monotonic() - started < 6
    assert len(summary.gather_errors) == 1
    assert "timed out" in summary.gather_errors[0].lower() or "timeout" in summary.gather_errors[0].lower()


@pytest.mark.ckan_config("ckanext.plusresilient.http.allowed_private_networks", "")
@_only("ckan")
def test_a_source_inside_the_network_is_refused(platform):
    """Once, as the timeout: the guard refuses before any request is made."""
    platform.add("Should never be read")
    summary = run_source(platform.source()["id"])
    assert len(summary.gather_errors) == 1 and "127.0.0.1" in summary.gather_errors[0]
    assert not platform.portal.hits


# -- the same dataset published by two portals of one platform ------------------------------

def _ckan_copy(original: Platform, copy: Platform, item: dict[str, Any]) -> None:
    copy.add(item["title"], id=item["id"], name="strutture-anziani-veneto")


def _udata_copy(original: Platform, copy: Platform, item: dict[str, Any]) -> None:
    copy.add(item["title"], harvest={"backend": "udata", "domain": "127.0.0.1", "remote_id": item["id"],
                                     "remote_url": item["page"]})


def _ods_copy(original: Platform, copy: Platform, item: dict[str, Any]) -> None:
    dataset_id = item["dataset_id"]
    copy.add(item["metas"]["default"]["title"], dataset_id=f"{dataset_id}@parisdata",
             default={"federated": True, "source_domain": "parisdata",
                      "source_domain_address": original.portal.host, "source_dataset": dataset_id})


#: how a second portal republishes a dataset of the first: a CKAN
#: aggregator with the same id, udata's harvest block, OpenDataSoft's federation
COPIES: dict[str, Callable[[Platform, Platform, dict[str, Any]], None]] = {
    "ckan": _ckan_copy, "udata": _udata_copy, "opendatasoft": _ods_copy}


@_only(*sorted(COPIES))
def test_a_dataset_two_portals_publish_is_one_dataset_kept_while_either_lists_it(platform):
    original = platform.add("Strutture residenziali per anziani")
    aggregator = platform.another()
    with aggregator.portal:
        COPIES[platform.name](platform, aggregator, original)
        aggregator.add("Un altro dataset nazionale")
        regional = platform.source("regional")
        national = aggregator.source("national", config={**platform.config, "portal": "national"})
        run_source(regional["id"])
        summary = run_source(national["id"])
        assert (summary.created, summary.updated) == (1, 1), summary
        assert _titles() == ["Strutture residenziali per anziani", "Un altro dataset nazionale"]

        platform.withdraw(original)   # gone from the region but still at the aggregator
        assert run_source(regional["id"]).deleted == 1
        assert len(datasets()) == 2


# -- links that would run script on the portal ----------------------------------------------

def _ckan_script_links(platform: Platform) -> tuple[dict, str, list[str], list[str]]:
    item = platform.add("Dataset con link trappola", url="javascript:alert(document.domain)", resources=[
        {"id": "r1", "name": "trappola", "url": "javascript:alert(1)", "format": "CSV"},
        {"id": "r2", "name": "ftp", "url": "ftp://ftp.example.org/dati.csv", "format": "CSV"}])
    return (item, f"{platform.portal.api_url}/dataset/{item['name']}", ["ftp://ftp.example.org/dati.csv"],
            ["javascript:alert(document.domain)", "javascript:alert(1)"])


def _udata_script_links(platform: Platform) -> tuple[dict, str, list[str], list[str]]:
    """udata's ``page`` (and any URL a portal sends) is shown as a link."""
    base = platform.portal.url
    item = platform.add("Jeu piégé", page="javascript:alert(document.cookie)", harvest={
        "backend": "dcat", "remote_url": "  JavaScript:alert('landing')"}, resources=[
        {"id": "r1", "title": "piège", "url": "javascript:alert('resource')", "format": "csv"},
        {"id": "r2", "title": "données", "url": f"{base}/fichiers/donnees.csv", "format": "csv"}])
    return (item, f"{base}/datasets/{item['slug']}/", [f"{base}/fichiers/donnees.csv"],
            ["javascript:alert(document.cookie)", "JavaScript:alert('landing')", "javascript:alert('resource')"])


#: a dataset whose page and files link to javascript: (and where the
#: dataset's own page is then), the links kept, the links dropped
SCRIPT_LINKS = {"ckan": _ckan_script_links, "udata": _udata_script_links}


@_only(*sorted(SCRIPT_LINKS))
def test_a_script_url_from_the_portal_is_dropped_not_the_dataset(platform, harvest_log):
    """Anything but http(s) (and ftp for files) is dropped with a log line,
    and the dataset is harvested with its page at the portal."""
    _, page, kept, dropped = SCRIPT_LINKS[platform.name](platform)

    summary = run_source(platform.source()["id"])

    assert (summary.created, summary.errors) == (1, 0), summary
    [dataset] = datasets()
    assert dataset["source_url"] == page
    assert dataset["url"] == dataset["source_url"]
    assert [r["url"] for r in dataset["resources"]] == kept
    for link in dropped:
        assert link in harvest_log.text, harvest_log.text
