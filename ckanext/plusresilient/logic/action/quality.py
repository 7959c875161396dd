"""The quality actions: one dataset's annotation and its rescoring, and the
catalogue's figures (bands, trend, failing indicators)."""
from __future__ import annotations

from typing import Any

import ckan.plugins.toolkit as tk

from ckanext.plusresilient import config, jobs, labels, search
from ckanext.plusresilient.logic import schema
from ckanext.plusresilient.logic.lookup import dataset_or_not_found, organization_or_not_found
from ckanext.plusresilient.scoring import catalog, cluster
from ckanext.plusresilient.scoring.dataset import annotation, score_dataset

__all__ = [
    "plusresilient_quality_show",
    "plusresilient_quality_refresh",
    "plusresilient_quality_summary",
    "plusresilient_quality_trend",
    "plusresilient_quality_indicators",
    "plusresilient_quality_cluster_report",
]


@tk.side_effect_free
@tk.validate_action_data(schema.quality_show)
def plusresilient_quality_show(context: dict[str, Any], data_dict: dict[str, Any]) -> dict[str, Any]:
    """The quality annotation of a dataset.

    Anyone who may see the dataset may see it; for a dataset the caller may
    not see the answer is "not found", as for one that does not exist. The
    data reports' cell values, column labels and validator messages (the
    ``first_errors``, and the message of "schema" and "internal" errors) are
    given only to those who may edit the dataset: they quote the file, which
    is whatever its URL answered. Others get the figures and error types,
    and ``details_hidden`` true on each report where something was left out.

    :param id: the dataset's id or name
    :type id: string
    :param history: also return every past scoring (default false)
    :type history: bool

    :returns: ``{"package_id", "status": "not_scored" | "scored" | "error",
        "scored_at", "error", "overall", "metadata", "data": {"summary",
        "resources": [{"resource_id", "name", "url", "report"}]}, "links":
        {"summary", "statuses"}, "community", "freshness": {"status":
        "up_to_date" | "late" | "unknown", "frequency", "last_update",
        "last_update_source": "declared" | "portal", "expected_by", "reason"}}``
        (freshness as of the scoring; null in reports stored before it was
        judged), plus ``"history"``: a list of
        ``{scored_at, overall_score, overall_band, metadata_points, data_score,
        links_score, community_score}``, oldest first, when asked for. An
        "error" status keeps the figures of the last scoring that worked.
    :rtype: dictionary
    """
    try:
        tk.check_access("plusresilient_quality_show", context, data_dict)
    except tk.NotAuthorized:
        raise tk.ObjectNotFound(tk._("Dataset not found"))
    package = dataset_or_not_found(data_dict["id"])
    return annotation(package.id, with_history=data_dict["history"],
                      with_details=_may_edit(context, package.id))


def _may_edit(context: dict[str, Any], package_id: str) -> bool:
    """Whether the caller may edit the dataset (and so read what its files say)."""
    if context.get("ignore_auth"):
        return True
    try:
        tk.check_access("package_update", {"user": context.get("user"),
                                           "auth_user_obj": context.get("auth_user_obj")},
                        {"id": package_id})
    except tk.NotAuthorized:
        return False
    return True


@tk.validate_action_data(schema.quality_refresh)
def plusresilient_quality_refresh(context: dict[str, Any], data_dict: dict[str, Any]) -> dict[str, Any]:
    """Score a dataset again: in the background, or now.

    For whoever may edit the dataset (its organization's editors and admins,
    sysadmins).

    :param id: the dataset's id or name
    :type id: string
    :param wait: score now and return the annotation (default false: queue
        the job). The checks then take at most
        ``ckanext.plusresilient.quality.refresh_wait_seconds`` (20 s by
        default); links and resources not reached by then are reported as not
        checked (a refresh without ``wait``, which queues the background job
        and its longer budget, checks them)
    :type wait: bool

    :returns: with ``wait``, the annotation as ``plusresilient_quality_show``
        gives it; else ``{"package_id", "queued"}``, where ``queued`` is false
        when a job already waiting in the queue will score the dataset
    :rtype: dictionary
    """
    tk.check_access("plusresilient_quality_refresh", context, data_dict)
    package = dataset_or_not_found(data_dict["id"])
    if data_dict["wait"]:
        return score_dataset(package.id, budget_seconds=config.refresh_wait_seconds())
    return {"package_id": package.id, "queued": jobs.enqueue_scoring(package.id) is not None}


@tk.side_effect_free
@tk.validate_action_data(schema.quality_summary)
def plusresilient_quality_summary(context: dict[str, Any], data_dict: dict[str, Any]) -> dict[str, Any]:
    """How many datasets are in each quality band, overall and per group.

    Public. Counted from the search index, so each caller counts only the
    datasets they may see (private ones of their organizations included).
    Datasets of the scored types only (not harvest sources).

    :param by: group the counts by ``country``, ``region``,
        ``organization`` or ``harvest_source`` (optional)
    :type by: string
    :param organization: only this organization's datasets (id or name; optional)
    :type organization: string
    :param country: only these countries' datasets: a code, a comma-separated
        list or a repeated parameter (optional)
    :type country: string or list of strings

    :returns: ``{"by", "total", "bands": {"excellent", "good", "sufficient",
        "bad", "not_scored"}, "groups": [{"key", "label", "total", "bands"}]}``,
        groups by decreasing total (empty without ``by``)
    :rtype: dictionary
    """
    tk.check_access("plusresilient_quality_summary", context, data_dict)
    filters = _stats_filters(data_dict)
    return search.quality_summary(context.get("user"), data_dict.get("by"),
                                  organization_id=filters.organization_id,
                                  countries=filters.countries)


