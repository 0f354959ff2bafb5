"""Registering and revoking partner systems (OAuth 2 clients): the admin's and the CLI's rules."""

from __future__ import annotations

from datetime import UTC, datetime

import sqlalchemy as sa

from service.audit.log import record, snapshot
from service.audit.models import AuditAction
from service.core.access import ALL_SCOPES, Person, Scope
from service.core.db import db
from service.core.errors import RuleError
from service.directory.models import MemberState
from service.oauth.models import ApiClient, OAuthToken
from service.oauth.tokens import digest, new_client_credentials

# The name callers used before the one RuleError; the same type.
ClientError = RuleError


def register_client(
    name: str, scope: str, member_state_code: str | None, created_by: Person | None = None
) -> tuple[ApiClient, str]:
    """A new partner system; returns it with its secret, which is shown once and never stored.

    `created_by` is the secretariat person registering it (none from the command line).
    """
    name = name.strip()
    if not name:
        raise RuleError("Name the partner system.", field="name")
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
        created_by_id=created_by.id if created_by is not None else None,
    )
    db.session.add(client)
    db.session.flush()
    record(AuditAction.CREATE, client, None, snapshot(client))
    return client, secret


def revoke_client(client: ApiClient) -> None:
    """Revokes the client and every token it holds."""
    if client.revoked_at is not None:
        raise RuleError(f"{client.client_id} is already revoked.", code="conflict")
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
