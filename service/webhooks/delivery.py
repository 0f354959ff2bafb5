"""Delivering the outbox: fan events out to endpoints, send them signed, retry, log each try.

At least once, in event order per endpoint: only the oldest pending delivery of an endpoint is
ever sent, and it is claimed with a lease (a conditional UPDATE, so two workers never send the
same attempt); a worker killed mid-send leaves the lease to expire and the delivery is sent
again with the same `webhook-id`.
"""

from __future__ import annotations

import json
import logging
import random
import secrets
import time
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
import urllib3
from flask import current_app

from service.core.db import db
from service.oauth.models import ApiClient
from service.webhooks.addresses import ForbiddenURLError, resolve
from service.webhooks.events import EVENT_TYPES, PING, RESOURCES, event_type_for_partner
from service.webhooks.models import (
    DeliveryStatus,
    WebhookAttempt,
    WebhookDelivery,
    WebhookEndpoint,
    WebhookEvent,
)
from service.webhooks.signing import decrypt, signature

log = logging.getLogger(__name__)

SEND_TIMEOUT_SECONDS = 5.0
LEASE = timedelta(seconds=60)  # longer than one send; a killed worker's claim expires
RETRY_DELAYS = [5, 60, 600, 3600, 6 * 3600]  # seconds; then every 12 hours
RETRY_EVERY = 12 * 3600
GIVE_UP_AFTER = timedelta(days=3)
ROTATION_OVERLAP = timedelta(hours=24)
DISABLED_AFTER_FAILING = "disabled after failing for 3 days"
RESOURCE_PATHS = {r.name: r for r in RESOURCES.values()}


def now_utc() -> datetime:
    return datetime.now(UTC)


def readable_families(client: ApiClient) -> set[str]:
    scopes = set(client.scope.split())
    return {
        family
        for family, scope in (("directory", "directory:read"), ("workplan", "workplan:read"))
        if scope in scopes
    }


def types_readable_by(client: ApiClient) -> list[str]:
    families = readable_families(client)
    return [t for t, family in EVENT_TYPES.items() if family in families]


def next_delay(attempts: int) -> float:
    """Seconds before the next try after `attempts` failed ones, with +-20 % jitter."""
    base = RETRY_DELAYS[attempts - 1] if attempts <= len(RETRY_DELAYS) else RETRY_EVERY
    return base * random.uniform(0.8, 1.2)  # noqa: S311 - jitter, not a secret


def payload(type_: str, timestamp: datetime, data: dict) -> str:
    return json.dumps(
        {"type": type_, "timestamp": timestamp.isoformat().replace("+00:00", "Z"), "data": data},
        separators=(",", ":"),
    )


# -- fan-out ---------------------------------------------------------------------------------


def _active_endpoints() -> list[WebhookEndpoint]:
    return list(
        db.session.execute(
            sa.select(WebhookEndpoint)
            .join(ApiClient, ApiClient.id == WebhookEndpoint.api_client_id)
            .where(
                WebhookEndpoint.archived_at.is_(None),
                WebhookEndpoint.disabled_at.is_(None),
                ApiClient.revoked_at.is_(None),
            )
            .options(sa.orm.contains_eager(WebhookEndpoint.api_client))
        )
        .unique()
        .scalars()
    )


def fan_out(batch: int = 500) -> int:
    """Turns outbox events into deliveries for the endpoints that subscribed and may read
    them. Returns how many events were handled."""
    statement = (
        sa.select(WebhookEvent)
        .where(WebhookEvent.fanned_out_at.is_(None))
        .order_by(WebhookEvent.id)
        .limit(batch)
    )
    if db.engine.dialect.name == "postgresql":
        statement = statement.with_for_update(skip_locked=True)
    events = list(db.session.execute(statement).scalars())
    if not events:
        db.session.rollback()
        return 0
    endpoints = _active_endpoints()
    stamp = now_utc()
    for event in events:
        claimed = db.session.execute(
            sa.update(WebhookEvent)
            .where(WebhookEvent.id == event.id, WebhookEvent.fanned_out_at.is_(None))
            .values(fanned_out_at=stamp)
            .execution_options(synchronize_session=False)
        ).rowcount
        if claimed != 1:
            continue  # another worker took it
        type_ = event_type_for_partner(event)
        if type_ is None:
            continue
        resource = RESOURCE_PATHS[event.resource]
        for endpoint in endpoints:
            if event.at < endpoint.created_at or type_ not in endpoint.events:
                continue
            if resource.family not in readable_families(endpoint.api_client):
                continue
            data = {"id": _id(event.resource_id), "url": resource.url(event.resource_id)}
            if event.version is not None:
                data["version"] = event.version
            db.session.add(
                WebhookDelivery(
                    endpoint_id=endpoint.id,
                    event_id=event.id,
                    message_id=f"msg_{event.id}_{endpoint.id}",
                    type=type_,
                    payload=payload(type_, event.at, data),
                    next_attempt_at=event.at,
                )
            )
    db.session.commit()
    return len(events)


