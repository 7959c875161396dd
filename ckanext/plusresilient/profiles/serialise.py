"""CKAN -> RDF: the half of SVRCProfile that writes the graph.

It runs after ckanext-dcat's ``euro_dcat_ap_3`` profile and rewrites what
that one wrote for our codes into the authority URIs DCAT-AP 3 asks for
(see the package docstring); it ends with the pass that removes anything
unpublishable from the graph, whichever profile wrote it.
"""
from __future__ import annotations

import json
import logging
from typing import Any, Iterable

from rdflib import BNode, Literal, URIRef
from rdflib.term import Node

import ckan.plugins.toolkit as tk
from ckanext.dcat.profiles import DCAT, DCT, FOAF, RDF, RDFS, SKOS, RDFProfile
from ckanext.dcat.utils import publisher_uri_organization_fallback, resource_uri

from ckanext.plusresilient import config, dqv, vocabularies
from ckanext.plusresilient.profiles.publishable import _NOT_IN_XML, _checked_uri, _owner, valid_uri
from ckanext.plusresilient.profiles.terms import (
    EU_FIELDS,
    SVRC,
    SVRC_FIELDS,
    _as_list,
    _term,
    svrc_scheme_uri,
    svrc_term_uri,
)
from ckanext.plusresilient.quality.metadata import (
    file_format, published_download_url, published_media_type,
)

# The package's logger: the whole profile logs under one name.
log = logging.getLogger(__package__)

# Written by the euro profile on every licence it outputs ("TODO" upstream);
# it is removed together with the code literal it was attached to.
_UNKNOWN_IPR = URIRef("http://purl.org/adms/licencetype/UnknownIPR")


def _is_absolute(node: Node) -> bool:
    return isinstance(node, URIRef) and str(node).startswith(("http://", "https://", "mailto:", "urn:"))


class SVRCSerialiser(RDFProfile):
    """SVRCProfile's serialising half: dataset and catalogue to DCAT-AP 3."""

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
