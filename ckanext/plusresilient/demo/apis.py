"""The five sample portals, answering as the real platforms' APIs do.

Each class reads its payloads from ``portals/<type>/`` once, with ``{base}``
(the server's own address) and ``{host}`` (its host name) filled in, and
answers the requests our harvesters make — paths, parameters, paging,
envelopes and content types as the platforms document them — plus the
resource files its datasets link to:

* ``/ckan/api/3/action/``: CKAN's action API (``package_search`` with ``q``,
  ``fq=metadata_modified:[… TO *]``, ``fl``, ``sort``, ``rows``, ``start``;
  ``package_show``; ``package_list``), in CKAN's ``{help, success, result}``
  envelope.
* ``/dcat/catalog.ttl?page=N``: a ckanext-dcat catalogue, Turtle pages with
  its ``hydra:PagedCollection`` paging.
* ``/udata/api/1/datasets/``: udata's API v1 (``page``, ``page_size``,
  ``sort``, the ``X-Fields`` mask; ``next_page`` as an absolute URL) and
  ``/udata/api/1/datasets/{id or slug}/``.
* ``/ods/api/explore/v2.1/catalog/datasets``: OpenDataSoft's Explore API
  (``select``, ``where``, ``order_by``, ``limit`` ≤ 100, ``offset`` +
  ``limit`` ≤ 10 000), a dataset, and its ``exports/csv`` (semicolons, as
  OpenDataSoft exports) and ``exports/json``.
* Socrata at the server's root, because a Socrata portal *is* its domain
  (the harvester keeps only scheme and host of a source URL):
  ``/api/catalog/v1`` (the Discovery API: ``domains``, ``only``, ``order``,
  ``limit``, ``offset``), ``/api/views/{id}/rows.csv`` and the SODA
  endpoints ``/resource/{id}.csv`` and ``.json`` (every value a string, as
  SODA 2 answers).

Only what the harvesters send is understood; anything else is answered with
the error the platform gives. The standard library and rdflib only, no
CKAN: the server needs no portal configuration to run.
"""
from __future__ import annotations

import copy
import csv
import dataclasses
import html
import io
import json
import re
from pathlib import Path
from typing import Any
from urllib.parse import quote, unquote, urlencode, urlsplit

from rdflib import Graph, URIRef
from rdflib.namespace import DCTERMS, RDF

DCAT_DATASET = URIRef("http://www.w3.org/ns/dcat#Dataset")
PAYLOADS = Path(__file__).resolve().parent / "portals"

JSON_CKAN = "application/json;charset=utf-8"
JSON = "application/json"
JSON_UTF8 = "application/json; charset=utf-8"
CSV_UTF8 = "text/csv; charset=utf-8"
FILE_TYPES = {
    ".csv": "text/csv; charset=utf-8",
    ".json": "application/json",
    ".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    ".pdf": "application/pdf",
}


@dataclasses.dataclass(frozen=True)
class Request:
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]

    def arg(self, name: str, default: str | None = None) -> str | None:
        values = self.query.get(name)
        return values[0] if values else default


@dataclasses.dataclass(frozen=True)
class Answer:
    status: int
    content_type: str
    body: bytes

    @classmethod
    def json(cls, payload: Any, status: int = 200, content_type: str = JSON) -> "Answer":
        return cls(status, content_type, json.dumps(payload, ensure_ascii=False).encode("utf-8"))

    @classmethod
    def text(cls, status: int, text: str, content_type: str = "text/plain; charset=utf-8") -> "Answer":
        return cls(status, content_type, text.encode("utf-8"))


def _read(path: Path, base: str, host: str) -> str:
    return path.read_text(encoding="utf-8").replace("{base}", base).replace("{host}", host)


def _int_arg(request: Request, name: str, default: int) -> int | None:
    try:
        return int(request.arg(name, str(default)) or default)
    except ValueError:
        return None


# -- CKAN ----------------------------------------------------------------------------------

_SINCE = re.compile(r"^\+?metadata_modified:\[(\S+) TO \*\]$")


