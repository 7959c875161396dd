"""``ckan plusresilient scheduler``: the portal's periodic chores in one
process that a supervisor keeps alive.

A production CKAN needs two things done on a clock: ckanext-harvest's
``harvest_jobs_run`` (start the harvests the sources' frequencies make due,
mark finished jobs Finished, end and retry timed-out ones, resubmit what a
dead consumer left: harvesters/scheduler.py's round) and the re-check of old
resource links. Cron would do it, but the CKAN 2.11 images have no cron, and
a cron line that fails fails silently; here each chore runs on its own
period, and one that raises is logged and runs again at its next turn.

Freshness is the chore that keeps a verdict true while nothing happens: a
dataset up to date when it was scored is late once its next update was due
and none came, with no save, harvest or click to say so. The score, the
band and the search index hold the verdict of the last scoring (so the
"Freshness" facet, its filter, the badge and the band agree), and each
round scores again, without link or data checks, the datasets indexed as
up to date whose due moment (``plusresilient_freshness_due_date``) has
passed: they turn late within a round. Facet queries against NOW were the
other way: exact to the second, but CKAN's package_search returns field
facets only (each page would need searches of its own with the visitor's
permissions applied again), and the facet would still contradict the
stored band until the dataset was scored again. The reverse turn (late to
up to date) needs no clock: it comes with an update, which is a save, and
a save is scored.
"""
from __future__ import annotations

import datetime

import ckan.plugins.toolkit as tk
from ckan.lib import search

from ckanext.plusresilient import config, jobs
from ckanext.plusresilient.harvesters import scheduler as harvest_scheduler
from ckanext.plusresilient.scoring import dataset as scoring


def recheck_links(older_than_hours: float | None = None) -> str:
    """Re-check the links older than the configured age (or ``older_than_hours``)
    and queue the rescoring of the datasets whose links changed; returns the
    summary line. Raises when a rescoring cannot be queued (Redis away)."""
    age = (config.link_max_age() if older_than_hours is None
           else datetime.timedelta(hours=older_than_hours))
    result = scoring.recheck_links(age)
    queued = waiting = 0
    for package_id in result.datasets:
        try:
            job = jobs.enqueue_scoring(package_id)
        except Exception as error:  # noqa: BLE001 - re-raised with the dataset named
            raise RuntimeError(f"could not queue the rescoring of {package_id}: {error}") from error
        if job is None:
            waiting += 1
        else:
            queued += 1
    return (f"re-checked {result.checked} links, {len(result.changed)} changed; "
            f"{len(result.datasets)} datasets to rescore: {queued} queued, {waiting} already waiting")


#: Datasets scored again by one freshness round at most (some 0.1 s each:
#: a round stays short beside the harvest round; the rest wait for the next).
FRESHNESS_BATCH = 100


def rescore_overdue(limit: int = FRESHNESS_BATCH) -> str:
    """Score again, without checks, the datasets whose next update came due
    since their last scoring, most overdue first; returns the summary line,
    empty when none was due. Nothing when automatic scoring is off."""
    if not config.quality_auto():
        return ""
    found = tk.get_action("package_search")({"ignore_auth": True}, {
        "q": "", "rows": limit, "fl": "id", "include_private": True,
        "fq": f"+{scoring.FRESHNESS_FIELD}:up_to_date +{scoring.FRESHNESS_DUE_FIELD}:[* TO NOW]",
        "sort": f"{scoring.FRESHNESS_DUE_FIELD} asc"})
    ids = [result["id"] for result in found["results"]]
    for package_id in ids:
        scoring.score_dataset(package_id, with_links=False, with_data=False, defer_index_commit=True)
    if not ids:
        return ""
    search.commit()
    return f"{len(ids)} of {found['count']} datasets due for an update since their last scoring scored again"


def run(harvest_every: float, links_every: float) -> None:
    """Harvest rounds every ``harvest_every`` seconds and link re-checks
    every ``links_every`` (0: never), until SIGTERM or SIGINT."""
    chores = [harvest_scheduler.Chore("harvest round", harvest_every, harvest_scheduler.run_round)]
    if links_every:
        chores.append(harvest_scheduler.Chore("link re-check", links_every, recheck_links))
    # the scorings whose jobs a Redis restart lost (Redis runs without persistence)
    chores.append(harvest_scheduler.Chore("lost scorings", harvest_every, jobs.requeue_lost_scorings))
    chores.append(harvest_scheduler.Chore("freshness", harvest_every, rescore_overdue))
    harvest_scheduler.run_chores(chores)
