"""The portal directory's actions: the list, and the sync of its harvest sources."""
from __future__ import annotations

from typing import Any

import ckan.plugins.toolkit as tk

from ckanext.plusresilient import portals as directory
from ckanext.plusresilient.logic import schema
from ckanext.plusresilient.portals import sources, sync

__all__ = ["plusresilient_portal_list", "plusresilient_portals_sync"]


@tk.side_effect_free
@tk.validate_action_data(schema.portal_list)
def plusresilient_portal_list(context: dict[str, Any], data_dict: dict[str, Any]) -> list[dict[str, Any]]:
    """The directory of the MED open-data portals.

    Public. Each portal as in ``portals.yaml`` (id, name, url, country,
    region, level, software, api_url, harvester, language, verified,
    frequency) plus ``harvest_source``: ``{id, name, url, datasets,
    last_job_status}`` when the portal has a harvest source (see
    ``plusresilient_portals_sync``), else null. ``datasets`` counts the
    datasets that source publishes and the caller can see, including those
    another source publishes too.

    :param country: only these countries' portals: a code, a comma-separated
        list or a repeated parameter (``GR`` is taken as ``EL``)
    :type country: string or list of strings
    :rtype: list of dictionaries
    """
    tk.check_access("plusresilient_portal_list", context, data_dict)
    return sources.with_sources(_selected(data_dict["country"]), context.get("user"))


@tk.validate_action_data(schema.portals_sync)
def plusresilient_portals_sync(context: dict[str, Any], data_dict: dict[str, Any]) -> dict[str, list[Any]]:
    """Create or update one ckanext-harvest source per portal that has a
    harvester. Sysadmins only.

    Each source is named ``portal-<id>``, titled with the portal's name,
    points at the portal's ``api_url`` and carries the config
    ``{"portal", "country", "region", "language"}``; those are brought back
    to the directory's values on every run. It is created with the portal's
    ``frequency`` (WEEKLY unless ``portals.yaml`` says otherwise) and owned
    by the organization ``ckanext.plusresilient.portals.organization``
    names (created when missing), so that it is accepted where
    ``ckan.auth.create_unowned_dataset`` is off. Later runs never change
    the frequency or the organization: an admin may have chosen them. A
    source an older version left without organization gets it. A second
    run changes nothing. Sources are never deleted here.

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
    return sync.sync(_selected(data_dict["country"]), context.get("user"),
                     data_dict["dry_run"], data_dict["harvester_override"])


def _selected(codes: list[str]) -> list[directory.Portal]:
    return directory.for_country(codes) if codes else directory.load()
