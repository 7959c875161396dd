"""Validators the suite registers with CKAN (IValidators), by name.

Two families: the SVRC schemas' field validators, which the scheming YAML
names (they live in logic/field_validators.py and are listed here so that
CKAN registers them), and the validators of the ``plusresilient_*``
actions' parameters, which logic/schema.py combines into one schema per
action.

CKAN's validators are used where they refuse what they should
(``not_empty``, ``default``, ``int_validator`` inside ``whole_number``). The
others are stricter than CKAN's, because the API hands the actions whatever
JSON or a query string holds:

- ``boolean``: CKAN's ``boolean_validator`` reads any unknown word as false
  ("maybe" would silently mean no) and fails with an AttributeError on a list;
- ``whole_number``: ``int_validator`` takes ``true`` as 1 and any size, and
  2**63 overflows PostgreSQL's integers;
- ``text`` / ``identifier``: ``unicode_safe`` turns a list or an object into
  its JSON, so ``["a", "b"]`` would become an id; and a lone surrogate
  (``"\\ud800"`` in JSON) cannot be encoded as UTF-8, so it must be refused
  here rather than fail in the database driver or the response;
- ``optional``: CKAN's ``ignore_empty`` also skips 0, false, [] and {}, which
  are values to judge, not absences.

Every validator that fails stops its parameter's chain (navl otherwise runs
the next validators on the value that failed).

Messages are translated when a value fails, in the request's language (the
API's too: ``/it/api/3/action/...``), never when the module is imported; a
choice is refused with the allowed values' labels beside their codes (the
code is what a caller sends, the label says what it means).
"""
from __future__ import annotations

import json
import unicodedata
from typing import Any, Callable, Iterable

import ckan.plugins.toolkit as tk
from ckan.lib.navl.dictization_functions import Invalid, StopOnError, missing

from ckanext.plusresilient import portals as directory
from ckanext.plusresilient import vocabularies
from ckanext.plusresilient.labels import Labels, choices_text, vocabulary_choices_text
from ckanext.plusresilient.logic.field_validators import (
    plusresilient_choice,
    plusresilient_dataset_links,
    plusresilient_date_in_range,
    plusresilient_end_after_start,
    plusresilient_http_url,
    plusresilient_media_type,
    plusresilient_multiple_choice,
    plusresilient_region_in_country,
    plusresilient_resource_format,
    plusresilient_resource_url,
    plusresilient_storable_text,
    plusresilient_table_schema,
    plusresilient_url_list,
)

__all__ = [
    # the schemas' fields
    "plusresilient_choice",
    "plusresilient_multiple_choice",
    "plusresilient_region_in_country",
    "plusresilient_end_after_start",
    "plusresilient_dataset_links",
    "plusresilient_url_list",
    "plusresilient_http_url",
    "plusresilient_resource_url",
    "plusresilient_table_schema",
    "plusresilient_media_type",
    "plusresilient_resource_format",
    "plusresilient_date_in_range",
    "plusresilient_storable_text",
    # the actions' parameters
    "plusresilient_boolean",
    "plusresilient_country_codes",
    "plusresilient_harvester_override",
    "plusresilient_identifier",
    "plusresilient_junk",
    "plusresilient_one_of",
    "plusresilient_optional",
    "plusresilient_text",
    "plusresilient_whole_number",
]

_TRUE = ("true", "yes", "on", "y", "t", "1")
_FALSE = ("false", "no", "off", "n", "f", "0")


# -- the actions' parameters ------------------------------------------------------------------------------

def _stopping(check: Callable[[Any], Any]) -> Callable[..., None]:
    """A check of one value (returning it converted, raising Invalid) as a
    navl validator that stops its parameter's chain when the check fails."""
    def validator(key: Any, data: dict[Any, Any], errors: dict[Any, list[str]],
                  context: dict[str, Any]) -> None:
        try:
            data[key] = check(data.get(key))
        except Invalid as error:
            errors[key].append(error.error)
            raise StopOnError
    validator.__name__ = getattr(check, "__name__", "validator")
    validator.__doc__ = check.__doc__
    return validator


def _what(value: Any) -> str:
    """How a refused value is named in a message (never the value itself,
    which may be huge or unprintable)."""
    if isinstance(value, bool):
        return tk._("true or false")
    if isinstance(value, (int, float)):
        return tk._("a number")
    if isinstance(value, (list, tuple)):
        return tk._("a list")
    if isinstance(value, dict):
        return tk._("an object")
    if hasattr(value, "filename") or hasattr(value, "read"):
        return tk._("a file")
    return type(value).__name__


def _encodable(value: str) -> str:
    """The value, if it can be stored as UTF-8: JSON can carry a lone
    surrogate (``"\\ud800"``), which no database or response can encode."""
    for position, char in enumerate(value):
        if unicodedata.category(char) == "Cs":
            raise Invalid(tk._("Not valid text: character {position} is a lone surrogate "
                               "(U+{code}), which cannot be stored").format(
                position=position + 1, code=f"{ord(char):04X}"))
    return value


def _text(value: Any) -> str:
    """One text (a string), storable as UTF-8."""
    if not isinstance(value, str):
        raise Invalid(tk._("Must be text, not {what}").format(what=_what(value)))
    return _encodable(value)


def _identifier(value: Any) -> str:
    """A name or id: one text without control characters (PostgreSQL
    refuses NUL in text, and no name or id holds them)."""
    value = _text(value)
    if any(unicodedata.category(char) == "Cc" for char in value):
        raise Invalid(tk._("Must not contain control characters"))
    return value


