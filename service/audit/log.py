"""Recording changes in the audit log, in the same transaction as the change itself."""

from __future__ import annotations

import enum
from collections.abc import Callable
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from flask import g, has_request_context

from service.audit.models import AuditAction, AuditEntry
from service.core.actor import COMMAND_LINE as COMMAND_LINE
from service.core.actor import Actor as Actor
from service.core.actor import current_actor
from service.core.actor import os_user as os_user
from service.core.actor import system_actor as system_actor
from service.core.db import db
from service.core.versions import bump, families_of

# Derived or secret columns never go into the log (hashes of secrets are still secrets).
NOT_AUDITED = frozenset(
    {
        "search_text",
        "password_hash",
        "client_secret_hash",
        "token_hash",
        "secret_encrypted",
        "previous_secret_encrypted",
    }
)

# Called with (action, entity type, entity id, before, after) for every recorded change, in its
# transaction; features above the audit log register here at start-up (the webhook outbox).
ChangeListener = Callable[[str, str, str, dict | None, dict | None], None]
_change_listeners: list[ChangeListener] = []


def on_change(listener: ChangeListener) -> None:
    """Registers a listener of recorded changes (once, however many apps are created)."""
    if listener not in _change_listeners:
        _change_listeners.append(listener)


def _json_safe(value: Any) -> Any:
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):  # amounts: kept exact, as text
        return str(value)
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


def record(
    action: AuditAction,
    entity: Any,
    before: dict | None,
    after: dict | None,
    actor: Actor | None = None,
) -> AuditEntry:
    """Adds an audit entry to the current session: it commits or rolls back with the change.

    The actor is the request's (or the command line's) unless the change names its own, e.g. a
    person's account created by their own first sign-in.
    """
    actor = actor or current_actor()
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
    for listener in _change_listeners:
        listener(action.value, entry.entity_type, entry.entity_id, before, after)
    return entry
