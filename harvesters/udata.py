"""udata portals (data.gouv.fr, dados.gov.pt): API v1.

The listing is ``GET /api/1/datasets/?page=1&page_size=100&sort=created``,
oldest first (a dataset published during a harvest lands on the last page
instead of shifting the pages already read), whose pages carry whole
datasets; paging follows the ``next_page`` URL until it is null.

udata cannot filter its datasets by modification date. After a complete
harvest the listing therefore asks, through the API's field mask (the
``X-Fields`` header of flask-restx), only for what identifies each dataset
and its ``last_modified``, 1000 a page; the base closes the unchanged ones
and only new and changed datasets are read whole
(``GET /api/1/datasets/{id}/``).

Identity: a dataset udata itself harvested keeps the identity it has where it
came from (its DCAT URI, a global ``dct:identifier``, a CKAN id, another
udata's id, or at least its remote URL), so a copy on a national portal is
the same dataset as the original on a regional one; otherwise
``udata:{portal host without www.}:{id}``. The light listing asks for the
``harvest`` object and ``extras`` too, as identity depends on them.
"""
from __future__ import annotations

import datetime
import re
from typing import Any, Iterator
from urllib.parse import urlsplit

from ckanext.plusresilient.harvesters.base import Listed, SVRCHarvester
from ckanext.plusresilient.harvesters.mapping import RemoteDataset, RemoteResource, checked_url
from ckanext.plusresilient.safe_http import FetchError, SafeSession

PAGE_SIZE = 100
CENSUS_PAGE_SIZE = 1000
#: flask-restx field mask of the light listing: identity and modification date only
CENSUS_MASK = "data{id,last_modified,harvest,extras},next_page,total"
#: the sort every udata version accepts (oldest first)
SORT = "created"

#: udata's frequency codes -> EU frequency authority codes. udata's own
#: mapping (udata/core/dataset/rdf.py, EU_RDF_REQUENCIES reversed), with the
#: codes our vocabulary lacks (DAILY_2, WEEKLY_2/3, MONTHLY_3) taken to the
#: nearest one it has.
FREQUENCIES = {
    "unknown": "UNKNOWN",
    "punctual": "NEVER",
    "continuous": "CONT",
    "realtime": "CONT",
    "hourly": "HOURLY",
    "fourTimesADay": "DAILY",
    "threeTimesADay": "DAILY",
    "semidaily": "DAILY",
    "daily": "DAILY",
    "fourTimesAWeek": "WEEKLY",
    "threeTimesAWeek": "WEEKLY",
    "semiweekly": "WEEKLY",
    "weekly": "WEEKLY",
    "biweekly": "BIWEEKLY",
    "fortnighly": "BIWEEKLY",
    "threeTimesAMonth": "MONTHLY_2",
    "semimonthly": "MONTHLY_2",
    "monthly": "MONTHLY",
    "bimonthly": "BIMONTHLY",
    "quarterly": "QUARTERLY",
    "threeTimesAYear": "ANNUAL_3",
    "semiannual": "ANNUAL_2",
    "biannual": "ANNUAL_2",
    "annual": "ANNUAL",
    "biennial": "BIENNIAL",
    "triennial": "TRIENNIAL",
    "quinquennial": "OTHER",
    "irregular": "IRREG",
}

#: udata's ``access_type`` (udata/core/access_type/constants.py; recent
#: udata versions give it on datasets) -> the EU access-right codes, by the EU table's
#: definitions: PUBLIC is "publicly accessible by everyone", RESTRICTED
#: "available under certain conditions". An account to create or an
#: authorisation to ask for are such conditions. (udata's own DCAT export
#: writes PUBLIC for ``open_with_account`` and NON_PUBLIC for ``restricted``;
#: NON_PUBLIC, "not publicly accessible", would tell a reuser not to ask.)
ACCESS_TYPES = {"open": "PUBLIC", "open_with_account": "RESTRICTED", "restricted": "RESTRICTED"}
#: Without ``access_type`` (older udata): udata's default is ``open``, and
#: the API lists no private dataset to an anonymous harvester.
DEFAULT_ACCESS_RIGHTS = "PUBLIC"

_LANGUAGE_PREFIX = re.compile(r"^/[a-z]{2}(?:-[a-z]{2})?$", re.IGNORECASE)


def portal_root(url: str) -> str:
    """The portal's root given its root, a language page (``/fr/``) or its API URL."""
    url = url.strip().rstrip("/")
    for suffix in ("/api/1/datasets", "/api/2/datasets", "/api/1", "/api/2", "/api"):
        if url.endswith(suffix):
            url = url[: -len(suffix)]
            break
    parts = urlsplit(url)
    if _LANGUAGE_PREFIX.match(parts.path):
        url = f"{parts.scheme}://{parts.netloc}"
    return url


