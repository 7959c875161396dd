"""The directory's harvest sources as a production site needs them: owned by
an organization, on the directory's schedule, an admin's choices kept; and
the directory's counts per source when two sources publish one dataset."""
from __future__ import annotations

import html
import json
import re

import pytest

import ckan.plugins.toolkit as tk
from ckan.tests import factories
from ckan.tests.helpers import call_action

from ckanext.plusresilient import portals
from ckanext.plusresilient.harvesters.runner import run_source
from ckanext.plusresilient.demo.portals.ckan import CKANPortal

pytestmark = pytest.mark.usefixtures("with_plugins", "clean_db", "clean_index")

STOCK_CKAN = {"ckan": "ckan"}
DIRECTORY_ORGANIZATION = "med-open-data-portals"
ORGANIZATION_OPTION = "ckanext.plusresilient.portals.organization"


@pytest.fixture
def sysadmin():
    user = factories.Sysadmin()
    return {"user": user["name"], "ignore_auth": False}


def sync(context, **params):
    return call_action("plusresilient_portals_sync", context=dict(context), **params)


def source(name):
    return call_action("harvest_source_show", {"use_cache": False}, id=name)


def with_directory(monkeypatch, tmp_path, text):
    """The sync on a directory file of the test's own (the shipped one sets
    no frequency): the same loader and checks as portals.yaml."""
    path = tmp_path / "portals.yaml"
    path.write_text(text, encoding="utf-8")
    loaded = tuple(portals.load_file(path))
    monkeypatch.setattr(portals, "_shipped", lambda: loaded)


SLOVENIA = """
portals:
  - id: si-opsi
    name: OPSI
    url: https://podatki.gov.si
    country: SI
    region: null
    level: national
    software: ckan
    api_url: https://podatki.gov.si
    harvester: plusresilient_ckan
    language: sl
    verified: true
    frequency: DAILY
  - id: si-ljubljana
    name: Ljubljana
    url: https://ljubljana.example.org
    country: SI
    region: SI04
    level: local
    software: ckan
    api_url: https://ljubljana.example.org
    harvester: plusresilient_ckan
    language: sl
    verified: false
"""


# an owner organization ---------------------------------------------------------

@pytest.mark.ckan_config("ckan.auth.create_unowned_dataset", "false")
def test_sync_works_where_unowned_datasets_are_refused(sysadmin):
    report = sync(sysadmin, country="SI,HR", harvester_override=STOCK_CKAN)

    assert report["created"] == ["si-opsi", "hr-data-gov", "hr-zagreb"], report
    organization = call_action("organization_show", id=DIRECTORY_ORGANIZATION)
    assert organization["title"] == "Open data portals of the MED countries"
    for portal_id in report["created"]:
        assert source(f"portal-{portal_id}")["owner_org"] == organization["id"]
    again = sync(sysadmin, country="SI,HR", harvester_override=STOCK_CKAN)
    assert again["created"] == [] and again["updated"] == []
    assert again["unchanged"] == report["created"]


@pytest.mark.ckan_config(ORGANIZATION_OPTION, "open-data-office")
def test_the_option_names_an_existing_organization(sysadmin):
    office = factories.Organization(name="open-data-office", title="Open data office")

    sync(sysadmin, country="SI", harvester_override=STOCK_CKAN)

    assert source("portal-si-opsi")["owner_org"] == office["id"]
    assert call_action("organization_show", id="open-data-office")["title"] == "Open data office"
    with pytest.raises(tk.ObjectNotFound):
        call_action("organization_show", id=DIRECTORY_ORGANIZATION)


@pytest.mark.ckan_config(ORGANIZATION_OPTION, "portali-med")
def test_the_option_names_an_organization_the_sync_creates(sysadmin):
    sync(sysadmin, country="SI", harvester_override=STOCK_CKAN)

    organization = call_action("organization_show", id="portali-med")
    assert source("portal-si-opsi")["owner_org"] == organization["id"]


@pytest.mark.ckan_config(ORGANIZATION_OPTION, "Not A Name!")
def test_an_option_that_cannot_name_an_organization_is_a_clear_error(sysadmin):
    with pytest.raises(tk.ValidationError) as error:
        sync(sysadmin, country="SI", harvester_override=STOCK_CKAN)

    assert ORGANIZATION_OPTION in str(error.value.error_dict)
    assert call_action("harvest_source_list") == []


def test_a_dry_run_creates_no_organization(sysadmin):
    report = sync(sysadmin, country="SI", dry_run=True, harvester_override=STOCK_CKAN)

    assert report["created"] == ["si-opsi"]
    with pytest.raises(tk.ObjectNotFound):
        call_action("organization_show", id=DIRECTORY_ORGANIZATION)


def test_a_source_an_older_sync_left_unowned_gets_the_organization(sysadmin):
    """test.ini allows unowned datasets: what an older sync created."""
    call_action("harvest_source_create", context=dict(sysadmin), name="portal-si-opsi",
                title="OPSI", url="https://podatki.gov.si", source_type="ckan",
                frequency="MANUAL", owner_org=None,
                config=json.dumps({"portal": "si-opsi", "country": "SI", "region": None,
                                   "language": "sl"}))

    report = sync(sysadmin, country="SI", harvester_override=STOCK_CKAN)

    assert report["updated"] == ["si-opsi"], report
    organization = call_action("organization_show", id=DIRECTORY_ORGANIZATION)
    after = source("portal-si-opsi")
    assert after["owner_org"] == organization["id"]
    assert after["frequency"] == "MANUAL"  # an admin may have chosen it: kept
    assert sync(sysadmin, country="SI", harvester_override=STOCK_CKAN)["unchanged"] == ["si-opsi"]


