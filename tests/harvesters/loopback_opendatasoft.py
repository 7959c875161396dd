"""An imitation OpenDataSoft portal: the Explore API v2.1 catalog on loopback.

Shapes follow OpenDataSoft's own OpenAPI description of the Explore API v2.1
(https://github.com/opendatasoft/opendatasoft-explore-sdk, file
generators/python/openapi/v2.1.yaml: the ``datasets`` and ``dataset`` schemas,
the ``datasets-v2.1`` and ``dataset-v2.1`` examples, the ``bad_request``
response) and its reference at
https://help.opendatasoft.com/apis/ods-explore-v2/ : ``{"total_count", "results"}``
with each dataset's ``dataset_id``, ``dataset_uid``, ``attachments``,
``alternative_exports``, ``has_records``, ``data_visible``, ``fields``,
``metas.default`` / ``metas.dcat`` and ``features``; ``limit`` at most 100 and
``offset + limit`` at most 10 000, refused with HTTP 400 otherwise;
``application/json; charset=utf-8``. Selected fields come back nested as
they are named (``select=dataset_id,metas.default.modified`` gives
``{"dataset_id": …, "metas": {"default": {"modified": …}}}``).

The ODSQL understood is what the harvester sends: ``select`` with field
paths and ``exclude(…)``, ``order_by=dataset_id``, and ``where`` clauses
``metas.default.modified >= date'…'`` and ``dataset_id > "…"`` joined by
``and``; anything else is a 400 ODSQLError, as the portal answers.
"""
from __future__ import annotations

import copy
import json
import random
import re
import string
import unicodedata
from typing import Any
from urllib.parse import quote

from ckanext.plusresilient.demo.apis import ods_query, ods_select
from tests.harvesters.loopback import LoopbackPortal

API = "/api/explore/v2.1"



def json_response(payload: Any, status: int = 200):
    return status, {"Content-Type": "application/json; charset=utf-8"}, json.dumps(payload).encode()


def _error(status: int, message: str, code: str):
    return json_response({"message": message, "error_code": code}, status)


class ODSPortal(LoopbackPortal):
    """Explore API v2.1: ``catalog/datasets`` (select, where, order_by, limit,
    offset) and ``catalog/datasets/{dataset_id}``."""

    def __init__(self, prefix: str = "") -> None:
        super().__init__()
        self.prefix = prefix
        self.datasets: dict[str, dict[str, Any]] = {}
        self.offset_window = 10000
        self.catalog_path = f"{prefix}{API}/catalog/datasets"
        self.routes[self.catalog_path] = self._search
        self.portal_url: str | None = None

    def __enter__(self) -> "ODSPortal":
        super().__enter__()
        self.portal_url = self.url + self.prefix
        return self

    @property
    def host(self) -> str:
        return self.url.split("//", 1)[1]

    def add(self, title: str, modified: str = "2024-01-10T08:00:00+00:00", **options: Any) -> dict[str, Any]:
        folded = unicodedata.normalize("NFKD", title.lower()).encode("ascii", "ignore").decode()
        dataset_id = options.pop("dataset_id", None) or re.sub(r"[^a-z0-9]+", "-", folded).strip("-")[:80]
        default = {
            "records_count": 120, "modified": modified, "source_domain_address": None,
            "references": None, "keyword": options.pop("keyword", ["social", "services"]),
            "source_domain_title": None, "geographic_reference": ["fr_40_52"], "timezone": None,
            "title": title, "parent_domain": None, "theme": options.pop("theme", ["Administration, Gouvernement"]),
            "modified_updates_on_data_change": False, "metadata_processed": "2024-01-10T08:00:05.120000+00:00",
            "data_processed": "2024-01-09T22:00:00+00:00", "territory": ["Île-de-France"],
            "description": options.pop("description", f"<p>{title}.</p>"),
            "modified_updates_on_metadata_change": False, "shared_catalog": None,
            "source_domain": None, "attributions": None, "geographic_area_mode": None,
            "geographic_reference_auto": True, "geographic_area": None,
            "publisher": options.pop("publisher", "Région Île-de-France"), "language": "fr",
            "license": options.pop("license", "Licence Ouverte v2.0 (Etalab)"),
            "source_dataset": None, "metadata_languages": ["fr"], "oauth_scope": None,
            "federated": False,
            "license_url": options.pop("license_url", "https://www.etalab.gouv.fr/licence-ouverte-open-licence"),
        }
        default.update(options.pop("default", {}))
        dataset = {
            "dataset_id": dataset_id,
            "dataset_uid": "da_" + "".join(random.choices(string.ascii_lowercase + string.digits, k=6)),
            "attachments": options.pop("attachments", []),
            "has_records": options.pop("has_records", True),
            "data_visible": True,
            "features": options.pop("features", ["analyze"]),
            "alternative_exports": options.pop("alternative_exports", []),
            "fields": [
                {"name": "commune", "label": "Commune", "type": "text", "description": None,
                 "annotations": {"facet": []}},
                {"name": "nombre", "label": "Nombre", "type": "int", "description": None, "annotations": {}},
            ],
            "metas": {
                "default": default,
                "dcat": {"created": "2019-03-01T00:00:00+00:00", "issued": "2019-03-04T00:00:00+00:00",
                         "creator": None, "contributor": None, "contact_name": "Service open data",
                         "contact_email": "opendata@example.org", "accrualperiodicity": None,
                         "spatial": None, "temporal": None, "granularity": None, "dataquality": None,
                         "publisher_type": None, "conforms_to": None, "temporal_coverage_start": None,
                         "temporal_coverage_end": None, "accessrights": None, "relation": None},
            },
        }
        dataset["metas"]["dcat"].update(options.pop("dcat", {}))
        dataset.update(options)
        self.datasets[dataset_id] = dataset
        self.routes[f"{self.catalog_path}/{quote(dataset_id, safe='@')}"] = \
            lambda query, dataset_id=dataset_id: self._show(dataset_id, query)
        return dataset

    def _search(self, query: dict[str, list[str]]):
        first = lambda name, default=None: (query.get(name) or [default])[0]  # noqa: E731
        try:
            limit = int(first("limit", "10"))
            offset = int(first("offset", "0"))
        except ValueError:
            return _error(400, "Invalid value for limit or offset API parameter", "InvalidRESTParameterError")
        if not -1 <= limit <= 100:
            return _error(400, f"Invalid value for limit API parameter: {limit} was found but "
                          "-1 <= limit <= 100 is expected.", "InvalidRESTParameterError")
        if offset + limit > self.offset_window:
            return _error(400, f"Invalid value for offset API parameter: offset + limit must be "
                          f"lower or equal to {self.offset_window}.", "InvalidRESTParameterError")
        try:
            datasets = ods_query(list(self.datasets.values()), first("where", ""), first("order_by"))
        except ValueError as error:
            return _error(400, str(error), "ODSQLError")
        page = datasets[offset:offset + limit] if limit >= 0 else datasets[offset:]
        select = first("select")
        results = [ods_select(d, select) if select else copy.deepcopy(d) for d in page]
        return json_response({"total_count": len(datasets), "results": results})

    def _show(self, dataset_id: str, query: dict[str, list[str]]):
        dataset = self.datasets.get(dataset_id)
        if dataset is None:
            return _error(404, f"Unknown dataset: {dataset_id}", "NotFoundResource")
        select = (query.get("select") or [None])[0]
        return json_response(ods_select(dataset, select) if select else dataset)
