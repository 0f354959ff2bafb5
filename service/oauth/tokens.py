"""Client secrets and access tokens: random, recognisable by prefix, stored only as hashes."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from authlib.oauth2.rfc6750 import BearerTokenValidator
from sqlalchemy.orm import joinedload

from service.core.db import db
from service.oauth.models import ApiClient, OAuthToken

TOKEN_PREFIX = "oasdir_at_"  # noqa: S105 - a prefix, not a secret
SECRET_PREFIX = "oasdir_cs_"  # noqa: S105 - a prefix, not a secret
CLIENT_ID_PREFIX = "oasdir_"
DEFAULT_TOKEN_LIFETIME = timedelta(hours=1)


def digest(value: str) -> str:
    """SHA-256 of a high-entropy secret: enough, since the secret itself is 256 random bits."""
    return hashlib.sha256(value.encode("utf-8")).hexdigest()


def new_client_credentials() -> tuple[str, str]:
    return CLIENT_ID_PREFIX + secrets.token_hex(8), SECRET_PREFIX + secrets.token_urlsafe(32)


def secret_matches(client: ApiClient, secret: str) -> bool:
    return hmac.compare_digest(client.client_secret_hash, digest(secret))


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

    def authenticate_token(self, token_string):
        return find_token(token_string)
