"""The OpenID Providers people sign in through: each pinned to its issuer, asked with a timeout.

A sign-in is trusted only as far as the configured provider it came through: its metadata and
every id_token must present the issuer configured for it (`OIDC_<NAME>_ISSUER`), the id_token
must be signed with the keys its metadata publishes and be addressed to our client, and the
account it reaches is the one bound to that provider's name and the token's `sub`.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

import requests
from authlib.common.errors import AuthlibBaseError
from authlib.integrations.flask_client import OAuth
from flask import Flask, abort, current_app
from joserfc.errors import ClaimError, ExpiredTokenError, JoseError
from werkzeug.wrappers import Response

from service.identity.models import User

log = logging.getLogger(__name__)

RETRY_AFTER_SECONDS = 60
ASK_THE_SECRETARIAT = "if it happens again, tell the OAS secretariat"


@dataclass
class SignInError(Exception):
    """A sign-in that cannot go on: shown to the person as a page with what to do next."""

    status: int
    heading: str
    message: str
    headers: dict = field(default_factory=dict)


def provider_settings(name: str) -> dict:
    """The configuration of the provider of that name, or 404."""
    provider = current_app.config["OIDC_PROVIDERS"].get(name)
    if provider is None:
        abort(404)
    return provider


def label_of(name: str) -> str:
    return current_app.config["OIDC_PROVIDERS"].get(name, {}).get("label") or name


def oidc_client(name: str) -> Any:
    """authlib's client for the provider of that name, or 404."""
    provider_settings(name)
    return current_app.extensions["oidc"].create_client(name)


def unreachable(name: str) -> SignInError:
    return SignInError(
        503,
        "Sign-in service unavailable",
        f"The sign-in service of {label_of(name)} cannot be reached. Please try again later; "
        f"{ASK_THE_SECRETARIAT}.",
        {"Retry-After": str(RETRY_AFTER_SECONDS)},
    )


def checked_metadata(name: str, client: Any) -> dict:
    """The provider's metadata (fetched once, with the timeout), if it presents the pinned issuer.

    A provider publishing another issuer is refused outright: it may be claiming to be another
    provider, whose people it must never sign in.
    """
    try:
        metadata = client.load_server_metadata()
    except (requests.RequestException, ValueError, TypeError) as error:
        log.warning("OIDC provider %s: metadata unavailable: %s", name, type(error).__name__)
        client.server_metadata.pop("_loaded_at", None)
        raise unreachable(name) from error
    pinned = provider_settings(name)["issuer"]
    if metadata.get("issuer") != pinned:
        client.server_metadata.pop("_loaded_at", None)  # fetched again next time
        log.warning(
            "OIDC provider %s: metadata presents issuer %r, configured %r: refused",
            name,
            metadata.get("issuer"),
            pinned,
        )
        raise SignInError(
            403,
            "Sign-in service refused",
            f"The sign-in service of {label_of(name)} presents itself as another service, so "
            "this directory does not accept sign-ins through it. Please sign in another way "
            "and tell the OAS secretariat.",
        )
    return metadata


def start_sign_in(name: str, redirect_uri: str) -> Response:
    """The redirect to the provider (authlib adds state, nonce and the PKCE S256 challenge)."""
    client = oidc_client(name)
    checked_metadata(name, client)
    return client.authorize_redirect(redirect_uri)


def finish_sign_in(name: str) -> tuple[dict, str | None]:
    """At the callback: the verified id_token claims and the raw id_token (for signing out).

    Checks state, exchanges the code with the PKCE verifier, and verifies the id_token: signed
    with the provider's keys, issued by the pinned issuer, for our client id, unexpired, with
    our nonce and a `sub`. Any failure is a SignInError saying what to do.
    """
    provider = provider_settings(name)
    client = oidc_client(name)
    checked_metadata(name, client)
    claims_options = {
        "iss": {"essential": True, "value": provider["issuer"]},
        "aud": {"essential": True, "value": provider["client_id"]},
        "sub": {"essential": True},
    }
    try:
        token = client.authorize_access_token(claims_options=claims_options)
    except (requests.RequestException, ValueError, TypeError, KeyError) as error:
        # no answer, or one that is not an OAuth answer at all (a broken key set, HTML...)
        log.warning("OIDC provider %s: unusable at sign-in: %s", name, type(error).__name__)
        raise unreachable(name) from error
    except JoseError as error:
        log.info("OIDC sign-in through %s refused: %s", name, error)
        raise _token_problem(name, error) from error
    except AuthlibBaseError as error:  # state mismatch, an error from the provider, bad code
        log.info("OIDC sign-in through %s failed: %s", name, error.error)
        raise _failed(
            "The sign-in could not be completed. Please start again from this page."
        ) from error
    claims = dict(token.get("userinfo") or {})
    _check_claims(name, claims)
    return claims, token.get("id_token")


