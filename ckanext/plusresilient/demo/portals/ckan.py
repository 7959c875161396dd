"""An imitation CKAN portal (and DKAN's CKAN-compatible API).

CKAN's action API as CKAN 2.x answers it, in its ``{help, success, result}``
envelope: ``package_search`` with ``q``, ``fq=metadata_modified:[… TO *]``,
``fl``, ``sort``, ``rows`` (at most 1000) and ``start``; ``package_show``;
``package_list``; an unknown action is a 400 and a bad query a 409, with
CKAN's error bodies. DKAN 7 has no ``package_search`` and answers
``package_show`` with a one-element list.
"""
from __future__ import annotations

import json
import re
import uuid
from typing import Any
from urllib.parse import urlsplit

from ckanext.plusresilient.demo.portals.base import (
    PAYLOADS, LoopbackPortal, Query, Reply, Route, first, int_arg, read_payload)

__all__ = ["CKANPortal", "DKANPortal"]

_SINCE = re.compile(r"^\+?metadata_modified:\[(\S+) TO \*\]$")
_SORTABLE = ("id", "name", "title", "metadata_modified", "metadata_created")
JSON_CKAN = "application/json;charset=utf-8"


def _envelope(payload: dict[str, Any], status: int = 200) -> Reply:
    return status, {"Content-Type": JSON_CKAN}, json.dumps(payload, ensure_ascii=False).encode("utf-8")


