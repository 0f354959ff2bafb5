"""Partners' webhook endpoints and their delivery logs, for the secretariat (read, disable)."""

from __future__ import annotations

import json
from typing import Any

from flask_admin.actions import action
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from markupsafe import Markup

from admin.views.base import RecordView
from service.webhooks.models import WebhookDelivery, WebhookEndpoint
from service.webhooks.services import disable_endpoint


def _events(view: Any, context: Any, model: WebhookEndpoint, name: str) -> str:
    return ", ".join(model.events or [])


def _attempts(view: Any, context: Any, model: WebhookDelivery, name: str) -> Markup:
    rows = Markup("").join(
        Markup("<li>{} · {} · {} ms{}</li>").format(
            a.at.strftime("%Y-%m-%d %H:%M:%S"),
            a.status_code if a.status_code is not None else "no answer",
            a.latency_ms,
            Markup(" · {}").format(a.error) if a.error else "",
        )
        for a in model.attempt_log
    )
    return Markup("<ul class='mb-0'>{}</ul>").format(rows)


def _payload_type(view: Any, context: Any, model: WebhookDelivery, name: str) -> str:
    return json.loads(model.payload).get("type", "")


class WebhookEndpointView(RecordView):
    """Every partner's endpoints; the secretariat can disable any (its client can re-enable)."""

    can_create = False
    can_edit = False
    column_list = [
        "api_client",
        "url",
        "events",
        "disabled_at",
        "disabled_reason",
        "failing_since",
        "archived_at",
        "created_at",
    ]
    column_labels = {
        "api_client": _l("Client"),
        "disabled_at": _l("Disabled"),
        "archived_at": _l("Deleted"),
        "failing_since": _l("Failing since"),
    }
    column_formatters = {"events": _events}
    column_searchable_list = ["url"]
    column_details_exclude_list = ["secret_encrypted", "previous_secret_encrypted"]
    column_export_exclude_list = ["secret_encrypted", "previous_secret_encrypted"]
    column_default_sort = ("created_at", True)

    @action("disable", _l("Disable"), _l("Stop deliveries to the selected endpoints?"))
    def action_disable(self, ids: list) -> None:
        def disable(endpoint: WebhookEndpoint) -> None:
            disable_endpoint(endpoint, reason="disabled by the secretariat")

        self.run_action(ids, disable, _("Disabled"))


class WebhookDeliveryView(RecordView):
    """The delivery log: every message, its attempts, status codes, latencies and errors."""

    can_create = False
    can_edit = False
    column_list = [
        "endpoint",
        "message_id",
        "type",
        "status",
        "attempts",
        "created_at",
        "next_attempt_at",
        "delivered_at",
        "last_status_code",
        "last_error",
    ]
    column_details_list = [*column_list, "payload", "attempt_log"]
    column_formatters = {"attempt_log": _attempts, "type": _payload_type}
    column_filters = ["status", "type"]
    column_default_sort = ("id", True)
