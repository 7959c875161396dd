"""Scoring one dataset inside CKAN: what the pure core needs, and where its verdict goes.

The core (:mod:`ckanext.plusresilient.quality`) judges a dataset dict; this
module feeds it and keeps what it says:

1. the dataset as ``package_show`` gives it (our schema's output, so a
   resource's Table Schema is already an object);
2. its links: a stored result younger than
   ``ckanext.plusresilient.quality.link_max_age_hours`` is reused, the rest
   are checked through the suite's guarded HTTP client and stored, once per
   URL for all datasets;
3. its tabular resources checked within the configured limits (nothing of
   their content is kept but the table preview, :mod:`.preview`);
4. the community component, from the feedback tables: approved ratings and
   open approved quality reports (None when there are none);
5. the metadata score, the freshness and the overall score, stored as the current row plus a
   history row, then the dataset is reindexed so Solr carries band and score.

Bad resources never raise here: the core turns them into "error" reports. A
failure on the CKAN side (the database, the search index) is stored as the
row's status "error" with its message, keeping the last figures computed, so
the badge does not vanish because Solr hiccuped once.

A time budget, when given, is shared by the whole dataset: links first (they
carry 80 metadata points), then data checks while time is left; what is not
reached is "not checked yet" (links) or "skipped" kind "timeout" (data), which
the scores leave out instead of counting as failures.
"""
from __future__ import annotations

import dataclasses
import datetime
import json
import logging
import math
import time
from typing import Any, Iterable, Mapping

import ckan.plugins.toolkit as tk
import sqlalchemy as sa
from ckan import model
try:  # CKAN >= 2.12 indexes a dataset from dicts its caller already read
    from ckan.logic import index_update_package_dicts, package_show_default_and_custom_schemas
except ImportError:  # pragma: no cover - CKAN 2.11
    index_update_package_dicts = package_show_default_and_custom_schemas = None
from sqlalchemy.dialects.postgresql import insert as pg_insert

from ckanext.plusresilient import config
from ckanext.plusresilient.model.feedback import Feedback
from ckanext.plusresilient.model.quality import (
    MAX_STORED_URL,
    LinkCheck,
    Quality,
    QualityHistory,
    link_check_table,
    quality_table,
)
from ckanext.plusresilient.quality.data import (
    DataLimits,
    DataReport,
    check_data,
    public_report,
    tabular_format,
)
from ckanext.plusresilient.quality.freshness import assess as assess_freshness
from ckanext.plusresilient.quality.interruptions import is_interruption
from ckanext.plusresilient.quality.links import DEFAULT_WORKERS, LINK_TIMEOUT, LinkStatus, check_links
from ckanext.plusresilient.quality.metadata import MAX_POINTS, score_metadata
from ckanext.plusresilient.quality.score import (
    DataSummary,
    LinkSummary,
    overall_score,
)
from ckanext.plusresilient.safe_http import SafeSession
from ckanext.plusresilient.scoring import preview
from ckanext.plusresilient.scoring.outages import database_lost
from ckanext.plusresilient.timestamps import iso, utcnow

__all__ = [
    "BANDS",
    "FAILED_INDICATORS_FIELD",
    "FRESHNESS_DUE_FIELD",
    "FRESHNESS_FIELD",
    "annotation",
    "badges",
    "failed_indicators",
    "history",
    "recheck_links",
    "score_dataset",
    "scored_dataset_ids",
]

log = logging.getLogger(__name__)

#: The overall bands, best first (the values of plusresilient_quality_band).
BANDS = ("excellent", "good", "sufficient", "bad")
#: The Solr field of the keys of the MQA indicators a dataset fails (multi-valued,
#: in CKAN's own schema as vocab_*), which the catalogue's figures facet on.
FAILED_INDICATORS_FIELD = "vocab_quality_failed_indicators"
#: The Solr fields of the freshness as of the last scoring: its status, and
#: the moment the next update is due (a date field: queried against NOW).
FRESHNESS_FIELD = "plusresilient_freshness"
FRESHNESS_DUE_FIELD = "plusresilient_freshness_due_date"
#: Links checked between two looks at the clock.
LINK_BATCH = 2 * DEFAULT_WORKERS
#: A data check is not started with less time than this left.
MIN_CHECK_SECONDS = 1.0


