"""DCAT-AP catalogues in RDF: dati.gov.it's ``catalog.rdf`` (DCAT-AP_IT),
datos.gob.es (DCAT-AP-ES), data.gouv.fr's ``catalog`` (hydra paging), any
ckanext-dcat endpoint (``/catalog.ttl``, ``/catalog.rdf``, ``/catalog.jsonld``).

The source URL is the catalogue's first page. Each page is read whole and
parsed with ckanext-dcat's ``RDFParser`` and the configured profiles
(``ckanext.dcat.rdf.profiles``: ``euro_dcat_ap_3 plusresilient_svrc``, ours
turning EU URIs into our codes); its ``hydra:next`` (or the deprecated
``hydra:nextPage``) is followed until there is none, or a page comes back
that was already read. The serialisation is told by the Content-Type
(Turtle, RDF/XML, JSON-LD, N-Triples…), else by the URL's suffix, else by
the first bytes; no setting is needed.

DCAT has no light listing: every page carries its datasets whole, so nothing
is fetched afterwards. Incremental means the base's rule: a dataset whose
``dct:modified`` is the one recorded is not imported again (a dataset
without ``dct:modified`` is compared by a digest of its content instead).
A page over the HTTP size cap, a page that is not RDF or does not parse, or
RDF without any DCAT catalogue, dataset or hydra node, ends the gather with
an error and withdraws nothing.

rdflib would fetch a JSON-LD page's remote ``@context`` itself, past the
suite's HTTP guard; remote contexts are fetched here instead, through the
same safe session (a few a gather, cached), and inlined before parsing.
"""
from __future__ import annotations

import datetime
import hashlib
import json
import logging
import re
from typing import Any, Iterator
from urllib.parse import urljoin, urlsplit

from ckanext.dcat.processors import RDFParser
from rdflib import BNode, Literal, Namespace, URIRef
from rdflib.namespace import DCTERMS, FOAF, RDF, RDFS, SKOS

from ckanext.plusresilient.field_values import values_of
from ckanext.plusresilient.harvesters.base import Listed, SVRCHarvester
from ckanext.plusresilient.harvesters.mapping import RemoteDataset, RemoteResource
from ckanext.plusresilient.safe_http import FetchError, Response, SafeSession

log = logging.getLogger(__name__)

DCAT = Namespace("http://www.w3.org/ns/dcat#")
DCATAPIT = Namespace("http://dati.gov.it/onto/dcatapit#")
HYDRA = Namespace("http://www.w3.org/ns/hydra/core#")
EU_DATA_THEME = "http://publications.europa.eu/resource/authority/data-theme/"

#: What we ask for: the serialisations rdflib reads, Turtle first (smallest).
ACCEPT = ("text/turtle, application/rdf+xml;q=0.9, application/ld+json;q=0.8, "
          "application/n-triples;q=0.5, */*;q=0.1")

#: Media type -> rdflib format.
MEDIA_TYPES = {
    "text/turtle": "turtle", "application/x-turtle": "turtle", "application/turtle": "turtle",
    "application/rdf+xml": "xml", "application/xml": "xml", "text/xml": "xml",
    "application/ld+json": "json-ld", "application/json": "json-ld",
    "text/n3": "n3", "text/rdf+n3": "n3", "application/n-triples": "nt",
    "application/trig": "trig", "application/n-quads": "nquads",
}

#: URL suffix -> rdflib format, when the Content-Type says nothing useful.
SUFFIXES = {
    ".ttl": "turtle", ".rdf": "xml", ".xml": "xml", ".owl": "xml", ".jsonld": "json-ld",
    ".json": "json-ld", ".n3": "n3", ".nt": "nt", ".trig": "trig", ".nq": "nquads",
}

#: A guard against a portal that pages forever (each page a new URL and body).
MAX_PAGES = 20_000

#: Remote JSON-LD contexts fetched in one gather, and how deep they may nest.
MAX_CONTEXTS = 10
MAX_CONTEXT_DEPTH = 3


