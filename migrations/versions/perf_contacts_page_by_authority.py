"""The contacts' list in its default order: each authority's live contacts read from one index
in their order (role, id), with what a page's tags are made of as included columns on PostgreSQL,
so a page is read from the index alone instead of from the table and sorted.

Revision ID: perf_contacts_page_by_authority
Revises: perf_contacts_count_and_order
Create Date: 2026-11-30 13:30:00
"""

import sqlalchemy as sa
from alembic import op

revision = "perf_contacts_page_by_authority"
down_revision = "perf_contacts_count_and_order"
branch_labels = None
depends_on = None

LIVE = sa.text("archived_at IS NULL")


def upgrade():
    op.create_index(
        "ix_contact_points_live_by_authority",
        "contact_points",
        ["authority_id", "role", "id"],
        postgresql_include=["version", "updated_at", "visibility"],
        postgresql_where=LIVE,
        sqlite_where=LIVE,
    )


def downgrade():
    op.drop_index("ix_contact_points_live_by_authority", table_name="contact_points")
