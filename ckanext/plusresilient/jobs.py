"""Scoring in the background: one RQ job per dataset, after each save.

When
    The plugin's after_dataset_create/update hooks only note the dataset in
    the database session; the job is enqueued once that transaction commits
    (after_commit.py), and not when the action's context carries
    ``NO_SCORING``.
    CKAN calls the hooks before it commits (and before it indexes, which can
    take a while), so a job enqueued at once could reach a worker that still
    reads the previous version, or no dataset at all. A rolled-back save
    enqueues nothing. Harvest imports save through package_create and
    package_update and commit per object, so they are scored the same way.

Once
    The job id is ``plusresilient-quality-<site_id>-<dataset id>``: while
    that job waits in the queue, further saves add nothing (it will read the
    latest version when it runs). While it runs, a save may come too late for
    it, so one follow-up job is queued under the same id suffixed ``-again``.
    A second id is needed because RQ keys a job by its id: a new job under
    the id of a running one would be overwritten, then expired or deleted,
    when the running one finishes. For the same reason a finished or failed
    job is deleted before its id is used again (RQ set its key to expire).

Never in the way
    Enqueuing happens after the commit and any failure there (Redis down) is
    logged, never raised: the save has already succeeded and must be
    reported as such.
"""
from __future__ import annotations

import logging
from typing import Any

import ckan.plugins.toolkit as tk
from ckan import model
from ckan.lib.redis import connect_to_redis
from rq.job import Job

from ckanext.plusresilient import config
from ckanext.plusresilient.after_commit import run_after_commit
from ckanext.plusresilient.scoring.dataset import score_dataset

__all__ = [
    "NO_SCORING",
    "after_dataset_saved",
    "budget_seconds",
    "enqueue_rescoring",
    "enqueue_scoring",
    "job_id",
    "schedule_scoring",
    "score_dataset_job",
    "score_datasets_job",
]

log = logging.getLogger(__name__)

#: The context key that keeps an action's saves from being scored (the demo
#: loader scores everything itself, once, at the end).
NO_SCORING = "plusresilient_no_scoring"
#: RQ statuses of a job that has not started yet.
_WAITING = frozenset({"queued", "deferred", "scheduled", "created"})
#: Seconds of the job's timeout kept for storing and indexing after the checks.
STORE_MARGIN_SECONDS = 30


def job_id(package_id: str) -> str:
    """The RQ job id of a dataset's scoring (site-scoped: sites may share Redis)."""
    return f"plusresilient-quality-{tk.config.get('ckan.site_id')}-{package_id}"


def score_dataset_job(package_id: str) -> None:
    """The RQ job: score, store and index one dataset within the job's timeout."""
    result = score_dataset(package_id, budget_seconds=budget_seconds())
    if result is None:
        log.info("dataset %s no longer exists: not scored", package_id)
    else:
        log.info("dataset %s scored: %s", package_id, result["status"])


#: Datasets per job of a queued rescoring: without checks, and with them.
RESCORE_CHUNK = 500
RESCORE_CHUNK_WITH_CHECKS = 10
#: Seconds a dataset may take in a chunk scored without checks (some 0.1 s
#: is usual): the chunk's job timeout.
SECONDS_WITHOUT_CHECKS = 5


def score_datasets_job(package_ids: list[str], with_links: bool = True,
                       with_data: bool = True) -> dict[str, int]:
    """The RQ job of a queued rescoring: many datasets, one work horse.

    CKAN's worker forks a process per job and reconnects to the database in
    it, about a second per job on two cores, while scoring a dataset without
    checks takes a tenth of that: a catalogue queued a job per dataset would
    spend most of its time starting jobs. The index is committed once, at
    the end."""
    from ckan.lib import search

    counts: dict[str, int] = {}
    budget = budget_seconds() / max(len(package_ids), 1) if with_links or with_data else None
    for package_id in package_ids:
        result = score_dataset(package_id, with_links=with_links, with_data=with_data,
                               budget_seconds=budget, defer_index_commit=True)
        outcome = "not found" if result is None else result["status"]
        counts[outcome] = counts.get(outcome, 0) + 1
    search.commit()
    log.info("rescored %d datasets: %s", len(package_ids), counts)
    return counts


