"""The sample portals answer like the platforms' APIs, over real HTTP on
loopback, and our harvesters read every sample dataset from them."""
from __future__ import annotations

import datetime
import http.client
import json
import socket

import pytest
import requests
from rdflib import Graph, Literal, Namespace, URIRef
from rdflib.namespace import RDF

from ckanext.plusresilient.demo.apis import PAYLOADS, SamplePortals
from ckanext.plusresilient.demo.loopback import LoopbackServer
from ckanext.plusresilient.demo.loader import source_url
from ckanext.plusresilient.demo.server import SamplePortalServer, serving
from ckanext.plusresilient.harvesters.ckan import CKANHarvester
from ckanext.plusresilient.harvesters.dcat import DCATHarvester
from ckanext.plusresilient.harvesters.opendatasoft import OpenDataSoftHarvester
from ckanext.plusresilient.harvesters.socrata import SocrataHarvester
from ckanext.plusresilient.harvesters.udata import UdataHarvester
from ckanext.plusresilient.safe_http import SafeSession
from tests.loopback_http import allowances, allowing, policy

HYDRA = Namespace("http://www.w3.org/ns/hydra/core#")
DCAT = Namespace("http://www.w3.org/ns/dcat#")

#: The links the sample datasets break on purpose (so some score low).
BROKEN = {"/files/hr/metodologija-vrtici-i-skole.pdf", "/files/hr/socijalni-stanovi.csv",
          "/files/pt/escolas-formacao-profissional.csv", "/files/es/plazas-residencias.csv",
          "/ods/api/explore/v2.1/catalog/datasets/lycees-formation/attachments/notice_pdf"}


@pytest.fixture(scope="module")
def base():
    with serving() as url, allowing(url):
        yield url


def get(base, path, **params):
    return requests.get(base + path, params=params, timeout=10)


def test_ckan_package_search_pages_in_the_ckan_envelope(base):
    api = "/ckan/api/3/action"
    first = get(base, f"{api}/package_search", q="*:*", rows=5, start=0, sort="id asc")
    second = get(base, f"{api}/package_search", q="*:*", rows=5, start=5, sort="id asc")

    assert first.headers["Content-Type"] == "application/json;charset=utf-8"
    body = first.json()
    assert body["success"] is True and body["help"].endswith("help_show?name=package_search")
    assert body["result"]["count"] == 7
    ids = [p["id"] for p in body["result"]["results"] + second.json()["result"]["results"]]
    assert len(ids) == 7 and ids == sorted(ids)
    assert {"resources", "tags", "organization", "metadata_modified"} <= set(body["result"]["results"][0])

    changed = get(base, f"{api}/package_search", fq="metadata_modified:[2024-05-01T00:00:00Z TO *]", rows=100)
    assert {p["name"] for p in changed.json()["result"]["results"]} == {
        "registar-socijalnih-zadruga", "vrtici-i-skole", "zdravstvene-ustanove-istre"}
    census = get(base, f"{api}/package_search", fl="id,metadata_modified", rows=1000)
    assert all(set(p) == {"id", "metadata_modified"} for p in census.json()["result"]["results"])

    missing = get(base, f"{api}/package_show", id="no-such-dataset")
    assert missing.status_code == 404
    assert missing.json()["error"]["__type"] == "Not Found Error" and missing.json()["success"] is False
    shown = get(base, f"{api}/package_show", id="vrtici-i-skole").json()["result"]
    assert shown["resources"][0]["url"] == f"{base}/files/hr/vrtici-i-skole.csv"


def test_dcat_catalogue_is_turtle_paged_with_hydra(base):
    pages, datasets, url = 0, set(), f"{base}/dcat/catalog.ttl?page=1"
    while url:
        response = requests.get(url, timeout=10)
        assert response.headers["Content-Type"] == "text/turtle; charset=utf-8"
        graph = Graph().parse(data=response.content, format="turtle")
        page = URIRef(url)
        assert (page, RDF.type, HYDRA.PagedCollection) in graph
        assert graph.value(page, HYDRA.totalItems).toPython() == 7
        datasets |= set(graph.subjects(RDF.type, DCAT.Dataset))
        following = graph.value(page, HYDRA.nextPage)
        assert following is None or isinstance(following, Literal)   # ckanext-dcat writes literals
        url = str(following) if following else None
        pages += 1

    assert (pages, len(datasets)) == (2, 7)
    assert get(base, "/dcat/catalog.ttl", page=3).status_code == 404


