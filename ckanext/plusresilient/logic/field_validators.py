"""Validators of the SVRC schemas' fields (named in the scheming YAML).

Every message names the field's allowed values or the rule broken, so an API
client (or a harvester's log) can fix its payload without reading the schema:
each allowed value's label, in the user's language, with its code.
"""
from __future__ import annotations

import calendar
import json
import re
from typing import Any, Callable
from urllib.parse import urlparse, urlsplit

import ckan.plugins.toolkit as tk
from ckan import model
from ckan.lib.navl.dictization_functions import missing
from ckanext.scheming.validation import scheming_validator

from ckanext.plusresilient import vocabularies
from ckanext.plusresilient.labels import vocabulary_choices_text
from ckanext.plusresilient.field_values import (
    CONTROL,
    MARKUP,
    RESOURCE_SCHEMES,
    http_url,
    media_type,
    resource_format,
    shown,
    unprintable,
)

__all__ = [
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


def _allowed(vocabulary: vocabularies.Vocabulary, codes: list[str]) -> str:
    listed = vocabulary_choices_text(vocabulary, codes[:_MAX_LISTED])
    return listed + ", …" if len(codes) > _MAX_LISTED else listed


def _not_allowed(value: Any, field: dict[str, Any], vocabulary: vocabularies.Vocabulary,
                 codes: list[str]) -> str:
    return tk._("'{value}' is not an allowed value for {field}. Allowed: {allowed}").format(
        value=shown(value), field=field.get("field_name"), allowed=_allowed(vocabulary, codes))


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
            errors[key].append(_not_allowed(value, field, vocabulary,
                                            _allowed_codes(field, vocabulary, key, data)))
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
                errors[key].append(_not_allowed(item, field, vocabulary, vocabulary.codes()))
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
                region=region, country=country,
                allowed=_allowed(vocabularies.get("regions"), allowed)))


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


_UNSTORABLE = re.compile(r"[\x00\ud800-\udfff]")


def plusresilient_storable_text(key, data, errors, context):
    """Before every field's own validators (the schemas' ``before_validators``):
    no text may hold a NUL or a lone surrogate (JSON carries both). PostgreSQL
    can store neither, and the API answered 500 instead of a 409 naming the
    field; the value is not quoted back, since a response cannot encode it."""
    for field_key, value in list(data.items()):
        texts = value if isinstance(value, list) else [value]
        for text in texts:
            found = _UNSTORABLE.search(text) if isinstance(text, str) else None
            if found:
                errors.setdefault(field_key, []).append(
                    tk._("This text holds a character that cannot be stored (U+{code})").format(
                        code=f"{ord(found.group()):04X}"))
                break


def plusresilient_date_in_range(value: Any, context: dict[str, Any]) -> Any:
    """Before ckanext-dcat's ``dcat_date``: a date dateutil cannot hold
    (``99999999999999999999``) makes it raise OverflowError, which it does not
    catch, and the API answered 500 instead of a 409 naming the field."""
    if isinstance(value, str) and value.strip():
        from dateutil.parser import parse as parse_date

        try:
            parse_date(value)
        except OverflowError:
            raise tk.Invalid(tk._("'{value}' is not a date CKAN can hold").format(value=shown(value)))
        except ValueError:
            pass  # dcat_date says what is wrong
    return value


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


def _linked_before(field: dict[str, Any], key: tuple, data: dict, context: dict[str, Any]) -> set[str]:
    """Ids the record being updated already links (none on create)."""
    package = context.get("package")
    record_id = data.get(_sibling(key, "id"))
    if package is None or not record_id or getattr(package, "id", None) != record_id:
        return set()
    stored = (package.extras or {}).get(field["field_name"])
    try:
        ids = json.loads(stored) if isinstance(stored, str) else []
    except ValueError:
        return set()
    return {item for item in ids if isinstance(item, str)} if isinstance(ids, list) else set()


def _may_see(package: model.Package, context: dict[str, Any]) -> bool:
    """Whether the caller may read the dataset, by package_show's own auth
    (a fresh context: the caller's holds the record being saved)."""
    if context.get("ignore_auth"):
        return True
    try:
        tk.check_access("package_show", {"user": context.get("user"), "model": model, "package": package},
                        {"id": package.id})
    except tk.NotAuthorized:
        return False
    return True


