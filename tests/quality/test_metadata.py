"""The MQA metadata score on crafted dataset dicts.

Pure Python, no CKAN stack needed:
    python -m pytest tests/quality/test_metadata.py -p no:ckan -o addopts=""
"""
from __future__ import annotations

import copy
import json
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from ckanext.plusresilient.quality import metadata as mqa
from ckanext.plusresilient.quality.metadata import (
    INDICATORS,
    MAX_POINTS,
    PENDING_FIX,
    band_for,
    file_format,
    link_answers,
    score_metadata,
)

ROOT = Path(__file__).resolve().parents[2]
CSV_URL = "https://data.example.org/cooperatives.csv"
PAGE_URL = "https://data.example.org/cooperatives"

FULL = {
    "title": "Social cooperatives of Veneto",
    "notes": "Register of the social cooperatives, updated yearly.",
    "tags": [{"name": "cooperatives"}, {"name": "social economy"}],
    "theme": ["SOCI"],
    "country": "IT",
    "region": "ITH3",
    "temporal_start": "2020-01-01",
    "temporal_end": "2023-12-31",
    "license_id": "cc-by",
    "access_rights": "PUBLIC",
    "contact": [{"name": "Open data office", "email": "opendata@example.org"}],
    "organization": {"id": "3f1c", "name": "veneto", "title": "Regione Veneto"},
    "issued": "2024-01-15",
    "modified": "2024-06-01",
    "metadata_created": "2024-01-10T09:00:00",
    "metadata_modified": "2024-06-02T09:00:00",
    "resources": [{
        "url": CSV_URL, "format": "CSV", "mimetype": "text/csv", "size": 20480,
        "rights": "Reuse allowed with attribution",
    }],
}
ANSWERS = {CSV_URL: 200}


@dataclass
class Checked:
    """Shaped like the link checker's LinkStatus (the scorer reads it by duck typing)."""

    url: str
    status: int | None
    ok: bool
    kind: str | None = None


#: A change that removes the key.
DROP = object()


def dataset(**changes):
    """FULL with top-level changes; ``resource`` changes its only resource."""
    result = copy.deepcopy(FULL)
    resource_changes = changes.pop("resource", None)
    result.update(changes)
    if resource_changes:
        result["resources"][0].update(resource_changes)
    for mapping in (result, *result["resources"]):
        for key in [k for k, v in mapping.items() if v is DROP]:
            del mapping[key]
    return result


def failing_keys(score):
    return {i.key for i in score.indicators if i.passed is not True}


# --------------------------------------------------------------------------- #
# The table
# --------------------------------------------------------------------------- #

def test_the_table_is_data_europa_eus():
    assert MAX_POINTS == 405 == sum(spec.points for spec in INDICATORS)
    assert dict(mqa.DIMENSION_MAX) == {
        "findability": 100, "accessibility": 100, "interoperability": 110,
        "reusability": 75, "contextuality": 20,
    }
    points = {spec.key: spec.points for spec in INDICATORS}
    assert points == {
        "keywords": 30, "categories": 30, "spatial": 20, "temporal": 20,
        "access_url_status": 50, "download_url": 20, "download_url_status": 30,
        "format": 20, "media_type": 10, "format_vocabulary": 10, "non_proprietary": 20,
        "machine_readable": 20, "dcat_ap_compliance": 30,
        "licence": 20, "licence_vocabulary": 10, "access_rights": 10,
        "access_rights_vocabulary": 5, "contact_point": 20, "publisher": 10,
        "rights": 5, "byte_size": 5, "issued": 5, "modified": 5,
    }


@pytest.mark.parametrize("points, band", [
    (0, "bad"), (120, "bad"), (121, "sufficient"), (220, "sufficient"),
    (221, "good"), (350, "good"), (351, "excellent"), (405, "excellent"),
])
def test_band_boundaries(points, band):
    assert band_for(points) == band


# --------------------------------------------------------------------------- #
# Whole datasets
# --------------------------------------------------------------------------- #

def test_a_complete_dataset_is_excellent_with_every_point():
    score = score_metadata(FULL, ANSWERS)

    assert (score.points, score.max_points, score.band) == (405, 405, "excellent")
    assert dict(score.dimensions) == {
        "findability": (100, 100), "accessibility": (100, 100),
        "interoperability": (110, 110), "reusability": (75, 75), "contextuality": (20, 20),
    }
    assert all(i.passed is True and i.points == i.points_max for i in score.indicators)
    assert all(i.reason and i.fix == "" for i in score.indicators)
    assert [i.key for i in score.indicators] == [spec.key for spec in INDICATORS]


