"""`ckan plusresilient harvest run SOURCE`: progress as it goes, then the summary."""
from __future__ import annotations

import pytest
from ckan.cli.cli import ckan as ckan_cli

from ckanext.plusresilient.demo.portals.ckan import CKANPortal
from tests.harvesters.cases import make_source

pytestmark = pytest.mark.usefixtures("with_plugins", "clean_db", "clean_index")


def test_harvest_run_shows_pages_datasets_and_a_summary(cli):
    with CKANPortal() as portal:
        for n in range(5):
            portal.add(f"Dataset {n}")
        make_source(portal.api_url, name="cli-portal", config={"country": "SI", "page_size": 2})

        first = cli.invoke(ckan_cli, ["plusresilient", "harvest", "run", "cli-portal"])
        again = cli.invoke(ckan_cli, ["plusresilient", "harvest", "run", "cli-portal"])

    assert first.exit_code == 0, first.output
    assert "page 3: 5 datasets listed" in first.output
    assert "importing 5 new or changed datasets" in first.output
    assert "created 5, updated 0, unchanged 0, deleted 0, errors 0" in first.output
    assert "created 0, updated 0, unchanged 5, deleted 0, errors 0" in again.output


def test_harvest_run_fails_with_the_gather_error(cli):
    with CKANPortal() as portal:
        portal.failures["/api/3/action/package_search"] = "500"
        make_source(portal.api_url, name="broken-portal", config={"country": "SI"})
        result = cli.invoke(ckan_cli, ["plusresilient", "harvest", "run", "broken-portal"])
    assert result.exit_code == 1
    assert "gather error: HTTP 500" in result.output


def test_harvest_run_names_an_unknown_source(cli):
    result = cli.invoke(ckan_cli, ["plusresilient", "harvest", "run", "no-such-source"])
    assert result.exit_code == 1
    assert "Harvest source not found: no-such-source" in result.output
