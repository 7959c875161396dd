"""What users say about a dataset: ratings, quality reports, comments, suggested fixes.

One table holds every kind, because the moderation queue, "my reports" and
the dataset's panel all list them together, newest first; the columns only
some kinds use (``rating``, ``category``) are nullable. Replies are the
publisher's answers, in their own table so an item can have several. Flags
are one row per person and item, so the same person cannot hide an item by
flagging it again; ``flags`` on the item counts those since the last
moderation decision (the queue's "flagged" means "not reviewed since").

The flagger is a user id, or ``ip:`` and the keyed hash of an anonymous
caller's address: the raw address is never stored anywhere.

No foreign key to ``package``, as for the quality tables: a purged dataset
must not be blocked by its feedback. Replies and flags do reference their
item, whose rows are never purged here (deleting is a state).
"""
from __future__ import annotations

from typing import Iterable

import sqlalchemy as sa
from ckan.model import meta
from ckan.plugins import toolkit as tk

from ckanext.plusresilient.quality.score import CommunitySummary
from ckanext.plusresilient.timestamps import utcnow

__all__ = [
    "CATEGORIES",
    "Feedback",
    "FeedbackFlag",
    "FeedbackReply",
    "KINDS",
    "MAX_TEXT",
    "MODERATION_STATES",
    "OPEN_STATUSES",
    "STATUSES",
]

KINDS = ("rating", "report", "comment", "suggestion")
#: What a quality report is about.
CATEGORIES = ("broken_link", "wrong_values", "outdated", "missing_metadata",
              "unclear_licence", "other")
#: Where the publisher is with an item; "open" and "acknowledged" reports count
#: against the dataset's community score.
STATUSES = ("open", "acknowledged", "resolved", "rejected")
#: Statuses of a report that still counts against the dataset.
OPEN_STATUSES = ("open", "acknowledged")
#: Who may see an item: everyone once "approved"; moderators and the author otherwise.
MODERATION_STATES = ("pending", "approved", "hidden")
#: Characters of an item's or a reply's text.
MAX_TEXT = 5000


feedback_table = sa.Table(
    "plusresilient_feedback",
    tk.BaseModel.metadata,
    sa.Column("id", sa.UnicodeText, primary_key=True),
    sa.Column("package_id", sa.UnicodeText, nullable=False, index=True),
    sa.Column("resource_id", sa.UnicodeText, nullable=True),
    sa.Column("kind", sa.UnicodeText, nullable=False),
    sa.Column("rating", sa.Integer, nullable=True),
    sa.Column("category", sa.UnicodeText, nullable=True),
    sa.Column("text", sa.UnicodeText, nullable=False, default=""),
    sa.Column("author_id", sa.UnicodeText, nullable=True, index=True),
    sa.Column("author_ip_hash", sa.UnicodeText, nullable=True),
    sa.Column("created", sa.DateTime, nullable=False, default=utcnow),
    sa.Column("updated", sa.DateTime, nullable=False, default=utcnow),
    sa.Column("status", sa.UnicodeText, nullable=False, default="open"),
    sa.Column("moderation", sa.UnicodeText, nullable=False, default="pending"),
    sa.Column("flags", sa.Integer, nullable=False, default=0),
    sa.Column("state", sa.UnicodeText, nullable=False, default="active"),
    sa.CheckConstraint("rating IS NULL OR rating BETWEEN 1 AND 5",
                       name="plusresilient_feedback_rating_range"),
    extend_existing=True,
)

feedback_reply_table = sa.Table(
    "plusresilient_feedback_reply",
    tk.BaseModel.metadata,
    sa.Column("id", sa.UnicodeText, primary_key=True),
    sa.Column("feedback_id", sa.UnicodeText, sa.ForeignKey("plusresilient_feedback.id"),
              nullable=False, index=True),
    sa.Column("author_id", sa.UnicodeText, nullable=True),
    sa.Column("text", sa.UnicodeText, nullable=False),
    sa.Column("created", sa.DateTime, nullable=False, default=utcnow),
    extend_existing=True,
)

