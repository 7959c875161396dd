"""The home page's four blocks: the platform functions the +RESILIENT study
asked for, each with a live figure and a way in.

The figures come from the search index and the portal directory through the
same actions the pages use, so each visitor counts only what they may see.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import ckan.plugins.toolkit as tk

from ckanext.plusresilient import portals as directory

TYPES = ("dataset", "use-case", "training")


@dataclass(frozen=True)
class PlatformFunction:
    """One block: what the function is for, its figure and its page."""

    key: str
    title: str
    text: str
    figure: str
    url: str
    link_label: str


def _counts_by_type() -> dict[str, int]:
    result = tk.get_action("package_search")({}, {
        "q": "", "rows": 0, "include_private": True,
        "fq": "+dataset_type:(" + " OR ".join(f'"{name}"' for name in TYPES) + ")",
        "facet": "true", "facet.field": ["dataset_type"], "facet.limit": -1,
    })
    counts = result.get("facets", {}).get("dataset_type", {})
    return {name: int(counts.get(name, 0)) for name in TYPES}


def _harvested_count() -> int:
    result = tk.get_action("package_search")({}, {
        "q": "", "rows": 0, "include_private": True,
        "fq": '+dataset_type:"dataset" +harvest_source_id:[* TO *]',
    })
    return int(result["count"])


def _good_share(summary: dict[str, Any]) -> int | None:
    bands = summary.get("bands", {})
    scored = sum(count for band, count in bands.items() if band != "not_scored")
    if not scored:
        return None
    good = bands.get("excellent", 0) + bands.get("good", 0)
    return round(100 * good / scored)


def _portals_figure(portals: list[directory.Portal], harvested: int) -> str:
    directory_part = tk._("{portals} portals in {countries} countries").format(
        portals=len(portals), countries=len({portal.country for portal in portals}))
    harvested_part = tk.ungettext("{count} dataset harvested", "{count} datasets harvested",
                                  harvested).format(count=harvested)
    return f"{directory_part}, {harvested_part}"


def platform_functions() -> list[PlatformFunction]:
    """The four blocks, in the order of the study: quality, portals,
    training, use cases."""
    counts = _counts_by_type()
    portals = directory.load()
    summary = tk.get_action("plusresilient_quality_summary")({}, {})
    scored = summary["total"] - summary["bands"].get("not_scored", 0)
    share = _good_share(summary)
    if share is None:
        quality_figure = tk._("No dataset scored yet")
    else:
        # two messages: flask-babel's plural messages are %-formatted, and "%" is in this one
        quality_figure = "{scored}, {share}".format(
            scored=tk.ungettext("{count} dataset scored", "{count} datasets scored",
                                scored).format(count=scored),
            share=tk._("{share}% good or excellent").format(share=share))
    return [
        PlatformFunction(
            key="quality",
            title=tk._("Understanding and contributing to the quality of data"),
            text=tk._("Every dataset is scored with the data.europa.eu method and checked "
                      "file by file; rate datasets and report problems to their publishers."),
            figure=quality_figure,
            url=tk.url_for("plusresilient_dashboard.index"),
            link_label=tk._("See the quality dashboard"),
        ),
        PlatformFunction(
            key="portals",
            title=tk._("Links to existing open data resources"),
            text=tk._("The national and regional open data portals of the Mediterranean "
                      "countries, and the datasets harvested from them."),
            figure=_portals_figure(portals, _harvested_count()),
            url=tk.url_for("plusresilient_portals.index"),
            link_label=tk._("Browse the portals"),
        ),
        PlatformFunction(
            key="training",
            title=tk._("Awareness raising on open data, including training formats"),
            text=tk._("Courses, webinars, guides and toolkits on finding, judging and "
                      "using open data, for social enterprises and their partners."),
            figure=tk.ungettext("{count} training item", "{count} training items",
                                counts["training"]).format(count=counts["training"]),
            url=tk.url_for("training.search"),
            link_label=tk._("Find training"),
        ),
        PlatformFunction(
            key="use-cases",
            title=tk._("Examples of open data in social innovation"),
            text=tk._("How open data was used to design, implement and evaluate social "
                      "innovations, with the datasets each one used."),
            figure=tk.ungettext("{count} use case", "{count} use cases",
                                counts["use-case"]).format(count=counts["use-case"]),
            url=tk.url_for("plusresilient_showcase.use_cases"),
            link_label=tk._("Read the use cases"),
        ),
    ]