def api_base(url: str) -> str:
    return f"{portal_root(url)}/api/1"


def _host(url: str) -> str:
    host = (urlsplit(url).hostname or "").lower()
    return host[4:] if host.startswith("www.") else host


class UdataHarvester(SVRCHarvester):
    name = "plusresilient_udata"
    title = "udata portal (+RESILIENT)"
    description = ("A udata portal's API v1 (data.gouv.fr, dados.gov.pt), mapped onto the "
                   "SVRC schema; incremental, with deletions carried over.")

    def list_datasets(self, url: str, source_config: dict[str, Any], http: SafeSession,
                      since: datetime.datetime | None) -> Iterator[list[Listed]]:
        host = _host(portal_root(url))
        if since is None:
            page_size = source_config.get("page_size") or PAGE_SIZE
            for datasets in _pages(http, api_base(url), page_size, None):
                yield [self._listed(dataset, url) for dataset in datasets]
            return
        for datasets in _pages(http, api_base(url), CENSUS_PAGE_SIZE, CENSUS_MASK):
            yield [Listed(identifier=_identifier(dataset, host), remote_id=_id(dataset),
                          modified=dataset.get("last_modified")) for dataset in datasets]

    def fetch_dataset(self, url: str, listed: Listed, source_config: dict[str, Any],
                      http: SafeSession) -> RemoteDataset:
        response = http.get(f"{api_base(url)}/datasets/{listed.remote_id}/", accept="application/json")
        dataset = response.json()
        if not isinstance(dataset, dict) or "id" not in dataset:
            raise FetchError(response.url, None, "malformed", f"not a udata dataset from {response.url}")
        return to_remote(dataset, url)

    def _listed(self, dataset: dict[str, Any], portal_url: str) -> Listed:
        remote = to_remote(dataset, portal_url)
        return Listed(identifier=remote.identifier, remote_id=remote.remote_id,
                      modified=dataset.get("last_modified"), dataset=remote)


def _pages(http: SafeSession, base: str, page_size: int,
           mask: str | None) -> Iterator[list[dict[str, Any]]]:
    """The ``data`` of each page, following ``next_page``; stops at a null
    ``next_page``, an empty page, or a ``next_page`` already read."""
    url: str | None = f"{base}/datasets/"
    params: dict[str, Any] | None = {"page": 1, "page_size": page_size, "sort": SORT}
    headers = {"X-Fields": mask} if mask else None
    seen: set[str] = set()
    while url:
        response = http.get(url, params=params, headers=headers, accept="application/json")
        body = response.json()
        if not isinstance(body, dict) or not isinstance(body.get("data"), list):
            raise FetchError(response.url, None, "malformed",
                             f"not a udata API page (no 'data' list) from {response.url}")
        seen.add(response.url)
        if not body["data"]:
            return
        yield body["data"]
        next_page = body.get("next_page")
        if next_page is not None and not isinstance(next_page, str):
            raise FetchError(response.url, None, "malformed",
                             f"'next_page' is not a URL in {response.url}")
        if next_page in seen:
            return
        url, params = next_page, None  # next_page carries its own query


def _id(dataset: dict[str, Any]) -> str:
    value = dataset["id"]
    if not isinstance(value, str) or not value:
        raise ValueError(f"dataset id {value!r} is not a string")
    return value


def _text(value: Any) -> str | None:
    return value.strip() if isinstance(value, str) and value.strip() else None


def _identifier(dataset: dict[str, Any], host: str) -> str:
    """Where a harvested dataset came from (udata's ``harvest`` object, or the
    ``extras`` older versions used), else this portal's own id."""
    harvest = dataset.get("harvest") if isinstance(dataset.get("harvest"), dict) else {}
    extras = dataset.get("extras") if isinstance(dataset.get("extras"), dict) else {}
    for candidate in (harvest.get("uri"), extras.get("uri"), extras.get("harvest:uri")):
        if _text(candidate):
            return _text(candidate)
    for candidate in (harvest.get("dct_identifier"), extras.get("dct:identifier")):
        # only a global one: a bare "42" from two sources is not one dataset
        if _text(candidate) and re.match(r"^(https?://|urn:)", _text(candidate), re.IGNORECASE):
            return _text(candidate)
    backend = (_text(harvest.get("backend")) or _text(extras.get("harvest:backend")) or "").lower()
    remote_id = _text(harvest.get("remote_id")) or _text(extras.get("harvest:remote_id"))
    if remote_id and backend == "ckan":
        return f"ckan:{remote_id}"
    domain = _text(harvest.get("domain")) or _text(extras.get("harvest:domain"))
    if remote_id and backend == "udata" and domain:
        return f"udata:{_host('//' + domain)}:{remote_id}"
    for candidate in (harvest.get("remote_url"), extras.get("remote_url"), extras.get("harvest:remote_url")):
        if _text(candidate):
            return _text(candidate)
    return f"udata:{host}:{_id(dataset)}"


