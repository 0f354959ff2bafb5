"""`flask clients ...`: register and revoke partner systems (OAuth 2 client credentials)."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import click
import sqlalchemy as sa
from flask.cli import with_appcontext

from service.core.db import db
from service.core.errors import RuleError
from service.oauth.models import ApiClient, OAuthToken
from service.oauth.services import ClientError, register_client, revoke_client


@click.group("clients")
def clients() -> None:
    """Manage partner systems' API clients."""


@clients.command("create")
@click.argument("name")
@click.option("--scope", required=True, help='e.g. "directory:read workplan:read"')
@click.option("--member-state", help="Bind the client to one member state (ISO alpha-2).")
@with_appcontext
def create_command(name: str, scope: str, member_state: str | None) -> None:
    """Register a client; prints its id and secret once, as JSON."""
    try:
        client, secret = register_client(name, scope, member_state and member_state.upper())
    except RuleError as error:
        raise click.ClickException(str(error)) from error
    db.session.commit()
    click.echo(
        json.dumps(
            {
                "client_id": client.client_id,
                "client_secret": secret,
                "scope": client.scope,
                "member_state": client.member_state_code,
                "token_url": "/oauth/token",
            },
            indent=2,
        )
    )


@clients.command("revoke")
@click.argument("client_id")
@with_appcontext
def revoke_command(client_id: str) -> None:
    """Revoke a client and all its tokens."""
    client = db.session.execute(
        sa.select(ApiClient).where(ApiClient.client_id == client_id)
    ).scalar_one_or_none()
    if client is None:
        raise click.ClickException(f"No client {client_id}.")
    try:
        revoke_client(client)
    except ClientError as error:
        raise click.ClickException(str(error)) from error
    db.session.commit()
    click.echo(f"Revoked {client_id} and its tokens.")


def purge_expired_tokens(now: datetime | None = None) -> int:
    """Deletes the tokens that expired before `now`; they can never be used or revived."""
    result = db.session.execute(
        sa.delete(OAuthToken).where(OAuthToken.expires_at < (now or datetime.now(UTC)))
    )
    return result.rowcount


@click.group("tokens")
def tokens() -> None:
    """Housekeeping of the access tokens issued to partner systems."""


@tokens.command("purge")
@with_appcontext
def purge_command() -> None:
    """Delete expired access tokens (run it from cron, e.g. hourly)."""
    count = purge_expired_tokens()
    db.session.commit()
    click.echo(f"Purged {count} expired token(s).")
