"""``/quality``: the quality of the whole catalog, for data officers and the
social enterprises who reuse the data.

Every figure comes from an action, called as the visitor, so the page shows
exactly what the API would give them and nothing of what they may not see.
The view only arranges the answers for the template: labels, search links
and the bands' meaning.
"""
from __future__ import annotations

import dataclasses
from typing import Any, Callable

import ckan.plugins.toolkit as tk
from flask import Blueprint

from ckanext.plusresilient import config, search
from ckanext.plusresilient.quality.freshness import LATE, assess as assess_freshness
from ckanext.plusresilient.scoring.dataset import BANDS, FRESHNESS_DUE_FIELD, FRESHNESS_FIELD
from ckanext.plusresilient.quality.score import BAND_THRESHOLDS
from ckanext.plusresilient.timestamps import utcnow

dashboard = Blueprint("plusresilient_dashboard", __name__)

#: The search field that filters datasets by band (see search.py).
BAND_PARAM = "plusresilient_quality_band"
#: The external explanation of the metadata score.
MQA_METHOD_URL = "https://data.europa.eu/mqa/methodology"


@dataclasses.dataclass(frozen=True)
class Grouping:
    """One table and chart of bands: which summary, which search filter, and
    its texts (whole sentences, so each language can word them its own way)."""

    by: str            # ``by`` of plusresilient_quality_summary
    chart: str         # ``data-chart`` of its figure (a fixed contract)
    search_param: str  # the dataset search filter for one group
    title: Callable[[], str]
    column: Callable[[], str]
    caption: Callable[[], str]
    chart_label: Callable[[], str]
    empty: Callable[[], str]


GROUPINGS = (
    Grouping("country", "bands-by-country", "vocab_country",
             title=lambda: tk._("By country"), column=lambda: tk._("Country"),
             caption=lambda: tk._("Datasets in each quality band, per country"),
             chart_label=lambda: tk._("Stacked bar chart: the datasets of each country by "
                                      "quality band. The table below gives the same figures."),
             empty=lambda: tk._("No dataset names a country yet.")),
    Grouping("region", "bands-by-region", "vocab_region",
             title=lambda: tk._("By region (NUTS 2)"), column=lambda: tk._("Region"),
             caption=lambda: tk._("Datasets in each quality band, per region"),
             chart_label=lambda: tk._("Stacked bar chart: the datasets of each region by "
                                      "quality band. The table below gives the same figures."),
             empty=lambda: tk._("No dataset names a region yet.")),
    Grouping("organization", "bands-by-cluster", "organization",
             title=lambda: tk._("By cluster"), column=lambda: tk._("Cluster"),
             caption=lambda: tk._("Datasets in each quality band, per cluster"),
             chart_label=lambda: tk._("Stacked bar chart: the datasets of each cluster by "
                                      "quality band. The table below gives the same figures."),
             empty=lambda: tk._("No dataset belongs to a cluster yet.")),
    Grouping("harvest_source", "bands-by-source", search.HARVEST_SOURCES_FIELD,
             title=lambda: tk._("By harvest source"), column=lambda: tk._("Harvest source"),
             caption=lambda: tk._("Datasets in each quality band, per harvest source"),
             chart_label=lambda: tk._("Stacked bar chart: the datasets of each harvest source "
                                      "by quality band. The table below gives the same figures."),
             empty=lambda: tk._("No dataset was harvested yet.")),
)

GRANULARITY_LABELS = {
    "day": lambda: tk._("one point per day"),
    "week": lambda: tk._("one point per ISO week"),
    "month": lambda: tk._("one point per month"),
}


def _search_links(param: str, key: str, narrowing: dict[str, str]) -> dict[str, str]:
    """The dataset search for one group (within the page's filters): in all,
    and per band (datasets not scored yet have no field to filter on, so no
    link)."""
    group = {**narrowing, param: key}
    links = {"total": tk.h.url_for("dataset.search", **group)}
    for band in BANDS:
        links[band] = tk.h.url_for("dataset.search", **group, **{BAND_PARAM: band})
    return links


@dataclasses.dataclass(frozen=True)
class PageFilters:
    """The page's narrowing: one country, one cluster (organization name)."""

    country: str = ""
    organization: str = ""

    @classmethod
    def from_request(cls) -> "PageFilters":
        args = tk.request.args
        return cls(country=(args.get("country") or "").strip(),
                   organization=(args.get("organization") or "").strip())

    def action_params(self) -> dict[str, str]:
        """For the actions, which check them (a bad value is a ValidationError)."""
        params = {}
        if self.country:
            params["country"] = self.country
        if self.organization:
            params["organization"] = self.organization
        return params

    def search_params(self) -> dict[str, str]:
        """The same narrowing as dataset search filters."""
        params = {}
        if self.country:
            params["vocab_country"] = self.country.upper()
        if self.organization:
            params["organization"] = self.organization
        return params


