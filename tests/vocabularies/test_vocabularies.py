"""The shipped controlled vocabularies and their loader.

Pure unit tests: the loader imports nothing from CKAN, so these run without
the CKAN stack (``-p no:ckan``).
"""
from __future__ import annotations

import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest

from ckanext.plusresilient import vocabularies as vocab

EXPECTED_NAMES = [
    "access_rights",
    "audiences",
    "countries",
    "data_themes",
    "frequencies",
    "helix_actors",
    "languages",
    "licences",
    "od_categories",
    "regions",
    "scenarios",
    "si_areas",
    "skills",
    "training_formats",
    "training_levels",
    "use_case_phases",
]

REGIONS_PER_COUNTRY = {
    "IT": 21,
    "ES": 19,
    "FR": 27,
    "SI": 2,
    "HR": 4,
    "EL": 13,
    "PT": 9,
    "CY": 1,
    "MT": 1,
    "AL": 3,
    "ME": 1,
    "BA": 3,
}

VALID = """\
name: {name}
title: {{en: T, it: T, es: T, fr: T, sl: T, hr: T, el: T, pt: T}}
terms:
  - code: a
    uri: http://example.org/a
    label: {{en: A, it: A, es: A, fr: A, sl: A, hr: A, el: A, pt: A}}
"""


def _write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / f"{name}.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_loader_does_not_import_ckan():
    # A fresh interpreter: pytest itself may already have imported ckan.
    code = (
        "import sys\n"
        "from ckanext.plusresilient import vocabularies as v\n"
        "v.get('regions')\n"
        "print(sorted(m for m in sys.modules"
        " if m == 'ckan' or m.startswith('ckan.')))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        check=True,
        cwd=Path(__file__).resolve().parents[2],
    )
    assert result.stdout.strip() == "[]"


def test_names_lists_every_vocabulary_sorted():
    assert vocab.names() == EXPECTED_NAMES


@pytest.mark.parametrize("name", EXPECTED_NAMES)
def test_every_vocabulary_loads(name):
    vocabulary = vocab.get(name)
    assert vocabulary.name == name
    assert vocabulary.terms
    assert vocabulary.codes() == [t.code for t in vocabulary.terms]
    assert len(set(vocabulary.codes())) == len(vocabulary.codes())


@pytest.mark.parametrize("name", EXPECTED_NAMES)
def test_all_labels_have_the_eight_languages(name):
    vocabulary = vocab.get(name)
    assert set(vocab.LANGUAGES) <= set(vocabulary.title)
    for term in vocabulary.terms:
        missing = [l for l in vocab.LANGUAGES if not term.labels.get(l, "").strip()]
        assert not missing, (name, term.code, missing)


def test_languages_constant():
    assert vocab.LANGUAGES == ("en", "it", "es", "fr", "sl", "hr", "el", "pt")


def test_get_is_cached():
    assert vocab.get("scenarios") is vocab.get("scenarios")


def test_get_unknown_names_the_known_vocabularies():
    with pytest.raises(KeyError) as error:
        vocab.get("no_such_vocabulary")
    assert "regions" in str(error.value)
    assert "no_such_vocabulary" in str(error.value)


@pytest.mark.parametrize(
    "name, count",
    [
        ("scenarios", 3),
        ("si_areas", 8),
        ("od_categories", 11),
        ("helix_actors", 4),
        ("data_themes", 13),
        ("countries", 12),
        ("access_rights", 3),
        ("training_levels", 3),
        ("use_case_phases", 3),
        ("audiences", 7),
        ("training_formats", 6),
        ("regions", sum(REGIONS_PER_COUNTRY.values())),
    ],
)
def test_counts(name, count):
    assert len(vocab.get(name).terms) == count


def test_scenario_codes():
    assert vocab.get("scenarios").codes() == [
        "public-services",
        "social-smes",
        "capacity-building",
    ]


def test_skills_are_two_soft_and_nineteen_hard():
    skills = vocab.get("skills")
    kinds = Counter(t.extra["kind"] for t in skills.terms)
    assert kinds == {"soft": 2, "hard": 19}
    assert [t.code for t in skills.where(kind="soft")] == [
        "interpersonal",
        "collaboration",
    ]


def test_data_themes_are_the_eu_themes():
    themes = vocab.get("data_themes")
    assert themes.codes() == [
        "AGRI", "ECON", "EDUC", "ENER", "ENVI", "GOVE", "HEAL",
        "INTR", "JUST", "REGI", "SOCI", "TECH", "TRAN",
    ]
    for term in themes.terms:
        assert term.uri == (
            "http://publications.europa.eu/resource/authority/data-theme/"
            + term.code
        )
    assert themes.label("AGRI") == "Agriculture, fisheries, forestry and food"


