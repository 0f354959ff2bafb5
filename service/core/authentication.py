"""Works out who makes each request: a bearer token (partner system) or a session (person).

The features tell it, at start-up (`create_app`), how to find a person by id and how to check a
bearer token: the core never imports them.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Protocol

from authlib.integrations.flask_oauth2 import ResourceProtector
from authlib.oauth2 import OAuth2Error
from authlib.oauth2.rfc6750 import BearerTokenValidator
from flask import Flask, Response, current_app, g, request, session
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError, CSRFProtect

from service.core.access import Person, principal_for_client, principal_for_user
from service.core.errors import is_api_request, problem

SESSION_USER_KEY = "user_id"
SESSION_LOGIN_AT_KEY = "login_at"  # when this session signed in (POSIX seconds, UTC)
CLIENT_AUTHENTICATED_BLUEPRINTS = frozenset({"oauth"})
PROBE_BLUEPRINTS = frozenset({"health"})  # answer without the database: no principal needed
UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})

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


def load_principal() -> Response | None:
    g.principal = None
    g.actor = None
    if request.blueprint in CLIENT_AUTHENTICATED_BLUEPRINTS:
        return None  # the OAuth endpoints authenticate the client themselves (HTTP Basic)
    if request.blueprint in PROBE_BLUEPRINTS:
        return None
    if request.headers.get("Authorization"):
        try:
            token = resource_protector.acquire_token()
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
        g.principal = principal_for_client(token.client, token.scope)
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
    if is_api_request() and request.headers.get("If-Match", "").strip() == "*":
        # "*" would match any version: exactly the silent overwrite If-Match is there to stop
        return problem(
            428, "Precondition Required", _("Send the ETag you read in If-Match, not '*'.")
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
    app.before_request(load_principal)
