"""Access tokens: issued to clients, found again by the hash of the plain token."""

from __future__ import annotations

import secrets
from datetime import UTC, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from authlib.oauth2.rfc6750 import BearerTokenValidator
from sqlalchemy.orm import joinedload

from service.core.db import db
from service.oauth.credentials import CLIENT_ID_PREFIX as CLIENT_ID_PREFIX
from service.oauth.credentials import DEFAULT_TOKEN_LIFETIME, TOKEN_PREFIX, digest
from service.oauth.credentials import SECRET_PREFIX as SECRET_PREFIX
from service.oauth.credentials import new_client_credentials as new_client_credentials
from service.oauth.models import ApiClient, OAuthToken


def issue_token(
    client: ApiClient, scope: str, lifetime: timedelta = DEFAULT_TOKEN_LIFETIME
) -> tuple[str, OAuthToken]:
    """A new access token for the client; the plain token is returned once, never stored."""
    plain = TOKEN_PREFIX + secrets.token_urlsafe(32)
    now = datetime.now(UTC)
    token = OAuthToken(
        client=client,
        token_hash=digest(plain),
        scope=scope,
        issued_at=now,
        expires_at=now + lifetime,
    )
    db.session.add(token)
    db.session.flush()
    return plain, token


def find_token(plain: str) -> OAuthToken | None:
    if not plain.startswith(TOKEN_PREFIX):
        return None
    # the client comes in the same statement: authlib checks its revocation next
    return db.session.execute(
        sa.select(OAuthToken)
        .options(joinedload(OAuthToken.client))
        .where(OAuthToken.token_hash == digest(plain))
    ).scalar_one_or_none()


class HashedBearerTokenValidator(BearerTokenValidator):
    """authlib's bearer validation, looking tokens up by their hash."""

    def authenticate_token(self, token_string: str) -> Any:
        return find_token(token_string)
