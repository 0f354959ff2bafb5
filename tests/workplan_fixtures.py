"""Shared helpers for the work-plan tests: the seeded activities, ETag round trips, payloads."""

from __future__ import annotations

import sqlalchemy as sa

from service.audit.models import AuditEntry
from service.core.db import db
from service.workplan.models import Activity, WorkPlan

WRITE = "workplan:read workplan:write"
PLANS = "/api/v1/work-plans"
ACTIVITIES = "/api/v1/activities"


def seeded_activity(plan: WorkPlan, code: str) -> Activity:
    return db.session.execute(
        sa.select(Activity).filter_by(work_plan_id=plan.id, code=code)
    ).scalar_one()


def if_match(client, url: str, **headers) -> dict:
    response = client.get(url)
    assert response.status_code == 200, response.get_json()
    return {"If-Match": response.headers["ETag"], **headers}


def patch(client, url: str, payload: dict, **headers):
    return client.patch(url, json=payload, headers=if_match(client, url, **headers))


def action(client, plan_id: int, name: str, **headers):
    url = f"{PLANS}/{plan_id}"
    return client.post(f"{url}/{name}", headers=if_match(client, url, **headers))


def activity_payload(plan_id: int, **overrides) -> dict:
    payload = {
        "work_plan": plan_id,
        "code": "PREV-99",
        "pillar": "prevention",
        "title": "Regional workshop on labour-exploitation indicators for labour inspectors",
        "description": "Labour inspectorates of the Caribbean subregion train together on "
        "recognising forced labour in agriculture and fisheries.",
        "expected_result": "Inspectors apply a shared checklist.",
        "indicators": ["Number of inspectors trained"],
        "timeline": "2011",
        "recommendations": ["RTP-II/R13"],
        "bodies": [{"body": "DPS", "role": "lead"}, {"body": "IOM", "role": "support"}],
    }
    payload.update(overrides)
    return payload


def audit_trail(entity_type: str, entity_id) -> list[AuditEntry]:
    return list(
        db.session.execute(
            sa.select(AuditEntry)
            .filter_by(entity_type=entity_type, entity_id=str(entity_id))
            .order_by(AuditEntry.id)
        ).scalars()
    )


def field_errors(response) -> dict[str, str]:
    return {e["field"]: e["message"] for e in response.get_json().get("errors", [])}
