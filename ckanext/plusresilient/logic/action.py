"""API actions of the suite (``/api/3/action/plusresilient_*``)."""
from __future__ import annotations

import json
import logging
from typing import Any

import ckan.model as model
import ckan.plugins as p
import ckan.plugins.toolkit as tk

from ckanext.plusresilient import portals as directory
from ckanext.plusresilient import vocabularies

__all__ = ["plusresilient_portal_list", "plusresilient_portals_sync"]

log = logging.getLogger(__name__)

#: ckanext-harvest's dataset type for harvest sources.
HARVEST_SOURCE_TYPE = "harvest"
#: What the sync keeps equal between a portal and its harvest source.
SYNCED_FIELDS = ("url", "source_type", "title", "frequency", "config")


def _country_codes(value: Any) -> list[str]:
    """The ``country`` parameter: a code, a comma-separated list, or a list
    of either (a repeated query parameter). Refuses unknown codes."""
    if value in (None, "", []):
        return []
    items = value if isinstance(value, (list, tuple)) else [value]
    codes: list[str] = []
    for item in items:
        if not isinstance(item, str):
            raise tk.ValidationError({"country": ["Country codes must be strings"]})
        codes.extend(c for c in item.split(",") if c.strip())
    known = vocabularies.get("countries")
    codes = [directory.normalise_country(c) for c in codes]
    unknown = sorted({c for c in codes if c not in known})
    if unknown:
        raise tk.ValidationError({"country": [
            f"Unknown country codes {', '.join(unknown)}; "
            f"allowed: {', '.join(known.codes())}"
        ]})
    return list(dict.fromkeys(codes))


def _sources_by_name(names: list[str]) -> dict[str, Any]:
    """The active harvest source packages with these names, by name."""
    if not names:
        return {}
    packages = (
        model.Session.query(model.Package)
        .filter(model.Package.type == HARVEST_SOURCE_TYPE)
        .filter(model.Package.state == "active")
        .filter(model.Package.name.in_(names))
        .all()
    )
    return {package.name: package for package in packages}


def _last_job_status(source_id: str) -> str | None:
    from ckanext.harvest.model import HarvestJob

    job = (
        HarvestJob.filter(source_id=source_id)
        .order_by(HarvestJob.created.desc())
        .first()
    )
    return job.status if job else None


def _dataset_counts(context: dict[str, Any], source_ids: list[str]) -> dict[str, int]:
    """Datasets per harvest source, from the search index (so the counts are
    what the caller can find), in one query faceted on harvest_source_id."""
    if not source_ids:
        return {}
    quoted = " OR ".join(f'"{source_id}"' for source_id in source_ids)
    result = tk.get_action("package_search")(
        {"user": context.get("user")},
        {
            "q": "",
            "fq": f"harvest_source_id:({quoted})",
            "rows": 0,
            "facet": "true",
            "facet.field": ["harvest_source_id"],
            "facet.limit": -1,
            "include_private": True,
        },
    )
    counts = result.get("facets", {}).get("harvest_source_id", {})
    return {source_id: int(counts.get(source_id, 0)) for source_id in source_ids}


@tk.side_effect_free
def plusresilient_portal_list(context: dict[str, Any], data_dict: dict[str, Any]) -> list[dict[str, Any]]:
    """The directory of the MED open-data portals.

    Public. Each portal as in ``portals.yaml`` (id, name, url, country,
    region, level, software, api_url, harvester, language, verified) plus
    ``harvest_source``: ``{id, name, url, datasets, last_job_status}`` when
    the portal has a harvest source (see ``plusresilient_portals_sync``),
    else null. ``datasets`` counts the datasets from that source the caller
    can see.

    :param country: only these countries' portals: a code, a comma-separated
        list or a repeated parameter (``GR`` is taken as ``EL``)
    :type country: string or list of strings
    :rtype: list of dictionaries
    """
    tk.check_access("plusresilient_portal_list", context, data_dict)
    codes = _country_codes(data_dict.get("country"))
    selected = directory.for_country(codes) if codes else directory.load()
    sources = _sources_by_name([portal.harvest_source_name for portal in selected])
    counts = _dataset_counts(context, [source.id for source in sources.values()])

    result = []
    for portal in selected:
        item = portal.as_dict()
        source = sources.get(portal.harvest_source_name)
        item["harvest_source"] = None if source is None else {
            "id": source.id,
            "name": source.name,
            "url": source.url,
            "datasets": counts.get(source.id, 0),
            "last_job_status": _last_job_status(source.id),
        }
        result.append(item)
    return result


def _registered_harvesters() -> set[str]:
    """The source types ckanext-harvest accepts right now (the ``name`` of
    every loaded IHarvester plugin), as its own validator computes them."""
    from ckanext.harvest.interfaces import IHarvester

    types = set()
    for harvester in p.PluginImplementations(IHarvester):
        try:
            info = harvester.info()
        except AttributeError:
            continue
        if info and info.get("name"):
            types.add(info["name"])
    return types


