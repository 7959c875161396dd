"""Which link of a distribution is the file itself (dcat:downloadURL): each
platform says it its own way, and the harvested resource keeps it in
``download_url``, which the DCAT export publishes beside the access URL."""
from __future__ import annotations

import pytest
from rdflib import Graph, Namespace, URIRef

from ckan.tests.helpers import call_action

from ckanext.plusresilient.harvesters.runner import run_source
from ckanext.plusresilient.demo.portals.ckan import CKANPortal
from ckanext.plusresilient.demo.portals.dcat import DCATPortal
from ckanext.plusresilient.demo.portals.opendatasoft import ODSPortal
from ckanext.plusresilient.demo.portals.socrata import SocrataPortal
from ckanext.plusresilient.demo.portals.udata import UdataPortal
from tests.harvesters.cases import make_source

pytestmark = pytest.mark.usefixtures("with_plugins", "clean_db", "clean_index")

DCAT = Namespace("http://www.w3.org/ns/dcat#")
CONFIG = {"portal": "sample", "country": "FR", "language": "fr"}


def _harvested(url: str, source_type: str) -> list[dict]:
    source = make_source(url, name=source_type.replace("_", "-"), config=CONFIG, source_type=source_type)
    summary = run_source(source["id"])
    assert not summary.gather_errors and not summary.errors, summary.object_errors
    return call_action("package_search", fq=f"+dataset_type:dataset +harvest_source_id:{source['id']}",
                       rows=50)["results"]


def _downloads(datasets: list[dict]) -> dict[str, str | None]:
    return {resource["name"]: resource.get("download_url")
            for dataset in datasets for resource in dataset["resources"]}


def test_ckan_uploads_and_download_url_fields_are_downloads():
    with CKANPortal() as portal:
        base = portal.url
        portal.add("Bilanci", resources=[
            {"id": "r-1", "name": "Upload", "url": f"{base}/dataset/x/resource/r-1/download/b.csv",
             "url_type": "upload", "format": "CSV"},
            {"id": "r-2", "name": "Page", "url": f"{base}/pagina", "format": "HTML"},
            {"id": "r-3", "name": "Both", "url": f"{base}/servizio", "download_url": f"{base}/file.csv",
             "format": "CSV"},
        ])
        downloads = _downloads(_harvested(portal.api_url, "plusresilient_ckan"))
    assert downloads == {"Upload": f"{base}/dataset/x/resource/r-1/download/b.csv", "Page": None,
                         "Both": f"{base}/file.csv"}


def test_udata_hosted_files_are_downloads_and_remote_links_are_not():
    with UdataPortal() as portal:
        dataset = portal.add("Crèches")
        hosted = dict(dataset["resources"][0], filetype="file", title="hosted.csv")
        remote = dict(dataset["resources"][0], id="r-remote", filetype="remote", title="remote.csv",
                      url=f"{portal.url}/ailleurs.csv")
        dataset["resources"] = [hosted, remote]
        downloads = _downloads(_harvested(portal.url, "plusresilient_udata"))
    assert downloads["hosted.csv"] == hosted["url"] and downloads["remote.csv"] is None


def test_opendatasoft_exports_and_socrata_full_downloads_are_downloads():
    with ODSPortal() as portal:
        portal.add("Aides sociales")
        ods = _harvested(portal.portal_url, "plusresilient_ods")
    assert ods[0]["resources"] and all(r["download_url"] == r["url"] for r in ods[0]["resources"])

    with SocrataPortal() as portal:
        portal.add("Atur registrat")
        socrata = {r["name"]: r for r in _harvested(portal.url, "plusresilient_socrata")[0]["resources"]}
    assert socrata["Full download (CSV)"]["download_url"] == socrata["Full download (CSV)"]["url"]
    assert not socrata["SODA API (CSV)"].get("download_url")


def test_dcat_download_urls_are_kept_and_published_beside_the_access_url(app):
    with DCATPortal("fr") as portal:
        portal.add("Logements sociaux")
        (dataset,) = _harvested(portal.catalog_url, "plusresilient_dcat")
    (resource,) = dataset["resources"]
    assert resource["url"].startswith("https://www.data.gouv.fr/datasets/r/")   # dcat:accessURL
    assert resource["download_url"] == f"{portal.url}/download/logements-sociaux.csv"

    graph = Graph().parse(data=app.get(f"/dataset/{dataset['name']}.ttl").body, format="turtle")
    (distribution,) = graph.objects(None, DCAT.distribution)
    assert list(graph.objects(distribution, DCAT.downloadURL)) == [URIRef(resource["download_url"])]
    assert list(graph.objects(distribution, DCAT.accessURL)) == [URIRef(resource["url"])]
