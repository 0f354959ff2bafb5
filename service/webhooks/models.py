"""Webhook endpoints of partner systems, the outbox of change events, deliveries and attempts."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from service.core.db import (
    ArchivableMixin,
    TimestampMixin,
    UTCDateTime,
    VersionedMixin,
    db,
    utcnow,
)


class WebhookEndpoint(TimestampMixin, VersionedMixin, ArchivableMixin, db.Model):
    """Where a partner system wants to be told of changes. Deleting it archives it."""

    __tablename__ = "webhook_endpoints"

    id: Mapped[int] = mapped_column(primary_key=True)
    api_client_id: Mapped[int] = mapped_column(
        sa.ForeignKey("api_clients.id", ondelete="CASCADE"), index=True
    )
    url: Mapped[str] = mapped_column(sa.String(2000))
    events: Mapped[list[str]] = mapped_column(sa.JSON, default=list)
    description: Mapped[str | None] = mapped_column(sa.String(500))
    # The signing secrets, encrypted at rest (they must sign, so they cannot be hashed).
    secret_encrypted: Mapped[str] = mapped_column(sa.Text)
    previous_secret_encrypted: Mapped[str | None] = mapped_column(sa.Text)
    previous_secret_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    disabled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    disabled_reason: Mapped[str | None] = mapped_column(sa.String(300))
    failing_since: Mapped[datetime | None] = mapped_column(UTCDateTime)

    api_client = relationship("ApiClient")

    @property
    def enabled(self) -> bool:
        return self.disabled_at is None

    def __str__(self) -> str:
        return self.url


class WebhookEvent(db.Model):
    """The outbox: one row per change, written in the change's own transaction.

    It says what changed and whether the entry was visible to partner systems before and after;
    the delivery worker turns it into one delivery per subscribed endpoint that may read it.
    """

    __tablename__ = "webhook_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow())
    family: Mapped[str] = mapped_column(sa.String(20))  # directory | workplan
    resource: Mapped[str] = mapped_column(sa.String(30))  # contact, authority, ...
    resource_id: Mapped[str] = mapped_column(sa.String(64))
    change: Mapped[str] = mapped_column(sa.String(20))  # created, updated, verified, ...
    version: Mapped[int | None] = mapped_column(sa.Integer)
    visible_before: Mapped[bool] = mapped_column(sa.Boolean, default=False)
    visible_after: Mapped[bool] = mapped_column(sa.Boolean, default=False)
    fanned_out_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    __table_args__ = (sa.Index("ix_webhook_events_pending", "fanned_out_at", "id"),)


class DeliveryStatus:
    PENDING = "pending"
    DELIVERED = "delivered"
    FAILED = "failed"  # retries exhausted


class WebhookDelivery(db.Model):
    """One message to one endpoint: retried until a 2xx or until it gives up."""

    __tablename__ = "webhook_deliveries"

    id: Mapped[int] = mapped_column(primary_key=True)
    endpoint_id: Mapped[int] = mapped_column(
        sa.ForeignKey("webhook_endpoints.id", ondelete="CASCADE"), index=True
    )
    event_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("webhook_events.id", ondelete="SET NULL")
    )
    message_id: Mapped[str] = mapped_column(sa.String(64), unique=True)  # webhook-id
    type: Mapped[str] = mapped_column(sa.String(40))
    payload: Mapped[str] = mapped_column(sa.Text)  # the exact body, signed and re-sent as is
    status: Mapped[str] = mapped_column(sa.String(12), default=DeliveryStatus.PENDING)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow())
    attempts: Mapped[int] = mapped_column(sa.Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow())
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_status_code: Mapped[int | None] = mapped_column(sa.Integer)
    last_error: Mapped[str | None] = mapped_column(sa.String(500))

    endpoint: Mapped[WebhookEndpoint] = relationship()
    attempt_log: Mapped[list[WebhookAttempt]] = relationship(
        back_populates="delivery", order_by="WebhookAttempt.id", cascade="all, delete-orphan"
    )

    __table_args__ = (
        sa.CheckConstraint("status IN ('pending', 'delivered', 'failed')", name="delivery_status"),
        sa.Index("ix_webhook_deliveries_due", "status", "endpoint_id", "id"),
    )


class WebhookAttempt(db.Model):
    """One try at sending a delivery: when, what the receiver answered, how long it took."""

    __tablename__ = "webhook_attempts"

    id: Mapped[int] = mapped_column(primary_key=True)
    delivery_id: Mapped[int] = mapped_column(
        sa.ForeignKey("webhook_deliveries.id", ondelete="CASCADE"), index=True
    )
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow())
    status_code: Mapped[int | None] = mapped_column(sa.Integer)
    latency_ms: Mapped[int] = mapped_column(sa.Integer)
    error: Mapped[str | None] = mapped_column(sa.String(500))
    succeeded: Mapped[bool] = mapped_column(sa.Boolean)

    delivery: Mapped[WebhookDelivery] = relationship(back_populates="attempt_log")
