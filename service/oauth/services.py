"""Registering and revoking partner systems (OAuth 2 clients): the admin's and the CLI's rules."""

from __future__ import annotations

from datetime import UTC, datetime

import sqlalchemy as sa

from service.audit.log import record, snapshot
from service.audit.models import AuditAction
from service.core.access import ALL_SCOPES, Scope
from service.core.db import db
from service.directory.models import MemberState
from service.identity.models import User
from service.oauth.models import ApiClient, OAuthToken
from service.oauth.tokens import digest, new_client_credentials


class ClientError(ValueError):
    """A client registration that cannot be honoured, with the reason."""


def register_client(
    name: str, scope: str, member_state_code: str | None, created_by: User | None = None
) -> tuple[ApiClient, str]:
    """A new partner system; returns it with its secret, which is shown once and never stored.

    `created_by` is the secretariat person registering it (none from the command line).
    """
    name = name.strip()
    if not name:
        raise ClientError("Name the partner system.")
    scopes = scope.split()
    unknown = sorted(set(scopes) - set(ALL_SCOPES))
    if unknown:
        raise ClientError(f"Unknown scope(s): {', '.join(unknown)}.")
    if Scope.DIRECTORY_WRITE in scopes and not member_state_code:
        raise ClientError("directory:write is only granted to a client bound to a member state.")
    if Scope.WORKPLAN_WRITE in scopes and member_state_code:
        # the work plan is the secretariat's: a member state's system may not rewrite it
        raise ClientError("workplan:write is not granted to a client bound to a member state.")
    if member_state_code and db.session.get(MemberState, member_state_code) is None:
        raise ClientError(f"No member state with code {member_state_code}.")
    client_id, secret = new_client_credentials()
    client = ApiClient(
        client_id=client_id,
        client_secret_hash=digest(secret),
        name=name,
        scope=" ".join(dict.fromkeys(scopes)),
        member_state_code=member_state_code,
        created_by_id=created_by.id if created_by is not None else None,
    )
    db.session.add(client)
    db.session.flush()
    record(AuditAction.CREATE, client, None, snapshot(client))
    return client, secret


def revoke_client(client: ApiClient) -> None:
    """Revokes the client and every token it holds."""
    if client.revoked_at is not None:
        raise ClientError(f"{client.client_id} is already revoked.")
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
