"""The DCAT-AP 3 profile of the SVRC schema (``plusresilient_svrc``).

Real stack: records are created with package_create, serialised and parsed
with ckanext-dcat's own processors and served by its RDF endpoint.
"""
from __future__ import annotations

import json
from typing import Any, Callable

import pytest
from rdflib import BNode, Graph, Literal, URIRef
from rdflib.namespace import RDF, RDFS, XSD

from ckan.tests.helpers import call_action
from ckanext.dcat.processors import RDFParser, RDFSerializer
from ckanext.dcat.profiles import DCAT, DCT, SKOS

from ckanext.plusresilient import vocabularies
from ckanext.plusresilient.profiles import SVRC, svrc_term_uri
from tests.factories import Cluster

pytestmark = pytest.mark.usefixtures("with_plugins", "clean_db", "clean_index")

PROFILES = ["euro_dcat_ap_3", "plusresilient_svrc"]

EU = "http://publications.europa.eu/resource/authority/"
NUTS = "http://data.europa.eu/nuts/code/"
IANA = "https://www.iana.org/assignments/media-types/"

TABLE_SCHEMA = {
    "fields": [
        {"name": "cooperative", "type": "string", "title": "Cooperativa sociale"},
        {"name": "members", "type": "integer", "constraints": {"minimum": 0}},
        {"name": "registered", "type": "date"},
    ],
    "primaryKey": ["cooperative"],
}


def _full_dataset(context: dict[str, Any], org: dict[str, Any], name: str,
                  **overrides: Any) -> dict[str, Any]:
    """A dataset with every field of schemas/dataset.yaml filled.

    The second resource has no licence of its own (it inherits the
    dataset's), the first one a different licence, so both cases of the
    distribution licence are exercised.
    """
    data: dict[str, Any] = dict(
        type="dataset",
        name=name,
        title="Cooperative sociali iscritte all'albo regionale del Veneto",
        notes="Register of the social cooperatives of Veneto, **updated yearly**.",
        tag_string="social economy,cooperatives",
        owner_org=org["id"],
        contact=[
            {"name": "Ufficio statistica", "email": "statistica@example.org"},
            {"name": "Open data desk", "email": "opendata@example.org"},
        ],
        license_id="cc-by",
        theme=["SOCI", "ECON"],
        svrc_scenario=["public-services", "social-smes"],
        si_area=["social-entrepreneurship", "quality-employment"],
        od_category=["employment", "business"],
        helix_actor=["public-administration", "civil-society"],
        country="IT",
        region="ITH3",
        temporal_start="2019-01-01",
        temporal_end="2023-12-31",
        frequency="ANNUAL",
        language=["it", "en"],
        issued="2024-01-15",
        modified="2024-06-30",
        access_rights="PUBLIC",
        conforms_to=["https://www.w3.org/TR/tabular-data-primer/",
                     "https://specs.frictionlessdata.io/table-schema/"],
        url="https://example.org/veneto/cooperative-sociali",
        resources=[
            {
                "url": "https://example.org/veneto/cooperative-sociali.csv",
                "name": "Register, 2024 edition",
                "description": "One row per cooperative.",
                "format": "CSV",
                "mimetype": "text/csv",
                "size": 48213,
                "license": "odc-odbl",
                "rights": "Reuse with attribution to the Veneto Region.",
                "schema": TABLE_SCHEMA,
            },
            {
                "url": "https://example.org/veneto/cooperative-sociali.json",
                "name": "Register, JSON",
                "format": "JSON",
            },
        ],
    )
    data.update(overrides)
    return call_action("package_create", context=dict(context), **data)


# --------------------------------------------------------------------------- #
# The table of fields: how each one is compared between two dataset dicts.
# Every field of the schema is listed, so a field the profile drops fails.
# --------------------------------------------------------------------------- #

def _same(value: Any) -> Any:
    return value


