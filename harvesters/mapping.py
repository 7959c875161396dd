"""From a remote dataset, in any platform's words, to an SVRC record.

Each harvester turns its platform's payload into a :class:`RemoteDataset`
(neutral, JSON-serialisable: it is what a harvest object stores); the
mapping here is shared by all of them, so a dataset classified the same way
whichever portal it came from. Pure Python apart from the vocabularies and
the URL rules of the schema's validators.

Every URL a portal sends ends up as a link on our pages: one whose scheme is
not http(s) (ftp too for a resource) is dropped with a log line, never
failing the whole record — a portal's ``javascript:`` page link must neither
reach our pages nor cost us the dataset.
"""
from __future__ import annotations

import dataclasses
import functools
import logging
import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterable

import yaml

from ckanext.plusresilient import vocabularies
from ckanext.plusresilient.harvesters.licences import licence_code  # noqa: F401 - shared name
from ckanext.plusresilient.field_values import RESOURCE_SCHEMES, http_url, media_type, resource_format

log = logging.getLogger(__name__)

MAPPING_FILE = Path(__file__).with_name("mapping.yaml")


@dataclass
class RemoteResource:
    url: str
    #: the distribution's identity at the source (its id or URI), when it has
    #: one: what keeps the resource's id when its URL or name changes
    identifier: str | None = None
    #: the file itself (dcat:downloadURL), when the source says which link is one
    download_url: str | None = None
    name: str | None = None
    description: str | None = None
    format: str | None = None
    mimetype: str | None = None
    size: int | None = None
    license: str | None = None
    #: the distribution's rights statement (dct:rights): free text, or a URI
    rights: str | None = None


@dataclass
class RemoteDataset:
    """What every platform can tell about a dataset."""

    identifier: str               # identity across portals (URI, or the platform's global id)
    remote_id: str                # the source's own id, for its API
    title: str
    url: str | None = None        # the dataset's page on the portal
    notes: str | None = None
    modified: str | None = None   # as the source reports it; compared verbatim
    issued: str | None = None
    tags: list[str] = field(default_factory=list)
    themes: list[str] = field(default_factory=list)      # codes, URIs or labels
    categories: list[str] = field(default_factory=list)  # the portal's own groups/categories
    license: str | None = None
    language: list[str] = field(default_factory=list)
    frequency: str | None = None
    publisher: str | None = None
    contact_name: str | None = None
    contact_email: str | None = None
    landing_page: str | None = None
    temporal_start: str | None = None
    temporal_end: str | None = None
    #: as the source says it (an EU code or URI, a label, a platform's word);
    #: each harvester gives its platform's default when the source is silent
    access_rights: str | None = None
    country: str | None = None    # the dataset's own, when it says (aggregators span countries)
    region: str | None = None
    resources: list[RemoteResource] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "RemoteDataset":
        values = dict(data)
        values["resources"] = [RemoteResource(**r) for r in values.get("resources") or []]
        known = {f.name for f in dataclasses.fields(cls)}
        return cls(**{k: v for k, v in values.items() if k in known})


def _fold(text: str) -> str:
    """Lower case without accents, so 'Sanità' matches 'sanita'."""
    decomposed = unicodedata.normalize("NFKD", text.lower())
    return "".join(c for c in decomposed if not unicodedata.combining(c)).strip()


@functools.lru_cache(maxsize=1)
def _mapping() -> dict[str, Any]:
    with open(MAPPING_FILE, encoding="utf-8") as stream:
        return yaml.safe_load(stream)


@functools.lru_cache(maxsize=None)
def _patterns(section: str) -> tuple[tuple[str, re.Pattern], ...]:
    compiled = []
    for code, words in _mapping()[section].items():
        alternatives = "|".join(re.escape(_fold(str(w))) for w in words)
        compiled.append((code, re.compile(rf"(?<!\w)(?:{alternatives})(?!\w)")))
    return tuple(compiled)


def match_codes(section: str, texts: Iterable[str]) -> list[str]:
    """Codes of ``section`` whose words occur in any of the texts."""
    folded = [_fold(t) for t in texts if t]
    return [code for code, pattern in _patterns(section) if any(pattern.search(t) for t in folded)]


