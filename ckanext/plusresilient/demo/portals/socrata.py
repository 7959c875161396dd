"""An imitation Socrata domain: the Discovery API and the older /api/views.

Shapes followed (field names, nesting, types, paging):

* Discovery API ``GET /api/catalog/v1``: ``{"results": [{"resource": {...},
  "classification": {...}, "metadata": {"domain", "license"}, "permalink",
  "link", "owner", "creator"}], "resultSetSize": N, "timings": {...},
  "warnings": []}`` -- as documented at https://socratadiscovery.docs.apiary.io/
  and as recorded from api.eu.socrata.com (an analisi.transparenciacatalunya.cat
  result among them) in the socratadata test fixtures,
  https://github.com/ryanzomorrodi/socratadata/blob/main/tests/testthat/soc_discovery/api.eu.socrata.com/api/catalog/v1-8d6ed4.json
  Paging by ``limit``/``offset``; without ``order`` the results come in
  relevance order, which is not stable between requests (imitated here by
  reshuffling each page), with ``order=dataset_id`` they are sorted by id.
* ``GET /api/views?limit=&page=`` (page from 1): a JSON array of views, as
  read by ckanext-harvest-basket's Socrata harvester
  (https://github.com/DataShades/ckanext-harvest-basket), each shaped like
  ``/api/views/{id}.json`` (epoch-second dates, ``viewType``, ``displayType``,
  ``assetType``, ``license`` {name, termsLink}, ``licenseId``), as in
  https://github.com/ryanzomorrodi/socratadata/blob/main/tests/testthat/soc_metadata/soda.demo.socrata.com/api/views/2646-ez2p.json
* the data of a dataset with rows (the demo's): ``/api/views/{id}/rows.csv``
  and the SODA endpoints ``/resource/{id}.csv`` and ``.json`` (columns by
  field name, every value a string, as SODA 2 answers).

A Socrata portal *is* its domain (the harvester keeps only scheme and host
of a source URL), so the imitation answers at the server's root.
"""
from __future__ import annotations

import csv
import datetime
import io
import json
import random
import re
import string
from typing import Any
from urllib.parse import urlsplit

from ckanext.plusresilient.demo.portals.base import (
    PAYLOADS, LoopbackPortal, Query, Reply, Route, first, int_arg, json_response, read_payload)

__all__ = ["SocrataPortal", "LICENCES"]

_VIEW = re.compile(r"^/api/views/([^/]+)\.json$")
_ROWS = re.compile(r"^/api/views/([a-z0-9]{4}-[a-z0-9]{4})/rows\.csv$")
_SODA = re.compile(r"^/resource/([a-z0-9]{4}-[a-z0-9]{4})\.(csv|json)$")
CSV_SOCRATA = "text/csv; charset=UTF-8"

LICENCES = {  # Socrata's licence list: id -> (name, terms link)
    "CC0_10": ("Creative Commons 1.0 Universal (Public Domain Dedication)",
               "http://creativecommons.org/publicdomain/zero/1.0/legalcode"),
    "CC_40_BY": ("Creative Commons Attribution 4.0 International",
                 "https://creativecommons.org/licenses/by/4.0/legalcode"),
    "PUBLIC_DOMAIN": ("Public Domain", None),
    None: ("See Terms of Use", None),
}


def _epoch(iso: str) -> int:
    return int(datetime.datetime.strptime(iso, "%Y-%m-%dT%H:%M:%S.%fZ")
               .replace(tzinfo=datetime.timezone.utc).timestamp())


def _four_by_four(rng: random.Random) -> str:
    alphabet = string.ascii_lowercase + string.digits
    return "-".join("".join(rng.choice(alphabet) for _ in range(4)) for _ in range(2))