def scored_dataset_ids() -> list[str]:
    """Every active dataset of a scored type, by name."""
    rows = (model.Session.query(model.Package.id)
            .filter(model.Package.state == "active", model.Package.type.in_(config.scored_types()))
            .order_by(model.Package.name))
    return [row.id for row in rows]


# -- scoring -----------------------------------------------------------------------------

def score_dataset(package_id: str, *, with_links: bool = True, with_data: bool = True,
                  budget_seconds: float | None = None,
                  defer_index_commit: bool = False) -> dict[str, Any] | None:
    """Score one dataset (id or name), store and index the result.

    ``with_links`` False checks no link: stored results are used whatever
    their age. ``with_data`` False downloads nothing: the previous reports of
    resources whose URL did not change are kept.
    ``defer_index_commit`` leaves the Solr commit to the caller (a batch).
    Returns the annotation as ``plusresilient_quality_show`` gives it, or
    None when there is no such dataset (or it was deleted). A lost database
    connection is raised, not stored as the dataset's error
    (``outages.database_lost``): the scoring jobs score again once it answers.
    """
    deadline = None if budget_seconds is None else time.monotonic() + budget_seconds
    try:
        both = _package_dicts(package_id)
    except tk.ObjectNotFound:
        return None
    dataset = both[1]
    if dataset.get("state") == "deleted":
        return None
    package_id = dataset["id"]
    try:
        report = _assess(dataset, with_links, with_data, deadline)
        _store(package_id, report)
        if preview.changed_flags(dataset.get("resources") or [], report["data"]["resources"]):
            both = _package_dicts(package_id)  # what was read says no table, or one too many
        _reindex(package_id, defer_index_commit, both)
    except Exception as error:  # noqa: BLE001 - stored on the row, the caller goes on
        if database_lost(error):  # not the dataset's error: the caller scores it again
            raise
        model.Session.rollback()
        if is_interruption(error):  # the job runner's timeout: the job must fail, as RQ says
            _store_error(package_id, "stopped: the scoring job ran out of time before it "
                                     "was stored")
            raise
        log.exception("quality scoring of dataset %s failed", package_id)
        _store_error(package_id, f"{type(error).__name__}: {error}")
    return annotation(package_id)


def _assess(dataset: dict[str, Any], with_links: bool, with_data: bool,
            deadline: float | None) -> dict[str, Any]:
    """The full report (what the current row's ``report`` holds)."""
    resources = [r for r in dataset.get("resources") or () if isinstance(r, dict)]
    urls = _resource_urls(resources)
    statuses = _link_statuses(urls, with_links, deadline)
    data_reports = _data_reports(dataset["id"], resources, with_data, deadline)
    community = Feedback.community_summary(dataset["id"])

    metadata = score_metadata(dataset, statuses)
    data_summary = DataSummary.from_reports(item["report"] for item in data_reports)
    link_summary = LinkSummary.from_statuses(statuses)
    moment = _utcnow()  # freshness is judged at the moment stored as scored_at
    freshness = assess_freshness(dataset, moment)
    overall = overall_score(metadata, data_summary, link_summary, community, freshness)
    return {
        "scored_at": iso(moment),
        "overall": overall.to_dict(),
        "metadata": metadata.to_dict(),
        "data": {"summary": dict(dataclasses.asdict(data_summary), checked=data_summary.checked),
                 "resources": data_reports},
        "links": {"summary": dataclasses.asdict(link_summary),
                  "statuses": [statuses[url] for url in urls if url in statuses]},
        "community": None if community is None else dataclasses.asdict(community),
        "freshness": freshness.to_dict(),
    }


