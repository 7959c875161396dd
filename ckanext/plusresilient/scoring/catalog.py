"""The trend of the catalogue's quality over time, computed in PostgreSQL.
(The bands and the indicators failed most are counted by the search index,
in search.py.)

It must count exactly the datasets the caller could find with
``package_search(include_private=True)``: active datasets of the scored
types, public ones plus the private ones of the caller's organizations,
every one for a sysadmin. That set is computed once, here
(:func:`visibility_of`), in terms ``package`` can answer: the user's
permission labels come from the active IPermissionLabels plugin
(``get_user_dataset_labels``), and the dataset's side translates the labels
CKAN's default plugin gives a dataset ("public" for an active public
dataset, "member-<organization>" for a private one in an organization,
"creator-<user>" for a private one without, "collaborator-<dataset>" when
collaborators are on) into conditions on ``package`` (``_VISIBLE``).

Why not the ids from Solr: a national catalogue holds tens of thousands of
datasets, and the search API gives them at most ``ckan.search.rows_max``
(1,000) a page. Why not the history itself on each view: at 100,000
datasets a pass over every scoring takes seconds. The trend is read from
running sums per day, kept by triggers per kind of visibility (type,
organization, privacy, country, creator) and band
(``plusresilient_quality_trend``, migration 0005): the same conditions on
those columns give any caller's trend from a few thousand rows. Two callers
the sums cannot tell apart read the history, exactly and more slowly: a site
whose labels plugin labels datasets differently (CKAN's example plugin hides
"Proposed:" datasets from everyone but their creator) gets the ids from the
search index, and a collaborator's shared datasets are added one by one.
"""
from __future__ import annotations

import dataclasses
import datetime
import logging
from typing import Any

import sqlalchemy as sa
from ckan import authz, model
from ckan.lib import plugins as lib_plugins
from ckan.plugins import toolkit as tk

from ckanext.plusresilient import config
from ckanext.plusresilient.scoring.dataset import BANDS

__all__ = [
    "GRANULARITIES",
    "MAX_PERIODS",
    "Filters",
    "Visibility",
    "from_running_sums",
    "granularity_for",
    "ids_from_search",
    "trend",
    "visibility_of",
]

log = logging.getLogger(__name__)

GRANULARITIES = ("day", "week", "month")
#: A trend longer than this shows its last periods; the earlier scorings still
#: count in them (a dataset's latest scoring before each period's end).
MAX_PERIODS = 60
#: Up to this span, one point per day; up to two years, one per ISO week.
DAY_SPAN = datetime.timedelta(days=62)
WEEK_SPAN_YEARS = 2
#: Ids per search request when the ids come from the index (the API's cap).
SEARCH_PAGE = 1000


@dataclasses.dataclass(frozen=True)
class Visibility:
    """Which datasets a caller may see, in terms ``package`` can answer.

    ``everything`` for sysadmins (and internal callers that ignore auth);
    otherwise public datasets plus private ones matching the label parts.
    ``ids`` replaces all of it with the ids the search index gave.
    """

    everything: bool = False
    organization_ids: tuple[str, ...] = ()
    creator_ids: tuple[str, ...] = ()
    collaborated_ids: tuple[str, ...] = ()
    ids: tuple[str, ...] | None = None


@dataclasses.dataclass(frozen=True)
class Filters:
    """Optional narrowing of the figures: one organization, some countries."""

    organization_id: str | None = None
    countries: tuple[str, ...] = ()


# -- who sees what ---------------------------------------------------------------------------

def _labels_are_default(plugin: Any) -> bool:
    """Whether datasets get CKAN's default labels, the ones ``_VISIBLE`` mirrors."""
    return (getattr(type(plugin), "get_dataset_labels", None)
            is lib_plugins.DefaultPermissionLabels.get_dataset_labels)