# Figures over the whole catalog on the datasets the caller could find by
# searching, private ones included: the trend from PostgreSQL's running sums
# (scoring/catalog.py), the bands and failing indicators from the index.

def _stats_filters(data_dict: dict[str, Any]) -> catalog.Filters:
    """``organization`` (id or name) and ``country`` (as in portal_list)."""
    organization_id = None
    if data_dict.get("organization") is not None:
        try:
            organization_id = organization_or_not_found(data_dict["organization"],
                                                        active_only=True).id
        except tk.ObjectNotFound as error:
            raise tk.ValidationError({"organization": [str(error.message)]}) from None
    return catalog.Filters(organization_id=organization_id, countries=tuple(data_dict["country"]))


@tk.side_effect_free
@tk.validate_action_data(schema.quality_trend)
def plusresilient_quality_trend(context: dict[str, Any], data_dict: dict[str, Any]) -> dict[str, Any]:
    """The catalog's quality over time, from every dataset's scoring history.

    Public, and counted only on the datasets the caller could find with
    ``package_search(include_private=True)``. Per period, each dataset counts
    with its latest scoring at or before the period's end (a dataset scored in
    January still counts in March). One period per day when the history spans
    at most 62 days, per ISO week up to two years, per month beyond; at most
    60 periods, the latest.

    :param organization: only this organization's datasets (id or name; optional)
    :type organization: string
    :param country: only these countries' datasets: a code, a comma-separated
        list or a repeated parameter (optional)
    :type country: string or list of strings

    :returns: ``{"granularity": "day" | "week" | "month" | null, "periods":
        [{"period", "start", "end", "datasets", "average", "bands":
        {"excellent", "good", "sufficient", "bad"}}]}``, oldest first;
        ``period`` is ISO 8601 (``2026-11-26``, ``2026-W48``, ``2026-11``),
        ``start`` and ``end`` its first and last day (UTC), ``average`` the
        mean overall score (null when nothing was scored by then); no
        granularity and no periods when nothing was ever scored
    :rtype: dictionary
    """
    tk.check_access("plusresilient_quality_trend", context, data_dict)
    return catalog.trend(catalog.visibility_of(context), _stats_filters(data_dict))


@tk.side_effect_free
@tk.validate_action_data(schema.quality_indicators)
def plusresilient_quality_indicators(context: dict[str, Any], data_dict: dict[str, Any]) -> dict[str, Any]:
    """The MQA indicators failed by the largest share of the catalog.

    Public, and counted by the search index on the datasets the caller can
    find (private ones of their organizations included), from the failed
    indicators of their current reports.

    :param limit: how many indicators (default 10, at most 50)
    :type limit: int
    :param organization: only this organization's datasets (id or name; optional)
    :type organization: string
    :param country: only these countries' datasets (optional, as for the trend)
    :type country: string or list of strings

    :returns: ``{"scored": n, "indicators": [{"key", "dimension", "label",
        "failed", "share", "points_lost"}]}``: ``scored`` datasets have a
        report, ``failed`` of them fail the indicator (``share`` = failed /
        scored), losing ``points_lost`` MQA points in all; by share, then
        points lost; ``label`` in the request's language; indicators nobody
        fails are left out
    :rtype: dictionary
    """
    tk.check_access("plusresilient_quality_indicators", context, data_dict)
    filters = _stats_filters(data_dict)
    result = search.failing_indicators(context.get("user"), data_dict["limit"],
                                       organization_id=filters.organization_id,
                                       countries=filters.countries)
    for indicator in result["indicators"]:
        indicator["label"] = labels.indicator_label(indicator.get("key"), indicator.get("label", ""))
    return result


@tk.side_effect_free
@tk.validate_action_data(schema.quality_cluster_report)
def plusresilient_quality_cluster_report(context: dict[str, Any], data_dict: dict[str, Any]) -> dict[str, Any]:
    """One cluster's datasets with their quality, for its report.

    Public, and listing only the datasets the caller finds with
    ``package_search(include_private=True)``: a cluster's private datasets
    to its members (and sysadmins), none of them to anyone else. Every
    dataset is listed, however many: the search is paged on
    ``ckan.search.rows_max``.

    :param organization: the cluster (organization) id or name
    :type organization: string

    :returns: ``{"organization": {"id", "name", "title"}, "count",
        "datasets": [{"id", "name", "title", "type", "private", "status":
        "not_scored" | "scored" | "error", "scored_at", "band", "score",
        "metadata_points", "metadata_max_points", "failed_indicators": [key],
        "open_reports", "open_report_categories": {category: count},
        "freshness": {"status", "expected_by"} | null}]}``,
        by name; ``band``, ``score``, ``metadata_points`` and ``scored_at``
        are null for a dataset never scored; ``failed_indicators`` are MQA
        indicator keys (``plusresilient_quality_indicators`` labels them);
        ``open_reports`` counts the approved problem reports still open or
        acknowledged, by category in ``open_report_categories``;
        ``freshness`` is the verdict of the last scoring (``up_to_date``,
        ``late``, ``unknown``) and when the next update was due then
    :rtype: dictionary
    """
    tk.check_access("plusresilient_quality_cluster_report", context, data_dict)
    organization = organization_or_not_found(data_dict["organization"], active_only=True)
    datasets = cluster.cluster_datasets(context.get("user"), organization.id)
    return {"organization": {"id": organization.id, "name": organization.name,
                             "title": organization.title or organization.name},
            "count": len(datasets), "datasets": datasets}
