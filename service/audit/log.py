"""Recording changes in the audit log, in the same transaction as the change itself."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import date, datetime

import sqlalchemy as sa
from flask import g, has_request_context

from service.audit.models import ActorType, AuditAction, AuditEntry
from service.core.db import db
from service.core.versions import bump, families_of


@dataclass(frozen=True)
class Actor:
    """Who makes a change: a person, a partner system, or the command line."""

    type: ActorType
    id: str | None
    label: str


# Derived or secret columns never go into the log (hashes of secrets are still secrets).
NOT_AUDITED = frozenset({"search_text", "password_hash", "client_secret_hash", "token_hash"})

COMMAND_LINE = Actor(ActorType.CLI, None, "command line")


def current_actor() -> Actor:
    if has_request_context() and g.get("actor") is not None:
        return g.actor
    return COMMAND_LINE


def _json_safe(value):
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, datetime | date):
        return value.isoformat()
    return value


def snapshot(entity) -> dict:
    """The entity's own columns, as JSON, for the before/after of an audit entry."""
    mapper = sa.inspect(entity).mapper
    return {
        column.key: _json_safe(getattr(entity, column.key))
        for column in mapper.column_attrs
        if column.key not in NOT_AUDITED
    }


def entity_key(entity) -> str:
    identity = sa.inspect(entity).identity or sa.inspect(entity).mapper.primary_key_from_instance(
        entity
    )
    return "/".join(str(part) for part in identity)


def record(action: AuditAction, entity, before: dict | None, after: dict | None) -> AuditEntry:
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
    # caches and list ETags key on the family's version: it moves in this same transaction
    bump(*families_of(entity))
    return entry
