"""The OAuth 2 authorization server for partner systems: client credentials, revoke, introspect."""

from __future__ import annotations

import hmac
import secrets
import unicodedata
from datetime import UTC, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from authlib.integrations.flask_oauth2 import AuthorizationServer
from authlib.oauth2.rfc6749 import grants
from authlib.oauth2.rfc6749.errors import InvalidScopeError
from authlib.oauth2.rfc7009 import RevocationEndpoint
from authlib.oauth2.rfc7662 import IntrospectionEndpoint
from flask import Blueprint, Flask, Response, current_app, jsonify
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from werkzeug.exceptions import TooManyRequests

from service.core.access import ALL_SCOPES
from service.core.db import db
from service.core.i18n import DEFAULT_LANGUAGE, current_language
from service.core.limits import limiter
from service.core.versions import Family, bump
from service.oauth.models import ApiClient, OAuthToken
from service.oauth.tokens import DEFAULT_TOKEN_LIFETIME, TOKEN_PREFIX, digest, find_token

CLIENT_ID_MAX_LENGTH = ApiClient.client_id.type.length


class UnknownClient:
    """Stands in for a client id that is unknown, revoked or malformed.

    authlib answers an unknown id differently from a wrong secret ("does not exist on this
    server"); with this stand-in both take the same path, a secret check that always fails,
    so a caller cannot tell whether an id exists, from the answer or from its timing.
    """

    _never_matches = digest(secrets.token_urlsafe(32))

    def __init__(self, client_id: str):
        self.client_id = client_id

    def check_endpoint_auth_method(self, method: str, endpoint: str) -> bool:
        return method in {"client_secret_basic", "client_secret_post"}

    def check_client_secret(self, client_secret: str) -> bool:
        hmac.compare_digest(self._never_matches, digest(client_secret))  # same work as a match
        return False


def query_client(client_id: str) -> ApiClient | UnknownClient:
    if not client_id or len(client_id) > CLIENT_ID_MAX_LENGTH or "\x00" in client_id:
        return UnknownClient(client_id)  # could never be stored (PostgreSQL refuses NUL)
    client = db.session.execute(
        sa.select(ApiClient).where(ApiClient.client_id == client_id, ApiClient.revoked_at.is_(None))
    ).scalar_one_or_none()
    return client if client is not None else UnknownClient(client_id)


def save_token(token: dict, request: Any) -> None:
    now = datetime.now(UTC)
    db.session.add(
        OAuthToken(
            client=request.client,
            token_hash=digest(token["access_token"]),  # the token itself is never stored
            scope=token.get("scope", ""),
            issued_at=now,
            expires_at=now + timedelta(seconds=token["expires_in"]),
        )
    )
    db.session.commit()


def generate_access_token(*args: Any, **kwargs: Any) -> str:
    return TOKEN_PREFIX + secrets.token_urlsafe(32)


class ClientCredentialsGrant(grants.ClientCredentialsGrant):
    TOKEN_ENDPOINT_AUTH_METHODS = ["client_secret_basic", "client_secret_post"]

    def validate_token_request(self) -> None:
        super().validate_token_request()
        # A token that could do nothing is an error the client should hear about (RFC 6749 5.2)
        if not self.request.client.get_allowed_scope(self.request.payload.scope):
            error = InvalidScopeError(
                error_description(_("None of the requested scopes is granted to this client."))
            )
            error.translated = True  # already in the request's language
            raise error


class TokenRevocation(RevocationEndpoint):
    CLIENT_AUTH_METHODS = ["client_secret_basic", "client_secret_post"]

    def query_token(self, token_string: str, token_type_hint: Any) -> Any:
        return find_token(token_string)

    def revoke_token(self, token: OAuthToken, request: Any) -> None:
        token.revoked_at = datetime.now(UTC)
        bump(Family.ACCOUNTS)  # every worker's cached bearer look-ups end now
        db.session.commit()


class TokenIntrospection(IntrospectionEndpoint):
    CLIENT_AUTH_METHODS = ["client_secret_basic", "client_secret_post"]

    def query_token(self, token_string: str, token_type_hint: Any) -> Any:
        return find_token(token_string)

    def check_permission(self, token: OAuthToken, client: ApiClient, request: Any) -> bool:
        # A partner may introspect only the tokens issued to itself.
        return token.client_id == client.id

    def introspect_token(self, token: OAuthToken) -> dict:
        payload = {
            "client_id": token.client.client_id,
            "scope": token.scope,
            "token_type": "Bearer",
            "exp": int(token.expires_at.timestamp()),
            "iat": int(token.issued_at.timestamp()),
        }
        if token.client.member_state_code:
            payload["member_state"] = token.client.member_state_code
        return payload


