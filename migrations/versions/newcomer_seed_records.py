"""seed records: what `flask seed` wrote in each row (a hash per value)

Revision ID: 6e1c0a5d9f21
Revises: ae154900c55a
Create Date: 2026-11-30 03:45:00

"""
from alembic import op
import sqlalchemy as sa

import service.core.db


revision = '6e1c0a5d9f21'
down_revision = "ae154900c55a"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('seed_records',
    sa.Column('table_name', sa.String(length=60), nullable=False),
    sa.Column('row_key', sa.String(length=300), nullable=False),
    sa.Column('value_hashes', sa.JSON(), nullable=False),
    sa.Column('seeded_at', service.core.db.UTCDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('table_name', 'row_key', name=op.f('pk_seed_records'))
    )


def downgrade():
    op.drop_table('seed_records')
