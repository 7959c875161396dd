"""A harvest source's configuration: the one schema every +RESILIENT
harvester reads, checked when the source is saved and again when a harvest
starts.

ckanext-harvest hands the configuration (JSON text) to the harvester's
``validate_config`` when a source is created or updated; a ``ValueError``
there becomes a 409 naming ``config``. Sources saved before these checks
existed may still hold a bad value, so gather parses the stored text with the
same function and, on an error, records a gather error that blames the
configuration instead of asking the portal with an absurd value (or failing
with an error that blames the portal).

Keys, all optional (``null`` is the same as leaving a key out):

``portal``
    the source's identifier, written into each dataset's ``source_portal``:
    letters, digits, ``.``, ``-`` and ``_``, at most 100 (``dati-veneto``).
``country``
    a country code of the ``countries`` vocabulary (any case, or one of its
    aliases: ``GR`` for Greece's ``EL``), given to the datasets that do not
    say their own.
``region``
    a region of that country (``regions`` vocabulary); needs ``country``.
``language``
    one code of the ``languages`` vocabulary: the language of the source's
    texts, for datasets that do not say it.
``default_scenario``
    an SVRC macro-scenario, for datasets whose words suggest none.
``default_theme``
    an EU data theme (``data_themes`` vocabulary: ``SOCI``, any case, or its
    URI), for datasets that bring no theme and whose words suggest none. A
    source knows what it publishes (a regional statistics office, a health
    agency): without it such datasets had no theme at all, and disappeared
    from the theme facet.
``default_od_category``
    an open-data category (``od_categories`` vocabulary), for datasets whose
    words suggest none. Without ``default_theme``, such a dataset's theme
    follows from this category, as from a matched one.
``page_size``
    datasets asked for per listing page: a whole number from 1 to the
    platform's largest page (:attr:`SVRCHarvester.page_size_max`: 1000, or
    100 on OpenDataSoft). A DCAT catalogue decides its own pages, and its
    harvester refuses the key rather than ignore it.

``force_all``
    ``true`` to import every dataset at every harvest, whether or not the
    source says it changed (as ckanext-harvest's CKAN harvester's key of
    that name): for a source whose modification dates cannot be trusted.
    Fields edited here are kept all the same. For a single full run, see
    ``ckan plusresilient harvest run SOURCE --full``.

Any other key is refused with the list of known ones: a misspelt
``page_sise`` would otherwise be silently ignored.
"""
from __future__ import annotations

import json
import re
from typing import Any

import ckan.plugins.toolkit as tk

from ckanext.plusresilient import vocabularies

KEYS = ("portal", "country", "region", "language", "default_scenario", "default_theme",
        "default_od_category", "page_size", "force_all")

_PORTAL = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$")
#: key -> vocabulary of its code
_CODED = {"country": "countries", "language": "languages", "default_scenario": "scenarios",
          "default_theme": "data_themes", "default_od_category": "od_categories"}


class ConfigError(ValueError):
    """What is wrong with a configuration, in a sentence naming the key."""


def _shown(value: Any) -> str:
    """A value as the user wrote it in JSON, quoted when it is text."""
    return repr(value) if isinstance(value, (str, list, dict)) else json.dumps(value)


def parse(text: str | None, page_size_max: int | None = 1000) -> dict[str, Any]:
    """The configuration's values, with codes as the vocabularies write them
    and the keys left out or ``null`` absent; :class:`ConfigError` (a
    ``ValueError``) naming the key and its rule otherwise."""
    if text is None or not str(text).strip():
        return {}
    try:
        values = json.loads(text)
    except ValueError as error:
        raise ConfigError(tk._("Configuration is not valid JSON: {error}").format(error=error))
    if not isinstance(values, dict):
        raise ConfigError(tk._("Configuration must be a JSON object, such as {example}").format(
            example='{"country": "IT", "language": "it"}'))
    unknown = sorted(set(values) - set(KEYS))
    if unknown:
        raise ConfigError(tk._("Unknown configuration keys: {keys}. Known keys: {known}").format(
            keys=", ".join(unknown), known=", ".join(KEYS)))

    settings: dict[str, Any] = {}
    portal = values.get("portal")
    if portal is not None:
        if not isinstance(portal, str) or not _PORTAL.match(portal):
            raise ConfigError(tk._(
                "portal must be an identifier of letters, digits, '.', '-' and '_' "
                "(at most 100), such as dati-veneto, not {value}").format(value=_shown(portal)))
        settings["portal"] = portal

    for key, name in _CODED.items():
        value = values.get(key)
        if value is None:
            continue
        vocabulary = vocabularies.get(name)
        code = vocabulary.normalise(value)
        if code is None:
            raise ConfigError(tk._("{key} must be one of {allowed}, not {value}").format(
                key=key, allowed=", ".join(vocabulary.codes()), value=_shown(value)))
        settings[key] = code

    region = values.get("region")
    if region is not None:
        country = settings.get("country")
        if country is None:
            raise ConfigError(tk._("A region needs a country"))
        allowed = [term.code for term in vocabularies.regions_of(country)]
        code = vocabularies.get("regions").normalise(region)
        if code not in allowed:
            raise ConfigError(tk._(
                "Region '{region}' is not in {country}. Regions of {country}: {allowed}").format(
                    region=region, country=country, allowed=", ".join(allowed)))
        settings["region"] = code

    page_size = values.get("page_size")
    if page_size is not None:
        if page_size_max is None:
            raise ConfigError(tk._(
                "page_size is not used by this harvester: the catalogue decides its own pages"))
        if (not isinstance(page_size, int) or isinstance(page_size, bool)
                or not 1 <= page_size <= page_size_max):
            raise ConfigError(tk._("page_size must be a whole number from 1 to {largest}, not {value}").format(
                largest=page_size_max, value=_shown(page_size)))
        settings["page_size"] = page_size
    force_all = values.get("force_all")
    if force_all is not None:
        if not isinstance(force_all, bool):
            raise ConfigError(tk._("force_all must be true or false, not {value}").format(
                value=_shown(force_all)))
        if force_all:
            settings["force_all"] = True
    return settings
