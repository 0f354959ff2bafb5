"""People: users bound to a configured OIDC provider + subject, and invitations granting roles."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from service.core.access import Role as Role
from service.core.db import TimestampMixin, UTCDateTime, db, enum_column

_ROLE_NEEDS_STATE = (
    "(role = 'focal_point' AND member_state_code IS NOT NULL) "
    "OR (role = 'secretariat' AND member_state_code IS NULL)"
)


class User(TimestampMixin, db.Model):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    # The configured provider (a name in OIDC_PROVIDERS) this account signs in through, never
    # the issuer a token claims: only that provider's logins can reach it. None: a local
    # account, or one whose issuer matched no configured provider (`flask users bind-providers`).
    provider: Mapped[str | None] = mapped_column(sa.String(64))
    # The issuer the provider presented when the account was made (a record, not a key).
    issuer: Mapped[str | None] = mapped_column(sa.String(500))
    subject: Mapped[str | None] = mapped_column(sa.String(255))
    email: Mapped[str] = mapped_column(sa.String(320), index=True)
    name: Mapped[str | None] = mapped_column(sa.String(300))
    role: Mapped[Role | None] = mapped_column(enum_column(Role, "user_role"))  # None: no rights
    member_state_code: Mapped[str | None] = mapped_column(sa.ForeignKey("member_states.code"))
    # Only the first administrator has one: a local login for a fresh installation.
    password_hash: Mapped[str | None] = mapped_column(sa.String(255))
    is_active: Mapped[bool] = mapped_column(sa.Boolean, default=True)
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Sessions signed in before this moment are void: signing out ends every copy of a cookie.
    sessions_valid_after: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The language the person chose for the pages (en, es, fr, pt); None: the browser's.
    locale: Mapped[str | None] = mapped_column(sa.String(8))

    member_state = relationship("MemberState")

    __table_args__ = (
        sa.UniqueConstraint("provider", "subject"),
        sa.CheckConstraint(f"role IS NULL OR {_ROLE_NEEDS_STATE}", name="role_state"),
        sa.CheckConstraint("(issuer IS NULL) = (subject IS NULL)", name="issuer_with_subject"),
        sa.CheckConstraint("provider IS NULL OR subject IS NOT NULL", name="provider_with_subject"),
    )

    def __str__(self) -> str:
        return self.email


class Invitation(TimestampMixin, db.Model):
    """Binds the account of whoever first logs in with this verified email to a role."""

    __tablename__ = "invitations"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(sa.String(320), index=True)
    role: Mapped[Role] = mapped_column(enum_column(Role, "invitation_role"))
    member_state_code: Mapped[str | None] = mapped_column(sa.ForeignKey("member_states.code"))
    invited_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    used_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    member_state = relationship("MemberState")
    invited_by = relationship(User, foreign_keys=[invited_by_id])
    used_by = relationship(User, foreign_keys=[used_by_id])

    __table_args__ = (sa.CheckConstraint(_ROLE_NEEDS_STATE, name="role_state"),)

    def __str__(self) -> str:
        return f"{self.email} ({self.role.value})"
