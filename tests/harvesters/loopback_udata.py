"""An imitation udata portal (API v1) on loopback.

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

import re
import threading
import uuid
from typing import Any
from urllib.parse import urlencode

from ckanext.plusresilient.demo.apis import apply_mask, parse_mask
from tests.harvesters.loopback import LoopbackPortal, json_response

DATASET_PATH = re.compile(r"^/api/1/datasets/([^/]+)/$")


class _Routes(dict):
    """Exact paths, plus ``/api/1/datasets/{id or slug}/``."""

    def __init__(self, portal: "UdataPortal") -> None:
        super().__init__()
        self.portal = portal

    def get(self, path, default=None):  # noqa: D401 - dict API
        if path in self:
            return self[path]
        match = DATASET_PATH.match(path)
        if match:
            return lambda query: self.portal._show(match.group(1))
        return default


def _object_id() -> str:
    return uuid.uuid4().hex[:24]  # a MongoDB ObjectId's 24 hex digits


class UdataPortal(LoopbackPortal):
    """udata's API v1: ``/api/1/datasets/`` (page, page_size, sort, X-Fields)
    and ``/api/1/datasets/{id}/``. ``requests`` keeps (path, X-Fields) of
    every request."""

    def __init__(self) -> None:
        super().__init__()
        self.datasets: dict[str, dict[str, Any]] = {}
        self.requests: list[tuple[str, str | None]] = []
        self._local = threading.local()
        self.routes = _Routes(self)
        self.routes["/api/1/datasets/"] = self._list
        portal = self
        base_handler = self.server.RequestHandlerClass

        class Handler(base_handler):  # keeps the headers the routes cannot see
            def do_GET(self) -> None:  # noqa: N802
                portal._local.headers = self.headers
                portal.requests.append((self.path, self.headers.get("X-Fields")))
                super().do_GET()

        self.server.RequestHandlerClass = Handler

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

    def _visible(self) -> list[dict[str, Any]]:
        return [d for d in self.datasets.values()
                if not d.get("private") and not d.get("archived") and not d.get("deleted")]

    def _mask(self) -> dict[str, Any] | None:
        headers = getattr(self._local, "headers", None)
        mask = headers.get("X-Fields") if headers is not None else None
        return parse_mask(mask) if mask else None

    def _list(self, query: dict[str, list[str]]):
        sort = (query.get("sort") or [None])[0]
        sorts = {"title": "title", "created": "created_at", "last_update": "last_update"}
        if sort is not None and sort.lstrip("-") not in sorts:
            return json_response({"errors": {"sort": f"The value '{sort}' is not a valid choice"},
                                  "message": "Input payload validation failed"}, 400)
        datasets = self._visible()  # insertion order stands for creation order
        if sort:
            key = sorts[sort.lstrip("-")]
            datasets = sorted(datasets, key=lambda d: d[key], reverse=sort.startswith("-"))
        else:
            datasets = list(reversed(datasets))  # the default: newest first
        page = int((query.get("page") or ["1"])[0])
        page_size = int((query.get("page_size") or ["20"])[0])
        chunk = datasets[(page - 1) * page_size: page * page_size]

        def link(number: int) -> str:
            args = {k: v[0] for k, v in query.items()}
            args.update(page=number, page_size=page_size)
            return f"{self.url}/api/1/datasets/?{urlencode(args)}"

        body = {
            "data": chunk, "page": page, "page_size": page_size, "total": len(datasets),
            "next_page": link(page + 1) if page * page_size < len(datasets) else None,
            "previous_page": link(page - 1) if page > 1 else None,
        }
        mask = self._mask()
        return json_response(apply_mask(body, mask) if mask else body)

    def _show(self, wanted: str):
        for dataset in self.datasets.values():
            if wanted in (dataset["id"], dataset["slug"]):
                if dataset.get("deleted"):
                    return json_response({"message": "Dataset has been deleted", "status": 410}, 410)
                if dataset.get("private"):
                    break
                mask = self._mask()
                return json_response(apply_mask(dataset, mask) if mask else dataset)
        return json_response({"message": "The requested URL was not found on the server. If you "
                              "entered the URL manually please check your spelling and try again.",
                              "status": 404}, 404)