def _resource_urls(resources: list[dict[str, Any]]) -> list[str]:
    """Every access and download URL, once, in resource order."""
    urls = (value for resource in resources
            for value in (resource.get("url"), resource.get("download_url")))
    return list(dict.fromkeys(url.strip() for url in urls if isinstance(url, str) and url.strip()))


def _link_statuses(urls: list[str], check: bool, deadline: float | None) -> dict[str, dict[str, Any]]:
    """URL -> LinkStatus dict: fresh stored results, then new checks (stored);
    a stale result still beats none when the time budget ran out first."""
    stored = LinkCheck.of_urls(urls)
    fresh_after = _utcnow() - config.link_max_age()
    statuses = {url: row.as_status() for url, row in stored.items()
                if not check or row.checked_at >= fresh_after}
    if check:
        checked = _check_within(_without(urls, statuses), deadline)
        _save_link_checks(checked.values())
        statuses.update((url, status.to_dict()) for url, status in checked.items())
        statuses.update((url, stored[url].as_status())
                        for url in _without(urls, statuses) if url in stored)
    return statuses


def _without(urls: Iterable[str], known: Mapping[str, Any]) -> list[str]:
    return [url for url in urls if url not in known]


def _check_within(urls: list[str], deadline: float | None) -> dict[str, LinkStatus]:
    """Check in small batches, so a dataset of a thousand dead links stops at
    the deadline instead of taking the worker with it."""
    if not urls:
        return {}
    policy = config.http_policy()
    timeout = min(policy.timeout, LINK_TIMEOUT)
    results: dict[str, LinkStatus] = {}
    with SafeSession(policy) as http:
        for start in range(0, len(urls), LINK_BATCH):
            if deadline is not None and time.monotonic() >= deadline:
                log.info("link checks stopped by the time budget: %d of %d unchecked",
                         len(urls) - start, len(urls))
                break
            results.update(check_links(urls[start:start + LINK_BATCH], http, timeout=timeout,
                                       deadline=deadline))
    return results


def _save_link_checks(statuses: Iterable[LinkStatus]) -> None:
    for status in statuses:
        if len(status.url) > MAX_STORED_URL:
            continue
        values = {
            "url": status.url, "status": status.status, "ok": status.ok, "kind": status.kind,
            "message": status.message, "final_url": status.final_url,
            "checked_at": _parse_moment(status.checked_at),
        }
        _upsert(link_check_table, "url", values)


def _data_reports(package_id: str, resources: list[dict[str, Any]], check: bool,
                  deadline: float | None) -> list[dict[str, Any]]:
    previous = _previous_data_items(package_id)
    limits = config.data_limits()
    items = []
    with SafeSession(config.http_policy()) as http:
        for resource in resources:
            url = resource.get("url") or ""
            before = previous.get((resource.get("id"), url)) or {}
            item = {"resource_id": resource.get("id"), "name": resource.get("name"), "url": url}
            if check:
                item.update(_check_resource(resource, http, limits, deadline,
                                            (previous.get(resource.get("id")) or {}).get("preview")))
            else:
                item["report"] = before.get("report") or DataReport(
                    status="skipped", message="not checked: data checks were turned off "
                                              "for this scoring").to_dict()
                if before.get("preview"):
                    item["preview"] = before["preview"]
            items.append(item)
    return items


