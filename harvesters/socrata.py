"""Socrata portals (analisi.transparenciacatalunya.cat, dati.lombardia.it).

The listing is the domain's Discovery API (``/api/catalog/v1``), restricted
to the domain's own datasets (``domains`` and ``search_context`` = its host,
``only=datasets``), 100 a page by ``offset``, ordered by ``dataset_id`` so
that paging is stable (the default, relevance, reorders between requests and
would skip or repeat datasets). Its results carry whole datasets: no
per-dataset fetch. The Discovery API cannot filter on a modification date,
so every harvest reads the whole catalog (one request per 100 datasets);
the unchanged ones are closed at gather by their ``updatedAt``.

Where the domain has no Discovery API (``/api/catalog/v1`` answers 404), or
it knows the domain by another name (no result at all), the listing is the
older ``/api/views?limit=200&page=N``: a JSON array of every view, of which
only the datasets (tabular views, not filters, charts or maps) are kept.

Identity is the dataset's permalink ``{root}/d/{id}``; resources are the
full CSV export and the SODA endpoints (CSV and JSON) of the dataset.
"""
from __future__ import annotations

import datetime
from typing import Any, Iterator
from urllib.parse import urlsplit

from ckanext.plusresilient.harvesters.base import Listed, SVRCHarvester
from ckanext.plusresilient.harvesters.mapping import (RemoteDataset, RemoteResource, checked_url,
                                                      licence_code)
from ckanext.plusresilient.safe_http import FetchError, SafeSession

PAGE_SIZE = 100          # Discovery API (its default and a cheap page)
VIEWS_PAGE_SIZE = 200    # /api/views
MAX_OFFSET = 10_000      # the Discovery API refuses offset + limit beyond this


def portal_root(url: str) -> str:
    """The domain root of a portal given by its root or any of its API URLs."""
    parts = urlsplit(url.strip())
    if not parts.scheme or not parts.netloc:
        raise ValueError(f"not a portal URL: {url!r}")
    return f"{parts.scheme}://{parts.netloc}"


class SocrataHarvester(SVRCHarvester):
    name = "plusresilient_socrata"
    title = "Socrata portal (+RESILIENT)"
    description = ("A Socrata domain's catalog (Discovery API, or /api/views where it has none), "
                   "mapped onto the SVRC schema; unchanged datasets skipped, deletions carried over.")

    def list_datasets(self, url: str, source_config: dict[str, Any], http: SafeSession,
                      since: datetime.datetime | None) -> Iterator[list[Listed]]:
        root = portal_root(url)
        page_size = source_config.get("page_size") or 0
        seen: set[str] = set()
        pages = _catalog_pages(http, root, page_size or PAGE_SIZE)
        try:
            first = next(pages, None)
        except FetchError as error:
            if error.status != 404:
                raise
            first = None
        if first:  # the Discovery API knows this domain
            for results in _chain(first, pages):
                yield self._page([to_remote_from_catalog(r, root) for r in results
                                  if _is_catalog_dataset(r)], seen)
            return
        for views in _views_pages(http, root, page_size or VIEWS_PAGE_SIZE):
            yield self._page([to_remote_from_view(v, root) for v in views if _is_dataset_view(v)], seen)

    def fetch_dataset(self, url: str, listed: Listed, source_config: dict[str, Any],
                      http: SafeSession) -> RemoteDataset:
        root = portal_root(url)
        view = http.get(f"{root}/api/views/{listed.remote_id}.json").json()
        if not isinstance(view, dict) or "id" not in view:
            raise FetchError(f"{root}/api/views/{listed.remote_id}.json", None, "malformed",
                             f"not a Socrata view from {root}/api/views/{listed.remote_id}.json")
        return to_remote_from_view(view, root)

    @staticmethod
    def _page(remotes: list[RemoteDataset], seen: set[str]) -> list[Listed]:
        page = []
        for remote in remotes:
            if remote.identifier in seen:  # listed twice while the catalog changed
                continue
            seen.add(remote.identifier)
            page.append(Listed(identifier=remote.identifier, remote_id=remote.remote_id,
                               modified=remote.modified, dataset=remote))
        return page


