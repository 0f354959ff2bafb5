"""The contacts' list: its total counted from an index alone (a partial index on the visibility
of the contacts not archived), and its default order (by member state, then authority) begun
from an index on the authorities instead of sorting every contact.

Revision ID: perf_contacts_count_and_order
Revises: perf_contacts_by_name
Create Date: 2026-11-30 11:45:00
"""

import sqlalchemy as sa
from alembic import op

revision = "perf_contacts_count_and_order"
down_revision = "perf_contacts_by_name"
branch_labels = None
depends_on = None

LIVE = sa.text("archived_at IS NULL")


def upgrade():
    op.create_index(
        "ix_contact_points_live_visibility",
        "contact_points",
        ["visibility"],
        postgresql_where=LIVE,
        sqlite_where=LIVE,
    )
    op.create_index(
        "ix_authorities_list_order", "authorities", ["member_state_code", "search_text", "id"]
    )


def downgrade():
    op.drop_index("ix_authorities_list_order", table_name="authorities")
    op.drop_index("ix_contact_points_live_visibility", table_name="contact_points")
