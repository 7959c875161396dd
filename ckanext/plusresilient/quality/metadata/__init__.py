"""The data.europa.eu Metadata Quality Assessment (MQA), computed on our records.

data.europa.eu scores every harvested dataset on 23 indicators in five
dimensions, 405 points in all (findability 100, accessibility 100,
interoperability 110, reusability 75, contextuality 20); a
distribution-level indicator passes when the best distribution passes.
``score_metadata`` gives a publisher the same verdict before the portal
harvests the record, with one sentence per indicator on what was found and
what to do, so the score can be raised where it is published.

It reads the dict package_show returns for our schema. The guiding rule is
"score what our DCAT-AP export says": MQA reads the RDF that ckanext-dcat's
``euro_dcat_ap_3`` profile and ours (``profiles``) write, so a field
counts when the export turns it into the property MQA looks for. The mapping
decisions, which are the specification of this package:

keywords, categories, spatial, temporal
    ``tags`` (or ``tag_string``) → dcat:keyword; ``theme`` codes of the
    data_themes vocabulary → dcat:theme; ``country`` or ``region`` →
    dct:spatial; ``temporal_start`` or ``temporal_end`` → dct:temporal.

accessURL, downloadURL
    A resource's ``url`` is its dcat:accessURL. Its dcat:downloadURL is
    ``published_download_url``: the ``download_url`` field when there is one,
    else the ``url`` when that evidently points at a file: an upload
    (``url_type`` "upload"), or a resource declaring a format or media type
    that is not a web page or a service (HTML, WMS, WFS, WCS, REST).
    our profile publishes exactly that, so a publisher who uploaded a CSV
    gets the property, and the points, that the indicator asks for.
    "Answers" is read from ``link_status[url]``: an int is an HTTP status,
    2xx and 3xx answer; a LinkStatus (or its dict) answers when its ``ok``
    says so (the link checker already followed redirects and fell back from
    HEAD to GET), else by its ``status``. A URL without a known status makes
    the indicator not assessable yet (``passed`` None, no points) unless
    another distribution already answers.

format, media type, format from the vocabulary, non-proprietary, machine-readable
    dct:format and dcat:mediaType as ckanext-dcat writes them: a ``format``
    that looks like a media type ("text/csv", or an IANA URI) while
    ``mimetype`` is empty or equal is exported as dcat:mediaType and no
    dct:format. Formats are looked up (code, alias, or EU file-type URI) in
    ``formats.yaml``: the EU file-type codes with the IANA media types and the
    non-proprietary and machine-readable lists data.europa.eu scores against.
    "From the vocabulary" passes for a format in that table or a registered
    media type it lists.

DCAT-AP compliance (SHACL)
    No SHACL engine runs here. The proxy checks the DCAT-AP mandatory
    properties our schema can miss: a title and a description on the dataset,
    an access URL on every distribution. It passes only when all hold; a
    record passing it can still fail the SHACL shapes data.europa.eu runs.

licence, licence from the vocabulary
    A distribution's licence is the resource's ``license`` when it is in the
    licences vocabulary, else the dataset's ``license_id`` when it is, else
    the resource's value as written (what our profile and ckanext-dcat
    write); with no resources, the dataset's. "notspecified" counts as no
    licence: it is CKAN's way of saying that none was given. From the
    vocabulary: the licence has an EU URI.

access rights, contact point, publisher
    ``access_rights`` (from the vocabulary: a code of access_rights); the
    ``contact`` entries with a name or an email (our profile writes them as
    dcat:contactPoint), or the contact_*/maintainer/author fields ckanext-dcat
    falls back to; the ``organization`` (or legacy ``publisher_*`` values),
    which the euro profile publishes as dct:publisher.

rights, byteSize, issued, modified
    rights is dct:rights on a distribution, written from a resource's
    ``rights`` field; ``access_rights`` does not count, it is scored above as
    dct:accessRights and counting it twice would pay twice for one fact.
    byteSize: a resource ``size`` above 0. issued / modified: the dataset's
    ``issued`` / ``modified``, else ``metadata_created`` /
    ``metadata_modified``, the fallback the euro profile exports.

Each indicator also names its DCAT property and the values found: what the
published RDF holds for it (URIs as published, literals as text), so the
report can say what data.europa.eu will see. ``quality.rdf`` computes the
same from the RDF itself; the parity tests require both to agree.

Everything the scorer needs (vocabularies, the format table) is read once per
process at import, so a call only walks the dict: well over ten thousand
datasets per second on one core.

The parts, each on one role and readable alone:

``indicators``
    The MQA table: dimensions, indicators, points and bands.
``formats``
    The format table (``quality/formats.yaml``): EU file types and media types.
``published``
    What our export publishes for a dataset dict: the rules the profile and
    the score share (download URL, media type, licence), and the record the
    checks read.
``verdicts``
    What a check returns, and the link rule the dict and RDF scorers share.
``checks``
    The 23 checks, one function per indicator.
``scoring``
    Verdicts to a MetadataScore; ``score_metadata``.

Everything is imported from here, as before the package was split.
"""
from ckanext.plusresilient.quality.metadata.formats import (
    IANA_MEDIA_TYPES,
    FileFormat,
    file_format,
    known_media_type,
)
from ckanext.plusresilient.quality.metadata.indicators import (
    BANDS,
    DIMENSION_MAX,
    DIMENSIONS,
    INDICATOR_BY_KEY,
    INDICATORS,
    MAX_POINTS,
    IndicatorSpec,
    N_,
    band_for,
)
from ckanext.plusresilient.quality.metadata.published import (
    published_download_url,
    published_media_type,
)
from ckanext.plusresilient.quality.metadata.scoring import (
    Indicator,
    MetadataScore,
    score_metadata,
    score_verdicts,
)
from ckanext.plusresilient.quality.metadata.verdicts import (
    Verdict,
    link_answers,
    links_answer,
    plural,
)

# Read from here too, outside __all__: the dimension names, the table's
# files and message, and (by the tests) the format table and its loader.
from ckanext.plusresilient.quality.metadata.formats import (  # noqa: F401
    _FORMATS, FILE_TYPE_BASE, FORMATS_FILE, _load_formats,
)
from ckanext.plusresilient.quality.metadata.indicators import (  # noqa: F401
    ACCESSIBILITY, CONTEXTUALITY, FINDABILITY, INTEROPERABILITY, PENDING_FIX, REUSABILITY,
)

__all__ = [
    "DIMENSIONS",
    "DIMENSION_MAX",
    "MAX_POINTS",
    "BANDS",
    "FileFormat",
    "Indicator",
    "IndicatorSpec",
    "INDICATORS",
    "INDICATOR_BY_KEY",
    "IANA_MEDIA_TYPES",
    "MetadataScore",
    "N_",
    "Verdict",
    "band_for",
    "file_format",
    "known_media_type",
    "link_answers",
    "links_answer",
    "plural",
    "published_download_url",
    "published_media_type",
    "score_metadata",
    "score_verdicts",
]
