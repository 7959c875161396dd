"""Which remote dataset became which CKAN dataset, per harvest source.

ckanext-harvest's objects are per job and per source, so they cannot tell
that two sources (a regional portal and the national aggregator) bring the
same dataset, nor which datasets a complete pass no longer saw. One row per
(source, remote identifier) does both, with indexes, and lets gather compare
modification dates without loading anything else.
"""
from __future__ import annotations

import datetime

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
    def package_for(cls, identifier: str) -> str | None:
        """The CKAN dataset any source already made of this identifier."""
        row = (meta.Session.query(cls.package_id)
               .filter(cls.identifier == identifier, cls.package_id.isnot(None))
               .first())
        return row[0] if row else None

    @classmethod
    def others_hold(cls, identifier: str, source_id: str) -> bool:
        return meta.Session.query(
            meta.Session.query(cls).filter(cls.identifier == identifier,
                                           cls.source_id != source_id).exists()).scalar()
