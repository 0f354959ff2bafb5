"""Recording changes in the audit log, in the same transaction as the change itself."""

from __future__ import annotations

import enum
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from flask import g, has_request_context

from service.audit.models import AuditAction, AuditEntry
from service.core.actor import COMMAND_LINE as COMMAND_LINE
from service.core.actor import Actor as Actor
from service.core.actor import current_actor
from service.core.db import db

# Derived or secret columns never go into the log (hashes of secrets are still secrets).
NOT_AUDITED = frozenset({"search_text", "password_hash", "client_secret_hash", "token_hash"})


def _json_safe(value: Any) -> Any:
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, datetime | date):
        return value.isoformat()
    return value


def snapshot(entity: Any) -> dict:
    """The entity's own columns, as JSON, for the before/after of an audit entry."""
    mapper = sa.inspect(entity).mapper
    return {
        column.key: _json_safe(getattr(entity, column.key))
        for column in mapper.column_attrs
        if column.key not in NOT_AUDITED
    }


def entity_key(entity: Any) -> str:
    identity = sa.inspect(entity).identity or sa.inspect(entity).mapper.primary_key_from_instance(
        entity
    )
    return "/".join(str(part) for part in identity)


def record(action: AuditAction, entity: Any, before: dict | None, after: dict | None) -> AuditEntry:
    """Adds an audit entry to the current session: it commits or rolls back with the change."""
    actor = current_actor()
    entry = AuditEntry(
        actor_type=actor.type,
        actor_id=actor.id,
        actor_label=actor.label,
        action=action,
        entity_type=sa.inspect(entity).mapper.class_.__tablename__,
        entity_id=entity_key(entity),
        before=before,
        after=after,
        request_id=g.get("request_id") if has_request_context() else None,
    )
    db.session.add(entry)
    return entry
