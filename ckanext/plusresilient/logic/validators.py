"""Validators of the SVRC schemas.

Every message names the field's allowed values or the rule broken, so an API
client (or a harvester's log) can fix its payload without reading the schema.
"""
from __future__ import annotations

import calendar
import json
import re
from typing import Any, Iterable
from urllib.parse import urlparse

import ckan.plugins.toolkit as tk
from ckan import model
from ckan.lib.navl.dictization_functions import missing
from ckanext.scheming.validation import scheming_validator

from ckanext.plusresilient import vocabularies

__all__ = [
    "plusresilient_choice",
    "plusresilient_multiple_choice",
    "plusresilient_region_in_country",
    "plusresilient_end_after_start",
    "plusresilient_dataset_links",
    "plusresilient_url_list",
    "plusresilient_table_schema",
    "plusresilient_media_type",
]

# Past this many allowed values, a message points to the vocabulary instead of
# listing them all (the NUTS regions run to over a hundred).
_MAX_LISTED = 25


def _is_empty(value: Any) -> bool:
    return value is missing or value is None or value == "" or value == []


def _vocabulary_of(field: dict[str, Any]) -> vocabularies.Vocabulary:
    name = field.get("vocabulary")
    if not name:
        raise ValueError(f"field {field.get('field_name')!r} names no vocabulary")
    return vocabularies.get(name)


def _allowed(codes: list[str]) -> str:
    if len(codes) > _MAX_LISTED:
        return ", ".join(codes[:_MAX_LISTED]) + ", …"
    return ", ".join(codes)


def _not_allowed(value: Any, field: dict[str, Any], codes: list[str]) -> str:
    return tk._("'{value}' is not an allowed value for {field}. Allowed: {allowed}").format(
        value=value, field=field.get("field_name"), allowed=_allowed(codes))


def _sibling(key: tuple, name: str) -> tuple:
    return key[:-1] + (name,)


def _allowed_codes(field: dict[str, Any], vocabulary: vocabularies.Vocabulary,
                   key: tuple, data: dict) -> list[str]:
    if vocabulary.name == "regions":
        country = data.get(_sibling(key, "country"))
        if isinstance(country, str) and country:
            return [term.code for term in vocabularies.regions_of(country)]
    return vocabulary.codes()


@scheming_validator
def plusresilient_choice(field: dict[str, Any], schema: dict[str, Any]):
    """One code of the field's vocabulary (a URI or another case is normalised)."""
    vocabulary = _vocabulary_of(field)

    def validator(key, data, errors, context):
        value = data.get(key)
        if errors.get(key) or _is_empty(value):
            return
        code = vocabulary.normalise(value)
        if code is None:
            errors[key].append(_not_allowed(value, field, _allowed_codes(field, vocabulary, key, data)))
            return
        data[key] = code

    return validator


def _as_list(value: Any) -> list[Any] | None:
    """Lists arrive as lists (API), one string (a form's single selection), a
    JSON list (stored value, DCAT parser) or comma/newline separated text."""
    if isinstance(value, (list, tuple)):
        return list(value)
    if isinstance(value, str):
        text = value.strip()
        if text.startswith("["):
            try:
                loaded = json.loads(text)
            except ValueError:
                return None
            return loaded if isinstance(loaded, list) else None
        return [part.strip() for part in re.split(r"[\n,]", text) if part.strip()]
    return None


@scheming_validator
def plusresilient_multiple_choice(field: dict[str, Any], schema: dict[str, Any]):
    """Zero or more codes of the vocabulary, stored as a JSON list in vocabulary order."""
    vocabulary = _vocabulary_of(field)
    order = {code: index for index, code in enumerate(vocabulary.codes())}

    def validator(key, data, errors, context):
        value = data.get(key)
        if errors.get(key):
            return
        if _is_empty(value):
            data[key] = missing if value is missing else json.dumps([])
            if field.get("required"):
                errors[key].append(tk._("Missing value"))
            return
        items = _as_list(value)
        if items is None:
            errors[key].append(tk._("Expecting a list of values for {field}").format(
                field=field.get("field_name")))
            return
        codes = []
        for item in items:
            code = vocabulary.normalise(item)
            if code is None:
                errors[key].append(_not_allowed(item, field, vocabulary.codes()))
                return
            if code not in codes:
                codes.append(code)
        if field.get("required") and not codes:
            errors[key].append(tk._("Missing value"))
            return
        data[key] = json.dumps(sorted(codes, key=order.__getitem__))

    return validator


def plusresilient_region_in_country(key, data, errors, context):
    """The region must be one of the record's country."""
    region = data.get(key)
    if errors.get(key) or _is_empty(region):
        return
    country = data.get(_sibling(key, "country"))
    if _is_empty(country):
        errors[key].append(tk._("A region needs a country"))
        return
    term = vocabularies.get("regions").get(region)
    if term is None or term.extra.get("country") != country:
        allowed = [t.code for t in vocabularies.regions_of(country)]
        errors[key].append(
            tk._("Region '{region}' is not in {country}. Regions of {country}: {allowed}").format(
                region=region, country=country, allowed=_allowed(allowed)))


