"""What our DCAT-AP export publishes for a dataset dict, read once per score.

The score is what is published: the profile (``ckanext.plusresilient.profiles``)
writes a distribution's download URL, media type and licence with these very
functions, and the checks read the record built here, so the two cannot
drift apart.
"""
from __future__ import annotations

from dataclasses import dataclass
from collections.abc import Mapping
from typing import Any

from ckanext.plusresilient import vocabularies
from ckanext.plusresilient.quality.metadata.formats import (
    _FORMAT_BY_KEY,
    _FORMAT_BY_MEDIA_TYPE,
    _IANA_PATH,
    _KNOWN_MEDIA_TYPES,
    IANA_MEDIA_TYPES,
    FileFormat,
    _format_key,
    _media_type_key,
)

_LICENCES = vocabularies.get("licences")


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
    """dcat:mediaType as our profile publishes it: a media type ("text/csv",
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
    """A licence as our profile writes it: the EU URI, else the code of a
    licence of the vocabulary (a dct:LicenseDocument's identifier), else the
    value as written."""
    return (term.uri or term.code) if term is not None else code


def _licence(own: str, dataset_licence: str) -> tuple[str, vocabularies.Term | None]:
    """The licence our profile writes on a distribution: its own when known,
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
