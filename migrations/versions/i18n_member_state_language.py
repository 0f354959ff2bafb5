"""A member state's default language (en, es, fr, pt): its invitations and emails use it when
the person has chosen none. The seeded states get their official language of the OAS.

Revision ID: i18n_member_state_language
Revises: 392bda6cb073
Create Date: 2026-11-30 06:40:00
"""

import sqlalchemy as sa
from alembic import op

revision = "i18n_member_state_language"
down_revision = "392bda6cb073"
branch_labels = None
depends_on = None

# Kept here as they were when written (seed/member_states.yaml says the same for a fresh seed).
SPANISH = (
    "AR", "BO", "CL", "CO", "CR", "CU", "DO", "EC", "SV", "GT",
    "HN", "MX", "NI", "PA", "PY", "PE", "UY", "VE",
)  # fmt: skip
PORTUGUESE = ("BR",)
FRENCH = ("HT",)


def upgrade():
    with op.batch_alter_table("member_states", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("default_language", sa.String(length=8), server_default="en", nullable=False)
        )
        batch_op.create_check_constraint(
            op.f("ck_member_states_default_language"),
            "default_language IN ('en', 'es', 'fr', 'pt')",
        )
    states = sa.table("member_states", sa.column("code"), sa.column("default_language"))
    for language, codes in (("es", SPANISH), ("pt", PORTUGUESE), ("fr", FRENCH)):
        op.execute(
            states.update().where(states.c.code.in_(codes)).values(default_language=language)
        )


def downgrade():
    with op.batch_alter_table("member_states", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_member_states_default_language"), type_="check")
        batch_op.drop_column("default_language")
