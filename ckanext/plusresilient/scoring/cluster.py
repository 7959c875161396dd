"""One cluster's datasets with their quality, for its downloadable report.

The datasets are those the caller finds with ``package_search``
(``include_private``), so the report holds exactly what the caller may see:
private datasets for the cluster's members, none of them for anyone else.
CKAN gives at most ``ckan.search.rows_max`` results a search (1,000 by
default), so the search is paged on that size: a large cluster is read whole,
never cut at the first page.

The figures of the datasets found are then read in one query per thousand
(as the search results' badges are, search.py): the stored score, band, MQA
points, failed indicators and freshness (as of that scoring: the verdict the
score counted, the search facet and the dashboard's late datasets show), and
the approved problem reports still open or acknowledged, per category (the
reports the community component counts, and that whoever may see the
dataset sees on its quality report). The ids come from the caller's own
search: nothing is read of a dataset it did not find.
"""
from __future__ import annotations

import collections
from typing import Any, Iterator, Sequence

import ckan.plugins.toolkit as tk
import sqlalchemy as sa
from ckan import model
from sqlalchemy.dialects.postgresql import JSONB

from ckanext.plusresilient import config
from ckanext.plusresilient.model.feedback import OPEN_STATUSES, Feedback
from ckanext.plusresilient.model.quality import Quality
from ckanext.plusresilient.quality.metadata import MAX_POINTS
from ckanext.plusresilient.timestamps import iso

__all__ = ["DEFAULT_PAGE", "cluster_datasets", "search_page_size"]

#: CKAN's own default for ``ckan.search.rows_max``.
DEFAULT_PAGE = 1000
#: Ids per ``IN`` list of the figures' queries.
QUERY_CHUNK = 1000
#: What the search returns of each dataset: the figures come from our tables.
SEARCH_FIELDS = ["id", "name", "title", "dataset_type", "capacity"]


def search_page_size() -> int:
    """The most results CKAN gives a search on this site."""
    value = tk.config.get("ckan.search.rows_max") or DEFAULT_PAGE
    return max(1, int(value))


def _found(user: str | None, organization_id: str) -> Iterator[dict[str, Any]]:
    """The cluster's datasets of the scored types the caller finds, by name,
    page after page until the search has given its count."""
    types = " OR ".join(f'"{name}"' for name in config.scored_types())
    search = tk.get_action("package_search")
    size = search_page_size()
    seen: set[str] = set()
    start = 0
    while True:
        result = search({"user": user or ""}, {
            "q": "", "fq": f'+dataset_type:({types}) +owner_org:"{organization_id}"',
            "fl": SEARCH_FIELDS, "rows": size, "start": start, "sort": "name asc",
            "include_private": True})
        page = result["results"]
        for item in page:
            if item["id"] not in seen:  # a dataset renamed between two pages
                seen.add(item["id"])
                yield item
        start += len(page)
        if not page or start >= result["count"]:
            return


def _chunks(ids: Sequence[str]) -> Iterator[Sequence[str]]:
    for begin in range(0, len(ids), QUERY_CHUNK):
        yield ids[begin:begin + QUERY_CHUNK]


#: The freshness verdict of the last scoring, taken out of the stored report
#: by PostgreSQL (the reports themselves, with every resource's, stay there).
_FRESHNESS = sa.cast(Quality.report, JSONB)["freshness"]


def _freshness(stored: Any) -> dict[str, Any] | None:
    """The status and the due date of a stored verdict (None before the
    first scoring that judged freshness)."""
    if not isinstance(stored, dict) or not stored.get("status"):
        return None
    return {"status": stored["status"], "expected_by": stored.get("expected_by")}


def _figures(ids: Sequence[str]) -> dict[str, Any]:
    """package id -> its stored quality row's figures (datasets never scored
    have none)."""
    figures = {}
    for chunk in _chunks(ids):
        rows = (model.Session.query(Quality.package_id, Quality.status, Quality.scored_at,
                                    Quality.overall_band, Quality.overall_score,
                                    Quality.metadata_points, Quality.failed_indicators,
                                    _FRESHNESS.label("freshness"))
                .filter(Quality.package_id.in_(chunk)))
        figures.update((row.package_id, row) for row in rows)
    return figures


def _open_reports(ids: Sequence[str]) -> dict[str, dict[str, int]]:
    """package id -> category -> approved problem reports still open or
    acknowledged (no entry for a dataset without any)."""
    reports: dict[str, dict[str, int]] = collections.defaultdict(dict)
    for chunk in _chunks(ids):
        rows = (Feedback.active()
                .filter(Feedback.package_id.in_(chunk), Feedback.kind == "report",
                        Feedback.moderation == "approved", Feedback.status.in_(OPEN_STATUSES))
                .with_entities(Feedback.package_id, Feedback.category, sa.func.count())
                .group_by(Feedback.package_id, Feedback.category))
        for package_id, category, count in rows:
            reports[package_id][category or "other"] = int(count)
    return reports


def cluster_datasets(user: str | None, organization_id: str) -> list[dict[str, Any]]:
    """What plusresilient_quality_cluster_report documents for each dataset,
    by name."""
    found = list(_found(user, organization_id))
    ids = [item["id"] for item in found]
    figures = _figures(ids)
    reports = _open_reports(ids)
    datasets = []
    for item in found:
        row = figures.get(item["id"])
        categories = reports.get(item["id"], {})
        scored = row is not None and row.overall_band is not None
        datasets.append({
            "id": item["id"],
            "name": item["name"],
            "title": item.get("title") or "",
            "type": item.get("dataset_type"),
            "private": item.get("capacity") == "private",
            "status": row.status if row is not None else "not_scored",
            "scored_at": iso(row.scored_at) if scored else None,
            "band": row.overall_band if scored else None,
            "score": row.overall_score if scored else None,
            "metadata_points": row.metadata_points if scored else None,
            "metadata_max_points": MAX_POINTS,
            "failed_indicators": list(row.failed_indicators or ()) if scored else [],
            "open_reports": sum(categories.values()),
            "open_report_categories": dict(sorted(categories.items())),
            "freshness": _freshness(row.freshness) if scored else None,
        })
    return datasets
