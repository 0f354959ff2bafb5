"""The contacts' list by name (`sort=name`) read from an index, not sorted: a partial index on
(search_text, id) of the contacts not archived.

Revision ID: perf_contacts_by_name
Revises: i18n_member_state_language
Create Date: 2026-11-30 10:15:00
"""

import sqlalchemy as sa
from alembic import op

revision = "perf_contacts_by_name"
down_revision = "i18n_member_state_language"
branch_labels = None
depends_on = None

LIVE = sa.text("archived_at IS NULL")


def upgrade():
    op.create_index(
        "ix_contact_points_live_by_name",
        "contact_points",
        ["search_text", "id"],
        postgresql_where=LIVE,
        sqlite_where=LIVE,
    )


def downgrade():
    op.drop_index("ix_contact_points_live_by_name", table_name="contact_points")
