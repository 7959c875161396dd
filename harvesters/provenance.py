"""Where a harvested dataset comes from, and what was edited here: every
source that publishes it now, and each field whose value differs from what
the source gave (kept across harvests, see ``harvesters/curation.py``)."""
from __future__ import annotations

from typing import Any

from ckan import model
from ckanext.harvest.model import HarvestSource

from ckanext.plusresilient.harvesters import curation
from ckanext.plusresilient.model import HarvestedDataset, HarvestRecord


def of_dataset(dataset: dict[str, Any]) -> dict[str, Any]:
    """``sources``: each source holding the dataset (id, name, title, url,
    first and last seen); ``edited_here``: each harvested field changed here
    (field, value here, source_value); ``harvested``: the last import."""
    records = HarvestRecord.sources_of(dataset["id"])
    sources = {source.id: source for source in model.Session.query(HarvestSource).filter(
        HarvestSource.id.in_([record.source_id for record in records]))} if records else {}
    names = dict(model.Session.query(model.Package.id, model.Package.name).filter(
        model.Package.id.in_(list(sources)))) if sources else {}
    harvested = HarvestedDataset.get(dataset["id"])
    recorded = harvested.values if harvested else {}
    return {
        "sources": [{
            "id": record.source_id,
            "name": names.get(record.source_id),
            "title": sources[record.source_id].title if record.source_id in sources else None,
            "url": sources[record.source_id].url if record.source_id in sources else None,
            "identifier": record.identifier,
            "first_seen": _iso(record.first_seen),
            "last_seen": _iso(record.last_seen),
        } for record in records],
        "edited_here": [{
            "field": field,
            "value": dataset.get(field),
            "source_value": recorded[field],
        } for field in curation.edited_fields(dataset, recorded)],
        "harvested": _iso(harvested.harvested) if harvested else None,
    }


def _iso(moment: Any) -> str | None:
    return moment.isoformat() if moment else None