def _check_resource(resource: dict[str, Any], http: SafeSession, limits: DataLimits,
                    deadline: float | None, previous_preview: dict[str, Any] | None
                    ) -> dict[str, Any]:
    """``report`` (the check's) and, for a file the check read, ``preview``
    (what :mod:`.preview` did with it)."""
    url, fmt, media_type = resource.get("url") or "", resource.get("format"), resource.get("mimetype")
    remaining = None if deadline is None else deadline - time.monotonic()
    if remaining is not None and remaining < MIN_CHECK_SECONDS and tabular_format(fmt, media_type, url):
        return {"report": DataReport.skipped(
            "timeout", "not checked: the time for scoring this dataset was spent on the "
                       "resources before it").to_dict(), "preview": previous_preview}
    if remaining is not None:  # a resource that is not tabular needs no time: keep the limit positive
        limits = dataclasses.replace(limits, max_seconds=max(MIN_CHECK_SECONDS, min(limits.max_seconds, remaining)))
    outcome: dict[str, Any] = {"preview": None}

    def load_preview(path: str, checked_format: str, report: DataReport) -> None:
        outcome["preview"] = preview.load_checked_file(resource, path, checked_format, report,
                                                       previous_preview)

    hook = (load_preview if resource.get("id") and preview.enabled()
            and not preview.managed_by_publisher(resource) else None)
    report = check_data(url, format=fmt, media_type=media_type,
                        table_schema=_table_schema(resource.get("schema")), http=http, limits=limits,
                        on_checked_file=hook)
    if hook is not None and outcome["preview"] is None:
        # No file was read: a file now too large loses its preview; one that did
        # not answer this time keeps it (an outage is no new content)
        if report.kind == "too_large":
            preview.withdraw(resource["id"], previous_preview)
        else:
            outcome["preview"] = previous_preview
    return dict(outcome, report=report.to_dict())


def _table_schema(value: Any) -> Any:
    """The resource's Table Schema as an object; anything else is passed on
    for the data check to report as a schema error."""
    if value in (None, "", {}):
        return None
    if isinstance(value, str):
        try:
            return json.loads(value)
        except ValueError:
            return value
    return value


def _previous_data_items(package_id: str) -> dict[Any, dict[str, Any]]:
    """The last stored item of each resource, by (resource id, url), for
    resources left as they were, and by resource id (its preview)."""
    row = Quality.get(package_id)
    report = _loads(row.report) if row is not None else {}
    items = [item for item in ((report.get("data") or {}).get("resources")) or []
             if isinstance(item, dict)]
    by_url: dict[Any, dict[str, Any]] = {(item.get("resource_id"), item.get("url") or ""): item
                                         for item in items if item.get("report")}
    by_url.update((item.get("resource_id"), item) for item in items if item.get("resource_id"))
    return by_url


# -- storing -----------------------------------------------------------------------------

def _store(package_id: str, report: dict[str, Any]) -> None:
    overall, metadata = report["overall"], report["metadata"]
    components = overall["components"]
    figures = {
        "metadata_points": metadata["points"],
        "data_score": components["data"],
        "links_score": components["links"],
        "community_score": components["community"],
        "overall_score": overall["score"],
        "overall_band": overall["band"],
    }
    scored_at = _parse_moment(report["scored_at"])
    _upsert(quality_table, "package_id", dict(
        figures, package_id=package_id, status="scored", scored_at=scored_at,
        metadata_band=metadata["band"], report=json.dumps(report), error=None,
        failed_indicators=failed_indicators(report)))
    model.Session.add(QualityHistory(package_id=package_id, scored_at=scored_at, **figures))
    model.Session.commit()


def failed_indicators(report: Mapping[str, Any]) -> list[str]:
    """The keys of the MQA indicators a report fails (passed false: one not
    assessable yet has not failed), kept beside the figures so the catalogue
    counts them without reading reports."""
    indicators = (report.get("metadata") or {}).get("indicators")
    return [indicator["key"] for indicator in indicators if isinstance(indicator, dict)
            and indicator.get("passed") is False and indicator.get("key")] if isinstance(indicators, list) else []


def _store_error(package_id: str, message: str) -> None:
    """Mark the row "error", keeping the figures (and scored_at) of the last
    scoring that worked; a dataset never scored gets a row without figures."""
    values = {"package_id": package_id, "status": "error", "scored_at": _utcnow(),
              "error": message[:2000]}
    statement = pg_insert(quality_table).values(**values)
    model.Session.execute(statement.on_conflict_do_update(
        index_elements=["package_id"],
        set_={"status": statement.excluded.status, "error": statement.excluded.error}))
    model.Session.commit()


