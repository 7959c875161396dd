"""Imitation portals: real HTTP servers on 127.0.0.1 that answer like the
platforms' APIs (paths, paging, content types, envelopes)."""
from __future__ import annotations

import json
import re
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Callable
from urllib.parse import parse_qs, urlparse

from tests.loopback_http import allow_port, release_port

Route = Callable[[dict[str, list[str]]], tuple[int, dict[str, str], bytes]]


class LoopbackPortal:
    """A threaded HTTP server whose routes are Python functions; ``fail``
    makes any path misbehave the way real portals do."""

    def __init__(self) -> None:
        self.routes: dict[str, Route] = {}
        self.failures: dict[str, str] = {}   # path -> "500" | "malformed" | "slow" | "private-redirect" | "huge"
        self.hits: list[str] = []
        portal = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def do_GET(self) -> None:  # noqa: N802
                parsed = urlparse(self.path)
                portal.hits.append(self.path)
                failure = portal.failures.get(parsed.path)
                if failure:
                    return portal._misbehave(self, failure)
                route = portal.routes.get(parsed.path)
                if route is None:
                    return self._send(404, {"Content-Type": "text/plain"}, b"not found")
                status, headers, body = route(parse_qs(parsed.query))
                self._send(status, headers, body)

            def _send(self, status: int, headers: dict[str, str], body: bytes) -> None:
                self.send_response(status)
                for key, value in headers.items():
                    self.send_header(key, value)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def _misbehave(self, handler: BaseHTTPRequestHandler, failure: str) -> None:
        if failure == "500":
            handler._send(500, {"Content-Type": "text/html"}, b"<h1>Internal Server Error</h1>")
        elif failure == "malformed":
            handler._send(200, {"Content-Type": "application/json"}, b'{"success": true, "result": {"count": 3, "resul')
        elif failure == "slow":
            time.sleep(8)
            handler._send(200, {"Content-Type": "application/json"}, b"{}")
        elif failure == "private-redirect":
            handler.send_response(302)
            handler.send_header("Location", "http://169.254.169.254/latest/meta-data/")
            handler.send_header("Content-Length", "0")
            handler.end_headers()
        elif failure == "huge":
            handler.send_response(200)
            handler.send_header("Content-Type", "application/json")
            handler.end_headers()
            chunk = b" " * 65536
            try:
                for _ in range(100_000):  # ~6 GB if nobody stops reading
                    handler.wfile.write(chunk)
            except (BrokenPipeError, ConnectionResetError):
                pass

    def __enter__(self) -> "LoopbackPortal":
        self.thread.start()
        allow_port(self.server.server_address[1])  # the portal's own host:port, nothing else
        return self

    def __exit__(self, *exc: Any) -> None:
        self.server.shutdown()
        self.server.server_close()
        release_port(self.server.server_address[1])


def json_response(payload: Any, status: int = 200) -> tuple[int, dict[str, str], bytes]:
    return status, {"Content-Type": "application/json;charset=utf-8"}, json.dumps(payload).encode()


class CKANPortal(LoopbackPortal):
    """CKAN 2.x action API: package_search (q, fq on metadata_modified, fl,
    sort, rows, start) and package_show, in CKAN's envelope."""

    def __init__(self, prefix: str = "") -> None:
        super().__init__()
        self.prefix = prefix
        self.packages: dict[str, dict[str, Any]] = {}
        base = f"{prefix}/api/3/action"
        self.routes[f"{base}/package_search"] = self._search
        self.routes[f"{base}/package_show"] = self._show
        self.api_url = None

    def __enter__(self) -> "CKANPortal":
        super().__enter__()
        self.api_url = self.url + self.prefix
        return self

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
                "url": f"{self.url if self.thread.is_alive() else 'http://example.org'}/download/{name}.csv",
                "format": "CSV", "mimetype": "text/csv", "size": 2048, "description": "",
                "state": "active", "position": 0, "url_type": None,
            }]),
            "relationships_as_object": [], "relationships_as_subject": [],
        }
        package.update(fields)
        self.packages[package_id] = package
        return package

    def _matching(self, query: dict[str, list[str]]) -> list[dict[str, Any]]:
        packages = sorted(self.packages.values(), key=lambda p: p["id"])
        fq = (query.get("fq") or [""])[0]
        match = re.search(r"metadata_modified:\[(\S+) TO \*\]", fq)
        if match:
            since = match.group(1).rstrip("Z")
            packages = [p for p in packages if p["metadata_modified"] >= since]
        return packages

    def _search(self, query: dict[str, list[str]]):
        packages = self._matching(query)
        rows = min(int((query.get("rows") or ["10"])[0]), 1000)
        start = int((query.get("start") or ["0"])[0])
        page = packages[start:start + rows]
        fl = (query.get("fl") or [""])[0]
        if fl:
            fields = [f.strip() for f in fl.split(",")]
            page = [{k: p[k] for k in fields if k in p} for p in page]
        return json_response({
            "help": f"{self.api_url}/api/3/action/help_show?name=package_search",
            "success": True,
            "result": {"count": len(packages), "facets": {}, "results": page,
                       "sort": (query.get("sort") or ["score desc, metadata_modified desc"])[0],
                       "search_facets": {}},
        })

    def _show(self, query: dict[str, list[str]]):
        wanted = (query.get("id") or [""])[0]
        for package in self.packages.values():
            if wanted in (package["id"], package["name"]):
                return json_response({"help": "", "success": True, "result": package})
        return json_response({"help": "", "success": False,
                              "error": {"message": "Not found", "__type": "Not Found Error"}}, 404)


class DKANPortal(CKANPortal):
    """DKAN 7's CKAN-compatible API: no package_search (404), package_list of
    names, and package_show answering a one-element list."""

    def __init__(self, prefix: str = "") -> None:
        super().__init__(prefix)
        base = f"{prefix}/api/3/action"
        del self.routes[f"{base}/package_search"]
        self.routes[f"{base}/package_list"] = self._list

    def _list(self, query: dict[str, list[str]]):
        names = sorted(p["name"] for p in self.packages.values())
        return json_response({"help": "Return a list of the names of the site's datasets.",
                              "success": True, "result": names})

    def _show(self, query: dict[str, list[str]]):
        status, headers, body = super()._show(query)
        if status == 200:
            payload = json.loads(body)
            payload["result"] = [payload["result"]]
            return json_response(payload)
        return status, headers, body
