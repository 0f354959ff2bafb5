"""`flask webhooks ...`: register endpoints for a partner system, list them, run the deliverer."""

from __future__ import annotations

import json
import signal

import click
import sqlalchemy as sa
from flask.cli import with_appcontext
from werkzeug.exceptions import HTTPException

from service.core.db import db
from service.core.errors import RuleError
from service.oauth.models import ApiClient
from service.webhooks import delivery, services
from service.webhooks.models import WebhookEndpoint


@click.group()
def webhooks() -> None:
    """Webhook endpoints of partner systems and their delivery."""


def _refusal(error: HTTPException) -> click.ClickException:
    data = getattr(error, "data", None) or {}
    return click.ClickException(data.get("message") or error.description or str(error))


@webhooks.command("add")
@click.option("--client", "client_id", required=True, help="The partner system's client id.")
@click.option("--url", required=True, help="Where to POST (https, public address).")
@click.option("--events", default=None, help="Comma-separated event types (default: all).")
@click.option("--description", default=None)
@with_appcontext
def add(client_id: str, url: str, events: str | None, description: str | None) -> None:
    """Registers an endpoint; prints {"id", "url", "events", "secret"} once, as JSON."""
    client = db.session.execute(
        sa.select(ApiClient).where(ApiClient.client_id == client_id)
    ).scalar_one_or_none()
    if client is None or not client.is_active:
        raise click.ClickException(f"No active API client with id {client_id}.")
    data = {"url": url, "description": description}
    if events:
        data["events"] = [e.strip() for e in events.split(",") if e.strip()]
    try:
        endpoint, secret = services.create_endpoint(client, data)
    except RuleError as error:
        raise click.ClickException(error.message) from None
    except HTTPException as error:
        raise _refusal(error) from None
    click.echo(
        json.dumps(
            {"id": endpoint.id, "url": endpoint.url, "events": endpoint.events, "secret": secret}
        )
    )


@webhooks.command("list")
@with_appcontext
def list_endpoints() -> None:
    """Every endpoint, one JSON object a line (never a secret)."""
    rows = db.session.execute(
        sa.select(WebhookEndpoint, ApiClient.client_id)
        .join(ApiClient, ApiClient.id == WebhookEndpoint.api_client_id)
        .order_by(WebhookEndpoint.id)
    )
    for endpoint, client_id in rows:
        click.echo(
            json.dumps(
                {
                    "id": endpoint.id,
                    "client": client_id,
                    "url": endpoint.url,
                    "events": endpoint.events,
                    "enabled": endpoint.enabled,
                    "deleted": endpoint.is_archived,
                    "disabled_reason": endpoint.disabled_reason,
                }
            )
        )


@webhooks.command("deliver")
@click.option("--once", is_flag=True, help="Send everything due now, then exit.")
@click.option("--poll", default=2.0, show_default=True, help="Seconds between rounds.")
@with_appcontext
def deliver(once: bool, poll: float) -> None:
    """Sends due deliveries: a long-running worker (stops on SIGTERM), or one round."""
    if once:
        delivered, failed = delivery.deliver_due()
        click.echo(f"{delivered} delivered, {failed} failed attempts")
        return
    stopping = []
    signal.signal(signal.SIGTERM, lambda *_: stopping.append(True))
    signal.signal(signal.SIGINT, lambda *_: stopping.append(True))
    click.echo("delivering webhooks; SIGTERM or Ctrl-C stops")
    delivery.run_worker(poll, lambda: bool(stopping))
