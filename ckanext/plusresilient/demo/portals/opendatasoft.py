"""An imitation OpenDataSoft portal: the Explore API v2.1 catalog.

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
``and``; anything else is a 400 ODSQLError, as the portal answers. A
dataset with records (the demo's) also has its ``exports/csv`` (semicolons,
as OpenDataSoft exports) and ``exports/json``, and no attachment file (404).
"""
from __future__ import annotations

import copy
import csv
import io
import json
import random
import re
import string
import unicodedata
from typing import Any
from urllib.parse import quote, unquote, urlsplit

from ckanext.plusresilient.demo.portals.base import (
    CSV_UTF8, JSON_UTF8, PAYLOADS, LoopbackPortal, Query, Reply, Route, first, int_arg, read_payload)

__all__ = ["ODSPortal", "ods_query", "ods_select"]

API = "/api/explore/v2.1"
OFFSET_WINDOW = 10_000
_MODIFIED_SINCE = re.compile(r"metas\.default\.modified\s*>=\s*date'([^']+)'")
_AFTER_ID = re.compile(r'dataset_id\s*>\s*"((?:[^"\\]|\\.)*)"')


def json_response(payload: Any, status: int = 200) -> Reply:
    return status, {"Content-Type": JSON_UTF8}, json.dumps(payload, ensure_ascii=False).encode("utf-8")


def _error(status: int, message: str, code: str) -> Reply:
    return json_response({"message": message, "error_code": code}, status)


class ODSPortal(LoopbackPortal):
    """Explore API v2.1 under ``prefix``: ``catalog/datasets`` (select, where,
    order_by, limit, offset) and ``catalog/datasets/{dataset_id}``.
    ``datasets``: id -> dataset; ``records``: id -> its records, for the
    datasets that have exports."""

    def __init__(self, prefix: str = "", *, mounted_at: str | None = None) -> None:
        super().__init__(mounted_at)
        self.prefix = prefix
        self.datasets: dict[str, dict[str, Any]] = {}
        self.records: dict[str, list[dict[str, Any]]] = {}
        self.offset_window = OFFSET_WINDOW
        self.catalog_path = f"{prefix}{API}/catalog/datasets"
        self._one = re.compile(rf"^{re.escape(self.catalog_path)}/([^/]+)(?:/(exports|attachments)/([^/]+))?$")
        self.routes[self.catalog_path] = self._search
        self.portal_url = self.url + prefix

    @classmethod
    def sample(cls, base: str, prefix: str = "/ods") -> "ODSPortal":
        """The demo's sample OpenDataSoft portal, at ``base + prefix``."""
        portal = cls(prefix, mounted_at=base)
        host = urlsplit(base).hostname or "127.0.0.1"
        folder = PAYLOADS / "ods"
        for dataset in json.loads(read_payload(folder / "datasets.json", base, host)):
            dataset_id = dataset["dataset_id"]
            portal.datasets[dataset_id] = dataset
            portal.records[dataset_id] = json.loads(read_payload(folder / "records" / f"{dataset_id}.json",
                                                                 base, host))
        return portal

    @property
    def pages(self) -> dict[str, str]:
        return {f"{self.prefix}/explore/dataset/{quote(i, safe='@')}/": d["metas"]["default"]["title"]
                for i, d in self.datasets.items()}

    @property
    def host(self) -> str:
        return self.url.split("//", 1)[1]

    def pattern_route(self, path: str) -> Route | None:
        match = self._one.match(path)
        if match is None:
            return None
        dataset_id, kind, item = unquote(match.group(1)), match.group(2), match.group(3)
        if kind is None:
            return lambda query: self._show(dataset_id, query)
        if dataset_id not in self.records:
            return None   # a dataset without records has no exports here
        if kind == "exports":
            return lambda query: self._export(dataset_id, item)
        return lambda query: _error(404, f"Unknown attachment: {item}", "NotFoundResource")

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
        return dataset

    # -- the API -------------------------------------------------------------------------
    def _search(self, query: Query) -> Reply:
        limit, offset = int_arg(query, "limit", 10), int_arg(query, "offset", 0)
        if limit is None or offset is None:
            return _error(400, "Invalid value for limit or offset API parameter", "InvalidRESTParameterError")
        if not -1 <= limit <= 100:
            return _error(400, f"Invalid value for limit API parameter: {limit} was found but "
                          "-1 <= limit <= 100 is expected.", "InvalidRESTParameterError")
        if offset + limit > self.offset_window:
            return _error(400, f"Invalid value for offset API parameter: offset + limit must be "
                          f"lower or equal to {self.offset_window}.", "InvalidRESTParameterError")
        try:
            datasets = ods_query(list(self.datasets.values()), first(query, "where", "") or "",
                                 first(query, "order_by"))
        except ValueError as error:
            return _error(400, str(error), "ODSQLError")
        page = datasets[offset:offset + limit] if limit >= 0 else datasets[offset:]
        select = first(query, "select")
        results = [ods_select(d, select) if select else copy.deepcopy(d) for d in page]
        return json_response({"total_count": len(datasets), "results": results})

    def _show(self, dataset_id: str, query: Query) -> Reply:
        dataset = self.datasets.get(dataset_id)
        if dataset is None:
            return _error(404, f"Unknown dataset: {dataset_id}", "NotFoundResource")
        select = first(query, "select")
        return json_response(ods_select(dataset, select) if select else dataset)

    def _export(self, dataset_id: str, export: str) -> Reply:
        records = self.records[dataset_id]
        if export == "json":
            return json_response(records)
        if export == "csv":
            names = [field["name"] for field in self.datasets[dataset_id]["fields"]]
            out = io.StringIO()
            writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
            writer.writerow(names)
            writer.writerows([record.get(name, "") for name in names] for record in records)
            return 200, {"Content-Type": CSV_UTF8}, out.getvalue().encode("utf-8")
        return _error(400, f"Unknown export format: {export}", "InvalidRESTParameterError")


