"""What data.europa.eu scores in a harvested dataset: its access rights, the
rights statement of its files, their sizes and download URLs, and its
temporal coverage. Each platform says them its own way (or not at all, and
then its default applies); every one is harvested through an imitation
portal on loopback, into the real stack, and published again in DCAT."""
from __future__ import annotations

import pytest
from rdflib import Graph, Literal, Namespace, URIRef
from rdflib.namespace import DCTERMS as DCT

from ckan.tests import factories as core_factories
from ckan.tests.helpers import call_action

from ckanext.plusresilient.harvesters.runner import run_source
from ckanext.plusresilient.demo.portals.ckan import CKANPortal
from ckanext.plusresilient.demo.portals.dcat import DCATPortal
from ckanext.plusresilient.demo.portals.opendatasoft import ODSPortal
from ckanext.plusresilient.demo.portals.socrata import SocrataPortal
from ckanext.plusresilient.demo.portals.udata import UdataPortal
from tests.harvesters.cases import make_source
from tests.harvesters.test_download_url import _harvested

pytestmark = pytest.mark.usefixtures("with_plugins", "clean_db", "clean_index")

DCAT = Namespace("http://www.w3.org/ns/dcat#")
ACCESS_RIGHT = "http://publications.europa.eu/resource/authority/access-right/"


def _by_title(datasets: list[dict]) -> dict[str, dict]:
    return {dataset["title"]: dataset for dataset in datasets}


def _scored(resource: dict) -> tuple:
    return resource.get("size"), resource.get("download_url"), resource.get("rights")


def test_ckan_access_rights_rights_sizes_and_temporal():
    with CKANPortal() as portal:
        base = portal.url
        # a DCAT-enabled CKAN (ckanext-dcat's DCAT-AP schema): fields, a
        # repeating temporal_coverage, resource rights and download_url
        portal.add("Cooperative sociali", access_rights=f"{ACCESS_RIGHT}RESTRICTED",
                   temporal_coverage=[{"start": "2019-01-01", "end": "2023-12-31"}],
                   resources=[{"id": "r-1", "name": "Albo", "url": f"{base}/albo", "format": "CSV",
                               "download_url": f"{base}/albo.csv", "size": 4096,
                               "rights": "Riutilizzo libero citando la Regione del Veneto"}])
        # a plain CKAN: extras, and a size the API gives as text
        portal.add("Asili nido", extras=[{"key": "access_rights", "value": "Non pubblico"},
                                         {"key": "temporal_start", "value": "2020-01-01"},
                                         {"key": "temporal_end", "value": "2022-12-31"}],
                   resources=[{"id": "r-2", "name": "Nidi", "url": f"{base}/nidi.csv", "format": "CSV",
                               "url_type": "upload", "size": "1024"}])
        # DCAT-AP_IT's CKAN (ckanext-dcatapit): temporal_coverage as JSON text
        portal.add("Popolazione residente", extras=[{"key": "temporal_coverage", "value":
                   '[{"temporal_start": "2018-01-01", "temporal_end": "2021-12-31"}]'}])
        datasets = _by_title(_harvested(portal.api_url, "plusresilient_ckan"))

    cooperatives, nurseries, population = (datasets[t] for t in (
        "Cooperative sociali", "Asili nido", "Popolazione residente"))
    assert [d.get("access_rights") for d in (cooperatives, nurseries, population)] == [
        "RESTRICTED", "NON_PUBLIC", "PUBLIC"]   # silent: the anonymous API lists public datasets only
    assert _scored(cooperatives["resources"][0]) == (
        4096, f"{base}/albo.csv", "Riutilizzo libero citando la Regione del Veneto")
    assert _scored(nurseries["resources"][0]) == (1024, f"{base}/nidi.csv", None)
    assert [(d.get("temporal_start"), d.get("temporal_end")) for d in (cooperatives, nurseries, population)] == [
        ("2019-01-01", "2023-12-31"), ("2020-01-01", "2022-12-31"), ("2018-01-01", "2021-12-31")]


