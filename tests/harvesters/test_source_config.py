"""A harvest source's configuration: checked when the source is saved (a 409
naming the key), and again when a harvest starts, for sources saved before
the check existed (a gather error blaming the configuration, with no
request sent to the portal)."""
from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

import ckan.plugins as p
import ckan.plugins.toolkit as tk
from ckan import model
from ckan.tests import factories
from ckan.tests.helpers import call_action
from ckanext.harvest.interfaces import IHarvester
from ckanext.harvest.model import HarvestSource

from ckanext.plusresilient.portals.sync import _wanted_source
from ckanext.plusresilient import portals as directory
from ckanext.plusresilient.harvesters.runner import run_source
from ckanext.plusresilient.demo.portals.ckan import CKANPortal
from tests.harvesters.cases import VENETO, _site_user, make_source

pytestmark = pytest.mark.usefixtures("with_plugins", "clean_db", "clean_index")

ROOT = Path(__file__).resolve().parents[2]
SOURCE_TYPES = ("plusresilient_ckan", "plusresilient_dcat", "plusresilient_udata",
                "plusresilient_ods", "plusresilient_socrata")
PAGED_TYPES = tuple(t for t in SOURCE_TYPES if t != "plusresilient_dcat")


def _create(config, source_type="plusresilient_ckan", name="checked-source"):
    return call_action("harvest_source_create", {"user": _site_user()}, name=name, title=name,
                       url="https://portal.example.org/", source_type=source_type,
                       config=config if isinstance(config, str) else json.dumps(config))


def _refused(config, source_type="plusresilient_ckan") -> str:
    with pytest.raises(tk.ValidationError) as raised:
        _create(config, source_type)
    assert list(raised.value.error_dict) == ["config"], raised.value.error_dict
    return " ".join(raised.value.error_dict["config"])


@pytest.mark.parametrize("config, words", [
    ({"page_size": "lots"}, ["page_size", "whole number from 1 to 1000", "'lots'"]),
    ({"page_size": -1}, ["page_size", "from 1 to 1000", "-1"]),
    ({"page_size": 0}, ["page_size", "from 1 to 1000"]),
    ({"page_size": 1e20}, ["page_size", "from 1 to 1000"]),
    ({"page_size": 100.5}, ["page_size", "whole number"]),
    ({"page_size": True}, ["page_size", "whole number"]),
    ({"page_size": 1001}, ["page_size", "from 1 to 1000", "1001"]),
    ({"language": "klingon"}, ["language", "'klingon'", "it, es, fr"]),
    ({"language": ["it"]}, ["language", "['it']"]),
    ({"country": "DE"}, ["country", "'DE'", "IT, ES, FR"]),
    ({"country": 39}, ["country", "39"]),
    ({"country": "IT", "region": "ES51"}, ["Region 'ES51' is not in IT", "ITC1"]),
    ({"region": "ITH3"}, ["region", "country"]),
    ({"default_scenario": "world-peace"}, ["default_scenario", "'world-peace'", "public-services"]),
    ({"portal": ""}, ["portal", "letters, digits"]),
    ({"portal": "<script>"}, ["portal", "letters, digits"]),
    ({"portal": 12}, ["portal", "letters, digits"]),
    ({"default_theme": "social"}, ["default_theme", "'social'", "AGRI, ECON"]),
    ({"default_od_category": "SOCI"}, ["default_od_category", "'SOCI'", "demography, employment"]),
    ({"country": "GRC"}, ["country", "'GRC'"]),
    ({"country": "GR", "region": "ITH3"}, ["Region 'ITH3' is not in EL", "EL30"]),
    ({"colour": "blue", "page_sise": 10}, ["colour, page_sise", "Known keys: portal, country, region, "
                                                                "language, default_scenario, default_theme, "
                                                                "default_od_category, page_size"]),
    ("[1, 2]", ["JSON object"]),
    ("{not json", ["not valid JSON"]),
])
def test_a_bad_configuration_is_refused_with_the_key_and_the_rule(config, words):
    message = _refused(config)
    for word in words:
        assert word in message, message


