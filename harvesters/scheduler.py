"""What cron's ``ckan harvester run`` does, as one process a supervisor keeps alive.

ckanext-harvest leaves three chores to a periodic ``ckan harvester run``
(``harvest_jobs_run``): starting the jobs that the sources' update frequencies
make due, marking a job "Finished" once its objects are all done, and putting
back on the queues what a killed consumer left behind. Until the second
happens, the source page says "Running" for a job whose datasets are long
imported (or that found nothing new). A portal without cron (the demo, a
container) showed every harvest started from its page as running for ever.

With ``ckan.harvest.timeout`` set, ``harvest_jobs_run`` also ends a job that
did nothing for that long (its gather consumer died with it, say), with a
gather error saying so; but the source then waits for its next due date, a
week for a weekly one. :func:`run_round` starts such a source again at once,
``ckanext.plusresilient.harvest.timeout_retries`` times in a row at most.

A consumer killed in the middle of a message leaves it taken and never
acknowledged; each round puts such messages back on their queue once no live
consumer holds them (:func:`consumers.reclaim_orphans`), so the restarted
consumer finishes the job within seconds rather than ckanext-harvest's three
minutes (fetch) or two hours (gather).

A round that fails (the database or Redis away for a moment) is logged, and
the next one comes: a scheduler that died on the first hiccup would bring the
"Running for ever" back.
"""
from __future__ import annotations

import dataclasses
import logging
import os
import time
from typing import Any, Callable

from ckan import model
from ckan.plugins import toolkit as tk
from ckanext.harvest import queue as harvest_queue
from ckanext.harvest.logic import HarvestJobExists
from ckanext.harvest.model import HarvestGatherError, HarvestJob

from ckanext.plusresilient import config
from ckanext.plusresilient.harvesters import consumers

log = logging.getLogger(__name__)

DEFAULT_EVERY = 60
#: The gather error ckanext-harvest's harvest_jobs_run writes on a job it timed out.
TIMEOUT_MESSAGE = "Job % timeout (% minutes)%"


def run_round() -> list[str]:
    """One ``harvest_jobs_run``, as the site user, then the retry of the jobs
    it timed out; returns the ids of the jobs started again. Never raises."""
    try:
        site_user = tk.get_action("get_site_user")({"ignore_auth": True}, {})
        context = {"model": model, "session": model.Session, "user": site_user["name"],
                   "ignore_auth": True}
        running = [row.id for row in model.Session.query(HarvestJob.id).filter(HarvestJob.status == "Running")]
        reclaim_orphans()
        tk.get_action("harvest_jobs_run")(dict(context), {})
        return retry_timed_out(context, running)
    except Exception:  # noqa: BLE001 - logged; the next round tries again
        log.exception("harvest scheduler round failed; trying again in the next one")
        model.Session.rollback()
        return []
    finally:
        model.Session.remove()


def reclaim_orphans() -> None:
    """What dead consumers held goes back on the queues (Redis only)."""
    if (tk.config.get("ckan.harvest.mq.type") or harvest_queue.MQ_TYPE) != "redis":
        return
    connection = harvest_queue.get_connection_redis()
    for kind in ("gather", "fetch"):
        consumers.reclaim_orphans(connection, kind)


def retry_timed_out(context: dict[str, Any], job_ids: list[str]) -> list[str]:
    """Start again the active sources of those jobs that ended in a timeout,
    unless their last ``timeout_retries + 1`` jobs all timed out."""
    if not job_ids:
        return []
    retries = config.harvest_timeout_retries()
    timed_out = (model.Session.query(HarvestJob)
                 .filter(HarvestJob.id.in_(job_ids), HarvestJob.status == "Finished",
                         HarvestJob.id.in_(_timed_out_job_ids()))
                 .all())
    started = []
    for job in timed_out:
        source = job.source
        if not source.active:
            continue
        in_a_row = _timed_out_in_a_row(source.id, retries + 1)
        if in_a_row > retries:
            log.warning("harvest source %s timed out %d times in a row: it waits for its next "
                        "due date", source.url, in_a_row)
            continue
        try:
            new_job = tk.get_action("harvest_job_create")(dict(context), {"source_id": source.id, "run": True})
        except HarvestJobExists:
            continue
        log.warning("harvest job %s of %s timed out: started again as %s", job.id, source.url, new_job["id"])
        started.append(new_job["id"])
    return started


def _timed_out_job_ids() -> Any:
    return (model.Session.query(HarvestGatherError.harvest_job_id)
            .filter(HarvestGatherError.message.like(TIMEOUT_MESSAGE)))


def _timed_out_in_a_row(source_id: str, limit: int) -> int:
    latest = (model.Session.query(HarvestJob.id).filter(HarvestJob.source_id == source_id)
              .order_by(HarvestJob.created.desc()).limit(limit).all())
    timed_out = {row.harvest_job_id for row in _timed_out_job_ids()
                 .filter(HarvestGatherError.harvest_job_id.in_([row.id for row in latest]))}
    count = 0
    for row in latest:
        if row.id not in timed_out:
            break
        count += 1
    return count


def run(every: float = DEFAULT_EVERY) -> None:
    """A round every ``every`` seconds until SIGTERM or SIGINT (the round in
    progress is finished first)."""
    run_chores([Chore("harvest round", every, run_round)], name="harvest scheduler")


# ------------------------------------------------------------------ chores ----

@dataclasses.dataclass(frozen=True)
class Chore:
    """Work done on a clock: the harvest round here, the link re-check in
    ``ckan plusresilient scheduler`` (ckanext/plusresilient/scheduler.py)."""

    name: str
    every: float
    run: Callable[[], object]


def run_chores(chores: list[Chore], name: str = "scheduler") -> None:
    """Run each chore at once, then every ``chore.every`` seconds, until
    SIGTERM or SIGINT; the chore in hand is finished first."""
    log.info("%s %d: %s", name, os.getpid(),
             ", ".join(f"{chore.name} every {chore.every:g} s" for chore in chores))
    due = {chore.name: time.monotonic() for chore in chores}
    with consumers.StopSignal() as stop:
        while not stop.event.is_set():
            for chore in chores:
                if time.monotonic() >= due[chore.name] and not stop.event.is_set():
                    run_once(chore)
                    due[chore.name] = time.monotonic() + chore.every
            if stop.event.wait(max(0.0, min(due.values()) - time.monotonic())):
                break
    log.info("%s %d stopped", name, os.getpid())


def run_once(chore: Chore) -> bool:
    """Run one chore; False when it raised (logged: its next turn tries
    again, since a scheduler that died would stop every chore)."""
    started = time.monotonic()
    try:
        outcome = chore.run()
    except Exception:  # noqa: BLE001 - logged, see above
        log.exception("%s failed; trying again in %g s", chore.name, chore.every)
        model.Session.rollback()
        return False
    finally:
        model.Session.remove()
    # a quiet round is not worth a line every minute
    log.log(logging.INFO if outcome else logging.DEBUG, "%s done in %.1f s%s", chore.name,
            time.monotonic() - started, f": {outcome}" if outcome else "")
    return True
