"""One ckanext-harvest source per portal of the directory, kept equal to it."""
from __future__ import annotations

import json
import logging
from typing import Any

import ckan.plugins as p
import ckan.plugins.toolkit as tk
from ckan import model

from ckanext.plusresilient import config as settings
from ckanext.plusresilient import portals as directory

__all__ = ["DIRECTORY_ORGANIZATION_TITLE", "SYNCED_FIELDS", "sync"]

log = logging.getLogger(__name__)

#: What the sync keeps equal between a portal and its harvest source.
SYNCED_FIELDS = ("url", "source_type", "title", "config")
# The frequency and the owner organization are written only when the sync
# creates a source: afterwards they are the admin's.
#: The title of the organization the sync creates to own the sources.
DIRECTORY_ORGANIZATION_TITLE = "Open data portals of the MED countries"


def sync(selected: list[directory.Portal], user: str | None, dry_run: bool,
         override: dict[str, str]) -> dict[str, list[Any]]:
    """What ``plusresilient_portals_sync`` documents, for these portals."""
    registered = _registered_harvesters()
    organization = _DirectoryOrganization(user, dry_run)

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
            # not the cached search-index copy: a finished job's reindex leaves
            # it without type, frequency or config, and every source would differ
            current = tk.get_action("harvest_source_show")(
                {"user": user, "use_cache": False}, {"id": wanted["name"]})
        except tk.ObjectNotFound:
            current = None

        if current is None:
            owner_org = organization.id()
            if not dry_run:
                tk.get_action("harvest_source_create")(
                    {"user": user}, dict(wanted, owner_org=owner_org))
            report["created"].append(portal.id)
            log.info("portal %s: harvest source %s created", portal.id, wanted["name"])
            continue

        changed = _differences(current, wanted)
        if not current.get("owner_org"):
            changed.append("owner_org")
        if current.get("state", "active") != "active":
            changed.append("state")
        if not changed:
            report["unchanged"].append(portal.id)
            continue
        if not dry_run:
            update = dict(wanted, id=current["id"], state="active",
                          frequency=current.get("frequency") or wanted["frequency"],
                          owner_org=current.get("owner_org") or organization.id())
            if current.get("notes"):
                update["notes"] = current["notes"]
            tk.get_action("harvest_source_update")({"user": user}, update)
        report["updated"].append(portal.id)
        log.info("portal %s: harvest source %s updated (%s)",
                 portal.id, wanted["name"], ", ".join(changed))
    return report


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
        "frequency": portal.frequency,
        "config": json.dumps(config, sort_keys=True),
    }


class _DirectoryOrganization:
    """The organization that owns the directory's sources (the option
    ``ckanext.plusresilient.portals.organization``), looked up once per
    sync and created the first time a source needs it, never in a dry run.

    Directory sources go to this one organization, not to a cluster: a
    portal is run by a public administration, not by an SVRC cluster, and
    ``portals.yaml`` names none. An admin who wants a portal's datasets under
    a cluster moves its source there; the sync keeps it there.
    """

    def __init__(self, user: str | None, dry_run: bool) -> None:
        try:
            self.name = settings.portals_organization()
        except ValueError as error:
            raise tk.ValidationError({"organization": [str(error)]}) from None
        self.user = user
        self.dry_run = dry_run
        self._id: str | None = None

    def id(self) -> str | None:
        if self._id is None:
            self._id = self._find() or self._create()
        return self._id

    def _find(self) -> str | None:
        group = model.Group.get(self.name)  # by id or name
        if group is None:
            return None
        if not group.is_organization or group.state != "active":
            kind = "organization" if group.is_organization else "group"
            raise tk.ValidationError({"organization": [
                f"{settings.PORTALS_ORGANIZATION_OPTION} names the {group.state} {kind} "
                f"{group.name!r}: restore it, or name another organization"]})
        return group.id

    def _create(self) -> str | None:
        if self.dry_run:
            return None
        organization = tk.get_action("organization_create")({"user": self.user}, {
            "name": self.name,
            "title": DIRECTORY_ORGANIZATION_TITLE,
            "description": "The harvest sources of the directory of open data portals "
                           "(`ckan plusresilient portals sync`) and the datasets "
                           "harvested through them.",
        })
        log.info("organization %s created for the directory's harvest sources", self.name)
        return organization["id"]


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
