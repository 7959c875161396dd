"""Stable resources: an updated dataset keeps the ids of its resources.

``package_update`` gives a new id to every resource it receives without
one, so an import that simply wrote the source's distributions again would
orphan the feedback on each resource and break every link to its page.
Each incoming distribution is matched to the resource it became last time:
by the remote distribution's own id or URI, then by its URL. What matches
keeps its id, what is new gets one, and a resource the source no longer has
goes. A resource an editor added here (never brought by the harvest) stays,
and so does the portal's own state of a matched one (its table preview).

Pure Python: resources are the dictionaries ``package_show`` returns.
"""
from __future__ import annotations

from typing import Any

from ckanext.plusresilient.harvesters.mapping import REMOTE_KEY


def remote_key(resource: dict[str, Any]) -> str:
    """What identifies a distribution at the source: its id or URI, else its URL."""
    return resource.get(REMOTE_KEY) or f"url:{resource.get('url', '')}"


def match(incoming: list[dict[str, Any]], current: list[dict[str, Any]],
          known: dict[str, str] | None) -> list[dict[str, Any]]:
    """The resources to write: the incoming ones (without their remote key),
    each with the id of the current resource it matches, followed by the
    current resources the harvest never brought.

    ``known`` maps remote keys to the resource ids of the last import; None
    for a dataset imported before it was recorded (every current resource
    then counts as harvested, and is matched by URL).
    """
    by_id = {resource["id"]: resource for resource in current if resource.get("id")}
    harvested = set(by_id) if known is None else {rid for rid in known.values() if rid in by_id}
    claimed: set[str] = set()
    written = []
    for resource in incoming:
        data = {k: v for k, v in resource.items() if k != REMOTE_KEY}
        resource_id = (known or {}).get(remote_key(resource))
        if resource_id not in by_id or resource_id in claimed:
            resource_id = next((rid for rid in by_id if rid in harvested and rid not in claimed
                                and by_id[rid].get("url") == data.get("url")), None)
        if resource_id:
            claimed.add(resource_id)
            data["id"] = resource_id
            data.update(_portal_state(by_id[resource_id], data))
        written.append(data)
    written.extend(resource for rid, resource in by_id.items() if rid not in harvested)
    return written


#: What this portal knows of a resource that no source sends: its table
#: preview's DataStore flag (scoring/preview.py).
PORTAL_STATE = ("datastore_active",)


def _portal_state(current: dict[str, Any], incoming: dict[str, Any]) -> dict[str, Any]:
    """The portal's own state of a matched resource, while it serves the same
    URL: a re-import must not hide a preview until the next scoring."""
    if current.get("url") != incoming.get("url"):
        return {}
    return {key: current[key] for key in PORTAL_STATE if current.get(key)}


def keys_of(incoming: list[dict[str, Any]], written: list[dict[str, Any]]) -> dict[str, str]:
    """Remote key -> resource id after the write (the incoming resources come
    first, in their order, in what ``package_update`` returns)."""
    return {remote_key(resource): stored["id"] for resource, stored in zip(incoming, written)
            if stored.get("id")}
