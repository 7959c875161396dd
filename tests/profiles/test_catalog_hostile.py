"""No value can break the published catalogue (issue 15).

A resource whose media type held ``<script>…</script>"><img …>`` made
/catalog.ttl answer 500 for everyone: rdflib refuses to write an IRI it finds
invalid, and one is enough to lose the whole serialisation. Two defences,
each tested here against the real stack:

* through the API, every field the DCAT profile publishes as a URI refuses
  what can become no URI, with a 409 naming the field; free text is stored
  as it came;
* records written before those rules (put here straight into the database)
  are still published: the profile drops what is no valid absolute IRI and
  the characters XML cannot hold.

Either way every RDF endpoint answers 200 with RDF that rdflib reads back.
"""
from __future__ import annotations

import json
from typing import Any

import pytest
from rdflib import Graph, Literal, URIRef

import ckan.plugins.toolkit as tk
from ckan import model
from ckan.lib import search
from ckan.tests import factories
from ckan.tests.helpers import call_action
from ckanext.dcat.profiles import DCAT, DCT

from ckanext.plusresilient.harvesters.mapping import REMOTE_KEY, RemoteDataset, RemoteResource, to_package
from ckanext.plusresilient.profiles import valid_uri
from tests.factories import Cluster

pytestmark = pytest.mark.usefixtures("with_plugins", "clean_db", "clean_index")

#: the value of the report
EXPLOIT = '<script>alert(document.domain)</script>"><img src=x onerror=alert(1)>'

#: values no field published as a URI may take
HOSTILE_URIS = {
    "markup": EXPLOIT,
    "markup in a URL": 'https://example.org/"><script>alert(1)</script>',
    "javascript": "javascript:alert(document.cookie)",
    "spaces and quotes": 'https://exa mple.org/ "quoted" ',
    "newline": "https://example.org/a\nb",
    "NUL": "https://example.org/a\x00b",
    "invisible": "https://example.org/a\u202eb",
    "very long": "data:text/html;base64," + "A" * 20000,
}

#: free text, stored as it came and published as literals
HOSTILE_TEXT = (EXPLOIT + " 'single' \"double\" \r\nsecond line\ttab \x01\x1b\x7f "
                "città Ελλάδα 中文 \u202eevil\u202c " + "long " * 4000 + "end")

SITE = "http://test.ckan.net"
EXTENSIONS = {"ttl": "turtle", "rdf": "xml", "jsonld": "json-ld"}


def _api(app, action: str, data: dict[str, Any], status: int) -> dict[str, Any]:
    user = factories.SysadminWithToken()
    response = app.post(tk.url_for("api.action", ver=3, logic_function=action), json=data,
                        headers={"Authorization": user["token"]}, status=status)
    return response.json


def _resource(**values: Any) -> dict[str, Any]:
    return {"url": "https://example.org/data.csv", "name": "Data", **values}


def _dataset(org: dict[str, Any], **values: Any) -> dict[str, Any]:
    return {"type": "dataset", "name": "hostile-dataset", "title": "Hostile", "notes": "n",
            "owner_org": org["id"], "license_id": "cc-by", "svrc_scenario": ["public-services"],
            "country": "IT", **values}


def _use_case(org: dict[str, Any], **values: Any) -> dict[str, Any]:
    return {"type": "use-case", "name": "hostile-use-case", "title": "Hostile", "notes": "n",
            "owner_org": org["id"], "problem": "p", "use_case_phase": ["design"],
            "svrc_scenario": ["public-services"], "country": "IT", **values}


def _training(org: dict[str, Any], **values: Any) -> dict[str, Any]:
    return {"type": "training", "name": "hostile-training", "title": "Hostile", "notes": "n",
            "owner_org": org["id"], "training_format": "webinar", "language": ["en"], **values}