def _contact(dataset: dict[str, Any]) -> tuple[str | None, str | None]:
    for point in dataset.get("contact_points") or []:
        if isinstance(point, dict) and (point.get("name") or point.get("email")):
            return _text(point.get("name")), _text(point.get("email"))
    return None, None


def _publisher(dataset: dict[str, Any]) -> str | None:
    organization = dataset.get("organization")
    if isinstance(organization, dict) and _text(organization.get("name")):
        return _text(organization["name"])
    owner = dataset.get("owner")
    if isinstance(owner, dict):
        return _text(" ".join(filter(None, (owner.get("first_name"), owner.get("last_name")))))
    return None


def _resource(resource: dict[str, Any]) -> RemoteResource:
    filesize = resource.get("filesize")
    return RemoteResource(
        url=_text(resource.get("url")) or "",
        identifier=f"udata:{_text(resource.get('id'))}" if _text(resource.get("id")) else None,
        # a file udata hosts ("file"), not a link to elsewhere ("remote")
        download_url=_text(resource.get("url")) if resource.get("filetype") == "file" else None,
        name=_text(resource.get("title")),
        description=_text(resource.get("description")),
        format=_text(resource.get("format")),
        mimetype=_text(resource.get("mime")),
        size=filesize if isinstance(filesize, int) and not isinstance(filesize, bool) else None,
    )


def _access_rights(dataset: dict[str, Any]) -> str:
    access_type = _text(dataset.get("access_type"))
    if access_type is None:
        return DEFAULT_ACCESS_RIGHTS
    return ACCESS_TYPES.get(access_type, access_type)  # another word: the shared mapping reads it


def to_remote(dataset: dict[str, Any], portal_url: str) -> RemoteDataset:
    root = portal_root(portal_url)
    harvest = dataset.get("harvest") if isinstance(dataset.get("harvest"), dict) else {}
    extras = dataset.get("extras") if isinstance(dataset.get("extras"), dict) else {}
    temporal = dataset.get("temporal_coverage") if isinstance(dataset.get("temporal_coverage"), dict) else {}
    resources = dataset.get("resources") or []
    if not isinstance(resources, list):
        raise TypeError(f"'resources' of dataset {dataset.get('id')} is not a list")
    contact_name, contact_email = _contact(dataset)
    remote_id = _id(dataset)
    tags = [str(tag) for tag in dataset.get("tags") or [] if tag] if isinstance(dataset.get("tags"), list) else []
    title = _text(dataset.get("title")) or _text(dataset.get("acronym")) or _text(dataset.get("slug")) or remote_id
    identifier = _identifier(dataset, _host(root))
    # the page udata gives, unless it is no http(s) link (logged): then the
    # one it serves every dataset at
    page = checked_url(_text(dataset.get("page")), "page", identifier)
    return RemoteDataset(
        identifier=identifier,
        remote_id=remote_id,
        title=title,
        url=page or f"{root}/datasets/{dataset.get('slug') or remote_id}/",
        notes=_text(dataset.get("description")) or _text(dataset.get("description_short")),
        modified=dataset.get("last_modified"),
        issued=(_text(harvest.get("created_at")) or _text(extras.get("harvest:created_at"))
                or dataset.get("created_at")),
        tags=tags,
        # udata slugifies tags ("economie-sociale"): their words, for the classification
        categories=[tag.replace("-", " ") for tag in tags if "-" in tag],
        license=_text(dataset.get("license")),
        frequency=FREQUENCIES.get(dataset.get("frequency") or "") or _text(dataset.get("frequency")),
        publisher=_publisher(dataset),
        contact_name=contact_name,
        contact_email=contact_email,
        landing_page=(_text(harvest.get("remote_url")) or _text(extras.get("remote_url"))
                      or _text(extras.get("harvest:remote_url"))),
        temporal_start=temporal.get("start"),
        temporal_end=temporal.get("end"),
        access_rights=_access_rights(dataset),
        resources=[_resource(r) for r in resources if isinstance(r, dict)],
    )