class CKANPortal(LoopbackPortal):
    """CKAN's action API under ``prefix``. ``packages``: id -> package
    dictionary, as ``package_show`` answers it."""

    def __init__(self, prefix: str = "", *, mounted_at: str | None = None) -> None:
        super().__init__(mounted_at)
        self.prefix = prefix
        self.packages: dict[str, dict[str, Any]] = {}
        self.api = f"{prefix}/api/3/action"
        self.routes[f"{self.api}/package_search"] = self._search
        self.routes[f"{self.api}/package_show"] = self._show
        self.routes[f"{self.api}/package_list"] = self._list
        self.api_url = self.url + prefix

    @classmethod
    def sample(cls, base: str, prefix: str = "/ckan") -> "CKANPortal":
        """The demo's sample CKAN portal, at ``base + prefix``."""
        portal = cls(prefix, mounted_at=base)
        host = urlsplit(base).hostname or "127.0.0.1"
        for package in json.loads(read_payload(PAYLOADS / "ckan" / "packages.json", base, host)):
            portal.packages[package["id"]] = package
        return portal

    @property
    def pages(self) -> dict[str, str]:
        """Each dataset's page on the portal (path -> title)."""
        return {f"{self.prefix}/dataset/{p['name']}": p["title"] for p in self.packages.values()}

    def add(self, title: str, modified: str = "2024-01-10T08:00:00.000000", **fields: Any) -> dict[str, Any]:
        package_id = fields.pop("id", None) or str(uuid.uuid4())
        name = fields.pop("name", None) or re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-")[:90]
        package = {
            "id": package_id, "name": name, "title": title, "type": "dataset", "state": "active",
            "private": False, "notes": fields.pop("notes", f"{title}."),
            "license_id": fields.pop("license_id", "cc-by"),
            "license_title": "Creative Commons Attribution", "license_url": "http://www.opendefinition.org/licenses/cc-by",
            "metadata_created": "2020-05-01T10:00:00.000000", "metadata_modified": modified,
            "maintainer": "Ufficio open data", "maintainer_email": "opendata@example.org",
            "author": None, "author_email": None, "url": "", "version": None,
            "num_resources": 1, "num_tags": 2,
            "organization": {"id": "org-1", "name": "regione", "title": "Regione", "type": "organization",
                             "is_organization": True, "state": "active"},
            "owner_org": "org-1",
            "tags": [{"name": t, "display_name": t, "id": str(uuid.uuid4()), "state": "active",
                      "vocabulary_id": None} for t in fields.pop("tags", ["welfare", "servizi sociali"])],
            "groups": fields.pop("groups", []),
            "extras": fields.pop("extras", []),
            "resources": fields.pop("resources", [{
                "id": str(uuid.uuid4()), "package_id": package_id, "name": "Dati CSV",
                "url": f"{self.url if self.serving else 'http://example.org'}/download/{name}.csv",
                "format": "CSV", "mimetype": "text/csv", "size": 2048, "description": "",
                "state": "active", "position": 0, "url_type": None,
            }]),
            "relationships_as_object": [], "relationships_as_subject": [],
        }
        package.update(fields)
        self.packages[package_id] = package
        return package

    # -- the action API ------------------------------------------------------------------
    def pattern_route(self, path: str) -> Route | None:
        if not path.startswith(f"{self.api}/"):
            return None
        action = path.removeprefix(f"{self.api}/")
        return lambda query: self._error(400, "Bad request - Action name not known: " + action, "Bad Request")

    def _ok(self, action: str, result: Any) -> Reply:
        return _envelope({"help": f"{self.url}{self.api}/help_show?name={action}", "success": True,
                          "result": result})

    def _error(self, status: int, message: str, kind: str) -> Reply:
        return _envelope({"help": f"{self.url}{self.api}/help_show", "success": False,
                          "error": {"message": message, "__type": kind}}, status)

    def _search(self, query: Query) -> Reply:
        rows, start = int_arg(query, "rows", 10), int_arg(query, "start", 0)
        if rows is None or start is None or rows < 0 or start < 0:
            return self._error(409, "Search Query Error: rows and start must be whole numbers",
                               "Search Query Error")
        packages = sorted(self.packages.values(), key=lambda p: p["id"])
        fq = (first(query, "fq") or "").strip()
        if fq:
            since = _SINCE.match(fq)
            if since is None:
                return self._error(409, f"Search Query Error: unsupported fq {fq!r}", "Search Query Error")
            bound = since.group(1).rstrip("Z")
            packages = [p for p in packages if p["metadata_modified"] >= bound]
        words = (first(query, "q") or "").strip()
        if words and words != "*:*":
            lowered = words.lower()
            packages = [p for p in packages if lowered in f"{p['title']} {p.get('notes') or ''}".lower()
                        or lowered in {t["name"].lower() for t in p["tags"]}]
        sort = first(query, "sort") or "score desc, metadata_modified desc"
        field, _, order = sort.split(",")[0].strip().partition(" ")
        if field == "score":
            field, order = "metadata_modified", "desc"
        if field not in _SORTABLE:
            return self._error(409, f"Search Query Error: can not sort on {field!r}", "Search Query Error")
        packages.sort(key=lambda p: p[field], reverse=order.strip() == "desc")
        page = packages[start:start + min(rows, 1000)]
        fields = [f.strip() for f in (first(query, "fl") or "").split(",") if f.strip()]
        if fields:
            page = [{k: p[k] for k in fields if k in p} for p in page]
        return self._ok("package_search", {"count": len(packages), "facets": {}, "results": page,
                                           "sort": sort, "search_facets": {}})

    def _show(self, query: Query) -> Reply:
        wanted = first(query, "id") or ""
        for package in self.packages.values():
            if wanted in (package["id"], package["name"]):
                return self._ok("package_show", package)
        return self._error(404, "Not found", "Not Found Error")

    def _list(self, query: Query) -> Reply:
        return self._ok("package_list", sorted(p["name"] for p in self.packages.values()))


class DKANPortal(CKANPortal):
    """DKAN 7's CKAN-compatible API: no package_search (404), package_list of
    names, and package_show answering a one-element list."""

    def __init__(self, prefix: str = "", *, mounted_at: str | None = None) -> None:
        super().__init__(prefix, mounted_at=mounted_at)
        del self.routes[f"{self.api}/package_search"]

    def pattern_route(self, path: str) -> Route | None:
        return None   # an action DKAN lacks is a plain 404

    def _show(self, query: Query) -> Reply:
        status, headers, body = super()._show(query)
        if status == 200:
            payload = json.loads(body)
            payload["result"] = [payload["result"]]
            return _envelope(payload)
        return status, headers, body
