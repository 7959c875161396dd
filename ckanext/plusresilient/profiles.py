"""The DCAT-AP 3 profile of the SVRC dataset schema (``plusresilient_svrc``).

It runs AFTER ckanext-dcat's ``euro_dcat_ap_3`` profile::

    ckanext.dcat.rdf.profiles = euro_dcat_ap_3 plusresilient_svrc

Records store the short CODE of every controlled value (``SOCI``, ``it``,
``ANNUAL``, ``ITH3``, ``cc-by``...). The euro profile does not know our
vocabularies, so it writes those codes as they are: literals, or even
relative IRIs for ``dcat:theme``. When serialising, this profile replaces
them with the authority URIs DCAT-AP 3 asks for; when parsing, it turns the
URIs back into codes, so the parsed dict validates against the schema and
equals what was published.

Every URI comes from the vocabulary files (``ckanext.plusresilient.vocabularies``):
EU authority tables for themes, languages, frequencies, access rights,
licences and countries, the NUTS URIs for regions. The four SVRC
classifications have no authority table: their terms are published as one
small SKOS scheme per vocabulary under ``https://w3id.org/plusresilient/svrc/``
(for example ``https://w3id.org/plusresilient/svrc/scenario/public-services``),
built from the vocabulary's codes, and the properties that carry them live in
the ``svrc:`` namespace (``https://w3id.org/plusresilient/svrc#``).

The mapping, value forms and choices (licences, regions without a URI, the
Table Schema) are documented in the README, section "DCAT-AP".
"""
from __future__ import annotations

import json
import logging
import re
from typing import Any, Iterable
from urllib.parse import urlsplit

from rdflib import BNode, Literal, Namespace, URIRef
from rdflib.term import Node

import ckan.plugins.toolkit as tk
from ckan import model
from ckan.lib.helpers import resource_formats
from ckanext.dcat.profiles import DCAT, DCT, FOAF, RDF, RDFS, SKOS, RDFProfile
from ckanext.dcat.utils import catalog_uri, publisher_uri_organization_fallback, resource_uri
from ckanext.dcat.utils import dataset_id_from_resource

from ckanext.plusresilient import config, dqv, vocabularies
from ckanext.plusresilient.quality.metadata import (
    IANA_MEDIA_TYPES, FileFormat, file_format, published_download_url, published_media_type,
)

__all__ = [
    "SVRC",
    "SVRC_SCHEME_BASE",
    "IANA_MEDIA_TYPES",
    "NUTS_BASE",
    "EU_FIELDS",
    "SVRC_FIELDS",
    "SVRCProfile",
    "svrc_scheme_uri",
    "svrc_term_uri",
    "valid_uri",
    "published_dataset_uri",
    "published_resource_uri",
]

log = logging.getLogger(__name__)

#: The namespace of the SVRC properties (svrc:scenario, svrc:tableSchema...).
SVRC = Namespace("https://w3id.org/plusresilient/svrc#")

#: Where the SVRC concept schemes live: <base><scheme>/<code>.
SVRC_SCHEME_BASE = "https://w3id.org/plusresilient/svrc/"


#: The prefix of the NUTS URIs (Eurostat's NUTS linked data).
NUTS_BASE = "http://data.europa.eu/nuts/code/"

#: Dataset fields whose values are EU authority concepts:
#: (field, vocabulary, predicate, several values?, rdf:type of the concept).
EU_FIELDS: tuple[tuple[str, str, URIRef, bool, URIRef], ...] = (
    ("theme", "data_themes", DCAT.theme, True, SKOS.Concept),
    ("language", "languages", DCT.language, True, DCT.LinguisticSystem),
    ("frequency", "frequencies", DCT.accrualPeriodicity, False, DCT.Frequency),
    ("access_rights", "access_rights", DCT.accessRights, False, DCT.RightsStatement),
)

#: The SVRC classification: (field, vocabulary, predicate, scheme name).
SVRC_FIELDS: tuple[tuple[str, str, URIRef, str], ...] = (
    ("svrc_scenario", "scenarios", SVRC.scenario, "scenario"),
    ("si_area", "si_areas", SVRC.socialInnovationArea, "si-area"),
    ("od_category", "od_categories", SVRC.openDataCategory, "od-category"),
    ("helix_actor", "helix_actors", SVRC.helixActor, "helix-actor"),
)

# Written by the euro profile on every licence it outputs ("TODO" upstream);
# it is removed together with the code literal it was attached to.
_UNKNOWN_IPR = URIRef("http://purl.org/adms/licencetype/UnknownIPR")

# The vocabulary of each scheme, to find a scheme from its name.
_SCHEME_VOCABULARY = {scheme: name for _, name, _, scheme in SVRC_FIELDS}


