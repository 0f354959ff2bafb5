"""People's access: invitations, binding an account at first login, changing or revoking access."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from flask_babel import gettext as _
from werkzeug.security import check_password_hash, generate_password_hash

from service.audit.log import Actor, record, snapshot
from service.audit.models import ActorType, AuditAction
from service.core.access import provider_may_grant, rights_reachable
from service.core.db import db
from service.core.errors import RuleError
from service.identity.models import Invitation, Role, User

INVITATION_LIFETIME = timedelta(days=30)


# The name callers used before the one RuleError; the same type.
AccessError = RuleError


class BeyondProviderError(AccessError):
    """The account holds rights the provider it signs in through can never vouch for."""


def _check_role_state(role: Role, member_state_code: str | None) -> None:
    if role == Role.FOCAL_POINT and not member_state_code:
        raise RuleError(
            _("A focal point must belong to a member state."), field="member_state_code"
        )
    if role == Role.SECRETARIAT and member_state_code:
        raise RuleError(
            _("The secretariat is not bound to a member state."), field="member_state_code"
        )


def invite(email: str, role: Role, member_state_code: str | None, invited_by: User | None) -> Any:
    _check_role_state(role, member_state_code)
    invitation = Invitation(
        email=email.strip().lower(),
        role=role,
        member_state_code=member_state_code,
        invited_by=invited_by,
        expires_at=datetime.now(UTC) + INVITATION_LIFETIME,
    )
    db.session.add(invitation)
    db.session.flush()
    record(AuditAction.CREATE, invitation, None, snapshot(invitation))
    return invitation


def revoke_invitation(invitation: Invitation) -> Invitation:
    """Closes an open invitation: nobody can bind an account with it any more."""
    if invitation.revoked_at is not None:
        raise RuleError(_("This invitation is already revoked."), code="conflict")
    if invitation.used_at is not None:
        raise RuleError(
            _("This invitation was already used: change the person's access instead."),
            code="conflict",
        )
    before = snapshot(invitation)
    invitation.revoked_at = datetime.now(UTC)
    db.session.flush()
    record(AuditAction.UPDATE, invitation, before, snapshot(invitation))
    return invitation


def open_invitation_for(email: str, provider_member_state: str | None = None) -> Any:
    """The newest open invitation for this email that a login through this provider may use.

    A member state's own provider (configured with a member state) can only vouch for that
    state's focal points; secretariat invitations need a provider of the OAS itself.
    """
    now = datetime.now(UTC)
    conditions = [
        sa.func.lower(Invitation.email) == email.strip().lower(),
        Invitation.used_at.is_(None),
        Invitation.revoked_at.is_(None),
        sa.or_(Invitation.expires_at.is_(None), Invitation.expires_at > now),
    ]
    if provider_member_state is not None:
        conditions += [
            Invitation.role == Role.FOCAL_POINT,
            Invitation.member_state_code == provider_member_state,
        ]
    return db.session.execute(
        sa.select(Invitation).where(*conditions).order_by(Invitation.id.desc()).limit(1)
    ).scalar_one_or_none()


def user_from_login(
    provider: str, subject: str, claims: dict, provider_member_state: str | None = None
) -> User:
    """The account for an OpenID Connect login: found by the configured provider's name + the
    token's `sub`, never by the issuer a token claims, never by email alone.

    At first login (or while the account has no role), a *verified* email that matches an open
    invitation binds the account to the invitation's role and member state. A member state's
    provider never reaches an account holding other rights (BeyondProviderError, nothing changed).
    """
    user = db.session.execute(
        sa.select(User).where(User.provider == provider, User.subject == subject)
    ).scalar_one_or_none()
    if user is not None and not provider_may_grant(
        provider_member_state, user.role, user.member_state_code
    ):
        raise BeyondProviderError(
            f"A member state's provider can only sign in focal points of {provider_member_state}."
        )
    email = (claims.get("email") or "").strip().lower()
    if user is None:
        user = User(
            provider=provider,
            issuer=claims.get("iss"),
            subject=subject,
            email=email,
            name=claims.get("name"),
        )
        db.session.add(user)
        db.session.flush()
        record(AuditAction.CREATE, user, None, snapshot(user), actor=_signing_in(user))
    user.last_login_at = datetime.now(UTC)
    if user.role is None and email and claims.get("email_verified") is True:
        invitation = open_invitation_for(email, provider_member_state)
        if invitation is not None:
            before = snapshot(user)
            user.role = invitation.role
            user.member_state_code = invitation.member_state_code
            user.email = email
            invitation.used_at = datetime.now(UTC)
            invitation.used_by = user
            db.session.flush()
            record(AuditAction.UPDATE, user, before, snapshot(user), actor=_signing_in(user))
    db.session.commit()
    return user


def bind_unbound_accounts(providers: dict[str, dict]) -> tuple[list[User], list[User], int]:
    """Bind accounts that no sign-in reaches (no provider, or one no longer configured) to the
    configured provider whose pinned issuer is the one they were created with.

    Returns (bound, conflicting, unmatched count); a conflicting account is left alone because
    that provider already has an account with the same subject.
    """
    by_issuer = {settings["issuer"]: name for name, settings in providers.items()}
    candidates = db.session.execute(
        sa.select(User)
        .where(
            User.subject.is_not(None),
            sa.or_(User.provider.is_(None), User.provider.not_in(list(providers) or [""])),
        )
        .order_by(User.id)
    ).scalars()
    bound, conflicting, unmatched = [], [], 0
    for user in candidates:
        name = by_issuer.get(user.issuer)
        if name is None:
            unmatched += 1
            continue
        taken = db.session.execute(
            sa.select(User.id).where(User.provider == name, User.subject == user.subject)
        ).first()
        if taken:
            conflicting.append(user)
            continue
        before = snapshot(user)
        user.provider = name
        db.session.flush()
        record(AuditAction.UPDATE, user, before, snapshot(user))
        bound.append(user)
    return bound, conflicting, unmatched


def _signing_in(user: User) -> Actor:
    """A first sign-in is made by the person signing in (no session names them yet)."""
    return Actor(ActorType.USER, str(user.id), user.email or f"user {user.id}")


def set_access(user: User, role: Role | None, member_state_code: str | None) -> User:
    """Change a person's role and state, or revoke their access (role None)."""
    if role is not None:
        _check_role_state(role, member_state_code)
        if not rights_reachable(user.provider, role, member_state_code):
            raise AccessError(
                f"This person signs in through {user.provider!r}, which can only vouch for "
                "focal points of its own member state (or is no longer configured)."
            )
    before = snapshot(user)
    user.role = role
    user.member_state_code = member_state_code if role is not None else None
    db.session.flush()
    record(AuditAction.UPDATE, user, before, snapshot(user))
    return user


def create_local_admin(email: str, password: str) -> User:
    if len(password) < 12:
        raise RuleError(_("The password must be at least 12 characters long."), field="password")
    email = email.strip().lower()
    user = db.session.execute(
        sa.select(User).where(User.email == email, User.subject.is_(None))
    ).scalar_one_or_none()
    before = snapshot(user) if user else None
    if user is None:
        user = User(email=email)
        db.session.add(user)
    user.role = Role.SECRETARIAT
    user.member_state_code = None
    user.password_hash = generate_password_hash(password)  # scrypt
    user.is_active = True
    db.session.flush()
    record(AuditAction.UPDATE if before else AuditAction.CREATE, user, before, snapshot(user))
    return user


def local_login(email: str, password: str) -> User | None:
    user = db.session.execute(
        sa.select(User).where(
            User.email == email.strip().lower(),
            User.subject.is_(None),
            User.password_hash.is_not(None),
        )
    ).scalar_one_or_none()
    if user is None or not user.is_active:
        check_password_hash(_DUMMY_HASH, password)  # same work either way: no user probing
        return None
    return user if check_password_hash(user.password_hash or "", password) else None


_DUMMY_HASH = generate_password_hash("timing equaliser")
