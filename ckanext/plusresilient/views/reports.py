"""Downloadable quality reports: the ``/quality`` dashboard's tables, and one
cluster's datasets, as CSV and JSON.

Every figure comes from the same actions the pages call, called as the
visitor, so a download holds exactly what its page shows them and nothing of
what they may not see. The dashboard's files take the page's own filters
(``?country=…&organization=…``, :class:`~.dashboard.PageFilters`): the page's
links carry its query string. The files' shape is in views/report_files.py.

Routes:

- ``/quality/report.json``: every table of the dashboard in one document;
- ``/quality/report/<table>.csv`` (or ``.json``): one table, where
  ``<table>`` is one of :data:`DASHBOARD_TABLES`;
- ``/quality/cluster/<id>/datasets.csv`` (or ``.json``): a cluster's datasets
  with band, score, MQA points, indicators failed, open reports and
  freshness (plusresilient_quality_cluster_report).

A single table is computed with the others (the summaries share one search,
search.py), so its rows are the page's to the digit.
"""
from __future__ import annotations

import datetime
from typing import Any, Callable, Mapping

import ckan.plugins.toolkit as tk
from flask import Blueprint, Response

from ckanext.plusresilient import labels, vocabularies
from ckanext.plusresilient.quality.metadata import MAX_POINTS
from ckanext.plusresilient.quality.score import BAND_THRESHOLDS
from ckanext.plusresilient.scoring.dataset import BANDS
from ckanext.plusresilient.timestamps import utcnow
from ckanext.plusresilient.views.dashboard import GROUPINGS, Grouping, PageFilters, late_datasets
from ckanext.plusresilient.views.report_files import (
    Column,
    Table,
    attachment_name,
    csv_bytes,
    json_bytes,
)

reports = Blueprint("plusresilient_reports", __name__)

#: The formats a download is offered in, with their media types.
MEDIA_TYPES = {"csv": "text/csv; charset=utf-8", "json": "application/json; charset=utf-8"}
#: Several codes of one cell (indicators failed, report categories) in a CSV.
LIST_SEPARATOR = "; "


# -- the dashboard's tables ------------------------------------------------------------

def _band_columns() -> list[Column]:
    return [*(Column(band, labels.band_label(band)) for band in BANDS),
            Column("not_scored", labels.band_label(None))]


def _bands_table(summary: Mapping[str, Any]) -> Table:
    """The bands, each with its score range and its datasets (the intro's table)."""
    rows: list[dict[str, Any]] = []
    upper = None
    for lower, band in BAND_THRESHOLDS:
        rows.append({"key": band, "label": labels.band_label(band), "score_from": round(lower, 1),
                     "score_below": None if upper is None else round(upper, 1),
                     "datasets": summary["bands"][band]})
        upper = lower
    rows.append({"key": "not_scored", "label": labels.band_label(None), "score_from": None,
                 "score_below": None, "datasets": summary["bands"]["not_scored"]})
    return Table("bands", tk._("The quality bands"), [
        Column("key", tk._("Code")), Column("label", tk._("Band")),
        Column("score_from", tk._("Score from")), Column("score_below", tk._("Score below")),
        Column("datasets", tk._("Datasets")),
    ], rows)


def _table_name(grouping: Grouping) -> str:
    """"by-cluster": the name of its chart on the page ("bands-by-cluster")."""
    return grouping.chart.removeprefix("bands-")


def _grouping_table(grouping: Grouping, summary: Mapping[str, Any]) -> Table:
    """One grouping's bands per group, in the page's order."""
    rows = [{"key": group["key"], "label": group["label"], **group["bands"], "total": group["total"]}
            for group in summary["groups"]]
    return Table(_table_name(grouping), grouping.title(), [
        Column("key", tk._("Code")), Column("label", grouping.column()),
        *_band_columns(), Column("total", tk._("Total")),
    ], rows)


def _trend_table(trend: Mapping[str, Any]) -> Table:
    """The periods, oldest first; the average with the page's one decimal."""
    rows = [{"period": period["period"], "start": period["start"], "end": period["end"],
             "datasets": period["datasets"],
             "average": None if period["average"] is None else round(period["average"], 1),
             **period["bands"]} for period in trend["periods"]]
    return Table("trend", tk._("Over time"), [
        Column("period", tk._("Period")), Column("start", tk._("First day")),
        Column("end", tk._("Last day")), Column("datasets", tk._("Datasets scored")),
        Column("average", tk._("Average score")),
        *(Column(band, labels.band_label(band)) for band in BANDS),
    ], rows)


def _indicators_table(indicators: Mapping[str, Any]) -> Table:
    """The indicators failed most, the share in percent with the page's one decimal."""
    rows = [{"key": item["key"], "label": item["label"],
             "dimension": labels.dimension_label(item["dimension"]),
             "failed": item["failed"], "scored": indicators["scored"],
             "share": round(item["share"] * 100, 1), "points_lost": item["points_lost"]}
            for item in indicators["indicators"]]
    return Table("indicators", tk._("Indicators failed most"), [
        Column("key", tk._("Code")), Column("label", tk._("Indicator")),
        Column("dimension", tk._("Dimension")), Column("failed", tk._("Datasets failing")),
        Column("scored", tk._("Scored datasets")), Column("share", tk._("Share failing (%)")),
        Column("points_lost", tk._("MQA points lost")),
    ], rows)


