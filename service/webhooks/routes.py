"""Webhook API: /api/v1/webhook-endpoints, each partner system's own endpoints and deliveries."""

from __future__ import annotations

import functools

import sqlalchemy as sa
from flask.views import MethodView
from flask_smorest import abort

from service.core.access import authenticated
from service.core.api import (
    API_PREFIX,
    IF_MATCH_DOC,
    Blueprint,
    check_if_match,
    etag_data,
    page_of,
)
from service.core.api import paginated as paginated_list
from service.core.db import db
from service.oauth.models import ApiClient
from service.webhooks import services
from service.webhooks.models import WebhookDelivery, WebhookEndpoint
from service.webhooks.schemas import (
    SigningSecretSchema,
    WebhookDeliverySchema,
    WebhookEndpointCreatedSchema,
    WebhookEndpointCreateSchema,
    WebhookEndpointSchema,
    WebhookEndpointUpdateSchema,
)

ID = "<int(max=2147483647):{}>"

webhook_endpoints = Blueprint(
    "webhook_endpoints",
    __name__,
    url_prefix=f"{API_PREFIX}/webhook-endpoints",
    description="Where a partner system is told of changes: signed POSTs in the Standard "
    "Webhooks scheme with thin payloads (type, id, version, url). A client sees and manages "
    "only its own endpoints.",
)
blp = webhook_endpoints


def partner_client() -> ApiClient:
    """The API client making this request; webhooks belong to partner systems only."""
    principal = authenticated()
    if not principal.is_client:
        abort(403, message="Webhook endpoints belong to API clients: call with a client token.")
    client = db.session.execute(
        sa.select(ApiClient).where(ApiClient.client_id == principal.actor.id)
    ).scalar_one()
    return client


def for_partners(view):
    """401 without a credential, 403 unless it is a client token (before parsing)."""

    @functools.wraps(view)
    def wrapper(*args, **kwargs):
        partner_client()
        return view(*args, **kwargs)

    apidoc = dict(getattr(wrapper, "_apidoc", {}))
    apidoc["manual_doc"] = {
        **apidoc.get("manual_doc", {}),
        "security": [{"oauth2": ["directory:read"]}, {"oauth2": ["workplan:read"]}],
    }
    wrapper._apidoc = apidoc
    return wrapper


def own_endpoint_or_404(endpoint_id: int) -> WebhookEndpoint:
    endpoint = db.session.get(WebhookEndpoint, endpoint_id)
    if endpoint is None or endpoint.is_archived or endpoint.api_client_id != partner_client().id:
        abort(404, message=f"No webhook endpoint with id {endpoint_id!r}.")
    return endpoint


@blp.route("")
class WebhookEndpoints(MethodView):
    @for_partners
    @blp.response(200, WebhookEndpointSchema(many=True))
    @paginated_list(blp)
    def get(self, pagination_parameters):
        """List this client's webhook endpoints"""
        return page_of(
            sa.select(WebhookEndpoint)
            .where(
                WebhookEndpoint.api_client_id == partner_client().id,
                WebhookEndpoint.archived_at.is_(None),
            )
            .order_by(WebhookEndpoint.id),
            pagination_parameters,
        )

    @for_partners
    @blp.etag
    @blp.arguments(WebhookEndpointCreateSchema)
    @blp.response(201, WebhookEndpointCreatedSchema)
    def post(self, data):
        """Register a webhook endpoint (the signing secret is in this answer only)"""
        endpoint, secret = services.create_endpoint(partner_client(), data)
        blp.set_etag(etag_data(endpoint))
        endpoint.secret = secret  # this answer only: it is stored encrypted, never shown again
        return endpoint, 201, {"Location": f"{blp.url_prefix}/{endpoint.id}"}


@blp.route(f"/{ID.format('endpoint_id')}")
class WebhookEndpointById(MethodView):
    @for_partners
    @blp.etag
    @blp.response(200, WebhookEndpointSchema)
    def get(self, endpoint_id):
        """One of this client's webhook endpoints"""
        endpoint = own_endpoint_or_404(endpoint_id)
        blp.set_etag(etag_data(endpoint))
        return endpoint

    @for_partners
    @blp.etag
    @blp.arguments(WebhookEndpointUpdateSchema)
    @blp.response(200, WebhookEndpointSchema)
    def patch(self, data, endpoint_id):
        """Change an endpoint: url, events, description, or `enabled` (If-Match required)"""
        endpoint = own_endpoint_or_404(endpoint_id)
        blp.check_etag(etag_data(endpoint))
        services.update_endpoint(endpoint, data)
        blp.set_etag(etag_data(endpoint))
        return endpoint

    @for_partners
    @blp.etag
    @blp.response(204)
    def delete(self, endpoint_id):
        """Delete an endpoint: nothing more is sent to it (If-Match required)"""
        endpoint = own_endpoint_or_404(endpoint_id)
        blp.check_etag(etag_data(endpoint))
        services.delete_endpoint(endpoint)


@blp.route(f"/{ID.format('endpoint_id')}/rotate-secret")
class RotateSecret(MethodView):
    @for_partners
    @blp.doc(**IF_MATCH_DOC)
    @blp.response(200, SigningSecretSchema)
    def post(self, endpoint_id):
        """A new signing secret (shown once); the previous one also signs for 24 hours"""
        endpoint = own_endpoint_or_404(endpoint_id)
        check_if_match(etag_data(endpoint))
        return {"secret": services.rotate_secret(endpoint)}


@blp.route(f"/{ID.format('endpoint_id')}/ping")
class Ping(MethodView):
    @for_partners
    @blp.response(202, WebhookDeliverySchema)
    def post(self, endpoint_id):
        """Send a `ping` event to the endpoint"""
        return services.send_ping(own_endpoint_or_404(endpoint_id)), 202


@blp.route(f"/{ID.format('endpoint_id')}/deliveries")
class Deliveries(MethodView):
    @for_partners
    @blp.response(200, WebhookDeliverySchema(many=True))
    @paginated_list(blp)
    def get(self, pagination_parameters, endpoint_id):
        """Deliveries to the endpoint, newest first, with every attempt"""
        endpoint = own_endpoint_or_404(endpoint_id)
        return page_of(
            sa.select(WebhookDelivery)
            .where(WebhookDelivery.endpoint_id == endpoint.id)
            .order_by(WebhookDelivery.id.desc()),
            pagination_parameters,
        )


@blp.route(f"/{ID.format('endpoint_id')}/deliveries/{ID.format('delivery_id')}/resend")
class Resend(MethodView):
    @for_partners
    @blp.doc(operationId="resend_webhook_delivery")
    @blp.response(202, WebhookDeliverySchema)
    def post(self, endpoint_id, delivery_id):
        """Send a delivery again (same `webhook-id`)"""
        endpoint = own_endpoint_or_404(endpoint_id)
        delivery = db.session.get(WebhookDelivery, delivery_id)
        if delivery is None or delivery.endpoint_id != endpoint.id:
            abort(404, message=f"No delivery with id {delivery_id!r} to this endpoint.")
        return services.resend(delivery), 202


blueprints = (webhook_endpoints,)
