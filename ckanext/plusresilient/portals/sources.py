"""The harvest sources of the directory's portals, as the portal list shows them."""
from __future__ import annotations

from typing import Any

from ckan import model

from ckanext.plusresilient import config, search
from ckanext.plusresilient.portals import Portal

__all__ = ["with_sources"]


def with_sources(portals: list[Portal], user: str | None) -> list[dict[str, Any]]:
    """Each portal as ``portals.yaml`` says, plus ``harvest_source``: ``{id,
    name, url, datasets, last_job_status}`` when it has one, else None.
    ``datasets`` counts what ``user`` can find."""
    sources = _sources_by_name([portal.harvest_source_name for portal in portals])
    counts = _dataset_counts(user, [source.id for source in sources.values()])
    result = []
    for portal in portals:
        item = portal.as_dict()
        source = sources.get(portal.harvest_source_name)
        item["harvest_source"] = None if source is None else {
            "id": source.id,
            "name": source.name,
            "url": source.url,
            "datasets": counts.get(source.id, 0),
            "last_job_status": _last_job_status(source.id),
        }
        result.append(item)
    return result


def _sources_by_name(names: list[str]) -> dict[str, Any]:
    """The active harvest source packages with these names, by name."""
    if not names:
        return {}
    packages = (
        model.Session.query(model.Package)
        .filter(model.Package.type == config.HARVEST_SOURCE_TYPE)
        .filter(model.Package.state == "active")
        .filter(model.Package.name.in_(names))
        .all()
    )
    return {package.name: package for package in packages}


def _last_job_status(source_id: str) -> str | None:
    from ckanext.harvest.model import HarvestJob

    job = (
        HarvestJob.filter(source_id=source_id)
        .order_by(HarvestJob.created.desc())
        .first()
    )
    return job.status if job else None


def _dataset_counts(user: str | None, source_ids: list[str]) -> dict[str, int]:
    """Datasets per harvest source, from the search index (so the counts are
    what the caller can find), in one query faceted on every source that
    publishes each dataset (search.HARVEST_SOURCES_FIELD): a dataset both a
    regional portal and the national aggregator publish counts under each,
    where ckanext-harvest's harvest_source_id names only the last importer."""
    if not source_ids:
        return {}
    field = search.HARVEST_SOURCES_FIELD
    quoted = " OR ".join(f'"{source_id}"' for source_id in source_ids)
    result = search.facet_counts(user, f"{field}:({quoted})", [field])
    counts = result.get("facets", {}).get(field, {})
    return {source_id: int(counts.get(source_id, 0)) for source_id in source_ids}
