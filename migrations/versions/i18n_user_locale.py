"""A person's chosen language for the pages (en, es, fr, pt); NULL: the browser's.

Revision ID: 4e1a9b7c2d10
Revises: perf_trigram_search
Create Date: 2026-11-30 04:20:00
"""

import sqlalchemy as sa
from alembic import op

revision = "4e1a9b7c2d10"
down_revision = "perf_trigram_search"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.add_column(sa.Column("locale", sa.String(length=8), nullable=True))


def downgrade():
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_column("locale")
