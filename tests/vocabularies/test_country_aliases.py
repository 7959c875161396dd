"""Country aliases: ISO 3166 ``GR`` is the EU vocabulary's ``EL``, in any
case, wherever a country is read. One mechanism: the ``aliases`` of a term in
the vocabulary file, read by ``Vocabulary.normalise``; every reader (source
configuration, the portal directory, action parameters, the dataset schema,
the harvest mapping) goes through it.

The first tests are pure (the loader imports nothing from CKAN); the last
ones go through the real stack."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from ckanext.plusresilient import vocabularies as vocab

LABEL = "{en: A, it: A, es: A, fr: A, sl: A, hr: A, el: A, pt: A}"
FILE = f"""\
name: sample
title: {{en: T, it: T, es: T, fr: T, sl: T, hr: T, el: T, pt: T}}
terms:
  - code: EL
    aliases: [GR]
    label: {LABEL}
  - code: IT
    label: {LABEL}
"""


def _load(tmp_path: Path, text: str) -> vocab.Vocabulary:
    path = tmp_path / "sample.yaml"
    path.write_text(text, encoding="utf-8")
    return vocab.load_file(path)


@pytest.mark.parametrize("value", ["GR", "gr", " Gr ", "EL", "el", "http://publications.europa.eu/resource/authority/country/GRC"])
def test_greece_is_el_under_any_of_its_names(value):
    assert vocab.get("countries").normalise(value) == "EL"


def test_an_alias_is_not_a_code():
    """Records, facets and URIs keep the one code: an alias is only read."""
    countries = vocab.get("countries")
    assert "GR" not in countries and countries.get("GR") is None
    assert countries.codes().count("EL") == 1 and "GR" not in countries.codes()
    assert countries.get("EL").aliases == ("GR",)
    assert countries.normalise("GRE") is None and countries.normalise("UK") is None


def test_regions_of_greece_by_its_alias():
    assert vocab.regions_of("gr") == vocab.regions_of("GR") == vocab.regions_of("EL")
    assert "EL30" in {term.code for term in vocab.regions_of("Gr")}


def test_a_vocabulary_file_declares_aliases(tmp_path):
    sample = _load(tmp_path, FILE)
    assert sample.normalise("gr") == "EL" and sample.normalise("it") == "IT"
    assert "aliases" not in sample.get("EL").extra


@pytest.mark.parametrize("change, fragment", [
    (("aliases: [GR]", "aliases: [IT]"), "alias 'IT'"),          # another term's code
    (("aliases: [GR]", "aliases: [el]"), "alias 'el'"),          # its own code, other case
    (("aliases: [GR]", "aliases: [GR, gr]"), "alias 'gr'"),      # twice
    (("aliases: [GR]", "aliases: GR"), "aliases must be a list"),
    (("aliases: [GR]", "aliases: ['G R']"), "aliases must be"),
])
def test_a_clashing_or_malformed_alias_is_refused_naming_it(tmp_path, change, fragment):
    with pytest.raises(ValueError) as error:
        _load(tmp_path, FILE.replace(*change))
    assert "sample.yaml" in str(error.value) and fragment in str(error.value), error.value


def test_an_alias_clashing_with_a_later_term_s_code_is_refused(tmp_path):
    text = FILE.replace("aliases: [GR]", "aliases: [GB]") + f"  - code: gb\n    label: {LABEL}\n"
    with pytest.raises(ValueError, match="alias 'GB'"):
        _load(tmp_path, text)


def test_the_portal_directory_reads_countries_through_the_vocabulary():
    from ckanext.plusresilient import portals as directory

    assert directory.normalise_country("gr") == directory.normalise_country(" GR ") == "EL"
    assert directory.normalise_country("it") == "IT"
    assert directory.normalise_country("xx") == "XX"    # unknown: shown as given, refused by the caller
    greek = directory.for_country("gr")
    assert greek and {portal.country for portal in greek} == {"EL"}


def test_the_portal_directory_file_takes_gr(tmp_path):
    import yaml

    from ckanext.plusresilient import portals as directory

    entry = {"id": "gr-test", "name": "Test", "url": "https://data.example.gr", "country": "gr",
             "region": "EL30", "level": "regional", "software": "ckan", "api_url": "https://data.example.gr",
             "harvester": "plusresilient_ckan", "language": "el", "verified": False}
    path = tmp_path / "portals.yaml"
    path.write_text(yaml.safe_dump({"portals": [entry]}), encoding="utf-8")
    (portal,) = directory.load_file(path)
    assert (portal.country, portal.region) == ("EL", "EL30")


# -- through the real stack ------------------------------------------------------------------

@pytest.mark.usefixtures("with_plugins")
def test_a_source_configuration_takes_gr(clean_db):
    from ckan.tests.helpers import call_action

    from ckanext.plusresilient.harvesters import source_config

    for country in ("GR", "gr", "El"):
        assert source_config.parse(json.dumps({"country": country, "region": "EL30"})) == \
            {"country": "EL", "region": "EL30"}
    site_user = call_action("get_site_user", {"ignore_auth": True})["name"]
    source = call_action("harvest_source_create", {"user": site_user}, name="data-gov-gr", title="data.gov.gr",
                         url="https://data.gov.gr/", source_type="plusresilient_ckan",
                         config=json.dumps({"country": "gr", "region": "EL30", "language": "el"}))
    assert json.loads(source["config"])["country"] == "gr"   # kept as written, read as EL


@pytest.mark.usefixtures("with_plugins")
def test_action_parameters_take_gr(clean_db):
    from ckan.tests.helpers import call_action

    portals = call_action("plusresilient_portal_list", country="gr")
    assert portals and {portal["country"] for portal in portals} == {"EL"}
    assert call_action("plusresilient_portal_list", country="GR,cy") == \
        call_action("plusresilient_portal_list", country=["EL", "CY"])


@pytest.mark.usefixtures("with_plugins")
@pytest.mark.parametrize("country", ["GR", "gr", "el"])
def test_a_dataset_created_through_the_api_takes_gr(clean_db, sysadmin_context, country):
    from ckan.tests.helpers import call_action

    dataset = call_action("package_create", sysadmin_context, name=f"anergia-{country.lower()}",
                          title="Ανεργία", notes="Ανεργία ανά δήμο.", svrc_scenario=["public-services"],
                          country=country, region="EL30", license_id="cc-by")
    assert (dataset["country"], dataset["region"]) == ("EL", "EL30")


def test_a_remote_dataset_s_own_country_takes_gr():
    from ckanext.plusresilient.harvesters.mapping import RemoteDataset, to_package

    remote = RemoteDataset(identifier="urn:1", remote_id="1", title="Ανεργία", country="gr", region="EL30")
    package = to_package(remote, {"country": "IT", "region": "ITH3"})
    assert (package["country"], package["region"]) == ("EL", "EL30")
