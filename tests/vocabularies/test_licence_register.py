"""The licence register CKAN reads (``licenses_group_url``), built from the
licences vocabulary: shipped up to date, used by default, and what
``license_list``, ``package_show`` and the dataset page show."""
from __future__ import annotations

import json

import pytest
from rdflib import Literal, URIRef
from rdflib.namespace import RDFS

from ckan import model
from ckan.tests.helpers import call_action
from ckanext.dcat.processors import RDFParser, RDFSerializer
from ckanext.dcat.profiles import DCT

from ckanext.plusresilient import licence_register, vocabularies
from tests.factories import Cluster, SVRCDataset

LICENCES = vocabularies.get("licences")


def test_the_shipped_register_is_what_the_vocabulary_gives():
    """Fails when licences.yaml changed and the register was not rebuilt:
    ``python -m ckanext.plusresilient.licence_register`` rewrites it."""
    assert licence_register.REGISTER_FILE.read_text(encoding="utf-8") == licence_register.render()


def test_every_licence_has_a_title_a_url_and_its_eu_uri():
    entries = {entry["id"]: entry for entry in json.loads(licence_register.render())}
    assert list(entries) == LICENCES.codes()
    for term in LICENCES:
        entry = entries[term.code]
        assert entry["title"] == term.label("en")
        assert entry["title_translated"] == dict(term.labels)
        assert entry["od_conformance"] == ("approved" if term.extra["open"] else "not reviewed")
        if entry["is_generic"]:
            assert entry["url"] == ""
        else:
            assert entry["url"].startswith(("http://", "https://")), term.code
        assert entry.get("eu_uri") == term.uri
    eu = "http://publications.europa.eu/resource/authority/licence/"
    assert entries["iodl-2.0"]["eu_uri"] == eu + "IODL_2_0"
    assert entries["cc-by-3.0"]["eu_uri"] == eu + "CC_BY_3_0"
    assert entries["etalab-2.0"]["url"] == "https://www.etalab.gouv.fr/licence-ouverte-open-licence/"


def test_a_register_the_site_chose_is_kept():
    config = {"licenses_group_url": "https://licences.example.org/group.json"}
    licence_register.use_by_default(config)
    assert config["licenses_group_url"] == "https://licences.example.org/group.json"
    config = {"licenses_group_url": ""}
    licence_register.use_by_default(config)
    assert config["licenses_group_url"] == licence_register.register_url()


@pytest.mark.usefixtures("with_plugins")
def test_ckan_uses_the_shipped_register():
    register = model.Package.get_license_register()
    assert register.keys() == LICENCES.codes()
    assert register["etalab-2.0"].isopen() and not register["cc-nc"].isopen()


@pytest.mark.usefixtures("with_plugins")
def test_license_list_shows_every_licence_with_title_and_url():
    listed = {entry["id"]: entry for entry in call_action("license_list")}
    assert set(listed) == set(LICENCES.codes())
    etalab = listed["etalab-2.0"]
    assert etalab["title"] == "Open Licence 2.0 (Etalab)"
    assert etalab["url"] == "https://www.etalab.gouv.fr/licence-ouverte-open-licence/"
    assert etalab["title_translated"]["fr"] == "Licence Ouverte 2.0 (Etalab)"
    assert listed["cc-by-3.0-igo"]["title"].endswith("(CC BY 3.0 IGO)")


@pytest.mark.usefixtures("with_plugins", "clean_db", "clean_index")
def test_a_dataset_shows_its_licence_title_and_url(app):
    dataset = SVRCDataset(owner_org=Cluster()["id"], license_id="etalab-2.0")
    shown = call_action("package_show", id=dataset["id"])
    assert shown["license_title"] == "Open Licence 2.0 (Etalab)"
    assert shown["license_url"] == "https://www.etalab.gouv.fr/licence-ouverte-open-licence/"
    assert shown["isopen"] is True
    found = call_action("package_search", fq="license_id:etalab-2.0")["results"]
    assert [d["id"] for d in found] == [dataset["id"]]
    page = app.get(f"/dataset/{dataset['name']}").body
    assert 'href="https://www.etalab.gouv.fr/licence-ouverte-open-licence/"' in page
    assert "Open Licence 2.0 (Etalab)" in page


@pytest.mark.usefixtures("with_plugins", "clean_db", "clean_index")
@pytest.mark.parametrize("code, eu_uri", [("cc-by-3.0", "CC_BY_3_0"), ("cc-by-sa-3.0", "CC_BYSA_3_0"),
                                          ("iodl-1.0", "IODL_1_0"), ("iodl-2.0", "IODL_2_0")])
def test_the_dcat_export_gives_the_eu_uri_of_the_new_licences(code, eu_uri):
    dataset = SVRCDataset(owner_org=Cluster()["id"], license_id=code)
    serializer = RDFSerializer(profiles=["euro_dcat_ap_3", "plusresilient_svrc"])
    ref = serializer.graph_from_dataset(call_action("package_show", id=dataset["id"]))
    assert set(serializer.g.objects(ref, DCT.license)) == {
        URIRef("http://publications.europa.eu/resource/authority/licence/" + eu_uri)}
    parser = RDFParser(profiles=["euro_dcat_ap_3", "plusresilient_svrc"])
    parser.parse(serializer.g.serialize(format="turtle"), _format="turtle")
    assert [d["license_id"] for d in parser.datasets()] == [code]


@pytest.mark.usefixtures("with_plugins", "clean_db", "clean_index")
def test_the_dcat_export_of_a_licence_outside_the_eu_table_names_it_and_links_its_text():
    dataset = SVRCDataset(owner_org=Cluster()["id"], license_id="etalab-2.0")
    serializer = RDFSerializer(profiles=["euro_dcat_ap_3", "plusresilient_svrc"])
    ref = serializer.graph_from_dataset(call_action("package_show", id=dataset["id"]))
    [licence] = serializer.g.objects(ref, DCT.license)
    g = serializer.g
    assert (licence, DCT.identifier, Literal("etalab-2.0")) in g
    assert (licence, RDFS.seeAlso, URIRef("https://www.etalab.gouv.fr/licence-ouverte-open-licence/")) in g