def _vocabulary_codes(name: str, values: Iterable[str]) -> list[str]:
    """Values that are already codes (any case) or URIs of the vocabulary."""
    vocabulary = vocabularies.get(name)
    codes: list[str] = []
    for value in values:
        code = vocabulary.normalise(value)
        if code and code not in codes:
            codes.append(code)
    return codes


def _language_codes(values: Iterable[str]) -> list[str]:
    codes = _vocabulary_codes("languages", values)
    for value in values:  # three-letter codes (ita, spa) and EU URIs' last segment
        tail = value.rstrip("/").rsplit("/", 1)[-1].lower()
        for term in vocabularies.get("languages").terms:
            if term.uri and term.uri.rstrip("/").rsplit("/", 1)[-1].lower() == tail and term.code not in codes:
                codes.append(term.code)
    return codes


def to_package(remote: RemoteDataset, source: dict[str, Any]) -> dict[str, Any]:
    """The SVRC dataset for ``remote``, harvested through a source whose
    config (as ``source_config.parse`` reads it: codes) gives ``country``,
    ``region``, ``language``, ``portal`` and optionally ``default_scenario``,
    ``default_theme`` and ``default_od_category``.

    The source's defaults fill only what the dataset's own words leave
    empty: a category the words suggest wins over ``default_od_category``,
    and any theme (the dataset's, or one its matched category implies) over
    ``default_theme``; without ``default_theme``, the default category
    implies the theme as a matched one would."""
    words = [*remote.tags, *remote.themes, *remote.categories, remote.title]
    od_categories = match_codes("od_categories", [*remote.tags, *remote.themes, *remote.categories])
    si_areas = match_codes("si_areas", words)
    themes = _vocabulary_codes("data_themes", remote.themes) or _themes_of(od_categories)
    if not od_categories and source.get("default_od_category"):
        od_categories = [source["default_od_category"]]
    if not themes:
        themes = [source["default_theme"]] if source.get("default_theme") else _themes_of(od_categories)
    scenario_by_area = _mapping()["scenario_by_si_area"]
    scenarios = list(dict.fromkeys(scenario_by_area[a] for a in si_areas if a in scenario_by_area))
    if not scenarios:
        scenarios = [source.get("default_scenario") or "public-services"]

    # the dataset's own place in the vocabularies' codes ("gr" is EL), else the
    # source's; a country outside the vocabulary stays, for the schema to refuse
    country = (_single_code("countries", remote.country) or remote.country) or source.get("country")
    region = ((_single_code("regions", remote.region) or remote.region)
              or (source.get("region") if country == source.get("country") else None))
    if region and country and region not in {t.code for t in vocabularies.regions_of(country)}:
        region = None
    language = _language_codes(remote.language) or ([source["language"]] if source.get("language") else [])
    page = checked_url(remote.url, "page", remote.identifier)
    landing_page = checked_url(remote.landing_page, "landing page", remote.identifier)

    package: dict[str, Any] = {
        "title": remote.title,
        "notes": remote.notes or remote.title,
        "tags": [{"name": tag} for tag in _clean_tags(remote.tags)],
        "license_id": licence_code(remote.license),
        "theme": themes,
        "svrc_scenario": scenarios,
        "si_area": si_areas,
        "od_category": od_categories,
        "country": country,
        "region": region,
        "language": language,
        "frequency": _single_code("frequencies", remote.frequency),
        "issued": _date(remote.issued),
        "modified": _date(remote.modified),
        "temporal_start": _date(remote.temporal_start),
        "temporal_end": _date(remote.temporal_end),
        "access_rights": access_rights_code(remote.access_rights, remote.identifier),
        "url": landing_page or page,
        "source_portal": source.get("portal"),
        "source_url": page,
        "source_identifier": remote.identifier,
        # its URI in the source's DCAT (or permalink), kept as its URI in ours
        "uri": checked_url(remote.identifier, "URI", remote.identifier) if remote.identifier.startswith(
            ("http://", "https://")) else None,
        "resources": [_resource(r, url) for r in remote.resources
                      if (url := checked_url(r.url, "resource link", remote.identifier,
                                             RESOURCE_SCHEMES))],
    }
    if remote.contact_name or remote.contact_email:
        package["contact"] = [{"name": remote.contact_name or "", "email": remote.contact_email or ""}]
    return {key: value for key, value in package.items() if value not in (None, "", [])}