#: every field of each record type that the DCAT profile publishes as a URI
#: (or as a code of a vocabulary whose concepts are URIs), and how a value goes in
URI_FIELDS: dict[str, dict[str, Any]] = {
    "dataset": {
        "url": str, "source_url": str, "uri": str, "conforms_to": lambda v: [v], "license_id": str,
        "theme": lambda v: [v], "language": lambda v: [v], "frequency": str, "access_rights": str,
    },
    "use-case": {"external_links": lambda v: [v]},
    "training": {"url": str},
}
RESOURCE_URI_FIELDS = {
    "dataset": ("url", "download_url", "format", "mimetype", "license"),
    "use-case": ("url", "format", "mimetype"),
    "training": ("url", "format", "mimetype"),
}
BUILDERS = {"dataset": _dataset, "use-case": _use_case, "training": _training}
CLUSTER_URI_FIELDS = ("website", "ris3_url", "image_url")


def _published(app, path: str) -> Graph:
    """What an RDF endpoint serves, read back by rdflib; it must be 200."""
    response = app.get(path)
    assert response.status_code == 200, f"{path}: HTTP {response.status_code}"
    graph = Graph().parse(data=response.get_data(as_text=True), format=EXTENSIONS[path.rsplit(".", 1)[1]])
    invalid = {str(node)[:80] for triple in graph for node in triple
               if isinstance(node, URIRef) and not valid_uri(str(node))}
    assert not invalid, f"{path} publishes invalid IRIs: {invalid}"
    return graph


def _every_endpoint(app, records: list[dict[str, Any]]) -> dict[str, Graph]:
    paths = [f"/catalog.{ext}" for ext in EXTENSIONS]
    paths += [f"/dataset/{record['id']}.{ext}" for record in records for ext in EXTENSIONS]
    return {path: _published(app, path) for path in paths}


# -- through the API ------------------------------------------------------------------------

@pytest.mark.parametrize("record_type", BUILDERS)
def test_every_uri_field_refuses_what_can_become_no_uri(app, record_type):
    org = Cluster()
    for name, hostile in HOSTILE_URIS.items():
        fields = {field: put(hostile) for field, put in URI_FIELDS[record_type].items()}
        resource = {field: hostile for field in RESOURCE_URI_FIELDS[record_type]}
        record = BUILDERS[record_type](org, resources=[resource], **fields)

        error = _api(app, "package_create", record, status=409)["error"]

        assert error["__type"] == "Validation Error"
        assert set(fields) <= set(error), (name, error)
        assert set(resource) <= set(error["resources"][0]), (name, error["resources"])
        messages = [m for field in fields for m in error[field]]
        messages += [m for field in resource for m in error["resources"][0][field]]
        assert all(len(message) < 2000 for message in messages), f"{name}: echoed back whole"


def test_every_uri_field_of_a_cluster_refuses_what_can_become_no_uri(app):
    for name, hostile in HOSTILE_URIS.items():
        cluster = {"name": "hostile-cluster", "title": "Hostile", "country": "IT",
                   **{field: hostile for field in CLUSTER_URI_FIELDS}}

        error = _api(app, "organization_create", cluster, status=409)["error"]

        assert set(CLUSTER_URI_FIELDS) <= set(error), (name, error)


@pytest.mark.parametrize("field", ["mimetype", "format"])
@pytest.mark.parametrize("record_type", BUILDERS)
def test_the_reported_value_gets_a_409_from_resource_create_and_package_update(
        app, sysadmin_context, record_type, field):
    record = call_action("package_create", dict(sysadmin_context),
                         **BUILDERS[record_type](Cluster(), resources=[_resource(format="CSV")]))

    error = _api(app, "resource_create", _resource(package_id=record["id"], **{field: EXPLOIT}),
                 status=409)["error"]
    assert field in error, error
    assert "is not a" in error[field][0]

    record["resources"][0][field] = EXPLOIT
    error = _api(app, "package_update", record, status=409)["error"]
    assert field in error["resources"][0], error

    # nothing was stored, and the catalogue is served
    assert call_action("package_show", id=record["id"])["resources"][0].get(field) != EXPLOIT
    _published(app, "/catalog.ttl")


