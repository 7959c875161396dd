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

Not after its worker
    A job's work horse whose worker died (SIGKILL) queues the work again and
    stops (:func:`dies_with_worker`), so no orphan goes on downloading and
    the dataset is scored by the worker started in its place.

Through outages
    A lost database connection (PostgreSQL restarted under the worker) is
    not the dataset's error: the job waits until the database answers and
    scores the dataset again (:func:`score_through_outages`), unless the
    scoring was stored before the cut.

Never in the way
    Enqueuing happens after the commit and any failure there (Redis down) is
    logged, never raised: the save has already succeeded and must be
    reported as such.
"""
from __future__ import annotations

import contextlib
import datetime
import logging
import os
import threading
import time
from typing import Any, Callable, Iterator

import ckan.plugins.toolkit as tk
import sqlalchemy as sa
from ckan import model
from ckan.lib import search
from ckan.lib.redis import connect_to_redis
from rq import get_current_job
from rq.job import Job

from ckanext.plusresilient import config
from ckanext.plusresilient.after_commit import run_after_commit
from ckanext.plusresilient.model import Quality, QualityHistory
from ckanext.plusresilient.scoring import outages
from ckanext.plusresilient.scoring.dataset import annotation, score_dataset

__all__ = [
    "NO_SCORING",
    "after_dataset_saved",
    "budget_seconds",
    "dies_with_worker",
    "enqueue_rescoring",
    "enqueue_scoring",
    "job_id",
    "requeue_lost_scorings",
    "schedule_scoring",
    "score_dataset_job",
    "score_datasets_job",
    "score_through_outages",
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
    with dies_with_worker(lambda: enqueue_scoring(package_id)):
        result = score_through_outages(package_id, budget_seconds=budget_seconds())
    if result is None:
        log.info("dataset %s no longer exists: not scored", package_id)
    else:
        log.info("dataset %s scored: %s", package_id, result["status"])


#: Seconds between two looks of a work horse at its worker.
WATCH_SECONDS = 0.5


@contextlib.contextmanager
def dies_with_worker(requeue: Callable[[], object]) -> Iterator[None]:
    """In RQ's work horse, a thread that looks every :data:`WATCH_SECONDS` at
    the worker that forked it; once the worker is gone, it queues the work
    again (``requeue``) and ends the horse at once.

    ``ckan jobs worker`` forks a horse per job, in a process group of its
    own: a worker killed with SIGKILL (the OOM killer, a supervisor's last
    resort) leaves its horse running on as an orphan, downloading and
    validating for nobody, while RQ keeps the job "started" until a worker's
    maintenance, minutes later, calls it abandoned, and fails it
    without running it again. The work is put back here, under the dataset's
    follow-up job id, for the worker started in the dead one's place.
    Outside a forked horse (a job run in the worker's own process) it does
    nothing.
    """
    worker = os.getppid()
    if get_current_job() is None or worker == 1 or os.environ.get("RQ_WORKER_ID") is None:
        yield
        return
    done = threading.Event()

    def watch() -> None:
        while not done.wait(WATCH_SECONDS):
            if os.getppid() != worker:
                log.warning("the RQ worker %d of this job (horse %d) is gone: queuing the work again "
                            "and stopping", worker, os.getpid())
                try:
                    requeue()
                except Exception:  # noqa: BLE001 - said, then the horse stops all the same
                    log.exception("could not queue the work of the dead worker's job again")
                finally:
                    os._exit(1)

    watcher = threading.Thread(target=watch, name="worker-watch", daemon=True)
    watcher.start()
    try:
        yield
    finally:
        done.set()


#: Scorings of one dataset a job starts when the database connection is lost.
DATABASE_ATTEMPTS = 3


def score_through_outages(package_id: str, *, budget_seconds: float | None = None,
                          **options: Any) -> dict[str, Any] | None:
    """:func:`score_dataset` (by dataset id), scored again when the database
    connection is lost (PostgreSQL restarted under the worker), once the
    database answers; at most :data:`DATABASE_ATTEMPTS` times.

    Unless the scoring was stored before the cut and only the answer was
    lost: a scoring is stored once. The reindex that came after it is done.
    """
    deadline = None if budget_seconds is None else time.monotonic() + budget_seconds
    stored: int | None = None
    for attempt in range(1, DATABASE_ATTEMPTS + 1):
        left = None if deadline is None else max(deadline - time.monotonic(), 1.0)
        try:
            if stored is None:
                stored = _scorings_stored(package_id)
            elif _scorings_stored(package_id) > stored:
                log.info("dataset %s: its scoring was stored before the connection was lost", package_id)
                search.rebuild(package_id, defer_commit=bool(options.get("defer_index_commit")))
                return annotation(package_id)
            return score_dataset(package_id, budget_seconds=left, **options)
        except Exception as error:
            if not outages.database_lost(error) or attempt == DATABASE_ATTEMPTS:
                raise
            log.warning("quality scoring of dataset %s cut short: the database connection was lost "
                        "(%s); scoring it again once the database answers", package_id,
                        type(getattr(error, "orig", None) or error).__name__)
            if not outages.wait_for_database(timeout=left):
                raise
    raise AssertionError("unreachable")  # pragma: no cover - the last attempt returns or raises


def _scorings_stored(package_id: str) -> int:
    """The dataset's stored scorings (its history rows)."""
    return (model.Session.query(sa.func.count(QualityHistory.id))
            .filter(QualityHistory.package_id == package_id).scalar())


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
    counts: dict[str, int] = {}
    budget = budget_seconds() / max(len(package_ids), 1) if with_links or with_data else None
    left = list(package_ids)
    with dies_with_worker(lambda: enqueue_rescoring(left, with_links, with_data)):
        while left:
            result = score_through_outages(left[0], with_links=with_links, with_data=with_data,
                                           budget_seconds=budget, defer_index_commit=True)
            left.pop(0)
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


#: Datasets re-queued by one round of :func:`requeue_lost_scorings` at most.
REQUEUE_LIMIT = 1000


def requeue_lost_scorings(limit: int = REQUEUE_LIMIT) -> str:
    """Queue again the scoring of each dataset saved since its last scoring
    whose job Redis no longer knows; for the scheduler, every round.

    The job of a save is queued once, after its commit, and only Redis keeps
    it: Redis restarted without persistence (as the stack runs it), or
    flushed, and the job is gone while nothing will save the dataset again.
    A dataset is due when it has no score, or a score older than its last
    save (by more than a second: ``scored_at`` is kept to the second); a
    job Redis still holds under either id, waiting, running, finished or
    failed, is left to RQ, so a failing dataset is not queued round after
    round. A score stored as "error" is a reported outcome, not due.
    Returns a summary line, empty when nothing was re-queued.
    """
    if not config.quality_auto():
        return ""
    connection = connect_to_redis()
    requeued = []
    for package_id in _due_for_scoring(limit):
        first = job_id(package_id)
        if connection.exists(Job.key_for(first), Job.key_for(f"{first}-again")):
            continue
        if enqueue_scoring(package_id) is not None:
            requeued.append(package_id)
    if not requeued:
        return ""
    log.warning("re-queued the scoring of %d datasets saved since their last scoring, whose "
                "jobs Redis had lost: %s", len(requeued), ", ".join(requeued[:20]))
    return f"{len(requeued)} lost scorings queued again"


def _due_for_scoring(limit: int) -> list[str]:
    """Datasets of the scored types saved since their last scoring, oldest save first."""
    package = model.Package
    saved_since = Quality.scored_at < package.metadata_modified - datetime.timedelta(seconds=1)
    rows = (model.Session.query(package.id)
            .outerjoin(Quality, Quality.package_id == package.id)
            .filter(package.state == "active", package.type.in_(config.scored_types()),
                    sa.or_(Quality.package_id.is_(None), sa.and_(Quality.status == "scored", saved_since)))
            .order_by(package.metadata_modified).limit(limit))
    return [row.id for row in rows]


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
