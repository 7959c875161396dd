"""OpenDataSoft portals through the Explore API v2.1 (data.iledefrance.fr,
data.laregion.fr, opendata.paris.fr, …).

The listing is ``catalog/datasets`` ordered by ``dataset_id``, 100 a page
(the API's maximum ``limit``), whole datasets minus their field schema
(``select=exclude(fields)``), so no per-dataset fetch is needed.

The API refuses ``offset + limit`` above 10 000. Paging therefore walks
``offset`` inside a window of at most 10 000 datasets, and when the next page
would leave it, opens a new window after the last dataset seen
(``where=dataset_id > "<last id>"``, offset back to 0): a catalogue of any size
is listed completely and in order.

After a complete harvest, a first search with
``where=metas.default.modified >= date'<since>'`` brings the changed datasets
whole, and a light census (``select=dataset_id,metas.default.modified,…``)
lists every dataset's id and modification date, for the unchanged ones and
for deletions. A dataset whose date differs from the one recorded but which
the filtered search missed (publishers can set ``modified`` back in time) is
read alone from ``catalog/datasets/{dataset_id}``.

Resources are the portal's exports of the records (CSV, JSON, and GeoJSON
when the dataset has the ``geo`` feature), then its alternative exports and
attachments. The description is HTML: it becomes plain text with Markdown
lists and links, and nothing of a script, style or embedded object survives.

Identity is ``ods:{host}:{dataset_id}``; a dataset federated from another
OpenDataSoft portal (``source_domain_address`` and ``source_dataset`` set)
takes the identity of its original, so the federating portal and the
original portal update one dataset.
"""
from __future__ import annotations

import datetime
import re
from html.parser import HTMLParser
from typing import Any, Iterator
from urllib.parse import quote, urlsplit

from ckanext.plusresilient.harvesters.base import Listed, SVRCHarvester
from ckanext.plusresilient.harvesters.mapping import RemoteDataset, RemoteResource, licence_code
from ckanext.plusresilient.safe_http import FetchError, SafeSession

API_PATH = "/api/explore/v2.1"
#: the API's maximum ``limit`` for a query without ``group_by``
PAGE_SIZE = 100
#: the API refuses ``offset + limit`` above this
OFFSET_WINDOW = 10000
#: what the light census asks for: enough for identity and the unchanged test
CENSUS_SELECT = ",".join([
    "dataset_id", "metas.default.modified", "metas.default.metadata_processed",
    "metas.default.source_domain_address", "metas.default.source_dataset"])
FULL_SELECT = "exclude(fields)"

EXPORTS = (  # (format in the export URL, format, mimetype, resource name)
    ("csv", "CSV", "text/csv", "Export CSV"),
    ("json", "JSON", "application/json", "Export JSON"),
)
GEO_EXPORT = ("geojson", "GeoJSON", "application/geo+json", "Export GeoJSON")


def portal_root(url: str) -> str:
    """The portal's root given its root or any of its Explore API URLs."""
    url = url.rstrip("/")
    match = re.search(r"/api/(explore/v2\.[01]|v2|records/1\.0|datasets/1\.0)(/.*)?$", url)
    return url[: match.start()] if match else url


def api_base(url: str) -> str:
    return portal_root(url) + API_PATH


def portal_host(url: str) -> str:
    """Host (and port, when not the default) of a URL or of a bare address."""
    if "//" not in url:
        url = "//" + url.strip()
    parts = urlsplit(url.strip())
    host = (parts.hostname or "").lower()
    if parts.port and parts.port not in (80, 443):
        host = f"{host}:{parts.port}"
    return host