def test_free_text_is_stored_as_it_came_and_published_as_literals(app):
    org = _api(app, "organization_create", {
        "name": "hostile-text-cluster", "title": HOSTILE_TEXT, "description": HOSTILE_TEXT,
        "country": "IT", "members_business": [HOSTILE_TEXT, "Coop <b>"],
    }, status=200)["result"]
    # values that are no URL and still what CKAN and its formats take
    resource = _resource(name=HOSTILE_TEXT, description=HOSTILE_TEXT, format="Open data (zip)",
                         url="città dati.csv")
    records = [
        _api(app, "package_create", _dataset(
            org, title=HOSTILE_TEXT, notes=HOSTILE_TEXT, source_portal=HOSTILE_TEXT,
            source_identifier=HOSTILE_TEXT, contact=[{"name": HOSTILE_TEXT, "email": ""}],
            url="https://example.org/città/some file.csv", resources=[resource]), status=200)["result"],
        _api(app, "package_create", _use_case(
            org, title=HOSTILE_TEXT, notes=HOSTILE_TEXT, problem=HOSTILE_TEXT, outcome=HOSTILE_TEXT,
            resources=[resource]), status=200)["result"],
        _api(app, "package_create", _training(
            org, title=HOSTILE_TEXT, notes=HOSTILE_TEXT, resources=[resource]), status=200)["result"],
    ]
    for record in records:
        assert call_action("package_show", id=record["id"])["title"] == HOSTILE_TEXT

    graphs = _every_endpoint(app, records)

    # the markup, quotes, newlines and letters are all there, as text; only
    # what XML 1.0 cannot hold (here \x01 and \x1b) is left out, and an XML
    # parser reads a line break \r\n as \n
    published = HOSTILE_TEXT.replace("\x01", "").replace("\x1b", "").replace("\r", "")
    for path, graph in graphs.items():
        for record in records:
            if path.startswith("/catalog") or record["id"] in path:
                ref = URIRef(f"{SITE}/dataset/{record['id']}")
                titles = [str(title).replace("\r", "") for title in graph.objects(ref, DCT.title)]
                assert titles == [published], path


@pytest.mark.parametrize("unstorable", ["a\x00b", "a\ud800b"], ids=["NUL", "lone surrogate"])
@pytest.mark.parametrize("record_type", BUILDERS)
def test_text_postgresql_cannot_store_is_a_409_naming_the_field_not_a_500(app, record_type, unstorable):
    record = BUILDERS[record_type](Cluster(), title=unstorable, notes=unstorable,
                                   resources=[_resource(name=unstorable)])

    error = _api(app, "package_create", record, status=409)["error"]

    assert {"title", "notes"} <= set(error), error
    assert "cannot be stored" in error["title"][0]
    assert "name" in error["resources"][0], error


def test_cluster_text_postgresql_cannot_store_is_a_409_naming_the_field(app):
    error = _api(app, "organization_create", {"name": "nul-cluster", "title": "a\x00b",
                                              "description": "a\ud800b"}, status=409)["error"]
    assert {"title", "description"} <= set(error), error


@pytest.mark.parametrize("field", ["issued", "modified", "temporal_start", "temporal_end"])
def test_a_date_too_large_for_ckan_is_a_409_not_a_500(app, field):
    error = _api(app, "package_create", _dataset(Cluster(), **{field: "9" * 20}), status=409)["error"]
    assert "is not a date CKAN can hold" in error[field][0], error


# -- harvested -----------------------------------------------------------------------------

def test_a_harvested_odd_format_or_media_type_is_dropped_not_the_dataset(sysadmin_context):
    remote = RemoteDataset(
        identifier="https://portal.example/dataset/odd", remote_id="odd", title="Odd formats",
        resources=[
            RemoteResource(url="https://portal.example/a.csv", format=EXPLOIT, mimetype="text/csv"),
            RemoteResource(url="https://portal.example/b.json", format="JSON",
                           mimetype="application/json; x=<script>"),
        ])
    package = to_package(remote, {"country": "IT", "portal": "Example"})
    for resource in package["resources"]:
        resource.pop(REMOTE_KEY, None)

    created = call_action("package_create", dict(sysadmin_context), owner_org=Cluster()["id"],
                          name="odd-formats", **package)

    a, b = created["resources"]
    assert (a["format"], a["mimetype"]) == ("CSV", "text/csv")  # CKAN's guess from the URL
    assert (b["format"], b.get("mimetype")) == ("JSON", None)


