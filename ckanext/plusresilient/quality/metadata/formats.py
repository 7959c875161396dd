"""The format table: the EU file types and the media types data.europa.eu knows.

Read once at import from ``quality/formats.yaml`` (which the profile reads
through the same functions), so a call only looks a value up; a malformed
entry fails the import, naming the file, rather than scoring every dataset
wrongly.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from collections.abc import Mapping
from typing import Any

from ckanext.plusresilient import vocabularies

# The table stays in quality/, beside the other data the scorer reads.
FORMATS_FILE = Path(__file__).resolve().parents[1] / "formats.yaml"
FILE_TYPE_BASE = "http://publications.europa.eu/resource/authority/file-type/"
_IANA_PATH = "iana.org/assignments/media-types/"
#: The prefix of IANA media type URIs, as the export writes them.
IANA_MEDIA_TYPES = "https://www.iana.org/assignments/media-types/"


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


def known_media_type(value: Any) -> bool:
    """A registered media type the format table knows (as text or IANA URI)."""
    return isinstance(value, str) and _media_type_key(value) in _KNOWN_MEDIA_TYPES


def file_format(value: Any) -> FileFormat | None:
    """The file type a format value (code, alias or EU URI) names, if known."""
    if not isinstance(value, str) or not value.strip():
        return None
    return _FORMAT_BY_KEY.get(_format_key(value))
