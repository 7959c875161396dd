"""An imitation udata portal (API v1).

Shapes follow udata's own API definition, as data.gouv.fr and dados.gov.pt
serve it:

* the dataset model and its default mask, the nested ``harvest`` metadata,
  resources, organisation references:
  https://github.com/opendatateam/udata/blob/master/udata/core/dataset/api_fields.py
* the list endpoint (``sort`` choices, ``page``/``page_size``, private,
  archived and deleted datasets left out; ``/datasets/{id-or-slug}/`` answering
  410 for a deleted one): https://github.com/opendatateam/udata/blob/master/udata/core/dataset/api.py
* the page envelope ``{data, page, page_size, total, next_page, previous_page}``
  with absolute ``next_page`` URLs: ``fields.pager`` in
  https://github.com/opendatateam/udata/blob/master/udata/api/fields.py
* frequency and licence codes:
  https://github.com/opendatateam/udata/blob/master/udata/core/dataset/constants.py
* the ``X-Fields`` mask header and its syntax (``data{id,last_modified},*``):
  https://flask-restx.readthedocs.io/en/latest/mask.html
* the public reference: https://doc.data.gouv.fr/api/reference/
"""
from __future__ import annotations

import json
import re
import uuid
from typing import Any
from urllib.parse import unquote, urlencode, urlsplit

from ckanext.plusresilient.demo.loopback import Request
from ckanext.plusresilient.demo.portals.base import (
    PAYLOADS, LoopbackPortal, Query, Reply, Route, first, int_arg, json_response, read_payload)

__all__ = ["UdataPortal", "apply_mask", "parse_mask"]

_SORTS = {"title": "title", "created": "created_at", "last_update": "last_update",
          "last_modified": "last_modified"}
_NOT_FOUND = {"message": "The requested URL was not found on the server. If you entered the URL manually "
                         "please check your spelling and try again.", "status": 404}


def _object_id() -> str:
    return uuid.uuid4().hex[:24]  # a MongoDB ObjectId's 24 hex digits


def _invalid(errors: dict[str, str]) -> Reply:
    return json_response({"errors": errors, "message": "Input payload validation failed"}, 400)