def _chain(first: list[dict[str, Any]], rest: Iterator[list[dict[str, Any]]]):
    yield first
    yield from rest


def _catalog_pages(http: SafeSession, root: str, page_size: int) -> Iterator[list[dict[str, Any]]]:
    """Discovery API pages of the domain's datasets, ordered by id; stops on
    an empty page or when ``resultSetSize`` is reached."""
    host = urlsplit(root).hostname
    offset = 0
    while True:
        if offset + page_size > MAX_OFFSET:
            raise FetchError(f"{root}/api/catalog/v1", None, "malformed",
                             f"the catalog of {host} has more datasets than the Discovery API pages "
                             f"through ({MAX_OFFSET})")
        response = http.get(f"{root}/api/catalog/v1", accept="application/json", params={
            "domains": host, "search_context": host, "only": "datasets",
            "order": "dataset_id", "limit": page_size, "offset": offset})
        body = response.json()
        if not isinstance(body, dict) or not isinstance(body.get("results"), list):
            raise FetchError(response.url, None, "malformed",
                             f"not a Socrata Discovery API answer from {response.url}")
        results = body["results"]
        if not results:
            return
        yield results
        offset += len(results)
        if offset >= int(body.get("resultSetSize") or 0):
            return


def _views_pages(http: SafeSession, root: str, page_size: int) -> Iterator[list[dict[str, Any]]]:
    """``/api/views`` pages (1-based), until an empty one. A portal that
    ignores ``page`` answers the same page again: fine when it gave all its
    views at once, an error (the listing could not be completed) otherwise."""
    page_number, seen, first_size = 1, set(), None
    while True:
        response = http.get(f"{root}/api/views", accept="application/json",
                            params={"limit": page_size, "page": page_number})
        views = response.json()
        if not isinstance(views, list) or not all(isinstance(v, dict) and "id" in v for v in views):
            raise FetchError(response.url, None, "malformed",
                             f"not a list of Socrata views from {response.url}")
        if not views:
            return
        ids = {v["id"] for v in views}
        if ids <= seen:
            if first_size is not None and first_size < page_size:
                return
            raise FetchError(response.url, None, "malformed",
                             f"{response.url} repeats an earlier page: the portal ignores paging, "
                             "so the listing cannot be completed")
        seen |= ids
        first_size = len(views) if first_size is None else first_size
        yield views
        page_number += 1


def _is_catalog_dataset(result: dict[str, Any]) -> bool:
    return (result.get("resource") or {}).get("type", "dataset") == "dataset"


def _is_dataset_view(view: dict[str, Any]) -> bool:
    """A dataset, not a filtered view, chart, map, story or link."""
    if "assetType" in view:
        return view["assetType"] == "dataset"
    return (view.get("viewType") == "tabular" and view.get("displayType") in (None, "table")
            and not view.get("modifyingViewUid"))


def _iso(epoch: Any) -> str | None:
    """Epoch seconds as the Discovery API writes dates (2024-01-10T08:00:00.000Z)."""
    if not isinstance(epoch, (int, float)) or isinstance(epoch, bool):
        return None
    moment = datetime.datetime.fromtimestamp(epoch, tz=datetime.timezone.utc)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.000Z")


def _strings(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value] if value.strip() else []
    if isinstance(value, list):
        return [str(v) for v in value if isinstance(v, (str, int, float)) and str(v).strip()]
    return []


def _licence(*candidates: Any) -> str | None:
    """The first candidate (licence id, name or terms URL) that names a
    licence we know, else the first one given (reported as not specified)."""
    given = [c.strip() for c in candidates if isinstance(c, str) and c.strip()]
    for candidate in given:
        if licence_code(candidate) != "notspecified":  # a licenseId or name the register knows
            return candidate
        link = candidate
        if "creativecommons.org" in link:  # terms links point at the legal code
            link = link.replace("http://", "https://").removesuffix("legalcode").rstrip("/") + "/"
        if licence_code(link) != "notspecified":
            return link
    return given[0] if given else None


#: The Discovery API and ``/api/views`` answer an anonymous harvester with
#: public assets only (a private or internal one needs a login): PUBLIC.
#: Socrata publishes no access rights, file sizes, rights statement or
#: temporal coverage of its own; the full CSV export is the download.
DEFAULT_ACCESS_RIGHTS = "PUBLIC"


