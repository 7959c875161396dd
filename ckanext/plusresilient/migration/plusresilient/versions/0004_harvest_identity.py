"""Harvest identity: records kept when a source withdraws a dataset, and
what the harvest last wrote into each dataset (curated fields, resource ids)

Revision ID: 0004_harvest_identity
Revises: 0003_feedback
Create Date: 2026-12-06

"""
from alembic import op
import sqlalchemy as sa

revision = "0004_harvest_identity"
down_revision = "0003_feedback"
branch_labels = None
depends_on = None


def upgrade():
    op.add_column("plusresilient_harvest_record", sa.Column("withdrawn", sa.DateTime, nullable=True))
    op.add_column("plusresilient_harvest_record", sa.Column("package_name", sa.UnicodeText, nullable=True))
    op.add_column("plusresilient_harvest_record", sa.Column("mapping_digest", sa.UnicodeText, nullable=True))
    op.create_table(
        "plusresilient_harvested_dataset",
        sa.Column("package_id", sa.UnicodeText, primary_key=True),
        sa.Column("source_values", sa.UnicodeText, nullable=False, server_default="{}"),
        sa.Column("resource_keys", sa.UnicodeText, nullable=False, server_default="{}"),
        sa.Column("harvested", sa.DateTime, nullable=True),
    )


def downgrade():
    op.drop_table("plusresilient_harvested_dataset")
    op.drop_column("plusresilient_harvest_record", "mapping_digest")
    op.drop_column("plusresilient_harvest_record", "package_name")
    op.drop_column("plusresilient_harvest_record", "withdrawn")
