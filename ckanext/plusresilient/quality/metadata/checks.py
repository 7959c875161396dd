"""The checks: one function per indicator of the table, each giving a Verdict.

Each reads the record (``published``) and says what data.europa.eu will see
for its property; ``_CHECKS`` pairs them with the table's rows, in its
order, for the scorer.
"""
from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from ckanext.plusresilient import vocabularies
from ckanext.plusresilient.quality.metadata.formats import _media_type_key
from ckanext.plusresilient.quality.metadata.indicators import (
    INDICATOR_BY_KEY,
    INDICATORS,
    IndicatorSpec,
    N_,
)
from ckanext.plusresilient.quality.metadata.published import (
    _published_licence,
    _Record,
    _text,
    _values,
)
from ckanext.plusresilient.quality.metadata.verdicts import Verdict, links_answer, plural

_ACCESS_RIGHTS = vocabularies.get("access_rights")
_THEMES = vocabularies.get("data_themes")
_COUNTRIES = vocabularies.get("countries")
_REGIONS = vocabularies.get("regions")
_NOT_SPECIFIED = "notspecified"


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