def svrc_scheme_uri(scheme: str) -> str:
    """The URI of an SVRC concept scheme, e.g. ``.../svrc/scenario``.

    A vocabulary file that declares its own ``scheme_uri`` wins.
    """
    vocabulary = vocabularies.get(_SCHEME_VOCABULARY[scheme])
    return vocabulary.scheme_uri or f"{SVRC_SCHEME_BASE}{scheme}"


def svrc_term_uri(scheme: str, term: vocabularies.Term) -> str:
    """The URI of an SVRC concept: the term's own ``uri`` if the vocabulary
    gives one, else ``<scheme URI>/<code>``; the list of terms is the
    vocabulary file, never a copy of it."""
    return term.uri or f"{svrc_scheme_uri(scheme)}/{term.code}"


def _as_list(value: Any) -> list[Any]:
    """Field values as a list: package_show gives lists, older dicts JSON."""
    if value is None or value == "":
        return []
    if isinstance(value, (list, tuple)):
        return [item for item in value if item not in (None, "")]
    if isinstance(value, str):
        text = value.strip()
        if text.startswith("["):
            try:
                loaded = json.loads(text)
            except ValueError:
                return [text]
            return loaded if isinstance(loaded, list) else [loaded]
        return [text]
    return [value]


def _term(vocabulary: vocabularies.Vocabulary, value: Any) -> vocabularies.Term | None:
    """The term for a code (any case) or its URI, as the validators read it."""
    code = vocabulary.normalise(str(value)) if value not in (None, "") else None
    return vocabulary.get(code) if code else None


def _ckan_format(known: FileFormat) -> str:
    """The name CKAN's format list gives a file type (``GeoJSON`` for
    GEOJSON, ``XLS`` for XLS), else its EU code."""
    registry = resource_formats()
    for key in (known.code.lower(), *known.media_types):
        entry = registry.get(key)
        if entry:
            return entry[1]
    return known.code


def _is_absolute(node: Node) -> bool:
    return isinstance(node, URIRef) and str(node).startswith(("http://", "https://", "mailto:", "urn:"))


# -- what may be published -------------------------------------------------------------
# The validators refuse what can become no URI, but older records (and
# extras, which no schema field covers) may still hold such values; rdflib
# refuses to write one IRI it finds invalid, which took the whole catalogue
# down (issue 15). Whatever the profiles wrote, nothing unpublishable leaves.

#: schemes a published IRI may have (never javascript:, data:...)
_URI_SCHEMES = frozenset({"http", "https", "ftp", "mailto", "urn"})
#: characters no IRI holds (rdflib's own list, which also makes Turtle fail)
_NOT_IN_IRI = frozenset('<>" {}|\\^`')
#: characters XML 1.0 cannot hold: one in a literal makes the RDF/XML unreadable
_NOT_IN_XML = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def valid_uri(value: Any) -> bool:
    """Whether ``value`` is an absolute IRI that Turtle, RDF/XML and JSON-LD
    all write and read back: an http(s) or ftp URL with a host, a ``mailto:``
    or ``urn:``; no blank, control, invisible or markup character."""
    if not isinstance(value, str) or not value.isprintable() or _NOT_IN_IRI.intersection(value):
        return False
    scheme, colon, rest = value.partition(":")
    if not colon or not rest or scheme.lower() not in _URI_SCHEMES:
        return False
    if scheme.lower() in ("mailto", "urn"):
        return True
    try:
        parts = urlsplit(value)
        _ = parts.port  # a port that is not a number
    except ValueError:
        return False
    return bool(parts.hostname)


def _checked_uri(value: str, owner: str, field: str) -> URIRef | None:
    """``value`` as a URIRef, or None (logged, naming the record and the
    field) when it is no valid absolute IRI: the one way this profile makes
    a URIRef out of a record's own value."""
    if valid_uri(value):
        return URIRef(value)
    log.warning("%s: %s %r is not a valid absolute URI, not published", owner, field, value[:200])
    return None


def _owner(dataset_dict: dict[str, Any]) -> str:
    """How log lines name a dataset."""
    return str(dataset_dict.get("name") or dataset_dict.get("id") or "?")


def published_dataset_uri(dataset_dict: dict[str, Any], uri: str) -> str | None:
    """IDCATURIGenerator.dataset_uri: a dataset's ``uri`` (an extra any API
    client may set) becomes the subject of all its triples and an object of
    the catalogue's; when it is no valid IRI, the dataset's page on this
    portal is its URI instead. None keeps ``uri``."""
    if valid_uri(uri) or not dataset_dict.get("id"):
        return None
    log.warning("%s: uri %r is not a valid absolute URI, the portal's own is published",
                _owner(dataset_dict), str(uri)[:200])
    return f"{catalog_uri().rstrip('/')}/dataset/{dataset_dict['id']}"