def test_countries():
    countries = vocab.get("countries")
    assert countries.codes() == [
        "IT", "ES", "FR", "SI", "HR", "EL", "PT", "CY", "MT", "AL", "ME", "BA",
    ]
    network = [t.code for t in countries.where(network=True)]
    assert network == ["IT", "ES", "FR", "SI", "HR", "EL", "PT", "CY"]
    assert [t.code for t in countries.where(network=False)] == [
        "MT", "AL", "ME", "BA",
    ]
    greece = countries.get("EL")
    assert greece.extra["iso3"] == "GRC"
    assert greece.uri == "http://publications.europa.eu/resource/authority/country/GRC"
    assert countries.get("BA").extra["nuts"] is False
    for term in countries.terms:
        assert term.uri.endswith("/" + term.extra["iso3"])


@pytest.mark.parametrize("country, count", sorted(REGIONS_PER_COUNTRY.items()))
def test_region_counts_per_country(country, count):
    assert len(vocab.regions_of(country)) == count
    assert len(vocab.get("regions").where(country=country)) == count


def test_every_region_belongs_to_a_listed_country():
    countries = set(vocab.get("countries").codes())
    for term in vocab.get("regions").terms:
        assert term.extra["country"] in countries, term.code


def test_region_codes_start_with_their_country_code():
    for term in vocab.get("regions").terms:
        country = term.extra["country"]
        prefix = "BA-" if country == "BA" else country
        assert term.code.startswith(prefix), term.code


def test_region_schemes_and_uris():
    for term in vocab.get("regions").terms:
        if term.extra["country"] == "BA":
            assert term.extra["scheme"] == "iso3166-2"
            assert term.uri is None
        else:
            assert term.extra["scheme"] == "nuts2024"
            assert term.uri == f"http://data.europa.eu/nuts/code/{term.code}"
            assert len(term.code) == 4


def test_nuts_2024_codes():
    regions = vocab.get("regions")
    assert [t.code for t in vocab.regions_of("PT")] == [
        "PT11", "PT15", "PT19", "PT1A", "PT1B", "PT1C", "PT1D", "PT20", "PT30",
    ]
    assert [t.code for t in vocab.regions_of("HR")] == [
        "HR02", "HR03", "HR05", "HR06",
    ]
    assert [t.code for t in vocab.regions_of("BA")] == [
        "BA-BIH", "BA-SRP", "BA-BRC",
    ]
    for code in ("ITH1", "ITH2", "ITH3", "ES51", "FRL0", "FRY5", "SI04",
                 "EL30", "CY00", "MT00", "AL01", "ME00"):
        assert regions.get(code) is not None, code


def test_regions_of_accepts_greek_iso_code_and_lower_case():
    assert vocab.regions_of("gr") == vocab.regions_of("EL")
    assert vocab.regions_of("it") == vocab.regions_of("IT")
    assert vocab.regions_of("XX") == []


def test_established_region_names():
    catalonia = vocab.get("regions").get("ES51")
    assert catalonia.label("es") == "Cataluña"
    assert catalonia.label("it") == "Catalogna"
    assert catalonia.label("fr") == "Catalogne"
    assert catalonia.label("en") == "Catalonia"
    assert vocab.get("regions").get("EL30").label("el") == "Αττική"


@pytest.mark.parametrize("name", EXPECTED_NAMES)
def test_by_uri_round_trip(name):
    vocabulary = vocab.get(name)
    for term in vocabulary.terms:
        if not term.uri:
            continue
        assert vocabulary.by_uri(term.uri) is term
        assert vocabulary.by_uri(term.uri + "/") is term
        other_scheme = (
            term.uri.replace("http://", "https://", 1)
            if term.uri.startswith("http://")
            else term.uri.replace("https://", "http://", 1)
        )
        assert vocabulary.by_uri(other_scheme) is term


@pytest.mark.parametrize("name", EXPECTED_NAMES)
def test_uris_are_unique(name):
    uris = [t.uri for t in vocab.get(name).terms if t.uri]
    assert len(uris) == len(set(uris))


def test_by_uri_unknown():
    themes = vocab.get("data_themes")
    assert themes.by_uri("http://example.org/nothing") is None
    assert themes.by_uri("") is None


def test_label_fallback():
    scenarios = vocab.get("scenarios")
    term = scenarios.get("capacity-building")
    assert term.label("pt_BR") == term.labels["pt"]
    assert term.label("pt-BR") == term.labels["pt"]
    assert term.label("de") == term.labels["en"]
    assert term.label() == "Capacity building of social enterprises"
    assert scenarios.label("capacity-building", "pt_BR") == term.labels["pt"]
    assert scenarios.label("no-such-code", "it") == "no-such-code"


def test_get_unknown_code():
    assert vocab.get("scenarios").get("no-such-code") is None


def test_where_without_match_or_unknown_key():
    regions = vocab.get("regions")
    assert regions.where(country="ZZ") == []
    assert regions.where(no_such_key=1) == []
    assert len(regions.where()) == len(regions.terms)


def test_licences():
    licences = vocab.get("licences")
    for code in ("cc-by", "cc-by-sa", "cc-zero", "odc-by", "odc-odbl",
                 "odc-pddl", "cc-nc", "iodl-2.0", "etalab-2.0", "other-open",
                 "other-closed", "notspecified"):
        assert licences.get(code) is not None, code
    base = "http://publications.europa.eu/resource/authority/licence/"
    assert licences.get("cc-by").uri == base + "CC_BY_4_0"
    assert licences.get("odc-odbl").uri == base + "ODC_BL"
    assert licences.by_uri(base + "IODL_2_0").code == "iodl-2.0"
    assert licences.get("cc-nc").extra["open"] is False
    assert licences.get("cc-by").extra["open"] is True
    assert licences.get("cc-by").extra["url"].startswith("https://")
    for term in licences.terms:
        assert isinstance(term.extra["open"], bool), term.code


