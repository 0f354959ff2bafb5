"""Who may do what: the one place that decides, asked by the API and the admin alike.

A *principal* is whoever makes the request: a person (session from an OpenID Connect login)
or a partner system (OAuth 2 bearer token). Every rule about reading, writing and which
member state an entry may belong to lives here.
"""

from __future__ import annotations

import enum
import functools
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

import sqlalchemy as sa
from flask import current_app, g
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from webargs.flaskparser import abort

from service.core.actor import Actor, ActorType
from service.core.labels import vocabulary


class Role(enum.StrEnum):
    """What a person may do, given by the secretariat (an invitation, or `users invite`)."""

    SECRETARIAT = "secretariat"
    FOCAL_POINT = "focal_point"  # of one member state


ROLE_LABELS = vocabulary({Role.SECRETARIAT: _l("secretariat"), Role.FOCAL_POINT: _l("focal point")})


class Scope(enum.StrEnum):
    DIRECTORY_READ = "directory:read"
    DIRECTORY_WRITE = "directory:write"  # only for a client bound to one member state
    WORKPLAN_READ = "workplan:read"
    WORKPLAN_WRITE = "workplan:write"


ALL_SCOPES = frozenset(Scope)


class Person(Protocol):
    """What the rule reads of a signed-in person (identity's User)."""

    @property
    def id(self) -> int: ...
    @property
    def email(self) -> str: ...
    @property
    def role(self) -> Role | None: ...
    @property
    def member_state_code(self) -> str | None: ...
    @property
    def is_active(self) -> bool: ...
    @property
    def provider(self) -> str | None: ...


class PartnerSystem(Protocol):
    """What the rule reads of a partner system (oauth's ApiClient)."""

    @property
    def client_id(self) -> str: ...
    @property
    def name(self) -> str: ...
    @property
    def member_state_code(self) -> str | None: ...


# What each role of a person may do; member-state limits come on top (see may_edit_state).
ROLE_SCOPES: dict[Role, frozenset[Scope]] = {
    Role.SECRETARIAT: ALL_SCOPES,
    Role.FOCAL_POINT: frozenset({Scope.DIRECTORY_READ, Scope.DIRECTORY_WRITE, Scope.WORKPLAN_READ}),
}


@dataclass(frozen=True)
class Principal:
    actor: Actor
    scopes: frozenset[Scope]
    role: Role | None = None  # people only
    member_state_code: str | None = None  # focal points and state-bound clients
    from_session: bool = False
    extra: dict = field(default_factory=dict, compare=False)

    @property
    def is_secretariat(self) -> bool:
        return self.role == Role.SECRETARIAT

    @property
    def is_client(self) -> bool:
        return self.actor.type == ActorType.CLIENT

    def has(self, scope: Scope) -> bool:
        return scope in self.scopes


def provider_may_grant(
    provider_member_state: str | None, role: Role | None, state: str | None
) -> bool:
    """A member state's own identity provider vouches only for that state's focal points; an
    OAS provider (no member state) for anyone. Whatever invitations or accounts say."""
    if role is None or provider_member_state is None:
        return True
    return role == Role.FOCAL_POINT and state == provider_member_state


def rights_reachable(provider: str | None, role: Role | None, state: str | None) -> bool:
    """May an account bound to this provider (a configured name) hold these rights?

    Accounts bound to no provider are local ones or unbound ones no sign-in reaches; a provider
    that is no longer configured vouches for nobody.
    """
    if role is None or provider is None:
        return True
    settings = current_app.config["OIDC_PROVIDERS"].get(provider)
    if settings is None:
        return False
    return provider_may_grant(settings.get("member_state"), role, state)


def principal_for_user(user: Person) -> Principal:
    role = user.role if user.is_active else None
    if not rights_reachable(user.provider, role, user.member_state_code):
        role = None
    return Principal(
        actor=Actor(ActorType.USER, str(user.id), user.email),
        scopes=ROLE_SCOPES.get(role, frozenset()) if role is not None else frozenset(),
        role=role,
        member_state_code=user.member_state_code if role == Role.FOCAL_POINT else None,
        from_session=True,
    )


def principal_for_client(client: PartnerSystem, granted_scope: str) -> Principal:
    scopes = frozenset(Scope(s) for s in granted_scope.split() if s in ALL_SCOPES)
    if client.member_state_code is None:
        scopes -= {Scope.DIRECTORY_WRITE}
    return Principal(
        actor=Actor(ActorType.CLIENT, client.client_id, client.name),
        scopes=scopes,
        member_state_code=client.member_state_code,
    )


def current_principal() -> Principal | None:
    return g.get("principal")


