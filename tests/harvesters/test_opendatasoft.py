"""What only the OpenDataSoft harvester does, against an imitation Explore
API v2.1 portal on loopback, through the real stack: gather → fetch →
import. What it does as every harvester does is in test_every_platform.py."""
from __future__ import annotations

import pytest

from ckanext.plusresilient.harvesters import opendatasoft
from ckanext.plusresilient.harvesters.opendatasoft import html_to_text
from ckanext.plusresilient.harvesters.runner import run_source
from ckanext.plusresilient.demo.portals.opendatasoft import ODSPortal
from tests.harvesters.cases import datasets, make_source

pytestmark = pytest.mark.usefixtures("with_plugins", "clean_db", "clean_index")

ILE_DE_FRANCE = {"portal": "fr-ile-de-france", "country": "FR", "region": "FR10", "language": "fr"}


@pytest.fixture
def portal():
    with ODSPortal() as portal:
        yield portal


def ods_source(url, name="fr-ile-de-france", config=ILE_DE_FRANCE):
    return make_source(url, name=name, config=config, source_type="plusresilient_ods")


def catalog_hits(portal):
    return [hit for hit in portal.hits if hit.startswith(portal.catalog_path + "?")]


def test_first_harvest_maps_onto_the_svrc_schema(portal):
    portal.add("Qualité de l'air : indices quotidiens", keyword=["pollution", "air"],
               theme=["Environnement"], features=["geo", "analyze"],
               description='<p>Indices <strong>ATMO</strong> par commune.</p><script>alert("x")</script>'
                           '<ul><li>Source : <a href="https://www.airparif.fr">Airparif</a></li>'
                           '<li><a href="javascript:alert(1)">piège</a></li></ul>')
    portal.add("Population légale des communes", keyword=["recensement"], theme=["Société"],
               license="Open Database License (ODbL)", license_url="http://opendatacommons.org/licenses/odbl/",
               attachments=[{"mimetype": "application/pdf", "url": "odsfile://notice.pdf",
                             "id": "notice_pdf", "title": "notice.pdf"}])
    portal.add("Coopératives et associations de l'économie sociale", keyword=["économie sociale"],
               theme=["Economie, Entreprises"], has_records=False,
               alternative_exports=[{"id": "esscoop_xlsx", "title": "esscoop.xlsx", "url": "odsfile://esscoop.xlsx",
                                     "mimetype": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}])
    source = ods_source(portal.portal_url)

    summary = run_source(source["id"])

    assert (summary.created, summary.updated, summary.deleted, summary.errors) == (3, 0, 0, 0), summary
    air = next(d for d in datasets() if d["title"].startswith("Qualité"))
    assert air["country"] == "FR" and air["region"] == "FR10" and air["language"] == ["fr"]
    assert air["source_identifier"] == f"ods:{portal.host}:qualite-de-l-air-indices-quotidiens"
    assert air["source_url"] == f"{portal.portal_url}/explore/dataset/qualite-de-l-air-indices-quotidiens/"
    assert air["source_portal"] == "fr-ile-de-france"
    assert air["notes"].startswith("Indices ATMO par commune.")
    assert "[Airparif](https://www.airparif.fr)" in air["notes"]
    assert "alert" not in air["notes"] and "javascript" not in air["notes"] and "<" not in air["notes"]
    assert sorted(t["name"] for t in air["tags"]) == ["air", "pollution"]
    assert air["od_category"] == ["environment"] and air["theme"] == ["ENVI"]
    assert air["license_id"] == "etalab-2.0"
    exports = {r["format"]: r for r in air["resources"]}
    assert sorted(exports) == ["CSV", "GeoJSON", "JSON"]
    base = f"{portal.portal_url}/api/explore/v2.1/catalog/datasets/qualite-de-l-air-indices-quotidiens"
    assert exports["CSV"]["url"] == f"{base}/exports/csv" and exports["CSV"]["mimetype"] == "text/csv"
    assert exports["GeoJSON"]["mimetype"] == "application/geo+json"
    population = next(d for d in datasets() if d["title"].startswith("Population"))
    assert population["license_id"] == "odc-odbl"
    assert population["od_category"] == ["demography"]
    notice = next(r for r in population["resources"] if r["format"] == "PDF")
    assert notice["url"].endswith("/population-legale-des-communes/attachments/notice_pdf")
    assert {r["format"] for r in population["resources"]} == {"CSV", "JSON", "PDF"}  # no geo feature
    coops = next(d for d in datasets() if d["title"].startswith("Coopératives"))
    assert "social-entrepreneurship" in coops["si_area"]
    assert [r["format"] for r in coops["resources"]] == ["XLSX"]  # no records: no exports
    assert coops["resources"][0]["url"].endswith("/alternative_exports/esscoop_xlsx")


def test_a_date_moved_back_in_time_is_read_alone(portal):
    portal.add("Équipements sportifs")
    moved = portal.add("Bibliothèques", modified="2024-03-01T00:00:00+00:00")
    source = ods_source(portal.portal_url)
    run_source(source["id"])

    moved["metas"]["default"]["modified"] = "2023-12-01T00:00:00+00:00"  # before the last harvest
    moved["metas"]["default"]["title"] = "Bibliothèques et médiathèques"
    portal.hits.clear()
    summary = run_source(source["id"])

    assert (summary.updated, summary.unchanged, summary.errors) == (1, 1, 0), summary
    assert f"{portal.catalog_path}/bibliotheques" in portal.hits
    assert "Bibliothèques et médiathèques" in [d["title"] for d in datasets()]


def test_paging_across_pages_and_past_the_offset_window(portal, monkeypatch):
    monkeypatch.setattr(opendatasoft, "OFFSET_WINDOW", 4)
    portal.offset_window = 4  # the API's 10 000, scaled down
    for n in range(9):
        portal.add(f"Jeu {n}", dataset_id=f"jeu-{8 - n}")
    source = ods_source(portal.portal_url, config={**ILE_DE_FRANCE, "page_size": 2})

    summary = run_source(source["id"])

    assert (summary.created, summary.errors, summary.gather_errors) == (9, 0, []), summary
    searches = catalog_hits(portal)
    assert len(searches) == 5, searches
    assert any('where=dataset_id+%3E+%22jeu-3%22' in hit for hit in searches), searches
    assert any('where=dataset_id+%3E+%22jeu-7%22' in hit for hit in searches), searches
    assert all("order_by=dataset_id" in hit for hit in searches)

    portal.hits.clear()
    again = run_source(source["id"])  # the census pages the same way
    assert (again.unchanged, again.deleted) == (9, 0), again
    assert any("select=dataset_id" in hit and "where=dataset_id" in hit for hit in catalog_hits(portal))


def test_html_descriptions_become_safe_text():
    text = html_to_text('<div><h2>Titre</h2><p>a &lt; b &amp;&nbsp;c<br>ligne</p>'
                        '<style>p{}</style><iframe src="https://x"></iframe>'
                        '<p>&lt;script&gt;alert(1)&lt;/script&gt; <a href="mailto:a@b.fr">écrire</a></p></div>')
    assert text == ("Titre\n\na < b & c\nligne\n\n&lt;script>alert(1)&lt;/script> "
                    "[écrire](mailto:a@b.fr)")
    assert html_to_text(None) is None and html_to_text("  ") is None