def test_languages():
    languages = vocab.get("languages")
    for code in ("en", "it", "es", "fr", "sl", "hr", "el", "pt",
                 "ca", "mt", "sq", "sr", "bs", "de"):
        assert languages.get(code) is not None, code
    assert languages.get("el").uri == (
        "http://publications.europa.eu/resource/authority/language/ELL"
    )
    # Each language is named in itself in its own column.
    assert languages.label("it", "it") == "Italiano"
    assert languages.label("el", "el") == "Ελληνικά"


def test_frequencies_and_access_rights():
    frequencies = vocab.get("frequencies")
    for code in ("ANNUAL", "ANNUAL_2", "ANNUAL_3", "BIENNIAL", "QUARTERLY",
                 "MONTHLY", "BIWEEKLY", "WEEKLY", "DAILY", "CONT", "IRREG",
                 "NEVER", "UNKNOWN", "OTHER"):
        term = frequencies.get(code)
        assert term is not None, code
        assert term.uri == (
            "http://publications.europa.eu/resource/authority/frequency/" + code
        )
    assert vocab.get("access_rights").codes() == [
        "PUBLIC", "RESTRICTED", "NON_PUBLIC",
    ]


def test_terms_are_immutable():
    term = vocab.get("scenarios").terms[0]
    with pytest.raises(AttributeError):
        term.code = "changed"  # type: ignore[misc]
    with pytest.raises(TypeError):
        term.labels["en"] = "changed"  # type: ignore[index]


def test_load_dir_reads_a_valid_directory(tmp_path):
    _write(tmp_path, "sample", VALID.format(name="sample"))
    loaded = vocab.load_dir(tmp_path)
    assert list(loaded) == ["sample"]
    assert loaded["sample"].label("a", "fr") == "A"
    assert loaded["sample"].by_uri("https://example.org/a/").code == "a"


def test_load_dir_reads_the_shipped_directory():
    loaded = vocab.load_dir(vocab.VOCABULARY_DIR)
    assert sorted(loaded) == EXPECTED_NAMES


def test_name_must_equal_the_file_stem(tmp_path):
    _write(tmp_path, "broken", VALID.format(name="other"))
    with pytest.raises(ValueError, match=r"broken\.yaml.*file stem"):
        vocab.load_dir(tmp_path)


@pytest.mark.parametrize(
    "text, fragment",
    [
        # a language missing in a label
        (
            VALID.format(name="broken").replace(", pt: A}", "}"),
            "'a'",
        ),
        # an empty label
        (
            VALID.format(name="broken").replace("el: A", 'el: ""'),
            "'a'",
        ),
        # a language missing in the title
        (VALID.format(name="broken").replace(", pt: T}", "}"), "title"),
        # duplicate code
        (
            VALID.format(name="broken")
            + "  - code: a\n"
            "    label: {en: B, it: B, es: B, fr: B, sl: B, hr: B, el: B, pt: B}\n",
            "duplicate code",
        ),
        # duplicate uri
        (
            VALID.format(name="broken")
            + "  - code: b\n"
            "    uri: http://example.org/a\n"
            "    label: {en: B, it: B, es: B, fr: B, sl: B, hr: B, el: B, pt: B}\n",
            "duplicate uri",
        ),
        # code with a space
        (VALID.format(name="broken").replace("code: a", "code: a b"), "code"),
        # not YAML at all
        ("name: broken\nterms: [\n", "YAML"),
        # no terms
        ("name: broken\ntitle: {en: T}\n", "title"),
    ],
)
def test_malformed_file_raises_value_error_naming_the_file(tmp_path, text, fragment):
    _write(tmp_path, "broken", text)
    with pytest.raises(ValueError) as error:
        vocab.load_dir(tmp_path)
    message = str(error.value)
    assert "broken.yaml" in message
    assert fragment in message


def test_malformed_term_error_names_the_term(tmp_path):
    text = VALID.format(name="broken") + (
        "  - code: second\n"
        "    label: {en: B, it: B, es: B, fr: B, sl: B, hr: B, el: B}\n"
    )
    _write(tmp_path, "broken", text)
    with pytest.raises(ValueError, match=r"broken\.yaml.*'second'.*\['pt'\]"):
        vocab.load_file(tmp_path / "broken.yaml")


def test_codes_are_normalised_from_case_and_uri():
    themes = vocab.get("data_themes")
    assert themes.normalise("soci") == "SOCI"
    assert themes.normalise("http://publications.europa.eu/resource/authority/data-theme/SOCI") == "SOCI"
    assert themes.normalise("https://publications.europa.eu/resource/authority/data-theme/SOCI/") == "SOCI"
    assert themes.normalise("SOCIAL") is None
    assert themes.normalise(42) is None