# -- the rules ------------------------------------------------------------------------------


def _no_read_only_states() -> frozenset[str]:
    return frozenset()


# The member states whose entries only the secretariat may change (withdrawn from the OAS).
# The directory registers the look-up at start-up, so this module imports no feature.
_read_only_states: Callable[[], frozenset[str]] = _no_read_only_states


def register_read_only_states(lookup: Callable[[], frozenset[str]]) -> None:
    global _read_only_states
    _read_only_states = lookup


def state_is_read_only(member_state_code: str | None) -> bool:
    return member_state_code is not None and member_state_code in _read_only_states()


def may_edit_state(principal: Principal | None, member_state_code: str | None) -> bool:
    """May this principal create or change directory entries of this member state?"""
    if principal is None or not principal.has(Scope.DIRECTORY_WRITE):
        return False
    if principal.is_secretariat:
        return True
    if state_is_read_only(member_state_code):
        return False
    return member_state_code is not None and principal.member_state_code == member_state_code


def may_see_secretariat_only(principal: Principal | None) -> bool:
    """Contact points marked secretariat-only are hidden from everyone else."""
    return principal is not None and principal.is_secretariat


def visibility_class(principal: Principal | None) -> str:
    """Who sees the same answers: the secretariat; a member state's focal points and clients;
    every other partner. Cached answers and list ETags are kept apart per class."""
    if may_see_secretariat_only(principal):
        return "secretariat"
    if principal is not None and principal.member_state_code:
        return f"state:{principal.member_state_code}"
    return "partner"


def ensure_may_handle_visibility(visibility: Any) -> None:
    """Only the secretariat handles secretariat-only contact points: nobody else may create,
    change or mark one (they could not see it afterwards)."""
    if str(visibility) == "secretariat" and not may_see_secretariat_only(current_principal()):
        abort(403, message=_("Only the secretariat may handle secretariat-only contact points."))


def visible_contacts_clause(
    principal: Principal | None, visibility_column: Any
) -> sa.ColumnElement:
    if may_see_secretariat_only(principal):
        return sa.true()
    # The value written into the SQL, not sent as a parameter: a statement prepared by the
    # driver (psycopg, from its fifth run) gets a generic plan that knows it, and so reads
    # the page from the index on the authorities' order instead of every contact (10,000
    # contacts: 3 ms, not 7)
    return visibility_column == sa.bindparam(None, "network", literal_execute=True)


def editable_states(principal: Principal | None) -> set[str] | None:
    """The member states whose entries this principal may edit; None means every state."""
    if principal is None or not principal.has(Scope.DIRECTORY_WRITE):
        return set()
    if principal.is_secretariat:
        return None
    return {principal.member_state_code} if principal.member_state_code else set()


# -- enforcement for views ------------------------------------------------------------------


def authenticated() -> Principal:
    principal = current_principal()
    if principal is None:
        abort(
            401,
            message=_("Authentication required: a bearer token or a signed-in session."),
            headers={"WWW-Authenticate": 'Bearer realm="api"'},
        )
    assert principal is not None  # abort() raised
    return principal


def require(scope: Scope) -> Any:
    """View decorator: 401 without a credential, 403 without the scope. Runs before parsing."""

    def decorator(view: Any) -> Any:
        @functools.wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            principal = authenticated()
            if not principal.has(scope):
                abort(
                    403, message=_("This credential does not allow %(scope)s.", scope=scope.value)
                )
            return view(*args, **kwargs)

        wrapper.required_scope = scope  # type: ignore[attr-defined]  # (answer_cached_read)
        # Declared in the OpenAPI description: a token with the scope, or a signed-in session.
        apidoc = dict(getattr(wrapper, "_apidoc", {}))
        apidoc["manual_doc"] = {
            **apidoc.get("manual_doc", {}),
            "security": [{"oauth2": [scope.value]}, {"session": []}],
        }
        set_apidoc(wrapper, apidoc)
        return wrapper

    return decorator


def set_apidoc(view: Any, apidoc: dict[str, Any]) -> None:
    """Gives a view function the OpenAPI details flask-smorest reads from it (`_apidoc`)."""
    view._apidoc = apidoc


def ensure_may_edit_state(member_state_code: str | None) -> None:
    if not may_edit_state(current_principal(), member_state_code):
        if state_is_read_only(member_state_code):
            abort(
                403,
                message=_(
                    "%(state)s has withdrawn from the OAS: its entries are read-only (only the "
                    "secretariat may change them).",
                    state=member_state_code,
                ),
            )
        abort(
            403,
            message=_("You may only change directory entries of your own member state.")
            if member_state_code
            else _("You may not change directory entries."),
        )
