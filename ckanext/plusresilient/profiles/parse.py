"""RDF -> CKAN: the half of SVRCProfile that reads a harvested graph.

It works on the dict ckanext-dcat's ``euro_dcat_ap_3`` profile built and
turns the URIs back into the codes the schema stores, so the parsed dict
validates and equals what was published.
"""
from __future__ import annotations

import json
import logging
from typing import Any, Iterable

from rdflib import BNode, URIRef
from rdflib.term import Node

from ckan import model
from ckan.lib.helpers import resource_formats
from ckanext.dcat.profiles import DCAT, DCT, RDF, RDFS, SKOS, RDFProfile
from ckanext.dcat.utils import catalog_uri

from ckanext.plusresilient import vocabularies
from ckanext.plusresilient.profiles.terms import (
    EU_FIELDS,
    NUTS_BASE,
    SVRC,
    SVRC_FIELDS,
    _as_list,
    _term,
    svrc_scheme_uri,
)
from ckanext.plusresilient.quality.metadata import (
    IANA_MEDIA_TYPES, FileFormat, file_format, published_download_url,
)

# The package's logger: the whole profile logs under one name.
log = logging.getLogger(__package__)


def _ckan_format(known: FileFormat) -> str:
    """The name CKAN's format list gives a file type (``GeoJSON`` for
    GEOJSON, ``XLS`` for XLS), else its EU code."""
    registry = resource_formats()
    for key in (known.code.lower(), *known.media_types):
        entry = registry.get(key)
        if entry:
            return entry[1]
    return known.code


class SVRCParser(RDFProfile):
    """SVRCProfile's parsing half: a DCAT-AP graph back to a dict of our schema."""

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
