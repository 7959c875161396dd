"""Licences as each platform writes them, mapped onto the licence register.

Unit checks of ``licence_code`` with the values the MED portals really send
(udata ids, Socrata ``licenseId``s and names, OpenDataSoft names, dati.gov.it's
controlled vocabulary and licence pages, data.gouv.fr's licence documents, EU
authority URIs), then each platform's imitation portal harvested through the
real stack: the dataset gets the code, and ``license_list`` shows it with a
title and a URL.
"""
from __future__ import annotations

import pytest

from ckan.tests.helpers import call_action

from ckanext.plusresilient import vocabularies
from ckanext.plusresilient.harvesters import licences
from ckanext.plusresilient.harvesters.mapping import licence_code
from ckanext.plusresilient.harvesters.runner import run_source
from ckanext.plusresilient.demo.portals import socrata as loopback_socrata
from ckanext.plusresilient.demo.portals.ckan import CKANPortal
from ckanext.plusresilient.demo.portals.dcat import DCATPortal
from ckanext.plusresilient.demo.portals.opendatasoft import ODSPortal
from ckanext.plusresilient.demo.portals.socrata import SocrataPortal
from ckanext.plusresilient.demo.portals.udata import UdataPortal
from tests.harvesters.cases import datasets, make_source

EU = "http://publications.europa.eu/resource/authority/licence/"
IT_VOCABULARY = "https://w3id.org/italia/controlled-vocabulary/licences/"

PLATFORM_VALUES = [
    # udata (data.gouv.fr, dados.gov.pt): the ids of /api/1/datasets/licenses/
    ("fr-lo", "etalab-1.0"), ("lov2", "etalab-2.0"), ("odc-odbl", "odc-odbl"), ("cc-by", "cc-by"),
    ("cc-by-sa", "cc-by-sa"), ("cc-zero", "cc-zero"), ("odc-by", "odc-by"), ("odc-pddl", "odc-pddl"),
    ("other-at", "other-at"), ("other-pd", "other-pd"), ("other-open", "other-open"),
    ("notspecified", "notspecified"),
    # Socrata licenseId (Catalonia's analisi.transparenciacatalunya.cat sends CC_30_BY)
    ("CC_30_BY", "cc-by-3.0"), ("CC0_10", "cc-zero"), ("CC_30_BY_SA", "cc-by-sa-3.0"), ("ODBL", "odc-odbl"),
    ("PUBLIC_DOMAIN", "other-pd"), ("CC_40_BY", "cc-by"), ("CC_40_BY_SA", "cc-by-sa"), ("PDDL", "odc-pddl"),
    ("ODC_BY", "odc-by"), ("CC_40_BY_NC", "cc-nc"),
    # Socrata licence names (Discovery API) and terms links
    ("Creative Commons Attribution 3.0 Unported", "cc-by-3.0"),
    ("Creative Commons 1.0 Universal (Public Domain Dedication)", "cc-zero"),
    ("Creative Commons Attribution | Share Alike 4.0 International", "cc-by-sa"),
    ("Open Database License", "odc-odbl"), ("Public Domain", "other-pd"),
    ("http://creativecommons.org/licenses/by/3.0/legalcode", "cc-by-3.0"),
    # OpenDataSoft licence names
    ("Licence Ouverte (Etalab)", "etalab-2.0"), ("Licence Ouverte v2.0 (Etalab)", "etalab-2.0"),
    ("Open Database License (ODbL)", "odc-odbl"), ("CC BY 4.0", "cc-by"), ("CC BY-SA 4.0", "cc-by-sa"),
    ("CC0 1.0", "cc-zero"), ("Licence Ouverte / Open Licence version 2.0", "etalab-2.0"),
    # dati.gov.it: the controlled vocabulary, the licence pages
    (IT_VOCABULARY + "A21_CCBY40", "cc-by"), (IT_VOCABULARY + "A29_IODL20", "iodl-2.0"),
    (IT_VOCABULARY + "A39_IODL10", "iodl-1.0"), (IT_VOCABULARY + "A11_CCO10", "cc-zero"),
    (IT_VOCABULARY + "A23_CCBY30IT", "cc-by-3.0-it"), (IT_VOCABULARY + "A22_CCBY30", "cc-by-3.0"),
    (IT_VOCABULARY + "A310_ODBL", "odc-odbl"), (IT_VOCABULARY + "C1_Unknown", "notspecified"),
    ("https://www.dati.gov.it/content/italian-open-data-license-v20", "iodl-2.0"),
    ("http://www.dati.gov.it/content/italian-open-data-license-v20/", "iodl-2.0"),
    ("https://creativecommons.org/licenses/by/3.0/it/", "cc-by-3.0-it"),
    ("http://creativecommons.org/licenses/by/3.0/it/legalcode", "cc-by-3.0-it"),
    # data.gouv.fr licence documents
    ("https://www.etalab.gouv.fr/wp-content/uploads/2017/04/ETALAB-Licence-Ouverte-v2.0.pdf", "etalab-2.0"),
    ("https://www.etalab.gouv.fr/wp-content/uploads/2014/05/Licence_Ouverte.pdf", "etalab-1.0"),
    ("https://www.etalab.gouv.fr/licence-ouverte-open-licence", "etalab-2.0"),
    # datos.gob.es and CC ports
    ("https://creativecommons.org/licenses/by/3.0/es/", "cc-by-3.0-es"),
    ("https://creativecommons.org/licenses/by/3.0/fr/", "cc-by-3.0-fr"),
    ("https://creativecommons.org/licenses/by/3.0/igo/", "cc-by-3.0-igo"),
    ("https://creativecommons.org/licenses/by/4.0/deed.es", "cc-by"),
    # EU licence authority URIs, http or https, with or without a trailing slash
    (EU + "CC_BY_4_0", "cc-by"), (EU + "CC_BY_3_0", "cc-by-3.0"), (EU + "CC_BYSA_3_0", "cc-by-sa-3.0"),
    (EU + "IODL_1_0", "iodl-1.0"), ("https://publications.europa.eu/resource/authority/licence/IODL_2_0/", "iodl-2.0"),
    (EU + "CC0", "cc-zero"), (EU + "ODC_BL", "odc-odbl"),
    # CKAN portals' own ids
    ("CC-BY-4.0", "cc-by"), ("cc-by-4.0", "cc-by"), ("iodl-2.0", "iodl-2.0"), ("etalab-2.0", "etalab-2.0"),
    # nothing we know
    ("", "notspecified"), (None, "notspecified"), ("Licenza del Comune di Nessunluogo", "notspecified"),
]


