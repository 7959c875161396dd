"""The five sample portals on one server, answering as the real platforms'
APIs do.

Each platform is the imitation of :mod:`.portals` that the tests use too,
seeded from ``payloads/<type>/`` with ``{base}`` (the server's own address)
and ``{host}`` (its host name) filled in, and mounted under a path of its
own — Socrata at the root, because a Socrata portal *is* its domain (the
harvester keeps only scheme and host of a source URL). Beside them: the
resource files the datasets link to (:class:`Files`), the datasets' landing
pages (:class:`LandingPages`) and, at ``/``, where each portal lives.

The standard library and rdflib only, no CKAN: the server needs no portal
configuration to run.
"""
from __future__ import annotations

import html
from typing import Any, Protocol
from urllib.parse import unquote

from ckanext.plusresilient.demo.loopback import Answer, Request
from ckanext.plusresilient.demo.portals.base import PAYLOADS
from ckanext.plusresilient.demo.portals.ckan import CKANPortal
from ckanext.plusresilient.demo.portals.dcat import DCATPortal
from ckanext.plusresilient.demo.portals.opendatasoft import ODSPortal
from ckanext.plusresilient.demo.portals.socrata import SocrataPortal
from ckanext.plusresilient.demo.portals.udata import UdataPortal

__all__ = ["PAYLOADS", "SamplePortals", "portal_paths", "Files", "LandingPages"]

FILE_TYPES = {
    ".csv": "text/csv; charset=utf-8",
    ".json": "application/json",
    ".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    ".pdf": "application/pdf",
}

#: Where each sample portal lives, relative to the server's root.
_PATHS = {"ckan": "/ckan", "dcat": "/dcat/catalog.ttl", "udata": "/udata", "ods": "/ods", "socrata": ""}


class Route(Protocol):
    def answer(self, request: Request) -> Answer | None: ...


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
    return dict(_PATHS)


class SamplePortals:
    """Every sample portal, the files and the landing pages, for one base URL."""

    def __init__(self, base: str) -> None:
        self.base = base
        self.portals: dict[str, Any] = {
            "ckan": CKANPortal.sample(base, _PATHS["ckan"]), "dcat": DCATPortal.sample(base, _PATHS["dcat"]),
            "udata": UdataPortal.sample(base, _PATHS["udata"]), "ods": ODSPortal.sample(base, _PATHS["ods"]),
            "socrata": SocrataPortal.sample(base)}
        pages: dict[str, str] = {}
        for portal in self.portals.values():
            pages.update(portal.pages)
        self.routes: list[Route] = [*self.portals.values(), Files(), LandingPages(pages)]

    def answer(self, request: Request) -> Answer:
        if request.path == "/":
            return Answer.json({"sample_portals": {kind: self.base + path
                                                   for kind, path in portal_paths().items()}})
        for route in self.routes:
            answer = route.answer(request)
            if answer is not None:
                return answer
        return Answer.text(404, "Not Found")