def _override(value: Any) -> dict[str, str]:
    """``harvester_override``: software -> source type, as a dict or JSON."""
    if value in (None, "", {}):
        return {}
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError:
            raise tk.ValidationError({"harvester_override": ["Not valid JSON"]})
    if not isinstance(value, dict):
        raise tk.ValidationError({"harvester_override": [
            "Expected a mapping of portal software to harvest source type"
        ]})
    problems = [
        f"{software!r}" for software, source_type in value.items()
        if software not in directory.SOFTWARE
        or not isinstance(source_type, str) or not source_type.strip()
    ]
    if problems:
        raise tk.ValidationError({"harvester_override": [
            f"Invalid entries {', '.join(problems)}: keys must be one of "
            f"{', '.join(directory.SOFTWARE)} and values source type names"
        ]})
    return {software: source_type.strip() for software, source_type in value.items()}


def _wanted_source(portal: directory.Portal, source_type: str) -> dict[str, Any]:
    config = {
        "portal": portal.id,
        "country": portal.country,
        "region": portal.region,
        "language": portal.language,
    }
    return {
        "name": portal.harvest_source_name,
        "title": portal.name,
        "url": portal.api_url,
        "source_type": source_type,
        "frequency": "MANUAL",
        "config": json.dumps(config, sort_keys=True),
    }


def _differences(current: dict[str, Any], wanted: dict[str, Any]) -> list[str]:
    changed = []
    for field in SYNCED_FIELDS:
        have, want = current.get(field), wanted[field]
        if field == "config":
            try:
                have = json.loads(have) if have else None
            except ValueError:
                pass
            want = json.loads(want)
        if have != want:
            changed.append(field)
    return changed


def plusresilient_portals_sync(context: dict[str, Any], data_dict: dict[str, Any]) -> dict[str, list[Any]]:
    """Create or update one ckanext-harvest source per portal that has a
    harvester. Sysadmins only.

    Each source is named ``portal-<id>``, titled with the portal's name,
    points at the portal's ``api_url``, runs on demand (frequency MANUAL),
    belongs to no organization and carries the config
    ``{"portal", "country", "region", "language"}``. A second run changes
    nothing. Sources are never deleted here.

    :param country: only these countries' portals (as in
        ``plusresilient_portal_list``)
    :type country: string or list of strings
    :param dry_run: report what would change without changing it
    :type dry_run: bool
    :param harvester_override: portal software -> harvest source type, e.g.
        ``{"ckan": "ckan"}`` to harvest the CKAN portals with ckanext-harvest's
        stock CKAN harvester. For tests, and for sites that prefer the stock
        harvesters. A dict or its JSON.
    :type harvester_override: dict

    :returns: ``{"created": [...], "updated": [...], "unchanged": [...]}``
        with the portal ids, and ``"skipped": [{"id", "reason"}]`` for the
        portals without a harvester or whose harvester is not enabled
    :rtype: dictionary
    """
    tk.check_access("plusresilient_portals_sync", context, data_dict)
    codes = _country_codes(data_dict.get("country"))
    dry_run = tk.asbool(data_dict.get("dry_run", False))
    override = _override(data_dict.get("harvester_override"))
    registered = _registered_harvesters()
    selected = directory.for_country(codes) if codes else directory.load()
    user = context.get("user")

    report: dict[str, list[Any]] = {"created": [], "updated": [], "unchanged": [], "skipped": []}
    for portal in selected:
        source_type = override.get(portal.software) or portal.harvester
        if not source_type:
            report["skipped"].append({
                "id": portal.id,
                "reason": f"no harvester for this {portal.software} portal",
            })
            continue
        if source_type not in registered:
            report["skipped"].append({
                "id": portal.id,
                "reason": f"harvester {source_type} not enabled",
            })
            continue
        if not portal.api_url:
            report["skipped"].append({"id": portal.id, "reason": "no API URL"})
            continue

        wanted = _wanted_source(portal, source_type)
        try:
            current = tk.get_action("harvest_source_show")(
                {"user": user}, {"id": wanted["name"]})
        except tk.ObjectNotFound:
            current = None

        if current is None:
            if not dry_run:
                tk.get_action("harvest_source_create")(
                    {"user": user}, dict(wanted, owner_org=None))
            report["created"].append(portal.id)
            log.info("portal %s: harvest source %s created", portal.id, wanted["name"])
            continue

        changed = _differences(current, wanted)
        if current.get("state", "active") != "active":
            changed.append("state")
        if not changed:
            report["unchanged"].append(portal.id)
            continue
        if not dry_run:
            update = dict(wanted, id=current["id"], state="active",
                          owner_org=current.get("owner_org"))
            if current.get("notes"):
                update["notes"] = current["notes"]
            tk.get_action("harvest_source_update")({"user": user}, update)
        report["updated"].append(portal.id)
        log.info("portal %s: harvest source %s updated (%s)",
                 portal.id, wanted["name"], ", ".join(changed))
    return report
