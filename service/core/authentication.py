"""Works out who makes each request: a bearer token (partner system) or a session (person)."""

from __future__ import annotations

from authlib.integrations.flask_oauth2 import ResourceProtector
from authlib.oauth2 import OAuth2Error
from flask import Flask, g, request, session
from flask_wtf.csrf import CSRFError, CSRFProtect

from service.core.access import principal_for_client, principal_for_user
from service.core.db import db
from service.core.errors import is_api_request, problem
from service.identity.models import User
from service.oauth.tokens import HashedBearerTokenValidator

SESSION_USER_KEY = "user_id"
CLIENT_AUTHENTICATED_BLUEPRINTS = frozenset({"oauth"})
UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})

csrf = CSRFProtect()
resource_protector = ResourceProtector()
resource_protector.register_token_validator(HashedBearerTokenValidator())


def signed_in_user() -> User | None:
    user_id = session.get(SESSION_USER_KEY)
    if user_id is None:
        return None
    user = db.session.get(User, user_id)
    return user if user is not None and user.is_active else None


def load_principal():
    g.principal = None
    g.actor = None
    if request.blueprint in CLIENT_AUTHENTICATED_BLUEPRINTS:
        return None  # the OAuth endpoints authenticate the client themselves (HTTP Basic)
    if request.headers.get("Authorization"):
        try:
            token = resource_protector.acquire_token()
        except OAuth2Error as error:
            return problem(
                401,
                "Unauthorized",
                error.description or "The access token is missing, invalid, expired or revoked.",
                headers=dict(error.get_headers()),
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
                    return problem(400, "Bad Request", f"CSRF check failed: {error.description}")
    if g.principal is not None:
        g.actor = g.principal.actor
    return None


def configure_authentication(app: Flask) -> None:
    csrf.init_app(app)
    app.before_request(load_principal)
