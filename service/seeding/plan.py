"""The seeded draft Work Plan: its mandates, its activities with their links to
recommendations and bodies, and its coverage exclusions."""

from __future__ import annotations

from decimal import Decimal

import sqlalchemy as sa

from service.audit.log import record, snapshot
from service.audit.models import AuditAction
from service.core.db import db, touch
from service.seeding.loader import Loader, Part, plain
from service.workplan.models import (
    Activity,
    ActivityBody,
    ActivityRecommendation,
    BodyBasis,
    BodyRole,
    CoverageExclusion,
    OtherEffort,
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
    "currency",
)
EFFORT_FIELDS = ("organization", "title", "url", "note")


def activity_links(activity: Activity) -> dict:
    return {
        "recommendations": sorted(link.recommendation_id for link in activity.recommendation_links),
        "bodies": sorted(
            [link.body_id, plain(link.role), plain(link.basis), link.basis_quote, link.basis_note]
            for link in activity.body_links
        ),
    }


def activity_efforts(activity: Activity) -> list:
    return [[getattr(e, k) for k in EFFORT_FIELDS] for e in activity.other_efforts]


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
            {
                **{k: row.get(k) for k in ACTIVITY_FIELDS},
                "estimated_cost": _amount(row.get("estimated_cost")),
                "funding_source": row.get("funding_source", "to_be_determined"),
                "subject_to_resources": row.get("subject_to_resources", True),
            },
            parts={
                "links": links_part(loader, row, recommendations, bodies),
                "other_efforts": efforts_part(loader, row.get("other_efforts", [])),
            },
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
    for reference in data.get("retired_recommendations", []):
        retire(loader, recommendations.get(reference))


def _amount(value: object) -> Decimal | None:
    return None if value is None else Decimal(str(value))


def retire(loader: Loader, recommendation: Recommendation | None) -> None:
    """Deletes a recommendation the seed replaced (split into items) once nothing cites it."""
    if recommendation is None:
        return
    for model in (ActivityRecommendation, CoverageExclusion):
        statement = sa.select(model.recommendation_id).filter_by(
            recommendation_id=recommendation.id
        )
        if db.session.execute(statement).first() is not None:
            return
    record(AuditAction.DELETE, recommendation, snapshot(recommendation), None)
    db.session.delete(recommendation)
    db.session.flush()
    loader.report.count(loader.report.updated, "recommendations_retired")


def efforts_part(loader: Loader, rows: list[dict]) -> Part:
    wanted = [[row.get(k) for k in EFFORT_FIELDS] for row in rows]

    def write(activity: Activity, wanted: list) -> None:
        before = {"other_efforts": activity_efforts(activity)}
        activity.other_efforts = [
            OtherEffort(**dict(zip(EFFORT_FIELDS, values, strict=True))) for values in wanted
        ]
        touch(activity)
        db.session.flush()
        record(AuditAction.UPDATE, activity, before, {"other_efforts": wanted})
        loader.report.count(loader.report.updated, "other_efforts")

    return Part(wanted=wanted, read=activity_efforts, write=write)


def links_part(loader: Loader, row: dict, recommendations: dict, bodies: dict) -> Part:
    wanted = {
        "recommendations": sorted({recommendations[ref].id for ref in row["recommendations"]}),
        "bodies": sorted(
            [
                bodies[link["body"]].id,
                BodyRole(link["role"]).value,
                BodyBasis(link["basis"]).value,
                link.get("quote"),
                link.get("note"),
            ]
            for link in row["bodies"]
        ),
    }

    def write(activity: Activity, wanted: dict) -> None:
        before = activity_links(activity)
        keep = set(wanted["recommendations"])
        have = {link.recommendation_id for link in activity.recommendation_links}
        activity.recommendation_links = [
            link for link in activity.recommendation_links if link.recommendation_id in keep
        ] + [ActivityRecommendation(recommendation_id=rid) for rid in sorted(keep - have)]
        activity.body_links = [
            ActivityBody(
                body_id=body_id,
                role=BodyRole(role),
                basis=BodyBasis(basis),
                basis_quote=quote,
                basis_note=note,
            )
            for body_id, role, basis, quote, note in wanted["bodies"]
        ]
        touch(activity)
        db.session.flush()
        record(AuditAction.UPDATE, activity, before, activity_links(activity))
        loader.report.count(loader.report.updated, "activity_links")

    return Part(wanted=wanted, read=activity_links, write=write)
