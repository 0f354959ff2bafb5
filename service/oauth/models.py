"""Partner systems: OAuth 2 clients (client credentials) and the tokens issued to them."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from service.core.db import TimestampMixin, UTCDateTime, db
from service.oauth.credentials import secret_matches


class ApiClient(TimestampMixin, db.Model):
    __tablename__ = "api_clients"

    id: Mapped[int] = mapped_column(primary_key=True)
    client_id: Mapped[str] = mapped_column(sa.String(64), unique=True)
    client_secret_hash: Mapped[str] = mapped_column(sa.String(255))  # never the secret itself
    name: Mapped[str] = mapped_column(sa.String(200))
    scope: Mapped[str] = mapped_column(sa.String(500), default="")  # space separated
    member_state_code: Mapped[str | None] = mapped_column(sa.ForeignKey("member_states.code"))
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    member_state = relationship("MemberState")
    tokens: Mapped[list[OAuthToken]] = relationship(back_populates="client")

    __table_args__ = (
        # directory:write is only ever granted to a client bound to one member state
        sa.CheckConstraint(
            "member_state_code IS NOT NULL OR scope NOT LIKE '%directory:write%'",
            name="write_needs_state",
        ),
        # ... and workplan:write never to one
        sa.CheckConstraint(
            "member_state_code IS NULL OR scope NOT LIKE '%workplan:write%'",
            name="workplan_write_unbound",
        ),
    )

    def __str__(self) -> str:
        return f"{self.name} ({self.client_id})"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None

    # authlib's ClientMixin: a confidential client that may only use client credentials
    def get_client_id(self) -> str:
        return self.client_id

    def get_default_redirect_uri(self) -> None:
        return None

    def get_allowed_scope(self, scope: str | None) -> str:
        allowed = self.scope.split()
        if not scope:  # no scope asked for: everything the client was granted
            return " ".join(allowed)
        return " ".join(s for s in scope.split() if s in allowed)

    def check_redirect_uri(self, redirect_uri: Any) -> bool:
        return False

    def check_client_secret(self, client_secret: str) -> bool:
        return secret_matches(self.client_secret_hash, client_secret)

    def check_endpoint_auth_method(self, method: str, endpoint: str) -> bool:
        return method in {"client_secret_basic", "client_secret_post"}

    def check_response_type(self, response_type: Any) -> bool:
        return False

    def check_grant_type(self, grant_type: str) -> bool:
        return grant_type == "client_credentials"


class OAuthToken(db.Model):
    __tablename__ = "oauth_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    client_id: Mapped[int] = mapped_column(
        sa.ForeignKey("api_clients.id", ondelete="CASCADE"), index=True
    )
    token_hash: Mapped[str] = mapped_column(sa.String(128), unique=True)  # SHA-256 hex
    scope: Mapped[str] = mapped_column(sa.String(500), default="")
    issued_at: Mapped[datetime] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    client: Mapped[ApiClient] = relationship(back_populates="tokens")

    __table_args__ = (sa.CheckConstraint("expires_at > issued_at", name="expires_after_issue"),)

    # authlib's TokenMixin, as its resource protector and endpoints call it
    def check_client(self, client: Any) -> bool:
        return self.client_id == client.id

    def get_scope(self) -> str:
        return self.scope

    def get_expires_in(self) -> int:
        return int((self.expires_at - self.issued_at).total_seconds())

    def is_expired(self) -> bool:
        return self.expires_at <= datetime.now(UTC)

    def is_revoked(self) -> bool:
        return self.revoked_at is not None or self.client.revoked_at is not None