class UdataPortal(LoopbackPortal):
    """udata's API v1 under ``prefix``: ``/api/1/datasets/`` (page, page_size,
    sort, X-Fields) and ``/api/1/datasets/{id or slug}/``. ``datasets``: id
    -> dataset in creation order; ``requests`` keeps (path, X-Fields) of
    every request."""

    def __init__(self, prefix: str = "", *, mounted_at: str | None = None) -> None:
        super().__init__(mounted_at)
        self.prefix = prefix
        self.datasets: dict[str, dict[str, Any]] = {}
        self.requests: list[tuple[str, str | None]] = []
        self.listing = f"{prefix}/api/1/datasets/"
        self._one = re.compile(rf"^{re.escape(self.listing)}([^/]+)/$")
        self.routes[self.listing] = self._list

    @classmethod
    def sample(cls, base: str, prefix: str = "/udata") -> "UdataPortal":
        """The demo's sample udata portal, at ``base + prefix``."""
        portal = cls(prefix, mounted_at=base)
        host = urlsplit(base).hostname or "127.0.0.1"
        for dataset in json.loads(read_payload(PAYLOADS / "udata" / "datasets.json", base, host)):
            portal.datasets[dataset["id"]] = dataset
        return portal

    @property
    def pages(self) -> dict[str, str]:
        return {urlsplit(d["page"]).path: d["title"] for d in self.datasets.values()}

    def record(self, request: Request) -> None:
        self.requests.append((request.target, request.headers.get("x-fields")))

    def pattern_route(self, path: str) -> Route | None:
        match = self._one.match(path)
        if match:
            return lambda query: self._show(unquote(match.group(1)))
        return None

    def add(self, title: str, modified: str = "2024-01-10T08:00:00.000000+00:00", **fields: Any) -> dict[str, Any]:
        dataset_id = fields.pop("id", None) or _object_id()
        slug = fields.pop("slug", None) or re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-")[:90] or dataset_id
        root = self.url
        resource_id = str(uuid.uuid4())
        dataset = {
            "id": dataset_id, "title": title, "acronym": None, "slug": slug,
            "description": fields.pop("description", f"{title}."), "description_short": f"{title}."[:200],
            "created_at": "2020-05-01T10:00:00.123000+00:00", "last_modified": modified,
            "last_update": modified, "deleted": None, "archived": None, "private": False, "featured": False,
            "tags": fields.pop("tags", ["action-sociale", "solidarite"]), "badges": [],
            "resources": fields.pop("resources", [{
                "id": resource_id, "title": f"{slug}.csv", "description": "Export CSV",
                "filetype": "remote", "type": "main", "format": "csv",
                "url": f"{root}/fichiers/{slug}.csv", "latest": f"{root}/api/1/datasets/r/{resource_id}",
                "checksum": {"type": "sha1", "value": "a94a8fe5ccb19ba61c4c0873d391e987982fbbd3"},
                "filesize": 2048, "mime": "text/csv",
                "created_at": "2020-05-01T10:00:00.123000+00:00", "last_modified": modified,
                "metrics": {"views": 3}, "harvest": None, "extras": {}, "preview_url": None,
                "schema": None, "internal": {"created_at_internal": "2020-05-01T10:00:00.123000+00:00",
                                             "last_modified_internal": modified},
            }]),
            "frequency": fields.pop("frequency", "annual"), "frequency_date": None,
            "extras": fields.pop("extras", {}), "harvest": fields.pop("harvest", None),
            "metrics": {"discussions": 0, "followers": 1, "reuses": 0, "views": 42, "resources_downloads": 7},
            "organization": {
                "id": "534fff8ba3a7292c64a7809e", "name": "Région Occitanie", "acronym": None,
                "slug": "region-occitanie", "page": f"{root}/fr/organizations/region-occitanie/",
                "uri": f"{root}/api/1/organizations/region-occitanie/", "logo": None,
                "logo_thumbnail": None, "badges": [{"kind": "public-service"}],
            },
            "owner": None, "schema": None,
            "temporal_coverage": fields.pop("temporal_coverage", {"start": "2019-01-01T00:00:00+00:00",
                                                                  "end": "2023-12-31T00:00:00+00:00"}),
            "spatial": {"zones": ["fr:region:76"], "granularity": "fr:commune", "geom": None},
            "license": fields.pop("license", "lov2"),
            "uri": f"{root}/api/1/datasets/{slug}/", "page": f"{root}/fr/datasets/{slug}/",
            "quality": {"all_resources_available": True, "dataset_description_quality": True,
                        "has_open_format": True, "has_resources": True, "license": True,
                        "resources_documentation": False, "score": 0.67, "spatial": True,
                        "temporal_coverage": True, "update_frequency": True, "update_fulfilled_in_time": True},
            "internal": {"created_at_internal": "2020-05-01T10:00:00.123000+00:00",
                         "last_modified_internal": modified},
            "contact_points": fields.pop("contact_points", []),
            "permissions": {"delete": False, "edit": False, "edit_resources": False},
        }
        dataset.update(fields)
        self.datasets[dataset_id] = dataset
        return dataset

    # -- the API -------------------------------------------------------------------------
    def _visible(self) -> list[dict[str, Any]]:
        return [d for d in self.datasets.values()
                if not d.get("private") and not d.get("archived") and not d.get("deleted")]

    def _masked(self, value: Any) -> Reply:
        request = self.request
        mask = request.headers.get("x-fields") if request is not None else None
        return json_response(apply_mask(value, parse_mask(mask)) if mask else value)

    def _list(self, query: Query) -> Reply:
        page, page_size = int_arg(query, "page", 1), int_arg(query, "page_size", 20)
        if page is None or page_size is None or page < 1 or page_size < 1:
            return _invalid({"page": "Invalid value"})
        sort = first(query, "sort")
        if sort is not None and sort.lstrip("-") not in _SORTS:
            return _invalid({"sort": f"The value '{sort}' is not a valid choice for 'sort'."})
        # newest first by default; insertion order stands for creation order
        datasets = list(reversed(self._visible()))
        if sort:
            datasets.reverse()
            datasets.sort(key=lambda d: d[_SORTS[sort.lstrip("-")]], reverse=sort.startswith("-"))
        else:
            datasets.sort(key=lambda d: d["created_at"], reverse=True)
        chunk = datasets[(page - 1) * page_size: page * page_size]

        def link(number: int) -> str:
            args = {name: values[0] for name, values in query.items()}
            args.update(page=number, page_size=page_size)
            return f"{self.url}{self.listing}?{urlencode(args)}"

        return self._masked({
            "data": chunk, "page": page, "page_size": page_size, "total": len(datasets),
            "next_page": link(page + 1) if page * page_size < len(datasets) else None,
            "previous_page": link(page - 1) if page > 1 else None,
        })

    def _show(self, wanted: str) -> Reply:
        for dataset in self.datasets.values():
            if wanted in (dataset["id"], dataset["slug"]):
                if dataset.get("deleted"):
                    return json_response({"message": "Dataset has been deleted", "status": 410}, 410)
                if dataset.get("private"):
                    break
                return self._masked(dataset)
        return json_response(_NOT_FOUND, 404)


def parse_mask(mask: str) -> dict[str, Any]:
    """flask-restx's field mask (``data{id,last_modified},next_page``) as a tree."""
    fields: dict[str, Any] = {}
    stack, name = [fields], ""
    mask = mask.strip()
    if mask.startswith("{") and mask.endswith("}"):
        mask = mask[1:-1]
    for char in mask:
        if char == "{":
            nested: dict[str, Any] = {}
            stack[-1][name.strip()] = nested
            stack.append(nested)
            name = ""
        elif char in ",}":
            if name.strip():
                stack[-1][name.strip()] = True
            name = ""
            if char == "}" and len(stack) > 1:
                stack.pop()
        elif not char.isspace():
            name += char
    if name.strip():
        stack[-1][name.strip()] = True
    return fields


def apply_mask(value: Any, mask: dict[str, Any]) -> Any:
    """What flask-restx answers under a mask: the named fields (null when
    missing), ``*`` for all the others."""
    if isinstance(value, list):
        return [apply_mask(item, mask) for item in value]
    if not isinstance(value, dict):
        return value
    out = {key: item for key, item in value.items() if key not in mask} if "*" in mask else {}
    for key, sub in mask.items():
        if key != "*":
            item = value.get(key)
            out[key] = apply_mask(item, sub) if isinstance(sub, dict) and item is not None else item
    return out
