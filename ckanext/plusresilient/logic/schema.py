"""The parameters of every ``plusresilient_*`` action, as navl schemas.

Each action validates its parameters here first, before its auth function
and before anything touches the database, so that a value of the wrong type
is a ValidationError (HTTP 409 with a message naming the parameter) and never
a 500, and so that auth functions and the logic only ever see values of the
documented types. Nothing here reads the database: whether a dataset or an
item exists, and whether the caller may see it, is decided afterwards, so
validating first reveals nothing. Parameters not in an action's schema are
ignored, as CKAN's own actions ignore them.

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
"""
from __future__ import annotations

import json
import unicodedata
from typing import Any, Callable, Iterable

import ckan.plugins.toolkit as tk
from ckan.lib.navl.dictization_functions import Invalid, StopOnError, missing

from ckanext.plusresilient import portals as directory
from ckanext.plusresilient import vocabularies
from ckanext.plusresilient.model.feedback import (
    CATEGORIES,
    KINDS,
    MODERATION_STATES,
    STATUSES,
)

__all__ = [
    "MAX_INTEGER",
    "SUMMARY_GROUPINGS",
    "boolean",
    "choice",
    "country_codes",
    "for_action",
    "harvester_override",
    "identifier",
    "optional",
    "text",
    "validate",
    "whole_number",
]

Schema = dict[str, list[Callable[..., Any]]]

#: The largest page size or offset accepted: PostgreSQL's integer, far past
#: any real catalog, and far from the 2**63 that overflows its bigint.
MAX_INTEGER = 2**31 - 1
#: ``by`` of plusresilient_quality_summary (the keys of action.SUMMARY_GROUPS).
SUMMARY_GROUPINGS = ("country", "region", "organization", "harvest_source")
INDICATORS_DEFAULT_LIMIT = 10
INDICATORS_MAX_LIMIT = 50
FEEDBACK_DEFAULT_LIMIT = 50

_TRUE = ("true", "yes", "on", "y", "t", "1")
_FALSE = ("false", "no", "off", "n", "f", "0")


def validate(data_dict: dict[str, Any], schema: Schema, context: dict[str, Any]) -> dict[str, Any]:
    """The parameters the schema knows, converted; unknown ones are dropped.

    :raises ckan.logic.ValidationError: naming every bad parameter at once
    """
    validated, errors = tk.navl_validate(dict(data_dict or {}), schema, context)
    if errors:
        raise tk.ValidationError(errors)
    return {key: value for key, value in validated.items() if key in schema}


# -- validators ------------------------------------------------------------------------------

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
        return "true or false"
    if isinstance(value, (int, float)):
        return "a number"
    if isinstance(value, (list, tuple)):
        return "a list"
    if isinstance(value, dict):
        return "an object"
    if hasattr(value, "filename") or hasattr(value, "read"):
        return "a file"
    return type(value).__name__


def _encodable(value: str) -> str:
    """The value, if it can be stored as UTF-8: JSON can carry a lone
    surrogate (``"\\ud800"``), which no database or response can encode."""
    for position, char in enumerate(value):
        if unicodedata.category(char) == "Cs":
            raise Invalid(f"Not valid text: character {position + 1} is a lone surrogate "
                          f"(U+{ord(char):04X}), which cannot be stored")
    return value


def _text(value: Any) -> str:
    """One text (a string), storable as UTF-8."""
    if not isinstance(value, str):
        raise Invalid(f"Must be text, not {_what(value)}")
    return _encodable(value)


def _identifier(value: Any) -> str:
    """A name or id: one text without control characters (PostgreSQL
    refuses NUL in text, and no name or id holds them)."""
    value = _text(value)
    if any(unicodedata.category(char) == "Cc" for char in value):
        raise Invalid("Must not contain control characters")
    return value


#: One text, storable (free text is cleaned further by the feedback logic).
text = _stopping(_text)
#: An id or a name.
identifier = _stopping(_identifier)


