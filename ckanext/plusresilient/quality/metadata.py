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
``euro_dcat_ap_3`` profile and ours (``profiles.py``) write, so a field
counts when the export turns it into the property MQA looks for. The mapping
decisions, which are the specification of this module:

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
    profiles.py publishes exactly that, so a publisher who uploaded a CSV
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
    the resource's value as written (what profiles.py and ckanext-dcat
    write); with no resources, the dataset's. "notspecified" counts as no
    licence: it is CKAN's way of saying that none was given. From the
    vocabulary: the licence has an EU URI.

access rights, contact point, publisher
    ``access_rights`` (from the vocabulary: a code of access_rights); the
    ``contact`` entries with a name or an email (profiles.py writes them as
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
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from ckanext.plusresilient import vocabularies

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

FINDABILITY = "findability"
ACCESSIBILITY = "accessibility"
INTEROPERABILITY = "interoperability"
REUSABILITY = "reusability"
CONTEXTUALITY = "contextuality"

#: The MQA dimensions, in the order data.europa.eu shows them.
DIMENSIONS: tuple[str, ...] = (
    FINDABILITY, ACCESSIBILITY, INTEROPERABILITY, REUSABILITY, CONTEXTUALITY,
)

#: Lowest points of each band, best first (MQA: Excellent 351–405, Good
#: 221–350, Sufficient 121–220, Bad 0–120).
BANDS: tuple[tuple[int, str], ...] = (
    (351, "excellent"), (221, "good"), (121, "sufficient"), (0, "bad"),
)

FORMATS_FILE = Path(__file__).resolve().parent / "formats.yaml"
FILE_TYPE_BASE = "http://publications.europa.eu/resource/authority/file-type/"
_IANA_PATH = "iana.org/assignments/media-types/"
#: The prefix of IANA media type URIs, as the export writes them.
IANA_MEDIA_TYPES = "https://www.iana.org/assignments/media-types/"
def N_(message: str) -> str:
    """Marks a message for the translation catalog without translating it:
    this module does not import CKAN, so the text is stored in English and
    the report page translates it (``_(indicator.fix)``)."""
    return message


PENDING_FIX = N_("Nothing to do yet: the links are checked periodically.")


# --------------------------------------------------------------------------- #
# The indicator table
# --------------------------------------------------------------------------- #

@dataclass(frozen=True)
class IndicatorSpec:
    """One row of the MQA table. ``property`` is the DCAT property
    data.europa.eu reads for it; ``fix`` is the advice when it fails."""

    key: str
    dimension: str
    label: str
    points: int
    property: str
    fix: str


#: The MQA indicators with data.europa.eu's points, in its order.
INDICATORS: tuple[IndicatorSpec, ...] = (
    IndicatorSpec("keywords", FINDABILITY, "Keywords", 30, "dcat:keyword",
                  N_("Add at least one keyword (tag).")),
    IndicatorSpec("categories", FINDABILITY, "Categories (EU data themes)", 30, "dcat:theme",
                  N_("Choose at least one EU data theme.")),
    IndicatorSpec("spatial", FINDABILITY, "Geographical coverage", 20, "dct:spatial",
                  N_("Set the country, and the region if the data covers one.")),
    IndicatorSpec("temporal", FINDABILITY, "Temporal coverage", 20, "dct:temporal",
                  N_("Set the start or the end of the temporal coverage.")),
    IndicatorSpec("access_url_status", ACCESSIBILITY, "Access URL answers", 50, "dcat:accessURL",
                  N_("Fix or replace the resource URLs that do not answer.")),
    IndicatorSpec("download_url", ACCESSIBILITY, "Download URL", 20, "dcat:downloadURL",
                  N_("Link at least one resource directly to a data file: upload it, "
                     "or give its file URL and its format.")),
    IndicatorSpec("download_url_status", ACCESSIBILITY, "Download URL answers", 30,
                  "dcat:downloadURL",
                  N_("Fix or replace the file links that do not answer.")),
    IndicatorSpec("format", INTEROPERABILITY, "Format", 20, "dct:format",
                  N_("Set the format of the resources (e.g. CSV); a media type such as "
                     "text/csv belongs in the Media type field.")),
    IndicatorSpec("media_type", INTEROPERABILITY, "Media type", 10, "dcat:mediaType",
                  N_("Set the media type of the resources (e.g. text/csv).")),
    IndicatorSpec("format_vocabulary", INTEROPERABILITY,
                  "Format or media type from the vocabulary", 10, "dct:format, dcat:mediaType",
                  N_("Use a format of the EU file-type list (e.g. CSV, JSON, XLSX) or a "
                     "registered media type.")),
    IndicatorSpec("non_proprietary", INTEROPERABILITY, "Non-proprietary format", 20, "dct:format",
                  N_("Also publish the data in an open format such as CSV, JSON or ODS.")),
    IndicatorSpec("machine_readable", INTEROPERABILITY, "Machine-readable format", 20, "dct:format",
                  N_("Also publish the data in a machine-readable format such as CSV, "
                     "JSON or XML.")),
    IndicatorSpec("dcat_ap_compliance", INTEROPERABILITY, "DCAT-AP compliance", 30,
                  "dct:title, dct:description, dcat:accessURL",
                  N_("Give the dataset a title and a description, and every resource a URL.")),
    IndicatorSpec("licence", REUSABILITY, "Licence", 20, "dct:license",
                  N_("Choose the licence the data is published under.")),
    IndicatorSpec("licence_vocabulary", REUSABILITY, "Licence from the vocabulary", 10,
                  "dct:license",
                  N_("Choose a licence of the EU licence list, such as CC BY 4.0.")),
    IndicatorSpec("access_rights", REUSABILITY, "Access rights", 10, "dct:accessRights",
                  N_("Set the access rights (public, restricted or non-public).")),
    IndicatorSpec("access_rights_vocabulary", REUSABILITY, "Access rights from the vocabulary", 5,
                  "dct:accessRights",
                  N_("Choose the access rights from the list: public, restricted or non-public.")),
    IndicatorSpec("contact_point", REUSABILITY, "Contact point", 20, "dcat:contactPoint",
                  N_("Add a contact point with a name or an email address.")),
    IndicatorSpec("publisher", REUSABILITY, "Publisher", 10, "dct:publisher",
                  N_("Publish the dataset under an organization.")),
    IndicatorSpec("rights", CONTEXTUALITY, "Rights", 5, "dct:rights",
                  N_("Add a rights statement to a resource (its rights field, exported "
                     "as dct:rights).")),
    IndicatorSpec("byte_size", CONTEXTUALITY, "File size", 5, "dcat:byteSize",
                  N_("Give the size in bytes of the resource files (uploads get it "
                     "automatically).")),
    IndicatorSpec("issued", CONTEXTUALITY, "Release date", 5, "dct:issued",
                  N_("Set the release date.")),
    IndicatorSpec("modified", CONTEXTUALITY, "Modification date", 5, "dct:modified",
                  N_("Set the modification date.")),
)

INDICATOR_BY_KEY: Mapping[str, IndicatorSpec] = MappingProxyType({s.key: s for s in INDICATORS})
MAX_POINTS: int = sum(spec.points for spec in INDICATORS)
DIMENSION_MAX: Mapping[str, int] = MappingProxyType({
    dimension: sum(s.points for s in INDICATORS if s.dimension == dimension)
    for dimension in DIMENSIONS
})
# The table is data.europa.eu's; a typo in it would silently shift every band.
assert MAX_POINTS == 405, MAX_POINTS


def band_for(points: float) -> str:
    """The MQA band of a total: excellent, good, sufficient or bad."""
    for lowest, band in BANDS:
        if points >= lowest:
            return band
    return "bad"


# --------------------------------------------------------------------------- #
# Results
# --------------------------------------------------------------------------- #

@dataclass(slots=True)
class Indicator:
    """One indicator's verdict. ``passed`` None means not assessable yet (a
    link that has not been checked): no points, and nothing for the publisher
    to fix.

    Read-only by convention, not frozen: a score builds 23 of them, and a
    frozen dataclass costs four times as much to construct, most of a call.
    """

    dimension: str
    key: str
    label: str
    points_max: int
    points: int
    passed: bool | None
    reason: str
    fix: str
    #: the DCAT property data.europa.eu reads, and the values the published
    #: RDF holds for it (URIs as published, literals as text)
    property: str = ""
    found: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {
            "dimension": self.dimension, "key": self.key, "label": self.label,
            "points_max": self.points_max, "points": self.points,
            "passed": self.passed, "reason": self.reason, "fix": self.fix,
            "property": self.property, "found": list(self.found),
        }


@dataclass(frozen=True)
class MetadataScore:
    """All indicators of one dataset and their totals."""

    indicators: tuple[Indicator, ...]
    points: int
    max_points: int
    dimensions: Mapping[str, tuple[int, int]]
    band: str

    def indicator(self, key: str) -> Indicator:
        """The indicator with this key (KeyError naming it otherwise)."""
        for indicator in self.indicators:
            if indicator.key == key:
                return indicator
        raise KeyError(f"no indicator {key!r}")

    @property
    def failing(self) -> tuple[Indicator, ...]:
        """What the publisher can fix, highest points first."""
        return tuple(sorted((i for i in self.indicators if i.passed is False),
                            key=lambda i: -i.points_max))

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON types only: it is stored and served as it is."""
        return {
            "points": self.points,
            "max_points": self.max_points,
            "band": self.band,
            "dimensions": {name: {"points": points, "max": maximum}
                           for name, (points, maximum) in self.dimensions.items()},
            "indicators": [indicator.to_dict() for indicator in self.indicators],
        }


# --------------------------------------------------------------------------- #
# The format table
# --------------------------------------------------------------------------- #

@dataclass(frozen=True)
class FileFormat:
    """A file type of the EU authority table, as MQA judges it."""

    code: str
    non_proprietary: bool
    machine_readable: bool
    media_types: tuple[str, ...]
    download: bool = True

    @property
    def uri(self) -> str:
        return FILE_TYPE_BASE + self.code


def _format_key(value: str) -> str:
    """Match a format however CKAN users and harvesters write it: any case,
    with a leading dot, or as the EU URI in http or https."""
    key = value.strip().lower()
    if key.startswith("https://"):
        key = "http://" + key[len("https://"):]
    return key.rstrip("/").lstrip(".")


def _media_type_key(value: str) -> str:
    """text/csv from "Text/CSV; charset=utf-8" or from its IANA URI."""
    key = value.strip().lower()
    if _IANA_PATH in key:
        key = key.split(_IANA_PATH, 1)[1]
    return key.split(";", 1)[0].strip().rstrip("/")


def _load_formats(path: Path) -> tuple[dict[str, FileFormat], dict[str, FileFormat],
                                         dict[str, FileFormat], frozenset[str]]:
    """(by code, by lookup key, by media type, every known media type).

    Raises ValueError naming the file on a malformed entry, at import time,
    rather than scoring every dataset wrongly.
    """
    data = vocabularies.read_yaml(path)
    where = path.name
    if not isinstance(data, Mapping) or not isinstance(data.get("formats"), list):
        raise ValueError(f"{where}: expected a mapping with a list of formats")
    by_code: dict[str, FileFormat] = {}
    by_key: dict[str, FileFormat] = {}
    by_media_type: dict[str, FileFormat] = {}
    for raw in data["formats"]:
        code = raw.get("code") if isinstance(raw, Mapping) else None
        if not isinstance(code, str) or not code or code != code.upper():
            raise ValueError(f"{where}: {raw!r}: code must be an upper-case file-type code")
        flags = [raw.get(name) for name in ("non_proprietary", "machine_readable")]
        if not all(isinstance(flag, bool) for flag in flags):
            raise ValueError(f"{where}: {code}: non_proprietary and machine_readable "
                             "must be true or false")
        media_types = tuple(raw.get("media_types") or ())
        if any(not isinstance(m, str) or m != _media_type_key(m) or "/" not in m
               for m in media_types):
            raise ValueError(f"{where}: {code}: media types must be lower-case type/subtype")
        entry = FileFormat(code, flags[0], flags[1], media_types, bool(raw.get("download", True)))
        if code in by_code:
            raise ValueError(f"{where}: {code}: listed twice")
        by_code[code] = entry
        for key in (code, entry.uri, *(raw.get("aliases") or ())):
            key = _format_key(str(key))
            if by_key.get(key, entry) is not entry:
                raise ValueError(f"{where}: {key!r} names both {by_key[key].code} and {code}")
            by_key[key] = entry
        for media_type in media_types:
            by_media_type.setdefault(media_type, entry)
    other = {_media_type_key(str(m)) for m in data.get("other_media_types") or ()}
    return by_code, by_key, by_media_type, frozenset(by_media_type) | other


_FORMATS, _FORMAT_BY_KEY, _FORMAT_BY_MEDIA_TYPE, _KNOWN_MEDIA_TYPES = _load_formats(FORMATS_FILE)
_LICENCES = vocabularies.get("licences")
_ACCESS_RIGHTS = vocabularies.get("access_rights")
_THEMES = vocabularies.get("data_themes")
_COUNTRIES = vocabularies.get("countries")
_REGIONS = vocabularies.get("regions")
_NOT_SPECIFIED = "notspecified"


def known_media_type(value: Any) -> bool:
    """A registered media type the format table knows (as text or IANA URI)."""
    return isinstance(value, str) and _media_type_key(value) in _KNOWN_MEDIA_TYPES


def file_format(value: Any) -> FileFormat | None:
    """The file type a format value (code, alias or EU URI) names, if known."""
    if not isinstance(value, str) or not value.strip():
        return None
    return _FORMAT_BY_KEY.get(_format_key(value))


# --------------------------------------------------------------------------- #
# Link statuses
# --------------------------------------------------------------------------- #

def _field(value: Any, name: str) -> Any:
    if isinstance(value, Mapping):
        return value.get(name)
    return getattr(value, name, None)


def link_answers(status: Any) -> bool | None:
    """Whether a link answers: True, False, or None when it was not checked.

    Accepts an HTTP status (2xx and 3xx answer), a LinkStatus or its dict
    (its own ``ok`` verdict wins, since the checker knows about redirects and
    the GET fallback), or None.
    """
    if status is None:
        return None
    if isinstance(status, bool):
        return status
    if isinstance(status, int):
        return 200 <= status < 400
    ok = _field(status, "ok")
    if isinstance(ok, bool):
        return ok
    code = _field(status, "status")
    if isinstance(code, int) and not isinstance(code, bool):
        return 200 <= code < 400
    return None


def _describe(status: Any) -> str:
    """"HTTP 404", "timeout"...: what a reason sentence says about a link."""
    if isinstance(status, int) and not isinstance(status, bool):
        return f"HTTP {status}"
    code = _field(status, "status")
    if isinstance(code, int) and not isinstance(code, bool):
        return f"HTTP {code}"
    kind = _field(status, "kind")
    if isinstance(kind, str) and kind:
        return kind.replace("_", " ")
    return "no answer"


# --------------------------------------------------------------------------- #
# Reading the dataset dict
# --------------------------------------------------------------------------- #

def _text(value: Any) -> str:
    return value.strip() if isinstance(value, str) else ""


def _values(value: Any) -> list[str]:
    """The non-empty strings of a list field (or of a single value)."""
    if isinstance(value, str):
        return [value.strip()] if value.strip() else []
    if isinstance(value, (list, tuple)):
        return [item.strip() for item in value if isinstance(item, str) and item.strip()]
    return []


def _positive(value: Any) -> bool:
    if isinstance(value, bool):
        return False
    if isinstance(value, (int, float)):
        return value > 0
    if isinstance(value, str):
        try:
            return float(value.strip()) > 0
        except ValueError:
            return False
    return False


def _exported_format(fmt: str, mimetype: str) -> tuple[str, str]:
    """(dct:format, dcat:mediaType) as ckanext-dcat's euro profile writes them."""
    if fmt and (not mimetype or mimetype == fmt):
        if _IANA_PATH in fmt or (not fmt.startswith("http") and "/" in fmt):
            return "", fmt
        return fmt, ""
    return fmt, mimetype


def published_media_type(value: str) -> str:
    """dcat:mediaType as profiles.py publishes it: a media type ("text/csv",
    any case, with parameters) becomes its IANA URI; anything else stays as
    written."""
    if _IANA_PATH in value:
        return value
    if "/" in value and not value.startswith("http"):
        return IANA_MEDIA_TYPES + _media_type_key(value)
    return value


def published_download_url(resource: Mapping[str, Any]) -> str:
    """The resource's dcat:downloadURL, the rule both the export and the score
    follow: its ``download_url`` field when set, else its ``url`` when that
    evidently is a file: an upload, or a resource declaring a format or media
    type that is not a web page or a service (HTML, WMS, WFS, WCS, REST)."""
    download_url = _text(resource.get("download_url"))
    if download_url:
        return download_url
    url = _text(resource.get("url"))
    if url and (resource.get("url_type") == "upload" or _looks_like_file(
            _text(resource.get("format")), _text(resource.get("mimetype")))):
        return url
    return ""


@dataclass(slots=True)
class _Distribution:
    """What the export says about one resource, computed once per call."""

    url: str
    download_url: str
    format: str
    file_format: FileFormat | None
    media_type: str
    media_type_known: bool
    byte_size: str
    rights: str
    licence: str
    licence_term: vocabularies.Term | None

    @property
    def published_format(self) -> str:
        return self.file_format.uri if self.file_format else self.format

    @property
    def published_licence(self) -> str:
        return _published_licence(self.licence, self.licence_term)


def _published_licence(code: str, term: vocabularies.Term | None) -> str:
    """A licence as profiles.py writes it: the EU URI, else the code of a
    licence of the vocabulary (a dct:LicenseDocument's identifier), else the
    value as written."""
    return (term.uri or term.code) if term is not None else code


def _licence(own: str, dataset_licence: str) -> tuple[str, vocabularies.Term | None]:
    """The licence profiles.py writes on a distribution: its own when known,
    else the dataset's when known, else its own as written (ckanext-dcat
    writes the field verbatim); a dataset licence outside the vocabulary is
    not published at all."""
    for raw in (own, dataset_licence):
        code = _LICENCES.normalise(raw) if raw else None
        if code:
            return code, _LICENCES.get(code)
    return own, None


def _looks_like_file(fmt: str, mimetype: str) -> bool:
    """A declared format or media type that is not a web page or a service."""
    if not fmt and not mimetype:
        return False
    for value in (fmt, mimetype):
        if not value:
            continue
        known = _FORMAT_BY_KEY.get(_format_key(value)) or _FORMAT_BY_MEDIA_TYPE.get(
            _media_type_key(value))
        if known is not None and not known.download:
            return False
    return True


def _size(value: Any) -> str:
    """The byte size as the export writes it (a positive number), or ""."""
    if not _positive(value):
        return ""
    number = float(value)
    return str(int(number)) if number.is_integer() else str(number)


def _rights(value: Any) -> str:
    if isinstance(value, Mapping):
        return next((text for text in map(_text, value.values()) if text), "")
    return _text(value)


def _distribution(resource: Mapping[str, Any], dataset_licence: str) -> _Distribution:
    fmt, media_type = _exported_format(_text(resource.get("format")),
                                       _text(resource.get("mimetype")))
    licence, licence_term = _licence(_text(resource.get("license")), dataset_licence)
    media_type = published_media_type(media_type) if media_type else ""
    return _Distribution(
        url=_text(resource.get("url")),
        download_url=published_download_url(resource),
        format=fmt,
        file_format=_FORMAT_BY_KEY.get(_format_key(fmt)) if fmt else None,
        media_type=media_type,
        media_type_known=bool(media_type) and _media_type_key(media_type) in _KNOWN_MEDIA_TYPES,
        byte_size=_size(resource.get("size")),
        rights=_rights(resource.get("rights")),
        licence=licence,
        licence_term=licence_term,
    )


@dataclass(slots=True)
class _Record:
    """The dataset dict, read once: every check works on this."""

    data: Mapping[str, Any]
    distributions: list[_Distribution]
    licence: str
    licence_term: vocabularies.Term | None
    link_status: Mapping[str, Any]


def _record(dataset: Mapping[str, Any], link_status: Mapping[str, Any] | None) -> _Record:
    dataset_licence = _text(dataset.get("license_id"))
    resources = dataset.get("resources")
    distributions = [
        _distribution(resource, dataset_licence)
        for resource in (resources if isinstance(resources, (list, tuple)) else ())
        if isinstance(resource, Mapping)
    ]
    licence, term = _licence("", dataset_licence)
    return _Record(dataset, distributions, licence, term, link_status or {})


# --------------------------------------------------------------------------- #
# The checks: each gives a Verdict
# --------------------------------------------------------------------------- #

class Verdict:
    """What one check found: passed (None: not assessable yet), the reason,
    the values the published RDF holds for the property, and a fix when it
    differs from the table's (a pending link, a dataset without resources).

    A plain class with slots: a score builds 23 of them per dataset."""

    __slots__ = ("passed", "reason", "found", "fix")

    def __init__(self, passed: bool | None, reason: str,
                 found: Iterable[str] = (), fix: str | None = None) -> None:
        self.passed = passed
        self.reason = reason
        self.found = tuple(dict.fromkeys(v for v in found if v))
        self.fix = fix


def plural(count: int, noun: str) -> str:
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"


def links_answer(urls: Iterable[str], link_status: Mapping[str, Any], what: str) -> Verdict:
    """The best-distribution rule for a link indicator."""
    urls = list(dict.fromkeys(urls))
    unchecked = 0
    failed: list[tuple[str, str]] = []
    for url in urls:
        status = link_status.get(url)
        verdict = link_answers(status)
        if verdict:
            return Verdict(True, f"{url} answers ({_describe(status)}).", urls)
        if verdict is None:
            unchecked += 1
        else:
            failed.append((url, _describe(status)))
    if unchecked:
        reason = f"{plural(unchecked, what)} not checked yet"
        if failed:
            reason += f"; {failed[0][0]} failed ({failed[0][1]})"
        return Verdict(None, reason + ".", urls, PENDING_FIX)
    url, description = failed[0]
    others = f" (and {plural(len(failed) - 1, 'other')})" if len(failed) > 1 else ""
    return Verdict(False, f"{url} does not answer ({description}){others}.", urls)


def _check_keywords(r: _Record) -> Verdict:
    tags = r.data.get("tags")
    names = [t.get("name") if isinstance(t, Mapping) else t
             for t in (tags if isinstance(tags, (list, tuple)) else ())]
    names = _values(names) or [t.strip() for t in _text(r.data.get("tag_string")).split(",")
                                if t.strip()]
    if names:
        return Verdict(True, f"{plural(len(names), 'keyword')}, e.g. “{names[0]}”.", names)
    return Verdict(False, "The dataset has no keyword.")


def _check_categories(r: _Record) -> Verdict:
    values = _values(r.data.get("theme"))
    known = [term for term in map(_THEMES.get, map(_THEMES.normalise, values)) if term]
    if known:
        return Verdict(True, f"EU data theme {', '.join(t.code for t in known)}.",
                       [t.uri for t in known])
    if values:
        return Verdict(False, f"{', '.join(values)} is not an EU data theme.")
    return Verdict(False, "The dataset has no EU data theme.")


def _check_spatial(r: _Record) -> Verdict:
    found = []
    for key, vocabulary in (("country", _COUNTRIES), ("region", _REGIONS)):
        term = vocabulary.get(vocabulary.normalise(_text(r.data.get(key))) or "")
        if term is not None:
            found.append(term.uri or term.code)
    found += _values(r.data.get("spatial_uri"))
    if found:
        return Verdict(True, f"Coverage: {', '.join(found)}.", found)
    return Verdict(False, "Neither a country nor a region is set.")


def _check_temporal(r: _Record) -> Verdict:
    start, end = _text(r.data.get("temporal_start")), _text(r.data.get("temporal_end"))
    if start or end:
        return Verdict(True, f"Temporal coverage {start or '…'} – {end or '…'}.", (start, end))
    return Verdict(False, "The temporal coverage is not set.")


def _check_access_url_status(r: _Record) -> Verdict:
    urls = [d.url for d in r.distributions if d.url]
    if not urls:
        found = "No resource has a URL." if r.distributions else "The dataset has no resource."
        return Verdict(False, found, fix=N_("Add a resource with the URL of the data."))
    return links_answer(urls, r.link_status, "link")


def _check_download_url(r: _Record) -> Verdict:
    urls = [d.download_url for d in r.distributions if d.download_url]
    if urls:
        return Verdict(True, f"{urls[0]} is a file link.", urls)
    if not r.distributions:
        return Verdict(False, "The dataset has no resource.")
    return Verdict(False, "No resource links to a file (no upload, no format, no download URL).")


def _check_download_url_status(r: _Record) -> Verdict:
    urls = [d.download_url for d in r.distributions if d.download_url]
    if not urls:
        return Verdict(False, "There is no download URL to check.",
                       fix=INDICATOR_BY_KEY["download_url"].fix)
    return links_answer(urls, r.link_status, "file link")


def _check_format(r: _Record) -> Verdict:
    found = [d.published_format for d in r.distributions if d.format]
    if found:
        first = next(d for d in r.distributions if d.format)
        return Verdict(True, f"Format {first.file_format.code if first.file_format else first.format}.",
                       found)
    shaped = next((d.media_type for d in r.distributions if d.media_type), "")
    if shaped:
        return Verdict(False, f"No resource has a format; “{shaped}” is a media type "
                       "and is exported as one.")
    return Verdict(False, "No resource has a format.")


def _check_media_type(r: _Record) -> Verdict:
    found = [d.media_type for d in r.distributions if d.media_type]
    if found:
        return Verdict(True, f"Media type {_media_type_key(found[0])}.", found)
    return Verdict(False, "No resource has a media type.")


def _check_format_vocabulary(r: _Record) -> Verdict:
    found = [v for d in r.distributions
             for v in (d.file_format.uri if d.file_format else "",
                       d.media_type if d.media_type_known else "")]
    if any(found):
        d = next(d for d in r.distributions if d.file_format or d.media_type_known)
        if d.file_format is not None:
            return Verdict(True, f"{d.format} is the EU file type {d.file_format.code}.", found)
        return Verdict(True, f"{_media_type_key(d.media_type)} is a registered media type.",
                       found)
    given = [v for d in r.distributions for v in (d.published_format, d.media_type) if v]
    if given:
        return Verdict(False, f"{', '.join(dict.fromkeys(given))}: not in the EU file-type list.",
                       given)
    return Verdict(False, "No resource has a format or a media type.")


def _format_flag(r: _Record, flag: str, adjective: str) -> Verdict:
    found = [d.published_format for d in r.distributions if d.format]
    for d in r.distributions:
        if d.file_format is not None and getattr(d.file_format, flag):
            return Verdict(True, f"{d.file_format.code} is {adjective}.", found)
    codes = [d.file_format.code if d.file_format else d.format for d in r.distributions if d.format]
    if codes:
        return Verdict(False, f"{', '.join(dict.fromkeys(codes))}: not {adjective} "
                       "for data.europa.eu.", found)
    return Verdict(False, "No resource has a format.")


def _check_non_proprietary(r: _Record) -> Verdict:
    return _format_flag(r, "non_proprietary", "non-proprietary")


def _check_machine_readable(r: _Record) -> Verdict:
    return _format_flag(r, "machine_readable", "machine-readable")


def _check_dcat_ap_compliance(r: _Record) -> Verdict:
    missing = [name for name, key in (("title", "title"), ("description", "notes"))
               if not _text(r.data.get(key))]
    without_url = sum(1 for d in r.distributions if not d.url)
    if without_url:
        missing.append(f"URL of {plural(without_url, 'resource')}")
    if missing:
        return Verdict(False, f"DCAT-AP mandatory properties missing: {', '.join(missing)}.")
    return Verdict(True, "Title, description and every access URL present "
                   "(a structural check, not the SHACL validation).")


def _published_licences(r: _Record) -> list[tuple[str, str, vocabularies.Term | None]]:
    """(code, as published, term) of each distribution, or of the dataset."""
    if r.distributions:
        return [(d.licence, d.published_licence, d.licence_term) for d in r.distributions]
    return [(r.licence, _published_licence(r.licence, r.licence_term), r.licence_term)]


def _check_licence(r: _Record) -> Verdict:
    licences = _published_licences(r)
    found = [published for _, published, _ in licences]
    for code, _, _ in licences:
        if code and code != _NOT_SPECIFIED:
            return Verdict(True, f"Licence {code}.", found)
    if any(code == _NOT_SPECIFIED for code, _, _ in licences):
        return Verdict(False, "The licence is “not specified”.", found)
    return Verdict(False, "No licence is set.")


def _check_licence_vocabulary(r: _Record) -> Verdict:
    licences = _published_licences(r)
    found = [published for _, published, _ in licences]
    for code, _, term in licences:
        if term is not None and term.uri:
            return Verdict(True, f"{code} is the EU licence {term.uri.rsplit('/', 1)[-1]}.", found)
    given = [code for code, _, _ in licences if code]
    if given:
        return Verdict(False, f"{', '.join(dict.fromkeys(given))}: not in the EU licence list.",
                       found)
    return Verdict(False, "No licence is set.")


def _access_rights(r: _Record) -> tuple[str, vocabularies.Term | None]:
    value = _text(r.data.get("access_rights"))
    code = _ACCESS_RIGHTS.normalise(value) if value else None
    return value, _ACCESS_RIGHTS.get(code) if code else None


def _check_access_rights(r: _Record) -> Verdict:
    value, term = _access_rights(r)
    if value:
        return Verdict(True, f"Access rights {value}.", [term.uri if term else value])
    return Verdict(False, "The access rights are not set.")


def _check_access_rights_vocabulary(r: _Record) -> Verdict:
    value, term = _access_rights(r)
    if term is not None:
        return Verdict(True, f"{term.code} is an EU access right.", [term.uri])
    if value:
        return Verdict(False, f"“{value}” is not an EU access right.", [value])
    return Verdict(False, "The access rights are not set.")


def _first_text(data: Mapping[str, Any], *keys: str) -> str:
    """The first of these fields that holds text: the fallback order in which
    ckanext-dcat's euro profile reads them."""
    return next((text for text in (_text(data.get(key)) for key in keys) if text), "")


def _mailto(email: str) -> str:
    return email if not email or email.startswith("mailto:") else "mailto:" + email


def _check_contact_point(r: _Record) -> Verdict:
    # dcat:contactPoint: each ``contact`` entry (vcard:fn, vcard:hasEmail), and
    # the euro profile's own contact from contact_*/maintainer/author fields
    found: list[str] = []
    contacts = r.data.get("contact")
    for contact in contacts if isinstance(contacts, (list, tuple)) else ():
        if isinstance(contact, Mapping):
            found += [_text(contact.get("name")), _mailto(_text(contact.get("email")))]
    found += [_first_text(r.data, "contact_name", "maintainer", "author"),
              _mailto(_first_text(r.data, "contact_email", "maintainer_email", "author_email"))]
    found = [value for value in found if value]
    if found:
        return Verdict(True, f"Contact: {found[0].removeprefix('mailto:')}.", found)
    return Verdict(False, "There is no contact point.")


def _check_publisher(r: _Record) -> Verdict:
    # the euro profile: publisher_name/_uri, else the organization's title
    name = _text(r.data.get("publisher_name")) or _text(r.data.get("publisher_uri"))
    organization = r.data.get("organization")
    if not name and isinstance(organization, Mapping) and _text(organization.get("id")):
        name = _text(organization.get("title")) or _text(organization.get("name"))
    if name:
        return Verdict(True, f"Published by {name}.", [name])
    return Verdict(False, "The dataset has no publisher (organization).")


def _check_rights(r: _Record) -> Verdict:
    found = [d.rights for d in r.distributions if d.rights]
    if found:
        return Verdict(True, f"{plural(len(found), 'resource')} with a rights statement.", found)
    return Verdict(False, "No resource carries a rights statement.")


def _check_byte_size(r: _Record) -> Verdict:
    found = [d.byte_size for d in r.distributions if d.byte_size]
    if found:
        return Verdict(True, f"{plural(len(found), 'resource')} with a byte size.", found)
    return Verdict(False, "No resource gives its size in bytes.")


def _date(r: _Record, field: str, fallback: str, what: str) -> Verdict:
    value = _text(r.data.get(field))
    if value:
        return Verdict(True, f"{what} {value}.", [value])
    value = _text(r.data.get(fallback))
    if value:
        return Verdict(True, f"No {what.lower()}; the export gives the record's {fallback} "
                       f"({value}).", [value])
    return Verdict(False, f"No {what.lower()}.")


def _check_issued(r: _Record) -> Verdict:
    return _date(r, "issued", "metadata_created", "Release date")


def _check_modified(r: _Record) -> Verdict:
    return _date(r, "modified", "metadata_modified", "Modification date")


_CHECKS: tuple[tuple[IndicatorSpec, Callable[[_Record], Verdict]], ...] = tuple(
    (spec, globals()[f"_check_{spec.key}"]) for spec in INDICATORS
)


# --------------------------------------------------------------------------- #
# Scoring
# --------------------------------------------------------------------------- #

def score_verdicts(verdicts: Iterable[tuple[IndicatorSpec, Verdict]]) -> MetadataScore:
    """The MetadataScore of one verdict per indicator of the table (in its
    order): shared by the dict scorer here and the RDF one (``quality.rdf``)."""
    indicators = []
    totals = dict.fromkeys(DIMENSIONS, 0)
    for spec, verdict in verdicts:
        passed = verdict.passed
        points = spec.points if passed else 0
        totals[spec.dimension] += points
        fix = verdict.fix if verdict.fix is not None else ("" if passed else spec.fix)
        indicators.append(Indicator(spec.dimension, spec.key, spec.label, spec.points,
                                    points, passed, verdict.reason, fix, spec.property,
                                    verdict.found))
    points = sum(totals.values())
    return MetadataScore(
        indicators=tuple(indicators),
        points=points,
        max_points=MAX_POINTS,
        dimensions=MappingProxyType({d: (totals[d], DIMENSION_MAX[d]) for d in DIMENSIONS}),
        band=band_for(points),
    )


def score_metadata(dataset: Mapping[str, Any],
                   link_status: Mapping[str, Any] | None = None) -> MetadataScore:
    """The MQA verdict on a dataset dict (as package_show returns it).

    ``link_status`` maps URLs to what the link checker found (a LinkStatus,
    its dict, an HTTP status, or None); without it the link indicators are
    "not checked yet". Never raises on odd values: a field of the wrong type
    counts as missing.
    """
    record = _record(dataset if isinstance(dataset, Mapping) else {}, link_status)
    return score_verdicts((spec, check(record)) for spec, check in _CHECKS)