def visibility_of(context: dict[str, Any]) -> Visibility:
    """The caller's visible set, as package_search would decide it."""
    user_name = context.get("user")
    if context.get("ignore_auth") or (user_name and authz.is_sysadmin(user_name)):
        return Visibility(everything=True)
    plugin = lib_plugins.get_permission_labels()
    if not _labels_are_default(plugin):
        return Visibility(ids=tuple(ids_from_search(user_name)))
    user = context.get("auth_user_obj") or (model.User.get(user_name) if user_name else None)
    parts: dict[str, list[str]] = {"member": [], "creator": [], "collaborator": []}
    for label in plugin.get_user_dataset_labels(user):
        kind, _, value = label.partition("-")
        if kind in parts and value:
            parts[kind].append(value)
    return Visibility(organization_ids=tuple(parts["member"]),
                      creator_ids=tuple(parts["creator"]),
                      collaborated_ids=tuple(parts["collaborator"]))


def ids_from_search(user_name: str | None) -> list[str]:
    """Every dataset id of the scored types the caller finds, page by page."""
    types = " OR ".join(f'"{name}"' for name in config.scored_types())
    search = tk.get_action("package_search")
    ids: list[str] = []
    while True:
        result = search({"user": user_name or ""}, {
            "q": "", "fq": f"+dataset_type:({types})", "fl": "id", "rows": SEARCH_PAGE,
            "start": len(ids), "sort": "id asc", "include_private": True})
        page = [item["id"] for item in result["results"]]
        ids.extend(page)
        if not page or len(ids) >= result["count"]:
            return ids


# CKAN 2.12 keeps a dataset's extras in its package row, 2.11 in package_extra
_COUNTRY = ("p.extras ->> 'country'" if "extras" in model.package_table.c
            else "plusresilient_package_country(p.id)")  # pragma: no cover - CKAN 2.11: migration 0005's

# The visible datasets, as a CTE both queries start from. A NULL ``private``
# is public, as for CKAN's labels and its search index.
_VISIBLE = f"""
visible AS (
    SELECT p.id
    FROM package AS p
    WHERE p.state = 'active'
      AND p.type = ANY(:types)
      AND (CASE WHEN :by_ids THEN p.id = ANY(:ids)
                ELSE :everything
                     OR p.private IS NOT TRUE
                     OR p.owner_org = ANY(:organization_ids)
                     OR (p.owner_org IS NULL AND p.creator_user_id = ANY(:creator_ids))
                     OR p.id = ANY(:collaborated_ids)
           END)
      AND (CAST(:organization_id AS text) IS NULL OR p.owner_org = :organization_id)
      AND (cardinality(CAST(:countries AS text[])) = 0
           OR {_COUNTRY} = ANY(:countries))
)"""


def _visible_params(visibility: Visibility, filters: Filters) -> dict[str, Any]:
    return {
        "types": list(config.scored_types()),
        "by_ids": visibility.ids is not None,
        "ids": list(visibility.ids or ()),
        "everything": visibility.everything,
        "organization_ids": list(visibility.organization_ids),
        "creator_ids": list(visibility.creator_ids),
        "collaborated_ids": list(visibility.collaborated_ids),
        "organization_id": filters.organization_id,
        "countries": list(filters.countries),
    }


def _execute(sql: str, params: dict[str, Any]) -> list[sa.Row]:
    return list(model.Session.execute(sa.text(sql), params))


# -- trend ----------------------------------------------------------------------------------

def granularity_for(first: datetime.date, last: datetime.date) -> str:
    """Days for two months of history, ISO weeks up to two years, then months."""
    if last - first <= DAY_SPAN:
        return "day"
    try:
        two_years_on = first.replace(year=first.year + WEEK_SPAN_YEARS)
    except ValueError:  # 29 February
        two_years_on = first.replace(year=first.year + WEEK_SPAN_YEARS, day=28)
    return "week" if last <= two_years_on else "month"


def _period_start(moment: datetime.date, granularity: str) -> datetime.date:
    if granularity == "week":
        return moment - datetime.timedelta(days=moment.weekday())  # ISO weeks start on Monday
    if granularity == "month":
        return moment.replace(day=1)
    return moment