def enqueue_rescoring(package_ids: list[str], with_links: bool, with_data: bool) -> list[Job]:
    """Queue these datasets' scoring in chunks (score_datasets_job), each
    with a timeout for all of its datasets."""
    checks = with_links or with_data
    chunk = RESCORE_CHUNK_WITH_CHECKS if checks else RESCORE_CHUNK
    timeout = _job_timeout()
    queued = []
    for start in range(0, len(package_ids), chunk):
        part = package_ids[start:start + chunk]
        seconds = timeout if checks else max(timeout, len(part) * SECONDS_WITHOUT_CHECKS)
        queued.append(tk.enqueue_job(
            score_datasets_job, [part], {"with_links": with_links, "with_data": with_data},
            title=f"Quality scoring of {len(part)} datasets", queue=config.quality_queue(),
            rq_kwargs={"timeout": int(seconds)}))
    return queued


def _job_timeout() -> float:
    """CKAN's job timeout in seconds (RQ kills a job after it)."""
    return float(tk.config.get("ckan.jobs.timeout") or 180)


def budget_seconds() -> float:
    """The checks' share of CKAN's job timeout (RQ kills the job after it)."""
    timeout = _job_timeout()
    return max(timeout - STORE_MARGIN_SECONDS, timeout / 2)


def enqueue_scoring(package_id: str) -> Job | None:
    """Queue the scoring of a dataset, unless one is already waiting.

    Returns the RQ job, or None when an earlier one will do. Raises what
    Redis raises: callers that must not fail use :func:`after_dataset_saved`.
    """
    first = job_id(package_id)
    ids = (first, f"{first}-again")
    existing = dict(zip(ids, Job.fetch_many(ids, connection=connect_to_redis())))
    statuses = {key: _status(job) for key, job in existing.items()}
    if any(status in _WAITING for status in statuses.values()):
        return None
    # Both running (two workers, saves in between) is left to RQ's overwrite:
    # the new job still runs unless it waits longer than RQ keeps a finished one.
    chosen = next((key for key in ids if statuses[key] != "started"), first)
    previous = existing[chosen]
    if previous is not None and statuses[chosen] != "started":
        # a finished or failed job's key carries an expiry the new job would inherit
        previous.delete()
    return tk.enqueue_job(score_dataset_job, [package_id],
                          title=f"Quality score of dataset {package_id}",
                          queue=config.quality_queue(), rq_kwargs={"job_id": chosen})


def _status(job: Job | None) -> str | None:
    if job is None:
        return None
    status = job.get_status(refresh=False)
    return str(getattr(status, "value", status))


def schedule_scoring(package_id: str) -> None:
    """Enqueue the scoring when the current transaction commits (once,
    however many saves of the dataset the transaction holds)."""
    run_after_commit(("quality-scoring", package_id), lambda: _enqueue_safely(package_id))


def scoring_wanted(context: dict[str, Any]) -> bool:
    """Whether the action running with this context schedules scorings."""
    return not context.get(NO_SCORING) and config.quality_auto()


def after_dataset_saved(context: dict[str, Any], pkg_dict: dict[str, Any]) -> None:
    """The plugin hooks' body: schedule datasets of our types when the option
    is on and the caller did not say otherwise. Never raises: the quality
    score is not worth a failed save."""
    try:
        if not scoring_wanted(context) or not pkg_dict.get("id"):
            return
        if _package_type(pkg_dict) in config.scored_types():
            schedule_scoring(pkg_dict["id"])
    except Exception:  # noqa: BLE001
        log.exception("could not schedule the quality scoring of dataset %s", pkg_dict.get("id"))


def _package_type(pkg_dict: dict[str, Any]) -> str | None:
    if pkg_dict.get("type"):
        return pkg_dict["type"]
    package = model.Package.get(pkg_dict["id"])
    return package.type if package is not None else None


def _enqueue_safely(package_id: str) -> None:
    try:
        enqueue_scoring(package_id)
    except Exception as error:  # noqa: BLE001 - e.g. Redis unreachable
        log.warning("quality scoring of dataset %s not queued: %s: %s",
                    package_id, type(error).__name__, error)
