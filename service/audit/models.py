"""The audit log: who changed what, when, with the before and after of every change."""

from __future__ import annotations

import enum
from datetime import datetime

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, mapped_column

from service.core.actor import ActorType as ActorType
from service.core.db import UTCDateTime, db, enum_column, utcnow
from service.core.labels import vocabulary


class AuditAction(enum.StrEnum):
    CREATE = "create"
    UPDATE = "update"
    ARCHIVE = "archive"
    RESTORE = "restore"
    VERIFY = "verify"
    DELETE = "delete"


AUDIT_ACTION_LABELS = vocabulary(
    {
        AuditAction.CREATE: _l("create"),
        AuditAction.UPDATE: _l("update"),
        AuditAction.ARCHIVE: _l("archive"),
        AuditAction.RESTORE: _l("restore"),
        AuditAction.VERIFY: _l("verify"),
        AuditAction.DELETE: _l("delete"),
    }
)


class AuditEntry(db.Model):
    __tablename__ = "audit_entries"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow(), index=True)
    actor_type: Mapped[ActorType] = mapped_column(enum_column(ActorType, "audit_actor_type"))
    actor_id: Mapped[str | None] = mapped_column(sa.String(100))
    actor_label: Mapped[str] = mapped_column(sa.String(320))
    action: Mapped[AuditAction] = mapped_column(enum_column(AuditAction, "audit_action"))
    entity_type: Mapped[str] = mapped_column(sa.String(60))
    entity_id: Mapped[str] = mapped_column(sa.String(100))
    before: Mapped[dict | None] = mapped_column(sa.JSON)
    after: Mapped[dict | None] = mapped_column(sa.JSON)
    request_id: Mapped[str | None] = mapped_column(sa.String(64), index=True)

    __table_args__ = (sa.Index("ix_audit_entries_entity", "entity_type", "entity_id"),)