class OpenDataSoftHarvester(SVRCHarvester):
    name = "plusresilient_ods"
    title = "OpenDataSoft portal (+RESILIENT)"
    description = ("An OpenDataSoft portal's Explore API v2.1, mapped onto the SVRC schema; "
                   "incremental, with deletions carried over.")
    page_size_max = PAGE_SIZE  # the API's largest limit

    def list_datasets(self, url: str, source_config: dict[str, Any], http: SafeSession,
                      since: datetime.datetime | None) -> Iterator[list[Listed]]:
        base = api_base(url)
        page_size = source_config.get("page_size") or PAGE_SIZE
        if since is None:
            for results in catalog_pages(http, base, {"select": FULL_SELECT}, page_size):
                yield [self._listed(dataset, url) for dataset in results]
            return
        changed: dict[str, dict[str, Any]] = {}
        stamp = since.strftime("%Y-%m-%dT%H:%M:%SZ")
        for results in catalog_pages(http, base, {"select": FULL_SELECT}, page_size,
                                     where=f"metas.default.modified >= date'{stamp}'"):
            for dataset in results:
                changed[dataset["dataset_id"]] = dataset
        for results in catalog_pages(http, base, {"select": CENSUS_SELECT}, page_size):
            page = []
            for summary in results:
                whole = changed.get(summary["dataset_id"])
                if whole is not None and _modified(whole) == _modified(summary):
                    page.append(self._listed(whole, url))
                else:
                    page.append(Listed(identifier=_identifier(summary, url),
                                       remote_id=summary["dataset_id"], modified=_modified(summary)))
            yield page

    def fetch_dataset(self, url: str, listed: Listed, source_config: dict[str, Any],
                      http: SafeSession) -> RemoteDataset:
        response = http.get(f"{api_base(url)}/catalog/datasets/{quote(listed.remote_id, safe='@')}")
        dataset = response.json()
        if not isinstance(dataset, dict) or not isinstance(dataset.get("dataset_id"), str):
            raise FetchError(response.url, None, "malformed",
                             f"not an OpenDataSoft Explore v2.1 dataset from {response.url}")
        return to_remote(dataset, url)

    def _listed(self, dataset: dict[str, Any], portal_url: str) -> Listed:
        remote = to_remote(dataset, portal_url)
        return Listed(identifier=remote.identifier, remote_id=dataset["dataset_id"],
                      modified=remote.modified, dataset=remote)


def catalog_pages(http: SafeSession, base: str, params: dict[str, Any], page_size: int,
                  where: str | None = None) -> Iterator[list[dict[str, Any]]]:
    """``catalog/datasets`` pages ordered by ``dataset_id``, so paging is
    stable while the portal changes; past the API's offset window a new
    window opens after the last id seen. Stops on an empty page or when the
    window's ``total_count`` is reached."""
    after: str | None = None
    last: str | None = None
    offset = 0
    while True:
        if offset and offset + page_size > OFFSET_WINDOW:
            after, offset = last, 0
        clauses = [c for c in (where, f'dataset_id > "{_odsql_string(after)}"' if after else None) if c]
        query = {**params, "order_by": "dataset_id", "limit": page_size, "offset": offset}
        if clauses:
            query["where"] = " and ".join(f"({c})" for c in clauses) if len(clauses) > 1 else clauses[0]
        response = http.get(f"{base}/catalog/datasets", params=query)
        body = response.json()
        if (not isinstance(body, dict) or not isinstance(body.get("results"), list)
                or not isinstance(body.get("total_count"), int)):
            raise FetchError(response.url, None, "malformed",
                             f"not an OpenDataSoft Explore v2.1 catalog answer from {response.url}")
        results = body["results"]
        if not results:
            return
        for dataset in results:
            if not isinstance(dataset, dict) or not isinstance(dataset.get("dataset_id"), str):
                raise FetchError(response.url, None, "malformed",
                                 f"a catalog result without dataset_id from {response.url}")
        if after is not None and offset == 0 and results[0]["dataset_id"] <= after:
            raise FetchError(response.url, None, "malformed",
                             f"the portal ignored where=dataset_id > \"{after}\" ({response.url})")
        yield results
        last = results[-1]["dataset_id"]
        offset += len(results)
        if offset >= body["total_count"]:
            return