def _date_bounds(value: Any) -> tuple[str, str] | None:
    """The earliest and latest instant a (partial) ISO date stands for, so that
    "2020" ends after "2020-05-01" as a person would read it."""
    text = value.isoformat() if hasattr(value, "isoformat") else str(value)
    match = re.match(r"^(\d{4})(?:-(\d{2}))?(?:-(\d{2}))?(T.*)?$", text)
    if not match:
        return None
    year, month, day, time = match.groups()
    if time:
        return text, text
    if day:
        return f"{year}-{month}-{day}", f"{year}-{month}-{day}T99"
    if month:
        last = calendar.monthrange(int(year), int(month))[1]
        return f"{year}-{month}-01", f"{year}-{month}-{last:02d}T99"
    return f"{year}-01-01", f"{year}-12-31T99"


def plusresilient_end_after_start(key, data, errors, context):
    """An end date (``temporal_end``) must not precede ``temporal_start``."""
    end = data.get(key)
    start = data.get(_sibling(key, "temporal_start"))
    if errors.get(key) or _is_empty(end) or _is_empty(start):
        return
    if errors.get(_sibling(key, "temporal_start")):
        return
    start_bounds, end_bounds = _date_bounds(start), _date_bounds(end)
    if start_bounds and end_bounds and end_bounds[1] < start_bounds[0]:
        errors[key].append(tk._("The end date {end} is before the start date {start}").format(
            end=end, start=start))


def _list_input(field: dict[str, Any], key: tuple, data: dict, errors: dict,
                expecting: str) -> list[Any] | None:
    """The field's items, or None when there is nothing (more) to validate."""
    value = data.get(key)
    if errors.get(key):
        return None
    if _is_empty(value):
        if field.get("required"):
            errors[key].append(tk._("Missing value"))
        return None
    items = _as_list(value)
    if items is None:
        errors[key].append(expecting)
    return items


def _dataset_reference(item: str) -> str:
    """A dataset's name or id from itself or from a URL of this (or any) CKAN."""
    item = item.strip()
    if item.startswith(("http://", "https://")):
        path = urlparse(item).path.rstrip("/")
        return path.rsplit("/", 1)[-1]
    return item


@scheming_validator
def plusresilient_dataset_links(field: dict[str, Any], schema: dict[str, Any]):
    """Datasets of this portal, given by name, id or URL; stored as ids."""

    def validator(key, data, errors, context):
        items = _list_input(field, key, data, errors, tk._("Expecting a list of datasets"))
        if items is None:
            return
        ids: list[str] = []
        unknown: list[str] = []
        for item in items:
            reference = _dataset_reference(str(item))
            package = model.Package.get(reference)
            if package is None or package.state != model.State.ACTIVE:
                unknown.append(str(item))
            elif package.id not in ids:
                ids.append(package.id)
        if unknown:
            errors[key].append(tk._("These datasets do not exist on this portal: {names}").format(
                names=", ".join(unknown)))
            return
        data[key] = json.dumps(ids)

    return validator


@scheming_validator
def plusresilient_url_list(field: dict[str, Any], schema: dict[str, Any]):
    """http(s) URLs, stored as a JSON list."""

    def validator(key, data, errors, context):
        items = _list_input(field, key, data, errors, tk._("Expecting a list of URLs"))
        if items is None:
            return
        urls = []
        for item in items:
            parsed = urlparse(str(item).strip())
            if parsed.scheme not in ("http", "https") or not parsed.netloc:
                errors[key].append(tk._("'{value}' is not an http(s) URL").format(value=item))
                return
            if str(item).strip() not in urls:
                urls.append(str(item).strip())
        data[key] = json.dumps(urls)

    return validator


def table_schema_problems(descriptor: Any) -> list[str]:
    """What frictionless finds wrong with a Table Schema descriptor."""
    from frictionless import Schema

    if not isinstance(descriptor, dict):
        return [tk._("A Table Schema must be a JSON object")]
    if not isinstance(descriptor.get("fields"), list) or not descriptor["fields"]:
        return [tk._("A Table Schema needs a non-empty 'fields' list")]
    return [error.message for error in Schema.validate_descriptor(descriptor).errors]


def plusresilient_table_schema(key, data, errors, context):
    """A Frictionless Table Schema (object or JSON text), stored as JSON text."""
    value = data.get(key)
    if errors.get(key) or _is_empty(value):
        return
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError as error:
            errors[key].append(tk._("Table Schema is not valid JSON: {error}").format(error=error))
            return
    problems = table_schema_problems(value)
    if problems:
        errors[key].extend(tk._("Table Schema: {problem}").format(problem=p) for p in problems[:5])
        return
    data[key] = json.dumps(value)


_MEDIA_TYPE = re.compile(r"^[A-Za-z0-9][\w.+-]*/[A-Za-z0-9][\w.+-]*(\s*;.*)?$")


def plusresilient_media_type(value: Any, context: dict[str, Any]) -> Any:
    """An IANA media type such as ``text/csv`` (DCAT-AP's dcat:mediaType)."""
    if _is_empty(value):
        return value
    if not isinstance(value, str) or not _MEDIA_TYPE.match(value.strip()):
        raise tk.Invalid(tk._("'{value}' is not a media type such as text/csv").format(value=value))
    return value.strip()

