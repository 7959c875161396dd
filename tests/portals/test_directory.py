"""The portal directory: real portals, valid codes, a strict loader.

Pure: needs no CKAN stack (``-p no:ckan`` works).
"""
from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from ckanext.plusresilient import portals, vocabularies

NETWORK = ("IT", "ES", "FR", "SI", "HR", "EL", "PT", "CY")


def test_the_directory_lists_at_least_25_portals():
    assert len(portals.load()) >= 25


@pytest.mark.parametrize("country", NETWORK)
def test_every_network_country_has_a_portal(country):
    assert portals.for_country(country), country


def test_every_network_country_has_its_national_portal_or_says_why_not():
    national = {p.country for p in portals.load() if p.level == "national"}
    assert set(NETWORK) <= national


def test_codes_exist_in_the_vocabularies():
    countries = vocabularies.get("countries")
    regions = vocabularies.get("regions")
    languages = vocabularies.get("languages")
    for portal in portals.load():
        assert portal.country in countries, portal.id
        assert portal.language in languages, portal.id
        if portal.region is not None:
            assert regions.get(portal.region).extra["country"] == portal.country, portal.id
        assert (portal.region is None) == (portal.level == "national"), portal.id


def test_fields_take_their_allowed_values():
    ids = [p.id for p in portals.load()]
    assert len(ids) == len(set(ids))
    for portal in portals.load():
        assert re.match(r"^[a-z0-9][a-z0-9-]+$", portal.id)
        assert portal.level in portals.LEVELS
        assert portal.software in portals.SOFTWARE
        assert portal.harvester is None or portal.harvester in portals.HARVESTERS
        assert portal.url.startswith(("https://", "http://"))
        if portal.harvester:
            assert portal.api_url and portal.api_url.startswith(("https://", "http://"))
        assert isinstance(portal.verified, bool)
        assert portal.harvest_source_name == f"portal-{portal.id}"


def test_each_harvester_reads_the_software_it_is_made_for():
    readers = {
        "opendatasoft": {"plusresilient_ods"},
        "socrata": {"plusresilient_socrata"},
        "udata": {"plusresilient_udata", "plusresilient_dcat"},
        "ckan": {"plusresilient_ckan", "plusresilient_dcat"},
    }
    for portal in portals.load():
        if portal.harvester and portal.software in readers:
            assert portal.harvester in readers[portal.software], portal.id


def test_most_entries_are_confirmed():
    verified = [p for p in portals.load() if p.verified]
    assert len(verified) >= 25


def test_lookups():
    assert portals.by_id("it-dati-gov").api_url == "https://www.dati.gov.it/opendata"
    assert portals.by_id("no-such-portal") is None
    assert {p.country for p in portals.for_country("gr")} == {"EL"}
    assert {p.country for p in portals.for_country(["it", "ES"])} == {"IT", "ES"}
    assert portals.for_country(None) == portals.load()
    assert portals.countries()[:3] == ["IT", "ES", "FR"]


def test_load_is_cached_but_hands_out_copies():
    first = portals.load()
    first.clear()
    assert len(portals.load()) >= 25


def test_as_dict_has_every_field():
    assert set(portals.by_id("fr-data-gouv").as_dict()) == {
        "id", "name", "url", "country", "region", "level", "software",
        "api_url", "harvester", "language", "verified", "frequency",
    }


GOOD = {
    "id": "xx-test", "name": "Test", "url": "https://example.org", "country": "IT",
    "region": "ITH3", "level": "regional", "software": "ckan",
    "api_url": "https://example.org", "harvester": "plusresilient_ckan",
    "language": "it", "verified": False,
}


def _write(tmp_path: Path, *entries) -> Path:
    path = tmp_path / "portals.yaml"
    path.write_text(yaml.safe_dump({"portals": list(entries)}), encoding="utf-8")
    return path


def test_a_good_file_loads(tmp_path):
    (portal,) = portals.load_file(_write(tmp_path, GOOD))
    assert portal.region == "ITH3"


@pytest.mark.parametrize("change, message", [
    ({"country": "DE"}, "not in the countries vocabulary"),
    ({"region": "ES30"}, "belongs to ES, not to IT"),
    ({"region": "XX99"}, "not in the regions vocabulary"),
    ({"region": None}, "needs its region"),
    ({"level": "national"}, "a national portal has no region"),
    ({"level": "municipal"}, "level must be one of"),
    ({"software": "arcgis"}, "software must be one of"),
    ({"harvester": "ckan"}, "harvester must be null or one of"),
    ({"api_url": None}, "needs its api_url"),
    ({"url": "ftp://example.org"}, "is not an http(s) URL"),
    ({"language": "xx"}, "not in the languages vocabulary"),
    ({"verified": "yes"}, "verified must be true or false"),
    ({"id": "Bad Id"}, "id must be lower-case"),
    ({"extra": 1}, "unknown keys"),
    ({"frequency": "HOURLY"}, "frequency must be one of MANUAL, DAILY, WEEKLY, BIWEEKLY, MONTHLY, ALWAYS"),
    ({"frequency": 7}, "frequency must be one of"),
    ({"frequency": None}, "frequency must be one of"),
])
def test_a_bad_entry_is_refused_naming_the_portal(tmp_path, change, message):
    entry = dict(GOOD, **change)
    with pytest.raises(ValueError, match=re.escape(message)) as error:
        portals.load_file(_write(tmp_path, entry))
    assert "portals.yaml: portal" in str(error.value)


def test_a_missing_key_is_refused(tmp_path):
    entry = {k: v for k, v in GOOD.items() if k != "language"}
    with pytest.raises(ValueError, match=r"missing keys \['language'\]"):
        portals.load_file(_write(tmp_path, entry))


def test_the_frequency_is_optional_and_weekly_by_default(tmp_path):
    (portal,) = portals.load_file(_write(tmp_path, GOOD))
    assert portal.frequency == "WEEKLY"


@pytest.mark.parametrize("frequency, expected", [
    ("DAILY", "DAILY"), ("monthly", "MONTHLY"), (" Biweekly ", "BIWEEKLY"), ("MANUAL", "MANUAL"),
])
def test_a_frequency_takes_ckanext_harvests_values_in_any_case(tmp_path, frequency, expected):
    (portal,) = portals.load_file(_write(tmp_path, dict(GOOD, frequency=frequency)))
    assert portal.frequency == expected


def test_every_shipped_portal_has_a_harvest_frequency():
    assert {p.frequency for p in portals.load()} <= set(portals.FREQUENCIES)


def test_duplicate_ids_are_refused(tmp_path):
    with pytest.raises(ValueError, match="duplicate portal id 'xx-test'"):
        portals.load_file(_write(tmp_path, GOOD, dict(GOOD, name="Again")))


def test_a_file_without_portals_is_refused(tmp_path):
    path = tmp_path / "portals.yaml"
    path.write_text("portal: []\n", encoding="utf-8")
    with pytest.raises(ValueError, match="one key 'portals'"):
        portals.load_file(path)


def test_the_directory_imports_nothing_from_ckan():
    import ast

    source = Path(portals.__file__).read_text(encoding="utf-8")
    imported = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            imported.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            imported.add(node.module or "")
    assert not any(name == "ckan" or name.startswith("ckan.") for name in imported)