def test_udata_pages_follow_next_page_and_honour_the_field_mask(base):
    first = get(base, "/udata/api/1/datasets/", page=1, page_size=4, sort="created").json()
    assert set(first) == {"data", "page", "page_size", "total", "next_page", "previous_page"}
    assert (first["total"], len(first["data"]), first["previous_page"]) == (7, 4, None)
    second = requests.get(first["next_page"], timeout=10).json()
    assert len(second["data"]) == 3 and second["next_page"] is None
    created = [d["created_at"] for d in first["data"] + second["data"]]
    assert created == sorted(created)

    masked = requests.get(f"{base}/udata/api/1/datasets/", params={"page_size": 100},
                          headers={"X-Fields": "data{id,last_modified},next_page,total"}, timeout=10).json()
    assert set(masked) == {"data", "next_page", "total"}
    assert all(set(d) == {"id", "last_modified"} for d in masked["data"])

    one = get(base, "/udata/api/1/datasets/habitacao-municipal-aml/").json()
    assert one["slug"] == "habitacao-municipal-aml" and one["license"] == "odc-odbl"
    assert get(base, "/udata/api/1/datasets/nothing-here/").status_code == 404
    assert get(base, "/udata/api/1/datasets/", sort="popularity").status_code == 400


def test_ods_explore_catalog_selects_filters_and_exports(base):
    api = "/ods/api/explore/v2.1/catalog/datasets"
    light = get(base, api, select="dataset_id,metas.default.modified", order_by="dataset_id", limit=100).json()
    assert light["total_count"] == 6
    assert light["results"][0] == {"dataset_id": "accueil-petite-enfance",
                                   "metas": {"default": {"modified": "2024-06-03T08:00:00+00:00"}}}
    recent = get(base, api, where="metas.default.modified >= date'2024-05-01T00:00:00Z'", limit=100).json()
    assert {d["dataset_id"] for d in recent["results"]} == {
        "accueil-petite-enfance", "demandeurs-emploi-occitanie", "entreprises-ess-occitanie"}
    assert "fields" not in get(base, api, select="exclude(fields)", limit=1).json()["results"][0]
    assert get(base, api, limit=101).status_code == 400
    assert get(base, api, limit=100, offset=9950).status_code == 400
    assert get(base, api, where="records_count > 3").json()["error_code"] == "ODSQLError"

    csv_export = get(base, f"{api}/population-tranches-age/exports/csv")
    assert csv_export.headers["Content-Type"] == "text/csv; charset=utf-8"
    assert csv_export.text.splitlines()[0] == "departement;moins_20;de_20_a_64;plus_65"
    records = get(base, f"{api}/population-tranches-age/exports/json").json()
    assert len(records) == 5 and records[0]["moins_20"] == 345210


def test_socrata_discovery_api_and_soda_endpoints(base):
    query = {"domains": "127.0.0.1", "search_context": "127.0.0.1", "only": "datasets",
             "order": "dataset_id", "limit": 4, "offset": 0}
    first = get(base, "/api/catalog/v1", **query).json()
    rest = get(base, "/api/catalog/v1", **dict(query, offset=4)).json()
    assert set(first) == {"results", "resultSetSize", "timings", "warnings"}
    assert first["resultSetSize"] == 6
    ids = [r["resource"]["id"] for r in first["results"] + rest["results"]]
    assert len(ids) == 6 and ids == sorted(ids)
    assert get(base, "/api/catalog/v1", **dict(query, domains="other.example.org")).json()["results"] == []

    rows = get(base, "/api/views/k7wd-3f9x/rows.csv", accessType="DOWNLOAD").text.splitlines()
    soda_csv = get(base, "/resource/k7wd-3f9x.csv").text.splitlines()
    soda_json = get(base, "/resource/k7wd-3f9x.json").json()
    assert rows[0] == "Anno,Provincia,Settore,Occupati (migliaia)"
    assert soda_csv[0] == "anno,provincia,settore,occupati_migliaia" and soda_csv[1:] == rows[1:]
    assert soda_json[0] == {"anno": "2023", "provincia": "Milano", "settore": "Servizi",
                            "occupati_migliaia": "1310.4"}


HARVESTERS = {"ckan": CKANHarvester, "dcat": DCATHarvester, "udata": UdataHarvester,
              "ods": OpenDataSoftHarvester, "socrata": SocrataHarvester}
COUNTS = {"ckan": 7, "dcat": 7, "udata": 7, "ods": 6, "socrata": 6}


@pytest.mark.parametrize("portal", sorted(HARVESTERS))
def test_our_harvester_lists_every_sample_dataset(base, portal):
    config = {"page_size": 4} if portal in ("ckan", "udata") else {}
    with SafeSession(policy(timeout=10)) as http:
        pages = list(HARVESTERS[portal]().list_datasets(source_url(base, portal), config, http, None))
        listed = [item for page in pages for item in page]
        again = [item for page in HARVESTERS[portal]().list_datasets(
            source_url(base, portal), config, http, datetime.datetime(2030, 1, 1)) for item in page]

    assert len(listed) == COUNTS[portal] == len({item.identifier for item in listed})
    assert all(item.dataset.resources and item.modified for item in listed)
    if portal in ("ckan", "udata"):
        assert len(pages) == 2   # paged as configured
    # the incremental listing knows every dataset and its date, as the first one did
    assert {(i.identifier, i.modified) for i in again} == {(i.identifier, i.modified) for i in listed}


