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
"""
from __future__ import annotations

import datetime
import random
import re
import string
from typing import Any

from tests.harvesters.loopback import LoopbackPortal, json_response

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
    domain by (results only for ``domains=<cname>``)."""

    def __init__(self, catalog: bool = True, cname: str = "127.0.0.1") -> None:
        super().__init__()
        self.cname = cname
        self.assets: dict[str, dict[str, Any]] = {}
        self._rng = random.Random(7)
        if catalog:
            self.routes["/api/catalog/v1"] = self._catalog
        self.routes["/api/views"] = self._views

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
        self.routes[f"/api/views/{asset['id']}.json"] = lambda query, a=asset: json_response(self.view(a))
        return asset

    def remove(self, asset: dict[str, Any]) -> None:
        del self.assets[asset["id"]]
        del self.routes[f"/api/views/{asset['id']}.json"]

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

    # -- routes --------------------------------------------------------------------------
    def _catalog(self, query: dict[str, list[str]]):
        arg = lambda name, default="": (query.get(name) or [default])[0]  # noqa: E731
        limit, offset = int(arg("limit", "100")), int(arg("offset", "0"))
        if limit + offset > 10000:
            return json_response({"error": "Paging beyond 10000 results is not supported; use scroll_id"}, 400)
        assets = list(self.assets.values())
        if arg("domains") != self.cname or arg("search_context") not in ("", self.cname):
            assets = []
        only = arg("only")
        if only:
            wanted = {kind.rstrip("s") for kind in only.split(",")}
            assets = [a for a in assets if a["asset_type"] in wanted]
        if arg("order").split(" ")[0] == "dataset_id":
            assets.sort(key=lambda a: a["id"])
        else:  # relevance: not a stable order from one request to the next
            random.Random(offset + len(self.hits)).shuffle(assets)
        page = assets[offset:offset + limit]
        return json_response({
            "results": [self.catalog_result(a) for a in page],
            "resultSetSize": len(assets),
            "timings": {"serviceMillis": 27, "searchMillis": [3, 9]},
            "warnings": [],
        })

    def _views(self, query: dict[str, list[str]]):
        limit = min(int((query.get("limit") or ["50"])[0]), 200)
        page = int((query.get("page") or ["1"])[0])
        views = [self.view(a) for a in sorted(self.assets.values(), key=lambda a: a["id"])]
        return json_response(views[(page - 1) * limit: page * limit])
