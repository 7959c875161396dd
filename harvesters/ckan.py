"""CKAN API v3 portals (dati.gov.it, podatki.gov.si, data.gov.hr, …) and
DKAN's CKAN-compatible API (package_list + package_show).

The listing is ``package_search`` sorted by id, 100 a page, full dictionaries
(no per-dataset fetch). After a complete harvest, the listing asks only for
``id`` and ``metadata_modified`` of every dataset (for deletions and the
unchanged ones), and a second, filtered search
(``metadata_modified:[since TO *]``) brings the changed ones whole.
"""
from __future__ import annotations

import datetime
import json
from typing import Any, Iterator
from urllib.parse import urlparse

from ckanext.plusresilient.field_values import values_of
from ckanext.plusresilient.harvesters.base import Listed, SVRCHarvester
from ckanext.plusresilient.harvesters.mapping import RemoteDataset, RemoteResource
from ckanext.plusresilient.safe_http import FetchError, SafeSession

PAGE_SIZE = 100
CENSUS_PAGE_SIZE = 1000


def portal_root(url: str) -> str:
    """A portal's root, given its root or its API URL."""
    url = url.rstrip("/")
    for suffix in ("/api/3/action", "/api/action", "/api/3", "/api"):
        if url.endswith(suffix):
            return url[: -len(suffix)]
    return url


def api_base(url: str) -> str:
    """The action API of a portal given by its root or its API URL."""
    return f"{portal_root(url)}/api/3/action"


class CKANHarvester(SVRCHarvester):
    name = "plusresilient_ckan"
    title = "CKAN portal (+RESILIENT)"
    description = ("A CKAN portal's API v3, mapped onto the SVRC schema; incremental, "
                   "with deletions carried over.")

    def list_datasets(self, url: str, source_config: dict[str, Any], http: SafeSession,
                      since: datetime.datetime | None) -> Iterator[list[Listed]]:
        base = api_base(url)
        page_size = source_config.get("page_size") or PAGE_SIZE
        listing = self._ckan_pages(http, base, url, page_size, since)
        try:
            first = next(listing, None)
        except FetchError as error:
            if error.status != 404:
                raise
            # no package_search: a DKAN portal
            yield from _dkan_pages(http, base, url, page_size)
            return
        if first is not None:
            yield first
            yield from listing

    def _ckan_pages(self, http: SafeSession, base: str, url: str, page_size: int,
                    since: datetime.datetime | None) -> Iterator[list[Listed]]:
        if since is None:
            for results in _search_pages(http, base, {}, page_size):
                yield [self._listed(package, url) for package in results]
            return
        # the changed ones whole, then every other one as id + date only; a
        # page at a time, keeping nothing but the changed ids
        changed: set[str] = set()
        stamp = since.strftime("%Y-%m-%dT%H:%M:%SZ")
        for results in _search_pages(http, base, {"fq": f"metadata_modified:[{stamp} TO *]"}, page_size):
            changed.update(package["id"] for package in results)
            yield [self._listed(package, url) for package in results]
        for results in _search_pages(http, base, {"fl": "id,name,metadata_modified,extras_uri,extras_identifier"},
                                     CENSUS_PAGE_SIZE):
            yield [Listed(identifier=_identifier(summary), remote_id=summary["id"],
                          modified=summary.get("metadata_modified"))
                   for summary in results if summary["id"] not in changed]

    def fetch_dataset(self, url: str, listed: Listed, source_config: dict[str, Any],
                      http: SafeSession) -> RemoteDataset:
        package = _result(http.get(f"{api_base(url)}/package_show", params={"id": listed.remote_id}))
        if isinstance(package, list):  # DKAN answers with a one-element list
            if not package:
                raise FetchError(url, None, "malformed", f"empty package_show answer for {listed.remote_id}")
            package = package[0]
        remote = to_remote(package, url)
        remote.identifier = listed.identifier
        return remote

    def _listed(self, package: dict[str, Any], portal_url: str) -> Listed:
        remote = to_remote(package, portal_url)
        return Listed(identifier=remote.identifier, remote_id=package["id"],
                      modified=package.get("metadata_modified"), dataset=remote)


def _result(response) -> Any:
    body = response.json()
    if not isinstance(body, dict) or body.get("success") is not True or "result" not in body:
        raise FetchError(response.url, None, "malformed",
                         f"not a CKAN API answer from {response.url}")
    return body["result"]


def _search_page(http: SafeSession, base: str, params: dict[str, str], rows: int,
                 start: int) -> dict[str, Any]:
    result = _result(http.get(f"{base}/package_search", params={
        "q": "*:*", "rows": rows, "start": start, "sort": "id asc", **params}))
    if not isinstance(result, dict):
        raise ValueError("package_search answered no result object")
    return result


def _search_pages(http: SafeSession, base: str, params: dict[str, str],
                  page_size: int) -> Iterator[list[dict[str, Any]]]:
    """package_search pages, sorted by id so paging is stable while the
    portal changes; stops on an empty page or when ``count`` is reached."""
    start = 0
    while True:
        result = _search_page(http, base, params, page_size, start)
        results = result.get("results")
        if not isinstance(results, list):
            raise ValueError("package_search result has no 'results' list")
        if not results:
            return
        yield results
        start += len(results)
        if start >= int(result.get("count", 0)):
            return


