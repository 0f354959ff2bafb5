"""Signing secrets: made, encrypted at rest, and used to sign in the Standard Webhooks scheme."""

from __future__ import annotations

import base64
import secrets
from datetime import datetime

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from flask import current_app
from standardwebhooks.webhooks import Webhook

SECRET_PREFIX = "whsec_"  # noqa: S105 - a prefix, not a secret


def new_secret() -> str:
    """A signing secret as partners' libraries expect it: `whsec_` and base64 of 32 bytes."""
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(32)).decode()


def _fernet() -> Fernet:
    """The key that encrypts signing secrets at rest: WEBHOOK_SECRET_KEY, else one derived
    from SECRET_KEY (HKDF, its own purpose label, so it is never the session-signing key)."""
    material = current_app.config.get("WEBHOOK_SECRET_KEY") or current_app.config["SECRET_KEY"]
    key = HKDF(
        algorithm=hashes.SHA256(), length=32, salt=None, info=b"oas-directory webhook secrets v1"
    ).derive(material.encode())
    return Fernet(base64.urlsafe_b64encode(key))


def encrypt(secret: str) -> str:
    return _fernet().encrypt(secret.encode()).decode()


def decrypt(token: str) -> str:
    try:
        return _fernet().decrypt(token.encode()).decode()
    except InvalidToken as error:  # the key changed: the endpoint needs a new secret
        raise RuntimeError(
            "a webhook secret cannot be decrypted with the configured key"
        ) from error


def signature(secrets_: list[str], message_id: str, timestamp: datetime, body: str) -> str:
    """The `webhook-signature` header: one `v1,<base64>` per secret, space separated
    (during a rotation both the new and the previous secret sign)."""
    return " ".join(Webhook(s).sign(message_id, timestamp, body) for s in secrets_)