def test_an_empty_dataset_is_bad_and_says_what_to_do_everywhere():
    score = score_metadata({})

    assert (score.points, score.band) == (0, "bad")
    assert all(i.passed is False and i.points == 0 for i in score.indicators)
    for indicator in score.indicators:
        assert indicator.reason.endswith("."), indicator
        assert indicator.fix and indicator.fix != PENDING_FIX, indicator
    assert score.indicator("keywords").fix == "Add at least one keyword (tag)."
    assert [i.key for i in score.failing][:2] == ["access_url_status", "keywords"]


# Each case breaks one thing of FULL: the indicators that must fail then, and
# only those; the points lost must be exactly theirs.
BREAKS = {
    "no tags": (dict(tags=[]), {"keywords"}),
    "no theme": (dict(theme=[]), {"categories"}),
    "theme not an EU theme": (dict(theme=["NOT_A_THEME"]), {"categories"}),
    "no country or region": (dict(country="", region=DROP), {"spatial"}),
    "no temporal coverage": (dict(temporal_start=DROP, temporal_end=""), {"temporal"}),
    "the link is broken": (dict(), {"access_url_status", "download_url_status"},
                           {CSV_URL: 404}),
    "a web page only": (dict(resource={"format": "HTML", "mimetype": "text/html"}),
                        {"download_url", "download_url_status", "machine_readable"}),
    "no format": (dict(resource={"format": ""}),
                  {"format", "non_proprietary", "machine_readable"}),
    "no media type": (dict(resource={"mimetype": DROP}), {"media_type"}),
    "format outside the vocabulary": (
        dict(resource={"format": "FooBar", "mimetype": "application/x-foobar"}),
        {"format_vocabulary", "non_proprietary", "machine_readable"}),
    "a proprietary format": (
        dict(resource={"format": "XLSX", "mimetype":
                       "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}),
        {"non_proprietary"}),
    "not machine-readable for MQA": (
        dict(resource={"format": "TSV", "mimetype": "text/tab-separated-values"}),
        {"machine_readable"}),
    "no description": (dict(notes="  "), {"dcat_ap_compliance"}),
    "no licence": (dict(license_id=""), {"licence", "licence_vocabulary"}),
    "licence not specified": (dict(license_id="notspecified"),
                              {"licence", "licence_vocabulary"}),
    "licence without an EU URI": (dict(license_id="etalab-2.0"), {"licence_vocabulary"}),
    "no access rights": (dict(access_rights=DROP),
                         {"access_rights", "access_rights_vocabulary"}),
    "access rights outside the vocabulary": (dict(access_rights="SEMI_OPEN"),
                                             {"access_rights_vocabulary"}),
    "no contact": (dict(contact=[{"name": "", "email": ""}]), {"contact_point"}),
    "no organization": (dict(organization=None), {"publisher"}),
    "no rights statement": (dict(resource={"rights": DROP}), {"rights"}),
    "size zero": (dict(resource={"size": 0}), {"byte_size"}),
    "no release date at all": (dict(issued="", metadata_created=DROP), {"issued"}),
    "no modification date at all": (dict(modified=DROP, metadata_modified=""), {"modified"}),
}


@pytest.mark.parametrize("case", BREAKS.values(), ids=BREAKS.keys())
def test_one_break_fails_exactly_its_indicators(case):
    changes, expected, answers = (*case, ANSWERS)[:3]
    score = score_metadata(dataset(**changes), answers)

    assert failing_keys(score) == expected
    lost = sum(spec.points for spec in INDICATORS if spec.key in expected)
    assert score.points == 405 - lost
    for key in expected:
        indicator = score.indicator(key)
        assert indicator.passed is False and indicator.points == 0
        assert indicator.reason and indicator.fix


def test_every_indicator_is_broken_by_some_case():
    broken = set().union(*(case[1] for case in BREAKS.values()))
    assert broken == {spec.key for spec in INDICATORS}


def test_reasons_name_what_was_found():
    score = score_metadata(dataset(license_id="notspecified", access_rights="SEMI_OPEN",
                                   resource={"format": "TSV"}), ANSWERS)
    assert "not specified" in score.indicator("licence").reason
    assert "SEMI_OPEN" in score.indicator("access_rights_vocabulary").reason
    assert "TSV" in score.indicator("machine_readable").reason
    assert "Regione Veneto" in score.indicator("publisher").reason


# --------------------------------------------------------------------------- #
# Links
# --------------------------------------------------------------------------- #

def test_unchecked_links_are_not_assessable_yet():
    score = score_metadata(FULL)  # no link status at all

    for key in ("access_url_status", "download_url_status"):
        indicator = score.indicator(key)
        assert indicator.passed is None and indicator.points == 0
        assert "not checked yet" in indicator.reason
        assert indicator.fix == PENDING_FIX
    assert score.points == 405 - 80
    assert score.indicator("access_url_status") not in score.failing


@pytest.mark.parametrize("status, passed", [
    (None, None),
    (200, True),
    (301, True),
    (399, True),
    (404, False),
    (500, False),
    (Checked(CSV_URL, 200, True), True),
    (Checked(CSV_URL, 405, True), True),           # the checker fell back to GET
    (Checked(CSV_URL, None, False, "timeout"), False),
    (Checked(CSV_URL, None, False, "blocked"), False),
    ({"url": CSV_URL, "status": 302, "ok": True}, True),
    ({"url": CSV_URL, "status": 404, "ok": False}, False),
    ({"status": 503}, False),
])
def test_link_status_handling(status, passed):
    assert link_answers(status) is passed
    score = score_metadata(FULL, {CSV_URL: status})
    indicator = score.indicator("access_url_status")
    assert indicator.passed is passed
    assert indicator.points == (50 if passed else 0)


def test_a_failed_link_says_how_it_failed():
    reason = score_metadata(FULL, {CSV_URL: Checked(CSV_URL, None, False, "too_many_redirects")}
                            ).indicator("access_url_status").reason
    assert CSV_URL in reason and "too many redirects" in reason
    assert "HTTP 404" in score_metadata(FULL, {CSV_URL: 404}).indicator("access_url_status").reason


def test_best_distribution_counts():
    record = dataset()
    record["resources"] = [
        {"url": "https://data.example.org/report.pdf", "format": "PDF"},
        {"url": CSV_URL, "format": "CSV", "size": "2048"},
    ]
    score = score_metadata(record, {"https://data.example.org/report.pdf": 404, CSV_URL: 200})

    for key in ("access_url_status", "download_url_status", "non_proprietary",
                "machine_readable", "byte_size"):
        assert score.indicator(key).passed is True, key
    assert CSV_URL in score.indicator("access_url_status").reason


def test_one_unchecked_link_keeps_a_broken_one_from_failing_yet():
    record = dataset()
    record["resources"] = [{"url": CSV_URL, "format": "CSV"},
                           {"url": "https://data.example.org/b.csv", "format": "CSV"}]
    indicator = score_metadata(record, {CSV_URL: 404}).indicator("access_url_status")
    assert indicator.passed is None
    assert "1 link not checked yet" in indicator.reason and "HTTP 404" in indicator.reason


def test_a_separate_download_url_is_checked_on_its_own():
    record = dataset(resource={"url": PAGE_URL, "download_url": CSV_URL})
    score = score_metadata(record, {PAGE_URL: 200, CSV_URL: 404})
    assert score.indicator("access_url_status").passed is True
    assert score.indicator("download_url").passed is True
    assert score.indicator("download_url_status").passed is False


def test_an_upload_is_a_download_even_without_a_format():
    record = dataset(resource={"format": "", "mimetype": "", "url_type": "upload"})
    assert score_metadata(record, ANSWERS).indicator("download_url").passed is True
    record = dataset(resource={"format": "", "mimetype": ""})
    assert score_metadata(record, ANSWERS).indicator("download_url").passed is False


def test_a_service_is_no_download():
    record = dataset(resource={"format": "WMS", "mimetype": DROP})
    score = score_metadata(record, ANSWERS)
    assert score.indicator("download_url").passed is False
    assert score.indicator("non_proprietary").passed is True  # WMS_SRVC is on MQA's list


# --------------------------------------------------------------------------- #
# Formats as the DCAT export writes them
# --------------------------------------------------------------------------- #

def test_a_media_type_in_the_format_field_is_exported_as_a_media_type():
    score = score_metadata(dataset(resource={"format": "text/csv", "mimetype": DROP}), ANSWERS)

    assert score.indicator("format").passed is False
    assert "media type" in score.indicator("format").reason
    assert score.indicator("media_type").passed is True
    assert score.indicator("format_vocabulary").passed is True
    assert score.indicator("machine_readable").passed is False


@pytest.mark.parametrize("value, code", [
    ("CSV", "CSV"), ("csv", "CSV"), (".csv", "CSV"), ("Excel", "XLS"), ("xlsx", "XLSX"),
    ("GeoJSON", "GEOJSON"), ("Shapefile", "SHP"), ("ttl", "RDF_TURTLE"),
    ("http://publications.europa.eu/resource/authority/file-type/JSON", "JSON"),
    ("https://publications.europa.eu/resource/authority/file-type/ODS/", "ODS"),
    ("no such format", None), ("", None), (None, None),
])
def test_format_lookup(value, code):
    found = file_format(value)
    assert (found.code if found else None) == code


def test_an_iana_uri_as_media_type_is_known():
    record = dataset(resource={"format": "Unknown thing", "mimetype":
                               "https://www.iana.org/assignments/media-types/text/csv"})
    score = score_metadata(record, ANSWERS)
    assert score.indicator("media_type").passed is True
    assert score.indicator("format_vocabulary").passed is True


# The lists data.europa.eu scores dct:format against
# (gitlab.com/european-data-portal/edp-vocabularies): the table must not drift.
EDP_NON_PROPRIETARY = {
    "BMP", "CSV", "DBF", "GEOJSON", "GZIP", "HTML", "ICS", "JPEG2000", "JSON", "JSON_LD",
    "KML", "KMZ", "NETCDF", "ODS", "PNG", "RDF_N_QUADS", "RDF_N_TRIPLES", "RDF_TRIG",
    "RDF_TURTLE", "RDF_XML", "RSS", "RTF", "TAR", "TIFF", "TSV", "TXT", "WMS_SRVC", "XML", "ZIP",
}
EDP_MACHINE_READABLE = {
    "CSV", "GEOJSON", "ICS", "JSON", "JSON_LD", "KML", "KMZ", "NETCDF", "ODS", "RDFA",
    "RDF_N_QUADS", "RDF_N_TRIPLES", "RDF_TRIG", "RDF_TURTLE", "RDF_XML", "RSS", "SHP",
    "XLS", "XLSX", "XML",
}


def test_the_format_table_follows_data_europa_eus_lists():
    formats = mqa._FORMATS
    assert {c for c, f in formats.items() if f.non_proprietary} == EDP_NON_PROPRIETARY
    assert {c for c, f in formats.items() if f.machine_readable} == EDP_MACHINE_READABLE
    assert formats["CSV"].uri == "http://publications.europa.eu/resource/authority/file-type/CSV"
    assert "text/csv" in formats["CSV"].media_types


@pytest.mark.parametrize("text, message", [
    ("formats: nope\n", "list of formats"),
    ("formats:\n  - {code: csv, non_proprietary: true, machine_readable: true}\n", "upper-case"),
    ("formats:\n  - {code: CSV, non_proprietary: yes please, machine_readable: true}\n",
     "true or false"),
    ("formats:\n  - {code: CSV, non_proprietary: true, machine_readable: true,"
     " media_types: [Text/CSV]}\n", "media types"),
    ("formats:\n  - {code: CSV, non_proprietary: true, machine_readable: true}\n"
     "  - {code: TSV, non_proprietary: true, machine_readable: false, aliases: [csv]}\n",
     "names both"),
])
def test_a_broken_format_table_is_refused_naming_the_file(tmp_path, text, message):
    path = tmp_path / "formats.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ValueError, match=message) as raised:
        mqa._load_formats(path)
    assert "formats.yaml" in str(raised.value)


# --------------------------------------------------------------------------- #
# Other mapping decisions
# --------------------------------------------------------------------------- #

def test_dates_fall_back_to_the_record_dates_like_the_export():
    score = score_metadata(dataset(issued=DROP, modified=""), ANSWERS)
    for key, field in (("issued", "metadata_created"), ("modified", "metadata_modified")):
        indicator = score.indicator(key)
        assert indicator.passed is True
        assert field in indicator.reason


def test_a_resource_licence_from_the_vocabulary_counts():
    record = dataset(license_id="other-closed", resource={"license": "cc-zero"})
    score = score_metadata(record, ANSWERS)
    assert score.indicator("licence_vocabulary").passed is True
    assert "CC0" in score.indicator("licence_vocabulary").reason


def test_without_resources_the_dataset_licence_is_judged():
    record = dataset(resources=[])
    score = score_metadata(record)
    assert score.indicator("licence").passed is True
    assert score.indicator("licence_vocabulary").passed is True
    assert score.indicator("dcat_ap_compliance").passed is True
    assert score.indicator("access_url_status").passed is False


def test_a_resource_without_url_breaks_dcat_ap():
    record = dataset()
    record["resources"].append({"name": "lost", "url": ""})
    indicator = score_metadata(record, ANSWERS).indicator("dcat_ap_compliance")
    assert indicator.passed is False
    assert "URL of 1 resource" in indicator.reason


def test_themes_and_licences_given_as_uris_count():
    record = dataset(
        theme=["http://publications.europa.eu/resource/authority/data-theme/SOCI"],
        license_id="https://publications.europa.eu/resource/authority/licence/CC_BY_4_0",
    )
    score = score_metadata(record, ANSWERS)
    assert score.indicator("categories").passed is True
    assert score.indicator("licence_vocabulary").passed is True


@pytest.mark.parametrize("changes", [
    dict(contact=DROP, maintainer_email="office@example.org"),
    dict(contact=DROP, author="Statistics office"),
])
def test_contact_fields_the_export_falls_back_to(changes):
    assert score_metadata(dataset(**changes), ANSWERS).indicator("contact_point").passed is True


def test_tag_string_counts_when_tags_are_absent():
    record = dataset(tags=DROP, tag_string="welfare, cooperatives")
    assert score_metadata(record, ANSWERS).indicator("keywords").passed is True


@pytest.mark.parametrize("record", [
    None, [], "a string",
    {"resources": "not a list", "tags": "x", "contact": 3, "organization": "org"},
    {"resources": [None, 5, {"url": 7, "format": ["CSV"], "size": "big"}],
     "theme": {"a": 1}, "license_id": 12, "publisher": [None, {"name": 3}]},
])
def test_odd_values_count_as_missing_and_never_raise(record):
    score = score_metadata(record, {"x": object()})
    assert 0 <= score.points <= 405


def test_to_dict_is_plain_json():
    score = score_metadata(FULL)
    data = json.loads(json.dumps(score.to_dict()))
    assert data["points"] == 325 and data["max_points"] == 405 and data["band"] == "good"
    assert data["dimensions"]["accessibility"] == {"points": 20, "max": 100}
    assert len(data["indicators"]) == 23
    first = data["indicators"][0]
    assert set(first) == {"dimension", "key", "label", "points_max", "points", "passed",
                          "reason", "fix", "property", "found"}
    assert first["property"] == "dcat:keyword"
    assert first["found"] == ["cooperatives", "social economy"]
    pending = next(i for i in data["indicators"] if i["key"] == "access_url_status")
    assert pending["passed"] is None


def test_the_input_is_not_modified():
    record = copy.deepcopy(FULL)
    score_metadata(record, ANSWERS)
    assert record == FULL


# --------------------------------------------------------------------------- #
# Purity
# --------------------------------------------------------------------------- #

FORBIDDEN = ("ckan", "ckanext.harvest", "sqlalchemy", "flask")


@pytest.mark.parametrize("module", [
    "ckanext.plusresilient.quality",
    "ckanext.plusresilient.quality.metadata",
    "ckanext.plusresilient.quality.score",
])
def test_the_scorer_imports_no_ckan_stack(module):
    # A fresh interpreter: pytest itself has imported ckan already.
    code = (
        "import importlib, sys\n"
        f"importlib.import_module({module!r})\n"
        f"forbidden = {FORBIDDEN!r}\n"
        "print(sorted(m for m in sys.modules"
        " if any(m == f or m.startswith(f + '.') for f in forbidden)))\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            check=True, cwd=ROOT)
    assert result.stdout.strip() == "[]"
