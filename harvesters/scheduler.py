"""What cron's ``ckan harvester run`` does, as one process a supervisor keeps alive.

ckanext-harvest leaves three chores to a periodic ``ckan harvester run``
(``harvest_jobs_run``): starting the jobs that the sources' update frequencies
make due, marking a job "Finished" once its objects are all done, and putting
back on the queues what a killed consumer left behind. Until the second
happens, the source page says "Running" for a job whose datasets are long
imported (or that found nothing new). A portal without cron (the demo, a
container) showed every harvest started from its page as running for ever.

:func:`run` does one round every ``every`` seconds until SIGTERM or SIGINT.
A round that fails (the database or Redis away for a moment) is logged, and
the next one comes: a scheduler that died on the first hiccup would bring the
"Running for ever" back.
"""
from __future__ import annotations

import logging
import os

from ckan import model
from ckan.plugins import toolkit as tk

from ckanext.plusresilient.harvesters.consumers import StopSignal

log = logging.getLogger(__name__)

DEFAULT_EVERY = 60


def run_round() -> None:
    """One ``harvest_jobs_run``, as the site user; never raises."""
    try:
        site_user = tk.get_action("get_site_user")({"ignore_auth": True}, {})
        tk.get_action("harvest_jobs_run")(
            {"model": model, "session": model.Session, "user": site_user["name"],
             "ignore_auth": True}, {})
    except Exception:  # noqa: BLE001 - logged; the next round tries again
        log.exception("harvest scheduler round failed; trying again in the next one")
        model.Session.rollback()
    finally:
        model.Session.remove()


def run(every: float = DEFAULT_EVERY) -> None:
    """Run a round every ``every`` seconds until SIGTERM or SIGINT (the round
    in progress is finished first)."""
    log.info("harvest scheduler %d: a round every %g s", os.getpid(), every)
    with StopSignal() as stop:
        while True:
            run_round()
            if stop.event.wait(every):
                break
    log.info("harvest scheduler %d stopped", os.getpid())
