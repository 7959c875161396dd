"""The udata harvester against an imitation udata portal on loopback, through
the real stack: gather → fetch → import."""
from __future__ import annotations

import pytest

from ckan import model

from ckanext.plusresilient.harvesters import udata
from ckanext.plusresilient.harvesters.runner import run_source
from tests.harvesters.loopback_udata import UdataPortal
from tests.harvesters.test_ckan import datasets, make_source
from tests.harvesters.cases import BROKEN_SOURCE, assert_failed_and_withdrew_nothing
from tests.harvesters.cases import harvest_log  # noqa: F401 - fixture

pytestmark = pytest.mark.usefixtures("with_plugins", "clean_db", "clean_index")

OCCITANIE = {"portal": "data-gouv-fr", "country": "FR", "region": "FRJ1", "language": "fr"}
LISTING = "/api/1/datasets/"


@pytest.fixture
def portal():
    with UdataPortal() as portal:
        yield portal


def udata_source(portal, name="data-gouv-fr", config=OCCITANIE):
    return make_source(portal.url, name=name, config=config, source_type="plusresilient_udata")


def test_first_harvest_maps_onto_the_svrc_schema(portal):
    cooperatives = portal.add(
        "Coopératives et entreprises de l'économie sociale", tags=["economie-sociale", "cooperatives"],
        frequency="monthly", license="lov2",
        contact_points=[{"name": "Service open data", "email": "opendata@laregion.fr", "role": "contact"}])
    portal.add("Population légale des communes", tags=["population", "recensement"], frequency="annual")
    portal.add("Qualité de l'air", tags=["environnement", "pollution"], license="odc-odbl",
               frequency="punctual", temporal_coverage=None)
    harvested = portal.add(
        "Structures d'accueil pour personnes âgées", tags=["sante"],
        harvest={"backend": "dcat", "domain": "data.laregion.fr", "source_id": "5e1b...",
                 "remote_id": "structures-accueil", "uri": "https://data.laregion.fr/dataset/structures-accueil",
                 "remote_url": "https://data.laregion.fr/explore/dataset/structures-accueil/",
                 "created_at": "2018-03-01T00:00:00+00:00", "last_update": "2024-01-09T00:00:00+00:00"})
    source = udata_source(portal)

    summary = run_source(source["id"])

    assert (summary.created, summary.updated, summary.deleted, summary.errors) == (4, 0, 0, 0), summary
    assert summary.gather_errors == []
    coop = next(d for d in datasets() if d["title"].startswith("Coopératives"))
    assert coop["country"] == "FR" and coop["region"] == "FRJ1"
    assert coop["notes"] == "Coopératives et entreprises de l'économie sociale."
    assert sorted(t["name"] for t in coop["tags"]) == ["cooperatives", "economie-sociale"]
    assert "social-entrepreneurship" in coop["si_area"]
    assert "capacity-building" in coop["svrc_scenario"]
    assert coop["license_id"] == "etalab-2.0"
    assert coop["frequency"] == "MONTHLY"
    assert coop["language"] == ["fr"]
    assert coop["source_portal"] == "data-gouv-fr"
    assert coop["source_url"] == f"{portal.url}/fr/datasets/{cooperatives['slug']}/"
    assert coop["source_identifier"] == f"udata:127.0.0.1:{cooperatives['id']}"
    assert coop["temporal_start"] == "2019-01-01" and coop["temporal_end"] == "2023-12-31"
    assert coop["contact"] == [{"name": "Service open data", "email": "opendata@laregion.fr"}]
    [resource] = coop["resources"]
    assert resource["format"] == "CSV" and resource["mimetype"] == "text/csv" and resource["size"] == 2048
    assert resource["url"] == f"{portal.url}/fichiers/{cooperatives['slug']}.csv"
    population = next(d for d in datasets() if d["title"].startswith("Population"))
    assert population["od_category"] == ["demography"] and population["theme"] == ["SOCI"]
    assert population["frequency"] == "ANNUAL"
    air = next(d for d in datasets() if d["title"].startswith("Qualité"))
    assert air["license_id"] == "odc-odbl" and air["frequency"] == "NEVER"
    assert air["od_category"] == ["environment"] and air["theme"] == ["ENVI"]
    elderly = next(d for d in datasets() if d["title"].startswith("Structures"))
    assert elderly["source_identifier"] == harvested["harvest"]["uri"]
    assert elderly["url"] == harvested["harvest"]["remote_url"]
    assert elderly["issued"] == "2018-03-01"
    # the first harvest reads whole pages, no mask, no dataset one by one
    assert all(mask is None for _, mask in portal.requests)
    assert all(path.startswith(LISTING + "?") for path, _ in portal.requests)


def test_harvesting_twice_changes_nothing(portal):
    for n in range(5):
        portal.add(f"Jeu de données {n}")
    source = udata_source(portal)
    run_source(source["id"])
    summary = run_source(source["id"])
    assert (summary.created, summary.updated, summary.unchanged, summary.deleted) == (0, 0, 5, 0)
    assert len(datasets()) == 5


