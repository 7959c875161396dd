"""plusresilient_harvest_record: remote identifier -> CKAN dataset, per source

Revision ID: 0001_harvest_record
Revises:
Create Date: 2026-11-27

"""
from alembic import op
import sqlalchemy as sa

revision = "0001_harvest_record"
down_revision = None
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "plusresilient_harvest_record",
        sa.Column("source_id", sa.UnicodeText, primary_key=True),
        sa.Column("identifier", sa.UnicodeText, primary_key=True),
        sa.Column("package_id", sa.UnicodeText, nullable=True),
        sa.Column("remote_modified", sa.UnicodeText, nullable=True),
        sa.Column("last_seen_job_id", sa.UnicodeText, nullable=True),
        sa.Column("first_seen", sa.DateTime),
        sa.Column("last_seen", sa.DateTime),
    )
    op.create_index("plusresilient_harvest_record_identifier_idx",
                    "plusresilient_harvest_record", ["identifier"])
    op.create_index("ix_plusresilient_harvest_record_package_id",
                    "plusresilient_harvest_record", ["package_id"])


def downgrade():
    op.drop_table("plusresilient_harvest_record")