@pytest.mark.parametrize("value, code", PLATFORM_VALUES)
def test_each_platform_value_maps_onto_the_register(value, code):
    assert licence_code(value) == code


def test_mapping_keeps_licence_code_under_its_old_name():
    assert licence_code is licences.licence_code


def test_every_code_the_mapping_gives_is_in_the_vocabulary():
    codes = set(vocabularies.get("licences").codes())
    assert {code for _, code in PLATFORM_VALUES} <= codes


def test_an_alias_naming_two_licences_is_refused():
    terms = [{"code": "a", "portal_names": ["Same Thing"]}, {"code": "b", "url": "https://x.org/same thing"},
             {"code": "c", "portal_names": ["same  thing"]}]
    with pytest.raises(ValueError, match="'same thing'.*'a'.*'c'"):
        licences.alias_index(terms)


# -- each platform through the real stack -----------------------------------------------------

pytestmark_stack = pytest.mark.usefixtures("with_plugins", "clean_db", "clean_index")


def _licence_of(title_prefix: str) -> str:
    [dataset] = [d for d in datasets() if d["title"].startswith(title_prefix)]
    return dataset["license_id"]


def _assert_listed(codes):
    listed = {entry["id"]: entry for entry in call_action("license_list")}
    for code in codes:
        assert code in listed, code
        assert listed[code]["title"], code
        if not listed[code].get("is_generic"):
            assert listed[code]["url"].startswith(("http://", "https://")), code


def _harvest(url, config, name, source_type):
    summary = run_source(make_source(url, name=name, config=config, source_type=source_type)["id"])
    assert summary.errors == 0 and not summary.gather_errors, summary
    return summary


@pytestmark_stack
def test_ckan_portal_licence_ids():
    expected = {"Aria": "cc-by", "Bilancio": "cc-by-3.0-it", "Cooperative": "odc-odbl",
                "Disoccupati": "iodl-2.0", "Edifici": "cc-by-sa"}
    with CKANPortal() as portal:
        portal.add("Aria", license_id="CC-BY-4.0")
        portal.add("Bilancio", license_id="other",
                   license_url="http://creativecommons.org/licenses/by/3.0/it/legalcode")
        portal.add("Cooperative", license_id="odc-odbl")
        portal.add("Disoccupati", license_id="other", license_url="https://www.dati.gov.it/iodl/2.0/")
        portal.add("Edifici", license_id="cc-by-sa")
        _harvest(portal.api_url, {"portal": "dati-veneto", "country": "IT", "region": "ITH3", "language": "it"},
                 "dati-veneto", "plusresilient_ckan")
    assert {prefix: _licence_of(prefix) for prefix in expected} == expected
    _assert_listed(expected.values())


