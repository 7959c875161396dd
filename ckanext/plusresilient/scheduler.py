"""``ckan plusresilient scheduler``: the portal's periodic chores in one
process that a supervisor keeps alive.

A production CKAN needs two things done on a clock: ckanext-harvest's
``harvest_jobs_run`` (start the harvests the sources' frequencies make due,
mark finished jobs Finished, end and retry timed-out ones, resubmit what a
dead consumer left: harvesters/scheduler.py's round) and the re-check of old
resource links. Cron would do it, but the CKAN 2.11 images have no cron, and
a cron line that fails fails silently; here each chore runs on its own
period, and one that raises is logged and runs again at its next turn.
"""
from __future__ import annotations

import datetime

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


def run(harvest_every: float, links_every: float) -> None:
    """Harvest rounds every ``harvest_every`` seconds and link re-checks
    every ``links_every`` (0: never), until SIGTERM or SIGINT."""
    chores = [harvest_scheduler.Chore("harvest round", harvest_every, harvest_scheduler.run_round)]
    if links_every:
        chores.append(harvest_scheduler.Chore("link re-check", links_every, recheck_links))
    # the scorings whose jobs a Redis restart lost (Redis runs without persistence)
    chores.append(harvest_scheduler.Chore("lost scorings", harvest_every, jobs.requeue_lost_scorings))
    harvest_scheduler.run_chores(chores)