oauth_endpoints = Blueprint("oauth", __name__, url_prefix="/oauth")

# What a person reads for each OAuth error (`error_description`), in the language the request
# asks for; the `error` member stays RFC 6749's code. Authlib's own descriptions are English:
# they are kept for English, replaced by these in the other languages (or when there is none).
# RFC 6749 (5.2) allows only printable ASCII but `"` and `\` in a description: the translations
# are sent without their accents ("Fallo la autenticacion", "portees demandees").
OAUTH_ERROR_DESCRIPTIONS = {
    "invalid_request": _l(
        "The request is missing a required parameter, repeats one, or is otherwise malformed."
    ),
    "invalid_client": _l(
        "Client authentication failed: unknown or revoked client, wrong secret, or an "
        "authentication method this server does not accept."
    ),
    "invalid_grant": _l("The grant is invalid, expired or revoked."),
    "unauthorized_client": _l("This client may not use this grant type."),
    "unsupported_grant_type": _l("This server accepts only the client_credentials grant."),
    "invalid_scope": _l("The requested scope is invalid, unknown or malformed."),
    "unsupported_token_type": _l("This server cannot revoke or introspect tokens of this type."),
    "access_denied": _l("The request was denied."),
}


def error_description(text: str) -> str:
    """A description as RFC 6749 allows it: accents dropped, `"` and `\\` replaced, ASCII."""
    decomposed = unicodedata.normalize("NFKD", text.replace('"', "'").replace("\\", "/"))
    kept = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return "".join(ch for ch in kept if 0x20 <= ord(ch) <= 0x7E)


class TranslatedAuthorizationServer(AuthorizationServer):
    """Authlib's server whose errors' `error_description` follows Accept-Language."""

    def handle_error_response(self, request: Any, error: Any) -> Any:
        generic = OAUTH_ERROR_DESCRIPTIONS.get(error.error)
        own = getattr(error, "translated", False)  # ours, already in the request's language
        english = current_language() == DEFAULT_LANGUAGE and error.description
        if generic is not None and not own and not english:
            error.description = error_description(str(generic))
        return super().handle_error_response(request, error)


def server() -> AuthorizationServer:
    return current_app.extensions["oauth_server"]


@oauth_endpoints.post("/token")
@limiter.limit(lambda: current_app.config["RATELIMIT_TOKEN"])
def issue_token() -> ResponseReturnValue:
    """Client credentials grant (RFC 6749 section 4.4)."""
    return server().create_token_response()


@oauth_endpoints.post("/revoke")
@limiter.limit(lambda: current_app.config["RATELIMIT_TOKEN"])
def revoke_token() -> ResponseReturnValue:
    """Token revocation (RFC 7009)."""
    return server().create_endpoint_response(TokenRevocation.ENDPOINT_NAME)


@oauth_endpoints.post("/introspect")
@limiter.limit(lambda: current_app.config["RATELIMIT_TOKEN"])
def introspect_token() -> ResponseReturnValue:
    """Token introspection (RFC 7662)."""
    return server().create_endpoint_response(TokenIntrospection.ENDPOINT_NAME)


@oauth_endpoints.errorhandler(TooManyRequests)
def too_many_requests(error: TooManyRequests) -> Response:
    """A client that knocks too often hears it in OAuth's JSON, not in an HTML page."""
    response = jsonify(
        error="temporarily_unavailable",
        error_description=error_description(
            _("Too many requests (%(limit)s); try again later.", limit=error.description)
        ),
    )
    response.status_code = 429
    response.headers["Cache-Control"] = "no-store"
    for name, value in error.get_headers():
        if name.lower() not in {"content-type", "content-length"}:
            response.headers[name] = value
    return response


def configure_oauth_server(app: Flask) -> Blueprint:
    app.config.setdefault("OAUTH2_ACCESS_TOKEN_GENERATOR", generate_access_token)
    app.config.setdefault("OAUTH2_SCOPES_SUPPORTED", sorted(ALL_SCOPES))
    app.config.setdefault(
        "OAUTH2_TOKEN_EXPIRES_IN",
        {"client_credentials": int(DEFAULT_TOKEN_LIFETIME.total_seconds())},
    )
    authorization_server = TranslatedAuthorizationServer(
        app, query_client=query_client, save_token=save_token
    )
    authorization_server.register_grant(ClientCredentialsGrant)
    authorization_server.register_endpoint(TokenRevocation)
    authorization_server.register_endpoint(TokenIntrospection)
    app.extensions["oauth_server"] = authorization_server
    app.register_blueprint(oauth_endpoints)
    return oauth_endpoints
