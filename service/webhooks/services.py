"""Changes to webhook endpoints, shared by the API, the admin and the command line: audited,
one commit each. Rule violations raise RuleError naming the field (a 422 on the API)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import NoReturn

import sqlalchemy as sa
from flask import current_app
from flask_smorest import abort

from service.audit.log import record, snapshot
from service.audit.models import AuditAction
from service.core.db import db
from service.core.errors import RuleError
from service.oauth.models import ApiClient
from service.webhooks import delivery
from service.webhooks.addresses import ForbiddenURLError, resolve
from service.webhooks.events import EVENT_TYPES
from service.webhooks.models import WebhookDelivery, WebhookEndpoint
from service.webhooks.signing import encrypt, new_secret


def invalid(field: str, message: str) -> NoReturn:
    raise RuleError(message, field=field)


def checked_url(url: str) -> str:
    try:
        resolve(url, current_app.config["WEBHOOK_ALLOW_PRIVATE"])
    except ForbiddenURLError as error:
        invalid("url", f"This URL cannot receive webhooks: it {error}.")
    return url


def checked_events(client: ApiClient, events: list[str] | None) -> list[str]:
    readable = delivery.types_readable_by(client)
    if not readable:
        abort(403, message="Webhooks are for clients that may read the directory or the plan.")
    if events is None:
        return readable
    if not events:
        invalid("events", "Name at least one event type (or leave events out for all).")
    for name in events:
        if name not in EVENT_TYPES:
            invalid("events", f"Unknown event type {name!r}.")
        if name not in readable:
            invalid("events", f"This client may not read what {name!r} is about.")
    return list(dict.fromkeys(events))


def create_endpoint(client: ApiClient, data: dict) -> tuple[WebhookEndpoint, str]:
    """Registers an endpoint; returns it and its signing secret (shown once, never again)."""
    secret = new_secret()
    endpoint = WebhookEndpoint(
        api_client_id=client.id,
        url=checked_url(data["url"]),
        events=checked_events(client, data.get("events")),
        description=data.get("description"),
        secret_encrypted=encrypt(secret),
    )
    endpoint.api_client = client
    db.session.add(endpoint)
    db.session.flush()
    record(AuditAction.CREATE, endpoint, None, snapshot(endpoint))
    db.session.commit()
    return endpoint, secret


def update_endpoint(endpoint: WebhookEndpoint, data: dict) -> WebhookEndpoint:
    before = snapshot(endpoint)
    if "url" in data:
        endpoint.url = checked_url(data["url"])
    if "events" in data:
        endpoint.events = checked_events(endpoint.api_client, data["events"])
    if "description" in data:
        endpoint.description = data["description"]
    if "enabled" in data:
        set_enabled(endpoint, data["enabled"], reason="disabled by its client")
    db.session.flush()
    record(AuditAction.UPDATE, endpoint, before, snapshot(endpoint))
    db.session.commit()
    return endpoint


def set_enabled(endpoint: WebhookEndpoint, enabled: bool, reason: str) -> None:
    if enabled:
        endpoint.disabled_at = endpoint.disabled_reason = endpoint.failing_since = None
    elif endpoint.disabled_at is None:
        endpoint.disabled_at = datetime.now(UTC)
        endpoint.disabled_reason = reason


def disable_endpoint(endpoint: WebhookEndpoint, reason: str) -> WebhookEndpoint:
    """The secretariat (admin) or the client stops deliveries to an endpoint."""
    before = snapshot(endpoint)
    set_enabled(endpoint, False, reason)
    db.session.flush()
    record(AuditAction.UPDATE, endpoint, before, snapshot(endpoint))
    db.session.commit()
    return endpoint


def delete_endpoint(endpoint: WebhookEndpoint) -> None:
    """Archives the endpoint: nothing more is sent; its delivery log stays."""
    before = snapshot(endpoint)
    endpoint.archived_at = datetime.now(UTC)
    db.session.flush()
    record(AuditAction.ARCHIVE, endpoint, before, snapshot(endpoint))
    db.session.commit()


def rotate_secret(endpoint: WebhookEndpoint) -> str:
    """A new signing secret; the previous one also signs for 24 hours."""
    before = snapshot(endpoint)
    secret = new_secret()
    endpoint.previous_secret_encrypted = endpoint.secret_encrypted
    endpoint.previous_secret_until = datetime.now(UTC) + delivery.ROTATION_OVERLAP
    endpoint.secret_encrypted = encrypt(secret)
    db.session.flush()
    record(AuditAction.UPDATE, endpoint, before, snapshot(endpoint))
    db.session.commit()
    return secret


def send_ping(endpoint: WebhookEndpoint) -> WebhookDelivery:
    queued = delivery.ping(endpoint)
    db.session.commit()
    return queued


def resend(queued: WebhookDelivery) -> WebhookDelivery:
    delivery.redeliver(queued)
    db.session.commit()
    return queued


def disabled_endpoints_digest() -> list[str]:
    """The secretariat's digest names every endpoint disabled after failing for 3 days."""
    rows = db.session.execute(
        sa.select(WebhookEndpoint, ApiClient.client_id, ApiClient.name)
        .join(ApiClient, ApiClient.id == WebhookEndpoint.api_client_id)
        .where(
            WebhookEndpoint.archived_at.is_(None),
            WebhookEndpoint.disabled_at.is_not(None),
            WebhookEndpoint.disabled_reason == delivery.DISABLED_AFTER_FAILING,
        )
        .order_by(WebhookEndpoint.id)
    ).all()
    if not rows:
        return []
    return ["", "Webhook endpoints disabled after failing for 3 days:"] + [
        f"- endpoint {endpoint.id} of {name} ({client_id}): {endpoint.url}, disabled "
        f"{endpoint.disabled_at:%Y-%m-%d}, failing since {endpoint.failing_since:%Y-%m-%d}"
        for endpoint, client_id, name in rows
    ]
