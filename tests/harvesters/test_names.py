"""The URL names of harvested datasets: readable ASCII from any script the
network publishes in, and a remote identifier (never a counter) when the
name is taken. The harvests run each platform's imitation portal through the
real stack."""
from __future__ import annotations

import hashlib
import re

import pytest

from ckan import model
from ckan.tests.helpers import call_action

from ckanext.plusresilient.harvesters.names import MAX_LENGTH, new_dataset_name, readable_slug
from ckanext.plusresilient.harvesters.runner import run_source
from ckanext.plusresilient.demo.portals.ckan import CKANPortal
from ckanext.plusresilient.demo.portals.dcat import DCATPortal
from ckanext.plusresilient.demo.portals.opendatasoft import ODSPortal
from ckanext.plusresilient.demo.portals.socrata import SocrataPortal
from ckanext.plusresilient.demo.portals.udata import UdataPortal
from tests.factories import SVRCDataset
from tests.harvesters.cases import make_source

CKAN_NAME = re.compile(r"^[a-z0-9_-]{2,100}$")

#: title -> the name it must get (one per script and language of the network)
TITLES = {
    "Registrirana brezposelnost po občinah": "registrirana-brezposelnost-po-obcinah",   # Slovene
    "Prometne nesreće na državnih cestama": "prometne-nesrece-na-drzavnih-cestama",     # Croatian
    "Στατιστικά τουρισμού Κύπρου": "statistika-tourismou-kyprou",                     # Greek (Cyprus)
    "Ανεργία ανά δήμο 2023": "anergia-ana-dimo-2023",                                  # Greek
    "Туристички промет у Жабљаку": "turistichki-promet-u-zhabljaku",                   # Montenegrin Cyrillic
    "Стопа незапослености по општинама": "stopa-nezaposlenosti-po-opshtinama",         # Serbian Cyrillic
    "Регистрирана невработеност во Скопје": "registrirana-nevrabotenost-vo-skopje",    # Macedonian
}


# -- the slug alone (no database) ----------------------------------------------------------

@pytest.mark.parametrize("title, name", [
    *TITLES.items(),
    ("Đačke stipendije u Čakovcu – Šibenik", "dacke-stipendije-u-cakovcu-sibenik"),
    ("Ђачке стипендије у Нишу", "djachke-stipendije-u-nishu"),
    ("Ѓорче Петров – ќерамиди, ѕвезди, џамии", "gorche-petrov-keramidi-dzvezdi-dzhamii"),
    ("Οδική ασφάλεια στη Λευκωσία – Ευρώπη", "odiki-asfaleia-sti-lefkosia-evropi"),
    ("Ελληνική Στατιστική Αρχή (ΕΛΣΤΑΤ)", "elliniki-statistiki-archi-elstat"),
    ("Qualità dell’aria: PM₁₀ e NO₂", "qualita-dell-aria-pm10-e-no2"),
    ("Población en riesgo de pobreza (AROPE) — Señorío", "poblacion-en-riesgo-de-pobreza-arope-senorio"),
    ("Straße, Größe & Łódź", "strasse-grosse-lodz"),
])
def test_titles_in_every_script_give_readable_ascii(title, name):
    assert readable_slug(title) == name


def test_a_long_title_is_cut_at_a_word_within_ckan_s_limit():
    title = "Indicatori " + " ".join(["della coesione sociale"] * 10)
    slug = readable_slug(title)
    assert len(slug) <= MAX_LENGTH and CKAN_NAME.match(slug)
    assert title.lower().replace(" ", "-").startswith(slug)          # whole words only
    assert readable_slug("x" * 150) == "x" * MAX_LENGTH               # one endless word is cut


def test_a_title_with_nothing_to_read_gives_nothing():
    assert readable_slug("") == readable_slug(None) == readable_slug(" – ( ) ") == ""


# -- against the database ------------------------------------------------------------------

