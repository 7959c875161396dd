"""Which remote dataset became which CKAN dataset, per harvest source.

ckanext-harvest's objects are per job and per source, so they cannot tell
that two sources (a regional portal and the national aggregator) bring the
same dataset, nor which datasets a complete pass no longer saw. One row per
(source, remote identifier) does both, with indexes, and lets gather compare
modification dates without loading anything else.

A record outlives the source's claim: when the source stops listing the
dataset the record is only marked ``withdrawn``, so that the dataset it
made, with its id, name, resources, feedback and quality history, is the one
restored when the dataset comes back — through this source or another.

:class:`HarvestedDataset` keeps, per CKAN dataset, what the harvest last
wrote into it: the value of each field the source gave (a field whose value
now differs was edited here, and is kept), and which remote distribution
became which resource (so resource ids survive updates).
"""
from __future__ import annotations

import datetime
import json
from typing import Any

import sqlalchemy as sa
from ckan.model import meta
from ckan.plugins import toolkit as tk

harvest_record_table = sa.Table(
    "plusresilient_harvest_record",
    tk.BaseModel.metadata,
    sa.Column("source_id", sa.UnicodeText, primary_key=True),
    # the dataset's identity across portals: its URI, or the source's own identifier
    sa.Column("identifier", sa.UnicodeText, primary_key=True),
    sa.Column("package_id", sa.UnicodeText, nullable=True, index=True),
    sa.Column("remote_modified", sa.UnicodeText, nullable=True),
    sa.Column("last_seen_job_id", sa.UnicodeText, nullable=True),
    sa.Column("first_seen", sa.DateTime, default=datetime.datetime.utcnow),
    sa.Column("last_seen", sa.DateTime, default=datetime.datetime.utcnow),
    # when the source stopped listing it (NULL: the source still publishes it)
    sa.Column("withdrawn", sa.DateTime, nullable=True),
    # the dataset's name when last imported: what it is recreated with if
    # the dataset itself was purged (ckanext-harvest's clearsource)
    sa.Column("package_name", sa.UnicodeText, nullable=True),
    # digest of the mapping rules and source configuration it was last
    # imported with: when they change, the next harvest imports it again
    sa.Column("mapping_digest", sa.UnicodeText, nullable=True),
    sa.Index("plusresilient_harvest_record_identifier_idx", "identifier"),
    extend_existing=True,
)


class HarvestRecord(tk.BaseModel):
    __table__ = harvest_record_table

    @classmethod
    def get(cls, source_id: str, identifier: str) -> "HarvestRecord | None":
        return meta.Session.get(cls, (source_id, identifier))

    @classmethod
    def of_source(cls, source_id: str, identifiers: list[str]) -> dict[str, "HarvestRecord"]:
        """The records of these identifiers (one listing page) in one query."""
        if not identifiers:
            return {}
        rows = meta.Session.query(cls).filter(cls.source_id == source_id,
                                              cls.identifier.in_(identifiers))
        return {row.identifier: row for row in rows}

    @classmethod
    def of_identity(cls, source_id: str, identifier: str
                    ) -> tuple["HarvestRecord | None", "HarvestRecord | None"]:
        """This source's record of the identifier, and the record by which a
        CKAN dataset of it was made: this source's own when it made one, else
        another source's (or this one's before a clearsource), a source still
        holding it first. One query: it runs for every imported object."""
        rows = (meta.Session.query(cls)
                .filter(cls.identifier == identifier,
                        sa.or_(cls.source_id == source_id, cls.package_id.isnot(None)))
                .order_by(cls.withdrawn.isnot(None), cls.last_seen.desc())
                .all())
        own = next((row for row in rows if row.source_id == source_id), None)
        if own is not None and own.package_id:
            return own, own
        return own, next((row for row in rows if row.package_id), None)

    @classmethod
    def others_hold(cls, identifier: str, source_id: str) -> bool:
        """Whether another source still publishes this dataset."""
        return meta.Session.query(
            meta.Session.query(cls).filter(cls.identifier == identifier,
                                           cls.source_id != source_id,
                                           cls.withdrawn.is_(None)).exists()).scalar()

    @classmethod
    def sources_of(cls, package_id: str) -> list["HarvestRecord"]:
        """The records of every source that publishes this dataset now."""
        return (meta.Session.query(cls)
                .filter(cls.package_id == package_id, cls.withdrawn.is_(None))
                .order_by(cls.first_seen).all())


harvested_dataset_table = sa.Table(
    "plusresilient_harvested_dataset",
    tk.BaseModel.metadata,
    sa.Column("package_id", sa.UnicodeText, primary_key=True),
    # field -> the value the source gave at the last import (JSON)
    sa.Column("source_values", sa.UnicodeText, nullable=False, default="{}"),
    # remote distribution key (its id, URI or URL) -> CKAN resource id (JSON)
    sa.Column("resource_keys", sa.UnicodeText, nullable=False, default="{}"),
    sa.Column("harvested", sa.DateTime, nullable=True),
    extend_existing=True,
)


class HarvestedDataset(tk.BaseModel):
    __table__ = harvested_dataset_table

    @classmethod
    def get(cls, package_id: str) -> "HarvestedDataset | None":
        return meta.Session.get(cls, package_id)

    @classmethod
    def forget(cls, package_id: str) -> None:
        """Drop what was recorded of a dataset that is created afresh."""
        meta.Session.query(cls).filter(cls.package_id == package_id).delete(synchronize_session=False)

    @property
    def values(self) -> dict[str, Any]:
        return json.loads(self.source_values or "{}")

    @values.setter
    def values(self, values: dict[str, Any]) -> None:
        self.source_values = json.dumps(values, sort_keys=True, ensure_ascii=False)

    @property
    def resources(self) -> dict[str, str]:
        return json.loads(self.resource_keys or "{}")

    @resources.setter
    def resources(self, keys: dict[str, str]) -> None:
        self.resource_keys = json.dumps(keys, sort_keys=True, ensure_ascii=False)