def access_rights_code(value: str | None, identifier: str = "") -> str | None:
    """The ``access_rights`` code a source's value names: the code in any
    case, its EU URI (http or https), or the words ``mapping.yaml`` lists
    for it in the network's languages ("Accesso pubblico", "restreint",
    "open_with_account"). A value that names none is dropped with a log line:
    a wrong claim about who may read the data is worse than none."""
    if not value or not str(value).strip():
        return None
    text = str(value).strip()
    code = _single_code("access_rights", text)
    if code is None and "://" in text:  # another host's copy of the EU table
        code = _single_code("access_rights", text.rstrip("/").rsplit("/", 1)[-1])
    if code is None:
        # the first code whose words occur: NON_PUBLIC and RESTRICTED come
        # before PUBLIC, so "non public" is not taken for "public"
        matched = match_codes("access_rights", [text.replace("_", " ")])
        code = matched[0] if matched else None
    if code is None:
        log.warning("%s: access rights %r dropped: not a code of the access_rights vocabulary",
                    identifier, text[:200])
    return code


def _themes_of(od_categories: Iterable[str]) -> list[str]:
    """The EU data themes ``mapping.yaml`` gives these open-data categories."""
    by_category = _mapping()["theme_by_od_category"]
    return list(dict.fromkeys(by_category[c] for c in od_categories if c in by_category))


def checked_url(value: str | None, what: str, identifier: str,
                schemes: tuple[str, ...] = ("http", "https")) -> str | None:
    """``value`` when the schema would take it as a link; else None, with a
    log line naming the dataset and what was dropped."""
    if not value:
        return None
    url = http_url(value, schemes)
    if url is None:
        log.warning("%s: %s %r dropped: not an %s URL", identifier, what, value, "/".join(schemes))
    return url


def _single_code(name: str, value: str | None) -> str | None:
    codes = _vocabulary_codes(name, [value]) if value else []
    return codes[0] if codes else None


_DATE = re.compile(r"^\d{4}(-\d{2}(-\d{2})?)?")


def _date(value: str | None) -> str | None:
    """The date part of an ISO timestamp (DCAT dates; times add nothing here)."""
    match = _DATE.match(value or "")
    return match.group(0) if match else None


_TAG_UNSAFE = re.compile(r"[^\w\s.-]", re.UNICODE)


def _clean_tags(tags: Iterable[str]) -> list[str]:
    """CKAN tags: word characters, spaces, '-', '_' and '.'; 2 to 100 long."""
    cleaned: list[str] = []
    for tag in tags:
        tag = _TAG_UNSAFE.sub(" ", str(tag)).strip()
        tag = re.sub(r"\s+", " ", tag)[:100]
        if len(tag) >= 2 and tag not in cleaned:
            cleaned.append(tag)
    return cleaned


def _checked_code(check: Callable[[Any], str | None], value: str | None, what: str, url: str) -> str | None:
    """``check(value)``, logging what it drops (see field_values.py)."""
    if not value:
        return None
    checked = check(value)
    if checked is None:
        log.warning("%s: %s %r dropped: the schema would refuse it", url, what, value[:200])
    return checked


#: Key of a resource dict that says which remote distribution it is; taken
#: out before the dataset is written (see harvesters/resources.py).
REMOTE_KEY = "__remote_key"


def _resource(resource: RemoteResource, url: str) -> dict[str, Any]:
    data = {
        REMOTE_KEY: resource.identifier,
        "url": url,
        "download_url": checked_url(resource.download_url, "download URL", url),
        "name": resource.name or url.rsplit("/", 1)[-1],
        "description": resource.description,
        # a format or media type the schema would refuse (markup, a sentence)
        # is dropped, not the dataset: both are published as URIs
        "format": _checked_code(resource_format, (resource.format or "").upper(), "format", url),
        "mimetype": _checked_code(media_type, resource.mimetype, "media type", url),
        "size": resource.size if isinstance(resource.size, int) and resource.size >= 0 else None,
    }
    if resource.license:
        data["license"] = licence_code(resource.license)
    if resource.rights and resource.rights.strip():
        data["rights"] = resource.rights.strip()
    return {key: value for key, value in data.items() if value not in (None, "")}