# a frequency from the directory --------------------------------------------------

def test_sources_run_weekly_unless_the_directory_says_otherwise(sysadmin, monkeypatch, tmp_path):
    with_directory(monkeypatch, tmp_path, SLOVENIA)

    report = sync(sysadmin, harvester_override=STOCK_CKAN)

    assert report["created"] == ["si-opsi", "si-ljubljana"]
    assert source("portal-si-opsi")["frequency"] == "DAILY"
    assert source("portal-si-ljubljana")["frequency"] == "WEEKLY"


def test_every_shipped_portal_gets_its_directory_frequency(sysadmin):
    report = sync(sysadmin, country="HR", harvester_override=STOCK_CKAN)

    for portal_id in report["created"]:
        assert source(f"portal-{portal_id}")["frequency"] == portals.by_id(portal_id).frequency


# an admin's choices are kept -------------------------------------------------------

def test_a_frequency_and_organization_an_admin_chose_are_kept(sysadmin, monkeypatch, tmp_path):
    with_directory(monkeypatch, tmp_path, SLOVENIA)
    sync(sysadmin, harvester_override=STOCK_CKAN)
    cluster = factories.Organization()
    opsi = source("portal-si-opsi")
    call_action("harvest_source_patch", context=dict(sysadmin), id=opsi["id"],
                frequency="MONTHLY", owner_org=cluster["id"])

    unchanged = sync(sysadmin, harvester_override=STOCK_CKAN)
    assert unchanged["updated"] == [] and "si-opsi" in unchanged["unchanged"]

    # the directory's own fields still win over a drift, and only they
    call_action("harvest_source_patch", context=dict(sysadmin), id=opsi["id"],
                url="https://example.org/moved")
    drifted = sync(sysadmin, harvester_override=STOCK_CKAN)

    assert drifted["updated"] == ["si-opsi"]
    after = source("portal-si-opsi")
    assert after["url"] == "https://podatki.gov.si"
    assert (after["frequency"], after["owner_org"]) == ("MONTHLY", cluster["id"])


# counts per source -----------------------------------------------------------------

def _directory_counts(country):
    listed = call_action("plusresilient_portal_list", context={"user": ""}, country=country)
    return {item["id"]: item["harvest_source"]["datasets"]
            for item in listed if item["harvest_source"]}


@pytest.fixture
def two_portals(sysadmin):
    """The national aggregator and a city portal of the directory, each
    imitated on loopback, with one dataset both publish."""
    with CKANPortal(prefix="/opendata") as national, CKANPortal() as city:
        shared = city.add("Javni prijevoz: stajališta")
        national.add(shared["title"], id=shared["id"], name="javni-prijevoz-zagreb")
        national.add("Registar udruga")
        sync(sysadmin, country="HR")
        for portal_id, portal in (("hr-data-gov", national), ("hr-zagreb", city)):
            call_action("harvest_source_patch", context=dict(sysadmin),
                        id=f"portal-{portal_id}", url=portal.api_url)
        yield {"national": national, "city": city, "shared": shared}


@pytest.mark.ckan_config("ckan.auth.create_unowned_dataset", "false")
def test_a_dataset_two_sources_publish_counts_under_each(two_portals):
    national = run_source(source("portal-hr-data-gov")["id"])
    city = run_source(source("portal-hr-zagreb")["id"])

    assert (national.created, city.created, city.updated) == (2, 0, 1), (national, city)
    found = call_action("package_search", fq="+dataset_type:dataset")
    assert found["count"] == 2
    organization = call_action("organization_show", id=DIRECTORY_ORGANIZATION)
    assert {dataset["owner_org"] for dataset in found["results"]} == {organization["id"]}
    assert _directory_counts("HR") == {"hr-data-gov": 2, "hr-zagreb": 1}


def test_the_counts_hold_whichever_source_harvested_last(two_portals):
    run_source(source("portal-hr-zagreb")["id"])
    run_source(source("portal-hr-data-gov")["id"])
    two_portals["city"].packages[two_portals["shared"]["id"]]["metadata_modified"] = (
        "2099-01-01T00:00:00.000000")
    assert run_source(source("portal-hr-zagreb")["id"]).updated == 1

    assert _directory_counts("HR") == {"hr-data-gov": 2, "hr-zagreb": 1}


def test_a_source_that_withdraws_the_dataset_no_longer_counts_it(two_portals):
    run_source(source("portal-hr-data-gov")["id"])
    run_source(source("portal-hr-zagreb")["id"])

    del two_portals["city"].packages[two_portals["shared"]["id"]]
    assert run_source(source("portal-hr-zagreb")["id"]).deleted == 1

    assert call_action("package_search", fq="+dataset_type:dataset")["count"] == 2
    assert _directory_counts("HR") == {"hr-data-gov": 2, "hr-zagreb": 0}


def test_the_directory_page_links_to_every_dataset_it_counts(two_portals, app):
    run_source(source("portal-hr-data-gov")["id"])
    run_source(source("portal-hr-zagreb")["id"])  # the shared dataset's last importer
    national = source("portal-hr-data-gov")

    body = app.get("/portals", query_string={"country": "HR"}).body
    link = re.search(rf'href="([^"]*{national["id"]}[^"]*)">(\d+)</a>', body)

    assert link and link.group(2) == "2", body
    found = app.get(html.unescape(link.group(1))).body
    assert "Registar udruga" in found and "Javni prijevoz: stajališta" in found