class DCATHarvester(SVRCHarvester):
    name = "plusresilient_dcat"
    title = "DCAT-AP catalogue (+RESILIENT)"
    description = ("A DCAT-AP catalogue in RDF (Turtle, RDF/XML or JSON-LD, hydra paging), "
                   "mapped onto the SVRC schema; unchanged datasets are not imported again, "
                   "and deletions are carried over.")
    page_size_max = None  # the catalogue decides its pages

    def list_datasets(self, url: str, source_config: dict[str, Any], http: SafeSession,
                      since: datetime.datetime | None) -> Iterator[list[Listed]]:
        language = source_config.get("language")
        seen_urls: set[str] = set()
        seen_bodies: set[bytes] = set()
        seen_ids: set[str] = set()
        contexts: dict[str, Any] = {}
        page_url: str | None = url
        while page_url and page_url not in seen_urls:
            if len(seen_urls) >= MAX_PAGES:
                raise FetchError(page_url, None, "malformed",
                                 f"{url}: more than {MAX_PAGES} pages, the listing was not finished")
            seen_urls.add(page_url)
            response = http.get(page_url, accept=ACCEPT)
            digest = hashlib.sha256(response.content).digest()
            if digest in seen_bodies:
                log.info("%s: %s repeats an earlier page, the listing ends there", url, page_url)
                return
            seen_bodies.add(digest)
            parser = parse_page(response, http, contexts)
            page = []
            for listed in listed_datasets(parser, response.url, language):
                if listed.identifier not in seen_ids:
                    seen_ids.add(listed.identifier)
                    page.append(listed)
            yield page
            next_page = parser.next_page()
            page_url = urljoin(response.url, next_page.strip()) if next_page else None

    def fetch_dataset(self, url: str, listed: Listed, source_config: dict[str, Any],
                      http: SafeSession) -> RemoteDataset:
        raise ValueError(f"{listed.identifier} was listed without its content; "
                         "a DCAT catalogue lists every dataset whole")


def rdf_format(response: Response) -> str:
    """The rdflib format of a page: Content-Type, else URL suffix, else a
    look at the first bytes."""
    if response.content_type in MEDIA_TYPES:
        return MEDIA_TYPES[response.content_type]
    path = urlsplit(response.url).path.lower()
    for suffix, name in SUFFIXES.items():
        if path.endswith(suffix):
            return name
    start = response.content[:64].lstrip(b"\xef\xbb\xbf \t\r\n")
    if start.startswith(b"<") and not re.match(rb"<[A-Za-z][A-Za-z0-9+.-]*:/", start):
        return "xml"   # not N-Triples/Turtle, which open with <http://...>
    if start.startswith((b"{", b"[")):
        return "json-ld"
    return "turtle"   # N-Triples is Turtle too


def parse_page(response: Response, http: SafeSession | None = None,
               contexts: dict[str, Any] | None = None):
    """The page parsed into a fresh RDFParser (one page in memory at a time);
    ``http`` fetches remote JSON-LD contexts (refused without it), ``contexts``
    caches them across pages."""
    head = response.content[:512].lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if response.content_type in ("text/html", "application/xhtml+xml") or head.startswith(
            (b"<!doctype html", b"<html")):
        raise FetchError(response.url, response.status, "malformed",
                         f"malformed catalogue from {response.url}: an HTML page, not RDF")
    name = rdf_format(response)
    content = response.content
    if name == "json-ld":
        content = inline_contexts(content, response.url, http, {} if contexts is None else contexts)
    parser = RDFParser()
    try:
        parser.parse(content, _format=name)
    except Exception as error:  # noqa: BLE001 - each rdflib parser raises its own kinds
        # BadSyntax quotes the page around the error: keep the reason only
        reason = re.sub(r"\s+", " ", str(error)).split(" at ^ in:")[0].strip()[:300]
        raise FetchError(response.url, response.status, "malformed",
                         f"malformed RDF ({name}) from {response.url}: "
                         f"{type(_cause(error)).__name__}: {reason}") from None
    g = parser.g
    # DCAT-AP_IT types datasets dcatapit:Dataset (dati.gov.it adds dcat:Dataset,
    # not every regional portal does)
    for subject in list(g.subjects(RDF.type, DCATAPIT.Dataset)):
        g.add((subject, RDF.type, DCAT.Dataset))
    if not any(next(g.subjects(RDF.type, kind), None) is not None for kind in (
            DCAT.Dataset, DCAT.Catalog, HYDRA.PagedCollection, HYDRA.PartialCollectionView,
            HYDRA.Collection)):
        raise FetchError(response.url, response.status, "malformed",
                         f"malformed catalogue from {response.url}: {name} without any "
                         "dcat:Catalog, dcat:Dataset or hydra collection")
    return parser