def _upsert(table: sa.Table, key: str, values: dict[str, Any]) -> None:
    """Insert or replace one row: two jobs may score the same dataset, or
    check the same link, at once."""
    statement = pg_insert(table).values(**values)
    model.Session.execute(statement.on_conflict_do_update(
        index_elements=[key],
        set_={column: statement.excluded[column] for column in values if column != key}))


def _package_dicts(package_id: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """The dataset as CKAN indexes it: (default schema, our schema), the
    second being what ``package_show`` returns.

    The scoring reads the second and the reindex sends both, so the dataset is
    read from the database once instead of twice (once by ``package_show``,
    once more by CKAN's reindex): the reindex is most of a rescoring's time.
    Raises ObjectNotFound."""
    if package_show_default_and_custom_schemas is None:  # pragma: no cover - CKAN 2.11 reads it again to index it
        dataset = tk.get_action("package_show")({"ignore_auth": True}, {"id": package_id})
        return dataset, dataset
    return package_show_default_and_custom_schemas({"ignore_auth": True}, package_id)


def _reindex(package_id: str, defer_commit: bool,
             both: tuple[dict[str, Any], dict[str, Any]] | None = None) -> None:
    """Solr gets band and score from the row just stored (search.index_fields,
    run by CKAN's indexing), with the dataset as read before the scoring when
    given (the scoring does not change it)."""
    if index_update_package_dicts is None:  # pragma: no cover - CKAN 2.11 reads the dataset again, and commits
        from ckan.lib import search

        search.rebuild(package_id)
        return
    index_update_package_dicts(both or _package_dicts(package_id), defer_commit=defer_commit)


# -- reading -----------------------------------------------------------------------------

def annotation(package_id: str, with_history: bool = False,
               with_details: bool = True) -> dict[str, Any]:
    """What plusresilient_quality_show returns for a dataset id (no access check).

    Without ``with_details`` the data reports keep their figures and error
    types but no cell values, labels or validator messages
    (:func:`~ckanext.plusresilient.quality.data.public_report`): those are for
    the dataset's editors. Every report then says ``details_hidden``.
    """
    row = Quality.get(package_id)
    report = _loads(row.report) if row is not None else {}
    data = report.get("data")
    if isinstance(data, dict):
        data = dict(data, resources=[_resource_item(item, with_details)
                                     for item in data.get("resources") or ()
                                     if isinstance(item, dict)])
    result = {
        "package_id": package_id,
        "status": row.status if row is not None else "not_scored",
        "scored_at": iso(row.scored_at) if row is not None else None,
        "error": row.error if row is not None else None,
        "overall": report.get("overall"),
        "metadata": report.get("metadata"),
        "data": data,
        "links": report.get("links"),
        "community": report.get("community"),
        "freshness": report.get("freshness"),
    }
    if with_history:
        result["history"] = history(package_id)
    return result


def _resource_item(item: dict[str, Any], with_details: bool) -> dict[str, Any]:
    report = item.get("report")
    if not isinstance(report, dict):
        return item
    if with_details:
        return dict(item, report=dict(report, details_hidden=False))
    shown = dict(item, report=public_report(report))
    if isinstance(item.get("preview"), dict):  # a loader's message may quote the file
        shown["preview"] = {k: v for k, v in item["preview"].items() if k != "message"}
    return shown


def badges(package_ids: Iterable[str]) -> dict[str, dict[str, Any]]:
    """The badge of each scored dataset among these (no access check): its
    band and score, and its MQA points, from the row's columns in one query
    for a whole page of search results. The shape is the annotation's
    (``overall``, ``metadata``), for the same badge snippet."""
    wanted = list(set(package_ids))
    if not wanted:
        return {}
    rows = (model.Session.query(Quality.package_id, Quality.overall_band, Quality.overall_score,
                                Quality.metadata_points)
            .filter(Quality.package_id.in_(wanted), Quality.status == "scored",
                    Quality.overall_band.isnot(None)))
    return {row.package_id: {
        "overall": {"band": row.overall_band, "score": row.overall_score},
        "metadata": {"points": row.metadata_points, "max_points": MAX_POINTS},
    } for row in rows}


def history(package_id: str) -> list[dict[str, Any]]:
    """Every scoring of the dataset, oldest first."""
    return [{
        "scored_at": iso(row.scored_at),
        "overall_score": row.overall_score,
        "overall_band": row.overall_band,
        "metadata_points": row.metadata_points,
        "data_score": row.data_score,
        "links_score": row.links_score,
        "community_score": row.community_score,
    } for row in QualityHistory.of_package(package_id)]


def index_values(package_id: str, record: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """The Solr fields of a dataset's stored score (none before its first):
    band, score, the indicators it fails and, given the dataset's ``record``,
    its freshness as of that scoring (recomputed for the moment it was
    scored, so the facet says what the stored score counted; the scheduler
    scores a dataset again once its ``expected_by`` has passed).

    The score is a zero-padded string ("087") because CKAN's Solr schema has
    only a string catch-all field, and strings sort as text.
    """
    row = (model.Session.query(Quality.overall_band, Quality.overall_score, Quality.failed_indicators,
                               Quality.scored_at)
           .filter(Quality.package_id == package_id).first())
    if row is None or row.overall_band is None or row.overall_score is None:
        return {}
    rounded = math.floor(row.overall_score + 0.5)  # half up, as people round
    values: dict[str, Any] = {"plusresilient_quality_band": row.overall_band,
                              "plusresilient_quality_score": f"{rounded:03d}"}
    if row.failed_indicators:
        values[FAILED_INDICATORS_FIELD] = list(row.failed_indicators)
    if record is not None:
        verdict = assess_freshness(record, row.scored_at)
        values[FRESHNESS_FIELD] = verdict.status
        if verdict.expected_by is not None:  # a Solr date (CKAN's *_date dynamic field)
            # the first second at which it is late: a scoring is judged to the
            # second (_utcnow), and up to date through ``expected_by``'s own second,
            # so the scheduler must not find it due during that second
            late_from = verdict.expected_by + datetime.timedelta(seconds=1)
            values[FRESHNESS_DUE_FIELD] = late_from.strftime("%Y-%m-%dT%H:%M:%SZ")
    return values


# -- the scheduled link re-check --------------------------------------------------------

@dataclasses.dataclass(frozen=True)
class RecheckResult:
    checked: int
    changed: list[str]
    datasets: list[str]


def recheck_links(older_than: datetime.timedelta) -> RecheckResult:
    """Check again every stored link older than ``older_than``; the datasets
    (active, of a scored type) whose resources use a link that changed verdict
    or status are returned for rescoring."""
    rows = LinkCheck.older_than(_utcnow() - older_than)
    before = {row.url: (row.ok, row.status) for row in rows}
    checked = _check_within(list(before), deadline=None)
    _save_link_checks(checked.values())
    model.Session.commit()
    changed = [url for url, status in checked.items()
               if (status.ok, status.status) != before[url]]
    return RecheckResult(checked=len(checked), changed=changed,
                         datasets=_datasets_linking(changed))


def _datasets_linking(urls: list[str]) -> list[str]:
    if not urls:
        return []
    rows = (model.Session.query(model.Package.id)
            .join(model.Resource, model.Resource.package_id == model.Package.id)
            .filter(model.Resource.url.in_(urls), model.Resource.state == "active",
                    model.Package.state == "active", model.Package.type.in_(config.scored_types()))
            .distinct())
    return sorted(row.id for row in rows)


# -- small helpers -----------------------------------------------------------------------

def _utcnow() -> datetime.datetime:
    """To the second: the stored moment equals the one the report shows."""
    return utcnow().replace(microsecond=0)


def _parse_moment(text: str) -> datetime.datetime:
    moment = datetime.datetime.fromisoformat(text)
    if moment.tzinfo is not None:
        moment = moment.astimezone(datetime.timezone.utc).replace(tzinfo=None)
    return moment


def _loads(text: str | None) -> dict[str, Any]:
    try:
        value = json.loads(text) if text else {}
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}