def _odsql_string(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"')


def _metas(dataset: dict[str, Any], template: str = "default") -> dict[str, Any]:
    metas = dataset.get("metas")
    values = metas.get(template) if isinstance(metas, dict) else None
    return values if isinstance(values, dict) else {}


def _meta(dataset: dict[str, Any], key: str) -> Any:
    """A default-template meta, nested (``metas.default.key``) as the API
    answers; flat as a fallback."""
    value = _metas(dataset).get(key)
    return value if value is not None else dataset.get(key)


def _modified(dataset: dict[str, Any]) -> str | None:
    value = _meta(dataset, "modified") or _meta(dataset, "metadata_processed")
    return str(value) if value else None


def _identifier(dataset: dict[str, Any], portal_url: str) -> str:
    address, original = _meta(dataset, "source_domain_address"), _meta(dataset, "source_dataset")
    if isinstance(address, str) and address.strip() and isinstance(original, str) and original.strip():
        return f"ods:{portal_host(address)}:{original.strip()}"
    return f"ods:{portal_host(portal_url)}:{dataset['dataset_id']}"


def _strings(value: Any) -> list[str]:
    if value is None:
        return []
    if isinstance(value, list):
        return [str(v).strip() for v in value if v not in (None, "") and str(v).strip()]
    return [str(value).strip()] if str(value).strip() else []


def _licence(name: Any, url: Any) -> str | None:
    """The licence as a value the shared mapping recognises, trying the URL,
    the name, the name without its parenthesis and the parenthesis alone
    ("Licence Ouverte v2.0 (Etalab)", "Open Database License (ODbL)")."""
    candidates: list[str] = []
    for value in (url, name):
        if isinstance(value, str) and value.strip():
            candidates.append(value.strip())
    if isinstance(name, str):
        match = re.match(r"^(.*?)\s*\(([^)]+)\)\s*$", name.strip())
        if match:
            candidates.extend([match.group(1), match.group(2)])
    for candidate in candidates:
        if licence_code(candidate) != "notspecified":
            return candidate
    return (name if isinstance(name, str) and name.strip() else None) or (url or None)


#: The Explore API answers an anonymous harvester with the datasets visible
#: to anyone (a restricted dataset needs an API key or a session): PUBLIC,
#: unless the DCAT template's ``accessrights`` says otherwise.
DEFAULT_ACCESS_RIGHTS = "PUBLIC"


def _rights(default: dict[str, Any]) -> str | None:
    """The ``attributions`` (whom a reuser must credit) as the exports'
    rights statement: OpenDataSoft has no rights field of its own."""
    credits = _strings(default.get("attributions"))
    return "; ".join(credits) or None


def _extension_format(name: str | None) -> str | None:
    match = re.search(r"\.([A-Za-z0-9]{1,8})$", name or "")
    return match.group(1).upper() if match else None


def _resources(dataset: dict[str, Any], base: str, licence: str | None,
               rights: str | None = None) -> list[RemoteResource]:
    dataset_path = f"{base}/catalog/datasets/{quote(dataset['dataset_id'], safe='@')}"
    resources = []
    if dataset.get("has_records", True) is not False:
        exports = list(EXPORTS)
        if "geo" in (dataset.get("features") or []):
            exports.append(GEO_EXPORT)
        for path, fmt, mimetype, name in exports:
            export = f"{dataset_path}/exports/{path}"
            resources.append(RemoteResource(url=export, download_url=export, name=name,
                                            format=fmt, mimetype=mimetype, license=licence,
                                            rights=rights))
    for key, path in (("alternative_exports", "alternative_exports"), ("attachments", "attachments")):
        for item in dataset.get(key) or []:
            if not isinstance(item, dict) or not item.get("id"):
                continue
            title = item.get("title") or str(item["id"])
            link = f"{dataset_path}/{path}/{quote(str(item['id']), safe='')}"
            resources.append(RemoteResource(
                url=link, download_url=link,
                identifier=f"ods:{dataset['dataset_id']}:{path}:{item['id']}",
                name=title, description=item.get("description") or None,
                format=_extension_format(title) or _extension_format(item.get("url")),
                mimetype=item.get("mimetype"), license=licence, rights=rights))
    return resources


def to_remote(dataset: dict[str, Any], portal_url: str) -> RemoteDataset:
    default, dcat = _metas(dataset), _metas(dataset, "dcat")
    dataset_id = dataset["dataset_id"]
    licence = _licence(default.get("license"), default.get("license_url"))
    return RemoteDataset(
        identifier=_identifier(dataset, portal_url),
        remote_id=dataset_id,
        title=default.get("title") or dataset_id,
        url=f"{portal_root(portal_url)}/explore/dataset/{quote(dataset_id, safe='@')}/",
        notes=html_to_text(default.get("description")),
        modified=_modified(dataset),
        issued=dcat.get("issued") or dcat.get("created"),
        tags=_strings(default.get("keyword")),
        categories=_strings(default.get("theme")),
        license=licence,
        language=_strings(default.get("language")),
        frequency=dcat.get("accrualperiodicity") or None,
        publisher=default.get("publisher") or None,
        contact_name=dcat.get("contact_name") or None,
        contact_email=dcat.get("contact_email") or None,
        temporal_start=dcat.get("temporal_coverage_start") or None,
        temporal_end=dcat.get("temporal_coverage_end") or None,
        access_rights=next(iter(_strings(dcat.get("accessrights") or dcat.get("accessRights"))),
                           DEFAULT_ACCESS_RIGHTS),
        resources=_resources(dataset, api_base(portal_url), licence, _rights(default)),
    )


# -- HTML descriptions -------------------------------------------------------------------

_SKIPPED = {"script", "style", "iframe", "object", "embed", "noscript", "template", "svg",
            "math", "head", "title", "textarea", "select", "button", "form"}
_BLOCKS = {"p", "div", "section", "article", "header", "footer", "aside", "table", "tr",
           "ul", "ol", "dl", "blockquote", "pre", "hr", "figure", "h1", "h2", "h3", "h4", "h5", "h6"}
_LINK_SCHEMES = ("http://", "https://", "mailto:")


class _TextExtractor(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.skipping = 0
        self.links: list[tuple[str | None, int]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _SKIPPED:
            self.skipping += 1
            return
        if self.skipping:
            return
        if tag == "br":
            self.parts.append("\n")
        elif tag == "li":
            self.parts.append("\n- ")
        elif tag in ("td", "th", "dd", "dt"):
            self.parts.append(" ")
        elif tag in _BLOCKS:
            self.parts.append("\n\n")
        elif tag == "a":
            href = (dict(attrs).get("href") or "").strip()
            safe = href if href.lower().startswith(_LINK_SCHEMES) else None
            self.links.append((safe, len(self.parts)))

    def handle_endtag(self, tag: str) -> None:
        if tag in _SKIPPED:
            self.skipping = max(0, self.skipping - 1)
            return
        if self.skipping:
            return
        if tag in _BLOCKS:
            self.parts.append("\n\n")
        elif tag == "a" and self.links:
            href, start = self.links.pop()
            text = re.sub(r"\s+", " ", "".join(self.parts[start:])).strip()
            if href and text and text != href:
                target = href.replace(" ", "%20").replace("(", "%28").replace(")", "%29")
                label = text.replace("]", "\\]")
                self.parts[start:] = [f"[{label}]({target})"]
            elif href and not text:
                self.parts.append(href)

    def handle_data(self, data: str) -> None:
        if not self.skipping:
            self.parts.append(re.sub(r"\s+", " ", data))


def html_to_text(html: Any) -> str | None:
    """Plain text (Markdown lists and links) from an HTML description.
    Scripts, styles and embedded objects are dropped with their content,
    links keep http(s) and mailto targets only, and no ``<`` that could open
    a tag is left in the text."""
    if not isinstance(html, str) or not html.strip():
        return None
    extractor = _TextExtractor()
    extractor.feed(html)
    extractor.close()
    text = "".join(extractor.parts).replace("\xa0", " ")
    text = re.sub(r"[ \t]*\n[ \t]*", "\n", text)
    text = re.sub(r"[ \t]{2,}", " ", text)
    text = re.sub(r"\n{3,}", "\n\n", text).strip()
    text = re.sub(r"<(?=[A-Za-z/!?])", "&lt;", text)
    text = re.sub(r"(?i)\b(java|vb)script\s*:", r"\1script :", text)
    return text or None