def inline_contexts(content: bytes, page_url: str, http: SafeSession | None,
                    cache: dict[str, Any]) -> bytes:
    """The JSON-LD document with every remote ``@context`` (and ``@import``)
    replaced by the context it names, fetched through ``http``; rdflib then
    has nothing to fetch. Invalid JSON is left for rdflib to report."""
    try:
        document = json.loads(content.decode("utf-8-sig"))
    except (UnicodeDecodeError, ValueError):
        return content
    found = False

    def fetch(reference: str, base: str, depth: int) -> Any:
        nonlocal found
        found = True
        context_url = urljoin(base, reference)
        if context_url in cache:
            return cache[context_url]
        if http is None or depth >= MAX_CONTEXT_DEPTH or len(cache) >= MAX_CONTEXTS:
            why = ("no HTTP session" if http is None
                   else f"at most {MAX_CONTEXTS} remote contexts, {MAX_CONTEXT_DEPTH} deep")
            raise FetchError(page_url, None, "malformed",
                             f"malformed JSON-LD from {page_url}: remote @context {context_url} "
                             f"not fetched ({why})")
        body = http.get(context_url, accept="application/ld+json, application/json").json()
        if not isinstance(body, dict) or "@context" not in body:
            raise FetchError(context_url, None, "malformed",
                             f"malformed JSON-LD context {context_url}: no @context in it")
        cache[context_url] = resolve(body["@context"], context_url, depth + 1)
        return cache[context_url]

    def resolve(context: Any, base: str, depth: int) -> Any:
        if isinstance(context, str):
            return fetch(context, base, depth)
        if isinstance(context, list):
            return [resolve(item, base, depth) for item in context]
        if not isinstance(context, dict):
            return context
        resolved = {}
        if isinstance(context.get("@import"), str):
            imported = fetch(context["@import"], base, depth)
            if not isinstance(imported, dict):
                raise FetchError(page_url, None, "malformed",
                                 f"malformed JSON-LD from {page_url}: @import of a context list")
            resolved.update(imported)
        for key, value in context.items():
            if key == "@import":
                continue
            if isinstance(value, dict) and "@context" in value:   # scoped context of a term
                value = dict(value, **{"@context": resolve(value["@context"], base, depth)})
            resolved[key] = value
        return resolved

    def walk(node: Any) -> Any:
        if isinstance(node, list):
            return [walk(item) for item in node]
        if not isinstance(node, dict):
            return node
        return {key: resolve(value, page_url, 0) if key == "@context" else walk(value)
                for key, value in node.items()}

    inlined = walk(document)
    return json.dumps(inlined).encode("utf-8") if found else content


def _cause(error: BaseException) -> BaseException:
    """RDFParserException wraps the parser's own exception."""
    inner = error.args[0] if error.args and isinstance(error.args[0], BaseException) else None
    return inner or error


def listed_datasets(parser, page_url: str, language: str | None) -> Iterator[Listed]:
    for dataset in parser.datasets():
        remote = to_remote(dataset, parser.g, language)
        if remote is None:
            log.warning("%s: a dataset without URI nor dct:identifier (%r) is skipped",
                        page_url, dataset.get("title"))
            continue
        modified = remote.modified or _digest(remote)
        yield Listed(identifier=remote.identifier, remote_id=remote.remote_id,
                     modified=modified, dataset=remote)


def _digest(remote: RemoteDataset) -> str:
    """A stand-in for a missing dct:modified: same content, same digest."""
    content = remote.to_dict()
    content["resources"] = sorted(content["resources"], key=lambda r: json.dumps(r, sort_keys=True))
    return "sha256:" + hashlib.sha256(json.dumps(content, sort_keys=True).encode()).hexdigest()[:32]


def _field(dataset: dict[str, Any], key: str) -> Any:
    """A parsed value, at the top level or (without a schema field) in extras."""
    if dataset.get(key) not in (None, "", []):
        return dataset[key]
    for extra in dataset.get("extras") or []:
        if isinstance(extra, dict) and extra.get("key") in (key, f"dcat_{key}") and extra.get("value"):
            return extra["value"]
    return None


def _text(value: Any) -> str | None:
    if value is None:
        return None
    text = str(value).strip()
    return text or None