@pytest.mark.parametrize("flavour, access_rights, expected", [
    ("it", f"{ACCESS_RIGHT}NON_PUBLIC", "NON_PUBLIC"),   # the EU URI
    ("es", "Acceso restringido", "RESTRICTED"),           # a statement's label
])
def test_dcat_access_rights_rights_sizes_and_temporal(flavour, access_rights, expected):
    with DCATPortal(flavour) as portal:
        file_url = f"{portal.url}/download/servizi.csv"
        portal.add("Servizi sociali", access_rights=access_rights,
                   temporal={"start": "2019-01-01", "end": "2023-12-31"},
                   distributions=[{"id": "1", "title": "Servizi", "url": file_url, "format": "CSV",
                                   "media_type": "text/csv", "size": 52000,
                                   "rights": "Free reuse, citing the source"}])
        (dataset,) = _harvested(portal.catalog_url, "plusresilient_dcat")
    assert dataset["access_rights"] == expected
    assert (dataset["temporal_start"], dataset["temporal_end"]) == ("2019-01-01", "2023-12-31")
    (resource,) = dataset["resources"]
    assert (resource["size"], resource["rights"]) == (52000, "Free reuse, citing the source")
    if flavour == "it":   # datos.gob.es gives no dcat:downloadURL
        assert resource["download_url"] == file_url


def test_a_dcat_catalogue_silent_on_access_rights_claims_none():
    """A DCAT catalogue lists datasets whose data may not be open: without
    dct:accessRights, nothing is claimed (the MQA then counts it missing)."""
    with DCATPortal("fr") as portal:
        file_url = f"{portal.url}/fichiers/creches.csv"
        portal.add("Crèches", distributions=[{"id": "1", "title": "Crèches", "url": file_url,
                                              "format": "CSV", "media_type": "text/csv", "size": 2048}])
        (dataset,) = _harvested(portal.catalog_url, "plusresilient_dcat")
    assert not dataset.get("access_rights")
    (resource,) = dataset["resources"]
    # udata publishes a licence without URI as a literal dct:rights
    assert _scored(resource) == (2048, file_url, "License Not Specified")


def test_udata_access_type_sizes_downloads_and_temporal():
    with UdataPortal() as portal:
        open_one = portal.add("Crèches", access_type="open")
        portal.add("Aides sociales", access_type="open_with_account")
        portal.add("Dossiers individuels", access_type="restricted")
        portal.add("Logements", temporal_coverage=None)   # an older udata: no access_type
        open_one["resources"][0].update(filetype="file", filesize=52000)
        datasets = _by_title(_harvested(portal.url, "plusresilient_udata"))
    assert {title: d.get("access_rights") for title, d in datasets.items()} == {
        "Crèches": "PUBLIC", "Aides sociales": "RESTRICTED", "Dossiers individuels": "RESTRICTED",
        "Logements": "PUBLIC"}
    creches = datasets["Crèches"]
    assert _scored(creches["resources"][0]) == (52000, open_one["resources"][0]["url"], None)
    assert (creches["temporal_start"], creches["temporal_end"]) == ("2019-01-01", "2023-12-31")
    assert not datasets["Logements"].get("temporal_start")


def test_opendatasoft_access_rights_attributions_and_temporal():
    with ODSPortal() as portal:
        portal.add("Aides sociales", default={"attributions": ["Région Occitanie", "Insee"]},
                   dcat={"accessrights": "Données publiques", "temporal_coverage_start": "2019-01-01",
                         "temporal_coverage_end": "2023-12-31"})
        portal.add("Dossiers", dcat={"accessrights": "Accès restreint aux agents"})
        portal.add("Crèches")
        datasets = _by_title(_harvested(portal.portal_url, "plusresilient_ods"))
    assert {title: d.get("access_rights") for title, d in datasets.items()} == {
        "Aides sociales": "PUBLIC", "Dossiers": "RESTRICTED", "Crèches": "PUBLIC"}
    aides = datasets["Aides sociales"]
    assert (aides["temporal_start"], aides["temporal_end"]) == ("2019-01-01", "2023-12-31")
    assert aides["resources"] and all(
        r["download_url"] == r["url"] and r["rights"] == "Région Occitanie; Insee" for r in aides["resources"])
    assert not any(r.get("rights") for r in datasets["Crèches"]["resources"])