def published_resource_uri(resource_dict: dict[str, Any], uri: str) -> str | None:
    """IDCATURIGenerator.resource_uri: the same for a distribution's ``uri``."""
    if valid_uri(uri) or not resource_dict.get("id"):
        return None
    log.warning("resource %s: uri %r is not a valid absolute URI, the portal's own is published",
                resource_dict["id"], str(uri)[:200])
    return (f"{catalog_uri().rstrip('/')}/dataset/{dataset_id_from_resource(resource_dict)}"
            f"/resource/{resource_dict['id']}")


class SVRCProfile(RDFProfile):
    """SVRC schema <-> DCAT-AP 3, on top of ``euro_dcat_ap_3``.

    Serialising: EU authority URIs for theme, language, frequency, access
    rights, licences and spatial coverage; the SVRC classification as
    ``svrc:`` properties pointing to SKOS concepts; IANA media type URIs and
    EU file-type URIs; the Table Schema as an ``rdf:JSON`` literal. The
    literals the euro profile wrote for our codes are removed, and the
    catalogue gets what DCAT-AP 3 requires of it (publisher, description).
    The result passes the official DCAT-AP 3.0.0 SHACL shapes
    (``tests/test_dcat_ap_shacl.py``).

    Parsing: the reverse, on the dict the euro profile built: codes at the
    top level (lists for the multiple fields, strings for the single ones),
    and no leftover of those fields in ``extras``.
    """

    # ------------------------------------------------------------------ #
    # CKAN -> RDF
    # ------------------------------------------------------------------ #

    def graph_from_dataset(self, dataset_dict: dict[str, Any], dataset_ref: Node) -> None:
        g = self.g
        g.bind("svrc", SVRC)
        g.bind("dcat", DCAT)
        g.bind("dct", DCT)
        g.bind("skos", SKOS)

        for field, name, predicate, _, rdf_class in EU_FIELDS:
            vocabulary = vocabularies.get(name)
            for value in _as_list(self._get_dataset_value(dataset_dict, field)):
                self._replace_coded_value(dataset_ref, predicate, vocabulary, value, rdf_class)

        self._spatial_to_graph(dataset_dict, dataset_ref)

        for field, name, predicate, scheme in SVRC_FIELDS:
            vocabulary = vocabularies.get(name)
            for value in _as_list(self._get_dataset_value(dataset_dict, field)):
                term = _term(vocabulary, value)
                if term is None:
                    log.warning("%s: %r is not in the %s vocabulary, not exported",
                                field, value, name)
                    continue
                g.add((dataset_ref, predicate, self._svrc_concept(scheme, vocabulary, term)))

        licences = vocabularies.get("licences")
        dataset_licence = _term(licences, dataset_dict.get("license_id"))
        if dataset_licence:
            # DCAT-AP puts licences on distributions only; W3C DCAT allows
            # dct:license on any dcat:Resource, and the dataset's own licence
            # is what CKAN's license_id means (see the README).
            g.add((dataset_ref, DCT.license, self._licence_node(dataset_licence)))

        for resource_dict in dataset_dict.get("resources", []) or []:
            self._distribution_to_graph(resource_dict, dataset_licence)

        # the dataset's stored quality as W3C DQV measurements (see dqv.py)
        dqv.add_measurements(g, dataset_ref, dqv.stored_quality(dataset_dict.get("id")))

        # keep last: covers every triple the profiles wrote for the dataset
        self._drop_unpublishable(dataset_ref, _owner(dataset_dict))

    def graph_from_catalog(self, catalog_dict: dict[str, Any] | None, catalog_ref: Node) -> None:
        """The catalogue's language (``ckan.locale_default``, written as a
        literal by the euro profile) as the EU language URI."""
        self.g.bind("svrc", SVRC)
        languages = vocabularies.get("languages")
        for obj in list(self.g.objects(catalog_ref, DCT.language)):
            if isinstance(obj, Literal):
                self._replace_coded_value(catalog_ref, DCT.language, languages, str(obj),
                                          DCT.LinguisticSystem)
        self._catalog_conformance(catalog_ref)
        # keep last (the datasets are checked by graph_from_dataset)
        self._drop_unpublishable(catalog_ref, "catalogue")

    def _catalog_conformance(self, catalog_ref: Node) -> None:
        """What DCAT-AP 3 asks of the catalogue and the euro profile leaves out:

        * dct:publisher (mandatory): the organization named by
          ``ckanext.plusresilient.dcat.publisher``, else an agent named after
          the site (``ckan.site_title``), written by ckanext-dcat's own agent
          serialiser;
        * dct:description (mandatory): ``ckan.site_description``, else a
          sentence naming the site;
        * foaf:homepage typed foaf:Document;
        * dcat:themeTaxonomy: the EU data-theme scheme the datasets' themes
          come from, with its title.
        """
        g = self.g
        title = str(tk.config.get("ckan.site_title") or "CKAN")
        if next(g.objects(catalog_ref, DCT.publisher), None) is None:
            self._add_agent_to_graph(catalog_ref, DCT.publisher, self._catalog_publisher(title))
        if next(g.objects(catalog_ref, DCT.description), None) is None:
            g.add((catalog_ref, DCT.description,
                   Literal(f"The open data catalogue of {title}.", lang="en")))
        for homepage in g.objects(catalog_ref, FOAF.homepage):
            g.add((homepage, RDF.type, FOAF.Document))
        themes = vocabularies.get("data_themes")
        if themes.scheme_uri:
            scheme = URIRef(themes.scheme_uri)
            g.add((catalog_ref, DCAT.themeTaxonomy, scheme))
            g.add((scheme, RDF.type, SKOS.ConceptScheme))
            for lang, label in themes.title.items():
                g.add((scheme, DCT.title, Literal(label, lang=lang)))

    @staticmethod
    def _catalog_publisher(site_title: str) -> dict[str, Any]:
        """The agent dict (ckanext-dcat's keys) of the catalogue's publisher."""
        name = config.catalog_publisher()
        if name:
            try:
                org = tk.get_action("organization_show")(
                    {"ignore_auth": True}, {"id": name, "include_datasets": False})
            except tk.ObjectNotFound:
                log.warning("%s: no organization %r, the site is named as publisher",
                            config.CATALOG_PUBLISHER_OPTION, name)
            else:
                return {
                    # the URI the euro profile gives the organization as a dataset's publisher
                    "uri": publisher_uri_organization_fallback({"organization": org}),
                    "name": org.get("title") or org["name"],
                    "homepage": org.get("website") or "",
                }
        return {"name": site_title}

    def _drop_unpublishable(self, start: Node, owner: str) -> None:
        """Remove every triple reachable from ``start`` whose object is no
        valid absolute IRI (with what that IRI says about itself), logging
        the record and the property; remove from literals the characters
        XML cannot hold. ckanext-dcat's own profile makes URIRefs of the
        record's values too (landing page, access URL, conforms-to,
        contact...), before this one runs: this is what keeps any of them
        from reaching rdflib's serialisers."""
        g = self.g
        seen: set[Node] = set()
        todo: list[Node] = [start]
        while todo:
            node = todo.pop()
            if node in seen:
                continue
            seen.add(node)
            for predicate, obj in list(g.predicate_objects(node)):
                if isinstance(obj, URIRef) and not valid_uri(str(obj)):
                    log.warning("%s: %s %r is not a valid absolute URI, not published",
                                owner, g.namespace_manager.normalizeUri(predicate), str(obj)[:200])
                    g.remove((None, None, obj))
                    g.remove((obj, None, None))
                elif isinstance(obj, Literal):
                    # no literal is a subject (the euro profile types an unknown licence code)
                    g.remove((obj, None, None))
                    if _NOT_IN_XML.search(obj):
                        g.remove((node, predicate, obj))
                        g.add((node, predicate, Literal(_NOT_IN_XML.sub("", obj),
                                                        lang=obj.language, datatype=obj.datatype)))
                elif isinstance(obj, (URIRef, BNode)):
                    todo.append(obj)

    def _remove_node(self, node: Node) -> None:
        """Remove what a node says about itself once nothing points to it."""
        if next(self.g.subjects(None, node), None) is None:
            self.g.remove((node, None, None))

    def _remove_leftovers(self, subject: Node, predicate: URIRef, values: Iterable[str]) -> None:
        """Remove the objects the euro profile wrote for these codes: the
        literal, a (relative) IRI made of the code, or a statement node
        labelled with it, and the triples hanging from them."""
        wanted = {str(v).strip().lower() for v in values if v not in (None, "")}
        for obj in list(self.g.objects(subject, predicate)):
            if isinstance(obj, BNode):
                labels = {str(label).strip().lower() for label in self.g.objects(obj, RDFS.label)}
                leftover = bool(labels & wanted)
            elif isinstance(obj, Literal):
                leftover = str(obj).strip().lower() in wanted
            else:
                leftover = not _is_absolute(obj) and str(obj).strip().lower() in wanted
            if leftover:
                self.g.remove((subject, predicate, obj))
                self._remove_node(obj)

    def _replace_coded_value(self, subject: Node, predicate: URIRef,
                             vocabulary: vocabularies.Vocabulary, value: Any,
                             rdf_class: URIRef) -> None:
        term = _term(vocabulary, value)
        if term is None or not term.uri:
            log.warning("%s: %r has no URI in the %s vocabulary, left as written",
                        predicate, value, vocabulary.name)
            return
        self._remove_leftovers(subject, predicate, {str(value), term.code})
        uri = URIRef(term.uri)
        self.g.add((subject, predicate, uri))
        self.g.add((uri, RDF.type, rdf_class))
        if rdf_class == SKOS.Concept:
            # DCAT-AP: every skos:Concept carries a skos:prefLabel
            for lang, label in term.labels.items():
                self.g.add((uri, SKOS.prefLabel, Literal(label, lang=lang)))

    def _svrc_concept(self, scheme: str, vocabulary: vocabularies.Vocabulary,
                      term: vocabularies.Term) -> URIRef:
        """An SVRC concept with its scheme, notation and labels, so a consumer
        that cannot dereference the URI still reads it."""
        g = self.g
        concept = URIRef(svrc_term_uri(scheme, term))
        scheme_ref = URIRef(svrc_scheme_uri(scheme))
        g.add((scheme_ref, RDF.type, SKOS.ConceptScheme))
        for lang, title in vocabulary.title.items():
            g.add((scheme_ref, DCT.title, Literal(title, lang=lang)))
        g.add((concept, RDF.type, SKOS.Concept))
        g.add((concept, SKOS.inScheme, scheme_ref))
        g.add((concept, SKOS.notation, Literal(term.code)))
        for lang, label in term.labels.items():
            g.add((concept, SKOS.prefLabel, Literal(label, lang=lang)))
        return concept

    def _spatial_to_graph(self, dataset_dict: dict[str, Any], dataset_ref: Node) -> None:
        """dct:spatial: the EU country URI and the region's NUTS URI.

        A region without a URI (the ISO 3166-2 entities of Bosnia and
        Herzegovina) becomes a dct:Location node carrying its code as
        skos:notation and its names as skos:prefLabel.
        """
        g = self.g
        country = _term(vocabularies.get("countries"),
                        self._get_dataset_value(dataset_dict, "country"))
        region = _term(vocabularies.get("regions"),
                       self._get_dataset_value(dataset_dict, "region"))
        for term in (country, region):
            if term is None:
                continue
            if term.uri:
                location: Node = URIRef(term.uri)
            else:
                location = BNode()
                g.add((location, SKOS.notation, Literal(term.code)))
                for lang, label in term.labels.items():
                    g.add((location, SKOS.prefLabel, Literal(label, lang=lang)))
            g.add((location, RDF.type, DCT.Location))
            g.add((dataset_ref, DCT.spatial, location))

    def _licence_node(self, term: vocabularies.Term) -> Node:
        """The licence's EU URI; a licence without one (other-open,
        notspecified...) becomes a dct:LicenseDocument node with the code as
        dct:identifier and the label as rdfs:label."""
        if term.uri:
            node: Node = URIRef(term.uri)
        else:
            node = BNode()
            self.g.add((node, DCT.identifier, Literal(term.code)))
            self.g.add((node, RDFS.label, Literal(term.label("en"), lang="en")))
            url = term.extra.get("url")
            if url:
                self.g.add((node, RDFS.seeAlso, URIRef(url)))
        self.g.add((node, RDF.type, DCT.LicenseDocument))
        return node

    def _format_to_graph(self, distribution: Node) -> None:
        """dct:format as DCAT-AP 3 wants it: a dct:MediaTypeOrExtent.

        The euro profile writes CKAN's format field as a literal ("CSV").
        A format of the EU file-type table (by code, alias or URI, as
        ``quality/formats.yaml`` lists them, the table the score reads too)
        becomes its file-type URI. Any other value becomes a
        dct:MediaTypeOrExtent node labelled with it, so what the publisher
        wrote is kept and the shapes still hold; a URI of another vocabulary
        is kept and typed.
        """
        g = self.g
        for obj in list(g.objects(distribution, DCT["format"])):
            known = file_format(str(obj))
            if isinstance(obj, URIRef) and known is None:
                g.add((obj, RDF.type, DCT.MediaTypeOrExtent))
                continue
            g.remove((distribution, DCT["format"], obj))
            if known is not None:
                node: Node = URIRef(known.uri)
            else:
                node = BNode()
                g.add((node, RDFS.label, Literal(str(obj))))
            g.add((distribution, DCT["format"], node))
            g.add((node, RDF.type, DCT.MediaTypeOrExtent))

    def _distribution_to_graph(self, resource_dict: dict[str, Any],
                               dataset_licence: vocabularies.Term | None) -> None:
        g = self.g
        if not resource_dict.get("id") and not resource_dict.get("uri"):
            return
        distribution = URIRef(resource_uri(resource_dict))

        # dct:license: the resource's licence, else the dataset's
        licences = vocabularies.get("licences")
        own = resource_dict.get("license")
        term = _term(licences, own) or dataset_licence
        if term is not None:
            # the euro profile wrote the code (a literal tagged UnknownIPR):
            # the effective licence replaces whatever it wrote
            for obj in list(g.objects(distribution, DCT.license)):
                g.remove((obj, DCT.type, _UNKNOWN_IPR))
                g.remove((distribution, DCT.license, obj))
                self._remove_node(obj)
            g.add((distribution, DCT.license, self._licence_node(term)))

        # dcat:mediaType: the IANA URI instead of the literal
        for obj in list(g.objects(distribution, DCAT.mediaType)):
            if isinstance(obj, Literal) and "/" in str(obj):
                g.remove((distribution, DCAT.mediaType, obj))
                uri = _checked_uri(published_media_type(str(obj)),
                                   f"{resource_dict.get('package_id')} resource {resource_dict.get('id')}",
                                   "mimetype")
                if uri is None:
                    continue
                g.add((distribution, DCAT.mediaType, uri))
                g.add((uri, RDF.type, DCT.MediaType))

        self._format_to_graph(distribution)

        # dcat:accessURL is mandatory in DCAT-AP; the euro profile leaves it
        # out when the download URL is the resource's URL. DCAT-AP: a
        # directly downloadable file gives the same URL as both.
        if (distribution, DCAT.accessURL, None) not in g:
            self._add_triple_from_dict(resource_dict, distribution, DCAT.accessURL, "url",
                                       _type=URIRef)
        # dcat:downloadURL: the euro profile writes only a download_url field;
        # an upload, or a URL declared as a data file, is one too (the rule
        # the metadata score follows, so the score is what is published)
        download_url = published_download_url(resource_dict)
        if download_url and (distribution, DCAT.downloadURL, None) not in g:
            g.add((distribution, DCAT.downloadURL, URIRef(download_url)))

        # The Frictionless Table Schema, verbatim, as JSON
        schema = resource_dict.get("schema")
        if isinstance(schema, str) and schema.strip():
            try:
                schema = json.loads(schema)
            except ValueError:
                schema = None
        if isinstance(schema, dict) and schema:
            g.add((distribution, SVRC.tableSchema,
                   Literal(json.dumps(schema, ensure_ascii=False),
                           datatype=RDF.JSON)))

    # ------------------------------------------------------------------ #
    # RDF -> CKAN
    # ------------------------------------------------------------------ #

    def parse_dataset(self, dataset_dict: dict[str, Any], dataset_ref: Node) -> dict[str, Any]:
        owned_keys: set[str] = set()

        for field, name, predicate, multiple, _ in EU_FIELDS:
            vocabulary = vocabularies.get(name)
            codes = self._codes(vocabulary, self.g.objects(dataset_ref, predicate), field)
            self._set_codes(dataset_dict, field, codes, multiple)
            owned_keys.add(field)

        for field, name, predicate, scheme in SVRC_FIELDS:
            vocabulary = vocabularies.get(name)
            codes = self._codes(vocabulary, self.g.objects(dataset_ref, predicate), field,
                                scheme=scheme)
            self._set_codes(dataset_dict, field, codes, True)
            owned_keys.add(field)

        owned_keys |= self._parse_spatial(dataset_dict, dataset_ref)
        self._parse_licences(dataset_dict, dataset_ref)
        self._parse_publisher(dataset_dict, dataset_ref)

        # conforms_to is a list field of the schema (the euro profile leaves
        # the JSON text it kept in extras)
        if isinstance(dataset_dict.get("conforms_to"), str):
            dataset_dict["conforms_to"] = _as_list(dataset_dict["conforms_to"])

        self._trim_repeating_subfields(dataset_dict)

        for resource_dict in dataset_dict.get("resources", []) or []:
            self._parse_distribution(resource_dict)

        # No schema field may stay in extras: scheming refuses an extra named
        # like a field.
        schema_fields = {
            f["field_name"] for f in (self._dataset_schema or {}).get("dataset_fields", [])
        }
        drop = owned_keys | schema_fields
        if dataset_dict.get("extras"):
            dataset_dict["extras"] = [
                extra for extra in dataset_dict["extras"]
                if extra.get("key") not in drop
                and not (extra.get("key", "").startswith("dcat_")
                         and extra["key"][len("dcat_"):] in drop)
            ]
        return dataset_dict

    def _codes(self, vocabulary: vocabularies.Vocabulary, objects: Iterable[Node],
               field: str, scheme: str | None = None) -> list[str]:
        """Codes for the graph's values, in vocabulary order; values that are
        not in the vocabulary are dropped (and logged) so that one unknown
        concept does not make a harvested record invalid."""
        found: list[str] = []
        for obj in objects:
            code = self._code_of_node(vocabulary, obj, scheme)
            if code is None:
                log.info("%s: %s is not in the %s vocabulary, ignored", field, obj, vocabulary.name)
            elif code not in found:
                found.append(code)
        order = {code: index for index, code in enumerate(vocabulary.codes())}
        return sorted(found, key=order.__getitem__)

    def _code_of_node(self, vocabulary: vocabularies.Vocabulary, obj: Node,
                      scheme: str | None = None) -> str | None:
        if isinstance(obj, BNode):
            # a statement node (dct:RightsStatement [rdfs:label "PUBLIC"]) or
            # a concept given by notation/identifier
            for predicate in (SKOS.notation, DCT.identifier, RDFS.label, SKOS.prefLabel):
                for value in self.g.objects(obj, predicate):
                    code = vocabulary.normalise(str(value))
                    if code:
                        return code
            return None
        value = str(obj).strip()
        if scheme and value.startswith(svrc_scheme_uri(scheme) + "/"):
            value = value[len(svrc_scheme_uri(scheme)) + 1:]
        return vocabulary.normalise(value)

    @staticmethod
    def _set_codes(dataset_dict: dict[str, Any], field: str, codes: list[str],
                   multiple: bool) -> None:
        if codes:
            dataset_dict[field] = codes if multiple else codes[0]
        else:
            # whatever the euro profile kept (URIs we do not know) would only
            # fail validation
            dataset_dict.pop(field, None)

    def _parse_spatial(self, dataset_dict: dict[str, Any], dataset_ref: Node) -> set[str]:
        """country and region from dct:spatial; returns the keys handled.

        Accepts the EU country URI, NUTS 2 URIs (and NUTS 3 ones, taken as
        their NUTS 2 region), and dct:Location nodes carrying a region code
        as skos:notation or dct:identifier (the form this profile writes for
        regions without a URI).
        """
        countries = vocabularies.get("countries")
        regions = vocabularies.get("regions")
        country_codes: list[str] = []
        region_codes: list[str] = []
        mapped_uris: set[str] = set()
        mapped_labels: set[str] = set()
        for obj in self.g.objects(dataset_ref, DCT.spatial):
            if isinstance(obj, BNode):
                for predicate in (SKOS.notation, DCT.identifier):
                    for value in self.g.objects(obj, predicate):
                        region = _term(regions, str(value))
                        country = None if region else _term(countries, str(value))
                        if region and region.code not in region_codes:
                            region_codes.append(region.code)
                        if country and country.code not in country_codes:
                            country_codes.append(country.code)
                        if region or country:
                            mapped_labels.update(str(label) for label in self.g.objects(obj, SKOS.prefLabel))
                            mapped_labels.update(str(label) for label in self.g.objects(obj, RDFS.label))
                continue
            value = str(obj).strip()
            country = countries.by_uri(value) if isinstance(obj, URIRef) else _term(countries, value)
            region = regions.by_uri(value) if isinstance(obj, URIRef) else _term(regions, value)
            if region is None and isinstance(obj, URIRef):
                region = self._nuts2_of(regions, value)
            if country and country.code not in country_codes:
                country_codes.append(country.code)
                mapped_uris.add(value)
            if region and region.code not in region_codes:
                region_codes.append(region.code)
                mapped_uris.add(value)

        if not country_codes and region_codes:
            country_codes.append(regions.get(region_codes[0]).extra.get("country"))
        country_code = country_codes[0] if country_codes else None
        region_code = next(
            (code for code in region_codes
             if country_code is None or regions.get(code).extra.get("country") == country_code),
            None,
        )
        self._set_codes(dataset_dict, "country", [country_code] if country_code else [], False)
        self._set_codes(dataset_dict, "region", [region_code] if region_code else [], False)

        # The euro profile copied one of those locations into spatial_* extras
        if dataset_dict.get("extras"):
            dataset_dict["extras"] = [
                extra for extra in dataset_dict["extras"]
                if not (extra.get("key") == "spatial_uri" and extra.get("value") in mapped_uris)
                and not (extra.get("key") == "spatial_text" and extra.get("value") in mapped_labels)
            ]
        return {"country", "region"}

    @staticmethod
    def _nuts2_of(regions: vocabularies.Vocabulary, uri: str) -> vocabularies.Term | None:
        """The NUTS 2 region of a NUTS 3 URI (http://data.europa.eu/nuts/code/ITH35)."""
        normalised = uri.replace("https://", "http://", 1).rstrip("/")
        if not normalised.startswith(NUTS_BASE):
            return None
        code = normalised[len(NUTS_BASE):]
        if len(code) <= 4:
            return None
        return regions.get(code[:4])

    def _licence_code(self, node: Node | None) -> str | None:
        if node is None:
            return None
        licences = vocabularies.get("licences")
        if isinstance(node, BNode):
            return self._code_of_node(licences, node)
        return licences.normalise(str(node))

    def _parse_licences(self, dataset_dict: dict[str, Any], dataset_ref: Node) -> None:
        """license_id from the dataset's dct:license, else from the first
        distribution with a known licence; a resource keeps its own licence
        only where it differs from the dataset's (the serialiser writes the
        dataset's licence on every distribution that has none)."""
        dataset_code = None
        for node in self.g.objects(dataset_ref, DCT.license):
            dataset_code = self._licence_code(node)
            if dataset_code:
                break
        distribution_codes: dict[str, str | None] = {}
        for distribution in self.g.objects(dataset_ref, DCAT.distribution):
            code = None
            for node in self.g.objects(distribution, DCT.license):
                code = self._licence_code(node)
                if code:
                    break
            distribution_codes[str(distribution)] = code
        if dataset_code is None:
            dataset_code = next((c for c in distribution_codes.values() if c), None)
        if dataset_code is None:
            dataset_code = vocabularies.get("licences").normalise(dataset_dict.get("license_id") or "")
        if dataset_code:
            dataset_dict["license_id"] = dataset_code

        for resource_dict in dataset_dict.get("resources", []) or []:
            code = distribution_codes.get(resource_dict.get("distribution_ref", ""))
            if code and code != dataset_code:
                resource_dict["license"] = code
            else:
                resource_dict.pop("license", None)

    def _parse_publisher(self, dataset_dict: dict[str, Any], dataset_ref: Node) -> None:
        """owner_org when the publisher is one of this portal's organizations
        (the URI the serialiser writes, <catalog>/organization/<id>)."""
        prefix = catalog_uri().rstrip("/") + "/organization/"
        for publisher in self.g.objects(dataset_ref, DCT.publisher):
            if not isinstance(publisher, URIRef) or not str(publisher).startswith(prefix):
                continue
            group = model.Group.get(str(publisher)[len(prefix):].strip("/"))
            if group is not None and group.is_organization and group.state == "active":
                dataset_dict["owner_org"] = group.id
                # the organization says it all: drop the copies of its name
                dataset_dict.pop("publisher", None)
                dataset_dict["extras"] = [
                    extra for extra in dataset_dict.get("extras", [])
                    if not extra.get("key", "").startswith(("publisher_", "dcat_publisher_"))
                ]
                return

    def _trim_repeating_subfields(self, dataset_dict: dict[str, Any]) -> None:
        """Keep only the subfields the schema declares (the euro profile adds
        uri, identifier and url to every contact point)."""
        for field in (self._dataset_schema or {}).get("dataset_fields", []):
            subfields = [sub["field_name"] for sub in field.get("repeating_subfields", [])]
            value = dataset_dict.get(field["field_name"])
            if not subfields or not isinstance(value, list):
                continue
            trimmed = [
                {key: item.get(key, "") for key in subfields}
                for item in value if isinstance(item, dict)
            ]
            trimmed = [item for item in trimmed if any(item.values())]
            if trimmed:
                dataset_dict[field["field_name"]] = trimmed
            else:
                dataset_dict.pop(field["field_name"], None)

    def _parse_distribution(self, resource_dict: dict[str, Any]) -> None:
        ref = resource_dict.get("distribution_ref")
        distribution: Node | None = None
        if ref:
            distribution = BNode(ref) if not ref.startswith(("http://", "https://")) else URIRef(ref)
            if next(self.g.predicate_objects(distribution), None) is None:
                distribution = None

        # IANA media type URI -> text/csv
        for key in ("mimetype", "format"):
            value = resource_dict.get(key)
            if isinstance(value, str) and value.replace("http://", "https://", 1).startswith(IANA_MEDIA_TYPES):
                media_type = value.replace("http://", "https://", 1)[len(IANA_MEDIA_TYPES):].strip("/")
                if key == "mimetype":
                    resource_dict[key] = media_type
                else:
                    known = resource_formats().get(media_type)
                    resource_dict[key] = known[1] if known else media_type

        # EU file-type URI -> the format's CKAN name (CSV, GeoJSON...)
        value = resource_dict.get("format")
        known = file_format(value) if isinstance(value, str) and "://" in value else None
        if known is not None:
            resource_dict["format"] = _ckan_format(known)

        # a file published with its URL as dcat:downloadURL too (the rule of
        # published_download_url) comes back as it was: no download_url
        url = resource_dict.get("url")
        if url and resource_dict.get("download_url") == url:
            rest = {key: value for key, value in resource_dict.items() if key != "download_url"}
            if published_download_url(rest) == url:
                del resource_dict["download_url"]

        if distribution is None:
            return
        # a format outside the file-type table: the label of its node
        for node in self.g.objects(distribution, DCT["format"]):
            label = self.g.value(node, RDFS.label)
            if (isinstance(node, BNode) and label is not None
                    and (node, RDF.type, DCT.MediaTypeOrExtent) in self.g
                    and (node, RDF.type, DCT.IMT) not in self.g):
                resource_dict["format"] = str(label)
        for value in self.g.objects(distribution, SVRC.tableSchema):
            try:
                schema = json.loads(str(value))
            except ValueError:
                log.info("svrc:tableSchema of %s is not JSON, ignored", distribution)
                continue
            if isinstance(schema, dict):
                resource_dict["schema"] = schema
                break