@pytest.mark.usefixtures("with_plugins", "clean_db")
class TestTakenNames:
    def test_a_free_name_is_the_title(self):
        assert new_dataset_name("Ανεργία ανά δήμο 2023", "a1", "https://x.gr/d/1") == "anergia-ana-dimo-2023"

    def test_a_taken_name_gets_the_remote_id(self):
        SVRCDataset(name="anergia-ana-dimo-2023")
        assert new_dataset_name("Ανεργία ανά δήμο 2023", "ab12-cd34", "https://x.gr/d/1") \
            == "anergia-ana-dimo-2023-ab12-cd34"

    def test_a_deleted_dataset_s_name_is_taken_too(self, sysadmin_context):
        """package.name is unique whatever the state: CKAN's validator would
        let the name through and the database would refuse it."""
        dataset = SVRCDataset(name="asili-nido")
        call_action("package_delete", sysadmin_context, id=dataset["id"])
        assert new_dataset_name("Asili nido", "2b7c", "https://x.it/d/2b7c") == "asili-nido-2b7c"

    def test_a_harvest_source_s_name_is_taken(self):
        """Sources are packages too: a dataset titled like its source."""
        make_source("http://example.org/catalog", name="dati-veneto", config={})
        assert new_dataset_name("Dati Veneto", "r_veneto:1", "urn:1") == "dati-veneto-r-veneto-1"

    def test_a_uri_remote_id_gives_its_last_segment(self):
        SVRCDataset(name="bandi-di-gara")
        assert new_dataset_name("Bandi di gara", "https://dati.veneto.it/dataset/bandi-2024/",
                                "https://dati.veneto.it/dataset/bandi-2024/") == "bandi-di-gara-bandi-2024"

    def test_without_a_usable_remote_id_a_digest_of_the_identity(self):
        """The remote id is the title's own slug (OpenDataSoft's dataset ids
        are), or missing: a short stable digest of the global identity."""
        SVRCDataset(name="tiers-lieux-en-occitanie")
        digest = hashlib.sha256(b"ods:data.laregion.fr:tiers-lieux-en-occitanie").hexdigest()[:8]
        name = new_dataset_name("Tiers-lieux en Occitanie", "tiers-lieux-en-occitanie",
                                "ods:data.laregion.fr:tiers-lieux-en-occitanie")
        assert name == f"tiers-lieux-en-occitanie-{digest}"
        assert new_dataset_name("Tiers-lieux en Occitanie", "",
                                "ods:data.laregion.fr:tiers-lieux-en-occitanie") == name

    def test_when_the_title_and_the_remote_id_are_taken_the_digest_decides(self):
        SVRCDataset(name="asili-nido")
        SVRCDataset(name="asili-nido-42")
        name = new_dataset_name("Asili nido", "42", "https://b.example.org/42")
        assert name == "asili-nido-" + hashlib.sha256(b"https://b.example.org/42").hexdigest()[:8]

    def test_a_title_without_letters_is_named_after_the_remote_id(self):
        assert new_dataset_name("", "ab12-cd34", "urn:x") == "ab12-cd34"
        assert new_dataset_name("( )", "", "urn:x") == "dataset-" + hashlib.sha256(b"urn:x").hexdigest()[:8]

    def test_names_ckan_refuses_anyway_are_not_offered(self):
        assert new_dataset_name("New", "7", "urn:7") == "new-7"

    def test_a_long_title_and_a_long_remote_id_fit(self):
        SVRCDataset(name=readable_slug("Servizi " * 30))
        name = new_dataset_name("Servizi " * 30, "a1b2c3d4-0000-1111-2222-333344445555", "urn:9")
        assert CKAN_NAME.match(name) and name.endswith("-a1b2c3d4-0000-1111-2222-333344445555")


# -- harvested through each platform -----------------------------------------------------

DUPLICATE = "Οδική ασφάλεια στη Λευκωσία"


def _harvest_ckan():
    with CKANPortal() as portal:
        for number, title in enumerate(TITLES):
            portal.add(title, name=f"d{number}")
        first, second = portal.add(DUPLICATE, name="road-1"), portal.add(DUPLICATE, name="road-2")
        source = make_source(portal.api_url, name="ckan-names", config={"country": "CY"})
        return run_source(source["id"]), [first["id"], second["id"]]


