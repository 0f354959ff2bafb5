"""Accounts are bound to a configured OIDC provider's name + subject, not to a claimed issuer.

Existing accounts are bound to the provider whose pinned issuer (`OIDC_<NAME>_ISSUER`, read from
the configuration `flask db upgrade` runs with) is the issuer they were created with. Accounts
whose issuer matches no configured provider stay unbound (provider NULL): no sign-in reaches
them, whatever a provider claims, until `flask users bind-providers` binds them once their
provider is configured. Local accounts (no subject) are untouched.

Revision ID: 5b0f3c9a7e21
Revises: c2282ff31e18
Create Date: 2026-11-30 03:40:00
"""

import logging

import sqlalchemy as sa
from alembic import context, op
from flask import current_app

revision = "5b0f3c9a7e21"
down_revision = "c2282ff31e18"
branch_labels = None
depends_on = None

log = logging.getLogger("alembic.runtime.migration")

users = sa.table(
    "users",
    sa.column("id", sa.Integer),
    sa.column("provider", sa.String),
    sa.column("issuer", sa.String),
    sa.column("subject", sa.String),
)


def upgrade():
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.add_column(sa.Column("provider", sa.String(length=64), nullable=True))
        batch_op.drop_constraint(batch_op.f("uq_users_issuer_subject"), type_="unique")
        batch_op.create_unique_constraint(
            batch_op.f("uq_users_provider_subject"), ["provider", "subject"]
        )
        batch_op.create_check_constraint(
            batch_op.f("ck_users_provider_with_subject"), "provider IS NULL OR subject IS NOT NULL"
        )

    providers = current_app.config.get("OIDC_PROVIDERS") or {}
    for name, settings in sorted(providers.items()):
        issuer = settings.get("issuer")
        if not issuer:
            continue
        binding = (
            users.update()
            .where(users.c.issuer == issuer, users.c.subject.is_not(None))
            .values(provider=name)
        )
        if context.is_offline_mode():  # `flask db upgrade --sql`: the statement, no count
            op.execute(binding)
            continue
        bound = op.get_bind().execute(binding).rowcount
        log.info("Bound %d account(s) with issuer %s to OIDC provider %r", bound, issuer, name)
    if context.is_offline_mode():
        return
    unbound = (
        op.get_bind()
        .execute(
            sa.select(sa.func.count())
            .select_from(users)
            .where(users.c.subject.is_not(None), users.c.provider.is_(None))
        )
        .scalar_one()
    )
    if unbound:
        log.warning(
            "%d account(s) match no configured OIDC provider and stay unbound (no sign-in "
            "reaches them): configure their provider's OIDC_<NAME>_ISSUER, then run "
            "`flask users bind-providers`",
            unbound,
        )


def downgrade():
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("ck_users_provider_with_subject"), type_="check")
        batch_op.drop_constraint(batch_op.f("uq_users_provider_subject"), type_="unique")
        batch_op.create_unique_constraint(
            batch_op.f("uq_users_issuer_subject"), ["issuer", "subject"]
        )
        batch_op.drop_column("provider")