def _id(resource_id: str) -> int | str:
    return int(resource_id) if resource_id.isdigit() else resource_id


def ping(endpoint: WebhookEndpoint) -> WebhookDelivery:
    """Queues a `ping` for this endpoint (the caller commits)."""
    moment = now_utc()
    delivery = WebhookDelivery(
        endpoint_id=endpoint.id,
        message_id=f"msg_ping_{secrets.token_hex(12)}",
        type=PING,
        payload=payload(PING, moment, {"endpoint_id": endpoint.id}),
        next_attempt_at=moment,
    )
    db.session.add(delivery)
    return delivery


# -- sending ---------------------------------------------------------------------------------


def due_deliveries(now: datetime, batch: int) -> list[int]:
    """The head (oldest pending delivery) of every enabled endpoint, when due and unclaimed."""
    head = (
        sa.select(sa.func.min(WebhookDelivery.id).label("id"))
        .where(WebhookDelivery.status == DeliveryStatus.PENDING)
        .group_by(WebhookDelivery.endpoint_id)
        .subquery()
    )
    return list(
        db.session.execute(
            sa.select(WebhookDelivery.id)
            .join(head, head.c.id == WebhookDelivery.id)
            .join(WebhookEndpoint, WebhookEndpoint.id == WebhookDelivery.endpoint_id)
            .where(
                WebhookEndpoint.archived_at.is_(None),
                WebhookEndpoint.disabled_at.is_(None),
                WebhookDelivery.next_attempt_at <= now,
                sa.or_(WebhookDelivery.locked_until.is_(None), WebhookDelivery.locked_until < now),
            )
            .order_by(WebhookDelivery.id)
            .limit(batch)
        ).scalars()
    )


def claim(delivery_id: int, now: datetime) -> bool:
    """Takes the delivery for this worker until the lease ends; False if another has it."""
    claimed = db.session.execute(
        sa.update(WebhookDelivery)
        .where(
            WebhookDelivery.id == delivery_id,
            WebhookDelivery.status == DeliveryStatus.PENDING,
            sa.or_(WebhookDelivery.locked_until.is_(None), WebhookDelivery.locked_until < now),
        )
        .values(locked_until=now + LEASE)
        .execution_options(synchronize_session=False)
    ).rowcount
    db.session.commit()
    return claimed == 1


def signing_secrets(endpoint: WebhookEndpoint, now: datetime) -> list[str]:
    found = [decrypt(endpoint.secret_encrypted)]
    if (
        endpoint.previous_secret_encrypted
        and endpoint.previous_secret_until
        and endpoint.previous_secret_until > now
    ):
        found.append(decrypt(endpoint.previous_secret_encrypted))
    return found


def post(url: str, headers: dict, body: bytes) -> tuple[int | None, str | None]:
    """POSTs to the checked address; (status, None) or (status or None, what went wrong).
    No redirects are followed and the response body is never read (it could be 5 GB)."""
    allow_private = current_app.config["WEBHOOK_ALLOW_PRIVATE"]
    try:
        target = resolve(url, allow_private)
    except ForbiddenURLError as error:
        return None, f"refused: the URL {error}"
    timeout = urllib3.Timeout(connect=SEND_TIMEOUT_SECONDS, read=SEND_TIMEOUT_SECONDS)
    if target.scheme == "https":
        pool = urllib3.HTTPSConnectionPool(
            target.address,
            target.port,
            server_hostname=target.host,
            assert_hostname=target.host,
            timeout=timeout,
            retries=False,
            maxsize=1,
        )
    else:
        pool = urllib3.HTTPConnectionPool(
            target.address, target.port, timeout=timeout, retries=False, maxsize=1
        )
    default_port = 443 if target.scheme == "https" else 80
    host = target.host if target.port == default_port else f"{target.host}:{target.port}"
    try:
        response = pool.urlopen(
            "POST",
            target.path,
            body=body,
            headers={**headers, "Host": host},
            redirect=False,
            retries=False,
            preload_content=False,
        )
        status = response.status
        response.close()
    except (urllib3.exceptions.HTTPError, OSError, ValueError) as error:
        return None, f"{type(error).__name__}: {error}"[:500]
    finally:
        pool.close()
    if 200 <= status < 300:
        return status, None
    if 300 <= status < 400:
        return status, "redirects are not followed"
    return status, f"the receiver answered {status}"


