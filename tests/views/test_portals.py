"""/portals, the public directory page, and `ckan plusresilient portals`."""
from __future__ import annotations

import re

import pytest

from ckan import model

from ckan.cli.cli import ckan as ckan_cli
from ckan.tests import factories
from ckan.tests.helpers import call_action

from ckanext.plusresilient import portals, vocabularies

pytestmark = pytest.mark.usefixtures("with_plugins", "clean_db", "clean_index")


def listed_portals(body: str) -> list[str]:
    return re.findall(r'data-portal="([^"]+)"', body)


def test_the_page_lists_every_portal_grouped_by_country(app):
    body = app.get("/portals").body

    ids = listed_portals(body)
    assert len(ids) >= 25
    assert ids == [p.id for p in portals.load()]
    for portal in portals.load()[:3]:
        assert f'href="{portal.url}"' in body
    sections = re.findall(r'class="plusresilient-portal-country" data-country="([A-Z]+)"', body)
    assert sections == portals.countries()
    assert "Tuscany" in body  # the region of dati.toscana.it, in English
    assert "Socrata" in body and "Opendatasoft" in body


def test_the_page_has_a_country_filter_with_counts(app):
    body = app.get("/portals").body

    for code in portals.countries():
        count = len(portals.for_country(code))
        link = re.search(
            rf'<a href="/portals\?country={code}" data-country="{code}">\s*'
            rf'<span class="item-label">([^<]+)</span>.*?<span class="item-count badge">(\d+)</span>',
            body, re.S)
        assert link, code
        assert link.group(1) == vocabularies.get("countries").label(code, "en")
        assert int(link.group(2)) == count


def test_the_filter_shows_one_country(app):
    body = app.get("/portals", query_string={"country": "IT"}).body

    ids = listed_portals(body)
    assert ids == [p.id for p in portals.for_country("IT")]
    assert "datos.gob.es" not in body
    # the filter still offers every country
    assert 'href="/portals?country=ES"' in body


def test_an_unknown_country_is_a_bad_request(app):
    app.get("/portals", query_string={"country": "XX"}, status=400)


def test_country_labels_follow_the_language(app):
    body = app.get("/it/portals").body

    for code in portals.countries():
        label = vocabularies.get("countries").label(code, "it")
        assert f"<h2>{label}</h2>" in body, code
    assert "<h2>Spagna</h2>" in body and "<h2>Spain</h2>" not in body


def test_a_harvested_portal_links_to_its_datasets(app):
    sysadmin = factories.Sysadmin()
    call_action("plusresilient_portals_sync",
                context={"user": sysadmin["name"], "ignore_auth": False},
                country="SI", harvester_override={"ckan": "ckan"})
    source = call_action("harvest_source_show", id="portal-si-opsi")

    body = app.get("/portals", query_string={"country": "SI"}).body

    assert f'href="/dataset/?vocab_harvest_sources={source["id"]}">0</a>' in body


def test_the_cli_lists_a_country(cli):
    result = cli.invoke(ckan_cli, ["plusresilient", "portals", "list", "--country", "IT"])

    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0].split()[:3] == ["id", "country", "region"]
    italian = portals.for_country("IT")
    assert [line.split()[0] for line in lines[1:-1]] == [p.id for p in italian]
    assert lines[-1] == f"{len(italian)} portals"
    assert "ITI1" in result.output and "es-madrid" not in result.output


def test_the_cli_refuses_an_unknown_country(cli):
    result = cli.invoke(ckan_cli, ["plusresilient", "portals", "list", "--country", "XX"])

    assert result.exit_code == 2
    assert "Unknown country codes XX" in result.output


def test_the_cli_sync_dry_run_reports_and_changes_nothing(cli):
    result = cli.invoke(ckan_cli, ["plusresilient", "portals", "sync", "--country", "CY", "--dry-run"])

    assert result.exit_code == 0, result.output
    assert "would be created (1): cy-data-gov" in result.output
    assert model.Package.get("portal-cy-data-gov") is None  # a dry run creates no source