def _late_table(late: Mapping[str, Any]) -> Table:
    """The late datasets the page lists (the most overdue), as it lists them."""
    lang = labels.current_language()
    frequencies = vocabularies.get("frequencies")
    rows = []
    for dataset in late["datasets"]:
        verdict = dataset.get("freshness") or {}
        organization = dataset.get("organization") or {}
        rows.append({
            "name": dataset["name"], "title": dataset.get("title") or dataset["name"],
            "cluster": organization.get("title") or "",
            "frequency": (frequencies.label(verdict["frequency"], lang)
                          if verdict.get("frequency") else None),
            "last_update": verdict.get("last_update"), "expected_by": verdict.get("expected_by"),
        })
    return Table("late", tk._("Late datasets"), [
        Column("name", tk._("Name")), Column("title", tk._("Dataset")),
        Column("cluster", tk._("Cluster")), Column("frequency", tk._("Update frequency")),
        Column("last_update", tk._("Last update")), Column("expected_by", tk._("Expected by")),
    ], rows)


def dashboard_tables(filters: PageFilters) -> list[Table]:
    """Every table of ``/quality`` for these filters, as the page computes
    them: the same actions with the same parameters, as the visitor.
    A bad filter is the actions' ValidationError."""
    params = filters.action_params()
    summary = tk.get_action("plusresilient_quality_summary")
    by_grouping = {grouping.by: summary({}, dict(params, by=grouping.by)) for grouping in GROUPINGS}
    trend = tk.get_action("plusresilient_quality_trend")({}, dict(params))
    indicators = tk.get_action("plusresilient_quality_indicators")({}, dict(params))
    late = late_datasets(filters)
    return [
        _bands_table(by_grouping[GROUPINGS[0].by]),
        *(_grouping_table(grouping, by_grouping[grouping.by]) for grouping in GROUPINGS),
        _trend_table(trend),
        _indicators_table(indicators),
        _late_table(late),
    ]


#: The names of the dashboard's tables, in the page's order (a URL's ``<table>``).
DASHBOARD_TABLES = ("bands", *(_table_name(grouping) for grouping in GROUPINGS),
                    "trend", "indicators", "late")


# -- one cluster's datasets --------------------------------------------------------------

def _categories(counts: Mapping[str, int]) -> str:
    """"Broken link: 2; Outdated: 1", in the order of the report form."""
    order = list(labels.FEEDBACK_CATEGORIES)
    ranked = sorted(counts, key=lambda code: order.index(code) if code in order else len(order))
    return LIST_SEPARATOR.join(f"{labels.label_of(labels.FEEDBACK_CATEGORIES, code)}: {counts[code]}"
                               for code in ranked)


def _dataset_url(dataset: Mapping[str, Any]) -> str:
    return tk.h.url_for(f"{dataset.get('type') or 'dataset'}.read", id=dataset["name"],
                        qualified=True)


def cluster_table(report: Mapping[str, Any]) -> Table:
    """A cluster's datasets: what a person reads in the CSV, and in the JSON
    the codes beside the words (``in_csv=False`` columns)."""
    rows = []
    for dataset in report["datasets"]:
        freshness = dataset.get("freshness")
        rows.append({
            "name": dataset["name"], "title": dataset["title"], "url": _dataset_url(dataset),
            "band": labels.band_label(dataset["band"]), "band_code": dataset["band"],
            "score": dataset["score"], "metadata_points": dataset["metadata_points"],
            "failed_indicators": [labels.indicator_label(key, key)
                                  for key in dataset["failed_indicators"]],
            "failed_indicator_codes": dataset["failed_indicators"],
            "open_reports": dataset["open_reports"],
            "open_report_categories": _categories(dataset["open_report_categories"]),
            "open_report_category_codes": dataset["open_report_categories"],
            "freshness": labels.label_of(labels.FRESHNESS, freshness["status"]) if freshness else None,
            "freshness_code": freshness["status"] if freshness else None,
            "expected_by": freshness["expected_by"] if freshness else None,
            "scored_at": dataset["scored_at"], "status": dataset["status"],
            "private": dataset["private"],
        })
    title = tk._("Datasets of {cluster}").format(cluster=report["organization"]["title"])
    return Table("datasets", title, [
        Column("name", tk._("Name")), Column("title", tk._("Title")), Column("url", tk._("URL")),
        Column("band", tk._("Band")), Column("band_code", tk._("Band code"), in_csv=False),
        Column("score", tk._("Overall score")),
        Column("metadata_points", tk._("Metadata points (of {max})").format(max=MAX_POINTS)),
        Column("failed_indicators", tk._("Indicators failed")),
        Column("failed_indicator_codes", tk._("Indicator codes"), in_csv=False),
        Column("open_reports", tk._("Open reports")),
        Column("open_report_categories", tk._("Open reports by category")),
        Column("open_report_category_codes", tk._("Open reports by category code"), in_csv=False),
        Column("freshness", tk._("Freshness")),
        Column("freshness_code", tk._("Freshness code"), in_csv=False),
        Column("expected_by", tk._("Next update expected by")),
        Column("scored_at", tk._("Scored at")),
        Column("status", tk._("Scoring status"), in_csv=False),
        Column("private", tk._("Private"), in_csv=False),
    ], rows)


