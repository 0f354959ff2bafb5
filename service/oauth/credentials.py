"""Client credentials and token hashing: random, recognisable by prefix, stored only as hashes."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import timedelta

TOKEN_PREFIX = "oasdir_at_"  # noqa: S105 - a prefix, not a secret
SECRET_PREFIX = "oasdir_cs_"  # noqa: S105 - a prefix, not a secret
CLIENT_ID_PREFIX = "oasdir_"
DEFAULT_TOKEN_LIFETIME = timedelta(hours=1)


def digest(value: str) -> str:
    """SHA-256 of a high-entropy secret: enough, since the secret itself is 256 random bits."""
    return hashlib.sha256(value.encode("utf-8")).hexdigest()


def new_client_credentials() -> tuple[str, str]:
    return CLIENT_ID_PREFIX + secrets.token_hex(8), SECRET_PREFIX + secrets.token_urlsafe(32)


def secret_matches(secret_hash: str, secret: str) -> bool:
    return hmac.compare_digest(secret_hash, digest(secret))