#: One text, storable (free text is cleaned further by the feedback logic).
plusresilient_text = _stopping(_text)
#: An id or a name.
plusresilient_identifier = _stopping(_identifier)


def _boolean(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, int) and value in (0, 1):
        return bool(value)
    if isinstance(value, str) and value.strip().lower() in _TRUE + _FALSE:
        return value.strip().lower() in _TRUE
    raise Invalid(tk._("Must be true or false"))


#: true/false, or their usual spellings in a query string (yes/no, on/off, 1/0).
plusresilient_boolean = _stopping(_boolean)


def whole_number_refusal(minimum: int, maximum: int) -> str:
    return tk._("Must be a whole number from {minimum} to {maximum}").format(
        minimum=minimum, maximum=maximum)


def plusresilient_whole_number(minimum: int, maximum: int) -> Callable[..., None]:
    """A whole number within [minimum, maximum], given as a number or its
    text (query strings are text). ``true`` is not a number."""
    int_validator = tk.get_validator("int_validator")

    def check(value: Any) -> int:
        if isinstance(value, bool) or (isinstance(value, str) and not value.isascii()):
            raise Invalid(whole_number_refusal(minimum, maximum))
        try:
            number = int_validator(value, {})
        except Invalid:
            raise Invalid(whole_number_refusal(minimum, maximum)) from None
        if number is None or not minimum <= number <= maximum:
            raise Invalid(whole_number_refusal(minimum, maximum))
        return number

    return _stopping(check)


def plusresilient_one_of(values: Iterable[str], labels: Labels | None = None) -> Callable[..., None]:
    """One of these values, exactly; the refusal lists them with their
    ``labels`` (labels.py) in the user's language."""
    allowed = tuple(values)

    def check(value: Any) -> str:
        value = _text(value)
        if value not in allowed:
            raise Invalid(tk._("Must be one of: {values}").format(
                values=choices_text(labels or {}, allowed)))
        return value

    return _stopping(check)


def _country_codes(value: Any) -> list[str]:
    """A code, a comma-separated list, or a list of either (a repeated query
    parameter), as known codes (``GR`` is taken as ``EL``)."""
    if value in (None, "") or value == []:
        return []
    items = value if isinstance(value, list) else [value]
    codes: list[str] = []
    for item in items:
        if not isinstance(item, str):
            raise Invalid(tk._("Country codes must be text, not {what}").format(what=_what(item)))
        codes.extend(code.strip() for code in _encodable(item).split(",") if code.strip())
    known = vocabularies.get("countries")
    codes = [directory.normalise_country(code) for code in codes]
    unknown = sorted({code for code in codes if code not in known})
    if unknown:
        shown = ", ".join(code if code.isprintable() and len(code) <= 10 else repr(code[:10])
                          for code in unknown)
        raise Invalid(tk._("Unknown country codes {codes}; allowed: {allowed}").format(
            codes=shown, allowed=vocabulary_choices_text(known, known.codes())))
    return list(dict.fromkeys(codes))


#: The ``country`` filter of the portal and statistics actions: a list of codes.
plusresilient_country_codes = _stopping(_country_codes)


def _harvester_override(value: Any) -> dict[str, str]:
    """Portal software -> harvest source type, as an object or its JSON."""
    if value in (None, "") or value == {}:
        return {}
    if isinstance(value, str):
        try:
            value = json.loads(_encodable(value))
        except (ValueError, RecursionError):
            raise Invalid(tk._("Not valid JSON")) from None
    if not isinstance(value, dict):
        raise Invalid(tk._("Expected a mapping of portal software to harvest source type"))
    problems = [
        repr(software)[:40] for software, source_type in value.items()
        if software not in directory.SOFTWARE
        or not isinstance(source_type, str) or not source_type.strip()
        or any(unicodedata.category(char) in ("Cs", "Cc") for char in source_type)
    ]
    if problems:
        raise Invalid(tk._("Invalid entries {entries}: keys must be one of {software} and values "
                           "source type names").format(entries=", ".join(problems),
                                                       software=", ".join(directory.SOFTWARE)))
    return {software: source_type.strip() for software, source_type in value.items()}


plusresilient_harvester_override = _stopping(_harvester_override)


def plusresilient_optional(key: Any, data: dict[Any, Any], errors: dict[Any, list[str]],
             context: dict[str, Any]) -> None:
    """An optional parameter: absent when missing, null or "" (a form's empty
    field). Unlike CKAN's ignore_empty, 0, false, [] and {} are not taken
    as absent: they are values, and the next validators judge them."""
    value = data.get(key)
    if value is missing or value is None or (isinstance(value, str) and value == ""):
        data.pop(key, None)
        raise StopOnError


def plusresilient_junk(key: Any, data: dict[Any, Any], errors: dict[Any, list[str]],
                       context: dict[str, Any]) -> None:
    """What navl could not place goes, unless it is a parameter's value it
    took apart: CKAN 2.11 flattens a list of objects whatever the schema
    (2.12 only where it nests one), so that value would otherwise vanish and
    its parameter count as not given."""
    for junk_key in data.pop(key, None) or {}:
        if isinstance(junk_key, tuple) and len(junk_key) > 1 and (junk_key[0],) in errors:
            message = tk._("Must not be a list of objects")
            if message not in errors[(junk_key[0],)]:
                errors[(junk_key[0],)].append(message)
    raise StopOnError
