"""Webhook schemas: endpoints as their client sees them (never a secret but once), deliveries."""

from __future__ import annotations

import marshmallow as ma

from service.core.fields import CleanString
from service.webhooks.events import EVENT_TYPES

EVENT_TYPE_LIST = sorted(EVENT_TYPES)


class WebhookEndpointSchema(ma.Schema):
    id = ma.fields.Integer()
    url = ma.fields.String()
    events = ma.fields.List(ma.fields.String(validate=ma.validate.OneOf(EVENT_TYPE_LIST)))
    description = ma.fields.String(allow_none=True)
    enabled = ma.fields.Boolean()
    disabled_at = ma.fields.AwareDateTime(allow_none=True)
    disabled_reason = ma.fields.String(allow_none=True)
    failing_since = ma.fields.AwareDateTime(allow_none=True)
    created_at = ma.fields.AwareDateTime()
    updated_at = ma.fields.AwareDateTime()


class SigningSecretSchema(ma.Schema):
    secret = ma.fields.String(
        metadata={
            "description": "The signing secret (Standard Webhooks, `whsec_…`): shown once, "
            "never returned again"
        }
    )


class WebhookEndpointCreatedSchema(WebhookEndpointSchema, SigningSecretSchema):
    pass


class WebhookEndpointCreateSchema(ma.Schema):
    class Meta:
        unknown = ma.RAISE

    url = CleanString(
        required=True,
        validate=[ma.validate.Length(max=2000), ma.validate.URL(schemes={"http", "https"})],
        metadata={"description": "An https URL whose addresses are public"},
    )
    events = ma.fields.List(
        ma.fields.String(validate=ma.validate.Length(max=40)),
        validate=ma.validate.Length(max=len(EVENT_TYPES)),
        metadata={
            "description": "Event types to receive (default: every type the client may read): "
            + ", ".join(EVENT_TYPE_LIST)
        },
    )
    description = CleanString(allow_none=True, validate=ma.validate.Length(max=500))


class WebhookEndpointUpdateSchema(WebhookEndpointCreateSchema):
    class Meta:
        unknown = ma.RAISE

    url = CleanString(
        validate=[ma.validate.Length(max=2000), ma.validate.URL(schemes={"http", "https"})],
    )
    enabled = ma.fields.Boolean(metadata={"description": "false stops deliveries"})


class WebhookAttemptSchema(ma.Schema):
    at = ma.fields.AwareDateTime()
    status_code = ma.fields.Integer(allow_none=True)
    latency_ms = ma.fields.Integer()
    error = ma.fields.String(allow_none=True)
    succeeded = ma.fields.Boolean()


class WebhookDeliverySchema(ma.Schema):
    id = ma.fields.Integer()
    message_id = ma.fields.String(metadata={"description": "The `webhook-id` header"})
    type = ma.fields.String()
    payload = ma.fields.String(metadata={"description": "The exact body sent"})
    status = ma.fields.String(metadata={"description": "pending, delivered or failed"})
    attempts = ma.fields.Integer()
    created_at = ma.fields.AwareDateTime()
    next_attempt_at = ma.fields.AwareDateTime()
    delivered_at = ma.fields.AwareDateTime(allow_none=True)
    last_status_code = ma.fields.Integer(allow_none=True)
    last_error = ma.fields.String(allow_none=True)
    attempt_log = ma.fields.List(ma.fields.Nested(WebhookAttemptSchema), data_key="attempt_log")