def _harvest_dcat():
    with DCATPortal("it", page_size=4) as portal:
        for number, title in enumerate(TITLES):
            portal.add(title, slug=f"d{number}", title_en=title)
        portal.add(DUPLICATE, slug="road-safety-2022", title_en=DUPLICATE)
        portal.add(DUPLICATE, slug="road-safety-2023", title_en=DUPLICATE)
        source = make_source(portal.catalog_url, name="dcat-names", config={"country": "CY"},
                             source_type="plusresilient_dcat")
        return run_source(source["id"]), ["r-veneto-road-safety-2022", "r-veneto-road-safety-2023"]


def _harvest_udata():
    with UdataPortal() as portal:
        for number, title in enumerate(TITLES):
            portal.add(title, slug=f"jeu-{number}")
        first = portal.add(DUPLICATE, slug="securite-1")
        second = portal.add(DUPLICATE, slug="securite-2")
        source = make_source(portal.url, name="udata-names", config={"country": "CY"},
                             source_type="plusresilient_udata")
        return run_source(source["id"]), [first["id"], second["id"]]


def _harvest_ods():
    with ODSPortal() as portal:
        for number, title in enumerate(TITLES):
            portal.add(title, dataset_id=f"jeu-{number}")
        portal.add(DUPLICATE, dataset_id="securite-routiere-2022")
        portal.add(DUPLICATE, dataset_id="securite-routiere-2023")
        source = make_source(portal.portal_url, name="ods-names", config={"country": "CY"},
                             source_type="plusresilient_ods")
        return run_source(source["id"]), ["securite-routiere-2022", "securite-routiere-2023"]


def _harvest_socrata():
    with SocrataPortal() as portal:
        for title in TITLES:
            portal.add(title)
        first, second = portal.add(DUPLICATE), portal.add(DUPLICATE)
        source = make_source(portal.url, name="socrata-names", config={"country": "CY"},
                             source_type="plusresilient_socrata")
        return run_source(source["id"]), [first["id"], second["id"]]


@pytest.mark.usefixtures("with_plugins", "clean_db", "clean_index")
@pytest.mark.parametrize("harvest", [_harvest_ckan, _harvest_dcat, _harvest_udata, _harvest_ods,
                                     _harvest_socrata], ids=["ckan", "dcat", "udata", "ods", "socrata"])
def test_harvested_titles_give_readable_names_and_same_titles_distinct_ones(harvest):
    summary, duplicate_ids = harvest()

    assert (summary.created, summary.errors) == (len(TITLES) + 2, 0), summary
    names = {title: sorted(name for (name,) in model.Session.query(model.Package.name).filter(
        model.Package.title == title, model.Package.type == "dataset")) for title in [*TITLES, DUPLICATE]}
    for title, name in TITLES.items():
        assert names[title] == [name], title
    base = readable_slug(DUPLICATE)
    suffixes = sorted(readable_slug(remote_id) for remote_id in duplicate_ids)
    assert names[DUPLICATE] in ([base, f"{base}-{suffixes[0]}"], [base, f"{base}-{suffixes[1]}"]), names
    for title, found in names.items():
        for name in found:   # the stock naming gave "__", "__1", "name1"
            assert CKAN_NAME.match(name) and not re.fullmatch(rf"{readable_slug(title)}_*\d+", name), name


@pytest.mark.usefixtures("with_plugins", "clean_db", "clean_index")
def test_a_dataset_keeps_its_name_when_its_title_changes_upstream():
    with CKANPortal() as portal:
        package = portal.add("Ανεργία ανά δήμο 2023", name="anergia")
        source = make_source(portal.api_url, name="ckan-renamed", config={"country": "EL"})
        run_source(source["id"])
        package["title"] = "Ανεργία ανά δήμο 2024"
        package["metadata_modified"] = "2099-01-01T00:00:00.000000"
        summary = run_source(source["id"])

    assert summary.updated == 1, summary
    dataset = model.Session.query(model.Package).filter_by(type="dataset").one()
    assert (dataset.title, dataset.name) == ("Ανεργία ανά δήμο 2024", "anergia-ana-dimo-2023")
