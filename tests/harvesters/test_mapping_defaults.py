"""A source's own defaults for the datasets its words say nothing about:
``default_theme`` (an EU data theme) and ``default_od_category`` (an
open-data category), checked with the other coded keys of the source
configuration and given by the mapping only where nothing matched."""
from __future__ import annotations

import json

import pytest

import ckan.plugins.toolkit as tk
from ckan.tests.helpers import call_action

from ckanext.plusresilient.harvesters import source_config
from ckanext.plusresilient.harvesters.mapping import RemoteDataset, to_package
from ckanext.plusresilient.harvesters.runner import run_source
from ckanext.plusresilient.demo.portals.ckan import CKANPortal
from tests.harvesters.cases import _site_user, datasets, make_source

EU_THEME = "http://publications.europa.eu/resource/authority/data-theme/"
DEFAULTS = {"country": "EL", "default_theme": "REGI", "default_od_category": "citizenship"}


def _remote(**fields) -> RemoteDataset:
    return RemoteDataset(identifier="urn:x:1", remote_id="1", title=fields.pop("title", "Δημοτικά δεδομένα"),
                         **fields)


# -- the mapping ----------------------------------------------------------------------------

def test_a_dataset_whose_words_match_nothing_gets_the_source_s_defaults():
    package = to_package(_remote(tags=["δεδομένα", "δήμος"]), DEFAULTS)
    assert package["theme"] == ["REGI"] and package["od_category"] == ["citizenship"]


def test_without_defaults_an_unmatched_dataset_still_gets_none():
    package = to_package(_remote(tags=["δεδομένα"]), {"country": "EL"})
    assert "theme" not in package and "od_category" not in package


def test_the_dataset_s_own_words_win_over_the_defaults():
    package = to_package(_remote(tags=["ανεργία"]), DEFAULTS)     # unemployment
    assert package["od_category"] == ["employment"] and package["theme"] == ["ECON"]
    package = to_package(_remote(themes=[EU_THEME + "ENVI"]), DEFAULTS)
    assert package["theme"] == ["ENVI"] and package["od_category"] == ["citizenship"]


def test_each_default_stands_alone():
    """Only a category: the theme follows from it, as it would from a
    matched one. Only a theme: no category is made up."""
    package = to_package(_remote(), {"default_od_category": "housing"})
    assert package["od_category"] == ["housing"] and package["theme"] == ["SOCI"]
    package = to_package(_remote(), {"default_theme": "GOVE"})
    assert package["theme"] == ["GOVE"] and "od_category" not in package


def test_the_source_s_theme_wins_over_the_one_its_category_implies():
    package = to_package(_remote(), {"default_theme": "REGI", "default_od_category": "housing"})
    assert package["theme"] == ["REGI"] and package["od_category"] == ["housing"]


# -- the source configuration ----------------------------------------------------------------

@pytest.mark.parametrize("written, read", [
    ({"default_theme": "regi", "default_od_category": "Citizenship"},
     {"default_theme": "REGI", "default_od_category": "citizenship"}),
    ({"default_theme": EU_THEME + "SOCI"}, {"default_theme": "SOCI"}),
    ({"default_theme": None, "default_od_category": None}, {}),
])
def test_the_defaults_are_read_as_codes(written, read):
    assert source_config.parse(json.dumps(written)) == read


@pytest.mark.parametrize("config, words", [
    ({"default_theme": "SOCIAL"}, ["default_theme", "'SOCIAL'", "AGRI, ECON, EDUC"]),
    ({"default_theme": ["SOCI"]}, ["default_theme", "['SOCI']"]),
    ({"default_od_category": "welfare"}, ["default_od_category", "'welfare'", "demography, employment"]),
    ({"default_od_category": 3}, ["default_od_category", "3"]),
])
def test_a_bad_default_is_refused_naming_the_key(config, words):
    with pytest.raises(source_config.ConfigError) as raised:
        source_config.parse(json.dumps(config))
    for word in words:
        assert word in str(raised.value), raised.value


# -- through a harvest ------------------------------------------------------------------------

@pytest.mark.usefixtures("with_plugins", "clean_db", "clean_index")
def test_a_harvest_gives_unmatched_datasets_the_defaults_of_a_source_configured_with_gr():
    with CKANPortal() as portal:
        portal.add("Δημοτικά δεδομένα Αθηνών", name="dimotika", tags=["δεδομένα", "Αθήνα"])
        portal.add("Ανεργία ανά δήμο", name="anergia", tags=["ανεργία"])
        source = make_source(portal.api_url, name="data-gov-gr", config={
            "country": "gr", "region": "EL30", "language": "el",
            "default_theme": "regi", "default_od_category": "citizenship"})
        summary = run_source(source["id"])

    assert (summary.created, summary.errors) == (2, 0), summary
    by_title = {d["title"]: d for d in datasets()}
    unmatched, unemployment = by_title["Δημοτικά δεδομένα Αθηνών"], by_title["Ανεργία ανά δήμο"]
    assert (unmatched["country"], unmatched["region"]) == ("EL", "EL30")
    assert unmatched["theme"] == ["REGI"] and unmatched["od_category"] == ["citizenship"]
    assert unemployment["theme"] == ["ECON"] and unemployment["od_category"] == ["employment"]


@pytest.mark.usefixtures("with_plugins", "clean_db")
def test_a_source_with_a_bad_default_is_refused_with_a_409_naming_config():
    with pytest.raises(tk.ValidationError) as raised:
        call_action("harvest_source_create", {"user": _site_user()}, name="bad-defaults", title="Bad",
                    url="https://portal.example.org/", source_type="plusresilient_udata",
                    config=json.dumps({"default_theme": "SOCIAL"}))
    assert list(raised.value.error_dict) == ["config"]
    assert "default_theme must be one of AGRI" in raised.value.error_dict["config"][0]
