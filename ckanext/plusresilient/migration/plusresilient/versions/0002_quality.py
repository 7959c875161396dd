"""plusresilient_quality, its history, and the shared link checks

Revision ID: 0002_quality
Revises: 0001_harvest_record
Create Date: 2026-11-27

"""
from alembic import op
import sqlalchemy as sa

revision = "0002_quality"
down_revision = "0001_harvest_record"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "plusresilient_quality",
        sa.Column("package_id", sa.UnicodeText, primary_key=True),
        sa.Column("status", sa.UnicodeText, nullable=False),
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
    )
    op.create_table(
        "plusresilient_quality_history",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("package_id", sa.UnicodeText, nullable=False),
        sa.Column("scored_at", sa.DateTime, nullable=False),
        sa.Column("metadata_points", sa.Integer, nullable=False),
        sa.Column("data_score", sa.Float, nullable=True),
        sa.Column("links_score", sa.Float, nullable=True),
        sa.Column("community_score", sa.Float, nullable=True),
        sa.Column("overall_score", sa.Float, nullable=False),
        sa.Column("overall_band", sa.UnicodeText, nullable=False),
    )
    op.create_index("plusresilient_quality_history_package_idx",
                    "plusresilient_quality_history", ["package_id", "scored_at"])
    op.create_table(
        "plusresilient_link_check",
        sa.Column("url", sa.UnicodeText, primary_key=True),
        sa.Column("status", sa.Integer, nullable=True),
        sa.Column("ok", sa.Boolean, nullable=False),
        sa.Column("kind", sa.UnicodeText, nullable=True),
        sa.Column("message", sa.UnicodeText, nullable=True),
        sa.Column("final_url", sa.UnicodeText, nullable=True),
        sa.Column("checked_at", sa.DateTime, nullable=False),
    )
    op.create_index("plusresilient_link_check_checked_at_idx",
                    "plusresilient_link_check", ["checked_at"])


def downgrade():
    op.drop_table("plusresilient_link_check")
    op.drop_table("plusresilient_quality_history")
    op.drop_table("plusresilient_quality")