def _dkan_pages(http: SafeSession, base: str, portal_url: str, page_size: int) -> Iterator[list[Listed]]:
    """DKAN (data.gov.cy, Tirana) has no package_search: package_list names
    every dataset, and each is read with package_show in the fetch stage.
    Without modification dates in the list, every dataset is fetched on
    every harvest (DKAN cannot say what changed); deletions still carry over."""
    names = _result(http.get(f"{base}/package_list"))
    if not isinstance(names, list) or not all(isinstance(name, str) for name in names):
        raise ValueError("package_list did not answer a list of names")
    host = urlparse(portal_url).netloc
    for start in range(0, len(names), page_size):
        yield [Listed(identifier=f"dkan:{host}:{name}", remote_id=name)
               for name in names[start:start + page_size]]


def _extras(package: dict[str, Any]) -> dict[str, Any]:
    extras = package.get("extras") or []
    if isinstance(extras, dict):
        return extras
    return {e.get("key"): e.get("value") for e in extras if isinstance(e, dict)}


def _identifier(package: dict[str, Any]) -> str:
    """The dataset's identity across portals: its DCAT URI or identifier when
    the portal publishes one (aggregators keep them), else its CKAN id (the
    stock CKAN harvester keeps remote ids, so aggregator copies share it)."""
    extras = _extras(package)
    for candidate in (package.get("uri"), extras.get("uri"), package.get("extras_uri"),
                      package.get("identifier"), extras.get("identifier"), package.get("extras_identifier")):
        if isinstance(candidate, str) and candidate.strip():
            return candidate.strip()
    return f"ckan:{package['id']}"


#: What a CKAN portal's anonymous API lists: public datasets only (a
#: private one needs an API key), so a dataset whose access rights the portal
#: does not state is PUBLIC.
DEFAULT_ACCESS_RIGHTS = "PUBLIC"


def _temporal(package: dict[str, Any], extras: dict[str, Any]) -> tuple[Any, Any]:
    """Start and end of the temporal coverage, in the shapes CKAN portals
    use: ``temporal_start``/``temporal_end`` (fields or extras),
    ckanext-dcat's repeating ``temporal_coverage`` ([{start, end}]), and
    ckanext-dcatapit's ``temporal_coverage`` extra (JSON text,
    [{temporal_start, temporal_end}])."""
    start = package.get("temporal_start") or extras.get("temporal_start")
    end = package.get("temporal_end") or extras.get("temporal_end")
    if start or end:
        return start, end
    periods = package.get("temporal_coverage") or extras.get("temporal_coverage")
    if isinstance(periods, str):
        try:
            periods = json.loads(periods)
        except ValueError:
            return None, None
    for period in periods if isinstance(periods, list) else []:
        if isinstance(period, dict):
            start = period.get("start") or period.get("temporal_start")
            end = period.get("end") or period.get("temporal_end")
            if start or end:
                return start, end
    return None, None


def _size(value: Any) -> int | None:
    """A resource's size: CKAN stores an integer, older portals its digits."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.strip().isdigit():
        return int(value.strip())
    return None


def to_remote(package: dict[str, Any], portal_url: str) -> RemoteDataset:
    extras = _extras(package)
    field = lambda name: package.get(name) or extras.get(name)  # noqa: E731
    root = portal_root(portal_url)
    temporal_start, temporal_end = _temporal(package, extras)
    return RemoteDataset(
        identifier=_identifier(package),
        remote_id=package["id"],
        title=package.get("title") or package.get("name") or package["id"],
        url=f"{root}/dataset/{package.get('name') or package['id']}",
        notes=package.get("notes"),
        modified=package.get("metadata_modified"),
        issued=field("issued") or package.get("metadata_created"),
        tags=[t["name"] if isinstance(t, dict) else str(t) for t in package.get("tags") or []],
        themes=values_of(field("theme")),
        categories=[g.get("title") or g.get("name") for g in package.get("groups") or [] if isinstance(g, dict)],
        license=package.get("license_url") if package.get("license_id") in (None, "", "other") else package.get("license_id"),
        language=values_of(field("language")),
        frequency=field("frequency") or field("accrual_periodicity"),
        publisher=(package.get("organization") or {}).get("title"),
        contact_name=package.get("maintainer") or package.get("author") or field("contact_name"),
        contact_email=package.get("maintainer_email") or package.get("author_email") or field("contact_email"),
        landing_page=package.get("url") or None,
        temporal_start=temporal_start,
        temporal_end=temporal_end,
        # ckanext-dcat's field (an EU URI) or an extra (a code, URI or label)
        access_rights=field("access_rights") or DEFAULT_ACCESS_RIGHTS,
        resources=[RemoteResource(
            url=r.get("url") or "",
            identifier=f"ckan:{r['id']}" if isinstance(r.get("id"), str) and r["id"] else None,
            # a file the portal hosts, or the download link of a DCAT-enabled CKAN
            download_url=r.get("download_url") or (r.get("url") if r.get("url_type") == "upload" else None),
            name=r.get("name"),
            description=r.get("description"),
            format=r.get("format"),
            mimetype=r.get("mimetype"),
            size=_size(r.get("size")),
            rights=r.get("rights") if isinstance(r.get("rights"), str) else None,
        ) for r in package.get("resources") or [] if isinstance(r, dict)],
    )