class CKANPortal:
    """A CKAN 2.10 portal's action API under ``/ckan``."""

    prefix = "/ckan"

    def __init__(self, base: str, host: str) -> None:
        self.api = f"{base}{self.prefix}/api/3/action"
        self.packages: list[dict[str, Any]] = json.loads(_read(PAYLOADS / "ckan" / "packages.json", base, host))
        self.pages = {f"{self.prefix}/dataset/{p['name']}": p["title"] for p in self.packages}

    def answer(self, request: Request) -> Answer | None:
        action = request.path.removeprefix(f"{self.prefix}/api/3/action/")
        if action == request.path:
            return None
        handler = {"package_search": self._search, "package_show": self._show,
                   "package_list": self._list}.get(action)
        if handler is None:
            return self._error(400, "Bad request - Action name not known: " + action, "Bad Request")
        return handler(request)

    def _envelope(self, action: str, result: Any) -> Answer:
        return Answer.json({"help": f"{self.api}/help_show?name={action}", "success": True,
                            "result": result}, content_type=JSON_CKAN)

    def _error(self, status: int, message: str, kind: str) -> Answer:
        return Answer.json({"help": f"{self.api}/help_show", "success": False,
                            "error": {"message": message, "__type": kind}}, status, JSON_CKAN)

    def _search(self, request: Request) -> Answer:
        rows, start = _int_arg(request, "rows", 10), _int_arg(request, "start", 0)
        if rows is None or start is None or rows < 0 or start < 0:
            return self._error(409, "Search Query Error: rows and start must be whole numbers",
                               "Search Query Error")
        packages = list(self.packages)
        fq = (request.arg("fq") or "").strip()
        if fq:
            since = _SINCE.match(fq)
            if since is None:
                return self._error(409, f"Search Query Error: unsupported fq {fq!r}", "Search Query Error")
            bound = since.group(1).rstrip("Z")
            packages = [p for p in packages if p["metadata_modified"] >= bound]
        words = (request.arg("q") or "").strip()
        if words and words != "*:*":
            lowered = words.lower()
            packages = [p for p in packages if lowered in f"{p['title']} {p.get('notes') or ''}".lower()
                        or lowered in {t["name"].lower() for t in p["tags"]}]
        sort = request.arg("sort") or "score desc, metadata_modified desc"
        field, _, order = sort.split(",")[0].strip().partition(" ")
        if field == "score":
            field, order = "metadata_modified", "desc"
        if field not in ("id", "name", "title", "metadata_modified", "metadata_created"):
            return self._error(409, f"Search Query Error: can not sort on {field!r}", "Search Query Error")
        packages.sort(key=lambda p: p[field], reverse=order.strip() == "desc")
        page = packages[start:start + min(rows, 1000)]
        fields = [f.strip() for f in (request.arg("fl") or "").split(",") if f.strip()]
        if fields:
            page = [{k: p[k] for k in fields if k in p} for p in page]
        return self._envelope("package_search", {"count": len(packages), "facets": {}, "results": page,
                                                 "sort": sort, "search_facets": {}})

    def _show(self, request: Request) -> Answer:
        wanted = request.arg("id") or ""
        for package in self.packages:
            if wanted in (package["id"], package["name"]):
                return self._envelope("package_show", package)
        return self._error(404, "Not found", "Not Found Error")

    def _list(self, request: Request) -> Answer:
        return self._envelope("package_list", sorted(p["name"] for p in self.packages))


# -- DCAT-AP -------------------------------------------------------------------------------

class DCATCatalogue:
    """A ckanext-dcat catalogue endpoint, ``/dcat/catalog.ttl?page=N``."""

    path = "/dcat/catalog.ttl"

    def __init__(self, base: str, host: str) -> None:
        files = sorted((PAYLOADS / "dcat").glob("catalog-*.ttl"),
                       key=lambda f: int(f.stem.rsplit("-", 1)[1]))
        self.page_bodies = [_read(f, base, host).encode("utf-8") for f in files]
        self.pages: dict[str, str] = {}
        for body in self.page_bodies:
            graph = Graph().parse(data=body, format="turtle")
            for dataset in graph.subjects(RDF.type, DCAT_DATASET):
                self.pages[urlsplit(str(dataset)).path] = str(graph.value(dataset, DCTERMS.title))

    def answer(self, request: Request) -> Answer | None:
        if request.path != self.path:
            return None
        page = _int_arg(request, "page", 1)
        if page is None or page < 1:
            return Answer.text(400, "Bad request: 'page' must be a positive integer")
        if page > len(self.page_bodies):
            return Answer.text(404, "Page not found")
        return Answer(200, "text/turtle; charset=utf-8", self.page_bodies[page - 1])


