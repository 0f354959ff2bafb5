"""The seeded draft Work Plan: its mandates, its activities with their links to
recommendations and bodies, and its coverage exclusions."""

from __future__ import annotations

import sqlalchemy as sa

from service.audit.log import record
from service.audit.models import AuditAction
from service.core.db import db, touch
from service.seeding.loader import Loader, Part, plain
from service.workplan.models import (
    Activity,
    ActivityBody,
    ActivityRecommendation,
    BodyRole,
    CoverageExclusion,
    Recommendation,
    ResponsibleBody,
    SourceDocument,
    WorkPlan,
)

ACTIVITY_FIELDS = (
    "pillar",
    "title",
    "description",
    "expected_result",
    "indicators",
    "timeline",
    "status",
)


def activity_links(activity: Activity) -> dict:
    return {
        "recommendations": sorted(link.recommendation_id for link in activity.recommendation_links),
        "bodies": sorted([link.body_id, plain(link.role)] for link in activity.body_links),
    }


def load_work_plan(loader: Loader) -> None:
    if not loader.exists("work_plan.yaml"):
        return
    data = loader.load("work_plan.yaml")
    plan_row = data["work_plan"]
    documents = loader.by_code(SourceDocument)
    plan = loader.upsert(
        WorkPlan,
        {"code": plan_row["code"], "plan_version": plan_row["plan_version"]},
        {k: plan_row.get(k) for k in ("title", "period_start", "period_end", "status", "notes")},
        {"mandates": [documents[code] for code in plan_row["mandates"]]},
    )
    recommendations = {
        r.reference: r for r in db.session.execute(sa.select(Recommendation)).scalars()
    }
    bodies = loader.by_code(ResponsibleBody)
    for row in data["activities"]:
        loader.upsert(
            Activity,
            {"work_plan_id": plan.id, "code": row["code"]},
            {k: row.get(k) for k in ACTIVITY_FIELDS},
            parts={"links": links_part(loader, row, recommendations, bodies)},
        )
    for row in data.get("exclusions", []):
        loader.upsert(
            CoverageExclusion,
            {
                "work_plan_id": plan.id,
                "recommendation_id": recommendations[row["recommendation"]].id,
            },
            {"reason": row["reason"]},
        )


def links_part(loader: Loader, row: dict, recommendations: dict, bodies: dict) -> Part:
    wanted_bodies = {bodies[code].id: BodyRole.LEAD.value for code in row["lead"]}
    wanted_bodies |= {bodies[code].id: BodyRole.SUPPORT.value for code in row.get("support", [])}
    wanted = {
        "recommendations": sorted({recommendations[ref].id for ref in row["recommendations"]}),
        "bodies": sorted([body_id, role] for body_id, role in wanted_bodies.items()),
    }

    def write(activity: Activity, wanted: dict) -> None:
        before = activity_links(activity)
        keep = set(wanted["recommendations"])
        have = {link.recommendation_id for link in activity.recommendation_links}
        activity.recommendation_links = [
            link for link in activity.recommendation_links if link.recommendation_id in keep
        ] + [ActivityRecommendation(recommendation_id=rid) for rid in sorted(keep - have)]
        activity.body_links = [
            ActivityBody(body_id=body_id, role=BodyRole(role)) for body_id, role in wanted["bodies"]
        ]
        touch(activity)
        db.session.flush()
        record(AuditAction.UPDATE, activity, before, activity_links(activity))
        loader.report.count(loader.report.updated, "activity_links")

    return Part(wanted=wanted, read=activity_links, write=write)
