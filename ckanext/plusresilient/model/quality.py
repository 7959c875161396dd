"""The quality annotation of each dataset, its history, and the shared link checks.

One current row per dataset answers the badge, the report page and the
search index in one primary-key read; the history is append-only so trends
can be drawn without reading reports. Link results are per URL, not per
dataset: the same file linked from a regional portal and from the national
aggregator is checked once, and the scheduled re-check walks this table
instead of every dataset.

No foreign key to ``package``: a purged dataset must not be blocked by its
annotation (as with the harvest records), and a stale row is harmless.

Rows are written with PostgreSQL upserts (two jobs may score one dataset, or
check one link, at once), which the session's identity map does not see: the
readers below therefore always load what is in the database.
"""
from __future__ import annotations

import datetime
from typing import Any, Iterable

import sqlalchemy as sa
from ckan.model import meta
from sqlalchemy.dialects import postgresql
from ckan.plugins import toolkit as tk

from ckanext.plusresilient.timestamps import iso

__all__ = ["Quality", "QualityHistory", "LinkCheck", "MAX_STORED_URL", "quality_trend_table"]

#: Longer URLs are checked but not stored: a b-tree index entry must fit in a
#: third of a PostgreSQL page, and such URLs are one-off query strings anyway.
MAX_STORED_URL = 2000

quality_table = sa.Table(
    "plusresilient_quality",
    tk.BaseModel.metadata,
    sa.Column("package_id", sa.UnicodeText, primary_key=True),
    sa.Column("status", sa.UnicodeText, nullable=False),  # "scored" | "error"
    sa.Column("scored_at", sa.DateTime, nullable=False),
    sa.Column("metadata_points", sa.Integer, nullable=True),
    sa.Column("metadata_band", sa.UnicodeText, nullable=True),
    sa.Column("data_score", sa.Float, nullable=True),
    sa.Column("links_score", sa.Float, nullable=True),
    sa.Column("community_score", sa.Float, nullable=True),
    sa.Column("overall_score", sa.Float, nullable=True),
    sa.Column("overall_band", sa.UnicodeText, nullable=True),
    sa.Column("report", sa.UnicodeText, nullable=True),
    sa.Column("error", sa.UnicodeText, nullable=True),
    # the keys of the MQA indicators the report fails, for the catalogue's
    # figures (scoring/catalog.py) without reading every report
    sa.Column("failed_indicators", postgresql.ARRAY(sa.UnicodeText), nullable=True),
    extend_existing=True,
)

quality_history_table = sa.Table(
    "plusresilient_quality_history",
    tk.BaseModel.metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("package_id", sa.UnicodeText, nullable=False),
    sa.Column("scored_at", sa.DateTime, nullable=False),
    sa.Column("metadata_points", sa.Integer, nullable=False),
    sa.Column("data_score", sa.Float, nullable=True),
    sa.Column("links_score", sa.Float, nullable=True),
    sa.Column("community_score", sa.Float, nullable=True),
    sa.Column("overall_score", sa.Float, nullable=False),
    sa.Column("overall_band", sa.UnicodeText, nullable=False),
    sa.Index("plusresilient_quality_history_package_idx", "package_id", "scored_at"),
    extend_existing=True,
)

#: The trend's running sums per day and kind of visibility, kept equal to the
#: history by triggers (migration 0005): see scoring/catalog.py.
quality_trend_table = sa.Table(
    "plusresilient_quality_trend",
    tk.BaseModel.metadata,
    sa.Column("day", sa.Date, primary_key=True),
    sa.Column("package_type", sa.UnicodeText, primary_key=True),
    sa.Column("owner_org", sa.UnicodeText, primary_key=True),      # "" for none
    sa.Column("private", sa.Boolean, primary_key=True),
    sa.Column("country", sa.UnicodeText, primary_key=True),        # "" for none
    sa.Column("creator_user_id", sa.UnicodeText, primary_key=True),  # private without organization only
    sa.Column("band", sa.UnicodeText, primary_key=True),
    sa.Column("scorings", sa.Integer, nullable=False),   # scorings made that day
    sa.Column("datasets", sa.Integer, nullable=False),   # change in the datasets counted
    sa.Column("score_sum", sa.Numeric, nullable=False),  # change in the sum of their scores
    extend_existing=True,
)

link_check_table = sa.Table(
    "plusresilient_link_check",
    tk.BaseModel.metadata,
    sa.Column("url", sa.UnicodeText, primary_key=True),
    sa.Column("status", sa.Integer, nullable=True),
    sa.Column("ok", sa.Boolean, nullable=False),
    sa.Column("kind", sa.UnicodeText, nullable=True),
    sa.Column("message", sa.UnicodeText, nullable=True),
    sa.Column("final_url", sa.UnicodeText, nullable=True),
    sa.Column("checked_at", sa.DateTime, nullable=False),
    sa.Index("plusresilient_link_check_checked_at_idx", "checked_at"),
    extend_existing=True,
)


class Quality(tk.BaseModel):
    """The current annotation of one dataset; ``report`` is its JSON.

    ``status`` "error" keeps the figures, the report and ``scored_at`` of the
    last scoring that worked (a dataset never scored has none), with the
    failure in ``error``.
    """

    __table__ = quality_table

    @classmethod
    def get(cls, package_id: str) -> "Quality | None":
        return meta.Session.get(cls, package_id, populate_existing=True)


class QualityHistory(tk.BaseModel):
    """One row per scoring: the figures a trend line needs, nothing more."""

    __table__ = quality_history_table

    @classmethod
    def of_package(cls, package_id: str) -> list["QualityHistory"]:
        """Oldest first."""
        return (meta.Session.query(cls).filter(cls.package_id == package_id)
                .order_by(cls.scored_at, cls.id).populate_existing().all())


class LinkCheck(tk.BaseModel):
    """The last answer of one URL, whichever datasets link to it."""

    __table__ = link_check_table

    @classmethod
    def of_urls(cls, urls: Iterable[str]) -> dict[str, "LinkCheck"]:
        """The stored checks of these URLs, in one query."""
        wanted = [url for url in dict.fromkeys(urls) if url and len(url) <= MAX_STORED_URL]
        if not wanted:
            return {}
        rows = meta.Session.query(cls).filter(cls.url.in_(wanted)).populate_existing()
        return {row.url: row for row in rows}

    @classmethod
    def older_than(cls, moment: datetime.datetime) -> list["LinkCheck"]:
        return (meta.Session.query(cls).filter(cls.checked_at < moment)
                .order_by(cls.checked_at).populate_existing().all())

    def as_status(self) -> dict[str, Any]:
        """The shape of links.LinkStatus.to_dict(), which the scorer reads."""
        return {
            "url": self.url, "status": self.status, "ok": self.ok, "kind": self.kind,
            "message": self.message or "", "final_url": self.final_url,
            "checked_at": iso(self.checked_at), "seconds": 0.0,
        }