# -- udata ---------------------------------------------------------------------------------

_UDATA_DATASET = re.compile(r"^/udata/api/1/datasets/([^/]+)/$")
_UDATA_SORTS = {"title": "title", "created": "created_at", "last_update": "last_update",
                "last_modified": "last_modified"}


class UdataPortal:
    """A udata portal's API v1 under ``/udata``."""

    prefix = "/udata"

    def __init__(self, base: str, host: str) -> None:
        self.base = base
        self.datasets: list[dict[str, Any]] = json.loads(_read(PAYLOADS / "udata" / "datasets.json", base, host))
        self.pages = {urlsplit(d["page"]).path: d["title"] for d in self.datasets}

    def answer(self, request: Request) -> Answer | None:
        mask = parse_mask(request.headers.get("x-fields") or "")
        if request.path == f"{self.prefix}/api/1/datasets/":
            return self._list(request, mask)
        match = _UDATA_DATASET.match(request.path)
        if match is None:
            return None
        for dataset in self.datasets:
            if unquote(match.group(1)) in (dataset["id"], dataset["slug"]):
                return Answer.json(apply_mask(dataset, mask) if mask else dataset)
        return Answer.json({"message": "The requested URL was not found on the server. If you entered "
                                       "the URL manually please check your spelling and try again.",
                            "status": 404}, 404)

    def _list(self, request: Request, mask: dict[str, Any]) -> Answer:
        page, page_size = _int_arg(request, "page", 1), _int_arg(request, "page_size", 20)
        if page is None or page_size is None or page < 1 or page_size < 1:
            return Answer.json({"errors": {"page": "Invalid value"},
                                "message": "Input payload validation failed"}, 400)
        datasets = list(self.datasets)
        sort = request.arg("sort")
        if sort is not None:
            key = _UDATA_SORTS.get(sort.lstrip("-"))
            if key is None:
                return Answer.json({"errors": {"sort": f"The value '{sort}' is not a valid choice for 'sort'."},
                                    "message": "Input payload validation failed"}, 400)
            datasets.sort(key=lambda d: d[key], reverse=sort.startswith("-"))
        else:  # udata's default: newest first
            datasets.sort(key=lambda d: d["created_at"], reverse=True)
        chunk = datasets[(page - 1) * page_size: page * page_size]

        def link(number: int) -> str:
            args = {name: values[0] for name, values in request.query.items()}
            args.update(page=number, page_size=page_size)
            return f"{self.base}{self.prefix}/api/1/datasets/?{urlencode(args)}"

        body = {"data": chunk, "page": page, "page_size": page_size, "total": len(datasets),
                "next_page": link(page + 1) if page * page_size < len(datasets) else None,
                "previous_page": link(page - 1) if page > 1 else None}
        return Answer.json(apply_mask(body, mask) if mask else body)


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


# -- OpenDataSoft --------------------------------------------------------------------------

_ODS_API = "/ods/api/explore/v2.1/catalog/datasets"
_ODS_DATASET = re.compile(rf"^{re.escape(_ODS_API)}/([^/]+)(?:/(exports|attachments)/([^/]+))?$")
_MODIFIED_SINCE = re.compile(r"metas\.default\.modified\s*>=\s*date'([^']+)'")
_AFTER_ID = re.compile(r'dataset_id\s*>\s*"((?:[^"\\]|\\.)*)"')
OFFSET_WINDOW = 10_000