def _filter_choices(filters: PageFilters, results: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """The countries and clusters to narrow to: those the summaries found
    (within the current narrowing; "all" widens it again)."""
    def choices(by: str) -> list[dict[str, str]]:
        return sorted(({"value": group["key"], "label": group["label"]} for group in results[by]["groups"]),
                      key=lambda choice: choice["label"].lower())
    return {"countries": choices("country"), "organizations": choices("organization"),
            "selected": filters}


def _band_limits() -> list[dict[str, Any]]:
    """Each band's score range, best first, from the scorer's own thresholds."""
    limits = []
    upper = None
    for lower, band in BAND_THRESHOLDS:
        limits.append({"band": band, "from": round(lower, 1),
                       "below": None if upper is None else round(upper, 1)})
        upper = lower
    return limits


def _example_report() -> dict[str, Any] | None:
    """The best-scored dataset the visitor may see, to show what a report
    looks like (search applies the visitor's permissions)."""
    result = tk.get_action("package_search")({}, {
        "q": "", "fq": f"{BAND_PARAM}:[* TO *]", "rows": 1,
        "sort": "plusresilient_quality_score desc", "include_private": True})
    return result["results"][0] if result["results"] else None


#: Late datasets listed on the page; the search link lists them all.
LATE_SHOWN = 10


def late_datasets(filters: PageFilters) -> dict[str, Any]:
    """The late datasets the visitor may see (their search, their
    permissions), within the page's narrowing, most overdue first."""
    types = " OR ".join(f'"{name}"' for name in config.scored_types())
    fq = f"+{FRESHNESS_FIELD}:{LATE} +dataset_type:({types})"
    if filters.country:
        fq += f' +vocab_country:"{filters.country.upper()}"'
    if filters.organization:
        fq += f' +organization:"{filters.organization}"'
    found = tk.get_action("package_search")({}, {
        "q": "", "fq": fq, "rows": LATE_SHOWN, "sort": f"{FRESHNESS_DUE_FIELD} asc",
        "include_private": True})
    now = utcnow()
    return {
        "count": found["count"],
        "datasets": [dict(dataset, freshness=assess_freshness(dataset, now).to_dict())
                     for dataset in found["results"]],
        "link": tk.h.url_for("dataset.search", **filters.search_params(), **{FRESHNESS_FIELD: LATE}),
    }


@dashboard.route("/quality")
def index() -> str:
    """Bands per country, region, cluster and harvest source, the trend and
    the failing indicators, each chart drawn from the table it stands on."""
    filters = PageFilters.from_request()
    params, narrowing = filters.action_params(), filters.search_params()
    summary = tk.get_action("plusresilient_quality_summary")
    try:
        results = {grouping.by: summary({}, dict(params, by=grouping.by)) for grouping in GROUPINGS}
    except tk.ValidationError as error:
        return tk.abort(400, "; ".join(f"{field}: {' '.join(messages)}"
                                       for field, messages in error.error_dict.items()))
    groupings = [{
        "grouping": grouping,
        "groups": [dict(group, links=_search_links(grouping.search_param, group["key"], narrowing))
                   for group in results[grouping.by]["groups"]],
    } for grouping in GROUPINGS]
    overall = results[GROUPINGS[0].by]  # every grouping counts the same datasets in all
    trend = tk.get_action("plusresilient_quality_trend")({}, dict(params))
    indicators = tk.get_action("plusresilient_quality_indicators")({}, dict(params))
    return tk.render("plusresilient/quality_dashboard.html", extra_vars={
        "total": overall["total"],
        "filters": _filter_choices(filters, results),
        "bands": overall["bands"],
        "band_order": list(BANDS),
        "band_links": {band: tk.h.url_for("dataset.search", **narrowing, **{BAND_PARAM: band})
                       for band in BANDS},
        "band_limits": _band_limits(),
        "groupings": groupings,
        "trend": trend,
        "granularity_label": GRANULARITY_LABELS[trend["granularity"]]() if trend["granularity"] else "",
        "indicators": indicators,
        "example": _example_report() if overall["total"] else None,
        "late": late_datasets(filters) if overall["total"] else None,
        "mqa_method_url": MQA_METHOD_URL,
    })