def _as_set(value: Any) -> Any:
    return sorted(value or []) if isinstance(value, list) else value


def _tags(dataset: dict[str, Any]) -> list[str]:
    return sorted(tag["name"] for tag in dataset.get("tags", []))


def _contacts(value: Any) -> list[tuple[str, str]]:
    return sorted((item.get("name", ""), item.get("email", "")) for item in value or [])


# field -> (how to read it from a dataset dict, how to normalise the value)
DATASET_FIELDS: dict[str, tuple[Callable[[dict[str, Any]], Any], Callable[[Any], Any]]] = {
    "title": (lambda d: d.get("title"), _same),
    "notes": (lambda d: d.get("notes"), _same),
    # tag_string is the form's view of the tags: compare the tags
    "tag_string": (_tags, _same),
    "owner_org": (lambda d: d.get("owner_org"), _same),
    "contact": (lambda d: d.get("contact"), _contacts),
    "license_id": (lambda d: d.get("license_id"), _same),
    # coded lists are stored in vocabulary order: compared as lists
    "theme": (lambda d: d.get("theme"), _same),
    "svrc_scenario": (lambda d: d.get("svrc_scenario"), _same),
    "si_area": (lambda d: d.get("si_area"), _same),
    "od_category": (lambda d: d.get("od_category"), _same),
    "helix_actor": (lambda d: d.get("helix_actor"), _same),
    "country": (lambda d: d.get("country"), _same),
    "region": (lambda d: d.get("region"), _same),
    "temporal_start": (lambda d: d.get("temporal_start"), _same),
    "temporal_end": (lambda d: d.get("temporal_end"), _same),
    "frequency": (lambda d: d.get("frequency"), _same),
    "language": (lambda d: d.get("language"), _same),
    "issued": (lambda d: d.get("issued"), _same),
    "modified": (lambda d: d.get("modified"), _same),
    "access_rights": (lambda d: d.get("access_rights"), _same),
    # RDF has no order between several values of a property
    "conforms_to": (lambda d: d.get("conforms_to"), _as_set),
    "url": (lambda d: d.get("url"), _same),
}

# Fields that are not metadata and so have no DCAT counterpart.
NOT_IN_RDF = {
    # the URL slug is local to a portal; DCAT identifies the dataset by its
    # URI (and dct:identifier), and a harvester chooses its own slug
    "name": "local URL slug",
    # harvest bookkeeping: where this portal got the record; the record's own
    # identity travels as its dataset URI
    "source_portal": "harvest provenance",
    "source_url": "harvest provenance",
    "source_identifier": "harvest provenance",
    # not a property: the dataset node itself, for a harvested dataset the
    # URI its source published (tests/harvesters/test_dataset_uri.py)
    "uri": "the dataset's node",
}

# download_url: no value in the fixture yet; ckanext-dcat's parser makes the
# resource's url the dcat:downloadURL when there is one, so a download URL
# different from the url does not round-trip.
RESOURCE_FIELDS = ("url", "download_url", "name", "description", "format", "mimetype", "size",
                   "license", "rights", "schema")


def _dataset_values(dataset: dict[str, Any]) -> dict[str, Any]:
    return {field: normalise(read(dataset)) for field, (read, normalise) in DATASET_FIELDS.items()}


