"""Works out who makes each request: a bearer token (partner system) or a session (person)."""

from __future__ import annotations

import time
from datetime import UTC, datetime

from authlib.integrations.flask_oauth2 import ResourceProtector
from authlib.oauth2 import OAuth2Error
from flask import Flask, current_app, g, request, session
from flask.sessions import SecureCookieSessionInterface
from flask_wtf.csrf import CSRFError, CSRFProtect

from service.core.access import principal_for_client, principal_for_user
from service.core.db import db
from service.core.errors import is_api_request, problem
from service.core.versions import Family, version_of
from service.identity.models import User
from service.oauth.tokens import HashedBearerTokenValidator, digest

SESSION_USER_KEY = "user_id"
SESSION_LOGIN_AT_KEY = "login_at"  # when this session signed in (POSIX seconds, UTC)
CLIENT_AUTHENTICATED_BLUEPRINTS = frozenset({"oauth"})
UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})

csrf = CSRFProtect()
resource_protector = ResourceProtector()
resource_protector.register_token_validator(HashedBearerTokenValidator())


def signed_in_user() -> User | None:
    """The person of this session, if the session is still good.

    A session ends when it is older than the configured lifetime (counted from sign-in, not
    from the last request) or when the person signed out anywhere since it began.
    """
    user_id = session.get(SESSION_USER_KEY)
    login_at = session.get(SESSION_LOGIN_AT_KEY)
    if user_id is None or login_at is None:
        return None
    signed_in = datetime.fromtimestamp(login_at, UTC)
    if datetime.now(UTC) - signed_in > current_app.permanent_session_lifetime:
        return None
    user = db.session.get(User, user_id)
    if user is None or not user.is_active:
        return None
    if user.sessions_valid_after is not None and signed_in < user.sessions_valid_after:
        return None
    return user


# A worker remembers the principal of a bearer token it has checked, for a short while and only
# while the accounts version is unchanged: revoking a token or a client bumps that version, so
# every worker stops accepting it at its next request.
BEARER_CACHE_SECONDS = 60
BEARER_CACHE_ENTRIES = 10_000


def bearer_principal():
    """The principal of this request's bearer token; raises OAuth2Error when it is not good.

    A cached answer costs the one statement that reads the data versions (which the response
    cache needs anyway); otherwise the token and its client are read in one more statement.
    """
    accounts_version = version_of(Family.ACCOUNTS)  # before the token: a revocation wins
    scheme, _, credential = request.headers.get("Authorization", "").partition(" ")
    key = digest(credential.strip()) if scheme.lower() == "bearer" and credential else None
    remembered = current_app.extensions.setdefault("bearer_principals", {})
    now = time.time()
    hit = remembered.get(key) if key else None
    if hit is not None:
        principal, expires_at, version, checked_at = hit
        if (
            version == accounts_version
            and now < expires_at
            and now - checked_at < BEARER_CACHE_SECONDS
        ):
            return principal
    token = resource_protector.acquire_token()
    principal = principal_for_client(token.client, token.scope)
    if key is not None:
        if len(remembered) >= BEARER_CACHE_ENTRIES:
            remembered.clear()
        remembered[key] = (principal, token.expires_at.timestamp(), accounts_version, now)
    return principal


class BearerAwareSessionInterface(SecureCookieSessionInterface):
    """No session work for a request that brings its own credential (bearer or HTTP Basic):
    its cookie, if any, is neither read nor written."""

    def open_session(self, app, request):
        if request.headers.get("Authorization"):
            return self.session_class()
        return super().open_session(app, request)

    def save_session(self, app, session, response):
        if request.headers.get("Authorization"):
            return None
        return super().save_session(app, session, response)


def load_principal():
    g.principal = None
    g.actor = None
    if request.blueprint in CLIENT_AUTHENTICATED_BLUEPRINTS:
        return None  # the OAuth endpoints authenticate the client themselves (HTTP Basic)
    if request.headers.get("Authorization"):
        try:
            g.principal = bearer_principal()
        except OAuth2Error as error:
            return problem(
                401,
                "Unauthorized",
                error.description or "The access token is missing, invalid, expired or revoked.",
                headers={
                    name: value
                    for name, value in error.get_headers()
                    if name.lower() == "www-authenticate"
                },
            )
    else:
        user = signed_in_user()
        if user is not None:
            g.principal = principal_for_user(user)
            if is_api_request() and request.method in UNSAFE_METHODS:
                # A browser session writing to the API must prove it came from our pages.
                try:
                    csrf.protect()
                except CSRFError as error:
                    return problem(400, "Bad Request", f"CSRF check failed: {error.description}")
    if g.principal is not None:
        g.actor = g.principal.actor
    if is_api_request() and request.headers.get("If-Match", "").strip() == "*":
        # "*" would match any version: exactly the silent overwrite If-Match is there to stop
        return problem(428, "Precondition Required", "Send the ETag you read in If-Match, not '*'.")
    return None


def configure_authentication(app: Flask) -> None:
    csrf.init_app(app)
    app.session_interface = BearerAwareSessionInterface()
    app.before_request(load_principal)
