"""Sign in and out: OpenID Connect (authorization code + PKCE) and the local first administrator."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, cast
from urllib.parse import urlsplit

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
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from werkzeug.wrappers.response import Response

from service.audit.log import record, snapshot
from service.audit.models import AuditAction
from service.core.authentication import SESSION_LOGIN_AT_KEY, SESSION_USER_KEY, signed_in_user
from service.core.db import db
from service.core.i18n import LANGUAGES, SESSION_LANGUAGE_KEY
from service.core.limits import limiter
from service.identity.models import User
from service.identity.providers import (
    SignInError,
    end_session_url,
    finish_sign_in,
    label_of,
    provider_settings,
    register_providers,
    start_sign_in,
)
from service.identity.services import BeyondProviderError, local_login, user_from_login

# Kept for signing out at the provider too (RP-initiated logout needs the id_token as a hint).
SESSION_PROVIDER_KEY = "oidc_provider"
SESSION_ID_TOKEN_KEY = "oidc_id_token"  # noqa: S105 - a session key, not a secret

identity = Blueprint("identity", __name__, url_prefix="/auth", template_folder="templates")


@identity.errorhandler(SignInError)
def sign_in_problem(problem: SignInError) -> ResponseReturnValue:
    session.pop("login_next", None)
    return (
        render_template(
            "identity/message.html", heading=problem.heading, message=problem.message, error=True
        ),
        problem.status,
        problem.headers,
    )


def _safe_next(target: str | None) -> str:
    """Only same-site relative paths: no open redirect after login."""
    if target and target.startswith("/") and not target.startswith("//"):
        parts = urlsplit(target)
        if not parts.scheme and not parts.netloc:
            return target
    return "/admin/"  # the admin home: dashboards for the secretariat and focal points


def _begin_session(user: Any, provider: str | None = None, id_token: str | None = None) -> None:
    language = session.get(SESSION_LANGUAGE_KEY)
    session.clear()  # a fresh session at every login: no fixation
    if language is not None:  # chosen on the sign-in page: kept
        session[SESSION_LANGUAGE_KEY] = language
    session.permanent = True
    session[SESSION_USER_KEY] = user.id
    session[SESSION_LOGIN_AT_KEY] = datetime.now(UTC).timestamp()
    if provider is not None:
        session[SESSION_PROVIDER_KEY] = provider
        session[SESSION_ID_TOKEN_KEY] = id_token


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
    provider_settings(provider)  # 404 for a name that is not configured
    session["login_next"] = _safe_next(request.args.get("next"))
    redirect_uri = url_for("identity.callback", provider=provider, _external=True)
    return start_sign_in(provider, redirect_uri)


@identity.get("/callback/<provider>")
@limiter.limit(lambda: current_app.config["RATELIMIT_LOGIN"])
def callback(provider: str) -> ResponseReturnValue:
    settings = provider_settings(provider)
    claims, id_token = finish_sign_in(provider)
    state = settings.get("member_state")
    try:
        user = user_from_login(provider, claims["sub"], claims, provider_member_state=state)
    except BeyondProviderError:
        session.clear()
        current_app.logger.warning(
            "OIDC sign-in through %s refused: the account holds rights beyond %s", provider, state
        )
        raise SignInError(
            403,
            _("Access refused"),
            _(
                "This account cannot be used through %(provider)s: a member state's sign-in "
                "service can only sign in focal points of %(state)s. Please sign in with the "
                "OAS sign-in service, or ask the OAS secretariat.",
                provider=label_of(provider),
                state=state,
            ),
        ) from None
    if user.role is None or not user.is_active:
        session.clear()
        return render_template(
            "identity/message.html",
            heading=_("Access not granted yet"),
            message=_(
                "You have signed in, but your access has not been granted yet. The OAS "
                "secretariat must invite your email address before you can use the directory."
            ),
            error=False,
        ), 403
    next_url = session.get("login_next")
    _begin_session(user, provider, id_token)
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
            error=_("Wrong email or password."),
            show_local=True,
        ), 401
    next_url = request.form.get("next")
    _begin_session(user)
    db.session.commit()
    return redirect(_safe_next(next_url))


@identity.post("/logout")
def logout() -> ResponseReturnValue:
    user = cast(User | None, signed_in_user())  # the person loader create_app registers
    if user is not None:
        # Every session of this person that began before now ends, not only this cookie.
        user.sessions_valid_after = datetime.now(UTC)
        db.session.commit()
    provider = session.get(SESSION_PROVIDER_KEY)
    id_token = session.get(SESSION_ID_TOKEN_KEY)
    session.clear()
    if provider is not None and provider in current_app.config["OIDC_PROVIDERS"]:
        # End the session at the provider too, or the next person at a shared computer is
        # signed straight back in; it sends the browser back to our sign-in page.
        back = url_for("identity.login", _external=True)
        try:
            target = end_session_url(provider, id_token, back)
        except SignInError:
            return render_template(
                "identity/message.html",
                heading=_("Signed out"),
                message=_(
                    "You are signed out of the directory, but the sign-in service of "
                    "%(provider)s cannot be reached, so you may still be signed in there. On a "
                    "shared computer, close the browser.",
                    provider=label_of(provider),
                ),
                error=False,
            )
        if target:
            return redirect(target)
    return redirect(url_for("identity.login"))


@identity.post("/language")
def choose_language() -> ResponseReturnValue:
    """The language switcher of every page: saves the choice (CSRF-checked like every form).

    A signed-in person's choice is kept on their account (and audited); before signing in it
    lives in the session, and survives the sign-in.
    """
    language = request.form.get("language", "")
    if language not in LANGUAGES:
        abort(400, description=_l("Choose one of the offered languages."))
    user = cast(User | None, signed_in_user())  # the person loader create_app registers
    if user is not None and user.locale != language:
        before = snapshot(user)
        user.locale = language
        record(AuditAction.UPDATE, user, before, snapshot(user))
        db.session.commit()
    session[SESSION_LANGUAGE_KEY] = language
    return redirect(_safe_next(request.form.get("next")), code=303)


@identity.get("/signed-in")
def signed_in() -> str | Response:
    """A plain page saying who is signed in (the admin home is where logins land)."""
    user = signed_in_user()
    if user is None:
        return redirect(url_for("identity.login"))
    role = user.role.value if user.role else _("no access")
    state = f", {user.member_state_code}" if user.member_state_code else ""
    return render_template(
        "identity/message.html",
        heading=_("Signed in"),
        message=_(
            "You are signed in as %(email)s (%(role)s%(state)s).",
            email=user.email,
            role=role,
            state=state,
        ),
        error=False,
    )


def configure_identity(app: Flask) -> None:
    register_providers(app)
    app.register_blueprint(identity)
