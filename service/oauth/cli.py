"""`flask clients ...`: register and revoke partner systems (OAuth 2 client credentials)."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import click
import sqlalchemy as sa
from flask.cli import with_appcontext

from service.audit.log import record, snapshot
from service.audit.models import AuditAction
from service.core.access import ALL_SCOPES, Scope
from service.core.db import db
from service.core.errors import RuleError
from service.directory.models import MemberState
from service.oauth.models import ApiClient, OAuthToken
from service.oauth.tokens import digest, new_client_credentials

# The name callers used before the one RuleError; the same type.
ClientError = RuleError


def register_client(name: str, scope: str, member_state_code: str | None) -> tuple[ApiClient, str]:
    """A new partner system; returns it with its secret, which is shown once and never stored."""
    scopes = scope.split()
    unknown = sorted(set(scopes) - set(ALL_SCOPES))
    if unknown:
        raise RuleError(f"Unknown scope(s): {', '.join(unknown)}.", field="scope")
    if Scope.DIRECTORY_WRITE in scopes and not member_state_code:
        raise RuleError(
            "directory:write is only granted to a client bound to a member state.",
            field="member_state_code",
        )
    if Scope.WORKPLAN_WRITE in scopes and member_state_code:
        # the work plan is the secretariat's: a member state's system may not rewrite it
        raise RuleError(
            "workplan:write is not granted to a client bound to a member state.",
            field="member_state_code",
        )
    if member_state_code and db.session.get(MemberState, member_state_code) is None:
        raise RuleError(
            f"No member state with code {member_state_code}.",
            field="member_state_code",
            code="unknown",
        )
    client_id, secret = new_client_credentials()
    client = ApiClient(
        client_id=client_id,
        client_secret_hash=digest(secret),
        name=name,
        scope=" ".join(dict.fromkeys(scopes)),
        member_state_code=member_state_code,
    )
    db.session.add(client)
    db.session.flush()
    record(AuditAction.CREATE, client, None, snapshot(client))
    return client, secret


def revoke_client(client: ApiClient) -> None:
    """Revokes the client and every token it holds."""
    before = snapshot(client)
    now = datetime.now(UTC)
    client.revoked_at = now
    db.session.execute(
        sa.update(OAuthToken)
        .where(OAuthToken.client_id == client.id, OAuthToken.revoked_at.is_(None))
        .values(revoked_at=now)
    )
    db.session.flush()
    record(AuditAction.UPDATE, client, before, snapshot(client))


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
    revoke_client(client)
    db.session.commit()
    click.echo(f"Revoked {client_id} and its tokens.")