def send(delivery: WebhookDelivery, now: datetime) -> bool:
    """One attempt: sends, logs it, and schedules the next one or gives up. Commits."""
    endpoint = delivery.endpoint
    started = time.monotonic()
    try:
        headers = {
            "webhook-id": delivery.message_id,
            "webhook-timestamp": str(int(now.timestamp())),
            "webhook-signature": signature(
                signing_secrets(endpoint, now), delivery.message_id, now, delivery.payload
            ),
            "Content-Type": "application/json",
            "User-Agent": "oas-directory-webhooks/1",
        }
        status, error = post(endpoint.url, headers, delivery.payload.encode())
    except RuntimeError as problem:  # the secret can't be decrypted
        status, error = None, str(problem)
    latency_ms = int((time.monotonic() - started) * 1000)
    succeeded = error is None
    delivery.attempt_log.append(
        WebhookAttempt(
            at=now, status_code=status, latency_ms=latency_ms, error=error, succeeded=succeeded
        )
    )
    delivery.attempts += 1
    delivery.last_status_code = status
    delivery.last_error = error
    delivery.locked_until = None
    if succeeded:
        delivery.status = DeliveryStatus.DELIVERED
        delivery.delivered_at = now
        endpoint.failing_since = None
    else:
        _schedule_retry(delivery, endpoint, now)
    db.session.commit()
    return succeeded


def _schedule_retry(delivery: WebhookDelivery, endpoint: WebhookEndpoint, now: datetime) -> None:
    if now - delivery.created_at >= GIVE_UP_AFTER:
        delivery.status = DeliveryStatus.FAILED
    else:
        delivery.next_attempt_at = now + timedelta(seconds=next_delay(delivery.attempts))
    if endpoint.failing_since is None:
        endpoint.failing_since = now
    elif now - endpoint.failing_since >= GIVE_UP_AFTER and endpoint.disabled_at is None:
        endpoint.disabled_at = now
        endpoint.disabled_reason = DISABLED_AFTER_FAILING
        log.warning("webhook endpoint %s disabled after failing for 3 days", endpoint.id)


def deliver_due(now: datetime | None = None, batch: int = 100) -> tuple[int, int]:
    """Fans out the outbox, then sends every delivery due now, one round per endpoint, until
    none is due. Returns (delivered, failed attempts)."""
    delivered = failed = 0
    while fan_out():
        pass
    while True:
        moment = now or now_utc()
        ids = due_deliveries(moment, batch)
        db.session.rollback()
        sent_any = False
        for delivery_id in ids:
            if not claim(delivery_id, moment):
                continue
            delivery = db.session.get(WebhookDelivery, delivery_id)
            sent_any = True
            if send(delivery, moment):
                delivered += 1
            else:
                failed += 1
        if not sent_any:
            return delivered, failed


def run_worker(poll_seconds: float, should_stop) -> None:
    """The long-running worker: delivers what is due, then waits a little, until stopped."""
    while not should_stop():
        delivered, failed = deliver_due()
        if delivered or failed:
            log.info("webhooks: %d delivered, %d failed attempts", delivered, failed)
        db.session.remove()
        time.sleep(poll_seconds)


def redeliver(delivery: WebhookDelivery) -> None:
    """Queues a delivery again now (same webhook-id, so receivers can tell it is the same)."""
    delivery.status = DeliveryStatus.PENDING
    delivery.next_attempt_at = now_utc()
    delivery.locked_until = None
