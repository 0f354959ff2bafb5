"""trigram indexes on the folded search columns (PostgreSQL: pg_trgm; SQLite: plain indexes)

Revision ID: perf_trigram_search
Revises: perf_data_versions
Create Date: 2026-11-30 04:00:01

"""

from alembic import op

revision = "perf_trigram_search"
down_revision = "perf_data_versions"
branch_labels = None
depends_on = None

# the folded copies `q` searches with LIKE '%...%'
SEARCHED = ("contact_points", "authorities", "recommendations", "activities")


def upgrade():
    postgresql = op.get_bind().dialect.name == "postgresql"
    if postgresql:
        op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    for table in SEARCHED:
        op.create_index(
            f"ix_{table}_search_text_trgm",
            table,
            ["search_text"],
            postgresql_using="gin",
            postgresql_ops={"search_text": "gin_trgm_ops"},
        )


def downgrade():
    for table in SEARCHED:
        op.drop_index(f"ix_{table}_search_text_trgm", table_name=table)