@pytest.mark.parametrize("source_type", PAGED_TYPES)
def test_every_paged_harvester_checks_page_size_against_its_platform(source_type):
    assert "page_size" in _refused({"page_size": "lots"}, source_type)
    assert "page_size" in _refused({"page_size": -1}, source_type)
    largest = 100 if source_type == "plusresilient_ods" else 1000
    assert f"from 1 to {largest}" in _refused({"page_size": largest + 1}, source_type)
    assert _create({"page_size": largest}, source_type)["config"] == json.dumps({"page_size": largest})


def test_a_catalogue_harvester_says_it_takes_no_page_size():
    assert "page_size is not used" in _refused({"page_size": 50}, "plusresilient_dcat")


@pytest.mark.parametrize("source_type", SOURCE_TYPES)
def test_a_good_configuration_is_kept_as_written(source_type):
    config = json.dumps({"portal": "dati-veneto", "country": "it", "region": "ITH3", "language": "IT",
                         "default_scenario": "social-smes", "default_theme": "soci",
                         "default_od_category": "Health-Social", "page_size": None})
    assert _create(config, source_type)["config"] == config
    assert _create("", source_type, name="empty-config")["config"] in ("", None)


def test_an_update_is_checked_too():
    source = _create(VENETO)
    for config in ({**VENETO, "page_size": -1}, {**VENETO, "language": "klingon"}):
        with pytest.raises(tk.ValidationError) as raised:
            call_action("harvest_source_update", {"user": _site_user()}, **dict(
                source, config=json.dumps(config)))
        assert "config" in raised.value.error_dict
    assert json.loads(call_action("harvest_source_show", id=source["id"])["config"]) == VENETO


def test_the_api_answers_409_with_the_message(app):
    user = factories.SysadminWithToken()
    response = app.post(
        tk.url_for("api.action", ver=3, logic_function="harvest_source_create"),
        json={"name": "api-source", "title": "API source", "url": "https://portal.example.org/",
              "source_type": "plusresilient_udata", "config": json.dumps({"page_size": "lots"})},
        headers={"Authorization": user["token"]}, status=409)
    error = response.json["error"]
    assert error["__type"] == "Validation Error"
    assert "page_size must be a whole number from 1 to 1000, not 'lots'" in error["config"][0]


def _harvesters() -> dict:
    return {h.info()["name"]: h for h in p.PluginImplementations(IHarvester)}


def test_the_directory_and_the_demo_configurations_are_valid():
    harvesters = _harvesters()
    checked = 0
    for portal in directory.load():
        if portal.harvester in harvesters and portal.harvester.startswith("plusresilient_"):
            config = _wanted_source(portal, portal.harvester)["config"]
            assert harvesters[portal.harvester].validate_config(config) == config, portal.id
            checked += 1
    assert checked > 30
    demo = yaml.safe_load((ROOT / "ckanext/plusresilient/demo/content/sources.yaml").read_text())
    for source in demo["sources"]:
        config = json.dumps(source["config"], sort_keys=True)
        assert harvesters[source["source_type"]].validate_config(config) == config, source["name"]


@pytest.mark.parametrize("stored, words", [
    ({"page_size": "lots"}, ["page_size", "'lots'"]),
    ({"page_size": 1e20}, ["page_size", "from 1 to 1000"]),
    ({"language": "klingon"}, ["language", "'klingon'"]),
])
def test_a_source_saved_before_the_check_fails_at_gather_blaming_its_configuration(stored, words):
    with CKANPortal(prefix="/opendata") as portal:
        portal.add("Cooperative sociali")
        source = make_source(portal.api_url)
        row = HarvestSource.get(source["id"])
        row.config = json.dumps({**VENETO, **stored})  # as an older version let it be saved
        model.Session.commit()

        summary = run_source(source["id"])

    assert portal.hits == [], "the portal was asked with a configuration known to be wrong"
    assert summary.created == 0 and len(summary.gather_errors) == 1, summary
    error = summary.gather_errors[0]
    assert error.startswith("Invalid source configuration"), error
    assert "Fix the harvest source's configuration" in error and "Malformed listing" not in error
    for word in words:
        assert word in error, error
