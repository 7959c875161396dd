"""What only the Socrata harvester does, against an imitation Socrata domain
on loopback, through the real stack: the Discovery API, and /api/views where
a domain has none. What it does as every harvester does is in
test_every_platform.py."""
from __future__ import annotations

from urllib.parse import parse_qs, urlparse

import pytest

from ckanext.plusresilient.harvesters.runner import run_source
from ckanext.plusresilient.demo.portals.socrata import SocrataPortal
from tests.harvesters.cases import datasets, make_source

pytestmark = pytest.mark.usefixtures("with_plugins", "clean_db", "clean_index")

LOMBARDIA = {"portal": "dati-lombardia", "country": "IT", "region": "ITC4", "language": "it"}
CATALUNYA = {"portal": "transparencia-catalunya", "country": "ES", "region": "ES51", "language": "ca"}


@pytest.fixture
def portal():
    with SocrataPortal() as portal:
        yield portal


def socrata_source(url, config=LOMBARDIA, name="dati-lombardia"):
    return make_source(url, name=name, config=config, source_type="plusresilient_socrata")


def requests_to(portal, path):
    return [parse_qs(urlparse(hit).query) for hit in portal.hits if urlparse(hit).path == path]


def per_dataset_hits(portal):
    return [hit for hit in portal.hits if urlparse(hit).path.startswith("/api/views/")]


def test_first_harvest_maps_onto_the_svrc_schema(portal):
    air = portal.add("Qualità dell'aria", category="Ambiente", tags=["inquinamento", "aria"],
                     licence="CC0_10", description="Misure delle centraline ARPA.")
    portal.add("Popolazione residente per comune", category="Popolazione", tags=["censimento"])
    portal.add("Cooperative sociali iscritte all'albo", category="Economia", licence=None,
               tags=["cooperative sociali", "terzo settore"], contact_email="opendata@regione.lombardia.it")
    portal.add("Incidenti stradali (grafico)", asset_type="chart", category="Trasporti")
    source = socrata_source(portal.url)

    summary = run_source(source["id"])

    assert (summary.created, summary.updated, summary.deleted, summary.errors) == (3, 0, 0, 0), summary
    assert summary.gather_errors == []
    query = requests_to(portal, "/api/catalog/v1")[0]
    assert query["domains"] == query["search_context"] == ["127.0.0.1"]
    assert query["only"] == ["datasets"] and query["order"] == ["dataset_id"]
    assert not per_dataset_hits(portal)  # the catalog carries whole datasets

    by_title = {d["title"]: d for d in datasets()}
    assert sorted(by_title) == ["Cooperative sociali iscritte all'albo", "Popolazione residente per comune",
                                "Qualità dell'aria"]
    quality = by_title["Qualità dell'aria"]
    assert quality["notes"] == "Misure delle centraline ARPA."
    assert quality["country"] == "IT" and quality["region"] == "ITC4" and quality["language"] == ["it"]
    assert quality["od_category"] == ["environment"] and quality["theme"] == ["ENVI"]
    assert quality["license_id"] == "cc-zero"
    assert sorted(t["name"] for t in quality["tags"]) == ["aria", "inquinamento"]
    assert quality["source_portal"] == "dati-lombardia"
    assert quality["source_identifier"] == f"{portal.url}/d/{air['id']}"
    assert quality["source_url"] == f"{portal.url}/Ambiente/Qualit-dell-aria/{air['id']}"
    assert quality["modified"] == "2024-01-10"
    assert [(r["format"], r["url"]) for r in quality["resources"]] == [
        ("CSV", f"{portal.url}/api/views/{air['id']}/rows.csv?accessType=DOWNLOAD"),
        ("CSV", f"{portal.url}/resource/{air['id']}.csv"),
        ("JSON", f"{portal.url}/resource/{air['id']}.json"),
    ]
    population = by_title["Popolazione residente per comune"]
    assert population["od_category"] == ["demography"] and population["theme"] == ["SOCI"]
    assert population["license_id"] == "cc-by"
    cooperatives = by_title["Cooperative sociali iscritte all'albo"]
    assert "social-entrepreneurship" in cooperatives["si_area"]
    assert "capacity-building" in cooperatives["svrc_scenario"]
    assert cooperatives["license_id"] == "notspecified"  # "See Terms of Use"
    assert cooperatives["contact"][0]["email"] == "opendata@regione.lombardia.it"


def test_a_domain_without_the_discovery_api_is_read_through_api_views():
    with SocrataPortal(catalog=False) as portal:
        health = portal.add("Centres de salut", category="Salut", tags=["salut", "hospital"], licence="CC_40_BY",
                            updated="2024-03-01T12:00:00.000Z")
        for n in range(4):
            portal.add(f"Dataset {n}", category="Sector Públic", licence="PUBLIC_DOMAIN")
        portal.add("Filtre: centres de Girona", asset_type="filter", category="Salut")
        portal.add("Mapa de centres", asset_type="map", category="Salut")
        source = socrata_source(portal.url, config={**CATALUNYA, "page_size": 2}, name="catalunya")

        summary = run_source(source["id"])

        assert (summary.created, summary.errors) == (5, 0), summary
        assert summary.gather_errors == []
        pages = requests_to(portal, "/api/views")
        assert [q["page"] for q in pages] == [["1"], ["2"], ["3"], ["4"], ["5"]]  # 7 views, then an empty page
        assert not per_dataset_hits(portal)
        by_title = {d["title"]: d for d in datasets()}
        centres = by_title["Centres de salut"]
        assert centres["source_identifier"] == f"{portal.url}/d/{health['id']}"
        assert centres["region"] == "ES51" and centres["language"] == ["ca"]
        assert centres["license_id"] == "cc-by"
        assert centres["od_category"] == ["health-social"]  # from the tag "hospital"
        assert centres["modified"] == "2024-03-01"
        assert by_title["Dataset 0"]["license_id"] == "other-pd"  # Socrata's "Public Domain"

        portal.hits.clear()
        again = run_source(source["id"])
        assert (again.created, again.updated, again.unchanged, again.deleted) == (0, 0, 5, 0), again


def test_a_catalog_that_does_not_know_the_domain_falls_back_to_api_views():
    with SocrataPortal(cname="www.example.cat") as portal:  # the domain's cname differs from the URL
        for n in range(3):
            portal.add(f"Dataset {n}")
        summary = run_source(socrata_source(portal.url, config=CATALUNYA, name="catalunya")["id"])
        assert summary.created == 3 and summary.gather_errors == [], summary
        assert requests_to(portal, "/api/views")


def test_a_broken_api_views_page_records_an_error_and_withdraws_nothing():
    with SocrataPortal(catalog=False) as portal:
        for n in range(3):
            portal.add(f"Dataset {n}")
        source = socrata_source(portal.url, config=CATALUNYA, name="catalunya")
        assert run_source(source["id"]).created == 3
        portal.routes["/api/views"] = lambda query: (200, {"Content-Type": "application/json"},
                                                     b'{"error": true, "message": "Throttled"}')
        summary = run_source(source["id"])
        assert summary.deleted == 0 and len(datasets()) == 3
        assert "not a list of Socrata views" in summary.gather_errors[0], summary.gather_errors