class ODSPortal:
    """An OpenDataSoft portal's Explore API v2.1 under ``/ods``."""

    prefix = "/ods"

    def __init__(self, base: str, host: str) -> None:
        self.datasets: dict[str, dict[str, Any]] = {
            d["dataset_id"]: d for d in json.loads(_read(PAYLOADS / "ods" / "datasets.json", base, host))}
        self.records = {dataset_id: json.loads(_read(PAYLOADS / "ods" / "records" / f"{dataset_id}.json",
                                                     base, host))
                        for dataset_id in self.datasets}
        self.pages = {f"{self.prefix}/explore/dataset/{quote(i, safe='@')}/": d["metas"]["default"]["title"]
                      for i, d in self.datasets.items()}

    def answer(self, request: Request) -> Answer | None:
        if request.path == _ODS_API:
            return self._search(request)
        match = _ODS_DATASET.match(request.path)
        if match is None:
            return None
        dataset_id, kind, item = unquote(match.group(1)), match.group(2), match.group(3)
        if dataset_id not in self.datasets:
            return _ods_error(404, f"Unknown dataset: {dataset_id}", "NotFoundResource")
        if kind == "exports":
            return self._export(dataset_id, item)
        if kind == "attachments":  # the sample portals keep no attachment files
            return _ods_error(404, f"Unknown attachment: {item}", "NotFoundResource")
        dataset = self.datasets[dataset_id]
        select = request.arg("select")
        return Answer.json(ods_select(dataset, select) if select else dataset, content_type=JSON_UTF8)

    def _search(self, request: Request) -> Answer:
        limit, offset = _int_arg(request, "limit", 10), _int_arg(request, "offset", 0)
        if limit is None or offset is None:
            return _ods_error(400, "Invalid value for limit or offset API parameter", "InvalidRESTParameterError")
        if not -1 <= limit <= 100:
            return _ods_error(400, f"Invalid value for limit API parameter: {limit} was found but "
                                   "-1 <= limit <= 100 is expected.", "InvalidRESTParameterError")
        if offset + limit > OFFSET_WINDOW:
            return _ods_error(400, "Invalid value for offset API parameter: offset + limit must be "
                                   f"lower or equal to {OFFSET_WINDOW}.", "InvalidRESTParameterError")
        try:
            datasets = ods_query(list(self.datasets.values()), request.arg("where") or "",
                                 request.arg("order_by"))
        except ValueError as error:
            return _ods_error(400, str(error), "ODSQLError")
        page = datasets[offset:offset + limit] if limit >= 0 else datasets[offset:]
        select = request.arg("select")
        results = [ods_select(d, select) if select else copy.deepcopy(d) for d in page]
        return Answer.json({"total_count": len(datasets), "results": results}, content_type=JSON_UTF8)

    def _export(self, dataset_id: str, export: str) -> Answer:
        records = self.records[dataset_id]
        if export == "json":
            return Answer.json(records, content_type=JSON_UTF8)
        if export == "csv":
            names = [field["name"] for field in self.datasets[dataset_id]["fields"]]
            out = io.StringIO()
            writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
            writer.writerow(names)
            writer.writerows([record.get(name, "") for name in names] for record in records)
            return Answer(200, CSV_UTF8, out.getvalue().encode("utf-8"))
        return _ods_error(400, f"Unknown export format: {export}", "InvalidRESTParameterError")


def _ods_error(status: int, message: str, code: str) -> Answer:
    return Answer.json({"message": message, "error_code": code}, status, JSON_UTF8)


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


# -- Socrata -------------------------------------------------------------------------------

_ROWS = re.compile(r"^/api/views/([a-z0-9]{4}-[a-z0-9]{4})/rows\.csv$")
_SODA = re.compile(r"^/resource/([a-z0-9]{4}-[a-z0-9]{4})\.(csv|json)$")


