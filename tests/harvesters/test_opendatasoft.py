"""The OpenDataSoft harvester against an imitation Explore API v2.1 portal on
loopback, through the real stack: gather → fetch → import."""
from __future__ import annotations

import pytest

from ckan import model

from ckanext.plusresilient.harvesters import opendatasoft
from ckanext.plusresilient.harvesters.opendatasoft import html_to_text
from ckanext.plusresilient.harvesters.runner import run_source
from tests.harvesters.loopback_opendatasoft import ODSPortal
from tests.harvesters.test_ckan import datasets, make_source
from tests.harvesters.cases import assert_failed_and_withdrew_nothing

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


def test_harvesting_twice_changes_nothing(portal):
    for n in range(5):
        portal.add(f"Jeu de données {n}")
    source = ods_source(portal.portal_url)
    run_source(source["id"])
    portal.hits.clear()
    summary = run_source(source["id"])
    assert (summary.created, summary.updated, summary.unchanged, summary.deleted) == (0, 0, 5, 0), summary
    assert len(datasets()) == 5
    assert not any("/catalog/datasets/" in hit.split("?")[0] for hit in portal.hits)


def test_second_harvest_fetches_only_what_changed_and_withdraws_what_vanished(portal):
    portal.add("Services aux personnes âgées")
    changed = portal.add("Crèches municipales")
    portal.add("Appels à projets clos")
    source = ods_source(portal.portal_url)
    assert run_source(source["id"]).created == 3

    changed["metas"]["default"]["title"] = "Crèches et haltes-garderies municipales"
    changed["metas"]["default"]["modified"] = "2099-01-01T00:00:00+00:00"
    del portal.datasets["appels-a-projets-clos"]
    portal.hits.clear()
    summary = run_source(source["id"])

    assert (summary.created, summary.updated, summary.unchanged, summary.deleted) == (0, 1, 1, 1), summary
    searches = catalog_hits(portal)
    assert any("metas.default.modified" in hit and "where=" in hit for hit in searches), searches
    assert any("select=dataset_id%2Cmetas.default.modified" in hit for hit in searches), searches  # census
    assert len(searches) == len(portal.hits)  # nothing read one by one
    assert sorted(d["title"] for d in datasets()) == [
        "Crèches et haltes-garderies municipales", "Services aux personnes âgées"]
    withdrawn = model.Session.query(model.Package).filter_by(title="Appels à projets clos").one()
    assert withdrawn.state == "deleted"


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


def test_same_dataset_federated_by_another_portal_is_one_dataset(portal):
    portal.add("Vélib' - Disponibilité en temps réel", dataset_id="velib-disponibilite-en-temps-reel")
    with ODSPortal() as federator:
        federator.add("Vélib' - Disponibilité en temps réel", dataset_id="velib-disponibilite-en-temps-reel@parisdata",
                      default={"federated": True, "source_domain": "parisdata",
                               "source_domain_address": portal.host,
                               "source_dataset": "velib-disponibilite-en-temps-reel"})
        federator.add("Lycées d'Île-de-France")
        paris = ods_source(portal.portal_url, name="fr-paris",
                           config={"portal": "fr-paris", "country": "FR", "region": "FR10"})
        region = ods_source(federator.portal_url)
        run_source(paris["id"])
        summary = run_source(region["id"])
        assert (summary.created, summary.updated) == (1, 1), summary
        assert len(datasets()) == 2

        del portal.datasets["velib-disponibilite-en-temps-reel"]  # still federated by the region
        assert run_source(paris["id"]).deleted == 1
        assert len(datasets()) == 2


@pytest.mark.parametrize("failure, message", [
    ("500", "HTTP 500"),
    ("malformed", "malformed"),
    ("private-redirect", "169.254.169.254"),
    ("not-ods", "not an OpenDataSoft"),
])
def test_a_broken_source_records_an_error_and_withdraws_nothing(portal, failure, message):
    for n in range(3):
        portal.add(f"Jeu de données {n}")
    source = ods_source(portal.portal_url)
    run_source(source["id"])
    portal.datasets.clear()
    if failure == "not-ods":  # a JSON answer of another kind, e.g. a CKAN API
        portal.routes[portal.catalog_path] = lambda query: (
            200, {"Content-Type": "application/json"}, b'{"success": true, "result": {"count": 0}}')
    else:
        portal.failures[portal.catalog_path] = failure

    summary = run_source(source["id"])

    assert_failed_and_withdrew_nothing(summary, message)
    assert len(datasets()) == 3


def test_html_descriptions_become_safe_text():
    text = html_to_text('<div><h2>Titre</h2><p>a &lt; b &amp;&nbsp;c<br>ligne</p>'
                        '<style>p{}</style><iframe src="https://x"></iframe>'
                        '<p>&lt;script&gt;alert(1)&lt;/script&gt; <a href="mailto:a@b.fr">écrire</a></p></div>')
    assert text == ("Titre\n\na < b & c\nligne\n\n&lt;script>alert(1)&lt;/script> "
                    "[écrire](mailto:a@b.fr)")
    assert html_to_text(None) is None and html_to_text("  ") is None