feedback_flag_table = sa.Table(
    "plusresilient_feedback_flag",
    tk.BaseModel.metadata,
    sa.Column("feedback_id", sa.UnicodeText, sa.ForeignKey("plusresilient_feedback.id"),
              primary_key=True),
    # a user id, or "ip:" + the keyed hash of an anonymous caller's address
    sa.Column("flagger", sa.UnicodeText, primary_key=True),
    sa.Column("reason", sa.UnicodeText, nullable=True),
    sa.Column("created", sa.DateTime, nullable=False, default=utcnow),
    extend_existing=True,
)


class Feedback(tk.BaseModel):
    """One rating, quality report, comment or suggested fix on a dataset."""

    __table__ = feedback_table

    @classmethod
    def get(cls, feedback_id: str) -> "Feedback | None":
        """An active item; deleted ones are gone for every reader."""
        if not feedback_id or not isinstance(feedback_id, str):
            return None
        item = meta.Session.get(cls, feedback_id)
        return item if item is not None and item.state == "active" else None

    @classmethod
    def active(cls) -> sa.orm.Query:
        return meta.Session.query(cls).filter(cls.state == "active")

    @classmethod
    def rating_of(cls, package_id: str, *, author_id: str | None,
                  ip_hash: str | None) -> "Feedback | None":
        """The author's current rating of a dataset (one per person): by user,
        or by address hash for an anonymous rater."""
        query = cls.active().filter(cls.package_id == package_id, cls.kind == "rating")
        if author_id:
            query = query.filter(cls.author_id == author_id)
        elif ip_hash:
            query = query.filter(cls.author_id.is_(None), cls.author_ip_hash == ip_hash)
        else:
            return None
        return query.order_by(cls.created.desc()).first()

    @classmethod
    def community_summary(cls, package_id: str) -> CommunitySummary | None:
        """What the quality score's community component counts: approved
        ratings and approved reports still open or acknowledged (the formula
        is in :mod:`ckanext.plusresilient.quality.score`). None when the
        dataset has neither, so the component is left out and its weight
        goes to the others."""
        scored = cls.active().filter(cls.package_id == package_id, cls.moderation == "approved")
        is_rating = cls.kind == "rating"
        row = scored.with_entities(
            sa.func.count().filter(is_rating).label("ratings"),
            sa.func.avg(cls.rating).filter(is_rating).label("average"),
            sa.func.count().filter(cls.kind == "report",
                                   cls.status.in_(OPEN_STATUSES)).label("open_reports"),
        ).one()
        if not row.ratings and not row.open_reports:
            return None
        return CommunitySummary(ratings=int(row.ratings),
                                average_rating=float(row.average) if row.ratings else None,
                                open_reports=int(row.open_reports))


class FeedbackReply(tk.BaseModel):
    """A publisher's answer to an item."""

    __table__ = feedback_reply_table

    @classmethod
    def of_items(cls, feedback_ids: Iterable[str]) -> dict[str, list["FeedbackReply"]]:
        """Item id -> its replies, oldest first, in one query."""
        wanted = list(dict.fromkeys(feedback_ids))
        replies: dict[str, list[FeedbackReply]] = {item_id: [] for item_id in wanted}
        if not wanted:
            return replies
        rows = (meta.Session.query(cls).filter(cls.feedback_id.in_(wanted))
                .order_by(cls.created, cls.id))
        for row in rows:
            replies[row.feedback_id].append(row)
        return replies


class FeedbackFlag(tk.BaseModel):
    """One person's abuse flag on one item."""

    __table__ = feedback_flag_table

    @classmethod
    def get(cls, feedback_id: str, flagger: str) -> "FeedbackFlag | None":
        return meta.Session.get(cls, (feedback_id, flagger))
