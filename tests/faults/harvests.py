"""What the fault tests share about harvests and scorings: an imitation CKAN
portal's source and job, the counts a test reads back from the database
(nothing lost, nothing doubled), and the scoring worker's configuration."""
from __future__ import annotations

import json
from typing import Any

import sqlalchemy as sa
from ckan import model
from ckan.tests.helpers import call_action
from ckanext.harvest.model import HarvestJob, HarvestObject

from ckanext.plusresilient.demo.portals.ckan import CKANPortal
from ckanext.plusresilient.model import QualityHistory
from ckanext.plusresilient.safe_http import ALLOWED_NETWORKS_OPTION


def allowing(*urls: str) -> dict[str, str]:
    """Worker options: test.ini, with these loopback servers allowed (each
    ``http://127.0.0.1:port``), which a worker process cannot learn otherwise."""
    return {ALLOWED_NETWORKS_OPTION: " ".join(url.removeprefix("http://").split("/")[0] for url in urls)}


def create_source(portal: CKANPortal, context: dict[str, Any], name: str,
                  frequency: str = "MANUAL") -> dict[str, Any]:
    """A harvest source of ours on ``portal``, as an admin makes it."""
    return call_action("harvest_source_create", dict(context), name=name, title=name,
                       url=portal.api_url, source_type="plusresilient_ckan", frequency=frequency,
                       config=json.dumps({"portal": name, "country": "IT", "language": "it"}))


def start_harvest(portal: CKANPortal, context: dict[str, Any], name: str) -> dict[str, Any]:
    """A source on ``portal`` and a job for it, created as the source page's
    "Reharvest" button does: the job goes onto the gather queue."""
    source = create_source(portal, context, name)
    return call_action("harvest_job_create", dict(context), source_id=source["id"])


def object_states(job_id: str) -> dict[str, int]:
    """The job's harvest objects by state, read afresh."""
    model.Session.remove()
    rows = (model.Session.query(HarvestObject.state, sa.func.count())
            .filter(HarvestObject.harvest_job_id == job_id).group_by(HarvestObject.state))
    return dict(rows)


def job_status(job_id: str) -> str:
    model.Session.remove()
    return model.Session.get(HarvestJob, job_id).status


def _harvested(source_id: str) -> list[tuple[str, str]]:
    """(id, title) of each active dataset the source's harvests made."""
    model.Session.remove()
    return (model.Session.query(model.Package.id, model.Package.title)
            .join(HarvestObject, HarvestObject.package_id == model.Package.id)
            .filter(HarvestObject.harvest_source_id == source_id, HarvestObject.current.is_(True),
                    model.Package.state == "active")
            .distinct().all())


def harvested_titles(source_id: str) -> list[str]:
    """The titles of the active datasets the source's harvests made, one
    entry per dataset (a title twice is a dataset made twice), sorted."""
    return sorted(title for _id, title in _harvested(source_id))


def harvest_package_ids(source_id: str) -> list[str]:
    """The ids of the active datasets the source's harvests made."""
    return sorted(package_id for package_id, _title in _harvested(source_id))


def scorings_stored(package_ids: list[str]) -> dict[str, int]:
    """How many scorings each dataset has had stored (history rows)."""
    model.Session.remove()
    counts = dict(model.Session.query(QualityHistory.package_id, sa.func.count())
                  .filter(QualityHistory.package_id.in_(package_ids))
                  .group_by(QualityHistory.package_id))
    return {package_id: counts.get(package_id, 0) for package_id in package_ids}
