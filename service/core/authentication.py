"""Works out who makes each request: a bearer token (partner system) or a session (person).

The features tell it, at start-up (`create_app`), how to find a person by id and how to check a
bearer token: the core never imports them.
"""

from __future__ import annotations

import hashlib
import re
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any, Protocol

from authlib.integrations.flask_oauth2 import ResourceProtector
from authlib.oauth2 import OAuth2Error
from authlib.oauth2.rfc6750 import BearerTokenValidator
from flask import Flask, Response, current_app, g, request, session
from flask.sessions import SecureCookieSessionInterface
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError, CSRFProtect

from service.core.access import Person, Principal, principal_for_client, principal_for_user
from service.core.errors import is_api_request, problem
from service.core.headers import IF_MATCH_PATTERN
from service.core.versions import Family, version_of

SESSION_USER_KEY = "user_id"
SESSION_LOGIN_AT_KEY = "login_at"  # when this session signed in (POSIX seconds, UTC)
CLIENT_AUTHENTICATED_BLUEPRINTS = frozenset({"oauth"})
PROBE_BLUEPRINTS = frozenset({"health"})  # answer without the database: no principal needed
UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
ETAG_LIST = re.compile(IF_MATCH_PATTERN)  # one or more entity tags, as the API states

csrf = CSRFProtect()
resource_protector = ResourceProtector()


class SessionPerson(Person, Protocol):
    """A person as a browser session sees them: sessions begun before this moment are void."""

    @property
    def sessions_valid_after(self) -> datetime | None: ...


PersonLoader = Callable[[int], SessionPerson | None]


def signed_in_user() -> SessionPerson | None:
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
    load_person: PersonLoader = current_app.extensions["authentication.load_person"]
    user = load_person(user_id)
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


def bearer_principal() -> Principal:
    """The principal of this request's bearer token; raises OAuth2Error when it is not good.

    A cached answer costs the one statement that reads the data versions (which the response
    cache needs anyway); otherwise the token and its client are read in one more statement.
    """
    accounts_version = version_of(Family.ACCOUNTS)  # before the token: a revocation wins
    scheme, _, credential = request.headers.get("Authorization", "").partition(" ")
    key = (
        hashlib.sha256(credential.strip().encode()).hexdigest()
        if scheme.lower() == "bearer" and credential
        else None
    )
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

    def open_session(self, app: Flask, request: Any) -> Any:
        if request.headers.get("Authorization"):
            return self.session_class()
        return super().open_session(app, request)

    def save_session(self, app: Flask, session: Any, response: Any) -> None:
        if request.headers.get("Authorization"):
            return None
        return super().save_session(app, session, response)


def load_principal() -> Response | None:
    g.principal = None
    g.actor = None
    if request.blueprint in CLIENT_AUTHENTICATED_BLUEPRINTS:
        return None  # the OAuth endpoints authenticate the client themselves (HTTP Basic)
    if request.blueprint in PROBE_BLUEPRINTS:
        return None
    if request.headers.get("Authorization"):
        try:
            g.principal = bearer_principal()
        except OAuth2Error as error:
            return problem(
                401,
                "Unauthorized",
                error.description or _("The access token is missing, invalid, expired or revoked."),
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
                    return problem(
                        400,
                        "Bad Request",
                        _("CSRF check failed: %(reason)s", reason=error.description),
                        code="csrf_failed",
                    )
    if g.principal is not None:
        g.actor = g.principal.actor
    if_match = request.headers.get("If-Match")
    # (an unknown path or method is answered 404/405 first, by routing)
    if is_api_request() and if_match is not None and request.url_rule is not None:
        if if_match.strip() == "*":
            # "*" would match any version: exactly the silent overwrite If-Match is there to stop
            return problem(
                428, "Precondition Required", _("Send the ETag you read in If-Match, not '*'.")
            )
        if request.method in UNSAFE_METHODS and not ETAG_LIST.fullmatch(if_match):
            return problem(
                400,
                "Bad Request",
                _('If-Match must be the ETag you read, e.g. "3f2a…" (quoted).'),
            )
    return None


def configure_authentication(
    app: Flask, *, load_person: PersonLoader, token_validator: BearerTokenValidator
) -> None:
    """`load_person` finds a person by id (identity); `token_validator` checks bearer tokens
    (oauth)."""
    app.extensions["authentication.load_person"] = load_person
    resource_protector.register_token_validator(token_validator)
    csrf.init_app(app)
    app.session_interface = BearerAwareSessionInterface()
    app.before_request(load_principal)
