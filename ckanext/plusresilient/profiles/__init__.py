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

The profile is one class, SVRCProfile (the ``plusresilient_svrc`` entry
point), made of its two halves, each readable alone:

``serialise``
    CKAN -> RDF: the authority URIs, the SVRC concepts, the catalogue's
    mandatory properties, and the last pass that keeps anything
    unpublishable out of the graph.
``parse``
    RDF -> CKAN: codes back from URIs, licences, the publisher, the
    distributions.

with what both use: ``terms`` (the namespaces, the field tables and the SVRC
scheme URIs) and ``publishable`` (what may be published as an IRI, and the
URIs the portal publishes instead).
"""
from ckanext.plusresilient.profiles.parse import SVRCParser
from ckanext.plusresilient.profiles.publishable import (
    published_dataset_uri,
    published_resource_uri,
    valid_uri,
)
from ckanext.plusresilient.profiles.serialise import SVRCSerialiser
from ckanext.plusresilient.profiles.terms import (
    EU_FIELDS,
    NUTS_BASE,
    SVRC,
    SVRC_FIELDS,
    SVRC_SCHEME_BASE,
    svrc_scheme_uri,
    svrc_term_uri,
)
from ckanext.plusresilient.quality.metadata import IANA_MEDIA_TYPES

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


class SVRCProfile(SVRCSerialiser, SVRCParser):
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
