"""The directory of the MED open-data portals.

``portals.yaml`` next to this module lists the national, regional and local
portals of the network's countries: where they are, what software runs them,
the base URL a harvester uses and which of the suite's harvesters reads it.
The harvest sources, the ``/portals`` page and ``ckan plusresilient portals``
all read it through this module.

Like the vocabularies, this module imports nothing from CKAN: the directory
is plain data, checked against the vocabularies (countries, regions,
languages) when it is loaded, so a typo stops the plugin at start-up rather
than a harvest at night.
"""
from __future__ import annotations

import dataclasses
import functools
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable, Mapping

from ckanext.plusresilient import vocabularies

__all__ = [
    "DEFAULT_FREQUENCY",
    "FREQUENCIES",
    "HARVESTERS",
    "LEVELS",
    "PORTALS_FILE",
    "SOFTWARE",
    "Portal",
    "by_id",
    "countries",
    "for_country",
    "load",
    "load_file",
    "normalise_country",
]

#: The file the package ships.
PORTALS_FILE: Path = Path(__file__).resolve().parent / "portals.yaml"

LEVELS: tuple[str, ...] = ("national", "regional", "local")
SOFTWARE: tuple[str, ...] = (
    "ckan", "dkan", "dcat", "udata", "opendatasoft", "socrata", "other",
)
#: The suite's harvesters (ckanext-harvest source types).
HARVESTERS: tuple[str, ...] = (
    "plusresilient_ckan",
    "plusresilient_dcat",
    "plusresilient_udata",
    "plusresilient_ods",
    "plusresilient_socrata",
)

#: How often a portal's harvest source runs: ckanext-harvest's values (its
#: ``UPDATE_FREQUENCIES``, written here so that this module needs no CKAN).
FREQUENCIES: tuple[str, ...] = ("MANUAL", "DAILY", "WEEKLY", "BIWEEKLY", "MONTHLY", "ALWAYS")
#: A portal without a ``frequency`` is harvested weekly: often enough for
#: catalogues that change by the day or the month, without a full census of a
#: national aggregator every night.
DEFAULT_FREQUENCY = "WEEKLY"

# Ids end up in harvest source names ("portal-<id>"), which CKAN restricts to
# lower-case ASCII, digits, "-" and "_".
_ID_RE = re.compile(r"^[a-z0-9][a-z0-9-]{1,60}$")
_URL_RE = re.compile(r"^https?://[^\s/?#]+[^\s]*$")
_FIELDS = (
    "id", "name", "url", "country", "region", "level", "software",
    "api_url", "harvester", "language", "verified",
)
#: Keys a portal may leave out.
_OPTIONAL_FIELDS = ("frequency",)


@dataclass(frozen=True)
class Portal:
    """One portal of the directory (see ``portals.yaml`` for each field)."""

    id: str
    name: str
    url: str
    country: str
    region: str | None
    level: str
    software: str
    api_url: str | None
    harvester: str | None
    language: str
    verified: bool
    frequency: str = DEFAULT_FREQUENCY

    @property
    def harvest_source_name(self) -> str:
        """The name of the ckanext-harvest source that harvests the portal."""
        return f"portal-{self.id}"

    def as_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


def normalise_country(code: str) -> str:
    """A country code as the vocabulary writes it ("it" gives IT, Greece's
    ISO code "gr" its EU code EL: the ``countries`` vocabulary's codes and
    aliases); a code it does not know comes back upper-cased, for the caller
    to refuse by name."""
    known = vocabularies.get("countries").normalise(code)
    return known or (code or "").strip().upper()


def _optional_str(raw: Mapping[str, Any], key: str, where: str) -> str | None:
    value = raw.get(key)
    if value is None:
        return None
    if not isinstance(value, str) or not value.strip():
        raise ValueError(f"{where}: {key} must be a non-empty string or null")
    return value.strip()


def _required_str(raw: Mapping[str, Any], key: str, where: str) -> str:
    value = _optional_str(raw, key, where)
    if value is None:
        raise ValueError(f"{where}: {key} is required")
    return value


def _url(value: str | None, key: str, where: str) -> str | None:
    if value is not None and not _URL_RE.match(value):
        raise ValueError(f"{where}: {key} {value!r} is not an http(s) URL")
    return value


