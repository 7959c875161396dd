"""plusresilient_feedback, its replies and its abuse flags

Revision ID: 0003_feedback
Revises: 0002_quality
Create Date: 2026-12-04

"""
from alembic import op
import sqlalchemy as sa

revision = "0003_feedback"
down_revision = "0002_quality"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "plusresilient_feedback",
        sa.Column("id", sa.UnicodeText, primary_key=True),
        sa.Column("package_id", sa.UnicodeText, nullable=False),
        sa.Column("resource_id", sa.UnicodeText, nullable=True),
        sa.Column("kind", sa.UnicodeText, nullable=False),
        sa.Column("rating", sa.Integer, nullable=True),
        sa.Column("category", sa.UnicodeText, nullable=True),
        sa.Column("text", sa.UnicodeText, nullable=False),
        sa.Column("author_id", sa.UnicodeText, nullable=True),
        sa.Column("author_ip_hash", sa.UnicodeText, nullable=True),
        sa.Column("created", sa.DateTime, nullable=False),
        sa.Column("updated", sa.DateTime, nullable=False),
        sa.Column("status", sa.UnicodeText, nullable=False),
        sa.Column("moderation", sa.UnicodeText, nullable=False),
        sa.Column("flags", sa.Integer, nullable=False),
        sa.Column("state", sa.UnicodeText, nullable=False),
        sa.CheckConstraint("rating IS NULL OR rating BETWEEN 1 AND 5",
                           name="plusresilient_feedback_rating_range"),
    )
    op.create_index("ix_plusresilient_feedback_package_id",
                    "plusresilient_feedback", ["package_id"])
    op.create_index("ix_plusresilient_feedback_author_id",
                    "plusresilient_feedback", ["author_id"])
    op.create_table(
        "plusresilient_feedback_reply",
        sa.Column("id", sa.UnicodeText, primary_key=True),
        sa.Column("feedback_id", sa.UnicodeText,
                  sa.ForeignKey("plusresilient_feedback.id"), nullable=False),
        sa.Column("author_id", sa.UnicodeText, nullable=True),
        sa.Column("text", sa.UnicodeText, nullable=False),
        sa.Column("created", sa.DateTime, nullable=False),
    )
    op.create_index("ix_plusresilient_feedback_reply_feedback_id",
                    "plusresilient_feedback_reply", ["feedback_id"])
    op.create_table(
        "plusresilient_feedback_flag",
        sa.Column("feedback_id", sa.UnicodeText,
                  sa.ForeignKey("plusresilient_feedback.id"), primary_key=True),
        sa.Column("flagger", sa.UnicodeText, primary_key=True),
        sa.Column("reason", sa.UnicodeText, nullable=True),
        sa.Column("created", sa.DateTime, nullable=False),
    )


def downgrade():
    op.drop_table("plusresilient_feedback_flag")
    op.drop_table("plusresilient_feedback_reply")
    op.drop_table("plusresilient_feedback")
