"""`flask users ...`: the first administrator, invitations and access, from the command line."""

from __future__ import annotations

import click
import sqlalchemy as sa
from flask import current_app
from flask.cli import with_appcontext

from service.core.db import db
from service.core.errors import RuleError
from service.identity.models import Role, User
from service.identity.services import (
    bind_unbound_accounts,
    create_local_admin,
    invite,
    set_access,
)


@click.group("users")
def users() -> None:
    """Manage people's access."""


@users.command("create-admin")
@click.argument("email")
@click.password_option(
    envvar="ADMIN_PASSWORD", help="At least 12 characters; prompted for when not given."
)
@with_appcontext
def create_admin(email: str, password: str) -> None:
    """Create (or reset) a secretariat account with a local password."""
    try:
        user = create_local_admin(email, password)
    except RuleError as error:
        raise click.ClickException(str(error)) from error
    db.session.commit()
    click.echo(f"Secretariat account {user.email} can sign in at /auth/login.")


@users.command("invite")
@click.argument("email")
@click.option("--role", type=click.Choice([r.value for r in Role]), required=True)
@click.option("--member-state", help="ISO 3166-1 alpha-2 code, for focal points.")
@with_appcontext
def invite_command(email: str, role: str, member_state: str | None) -> None:
    """Invite an email address: the first login with it gets this role."""
    try:
        invitation = invite(email, Role(role), member_state and member_state.upper(), None)
    except RuleError as error:
        raise click.ClickException(str(error)) from error
    db.session.commit()
    click.echo(f"Invited {invitation.email} as {role}.")


@users.command("revoke")
@click.argument("email")
@with_appcontext
def revoke_command(email: str) -> None:
    """Take away every right of the accounts with this email."""
    accounts = db.session.execute(sa.select(User).where(User.email == email.lower())).scalars()
    count = 0
    for user in accounts:
        set_access(user, None, None)
        count += 1
    db.session.commit()
    click.echo(f"Revoked access of {count} account(s).")


@users.command("bind-providers")
@with_appcontext
def bind_providers_command() -> None:
    """Bind accounts no sign-in reaches to the provider whose OIDC_<NAME>_ISSUER they came from."""
    bound, conflicting, unmatched = bind_unbound_accounts(current_app.config["OIDC_PROVIDERS"])
    db.session.commit()
    for user in bound:
        click.echo(f"Bound {user.email} to {user.provider}.")
    for user in conflicting:
        click.echo(
            f"Left {user.email} unbound: its provider already has an account with that subject.",
            err=True,
        )
    click.echo(
        f"{len(bound)} bound, {len(conflicting)} in conflict, "
        f"{unmatched} with an issuer no configured provider pins."
    )
