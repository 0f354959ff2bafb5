"""data versions: one counter per resource family (directory, workplan, accounts)

Revision ID: perf_data_versions
Revises: c2282ff31e18
Create Date: 2026-11-30 04:00:00

"""

import secrets

import sqlalchemy as sa
from alembic import op

revision = "perf_data_versions"
down_revision = "6e1c0a5d9f21"
branch_labels = None
depends_on = None

FAMILIES = ("directory", "workplan", "accounts")


def upgrade():
    table = op.create_table(
        "data_versions",
        sa.Column("family", sa.String(length=20), nullable=False),
        sa.Column("version", sa.BigInteger(), nullable=False),
        sa.Column("stamp", sa.String(length=32), nullable=False),
        sa.PrimaryKeyConstraint("family", name=op.f("pk_data_versions")),
    )
    # Start at 1 everywhere: a version never repeats for this database's lifetime.
    op.bulk_insert(
        table,
        [{"family": family, "version": 1, "stamp": secrets.token_hex(8)} for family in FAMILIES],
    )


def downgrade():
    op.drop_table("data_versions")
