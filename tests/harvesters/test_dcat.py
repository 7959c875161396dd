"""What only the DCAT harvester does, against imitation DCAT-AP catalogues on
loopback (dati.gov.it's DCAT-AP_IT in Turtle, datos.gob.es in RDF/XML,
data.gouv.fr in JSON-LD, all paged with hydra), through the real stack:
gather → fetch → import. What it does as every harvester does is in
test_every_platform.py (on the JSON-LD catalogue)."""
from __future__ import annotations

import pytest

from ckanext.plusresilient.harvesters.runner import run_source
from ckanext.plusresilient.demo.portals.dcat import EU, NUTS, DCATPortal
from tests.harvesters.cases import assert_failed_and_withdrew_nothing, datasets, make_source

pytestmark = pytest.mark.usefixtures("with_plugins", "clean_db", "clean_index")

VENETO = {"portal": "dati-gov-it", "country": "IT", "region": "ITH3", "language": "it"}
MADRID = {"portal": "datos-gob-es", "country": "ES", "region": "ES30", "language": "es"}
FRANCE = {"portal": "data-gouv-fr", "country": "FR", "language": "fr"}


def dcat_source(url, config=VENETO, name="dcat-source"):
    return make_source(url, name=name, config=config, source_type="plusresilient_dcat")


def page_hits(portal):
    return [hit for hit in portal.hits if hit.startswith(portal.path)]


@pytest.fixture
def italy():
    with DCATPortal("it", page_size=2) as portal:
        yield portal


def test_dcatapit_turtle_in_three_hydra_pages(italy):
    italy.add("Cooperative sociali iscritte all'albo", keywords=["cooperative sociali", "welfare"],
              title_en="Registered social cooperatives")
    italy.add("Popolazione residente per comune", keywords=["popolazione", "censimento"], themes=[])
    italy.add("Qualità dell'aria", keywords=["ambiente", "inquinamento"],
              themes=[f"{EU}data-theme/ENVI"], spatial=[f"{NUTS}ITC45"],          # Milano: Lombardia
              licence=f"{EU}licence/IODL_2_0")
    italy.add("Asili nido comunali", dcatapit_only=True)   # typed dcatapit:Dataset only
    italy.add("Bandi di gara", modified=None)
    source = dcat_source(italy.catalog_url)

    summary = run_source(source["id"])

    assert (summary.created, summary.updated, summary.deleted, summary.errors) == (5, 0, 0, 0), summary
    assert summary.gather_errors == []
    assert page_hits(italy) == [italy.path, f"{italy.path}?page=2", f"{italy.path}?page=3"]
    cooperatives = next(d for d in datasets() if d["title"].startswith("Cooperative"))  # Italian title
    assert cooperatives["notes"] == "Cooperative sociali iscritte all'albo."
    assert {t["name"] for t in cooperatives["tags"]} == {"cooperative sociali", "welfare"}
    assert cooperatives["theme"] == ["SOCI"]
    assert "social-entrepreneurship" in cooperatives["si_area"]
    assert cooperatives["license_id"] == "cc-by"          # the Italian licences vocabulary's A21_CCBY40
    assert cooperatives["country"] == "IT" and cooperatives["region"] == "ITH3"
    assert cooperatives["language"] == ["it"] and cooperatives["frequency"] == "ANNUAL"
    assert cooperatives["source_identifier"] == "https://dati.veneto.it/dataset/cooperative-sociali-iscritte-all-albo"
    assert cooperatives["source_portal"] == "dati-gov-it"
    assert cooperatives["contact"][0]["email"] == "opendata@regione.veneto.it"
    resource = cooperatives["resources"][0]
    assert resource["format"] == "CSV" and resource["url"].endswith("/download/cooperative-sociali-iscritte-all-albo.csv")
    population = next(d for d in datasets() if d["title"].startswith("Popolazione"))
    assert population["od_category"] == ["demography"] and population["theme"] == ["SOCI"]
    air = next(d for d in datasets() if d["title"].startswith("Qualità"))
    assert air["theme"] == ["ENVI"] and air["license_id"] == "iodl-2.0"
    assert air["region"] == "ITC4"                           # its own NUTS region wins
    assert any(d["title"] == "Asili nido comunali" for d in datasets())