def _resource_values(dataset: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Resources by name (a graph has no order between distributions)."""
    values = {}
    for resource in dataset.get("resources", []):
        values[resource["name"]] = {
            field: resource.get(field) or None for field in RESOURCE_FIELDS
        }
    return values


def _assert_same_record(expected: dict[str, Any], actual: dict[str, Any]) -> None:
    wanted, got = _dataset_values(expected), _dataset_values(actual)
    differences = {
        field: (wanted[field], got[field]) for field in DATASET_FIELDS if wanted[field] != got[field]
    }
    assert not differences, f"fields that did not round-trip (expected, got): {differences}"
    assert _resource_values(actual) == _resource_values(expected)


def _serialise(dataset: dict[str, Any], _format: str) -> str:
    return RDFSerializer(profiles=PROFILES).serialize_dataset(dataset, _format=_format)


def _parse(data: str, _format: str) -> list[dict[str, Any]]:
    parser = RDFParser(profiles=PROFILES)
    parser.parse(data, _format=_format)
    return list(parser.datasets())


def _graph(dataset: dict[str, Any]) -> tuple[Graph, URIRef]:
    serializer = RDFSerializer(profiles=PROFILES)
    ref = serializer.graph_from_dataset(dataset)
    return serializer.g, ref


def _distribution(graph: Graph, dataset_ref: URIRef, title: str) -> URIRef:
    for distribution in graph.objects(dataset_ref, DCAT.distribution):
        if (distribution, DCT.title, Literal(title)) in graph:
            return distribution
    raise AssertionError(f"no distribution titled {title!r}")


# --------------------------------------------------------------------------- #


def test_the_field_table_covers_the_whole_schema():
    schema = call_action("scheming_dataset_schema_show", type="dataset")
    dataset_fields = {field["field_name"] for field in schema["dataset_fields"]}
    resource_fields = {field["field_name"] for field in schema["resource_fields"]}

    assert dataset_fields == set(DATASET_FIELDS) | set(NOT_IN_RDF)
    assert resource_fields == set(RESOURCE_FIELDS)


@pytest.mark.parametrize("_format", ["turtle", "xml"])
def test_every_field_round_trips_and_the_parsed_dict_creates_the_same_dataset(
    sysadmin_context, _format
):
    org = Cluster()
    original = _full_dataset(sysadmin_context, org, "cooperative-sociali-veneto")
    # the dataset is complete: an empty field would round-trip trivially
    assert all(value not in (None, "", []) for value in _dataset_values(original).values())

    [parsed] = _parse(_serialise(original, _format), _format)

    _assert_same_record(original, parsed)
    # scheming mode: codes at the top level, lists and strings, no leftovers
    assert isinstance(parsed["theme"], list) and isinstance(parsed["frequency"], str)
    assert isinstance(parsed["conforms_to"], list)
    owned = set(DATASET_FIELDS) | {"spatial_uri", "spatial_text", "publisher_uri", "publisher_name"}
    assert not [extra for extra in parsed.get("extras", []) if extra["key"] in owned]
    assert parsed["contact"] and all(set(c) == {"name", "email"} for c in parsed["contact"])
    inherited = next(r for r in parsed["resources"] if r["name"] == "Register, JSON")
    assert "license" not in inherited

    parsed["name"] = "cooperative-sociali-veneto-copy"
    created = call_action("package_create", context=dict(sysadmin_context), **parsed)
    shown = call_action("package_show", id=created["id"])

    assert shown["id"] != original["id"]
    _assert_same_record(original, shown)


def test_the_graph_uses_eu_authority_uris_and_no_literal_codes(sysadmin_context):
    org = Cluster()
    dataset = _full_dataset(sysadmin_context, org, "eu-uris")
    g, ds = _graph(dataset)
    csv = _distribution(g, ds, "Register, 2024 edition")
    json_distribution = _distribution(g, ds, "Register, JSON")

    expected = [
        (ds, DCAT.theme, URIRef(EU + "data-theme/SOCI")),
        (ds, DCAT.theme, URIRef(EU + "data-theme/ECON")),
        (ds, DCT.language, URIRef(EU + "language/ITA")),
        (ds, DCT.language, URIRef(EU + "language/ENG")),
        (ds, DCT.accrualPeriodicity, URIRef(EU + "frequency/ANNUAL")),
        (ds, DCT.accessRights, URIRef(EU + "access-right/PUBLIC")),
        (ds, DCT.spatial, URIRef(EU + "country/ITA")),
        (ds, DCT.spatial, URIRef(NUTS + "ITH3")),
        (ds, DCT.license, URIRef(EU + "licence/CC_BY_4_0")),
        (csv, DCT.license, URIRef(EU + "licence/ODC_BL")),
        # no licence of its own: the dataset's
        (json_distribution, DCT.license, URIRef(EU + "licence/CC_BY_4_0")),
        (csv, DCAT.mediaType, URIRef(IANA + "text/csv")),
        (URIRef(IANA + "text/csv"), RDF.type, DCT.MediaType),
        # DCAT-AP 3: dct:format is a dct:MediaTypeOrExtent, the EU file type
        (csv, DCT["format"], URIRef(EU + "file-type/CSV")),
        (json_distribution, DCT["format"], URIRef(EU + "file-type/JSON")),
        (URIRef(EU + "file-type/CSV"), RDF.type, DCT.MediaTypeOrExtent),
        # every skos:Concept has a label (the EU themes as well as ours)
        (URIRef(EU + "data-theme/SOCI"), SKOS.prefLabel, Literal("Population and society", lang="en")),
        (URIRef(EU + "data-theme/SOCI"), SKOS.prefLabel, Literal("Popolazione e società", lang="it")),
        (csv, DCAT.byteSize, Literal(48213, datatype=XSD.nonNegativeInteger)),
        (ds, SVRC.scenario, URIRef("https://w3id.org/plusresilient/svrc/scenario/public-services")),
        (ds, SVRC.scenario, URIRef("https://w3id.org/plusresilient/svrc/scenario/social-smes")),
        (ds, SVRC.socialInnovationArea,
         URIRef("https://w3id.org/plusresilient/svrc/si-area/social-entrepreneurship")),
        (ds, SVRC.openDataCategory, URIRef("https://w3id.org/plusresilient/svrc/od-category/business")),
        (ds, SVRC.helixActor, URIRef("https://w3id.org/plusresilient/svrc/helix-actor/civil-society")),
    ]
    missing = [triple for triple in expected if triple not in g]
    assert not missing

    # exactly these values, nothing else left by the euro profile
    assert set(g.objects(ds, DCT.accrualPeriodicity)) == {URIRef(EU + "frequency/ANNUAL")}
    assert set(g.objects(ds, DCT.accessRights)) == {URIRef(EU + "access-right/PUBLIC")}
    assert set(g.objects(csv, DCT.license)) == {URIRef(EU + "licence/ODC_BL")}
    assert set(g.objects(csv, DCT["format"])) == {URIRef(EU + "file-type/CSV")}
    assert len(set(g.objects(ds, DCAT.theme))) == 2
    assert len(set(g.objects(ds, DCT.language))) == 2
    assert set(g.objects(ds, DCT.spatial)) == {URIRef(EU + "country/ITA"), URIRef(NUTS + "ITH3")}

    # SVRC concepts are SKOS concepts of their scheme, with labels
    concept = URIRef("https://w3id.org/plusresilient/svrc/scenario/public-services")
    assert (concept, RDF.type, SKOS.Concept) in g
    assert (concept, SKOS.inScheme, URIRef("https://w3id.org/plusresilient/svrc/scenario")) in g
    assert (concept, SKOS.prefLabel,
            Literal("Delivery of public innovative services for new social needs", lang="en")) in g

    # the Table Schema travels verbatim as rdf:JSON
    [schema] = g.objects(csv, SVRC.tableSchema)
    assert schema.datatype == RDF.JSON
    assert json.loads(str(schema)) == TABLE_SCHEMA

    # no literal (or relative IRI) made of a code on the dataset or its
    # distributions, no literal used as a subject
    codes = {"SOCI", "ECON", "it", "en", "ANNUAL", "PUBLIC", "cc-by", "odc-odbl", "IT", "ITH3",
             "public-services", "social-smes", "social-entrepreneurship", "quality-employment",
             "employment", "business", "public-administration", "civil-society", "text/csv",
             "CSV", "JSON"}
    for subject in [ds, *g.objects(ds, DCAT.distribution)]:
        for predicate, obj in g.predicate_objects(subject):
            assert not (isinstance(obj, Literal) and str(obj) in codes), (predicate, obj)
    for subject, predicate, obj in g:
        assert not isinstance(subject, Literal), (subject, predicate, obj)
        for node in (subject, obj):
            if isinstance(node, URIRef):
                assert str(node).startswith(("http://", "https://", "mailto:")), node


def test_formats_become_eu_file_types_or_labelled_nodes_and_come_back(sysadmin_context):
    """DCAT-AP 3 wants a dct:MediaTypeOrExtent, never a literal: the EU file
    type where the format is in the table, else a node keeping the label."""
    org = Cluster()
    dataset = _full_dataset(sysadmin_context, org, "formats", resources=[
        {"url": "https://example.org/areas.geojson", "name": "Areas", "format": "GeoJSON"},
        {"url": "https://example.org/readings.bin", "name": "Readings", "format": "Sensor dump"},
    ])
    g, ds = _graph(dataset)

    areas, readings = _distribution(g, ds, "Areas"), _distribution(g, ds, "Readings")
    assert set(g.objects(areas, DCT["format"])) == {URIRef(EU + "file-type/GEOJSON")}
    [node] = g.objects(readings, DCT["format"])
    assert isinstance(node, BNode)
    assert (node, RDF.type, DCT.MediaTypeOrExtent) in g
    assert (node, RDFS.label, Literal("Sensor dump")) in g
    for _format in ("turtle", "xml"):
        [parsed] = _parse(_serialise(dataset, _format), _format)
        assert {r["name"]: r["format"] for r in parsed["resources"]} == {
            "Areas": "GeoJSON", "Readings": "Sensor dump"}


def test_a_directly_downloadable_file_keeps_its_mandatory_access_url(sysadmin_context):
    """ckanext-dcat writes no dcat:accessURL when the download URL is the
    resource's URL; DCAT-AP requires one: the same URL is both."""
    org = Cluster()
    url = "https://example.org/veneto/register.csv"
    dataset = _full_dataset(sysadmin_context, org, "downloadable", resources=[
        {"url": url, "download_url": url, "name": "Register", "format": "CSV"}])
    g, ds = _graph(dataset)

    register = _distribution(g, ds, "Register")
    assert set(g.objects(register, DCAT.accessURL)) == {URIRef(url)}
    assert set(g.objects(register, DCAT.downloadURL)) == {URIRef(url)}


def test_svrc_term_uris_come_from_the_vocabularies():
    for vocabulary_name, scheme in (("scenarios", "scenario"), ("si_areas", "si-area"),
                                    ("od_categories", "od-category"), ("helix_actors", "helix-actor")):
        for term in vocabularies.get(vocabulary_name).terms:
            assert svrc_term_uri(scheme, term) == (
                term.uri or f"https://w3id.org/plusresilient/svrc/{scheme}/{term.code}")


@pytest.mark.parametrize("extension, rdflib_format", [("ttl", "turtle"), ("rdf", "xml")])
def test_the_dcat_endpoint_serves_the_svrc_triples(app, sysadmin_context, extension, rdflib_format):
    org = Cluster()
    dataset = _full_dataset(sysadmin_context, org, "served-by-dcat")

    response = app.get(f"/dataset/{dataset['name']}.{extension}")

    assert response.status_code == 200
    g = Graph().parse(data=response.get_data(as_text=True), format=rdflib_format)
    ds = URIRef(f"http://test.ckan.net/dataset/{dataset['id']}")
    assert (ds, SVRC.scenario, URIRef("https://w3id.org/plusresilient/svrc/scenario/public-services")) in g
    assert (ds, DCAT.theme, URIRef(EU + "data-theme/SOCI")) in g
    assert (ds, DCT.spatial, URIRef(NUTS + "ITH3")) in g
    csv = _distribution(g, ds, "Register, 2024 edition")
    assert json.loads(str(next(g.objects(csv, SVRC.tableSchema)))) == TABLE_SCHEMA

    # the catalogue endpoint goes through the same profiles
    catalog = app.get(f"/catalog.{extension}")
    assert catalog.status_code == 200
    g = Graph().parse(data=catalog.get_data(as_text=True), format=rdflib_format)
    assert (ds, SVRC.scenario, URIRef("https://w3id.org/plusresilient/svrc/scenario/public-services")) in g
    [catalog_ref] = g.subjects(RDF.type, DCAT.Catalog)
    assert set(g.objects(catalog_ref, DCT.language)) == {URIRef(EU + "language/ENG")}


def test_values_without_an_eu_uri_round_trip_as_nodes_carrying_their_code(sysadmin_context):
    """Bosnia and Herzegovina's entities have no NUTS URI, other-open no EU
    licence URI: both become nodes with the code, and come back as codes."""
    org = Cluster()
    dataset = _full_dataset(sysadmin_context, org, "republika-srpska", country="BA", region="BA-SRP",
                            language=["sr", "bs"], license_id="other-open")
    g, ds = _graph(dataset)

    [location] = [node for node in g.objects(ds, DCT.spatial) if isinstance(node, BNode)]
    assert (location, RDF.type, DCT.Location) in g
    assert (location, SKOS.notation, Literal("BA-SRP")) in g
    assert (ds, DCT.spatial, URIRef(EU + "country/BIH")) in g
    [licence] = g.objects(_distribution(g, ds, "Register, JSON"), DCT.license)
    assert isinstance(licence, BNode)
    assert (licence, RDF.type, DCT.LicenseDocument) in g
    assert (licence, DCT.identifier, Literal("other-open")) in g

    for _format in ("turtle", "xml"):
        [parsed] = _parse(_serialise(dataset, _format), _format)
        assert (parsed["country"], parsed["region"]) == ("BA", "BA-SRP")
        assert parsed["language"] == dataset["language"]
        assert parsed["license_id"] == "other-open"
        assert _resource_values(parsed) == _resource_values(dataset)
        assert not [e for e in parsed.get("extras", []) if e["key"].startswith("spatial")]


# A record as dati.gov.it publishes it (DCAT-AP_IT): typed dcatapit:Dataset as
# well as dcat:Dataset, EU authority URIs for theme, frequency and language,
# the country and the NUTS region in dct:spatial, an Italian licence URI.
DATI_GOV_IT = """
@prefix dcat: <http://www.w3.org/ns/dcat#> .
@prefix dcatapit: <http://dati.gov.it/onto/dcatapit#> .
@prefix dct: <http://purl.org/dc/terms/> .
@prefix foaf: <http://xmlns.com/foaf/0.1/> .
@prefix vcard: <http://www.w3.org/2006/vcard/ns#> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .

<https://dati.veneto.it/dataset/cooperative-sociali> a dcatapit:Dataset, dcat:Dataset ;
    dct:identifier "r_veneto:cooperative-sociali" ;
    dct:title "Albo regionale delle cooperative sociali"@it ;
    dct:description "Elenco delle cooperative sociali iscritte all'albo regionale."@it ;
    dcat:keyword "cooperative"@it, "terzo settore"@it ;
    dcat:theme <http://publications.europa.eu/resource/authority/data-theme/SOCI>,
        <http://publications.europa.eu/resource/authority/data-theme/ECON> ;
    dct:accrualPeriodicity <http://publications.europa.eu/resource/authority/frequency/ANNUAL> ;
    dct:language <http://publications.europa.eu/resource/authority/language/ITA> ;
    dct:spatial <http://publications.europa.eu/resource/authority/country/ITA>,
        <http://data.europa.eu/nuts/code/ITH3> ;
    dct:issued "2019-03-01"^^xsd:date ;
    dct:modified "2024-05-20"^^xsd:date ;
    dct:rightsHolder <https://dati.veneto.it/organization/r_veneto> ;
    dct:publisher <https://dati.veneto.it/organization/r_veneto> ;
    dcat:contactPoint <https://dati.veneto.it/contact/statistica> ;
    dcat:distribution <https://dati.veneto.it/dataset/cooperative-sociali/resource/albo-csv> .

<https://dati.veneto.it/organization/r_veneto> a dcatapit:Agent, foaf:Agent ;
    dct:identifier "r_veneto" ;
    foaf:name "Regione del Veneto"@it .

<https://dati.veneto.it/contact/statistica> a dcatapit:Organization, vcard:Organization ;
    vcard:fn "Ufficio Statistica Regionale" ;
    vcard:hasEmail <mailto:statistica@regione.veneto.it> .

<https://dati.veneto.it/dataset/cooperative-sociali/resource/albo-csv>
        a dcatapit:Distribution, dcat:Distribution ;
    dct:title "Albo (CSV)"@it ;
    dct:format <http://publications.europa.eu/resource/authority/file-type/CSV> ;
    dcat:accessURL <https://dati.veneto.it/download/albo-cooperative.csv> ;
    dct:license <https://w3id.org/italia/controlled-vocabulary/licences/A21_CCBY40> .

<https://w3id.org/italia/controlled-vocabulary/licences/A21_CCBY40>
        a dcatapit:LicenseDocument, dct:LicenseDocument ;
    dct:type <http://purl.org/adms/licencetype/Attribution> ;
    foaf:name "Creative Commons Attribuzione 4.0 Internazionale (CC BY 4.0)"@it .
"""


def test_a_dcat_ap_it_record_parses_into_codes():
    [parsed] = _parse(DATI_GOV_IT, "turtle")

    assert parsed["title"] == "Albo regionale delle cooperative sociali"
    assert parsed["theme"] == ["ECON", "SOCI"]
    assert parsed["frequency"] == "ANNUAL"
    assert parsed["language"] == ["it"]
    assert parsed["country"] == "IT"
    assert parsed["region"] == "ITH3"
    # not classified by the source: no SVRC values are made up
    for field in ("svrc_scenario", "si_area", "od_category", "helix_actor", "access_rights"):
        assert field not in parsed
    # the Italian licence vocabulary is not mapped: no licence is guessed
    assert not parsed.get("license_id")
    assert not parsed["resources"][0].get("license")
    # a foreign publisher is not one of our organizations
    assert "owner_org" not in parsed
    keys = {extra["key"] for extra in parsed["extras"]}
    assert not keys & {"theme", "frequency", "language", "country", "region", "spatial_uri"}


def test_nuts_3_uris_and_literal_codes_from_other_portals_are_understood():
    turtle = """
    @prefix dcat: <http://www.w3.org/ns/dcat#> .
    @prefix dct: <http://purl.org/dc/terms/> .
    <https://example.org/dataset/1> a dcat:Dataset ;
        dct:title "Venezia" ;
        dct:spatial <https://data.europa.eu/nuts/code/ITH35/> ;
        dct:language "it" ;
        dct:accessRights [ a dct:RightsStatement ; <http://www.w3.org/2000/01/rdf-schema#label> "public" ] ;
        dcat:theme <http://publications.europa.eu/resource/authority/data-theme/SOCI>,
            <http://eurovoc.europa.eu/100141> .
    """
    [parsed] = _parse(turtle, "turtle")

    # NUTS 3 ITH35 (Venezia) lies in NUTS 2 ITH3; the country follows the region
    assert (parsed["country"], parsed["region"]) == ("IT", "ITH3")
    assert parsed["language"] == ["it"]
    assert parsed["access_rights"] == "PUBLIC"
    # a concept outside the vocabulary is dropped, not passed to validation
    assert parsed["theme"] == ["SOCI"]