def test_second_harvest_fetches_only_what_changed_and_withdraws_what_vanished(portal):
    kept = portal.add("Services pour personnes âgées")
    changed = portal.add("Crèches")
    vanished = portal.add("Appels à projets clos")
    archived = portal.add("Ancien annuaire")
    source = udata_source(portal)
    assert run_source(source["id"]).created == 4

    changed["title"] = "Crèches municipales"
    changed["last_modified"] = "2099-01-01T00:00:00.000000+00:00"
    del portal.datasets[vanished["id"]]
    archived["archived"] = "2024-02-01T00:00:00+00:00"  # udata leaves archived datasets out of its listing
    portal.requests.clear()
    summary = run_source(source["id"])

    assert (summary.created, summary.updated, summary.unchanged, summary.deleted) == (0, 1, 1, 2), summary
    listings = [(path, mask) for path, mask in portal.requests if path.startswith(LISTING + "?")]
    assert listings and all(mask and mask.startswith("data{id,last_modified") for _, mask in listings)
    whole = [path for path, _ in portal.requests if not path.startswith(LISTING + "?")]
    assert whole == [f"/api/1/datasets/{changed['id']}/"]  # the unchanged one is not read whole
    assert sorted(d["title"] for d in datasets()) == ["Crèches municipales", "Services pour personnes âgées"]
    for title in ("Appels à projets clos", "Ancien annuaire"):
        assert model.Session.query(model.Package).filter_by(title=title).one().state == "deleted"
    assert next(d for d in datasets() if d["title"].startswith("Services"))["source_identifier"] == \
        f"udata:127.0.0.1:{kept['id']}"


def test_paging_follows_next_page_across_pages(portal, monkeypatch):
    for n in range(7):
        portal.add(f"Jeu paginé {n}")
    source = udata_source(portal, config={**OCCITANIE, "page_size": 3})

    summary = run_source(source["id"])

    assert summary.created == 7 and summary.gather_errors == []
    pages = [path for path, _ in portal.requests if path.startswith(LISTING + "?")]
    assert len(pages) == 3
    assert "page=1" in pages[0] and "page=3" in pages[2] and all("sort=created" in p for p in pages)
    assert sorted(d["title"] for d in datasets()) == [f"Jeu paginé {n}" for n in range(7)]

    # the light listing pages too, and a vanished dataset on a later page is still found
    monkeypatch.setattr(udata, "CENSUS_PAGE_SIZE", 3)
    portal.requests.clear()
    last = list(portal.datasets)[-1]
    del portal.datasets[last]
    summary = run_source(source["id"])
    assert (summary.unchanged, summary.deleted) == (6, 1), summary
    assert len([path for path, mask in portal.requests if mask]) == 2


def test_a_udata_harvested_copy_is_the_same_dataset_as_its_original(portal):
    original = portal.add("Établissements sociaux et médico-sociaux")
    with UdataPortal() as national:
        national.add(original["title"], harvest={
            "backend": "udata", "domain": "127.0.0.1", "remote_id": original["id"],
            "remote_url": original["page"]})
        national.add("Un autre jeu national")
        regional_source = udata_source(portal, name="occitanie")
        national_source = udata_source(national, name="dados-gov-pt",
                                       config={"portal": "dados-gov-pt", "country": "PT", "language": "pt"})
        run_source(regional_source["id"])
        summary = run_source(national_source["id"])
        assert (summary.created, summary.updated) == (1, 1), summary
        assert len(datasets()) == 2


@BROKEN_SOURCE
def test_a_broken_source_records_an_error_and_withdraws_nothing(portal, failure, message):
    for n in range(3):
        portal.add(f"Jeu {n}")
    source = udata_source(portal)
    run_source(source["id"])
    portal.datasets.clear()
    portal.failures[LISTING] = failure

    summary = run_source(source["id"])

    assert_failed_and_withdrew_nothing(summary, message)
    assert len(datasets()) == 3


def test_an_answer_that_is_not_a_udata_page_is_a_gather_error(portal):
    portal.add("Jeu")
    source = udata_source(portal)
    run_source(source["id"])
    portal.routes[LISTING] = lambda query: (200, {"Content-Type": "application/json"},
                                            b'{"message": "Service Unavailable", "status": 503}')
    summary = run_source(source["id"])
    assert summary.deleted == 0 and "not a udata API page" in summary.gather_errors[0]
    assert len(datasets()) == 1


def test_a_dataset_gone_between_listing_and_fetch_is_an_object_error(portal):
    doomed = portal.add("Jeu bientôt supprimé")
    source = udata_source(portal)
    run_source(source["id"])
    doomed["last_modified"] = "2099-01-01T00:00:00+00:00"
    show = portal.routes.get(f"/api/1/datasets/{doomed['id']}/")
    portal.routes[f"/api/1/datasets/{doomed['id']}/"] = lambda query: (
        410, {"Content-Type": "application/json"}, b'{"message": "Dataset has been deleted", "status": 410}')
    assert show is not None
    summary = run_source(source["id"])
    assert summary.errors == 1 and summary.gather_errors == []
    assert "410" in summary.object_errors[0]
    assert len(datasets()) == 1


def test_a_script_url_from_the_portal_is_dropped_not_the_dataset(portal, harvest_log):
    """udata's ``page`` (and any URL a portal sends) is shown as a link:
    anything but http(s) is dropped with a log line, and the dataset is
    harvested with the page udata would have (or without the link)."""
    tricky = portal.add("Jeu piégé", page="javascript:alert(document.cookie)", harvest={
        "backend": "dcat", "remote_url": "  JavaScript:alert('landing')"},
        resources=[
            {"id": "r1", "title": "piège", "url": "javascript:alert('resource')", "format": "csv"},
            {"id": "r2", "title": "données", "url": f"{portal.url}/fichiers/donnees.csv", "format": "csv"},
        ])
    source = udata_source(portal)

    summary = run_source(source["id"])

    assert (summary.created, summary.errors) == (1, 0), summary
    [dataset] = datasets()
    assert dataset["source_url"] == f"{portal.url}/datasets/{tricky['slug']}/"
    assert dataset["url"] == dataset["source_url"]
    assert [r["url"] for r in dataset["resources"]] == [f"{portal.url}/fichiers/donnees.csv"]
    logged = harvest_log.text
    for dropped in ("javascript:alert(document.cookie)", "JavaScript:alert('landing')",
                    "javascript:alert('resource')"):
        assert dropped in logged, logged