def end_session_url(name: str, id_token: str | None, post_logout_redirect_uri: str) -> str | None:
    """Where to send someone signing out, when the provider publishes an end_session_endpoint."""
    client = oidc_client(name)
    metadata = checked_metadata(name, client)
    endpoint = metadata.get("end_session_endpoint")
    if not isinstance(endpoint, str) or not endpoint.startswith(("https://", "http://")):
        return None
    return client.create_logout_url(
        post_logout_redirect_uri=post_logout_redirect_uri,
        id_token_hint=id_token,
        client_id=client.client_id,
    )["url"]


def _failed(message: str) -> SignInError:
    return SignInError(400, "Sign-in failed", message)


def _token_problem(name: str, error: JoseError) -> SignInError:
    label = label_of(name)
    if isinstance(error, ExpiredTokenError):
        return _failed(
            f"The answer from {label} has expired. Check that your computer's date and time "
            f"are right, then start again from this page; {ASK_THE_SECRETARIAT}."
        )
    if isinstance(error, ClaimError):
        claims = set(error.claim.split(","))
        if "sub" in claims:
            return _failed(
                f"{label} did not say who you are. Please start again from this page; "
                f"{ASK_THE_SECRETARIAT}."
            )
        if "aud" in claims or "azp" in claims:
            return _failed(
                f"The answer from {label} was meant for another service. Please start again "
                f"from this page; {ASK_THE_SECRETARIAT}."
            )
        if "iss" in claims:
            return _failed(
                f"The answer did not come from {label}'s own sign-in service. Please start "
                f"again from this page; {ASK_THE_SECRETARIAT}."
            )
        if "nonce" in claims:
            return _failed(
                f"The answer from {label} does not belong to this sign-in (it may be an old "
                "one). Please start again from this page."
            )
        return _failed(
            f"The answer from {label} is not valid ({error.claim}). Please start again from "
            f"this page; {ASK_THE_SECRETARIAT}."
        )
    return _failed(
        f"The answer from {label} could not be verified: it is not signed with {label}'s keys. "
        f"Please start again from this page; {ASK_THE_SECRETARIAT}."
    )


_STORED_CLAIMS = (
    ("sub", "identifier (sub)", User.__table__.c.subject),
    ("email", "email address", User.__table__.c.email),
    ("name", "name", User.__table__.c.name),
)


def _check_claims(name: str, claims: dict) -> None:
    """Claims we store must be text that fits its column (the same rule on every database)."""
    label = label_of(name)
    subject = claims.get("sub")
    if not isinstance(subject, str) or not subject.strip():
        raise _failed(
            f"{label} did not say who you are. Please start again from this page; "
            f"{ASK_THE_SECRETARIAT}."
        )
    for claim, what, column in _STORED_CLAIMS:
        value = claims.get(claim)
        if value is None:
            continue
        if not isinstance(value, str):
            raise _failed(
                f"{label} did not send a usable {what}. Please start again from this page; "
                f"{ASK_THE_SECRETARIAT}."
            )
        if len(value) > column.type.length:
            raise _failed(
                f"{label} sent a {what} longer than this directory accepts "
                f"({column.type.length} characters at most), so you cannot sign in with it. "
                "Please ask the OAS secretariat or your organisation's administrator."
            )


def register_providers(app: Flask) -> None:
    oidc = OAuth(app)
    for name, provider in app.config["OIDC_PROVIDERS"].items():
        oidc.register(
            name,
            client_id=provider["client_id"],
            client_secret=provider["client_secret"],
            server_metadata_url=provider["server_metadata_url"],
            client_kwargs={
                "scope": provider.get("scope", "openid email profile"),
                "code_challenge_method": "S256",
                # metadata, keys and token alike: a provider that doesn't answer costs seconds
                "default_timeout": app.config["OIDC_TIMEOUT_SECONDS"],
            },
        )
    app.extensions["oidc"] = oidc