def _dataset_ref(g, uri: str | None, identifier: str | None):
    if uri:
        return URIRef(uri)
    if identifier:
        for subject in g.subjects(DCTERMS.identifier, Literal(identifier)):
            if (subject, RDF.type, DCAT.Dataset) in g:
                return subject
    return None


def _localised(g, subject, predicate, language: str | None) -> str | None:
    """The literal in the source's language, when the source gives several."""
    if subject is None or not language:
        return None
    for value in g.objects(subject, predicate):
        if isinstance(value, Literal) and value.language and \
                value.language.lower().split("-")[0] == language.lower():
            return str(value).strip() or None
    return None


def _label(g, node, language: str | None = None) -> str | None:
    """A readable name for a concept: its label, else the URI's last segment."""
    if isinstance(node, Literal):
        return _text(node)
    for predicate in (SKOS.prefLabel, RDFS.label, DCTERMS.title, FOAF.name):
        label = _localised(g, node, predicate, language) or _text(next(g.objects(node, predicate), None))
        if label:
            return label
    if isinstance(node, URIRef):
        tail = str(node).rstrip("/").rsplit("/", 1)[-1].rsplit("#", 1)[-1]
        return re.sub(r"[-_]+", " ", tail).strip() or None
    return None


def _other_themes(g, ref, language: str | None) -> list[str]:
    """Labels of the themes that are not EU data themes (datos.gob.es sectors,
    a portal's own taxonomy): words for the SVRC classification."""
    if ref is None:
        return []
    labels: list[str] = []
    for node in g.objects(ref, DCAT.theme):
        if isinstance(node, URIRef) and str(node).startswith(EU_DATA_THEME):
            continue
        label = _label(g, node, language)
        if label and label not in labels:
            labels.append(label)
    return labels


def _licence_node(g, node, language: str | None) -> str | None:
    """A licence as a URI (mapped by the SVRC mapping), or its name."""
    if isinstance(node, URIRef):
        return str(node)
    return _label(g, node, language)


def _raw_licence(g, ref, language: str | None) -> str | None:
    """The licence as published: the dataset's, else its first distribution's."""
    if ref is None:
        return None
    for node in g.objects(ref, DCTERMS.license):
        return _licence_node(g, node, language)
    for distribution in g.objects(ref, DCAT.distribution):
        for node in g.objects(distribution, DCTERMS.license):
            return _licence_node(g, node, language)
    return None


def _format(value: Any) -> str | None:
    """``CSV`` for an EU file-type URI or any URI ending in the format's name."""
    text = _text(value)
    if text and "://" in text:
        text = text.rstrip("/").rsplit("/", 1)[-1].rsplit("#", 1)[-1] or None
    return text


def _size(value: Any) -> int | None:
    try:
        size = int(float(value))
    except (TypeError, ValueError):
        return None
    return size if size >= 0 else None


def _distribution_uri(resource: dict[str, Any]) -> str | None:
    """The distribution's URI; a blank node's label is no identity (each
    parse names them afresh)."""
    for candidate in (resource.get("uri"), resource.get("distribution_ref")):
        text = _text(candidate)
        if text and text.startswith(("http://", "https://", "urn:")):
            return text
    return None


def _graph_value(g, resource: dict[str, Any], predicate) -> str | None:
    """The distribution's value for ``predicate`` as the source published it,
    for what the profiles' parsing leaves out of the dict: our profile drops a
    download URL equal to the access URL, which our own export would write
    again, but a source's explicit dcat:downloadURL is the source's word."""
    ref = _text(resource.get("distribution_ref"))
    if not ref:
        return None
    node = URIRef(ref) if ref.startswith(("http://", "https://", "urn:")) else BNode(ref)
    return _text(next(g.objects(node, predicate), None))