@pytestmark_stack
def test_dcat_portals_licence_uris():
    expected = {"Anziani": "iodl-2.0", "Biblioteche": "iodl-1.0", "Consultori": "cc-by-3.0-it",
                "Empleo": "cc-by-3.0-es", "Escuelas": "cc-by", "Logements": "etalab-2.0",
                "Marchés": "etalab-1.0"}
    with DCATPortal("it") as italy:
        italy.add("Anziani assistiti", licence="https://www.dati.gov.it/content/italian-open-data-license-v20")
        italy.add("Biblioteche", licence=IT_VOCABULARY + "A39_IODL10")
        italy.add("Consultori", licence=IT_VOCABULARY + "A23_CCBY30IT")
        _harvest(italy.catalog_url, {"portal": "dati-gov-it", "country": "IT", "language": "it"},
                 "dati-gov-it", "plusresilient_dcat")
    with DCATPortal("es") as spain:
        spain.add("Empleo registrado", licence="https://creativecommons.org/licenses/by/3.0/es/")
        spain.add("Escuelas infantiles", licence=EU + "CC_BY_4_0")
        _harvest(spain.catalog_url, {"portal": "datos-gob-es", "country": "ES", "language": "es"},
                 "datos-gob-es", "plusresilient_dcat")
    with DCATPortal("fr") as france:
        france.add("Logements sociaux",
                   licence="https://www.etalab.gouv.fr/wp-content/uploads/2017/04/ETALAB-Licence-Ouverte-v2.0.pdf")
        france.add("Marchés publics",
                   licence="https://www.etalab.gouv.fr/wp-content/uploads/2014/05/Licence_Ouverte.pdf")
        _harvest(france.catalog_url, {"portal": "data-gouv-fr", "country": "FR", "language": "fr"},
                 "data-gouv-fr", "plusresilient_dcat")
    assert {prefix: _licence_of(prefix) for prefix in expected} == expected
    _assert_listed(expected.values())


@pytestmark_stack
def test_udata_licence_ids():
    expected = {"Aides": "etalab-1.0", "Budget": "etalab-2.0", "Crèches": "odc-odbl", "Déchets": "cc-by",
                "Écoles": "cc-zero", "Fontaines": "other-at", "Gares": "notspecified"}
    ids = ["fr-lo", "lov2", "odc-odbl", "cc-by", "cc-zero", "other-at", "notspecified"]
    with UdataPortal() as portal:
        for title, licence in zip(expected, ids):
            portal.add(title, license=licence)
        _harvest(portal.url, {"portal": "data-gouv-fr", "country": "FR", "region": "FRJ1", "language": "fr"},
                 "data-gouv-fr", "plusresilient_udata")
    assert {prefix: _licence_of(prefix) for prefix in expected} == expected
    _assert_listed(expected.values())


@pytestmark_stack
def test_opendatasoft_licence_names():
    expected = {"Aides": "etalab-2.0", "Bornes": "odc-odbl", "Collèges": "cc-by", "Déchetteries": "cc-by-sa"}
    with ODSPortal() as portal:
        portal.add("Aides sociales", license="Licence Ouverte (Etalab)", license_url=None)
        portal.add("Bornes de recharge", license="Open Database License (ODbL)",
                   license_url="http://opendatacommons.org/licenses/odbl/")
        portal.add("Collèges", license="CC BY 4.0", license_url=None)
        portal.add("Déchetteries", license="CC BY-SA 4.0", license_url=None)
        _harvest(portal.portal_url, {"portal": "data-iledefrance", "country": "FR", "region": "FR10", "language": "fr"},
                 "data-iledefrance", "plusresilient_ods")
    assert {prefix: _licence_of(prefix) for prefix in expected} == expected
    _assert_listed(expected.values())


SOCRATA_LICENCES = {  # the ids, names and terms links of Socrata's licence list
    "CC_30_BY": ("Creative Commons Attribution 3.0 Unported",
                 "http://creativecommons.org/licenses/by/3.0/legalcode"),
    "CC_30_BY_SA": ("Creative Commons Attribution | Share Alike 3.0 Unported",
                    "http://creativecommons.org/licenses/by-sa/3.0/legalcode"),
    "ODBL": ("Open Database License", "http://opendatacommons.org/licenses/odbl/1.0/"),
}


@pytestmark_stack
@pytest.mark.parametrize("catalog", [True, False], ids=["discovery-api", "views"])
def test_socrata_licence_ids_and_names(monkeypatch, catalog):
    for licence_id, name_and_terms in SOCRATA_LICENCES.items():
        monkeypatch.setitem(loopback_socrata.LICENCES, licence_id, name_and_terms)
    expected = {"Atur": "cc-by-3.0", "Biblioteques": "cc-zero", "Cooperatives": "cc-by-sa-3.0",
                "Deixalleries": "odc-odbl", "Escoles": "cc-by"}
    ids = ["CC_30_BY", "CC0_10", "CC_30_BY_SA", "ODBL", "CC_40_BY"]
    with SocrataPortal(catalog=catalog) as portal:
        for title, licence in zip(expected, ids):
            portal.add(title, category="Treball", licence=licence)
        _harvest(portal.url, {"portal": "transparencia-catalunya", "country": "ES", "region": "ES51",
                              "language": "ca"}, "transparencia-catalunya", "plusresilient_socrata")
    assert {prefix: _licence_of(prefix) for prefix in expected} == expected
    _assert_listed(expected.values())