class SocrataPortal(LoopbackPortal):
    """A Socrata domain. ``catalog=False`` imitates a domain without the
    Discovery API (404); ``cname`` is the name the Discovery API knows the
    domain by (results only for ``domains=<cname>``). ``assets`` are built
    into the API's shapes when asked; ``results`` are Discovery results kept
    as they are (the demo's), with their ``rows`` as CSV."""

    def __init__(self, catalog: bool = True, cname: str = "127.0.0.1", *, mounted_at: str | None = None) -> None:
        super().__init__(mounted_at)
        self.cname = cname
        self.assets: dict[str, dict[str, Any]] = {}
        self.results: dict[str, dict[str, Any]] = {}
        self.rows: dict[str, str] = {}
        self._rng = random.Random(7)
        if catalog:
            self.routes["/api/catalog/v1"] = self._catalog
        self.routes["/api/views"] = self._views

    @classmethod
    def sample(cls, base: str) -> "SocrataPortal":
        """The demo's sample Socrata domain, at ``base``'s root."""
        host = urlsplit(base).hostname or "127.0.0.1"
        portal = cls(cname=host, mounted_at=base)
        folder = PAYLOADS / "socrata"
        for result in json.loads(read_payload(folder / "catalog.json", base, host)):
            dataset_id = result["resource"]["id"]
            portal.results[dataset_id] = result
            portal.rows[dataset_id] = (folder / "rows" / f"{dataset_id}.csv").read_text(encoding="utf-8")
        return portal

    @property
    def pages(self) -> dict[str, str]:
        pages = {}
        for result in self.results.values():
            for url in (result["permalink"], result["link"]):
                pages[urlsplit(url).path] = result["resource"]["name"]
        return pages

    def pattern_route(self, path: str) -> Route | None:
        view = _VIEW.match(path)
        if view and view.group(1) in self.assets:
            return lambda query: json_response(self.view(self.assets[view.group(1)]))
        rows, soda = _ROWS.match(path), _SODA.match(path)
        if rows and rows.group(1) in self.rows:
            return lambda query: (200, {"Content-Type": CSV_SOCRATA}, self.rows[rows.group(1)].encode("utf-8"))
        if soda and soda.group(1) in self.rows:
            return lambda query: self._soda(soda.group(1), soda.group(2))
        if rows or soda:
            return lambda query: json_response({"error": True, "message": "Not found"}, 404)
        return None

    def add(self, name: str, updated: str = "2024-01-10T08:00:00.000Z", *, asset_type: str = "dataset",
            category: str | None = None, tags: list[str] | None = None, licence: str | None = "CC_40_BY",
            description: str | None = None, attribution: str = "Direcció General de Dades Obertes",
            contact_email: str | None = None, **extra: Any) -> dict[str, Any]:
        """An asset; ``updated`` is the Discovery API's ``updatedAt``."""
        asset = {
            "id": extra.pop("id", None) or _four_by_four(self._rng), "name": name, "updated": updated,
            "created": "2020-05-01T10:00:00.000Z", "asset_type": asset_type, "category": category,
            "tags": list(tags if tags is not None else ["dades obertes"]), "licence": licence,
            "description": description if description is not None else f"{name}.",
            "attribution": attribution, "contact_email": contact_email, **extra,
        }
        self.assets[asset["id"]] = asset
        return asset

    def remove(self, asset: dict[str, Any]) -> None:
        del self.assets[asset["id"]]

    # -- payloads ------------------------------------------------------------------------
    def _slug(self, text: str) -> str:
        return re.sub(r"[^A-Za-z0-9]+", "-", text).strip("-")[:50]

    def catalog_result(self, asset: dict[str, Any]) -> dict[str, Any]:
        name = LICENCES[asset["licence"]][0]
        page = f"{self._slug(asset['category'] or 'dataset')}/{self._slug(asset['name'])}"
        return {
            "resource": {
                "name": asset["name"], "id": asset["id"], "resource_name": None, "parent_fxf": [],
                "description": asset["description"], "attribution": asset["attribution"],
                "attribution_link": "https://administraciodigital.gencat.cat/ca/dades/dades-obertes/",
                "contact_email": asset["contact_email"], "type": asset["asset_type"],
                "updatedAt": asset["updated"], "createdAt": asset["created"],
                "metadata_updated_at": asset["updated"], "data_updated_at": asset["updated"],
                "page_views": {"page_views_last_week": 3, "page_views_last_month": 12,
                               "page_views_total": 340, "page_views_last_week_log": 2.0,
                               "page_views_last_month_log": 3.7, "page_views_total_log": 8.4},
                "columns_name": ["Any", "Municipi", "Valor"],
                "columns_field_name": ["any", "municipi", "valor"],
                "columns_datatype": ["Number", "Text", "Number"],
                "columns_description": ["", "", ""], "columns_format": [{}, {}, {}],
                "download_count": 120, "provenance": "official", "lens_view_type": "tabular",
                "lens_display_type": "table", "locked": False, "blob_mime_type": None,
                "hide_from_data_json": False, "publication_date": asset["created"],
            },
            "classification": {
                "categories": [], "tags": [],
                "domain_category": asset["category"],
                "domain_tags": asset["tags"],
                "domain_metadata": [
                    {"key": "Idioma_Idioma", "value": "Català"},
                    {"key": "Freqüència-d'actualització_Freqüència-d'actualització", "value": "Anual"},
                ],
            },
            "metadata": {"domain": self.cname, "license": name},
            "permalink": f"{self.url}/d/{asset['id']}",
            "link": f"{self.url}/{page}/{asset['id']}",
            "owner": {"id": "ab12-cd34", "user_type": "interactive", "display_name": "Dades Obertes"},
            "creator": {"id": "ab12-cd34", "user_type": "interactive", "display_name": "Dades Obertes"},
        }

    def view(self, asset: dict[str, Any]) -> dict[str, Any]:
        name, terms = LICENCES[asset["licence"]]
        updated = _epoch(asset["updated"])
        view_type, display = {"dataset": ("tabular", "table"), "filter": ("tabular", "table"),
                              "chart": ("tabular", "chart"), "map": ("geo", "map")}[asset["asset_type"]]
        view = {
            "id": asset["id"], "name": asset["name"], "assetType": asset["asset_type"],
            "attribution": asset["attribution"], "averageRating": 0, "category": asset["category"],
            "createdAt": _epoch(asset["created"]), "description": asset["description"],
            "displayType": display, "downloadCount": 120, "hideFromCatalog": False,
            "hideFromDataJson": False, "indexUpdatedAt": updated, "newBackend": True,
            "numberOfComments": 0, "oid": 9815461, "provenance": "official",
            "publicationAppendEnabled": False, "publicationDate": _epoch(asset["created"]),
            "publicationGroup": 2055249, "publicationStage": "published",
            "rowsUpdatedAt": updated, "tableId": 2055375, "totalTimesRated": 0, "viewCount": 273,
            "viewLastModified": updated - 3600, "viewType": view_type,
            "columns": [{"id": 1, "name": "Any", "dataTypeName": "number", "fieldName": "any",
                         "position": 1, "renderTypeName": "number", "format": {}}],
            "grants": [{"inherited": False, "type": "viewer", "flags": ["public"]}],
            "metadata": {"rdfSubject": "0", "availableDisplayTypes": ["table", "fatrow", "page"]},
            "owner": {"id": "ab12-cd34", "displayName": "Dades Obertes", "screenName": "Dades Obertes",
                      "type": "interactive"},
            "rights": ["read"], "tags": asset["tags"], "flags": ["default", "restorable"],
        }
        if asset["licence"]:
            view["licenseId"] = asset["licence"]
            view["license"] = {"name": name, **({"termsLink": terms} if terms else {})}
        if asset["asset_type"] == "filter":
            view["modifyingViewUid"] = next(iter(self.assets))
        return view

    # -- the API -------------------------------------------------------------------------
    def _catalog(self, query: Query) -> Reply:
        limit, offset = int_arg(query, "limit", 100), int_arg(query, "offset", 0)
        if limit is None or offset is None or limit < 0 or offset < 0:
            return json_response({"error": "limit and offset must be non-negative integers"}, 400)
        if limit + offset > 10000:
            return json_response({"error": "Paging beyond 10000 results is not supported; use scroll_id"}, 400)
        results = [self.catalog_result(a) for a in self.assets.values()] + list(self.results.values())
        if first(query, "domains") != self.cname or first(query, "search_context") not in (None, "", self.cname):
            results = []
        only = first(query, "only")
        if only:
            wanted = {kind.strip().rstrip("s") for kind in only.split(",")}
            results = [r for r in results if r["resource"]["type"] in wanted]
        if (first(query, "order") or "").split(" ")[0] == "dataset_id":
            results.sort(key=lambda r: r["resource"]["id"])
        else:  # relevance: not a stable order from one request to the next
            random.Random(offset + len(self.hits)).shuffle(results)
        return json_response({
            "results": results[offset:offset + limit],
            "resultSetSize": len(results),
            "timings": {"serviceMillis": 27, "searchMillis": [3, 9]},
            "warnings": [],
        })

    def _views(self, query: Query) -> Reply:
        limit = min(int((query.get("limit") or ["50"])[0]), 200)
        page = int((query.get("page") or ["1"])[0])
        views = [self.view(a) for a in sorted(self.assets.values(), key=lambda a: a["id"])]
        return json_response(views[(page - 1) * limit: page * limit])

    def _soda(self, dataset_id: str, extension: str) -> Reply:
        """SODA 2: columns by field name, every value a string."""
        names = self.results[dataset_id]["resource"]["columns_field_name"]
        table = list(csv.reader(io.StringIO(self.rows[dataset_id])))[1:]
        if extension == "json":
            rows = [{name: value for name, value in zip(names, row) if value != ""} for row in table]
            return json_response(rows)
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(names)
        writer.writerows(table)
        return 200, {"Content-Type": CSV_SOCRATA}, out.getvalue().encode("utf-8")