def _resources(dataset: dict[str, Any], g) -> list[RemoteResource]:
    resources = []
    for resource in dataset.get("resources") or []:
        if not isinstance(resource, dict):
            raise TypeError(f"a distribution is {type(resource).__name__}, not a dictionary")
        # the access URL stays the resource's url (what DCAT-AP requires of every
        # distribution), the download URL its download_url
        url = resource.get("access_url") or resource.get("url") or resource.get("download_url")
        licence = resource.get("license")
        if not licence and resource.get("distribution_ref", "").startswith(("http://", "https://")):
            node = next(g.objects(URIRef(resource["distribution_ref"]), DCTERMS.license), None)
            licence = _licence_node(g, node, None) if node is not None else None
        resources.append(RemoteResource(
            url=_text(url) or "",
            identifier=_distribution_uri(resource),
            download_url=_text(resource.get("download_url")) or _graph_value(g, resource, DCAT.downloadURL),
            name=_text(resource.get("name")),
            description=_text(resource.get("description")),
            format=_format(resource.get("format")),
            mimetype=_text(resource.get("mimetype")),
            size=_size(resource.get("size")),
            license=_text(licence),
            # ckanext-dcat reads dct:rights as its rdfs:label, or its text
            rights=_text(resource.get("rights")),
        ))
    return resources


def _access_rights(dataset: dict[str, Any], g, ref, language: str | None) -> str | None:
    """dct:accessRights: the code our profile parsed from an EU URI, else
    what the graph says (a dct:RightsStatement's label, a literal, another
    URI), for the shared mapping to recognise. A catalogue that says nothing
    claims nothing: DCAT catalogues also list datasets whose data is not
    open (that is what dct:accessRights is for), so no default is assumed."""
    code = _text(_field(dataset, "access_rights"))
    if code or ref is None:
        return code
    for node in g.objects(ref, DCTERMS.accessRights):
        return str(node) if isinstance(node, URIRef) and not _has_label(g, node) else _label(g, node, language)
    return None


def _has_label(g, node) -> bool:
    return any(next(g.objects(node, predicate), None) is not None
               for predicate in (SKOS.prefLabel, RDFS.label))


def _contact(dataset: dict[str, Any]) -> tuple[str | None, str | None]:
    contacts = dataset.get("contact")
    if isinstance(contacts, list) and contacts and isinstance(contacts[0], dict):
        return _text(contacts[0].get("name")), _text(contacts[0].get("email"))
    return _text(_field(dataset, "contact_name")), _text(_field(dataset, "contact_email"))


def _publisher(dataset: dict[str, Any]) -> str | None:
    publishers = dataset.get("publisher")
    if isinstance(publishers, list) and publishers and isinstance(publishers[0], dict):
        return _text(publishers[0].get("name"))
    return _text(_field(dataset, "publisher_name"))


def to_remote(dataset: dict[str, Any], g, language: str | None = None) -> RemoteDataset | None:
    """A dataset dict as the DCAT profiles parsed it, plus what only the graph
    still knows (the source's language among several titles, themes outside
    the EU table, licences outside our vocabulary); None without identity."""
    uri = _text(_field(dataset, "uri"))
    identifier = _text(_field(dataset, "identifier"))
    if not uri and not identifier:
        return None
    ref = _dataset_ref(g, uri, identifier)
    title = (_localised(g, ref, DCTERMS.title, language) or _text(dataset.get("title"))
             or identifier or uri)
    notes = _localised(g, ref, DCTERMS.description, language) or _text(dataset.get("notes"))
    landing_page = _text(dataset.get("url"))
    licence = _text(dataset.get("license_id")) or _raw_licence(g, ref, language)
    contact_name, contact_email = _contact(dataset)
    return RemoteDataset(
        identifier=uri or identifier,
        remote_id=identifier or uri,
        title=title,
        url=uri if uri and uri.startswith(("http://", "https://")) else landing_page,
        notes=notes,
        modified=_text(dataset.get("modified") or dataset.get("metadata_modified")),
        issued=_text(dataset.get("issued")),
        tags=[t["name"] if isinstance(t, dict) else str(t) for t in dataset.get("tags") or []],
        themes=values_of(dataset.get("theme")),
        categories=_other_themes(g, ref, language),
        license=licence,
        language=values_of(dataset.get("language")),
        frequency=_text(dataset.get("frequency")),
        publisher=_publisher(dataset),
        contact_name=contact_name,
        contact_email=contact_email,
        landing_page=landing_page,
        temporal_start=_text(_field(dataset, "temporal_start")),
        temporal_end=_text(_field(dataset, "temporal_end")),
        access_rights=_access_rights(dataset, g, ref, language),
        country=_text(dataset.get("country")),
        region=_text(dataset.get("region")),
        resources=_resources(dataset, g),
    )
