"""Sign in and out: OpenID Connect (authorization code + PKCE) and the local first administrator."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, cast
from urllib.parse import urlsplit

from authlib.integrations.base_client import OAuthError
from authlib.integrations.flask_client import OAuth
from flask import (
    Blueprint,
    Flask,
    abort,
    current_app,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask.typing import ResponseReturnValue
from werkzeug.wrappers.response import Response

from service.core.authentication import SESSION_LOGIN_AT_KEY, SESSION_USER_KEY, signed_in_user
from service.core.db import db
from service.core.limits import limiter
from service.identity.models import User
from service.identity.services import local_login, user_from_login

identity = Blueprint("identity", __name__, url_prefix="/auth", template_folder="templates")


def oidc_client(provider: str) -> Any:
    """The registered OpenID Provider of that name, or 404."""
    if provider not in current_app.config["OIDC_PROVIDERS"]:
        abort(404)
    return current_app.extensions["oidc"].create_client(provider)


def _safe_next(target: str | None) -> str:
    """Only same-site relative paths: no open redirect after login."""
    if target and target.startswith("/") and not target.startswith("//"):
        parts = urlsplit(target)
        if not parts.scheme and not parts.netloc:
            return target
    return "/admin/"  # the admin home: dashboards for the secretariat and focal points


def _begin_session(user: Any) -> None:
    session.clear()  # a fresh session at every login: no fixation
    session.permanent = True
    session[SESSION_USER_KEY] = user.id
    session[SESSION_LOGIN_AT_KEY] = datetime.now(UTC).timestamp()


@identity.get("/login")
def login() -> str:
    return render_template(
        "identity/login.html",
        providers=current_app.config["OIDC_PROVIDERS"],
        next=request.args.get("next"),
        error=None,
    )


@identity.get("/login/<provider>")
def login_with(provider: str) -> ResponseReturnValue:
    client = oidc_client(provider)
    session["login_next"] = _safe_next(request.args.get("next"))
    redirect_uri = url_for("identity.callback", provider=provider, _external=True)
    # authlib adds state, nonce and the PKCE S256 challenge, and keeps them in the session
    return client.authorize_redirect(redirect_uri)


@identity.get("/callback/<provider>")
@limiter.limit(lambda: current_app.config["RATELIMIT_LOGIN"])
def callback(provider: str) -> Response | tuple[str, int]:
    client = oidc_client(provider)
    try:
        # checks state, exchanges the code with the PKCE verifier, verifies the id_token
        # signature against the provider's keys, its issuer, audience, expiry and nonce
        token = client.authorize_access_token()
    except OAuthError as error:
        current_app.logger.info("OIDC login failed at %s: %s", provider, error.error)
        return render_template(
            "identity/message.html",
            heading="Sign-in failed",
            message="The sign-in could not be completed. Please start again.",
            error=True,
        ), 400
    claims = token.get("userinfo") or {}
    issuer = claims.get("iss") or client.load_server_metadata().get("issuer")
    if not claims.get("sub"):
        return render_template(
            "identity/message.html",
            heading="Sign-in failed",
            message="The identity provider did not say who you are. Please start again.",
            error=True,
        ), 400
    provider_state = current_app.config["OIDC_PROVIDERS"][provider].get("member_state")
    user = user_from_login(issuer, claims["sub"], claims, provider_member_state=provider_state)
    if user.role is None or not user.is_active:
        session.clear()
        return render_template(
            "identity/message.html",
            heading="Access not granted yet",
            message=(
                "You have signed in, but your access has not been granted yet. The OAS "
                "secretariat must invite your email address before you can use the directory."
            ),
            error=False,
        ), 403
    next_url = session.get("login_next")
    _begin_session(user)
    return redirect(_safe_next(next_url))


@identity.post("/local-login")
@limiter.limit(lambda: current_app.config["RATELIMIT_LOGIN"])
def local_login_form() -> Response | tuple[str, int]:
    user = local_login(request.form.get("email", ""), request.form.get("password", ""))
    if user is None:
        return render_template(
            "identity/login.html",
            providers=current_app.config["OIDC_PROVIDERS"],
            next=request.form.get("next"),
            error="Wrong email or password.",
            show_local=True,
        ), 401
    next_url = request.form.get("next")
    _begin_session(user)
    db.session.commit()
    return redirect(_safe_next(next_url))


@identity.post("/logout")
def logout() -> Response:
    user = cast(User | None, signed_in_user())  # the person loader create_app registers
    if user is not None:
        # Every session of this person that began before now ends, not only this cookie.
        user.sessions_valid_after = datetime.now(UTC)
        db.session.commit()
    session.clear()
    return redirect(url_for("identity.login"))


@identity.get("/signed-in")
def signed_in() -> str | Response:
    """A plain page saying who is signed in (the admin home is where logins land)."""
    user = signed_in_user()
    if user is None:
        return redirect(url_for("identity.login"))
    role = user.role.value if user.role else "no access"
    state = f", {user.member_state_code}" if user.member_state_code else ""
    return render_template(
        "identity/message.html",
        heading="Signed in",
        message=f"You are signed in as {user.email} ({role}{state}).",
        error=False,
    )


def configure_identity(app: Flask) -> None:
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
            },
        )
    app.extensions["oidc"] = oidc
    app.register_blueprint(identity)
