"""Run one harvest source's job in this process, stage by stage, reporting
progress — what ``ckan plusresilient harvest run SOURCE`` does for an admin
who wants to watch a source, and what the tests drive. Production harvests
go through ckanext-harvest's queues and consumers; both paths call the same
stages and leave the same job, objects and report behind."""
from __future__ import annotations

import datetime
from collections import Counter
from dataclasses import dataclass, field
from typing import Any, Callable

import ckan.plugins as p
import ckan.plugins.toolkit as tk
from ckan import model
from ckanext.harvest import queue
from ckanext.harvest.interfaces import IHarvester
from ckanext.harvest.model import HarvestGatherError, HarvestJob, HarvestObject, HarvestObjectError, HarvestSource

REPORT_KEYS = {"added": "created", "updated": "updated", "not modified": "unchanged",
               "deleted": "deleted", "errored": "errors"}


@dataclass
class Summary:
    job_id: str
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    deleted: int = 0
    errors: int = 0
    gather_errors: list[str] = field(default_factory=list)
    object_errors: list[str] = field(default_factory=list)

    def line(self) -> str:
        return (f"created {self.created}, updated {self.updated}, unchanged {self.unchanged}, "
                f"deleted {self.deleted}, errors {self.errors + len(self.gather_errors)}")


def harvester_for(source: HarvestSource):
    for harvester in p.PluginImplementations(IHarvester):
        if harvester.info()["name"] == source.type:
            return harvester
    raise tk.ObjectNotFound(f"No harvester plugin '{source.type}' is enabled for source {source.name or source.id}")


def find_source(reference: str) -> HarvestSource:
    source = HarvestSource.get(reference)
    if source is None:
        package = model.Package.get(reference)
        source = HarvestSource.get(package.id) if package else None
    if source is None:
        raise tk.ObjectNotFound(f"Harvest source not found: {reference}")
    return source


def run_source(reference: str, progress: Callable[[str, int, int], None] | None = None,
               full: bool = False, context: dict[str, Any] | None = None) -> Summary:
    """Gather, then fetch and import every object, then close the job.
    ``progress(stage, done, total)`` is called as it goes; ``full`` imports
    every dataset the source lists, changed or not (fields edited here are
    kept); ``context`` goes into the context of every dataset's save (e.g.
    ``jobs.NO_SCORING``)."""
    source = find_source(reference)
    harvester = harvester_for(source)
    running = model.Session.query(HarvestJob).filter(
        HarvestJob.source_id == source.id, HarvestJob.status.in_(["New", "Running"])).first()
    if running is not None:
        raise tk.ValidationError({"source": [f"A job for this source is already {running.status.lower()} "
                                             f"({running.id})"]})
    job = HarvestJob(source=source, status="Running", gather_started=datetime.datetime.utcnow())
    job.save()
    job_id, source_id = job.id, source.id
    if progress:
        progress("gather", 0, 0)
    harvester.progress = progress
    harvester.full = full
    try:
        object_ids = queue.gather_stage(harvester, job)
    finally:
        harvester.progress = None
        harvester.full = False
    object_ids = object_ids if isinstance(object_ids, list) else []
    total = len(object_ids)
    harvester.import_context = dict(context or {})
    try:
        for done, object_id in enumerate(object_ids, start=1):
            harvest_object = HarvestObject.get(object_id)
            queue.fetch_and_import_stages(harvester, harvest_object)
            # As the fetch consumer does after each object: a session kept for a
            # whole source grows with it (memory, and the time to walk it).
            model.Session.remove()
            if progress:
                progress("import", done, total)
    finally:
        harvester.import_context = {}
    tk.get_action("harvest_jobs_run")({"ignore_auth": True}, {"source_id": source_id})
    return summarise(job_id)


def summarise(job_id: str) -> Summary:
    summary = Summary(job_id=job_id)
    statuses = Counter(status for (status,) in model.Session.query(HarvestObject.report_status)
                       .filter(HarvestObject.harvest_job_id == job_id))
    for status, count in statuses.items():
        key = REPORT_KEYS.get(status or "")
        if key:
            setattr(summary, key, getattr(summary, key) + count)
    summary.gather_errors = [e.message for e in model.Session.query(HarvestGatherError)
                             .filter(HarvestGatherError.harvest_job_id == job_id)]
    summary.object_errors = [e.message for e in model.Session.query(HarvestObjectError)
                             .join(HarvestObject).filter(HarvestObject.harvest_job_id == job_id)]
    return summary
