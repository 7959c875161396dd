"""What only the udata harvester does, against an imitation udata portal on
loopback, through the real stack: gather → fetch → import. What it does as
every harvester does is in test_every_platform.py."""
from __future__ import annotations

from urllib.request import urlopen

import pytest

from ckan import model

from ckanext.plusresilient.harvesters.runner import run_source
from ckanext.plusresilient.demo.portals.udata import UdataPortal
from tests.harvesters.cases import datasets, make_source

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


def test_the_census_asks_ids_and_dates_only_and_an_archived_dataset_is_withdrawn(portal):
    """udata's X-Fields mask: after a first harvest the listing asks for ids
    and dates only; and udata leaves archived datasets out of its listing."""
    kept = portal.add("Services pour personnes âgées")
    changed = portal.add("Crèches")
    archived = portal.add("Ancien annuaire")
    source = udata_source(portal)
    assert run_source(source["id"]).created == 3

    changed["title"] = "Crèches municipales"
    changed["last_modified"] = "2099-01-01T00:00:00.000000+00:00"
    archived["archived"] = "2024-02-01T00:00:00+00:00"
    portal.requests.clear()
    summary = run_source(source["id"])

    assert (summary.created, summary.updated, summary.unchanged, summary.deleted) == (0, 1, 1, 1), summary
    listings = [(path, mask) for path, mask in portal.requests if path.startswith(LISTING + "?")]
    assert listings and all(mask and mask.startswith("data{id,last_modified") for _, mask in listings)
    whole = [path for path, _ in portal.requests if not path.startswith(LISTING + "?")]
    assert whole == [f"/api/1/datasets/{changed['id']}/"]  # the unchanged one is not read whole
    assert sorted(d["title"] for d in datasets()) == ["Crèches municipales", "Services pour personnes âgées"]
    assert model.Session.query(model.Package).filter_by(title="Ancien annuaire").one().state == "deleted"
    assert next(d for d in datasets() if d["title"].startswith("Services"))["source_identifier"] == \
        f"udata:127.0.0.1:{kept['id']}"


def test_a_dataset_gone_between_listing_and_fetch_is_an_object_error(portal):
    doomed = portal.add("Jeu bientôt supprimé")
    source = udata_source(portal)
    run_source(source["id"])
    doomed["last_modified"] = "2099-01-01T00:00:00+00:00"
    path = f"/api/1/datasets/{doomed['id']}/"
    with urlopen(portal.url + path) as served:   # the portal serves it until now
        assert served.status == 200
    portal.routes[path] = lambda query: (
        410, {"Content-Type": "application/json"}, b'{"message": "Dataset has been deleted", "status": 410}')
    summary = run_source(source["id"])
    assert summary.errors == 1 and summary.gather_errors == []
    assert "410" in summary.object_errors[0]
    assert len(datasets()) == 1