def _declared_files(base):
    """(URL, declared size or None) of every resource the payloads declare."""
    portals = SamplePortals(base).portals
    for package in portals["ckan"].packages.values():
        for resource in package["resources"]:
            yield resource["url"], resource["size"]
    for dataset in portals["udata"].datasets.values():
        for resource in dataset["resources"]:
            yield resource["url"], resource["filesize"]
    for body in portals["dcat"].page_bodies:
        graph = Graph().parse(data=body, format="turtle")
        for distribution in graph.subjects(RDF.type, DCAT.Distribution):
            size = graph.value(distribution, DCAT.byteSize)
            yield str(graph.value(distribution, DCAT.accessURL)), size.toPython() if size else None


def test_resource_links_answer_with_their_declared_size_except_the_broken_ones(base):
    seen_broken = set()
    for url, size in _declared_files(base):
        response = requests.get(url, timeout=10)
        path = url.removeprefix(base)
        if path in BROKEN:
            assert response.status_code == 404, url
            seen_broken.add(path)
            continue
        assert response.status_code == 200, url
        assert size is None or size == len(response.content), url
    assert requests.head(f"{base}/files/hr/vrtici-i-skole.csv", timeout=10).status_code == 200
    assert get(base, "/ods/api/explore/v2.1/catalog/datasets/lycees-formation/attachments/notice_pdf").status_code == 404
    assert seen_broken == BROKEN - {"/ods/api/explore/v2.1/catalog/datasets/lycees-formation/attachments/notice_pdf"}



@pytest.mark.parametrize("path", ["/files/../ckan/packages.json", "/files/%2e%2e/%2e%2e/apis.py",
                                  "/files/hr/../../../server.py"])
def test_files_outside_the_files_folder_are_not_served(base, path):
    host, port = base.removeprefix("http://").split(":")
    connection = http.client.HTTPConnection(host, int(port), timeout=10)
    connection.request("GET", path)   # sent as written: no client-side normalisation
    response = connection.getresponse()
    assert (response.status, response.read()) == (404, b"Not Found")
    connection.close()


def test_datasets_have_landing_pages_and_the_root_lists_the_portals(base):
    page = get(base, "/ckan/dataset/vrtici-i-skole")
    assert page.headers["Content-Type"] == "text/html; charset=utf-8"
    assert "<h1>Dječji vrtići i osnovne škole</h1>" in page.text
    ods = get(base, "/ods/explore/dataset/entreprises-ess-occitanie/")
    assert "Entreprises de l&#x27;économie sociale et solidaire" in ods.text   # escaped
    assert get(base, "/").json() == {"sample_portals": {
        "ckan": f"{base}/ckan", "dcat": f"{base}/dcat/catalog.ttl", "udata": f"{base}/udata",
        "ods": f"{base}/ods", "socrata": base}}


def test_payload_files_hold_no_address_of_their_own():
    """Every URL is written {base}/..., filled in by the server that serves it."""
    for path in PAYLOADS.rglob("*"):
        if path.suffix in (".json", ".ttl"):
            text = path.read_text(encoding="utf-8")
            assert "127.0.0.1" not in text and "localhost" not in text, path
    assert json.loads((PAYLOADS / "socrata" / "catalog.json").read_text())[0]["permalink"].startswith("{base}/d/")


def test_the_server_stops_with_its_block():
    with serving() as url:
        port = int(url.rsplit(":", 1)[1])
        assert get(url, "/").status_code == 200
    with pytest.raises(OSError):
        socket.create_connection(("127.0.0.1", port), timeout=1).close()
    server = SamplePortalServer(port)   # the port is free again
    server.server_close()


def test_a_loopback_server_is_allowed_exactly_while_it_runs():
    """What the suite's allowances rest on: every loopback server (the sample
    portals, the imitations, the tests' own) announces its port when it
    starts and withdraws it when it stops; one built unannounced never is."""
    with serving() as url:
        assert f"127.0.0.1:{int(url.rsplit(':', 1)[1])}" in allowances()
    assert f"127.0.0.1:{int(url.rsplit(':', 1)[1])}" not in allowances()
    with LoopbackServer(announce=False) as quiet:
        assert f"127.0.0.1:{quiet.port}" not in allowances()
        assert requests.get(quiet.url + "/anything", timeout=10).status_code == 404