def test_datos_gob_es_rdf_xml():
    with DCATPortal("es", page_size=10) as spain:
        spain.add("Calidad del aire en Madrid", keywords=["contaminación", "aire"],
                  themes=["http://datos.gob.es/kos/sector-publico/sector/medio-ambiente"],
                  distributions=[{"id": "8d3c2ada", "title": "Mediciones 2024", "format": "XLS",
                                  "media_type": "application/vnd.ms-excel", "size": 43008,
                                  "url": "https://datos.madrid.es/egob/catalogo/aire.xlsx"}])
        spain.add("Escuelas municipales de promoción deportiva", keywords=["deporte escolar", "educación"],
                  themes=["http://datos.gob.es/kos/sector-publico/sector/deporte"])
        summary = run_source(dcat_source(spain.catalog_url, MADRID)["id"])
        assert (summary.created, summary.errors) == (2, 0), summary
        assert page_hits(spain) == [spain.path]          # one page, no hydra:next
    air = next(d for d in datasets() if d["title"].startswith("Calidad"))
    assert air["od_category"] == ["environment"] and air["theme"] == ["ENVI"]  # from the sector
    assert air["license_id"] == "cc-by"
    assert air["language"] == ["es"] and air["country"] == "ES" and air["region"] == "ES30"
    assert air["source_identifier"] == "https://datos.gob.es/catalogo/calidad-del-aire-en-madrid"
    resource = air["resources"][0]
    assert (resource["format"], resource["mimetype"], resource["size"]) == (
        "XLS", "application/vnd.ms-excel", 43008)
    schools = next(d for d in datasets() if d["title"].startswith("Escuelas"))
    assert schools["od_category"] == ["education"]


def test_data_gouv_fr_json_ld_with_partial_collection_views():
    with DCATPortal("fr", page_size=1) as france:
        france.add("Bureaux de vote - Vanves", keywords=["elections", "bureaux-de-vote"],
                   spatial=[f"{NUTS}FR10"])
        france.add("Part des véhicules à faibles émissions", keywords=["transport", "mobilité"])
        france.add("Effectifs scolaires", keywords=["éducation"], licence=f"{EU}licence/CC0", themes=[])
        summary = run_source(dcat_source(france.catalog_url, FRANCE)["id"])
        assert (summary.created, summary.errors) == (3, 0), summary
        assert len(page_hits(france)) == 3
    votes = next(d for d in datasets() if d["title"].startswith("Bureaux"))
    assert votes["od_category"] == ["citizenship"] and votes["region"] == "FR10"
    assert votes["resources"][0]["format"] == "CSV" and votes["resources"][0]["mimetype"] == "text/csv"
    assert votes["license_id"] == "notspecified"
    schools = next(d for d in datasets() if d["title"].startswith("Effectifs"))
    assert schools["license_id"] == "cc-zero" and schools["theme"] == ["EDUC"]


def test_a_remote_json_ld_context_is_fetched_through_the_guard():
    with DCATPortal("fr", page_size=2) as france:
        france.remote_context = True
        for n in range(3):
            france.add(f"Jeu de données {n}")
        summary = run_source(dcat_source(france.catalog_url, FRANCE)["id"])
        assert (summary.created, summary.gather_errors) == (3, []), summary
        assert france.hits.count("/context.jsonld") == 1    # once a gather, not by rdflib
    assert sorted(d["title"] for d in datasets()) == [f"Jeu de données {n}" for n in range(3)]


def test_a_remote_json_ld_context_inside_the_network_is_refused():
    with DCATPortal("fr") as france:
        france.remote_context = "http://169.254.169.254/latest/meta-data/context.jsonld"
        france.add("Jeu de données")
        summary = run_source(dcat_source(france.catalog_url, FRANCE)["id"])
    assert summary.created == 0
    assert "169.254.169.254" in summary.gather_errors[0], summary


def test_malformed_rdf_names_the_parse_error_and_withdraws_nothing(italy):
    for n in range(3):
        italy.add(f"Dataset {n}")
    source = dcat_source(italy.catalog_url)
    run_source(source["id"])
    italy.datasets.clear()
    italy.failures[italy.path] = "bad-turtle"

    summary = run_source(source["id"])

    assert_failed_and_withdrew_nothing(summary, "malformed RDF (turtle)")
    assert 'BadSyntax: at line 3 of <>: Bad syntax (Prefix "dct:" not bound)' in summary.gather_errors[0], summary
    assert italy.catalog_url in summary.gather_errors[0]
    assert len(datasets()) == 3


def test_a_failing_later_page_withdraws_nothing(italy):
    for n in range(6):
        italy.add(f"Dataset {n}")
    source = dcat_source(italy.catalog_url)
    assert run_source(source["id"]).created == 6
    del italy.datasets["dataset-0"]   # 5 left: 3 pages
    italy.failing_page = 3
    summary = run_source(source["id"])
    assert summary.deleted == 0 and "HTTP 500" in summary.gather_errors[0]
    assert "after 2 pages" in summary.gather_errors[0]
    assert len(datasets()) == 6


def test_a_server_ignoring_the_page_parameter_stops_at_the_repeat(italy):
    for n in range(4):
        italy.add(f"Dataset {n}")
    italy.ignore_paging = True
    summary = run_source(dcat_source(italy.catalog_url)["id"])
    assert (summary.created, summary.gather_errors) == (2, []), summary
    assert len(page_hits(italy)) == 2