@scheming_validator
def plusresilient_dataset_links(field: dict[str, Any], schema: dict[str, Any]):
    """Datasets of this portal the caller may see, given by name, id or URL;
    stored as ids.

    A dataset that does not exist and one the caller may not see (another
    cluster's private dataset) get the same message: the form must not tell
    whoever probes it which private datasets exist, and the ids it stores are
    searchable (``vocab_datasets_used``).

    Links the record already has are kept as they are, checked neither for
    existence nor for visibility: a dataset that became private or was
    withdrawn after it was linked must not stop the use case's editors from
    saving it (the edit form gives such links back as ids, since it cannot
    name them), and keeping them tells the editor nothing new. Pages show a
    linked dataset only to those who may see it. Only new links are checked.
    """

    def validator(key, data, errors, context):
        items = _list_input(field, key, data, errors, tk._("Expecting a list of datasets"))
        if items is None:
            return
        linked = _linked_before(field, key, data, context)
        ids: list[str] = []
        unknown: list[str] = []
        for item in items:
            reference = _dataset_reference(str(item))
            package = model.Package.get(reference) if reference else None
            if package is not None and package.id in linked:
                package_id = package.id
            elif package is None and reference in linked:
                package_id = reference  # purged since it was linked
            elif package is None or package.state != model.State.ACTIVE or not _may_see(package, context):
                unknown.append(str(item))
                continue
            else:
                package_id = package.id
            if package_id not in ids:
                ids.append(package_id)
        if unknown:
            errors[key].append(tk._("These datasets are not on this portal, or you may not see them: "
                                    "{names}").format(names=", ".join(unknown)))
            return
        data[key] = json.dumps(ids)

    return validator


@scheming_validator
def plusresilient_url_list(field: dict[str, Any], schema: dict[str, Any]):
    """http(s) URLs (see :func:`http_url`), stored as a JSON list."""

    def validator(key, data, errors, context):
        items = _list_input(field, key, data, errors, tk._("Expecting a list of URLs"))
        if items is None:
            return
        urls = []
        for item in items:
            url = http_url(item)
            if url is None:
                errors[key].append(tk._("'{value}' is not an http(s) URL").format(value=shown(item)))
                return
            if url not in urls:
                urls.append(url)
        data[key] = json.dumps(urls)

    return validator


def _normalised(value: Any, check: Callable[[Any], str | None], message: Callable[[], str]) -> Any:
    """``check``'s form of a non-empty value, else Invalid with ``message``
    (a callable, so it is translated when it is raised)."""
    if _is_empty(value):
        return value
    checked = check(value)
    if checked is None:
        raise tk.Invalid(message().format(value=shown(value)))
    return checked


def plusresilient_http_url(value: Any, context: dict[str, Any]) -> Any:
    """An http(s) URL (landing page, original page, link, website)."""
    return _normalised(value, http_url, lambda: tk._("'{value}' is not an http(s) URL"))


def plusresilient_resource_url(key, data, errors, context):
    """A resource's link: an http(s) or ftp URL, or no scheme at all (CKAN
    reads ``data.csv`` as ``http://data.csv``); an upload's file name is
    CKAN's own. Any other scheme could run script when the link is clicked,
    and markup (``<>"` ``) or invisible characters make no URI the DCAT
    profile could publish as the distribution's access URL."""
    value = data.get(key)
    if errors.get(key) or _is_empty(value) or data.get(_sibling(key, "url_type")) == "upload":
        return
    text = str(value)
    try:
        scheme = urlsplit(text.strip()).scheme.lower()
    except ValueError:
        scheme = "?"
    if (CONTROL.search(text) or MARKUP.search(text) or unprintable(text.strip())
            or (scheme and scheme not in RESOURCE_SCHEMES)):
        errors[key].append(tk._("'{value}' is not an http(s) or ftp URL").format(value=shown(value)))


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


def plusresilient_media_type(value: Any, context: dict[str, Any]) -> Any:
    """An IANA media type such as ``text/csv``, or its URI (dcat:mediaType)."""
    return _normalised(value, media_type, lambda: tk._("'{value}' is not a media type such as text/csv"))


def plusresilient_resource_format(value: Any, context: dict[str, Any]) -> Any:
    """A file format (dct:format): see :func:`resource_format`."""
    return _normalised(value, resource_format, lambda: tk._(
        "'{value}' is not a file format such as CSV (letters, digits, spaces and . _ + - ( ), up to "
        "40 characters), a media type such as text/csv or an http(s) URI"))