def test_socrata_datasets_are_public_with_a_full_download():
    with SocrataPortal() as portal:
        portal.add("Atur registrat")
        (dataset,) = _harvested(portal.url, "plusresilient_socrata")
    assert dataset["access_rights"] == "PUBLIC"
    full = next(r for r in dataset["resources"] if r["name"] == "Full download (CSV)")
    assert full["download_url"] == full["url"]


def test_a_curated_access_rights_survives_a_reharvest_and_the_rest_follows_the_source():
    with CKANPortal() as portal:
        edited = portal.add("Cooperative sociali", access_rights=f"{ACCESS_RIGHT}RESTRICTED")
        untouched = portal.add("Asili nido", access_rights=f"{ACCESS_RIGHT}RESTRICTED")
        source = make_source(portal.api_url, name="regional")
        assert run_source(source["id"]).created == 2
        datasets = _by_title(call_action("package_search", fq="+dataset_type:dataset")["results"])
        curator = core_factories.Sysadmin()
        call_action("package_patch", {"user": curator["name"]}, id=datasets["Cooperative sociali"]["id"],
                    access_rights="PUBLIC")

        for package in (edited, untouched):
            package.update(access_rights=f"{ACCESS_RIGHT}NON_PUBLIC", notes="Aggiornato.",
                           metadata_modified="2024-06-01T00:00:00.000000")
        assert run_source(source["id"]).updated == 2

    after = {title: call_action("package_show", id=d["id"]) for title, d in datasets.items()}
    assert after["Cooperative sociali"]["access_rights"] == "PUBLIC"
    assert after["Cooperative sociali"]["notes"] == "Aggiornato."
    assert after["Asili nido"]["access_rights"] == "NON_PUBLIC"
    provenance = call_action("plusresilient_harvest_provenance", id=datasets["Cooperative sociali"]["id"])
    assert [(item["field"], item["source_value"]) for item in provenance["edited_here"]] == [
        ("access_rights", "NON_PUBLIC")]


def test_the_published_dcat_carries_what_was_harvested(app):
    with CKANPortal() as portal:
        base = portal.url
        portal.add("Cooperative sociali", access_rights=f"{ACCESS_RIGHT}RESTRICTED",
                   extras=[{"key": "temporal_start", "value": "2019-01-01"}],
                   resources=[{"id": "r-1", "name": "Albo", "url": f"{base}/albo", "format": "CSV",
                               "download_url": f"{base}/albo.csv", "size": 4096,
                               "rights": "Riutilizzo libero citando la Regione"}])
        (dataset,) = _harvested(portal.api_url, "plusresilient_ckan")
    response = app.get(f"/dataset/{dataset['name']}.ttl")
    assert response.status_code == 200
    g = Graph().parse(data=response.get_data(as_text=True), format="turtle")
    (node,) = g.subjects(DCT.title, Literal("Cooperative sociali"))
    assert (node, DCT.accessRights, URIRef(f"{ACCESS_RIGHT}RESTRICTED")) in g
    assert next(g.objects(node, DCT.temporal), None) is not None
    (distribution,) = g.objects(node, DCAT.distribution)
    assert (distribution, DCAT.downloadURL, URIRef(f"{base}/albo.csv")) in g
    assert int(next(g.objects(distribution, DCAT.byteSize))) == 4096
    rights = next(g.objects(distribution, DCT.rights))
    assert "Riutilizzo libero citando la Regione" in {str(o) for o in g.objects(rights, None)} | {str(rights)}