def _shift(start: datetime.date, granularity: str, periods: int) -> datetime.date:
    """The start of the period ``periods`` after (or, negative, before) ``start``."""
    if granularity == "day":
        return start + datetime.timedelta(days=periods)
    if granularity == "week":
        return start + datetime.timedelta(weeks=periods)
    months = start.year * 12 + start.month - 1 + periods
    return datetime.date(months // 12, months % 12 + 1, 1)


def _period_label(start: datetime.date, granularity: str) -> str:
    """ISO 8601: 2026-11-26, 2026-W48, 2026-11."""
    if granularity == "week":
        year, week, _ = start.isocalendar()
        return f"{year}-W{week:02d}"
    if granularity == "month":
        return start.strftime("%Y-%m")
    return start.isoformat()


_SPAN_SQL = f"""
WITH {_VISIBLE}
SELECT min(h.scored_at) AS first, max(h.scored_at) AS last
FROM plusresilient_quality_history AS h JOIN visible AS v ON v.id = h.package_id
"""

# Both trend queries end alike: ``per_period`` holds each period's changes
# (``at``, datasets, score_sum, one column per band); every period of the
# series gets the running sum of the changes up to it.
_RUNNING_PER_PERIOD = """periods AS (
    SELECT start FROM generate_series(CAST(:first AS timestamp), CAST(:last AS timestamp),
                                      CAST(:step AS interval)) AS start
)
SELECT p.start,
       coalesce(sum(c.datasets) OVER running, 0) AS datasets,
       sum(c.score_sum) OVER running AS score_sum,
       coalesce(sum(c.excellent) OVER running, 0) AS excellent,
       coalesce(sum(c.good) OVER running, 0) AS good,
       coalesce(sum(c.sufficient) OVER running, 0) AS sufficient,
       coalesce(sum(c.bad) OVER running, 0) AS bad
FROM periods AS p LEFT JOIN per_period AS c ON c.at = p.start
WINDOW running AS (ORDER BY p.start)
ORDER BY p.start
"""

# Each history row holds from its scoring until the dataset's next scoring:
# it counts in the periods from the one it was scored in up to, not
# including, the one the next scoring falls in (a period counts, per dataset,
# its latest scoring before the period's end). So a row adds itself where it
# starts and takes itself away where it ends, and a running sum over the
# periods gives each period's figures: one pass over the history, whatever
# the number of periods. Scores are summed as numeric, so what is added and
# taken away cancels exactly.
_TREND_SQL = f"""
WITH {_VISIBLE},
spans AS (
    SELECT CAST(h.overall_score AS numeric) AS score, h.overall_band AS band,
           greatest(date_trunc(:unit, h.scored_at), CAST(:first AS timestamp)) AS enters,
           date_trunc(:unit, lead(h.scored_at) OVER (PARTITION BY h.package_id
                                                     ORDER BY h.scored_at, h.id)) AS leaves
    FROM plusresilient_quality_history AS h JOIN visible AS v ON v.id = h.package_id
),
counted AS (
    SELECT * FROM spans WHERE leaves IS NULL OR leaves > enters
),
changes AS (
    SELECT enters AS at, 1 AS delta, score, band FROM counted
    UNION ALL
    SELECT leaves, -1, -score, band FROM counted WHERE leaves IS NOT NULL
),
per_period AS (
    SELECT at,
           sum(delta) AS datasets,
           sum(score) AS score_sum,
           coalesce(sum(delta) FILTER (WHERE band = 'excellent'), 0) AS excellent,
           coalesce(sum(delta) FILTER (WHERE band = 'good'), 0) AS good,
           coalesce(sum(delta) FILTER (WHERE band = 'sufficient'), 0) AS sufficient,
           coalesce(sum(delta) FILTER (WHERE band = 'bad'), 0) AS bad
    FROM changes
    GROUP BY at
),
{_RUNNING_PER_PERIOD}"""

# The same figures from the running sums the triggers of migration 0005 keep
# per day and kind of visibility (plusresilient_quality_trend): the history's
# additions and removals, already summed per day, type, organization,
# privacy, country and band. A visibility is a condition on those columns,
# as _VISIBLE is on ``package`` (a private dataset without organization is
# its creator's), so any caller's trend is a sum over a few thousand rows.
_SUMS_VISIBLE = """
    t.package_type = ANY(:types)
    AND (:everything OR NOT t.private OR t.owner_org = ANY(:organization_ids)
         OR (t.owner_org = '' AND t.creator_user_id = ANY(:creator_ids)))
    AND (CAST(:organization_id AS text) IS NULL OR t.owner_org = :organization_id)
    AND (cardinality(CAST(:countries AS text[])) = 0 OR t.country = ANY(:countries))
"""

_SPAN_FROM_SUMS_SQL = f"""
SELECT CAST(min(t.day) AS timestamp) AS first, CAST(max(t.day) AS timestamp) AS last
FROM plusresilient_quality_trend AS t
WHERE t.scorings > 0 AND {_SUMS_VISIBLE}
"""

_TREND_FROM_SUMS_SQL = f"""
WITH per_period AS (
    SELECT greatest(date_trunc(:unit, CAST(t.day AS timestamp)), CAST(:first AS timestamp)) AS at,
           sum(t.datasets) AS datasets,
           sum(t.score_sum) AS score_sum,
           coalesce(sum(t.datasets) FILTER (WHERE t.band = 'excellent'), 0) AS excellent,
           coalesce(sum(t.datasets) FILTER (WHERE t.band = 'good'), 0) AS good,
           coalesce(sum(t.datasets) FILTER (WHERE t.band = 'sufficient'), 0) AS sufficient,
           coalesce(sum(t.datasets) FILTER (WHERE t.band = 'bad'), 0) AS bad
    FROM plusresilient_quality_trend AS t
    WHERE {_SUMS_VISIBLE}
    GROUP BY 1
),
{_RUNNING_PER_PERIOD}"""

_STEPS = {"day": "1 day", "week": "1 week", "month": "1 month"}


def from_running_sums(visibility: Visibility) -> bool:
    """Whether the running sums can answer for this caller: not when the
    visible set is a list of ids (a labels plugin of its own) or includes
    datasets shared one by one (collaborators), which the sums do not keep
    apart; the history answers those, exactly and more slowly."""
    return visibility.ids is None and not visibility.collaborated_ids


def trend(visibility: Visibility, filters: Filters = Filters(),
          from_history: bool = False) -> dict[str, Any]:
    """Per period: how many visible datasets had been scored by its end, their
    average overall score and their bands, each dataset by its latest scoring
    at or before the period's end. ``granularity`` is None (and ``periods``
    empty) when none of them was ever scored. ``from_history`` reads the
    history itself even where the running sums could answer (the reference
    they are checked against)."""
    params = _visible_params(visibility, filters)
    sums = from_running_sums(visibility) and not from_history
    span = _execute(_SPAN_FROM_SUMS_SQL if sums else _SPAN_SQL, params)[0]
    if span.first is None:
        return {"granularity": None, "periods": []}
    granularity = granularity_for(span.first.date(), span.last.date())
    last = _period_start(span.last.date(), granularity)
    first = max(_period_start(span.first.date(), granularity),
                _shift(last, granularity, -(MAX_PERIODS - 1)))
    rows = _execute(_TREND_FROM_SUMS_SQL if sums else _TREND_SQL,
                    dict(params, step=_STEPS[granularity], unit=granularity,
                                     first=datetime.datetime.combine(first, datetime.time()),
                                     last=datetime.datetime.combine(last, datetime.time())))
    periods = []
    for row in rows:
        start = row.start.date()
        periods.append({
            "period": _period_label(start, granularity),
            "start": start.isoformat(),
            "end": (_shift(start, granularity, 1) - datetime.timedelta(days=1)).isoformat(),
            "datasets": int(row.datasets),
            "average": float(row.score_sum / row.datasets) if row.datasets else None,
            "bands": {band: int(getattr(row, band)) for band in BANDS},
        })
    return {"granularity": granularity, "periods": periods}