def _portal(raw: Any, index: int, where: str) -> Portal:
    if not isinstance(raw, Mapping):
        raise ValueError(f"{where}: portal #{index} is not a mapping")
    portal_id = raw.get("id")
    where = f"{where}: portal {portal_id!r} (#{index})"
    unknown = set(raw) - set(_FIELDS) - set(_OPTIONAL_FIELDS)
    if unknown:
        raise ValueError(f"{where}: unknown keys {sorted(unknown)}")
    missing = [key for key in _FIELDS if key not in raw]
    if missing:
        raise ValueError(f"{where}: missing keys {missing}")

    portal_id = _required_str(raw, "id", where)
    if not _ID_RE.match(portal_id):
        raise ValueError(
            f"{where}: id must be lower-case ASCII letters, digits and '-'"
        )
    country = normalise_country(_required_str(raw, "country", where))
    countries_vocabulary = vocabularies.get("countries")
    if country not in countries_vocabulary:
        raise ValueError(
            f"{where}: country {country!r} is not in the countries vocabulary "
            f"({', '.join(countries_vocabulary.codes())})"
        )
    level = _required_str(raw, "level", where)
    if level not in LEVELS:
        raise ValueError(f"{where}: level must be one of {', '.join(LEVELS)}")
    region = _optional_str(raw, "region", where)
    if region is not None:
        term = vocabularies.get("regions").get(region)
        if term is None:
            raise ValueError(
                f"{where}: region {region!r} is not in the regions vocabulary"
            )
        if term.extra.get("country") != country:
            raise ValueError(
                f"{where}: region {region} belongs to "
                f"{term.extra.get('country')}, not to {country}"
            )
    if level == "national" and region is not None:
        raise ValueError(f"{where}: a national portal has no region")
    if level != "national" and region is None:
        raise ValueError(f"{where}: a {level} portal needs its region")
    software = _required_str(raw, "software", where)
    if software not in SOFTWARE:
        raise ValueError(
            f"{where}: software must be one of {', '.join(SOFTWARE)}"
        )
    harvester = _optional_str(raw, "harvester", where)
    if harvester is not None and harvester not in HARVESTERS:
        raise ValueError(
            f"{where}: harvester must be null or one of {', '.join(HARVESTERS)}"
        )
    url = _url(_required_str(raw, "url", where), "url", where)
    api_url = _url(_optional_str(raw, "api_url", where), "api_url", where)
    if harvester is not None and api_url is None:
        raise ValueError(f"{where}: a portal with a harvester needs its api_url")
    language = _required_str(raw, "language", where)
    if language not in vocabularies.get("languages"):
        raise ValueError(
            f"{where}: language {language!r} is not in the languages vocabulary"
        )
    verified = raw.get("verified")
    if not isinstance(verified, bool):
        raise ValueError(f"{where}: verified must be true or false")
    return Portal(
        id=portal_id,
        name=_required_str(raw, "name", where),
        url=url,
        country=country,
        region=region,
        level=level,
        software=software,
        api_url=api_url,
        harvester=harvester,
        language=language,
        verified=verified,
        frequency=_frequency(raw, where),
    )


def _frequency(raw: Mapping[str, Any], where: str) -> str:
    """The optional ``frequency``, in any case; a key written with no value
    is a mistake, not the default."""
    if "frequency" not in raw:
        return DEFAULT_FREQUENCY
    value = raw["frequency"]
    code = value.strip().upper() if isinstance(value, str) else None
    if code not in FREQUENCIES:
        raise ValueError(
            f"{where}: frequency must be one of {', '.join(FREQUENCIES)}, not {value!r}"
        )
    return code


def load_file(path: str | Path) -> list[Portal]:
    """Load and validate a directory file.

    Raises ValueError naming the file and the portal on any problem.
    """
    path = Path(path)
    where = path.name
    data = vocabularies.read_yaml(path)
    if not isinstance(data, Mapping) or set(data) != {"portals"}:
        raise ValueError(f"{where}: expected a mapping with the one key 'portals'")
    raw_portals = data["portals"]
    if not isinstance(raw_portals, list) or not raw_portals:
        raise ValueError(f"{where}: portals must be a non-empty list")
    portals: list[Portal] = []
    seen: set[str] = set()
    for index, raw in enumerate(raw_portals, start=1):
        portal = _portal(raw, index, where)
        if portal.id in seen:
            raise ValueError(f"{where}: duplicate portal id {portal.id!r}")
        seen.add(portal.id)
        portals.append(portal)
    return portals


@functools.lru_cache(maxsize=None)
def _shipped() -> tuple[Portal, ...]:
    return tuple(load_file(PORTALS_FILE))


def load() -> list[Portal]:
    """The shipped directory, loaded and validated once per process, in
    file order (country, then from the national portal down)."""
    return list(_shipped())


def by_id(portal_id: str) -> Portal | None:
    """The portal with this id, None when there is none."""
    for portal in _shipped():
        if portal.id == portal_id:
            return portal
    return None


def for_country(code: str | Iterable[str] | None) -> list[Portal]:
    """The portals of one country or of several (any case, GR for EL);
    every portal when `code` is None or empty."""
    if code is None:
        return load()
    codes = [code] if isinstance(code, str) else list(code)
    wanted = {normalise_country(c) for c in codes if c and c.strip()}
    if not wanted:
        return load()
    return [portal for portal in _shipped() if portal.country in wanted]


def countries() -> list[str]:
    """The countries that have portals, in the vocabulary's order."""
    present = {portal.country for portal in _shipped()}
    return [code for code in vocabularies.get("countries").codes() if code in present]