def ods_query(datasets: list[dict[str, Any]], where: str, order_by: str | None) -> list[dict[str, Any]]:
    """The part of ODSQL our harvester sends: ``metas.default.modified >=
    date'…'``, ``dataset_id > "…"`` joined by ``and``, and ordering by id.
    Anything else is refused as the real API does (ValueError: its message)."""
    if where:
        rest = where
        since = _MODIFIED_SINCE.search(where)
        if since:
            datasets = [d for d in datasets if (d["metas"]["default"]["modified"] or "") >= since.group(1)]
            rest = rest.replace(since.group(0), "")
        after = _AFTER_ID.search(where)
        if after:
            bound = re.sub(r"\\(.)", r"\1", after.group(1))
            datasets = [d for d in datasets if d["dataset_id"] > bound]
            rest = rest.replace(after.group(0), "")
        if re.sub(r"\(|\)|\band\b|\s", "", rest):
            raise ValueError(f"ODSQL query is malformed: {where}")
    if order_by:
        if order_by.strip() not in ("dataset_id", "dataset_id asc"):
            raise ValueError(f"ODSQL query is malformed: order_by={order_by}")
        datasets = sorted(datasets, key=lambda d: d["dataset_id"])
    return datasets


def ods_select(dataset: dict[str, Any], select: str) -> dict[str, Any]:
    """``select`` of the Explore API: field paths come back nested as named;
    ``exclude(field)`` drops a top-level field."""
    items = [item.strip() for item in select.split(",") if item.strip()]
    excluded = [m.group(1) for m in (re.fullmatch(r"exclude\((\w+)\)", i) for i in items) if m]
    fields = [i for i in items if not i.startswith("exclude(") and i != "*"]
    if not fields:
        return {k: copy.deepcopy(v) for k, v in dataset.items() if k not in excluded}
    out: dict[str, Any] = {}
    for path in fields:
        keys = path.split(".")
        value: Any = dataset
        for key in keys:
            value = value.get(key) if isinstance(value, dict) else None
        target = out
        for key in keys[:-1]:
            target = target.setdefault(key, {})
        target[keys[-1]] = copy.deepcopy(value)
    return out