class SocrataDomain:
    """A Socrata domain at the server's root."""

    def __init__(self, base: str, host: str) -> None:
        self.host = host
        self.results: list[dict[str, Any]] = json.loads(_read(PAYLOADS / "socrata" / "catalog.json", base, host))
        self.rows = {r["resource"]["id"]: (PAYLOADS / "socrata" / "rows" / f"{r['resource']['id']}.csv")
                     .read_text(encoding="utf-8") for r in self.results}
        self.pages = {}
        for result in self.results:
            for url in (result["permalink"], result["link"]):
                self.pages[urlsplit(url).path] = result["resource"]["name"]

    def answer(self, request: Request) -> Answer | None:
        if request.path == "/api/catalog/v1":
            return self._catalog(request)
        rows = _ROWS.match(request.path)
        if rows and rows.group(1) in self.rows:
            return Answer(200, "text/csv; charset=UTF-8", self.rows[rows.group(1)].encode("utf-8"))
        soda = _SODA.match(request.path)
        if soda and soda.group(1) in self.rows:
            return self._soda(soda.group(1), soda.group(2))
        if rows or soda:
            return Answer.json({"error": True, "message": "Not found"}, 404)
        return None

    def _catalog(self, request: Request) -> Answer:
        limit, offset = _int_arg(request, "limit", 100), _int_arg(request, "offset", 0)
        if limit is None or offset is None or limit < 0 or offset < 0:
            return Answer.json({"error": "limit and offset must be non-negative integers"}, 400)
        if limit + offset > 10_000:
            return Answer.json({"error": "Paging beyond 10000 results is not supported; use scroll_id"}, 400)
        results = list(self.results)
        if request.arg("domains") not in (None, self.host) or request.arg("search_context") not in (None, self.host):
            results = []
        only = request.arg("only")
        if only:
            wanted = {kind.strip().rstrip("s") for kind in only.split(",")}
            results = [r for r in results if r["resource"]["type"] in wanted]
        if (request.arg("order") or "").split(" ")[0] == "dataset_id":
            results.sort(key=lambda r: r["resource"]["id"])
        else:  # relevance: most viewed first
            results.sort(key=lambda r: -r["resource"]["page_views"]["page_views_total"])
        return Answer.json({"results": results[offset:offset + limit], "resultSetSize": len(results),
                            "timings": {"serviceMillis": 12, "searchMillis": [2, 5]}, "warnings": []},
                           content_type="application/json;charset=utf-8")

    def _soda(self, dataset_id: str, extension: str) -> Answer:
        """SODA 2: columns by field name, every value a string."""
        result = next(r for r in self.results if r["resource"]["id"] == dataset_id)
        names = result["resource"]["columns_field_name"]
        table = list(csv.reader(io.StringIO(self.rows[dataset_id])))[1:]
        if extension == "json":
            rows = [{name: value for name, value in zip(names, row) if value != ""} for row in table]
            return Answer.json(rows, content_type="application/json;charset=utf-8")
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(names)
        writer.writerows(table)
        return Answer(200, "text/csv; charset=UTF-8", out.getvalue().encode("utf-8"))


# -- resource files and landing pages ------------------------------------------------------

class Files:
    """``/files/<language>/<name>``: the files the CKAN, DCAT and udata
    datasets link to. A file that is not there answers 404, on purpose: the
    sample datasets include broken links."""

    root = PAYLOADS / "files"

    def answer(self, request: Request) -> Answer | None:
        if not request.path.startswith("/files/"):
            return None
        relative = unquote(request.path.removeprefix("/files/"))
        path = (self.root / relative).resolve()
        if self.root.resolve() not in path.parents or not path.is_file():
            return Answer.text(404, "Not Found")
        return Answer(200, FILE_TYPES.get(path.suffix, "application/octet-stream"), path.read_bytes())


class LandingPages:
    """The datasets' pages on their portals (what ``source_url`` links to):
    a title and a line saying it is a sample."""

    def __init__(self, pages: dict[str, str]) -> None:
        self.pages = pages

    def answer(self, request: Request) -> Answer | None:
        title = self.pages.get(request.path)
        if title is None:
            return None
        body = (f"<!doctype html><html><head><meta charset=\"utf-8\"><title>{html.escape(title)}</title>"
                f"</head><body><h1>{html.escape(title)}</h1><p>A dataset of a sample portal served "
                "for the +RESILIENT demo.</p></body></html>")
        return Answer.text(200, body, "text/html; charset=utf-8")


def portal_paths() -> dict[str, str]:
    """Where each sample portal lives, relative to the server's root (the
    harvest source URL of each)."""
    return {"ckan": CKANPortal.prefix, "dcat": DCATCatalogue.path, "udata": UdataPortal.prefix,
            "ods": ODSPortal.prefix, "socrata": ""}


class SamplePortals:
    """Every sample portal, the files and the landing pages, for one base URL."""

    def __init__(self, base: str) -> None:
        host = urlsplit(base).hostname or "127.0.0.1"
        self.portals: dict[str, Any] = {
            "ckan": CKANPortal(base, host), "dcat": DCATCatalogue(base, host),
            "udata": UdataPortal(base, host), "ods": ODSPortal(base, host),
            "socrata": SocrataDomain(base, host)}
        pages: dict[str, str] = {}
        for portal in self.portals.values():
            pages.update(portal.pages)
        self.base = base
        self.routes: list[Any] = [*self.portals.values(), Files(), LandingPages(pages)]

    def answer(self, request: Request) -> Answer:
        if request.path == "/":
            return Answer.json({"sample_portals": {kind: self.base + path
                                                   for kind, path in portal_paths().items()}})
        for route in self.routes:
            answer = route.answer(request)
            if answer is not None:
                return answer
        return Answer.text(404, "Not Found")