# -- older data, written before these rules ------------------------------------------------

def _set_extras(record: model.Package | model.Group, **values: Any) -> None:
    for key, value in values.items():
        record.extras[key] = value if isinstance(value, str) else json.dumps(value)


def test_older_data_cannot_break_the_catalogue(app, sysadmin_context):
    """Every URI field of every record type holding what the API refuses
    today, written straight into the database as older versions took it."""
    org = Cluster()
    context = dict(sysadmin_context)
    dataset = call_action("package_create", dict(context), **_dataset(org, resources=[
        _resource(format="CSV", mimetype="text/csv"), _resource(name="Second", format="JSON")]))
    use_case = call_action("package_create", dict(context), **_use_case(org, resources=[_resource()]))
    training = call_action("package_create", dict(context), **_training(org, resources=[_resource()]))

    package = model.Package.get(dataset["id"])
    package.url = EXPLOIT
    package.license_id = EXPLOIT
    package.title = "Old \x01 dataset"
    _set_extras(package, source_url="javascript:alert(1)",
                conforms_to=["https://example.org/a\nb", EXPLOIT, "https://example.org/spec"],
                theme=[EXPLOIT], frequency=EXPLOIT, access_rights=EXPLOIT,
                uri=EXPLOIT,  # the dataset's identity in DCAT (an extra any client could set)
                contact_uri="https://example.org/\x01", publisher_uri="javascript:alert(1)",
                documentation=["https://example.org/doc\x02"])
    first, second = sorted(package.resources, key=lambda r: r.position)
    first.url, first.format, first.mimetype = "javascript:alert(1)", EXPLOIT, EXPLOIT
    first.extras = {**(first.extras or {}), "license": EXPLOIT, "uri": EXPLOIT,
                    "download_url": "https://example.org/\x01", "access_url": "https://exa mple.org/\n"}
    second.format, second.mimetype = "csv / xlsx", None  # a "/": the euro profile's media type

    case = model.Package.get(use_case["id"])
    case.title = "Old \x0b use case"
    _set_extras(case, external_links=[EXPLOIT, "https://example.org/ok"])
    case.resources[0].format = EXPLOIT

    material = model.Package.get(training["id"])
    material.url = "https://example.org/a b\x01"
    material.resources[0].mimetype = EXPLOIT

    group = model.Group.get(org["id"])
    group.title = "Old \x01 cluster <b>"
    group.image_url = "javascript:alert(1)"
    _set_extras(group, website=EXPLOIT, ris3_url="javascript:alert(1)")
    model.repo.commit()
    for record in (dataset, use_case, training):
        search.rebuild(record["id"])

    graphs = _every_endpoint(app, [dataset, use_case, training])

    ref = URIRef(f"{SITE}/dataset/{dataset['id']}")  # the portal's own URI replaces the bad one
    for path in ("/catalog.ttl", "/catalog.rdf", "/catalog.jsonld", f"/dataset/{dataset['id']}.ttl"):
        graph = graphs[path]
        assert (ref, DCT.title, Literal("Old  dataset")) in graph, path
        # what was valid is still published
        assert (ref, DCT.conformsTo, URIRef("https://example.org/spec")) in graph, path
        assert len(list(graph.objects(ref, DCAT.distribution))) == 2, path
        assert not list(graph.objects(ref, DCAT.landingPage)), path
    catalog = graphs["/catalog.ttl"]
    for record in (dataset, use_case, training):
        assert (None, DCAT.dataset, URIRef(f"{SITE}/dataset/{record['id']}")) in catalog
    assert not [node for triple in catalog for node in triple if isinstance(node, URIRef)
                and any(mark in node.lower() for mark in ("<script", "%3cscript", "javascript:"))]