def _boolean(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, int) and value in (0, 1):
        return bool(value)
    if isinstance(value, str) and value.strip().lower() in _TRUE + _FALSE:
        return value.strip().lower() in _TRUE
    raise Invalid("Must be true or false")


#: true/false, or their usual spellings in a query string (yes/no, on/off, 1/0).
boolean = _stopping(_boolean)


def whole_number(minimum: int, maximum: int, message: str | None = None) -> Callable[..., None]:
    """A whole number within [minimum, maximum], given as a number or its
    text (query strings are text). ``true`` is not a number."""
    int_validator = tk.get_validator("int_validator")
    refusal = message or f"Must be a whole number from {minimum} to {maximum}"

    def check(value: Any) -> int:
        if isinstance(value, bool) or (isinstance(value, str) and not value.isascii()):
            raise Invalid(refusal)
        try:
            number = int_validator(value, {})
        except Invalid:
            raise Invalid(refusal) from None
        if number is None or not minimum <= number <= maximum:
            raise Invalid(refusal)
        return number

    return _stopping(check)


def choice(values: Iterable[str]) -> Callable[..., None]:
    """One of these values, exactly."""
    allowed = tuple(values)

    def check(value: Any) -> str:
        value = _text(value)
        if value not in allowed:
            raise Invalid(tk._("Must be one of: {values}").format(values=", ".join(allowed)))
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
            raise Invalid(f"Country codes must be text, not {_what(item)}")
        codes.extend(code.strip() for code in _encodable(item).split(",") if code.strip())
    known = vocabularies.get("countries")
    codes = [directory.normalise_country(code) for code in codes]
    unknown = sorted({code for code in codes if code not in known})
    if unknown:
        shown = ", ".join(code if code.isprintable() and len(code) <= 10 else repr(code[:10])
                          for code in unknown)
        raise Invalid(f"Unknown country codes {shown}; allowed: {', '.join(known.codes())}")
    return list(dict.fromkeys(codes))


#: The ``country`` filter of the portal and statistics actions: a list of codes.
country_codes = _stopping(_country_codes)


def _harvester_override(value: Any) -> dict[str, str]:
    """Portal software -> harvest source type, as an object or its JSON."""
    if value in (None, "") or value == {}:
        return {}
    if isinstance(value, str):
        try:
            value = json.loads(_encodable(value))
        except (ValueError, RecursionError):
            raise Invalid("Not valid JSON") from None
    if not isinstance(value, dict):
        raise Invalid("Expected a mapping of portal software to harvest source type")
    problems = [
        repr(software)[:40] for software, source_type in value.items()
        if software not in directory.SOFTWARE
        or not isinstance(source_type, str) or not source_type.strip()
        or any(unicodedata.category(char) in ("Cs", "Cc") for char in source_type)
    ]
    if problems:
        raise Invalid(f"Invalid entries {', '.join(problems)}: keys must be one of "
                      f"{', '.join(directory.SOFTWARE)} and values source type names")
    return {software: source_type.strip() for software, source_type in value.items()}


harvester_override = _stopping(_harvester_override)


def optional(key: Any, data: dict[Any, Any], errors: dict[Any, list[str]],
             context: dict[str, Any]) -> None:
    """An optional parameter: absent when missing, null or "" (a form's empty
    field). Unlike CKAN's ignore_empty, 0, false, [] and {} are not taken
    as absent: they are values, and the next validators judge them."""
    value = data.get(key)
    if value is missing or value is None or (isinstance(value, str) and value == ""):
        data.pop(key, None)
        raise StopOnError


# -- the schemas -----------------------------------------------------------------------------
# One function per action, so each call gets fresh validator lists.

def _v(name: str) -> Callable[..., Any]:
    return tk.get_validator(name)


def _required_id() -> list[Callable[..., Any]]:
    return [_v("not_empty"), identifier]


def _optional_id() -> list[Callable[..., Any]]:
    return [optional, identifier]


def _flag(default: bool = False) -> list[Callable[..., Any]]:
    return [_v("default")(default), boolean]


