"""Change events: what each recorded change means to a partner system, and the outbox row.

The audit log's `record()` is the one place every change passes through (API, admin, command
line, seed); the outbox row is written there, in the same transaction, so there is no change
without its event and no event without its change.
"""

from __future__ import annotations

from dataclasses import dataclass

from service.core.db import db
from service.webhooks.models import WebhookEvent

DIRECTORY = "directory"
WORKPLAN = "workplan"


@dataclass(frozen=True)
class Resource:
    name: str  # the event type's prefix
    family: str
    path: str  # the API collection

    def url(self, resource_id: str) -> str:
        return f"/api/v1/{self.path}/{resource_id}"


# table name -> the resource partners know it as
RESOURCES: dict[str, Resource] = {
    "authorities": Resource("authority", DIRECTORY, "authorities"),
    "contact_points": Resource("contact", DIRECTORY, "contacts"),
    "member_states": Resource("member_state", DIRECTORY, "member-states"),
    "work_plans": Resource("work_plan", WORKPLAN, "work-plans"),
    "activities": Resource("activity", WORKPLAN, "activities"),
}

# Every event type a partner may subscribe to, by the family it needs to read.
EVENT_TYPES: dict[str, str] = {
    **{f"authority.{c}": DIRECTORY for c in ("created", "updated", "removed", "verified")},
    **{f"contact.{c}": DIRECTORY for c in ("created", "updated", "removed", "verified")},
    "member_state.updated": DIRECTORY,
    **{f"work_plan.{c}": WORKPLAN for c in ("submitted", "approved", "reopened")},
    **{f"activity.{c}": WORKPLAN for c in ("created", "updated", "removed")},
}
PING = "ping"

# Work-plan transitions partners are told about: (status before, status after) -> change
PLAN_TRANSITIONS: dict[tuple[str | None, str | None], str] = {
    ("draft", "submitted"): "submitted",
    ("submitted", "approved"): "approved",
    ("submitted", "draft"): "reopened",
}


def visible_to_partners(table: str, state: dict | None) -> bool:
    """Whether a partner system (never the secretariat) can read the entry in this state."""
    if state is None or state.get("archived_at") is not None:
        return False
    if table == "contact_points":
        return state.get("visibility") == "network"
    return True


def change_of(table: str, action: str, before: dict | None, after: dict | None) -> str | None:
    """What a recorded change is, in the events' words; None when partners aren't told."""
    if table == "work_plans":
        statuses = ((before or {}).get("status"), (after or {}).get("status"))
        return PLAN_TRANSITIONS.get(statuses)
    if table == "member_states":
        return "updated" if action == "update" else None
    return {"verify": "verified"}.get(action, "changed")


def record_event(
    action: str, table: str, entity_id: str, before: dict | None, after: dict | None
) -> None:
    """Adds the outbox row for a recorded change (called from the audit log's `record`)."""
    resource = RESOURCES.get(table)
    if resource is None:
        return
    change = change_of(table, action, before, after)
    if change is None:
        return
    version = (after or before or {}).get("version")
    db.session.add(
        WebhookEvent(
            family=resource.family,
            resource=resource.name,
            resource_id=entity_id,
            change=change,
            version=version,
            visible_before=visible_to_partners(table, before),
            visible_after=visible_to_partners(table, after),
        )
    )


def event_type_for_partner(event: WebhookEvent) -> str | None:
    """The event as a partner system sees it: entries it can't read are never mentioned;
    an entry that becomes invisible is `removed`, one that becomes visible is `created`."""
    if event.family == WORKPLAN and event.resource == "work_plan":
        return f"work_plan.{event.change}"
    if event.resource == "member_state":
        return "member_state.updated"
    before, after = event.visible_before, event.visible_after
    if not before and not after:
        return None
    if before and not after:
        return f"{event.resource}.removed"
    if after and not before:
        return f"{event.resource}.created"
    if event.change == "verified" and f"{event.resource}.verified" in EVENT_TYPES:
        return f"{event.resource}.verified"
    return f"{event.resource}.updated"