# -- responses ---------------------------------------------------------------------------

def _file(body: bytes, fmt: str, name_parts: list[str]) -> Response:
    """The file as an attachment named with today's date; never cached by a
    shared cache, since it holds what this visitor may see."""
    today = utcnow().date()
    response = Response(body, mimetype=MEDIA_TYPES[fmt].split(";")[0])
    response.headers["Content-Type"] = MEDIA_TYPES[fmt]
    response.headers["Content-Disposition"] = (
        f'attachment; filename="{attachment_name(name_parts, today, fmt)}"')
    response.headers["Cache-Control"] = "private, no-store"
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


def _json(report: str, tables: list[Table], filters: Mapping[str, Any],
          extra: Mapping[str, Any] | None = None) -> bytes:
    return json_bytes(report, tables, language=labels.current_language(), filters=filters,
                      generated_at=utcnow().replace(microsecond=0, tzinfo=datetime.timezone.utc),
                      extra=extra)


def _checked_format(fmt: str) -> str:
    if fmt not in MEDIA_TYPES:
        tk.abort(404, tk._("There is no such download."))
    return fmt


def _tables_or_400(filters: PageFilters) -> list[Table]:
    try:
        return dashboard_tables(filters)
    except tk.ValidationError as error:
        return tk.abort(400, "; ".join(f"{field}: {' '.join(messages)}"
                                       for field, messages in error.error_dict.items()))


def _filter_parts(filters: PageFilters) -> list[str]:
    return [part for part in (filters.country.upper(), filters.organization) if part]


@reports.route("/quality/report.json")
def dashboard_document() -> Response:
    """Every table of the dashboard, for the page's filters, in one JSON document."""
    filters = PageFilters.from_request()
    tables = _tables_or_400(filters)
    return _file(_json("quality-dashboard", tables, filters.action_params()), "json",
                 ["quality", *_filter_parts(filters)])


@reports.route("/quality/report/<table>.<fmt>")
def dashboard_file(table: str, fmt: str) -> Response:
    """One table of the dashboard, for the page's filters."""
    _checked_format(fmt)
    if table not in DASHBOARD_TABLES:
        return tk.abort(404, tk._("There is no such download."))
    filters = PageFilters.from_request()
    chosen = next(item for item in _tables_or_400(filters) if item.name == table)
    body = (csv_bytes(chosen) if fmt == "csv"
            else _json("quality-dashboard", [chosen], filters.action_params()))
    return _file(body, fmt, ["quality", table, *_filter_parts(filters)])


@reports.route("/quality/cluster/<id>/datasets.<fmt>")
def cluster_file(id: str, fmt: str) -> Response:
    """A cluster's datasets with their quality: those the visitor may see."""
    _checked_format(fmt)
    try:
        report = tk.get_action("plusresilient_quality_cluster_report")({}, {"organization": id})
    except (tk.ObjectNotFound, tk.NotAuthorized, tk.ValidationError):
        return tk.abort(404, tk._("Organization not found"))
    table = cluster_table(report)
    organization = report["organization"]
    body = (csv_bytes(table) if fmt == "csv"
            else _json("cluster-datasets", [table], {"organization": organization["name"]},
                       extra={"organization": organization}))
    return _file(body, fmt, ["quality", organization["name"]])


@reports.app_context_processor
def _template_functions() -> dict[str, Any]:
    """For the dashboard's download menu: a template function of this
    blueprint, not a template helper, because helpers.py sits below the views
    and may not import them (ARCHITECTURE.md)."""
    return {"plusresilient_dashboard_downloads": download_links}


def download_links(filters: PageFilters) -> dict[str, Any]:
    """The dashboard's download links for these filters: a JSON of every
    table, and each table's CSV with its title (for the page's menu)."""
    params: Mapping[str, str] = filters.action_params()
    titles: dict[str, Callable[[], str]] = {
        "bands": lambda: tk._("The quality bands"),
        **{_table_name(grouping): grouping.title for grouping in GROUPINGS},
        "trend": lambda: tk._("Over time"),
        "indicators": lambda: tk._("Indicators failed most"),
        "late": lambda: tk._("Late datasets"),
    }
    return {
        "json": tk.h.url_for("plusresilient_reports.dashboard_document", **params),
        "tables": [{"name": name, "title": titles[name](),
                    "csv": tk.h.url_for("plusresilient_reports.dashboard_file", table=name,
                                        fmt="csv", **params)}
                   for name in DASHBOARD_TABLES],
    }