def _countries() -> list[Callable[..., Any]]:
    return [_v("default")(""), country_codes]


def _page(default_limit: int) -> Schema:
    return {
        "limit": [_v("default")(default_limit), whole_number(0, MAX_INTEGER)],
        "offset": [_v("default")(0), whole_number(0, MAX_INTEGER)],
    }


def _feedback_filters() -> Schema:
    return {
        "status": [optional, choice(STATUSES)],
        "kind": [optional, choice(KINDS)],
        **_page(FEEDBACK_DEFAULT_LIMIT),
    }


def portal_list() -> Schema:
    return {"country": _countries()}


def portals_sync() -> Schema:
    return {
        "country": _countries(),
        "dry_run": _flag(),
        "harvester_override": [_v("default")(""), harvester_override],
    }


def quality_show() -> Schema:
    return {"id": _required_id(), "history": _flag()}


def quality_refresh() -> Schema:
    return {"id": _required_id(), "wait": _flag()}


def quality_summary() -> Schema:
    return {"by": [optional, choice(SUMMARY_GROUPINGS)]}


def quality_trend() -> Schema:
    return {"organization": _optional_id(), "country": _countries()}


def quality_indicators() -> Schema:
    return {
        "limit": [_v("default")(INDICATORS_DEFAULT_LIMIT),
                  whole_number(1, INDICATORS_MAX_LIMIT)],
        "organization": _optional_id(),
        "country": _countries(),
    }


def feedback_create() -> Schema:
    return {
        "package_id": _required_id(),
        "resource_id": _optional_id(),
        "kind": [_v("not_empty"), choice(KINDS)],
        "rating": [optional, whole_number(1, 5, "A whole number from 1 to 5")],
        "category": [optional, choice(CATEGORIES)],
        "text": [_v("default")(""), text],
    }


def feedback_list() -> Schema:
    return {"package_id": _required_id(), "include_hidden": _flag(), **_feedback_filters()}


def feedback_item() -> Schema:
    """feedback_show and feedback_delete: the item alone."""
    return {"id": _required_id()}


def feedback_update_status() -> Schema:
    return {"id": _required_id(), "status": [_v("not_empty"), choice(STATUSES)]}


def feedback_reply() -> Schema:
    return {"id": _required_id(), "text": [_v("not_empty"), text]}


def feedback_moderate() -> Schema:
    return {"id": _required_id(), "moderation": [_v("not_empty"), choice(MODERATION_STATES)]}


def feedback_flag() -> Schema:
    return {"id": _required_id(), "reason": [_v("default")(""), text]}


def feedback_queue() -> Schema:
    return {"organization": _optional_id(), **_feedback_filters()}


def feedback_mine() -> Schema:
    return _feedback_filters()


def harvest_provenance() -> Schema:
    return {"id": _required_id()}


_SCHEMAS: dict[str, Callable[[], Schema]] = {
    "plusresilient_portal_list": portal_list,
    "plusresilient_portals_sync": portals_sync,
    "plusresilient_quality_show": quality_show,
    "plusresilient_quality_refresh": quality_refresh,
    "plusresilient_quality_summary": quality_summary,
    "plusresilient_quality_trend": quality_trend,
    "plusresilient_quality_indicators": quality_indicators,
    "plusresilient_feedback_create": feedback_create,
    "plusresilient_feedback_list": feedback_list,
    "plusresilient_feedback_show": feedback_item,
    "plusresilient_feedback_update_status": feedback_update_status,
    "plusresilient_feedback_reply": feedback_reply,
    "plusresilient_feedback_moderate": feedback_moderate,
    "plusresilient_feedback_delete": feedback_item,
    "plusresilient_feedback_flag": feedback_flag,
    "plusresilient_feedback_queue": feedback_queue,
    "plusresilient_feedback_mine": feedback_mine,
    "plusresilient_harvest_provenance": harvest_provenance,
}


def for_action(name: str) -> Schema:
    """The schema of the action with this name (KeyError for another)."""
    return _SCHEMAS[name]()