def _resources(root: str, dataset_id: str) -> list[RemoteResource]:
    return [
        RemoteResource(url=f"{root}/api/views/{dataset_id}/rows.csv?accessType=DOWNLOAD",
                       download_url=f"{root}/api/views/{dataset_id}/rows.csv?accessType=DOWNLOAD",
                       name="Full download (CSV)", format="CSV", mimetype="text/csv"),
        RemoteResource(url=f"{root}/resource/{dataset_id}.csv", name="SODA API (CSV)",
                       description="Socrata Open Data API: paged, filtered with SoQL ($limit, $where)",
                       format="CSV", mimetype="text/csv"),
        RemoteResource(url=f"{root}/resource/{dataset_id}.json", name="SODA API (JSON)",
                       description="Socrata Open Data API: paged, filtered with SoQL ($limit, $where)",
                       format="JSON", mimetype="application/json"),
    ]


def to_remote_from_catalog(result: dict[str, Any], root: str) -> RemoteDataset:
    """A Discovery API result (``resource``, ``classification``, ``metadata``,
    ``permalink``, ``link``) as a RemoteDataset."""
    resource = result["resource"]
    dataset_id = resource["id"]
    classification = result.get("classification") or {}
    domain_metadata = [m for m in classification.get("domain_metadata") or [] if isinstance(m, dict)]
    stamps = [s for s in (resource.get("updatedAt"), resource.get("metadata_updated_at"),
                          resource.get("data_updated_at")) if isinstance(s, str) and s]
    return RemoteDataset(
        identifier=f"{root}/d/{dataset_id}",
        remote_id=dataset_id,
        title=resource.get("name") or dataset_id,
        url=(checked_url(result.get("link"), "page", f"{root}/d/{dataset_id}")
             or checked_url(result.get("permalink"), "permalink", f"{root}/d/{dataset_id}")
             or f"{root}/d/{dataset_id}"),
        notes=resource.get("description") or None,
        modified=max(stamps) if stamps else None,
        issued=resource.get("createdAt") or resource.get("publication_date"),
        tags=list(dict.fromkeys(_strings(classification.get("domain_tags"))
                                + _strings(classification.get("tags")))),
        categories=list(dict.fromkeys(_strings(classification.get("domain_category"))
                                      + _strings(classification.get("categories")))),
        license=_licence((result.get("metadata") or {}).get("license"),
                         *[m.get("value") for m in domain_metadata
                           if "licen" in str(m.get("key", "")).lower()]),
        publisher=resource.get("attribution") or None,
        contact_name=resource.get("attribution") if resource.get("contact_email") else None,
        contact_email=resource.get("contact_email") or None,
        access_rights=DEFAULT_ACCESS_RIGHTS,
        resources=_resources(root, dataset_id),
    )


def to_remote_from_view(view: dict[str, Any], root: str) -> RemoteDataset:
    """An ``/api/views`` view (epoch-second dates, ``category``, ``tags``,
    ``license`` {name, termsLink}, ``licenseId``) as a RemoteDataset."""
    dataset_id = view["id"]
    licence = view.get("license") if isinstance(view.get("license"), dict) else {}
    stamps = [s for s in (view.get("rowsUpdatedAt"), view.get("viewLastModified"))
              if isinstance(s, (int, float)) and not isinstance(s, bool)]
    return RemoteDataset(
        identifier=f"{root}/d/{dataset_id}",
        remote_id=dataset_id,
        title=view.get("name") or dataset_id,
        url=f"{root}/d/{dataset_id}",
        notes=view.get("description") or None,
        modified=_iso(max(stamps)) if stamps else None,
        issued=_iso(view.get("publicationDate") or view.get("createdAt")),
        tags=_strings(view.get("tags")),
        categories=_strings(view.get("category")),
        license=_licence(view.get("licenseId"), licence.get("termsLink"), licence.get("name")),
        publisher=view.get("attribution") or None,
        access_rights=DEFAULT_ACCESS_RIGHTS,
        resources=_resources(root, dataset_id),
    )
