"""Versions of a work plan: a new version copies every activity; a diff compares two versions."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from flask_babel import gettext as _

from service.audit.log import record
from service.audit.models import AuditAction
from service.core.db import db
from service.core.errors import RuleError
from service.workplan.models import (
    Activity,
    ActivityBody,
    ActivityRecommendation,
    ActivityTranslation,
    CoverageExclusion,
    OtherEffort,
    WorkPlan,
    WorkPlanStatus,
)
from service.workplan.services import (
    activity_record,
    cited_recommendations,
    lead_bodies,
    load_activities,
    plan_record,
    supporting_bodies,
)

COPIED_PLAN_FIELDS = ("code", "title", "period_start", "period_end", "notes")
COPIED_ACTIVITY_FIELDS = (
    "code",
    "pillar",
    "title",
    "description",
    "expected_result",
    "indicators",
    "timeline",
    "status",
    "estimated_cost",
    "currency",
    "funding_source",
    "subject_to_resources",
)


def new_version(plan: WorkPlan) -> WorkPlan:
    """A draft copy (plan_version + 1) whose activities each link to the one they copy."""
    if plan.is_archived:
        raise RuleError(
            _(
                "Work plan %(code)s v%(plan_version)s is archived.",
                code=plan.code,
                plan_version=plan.plan_version,
            ),
            code="archived",
        )
    successor = db.session.execute(
        sa.select(WorkPlan.id).where(
            WorkPlan.code == plan.code, WorkPlan.plan_version == plan.plan_version + 1
        )
    ).scalar_one_or_none()
    if successor is not None:
        raise RuleError(
            _(
                "Work plan %(code)s already has version %(version)s (id %(successor)s): "
                "make the new version from the latest one.",
                code=plan.code,
                version=plan.plan_version + 1,
                successor=successor,
            ),
            code="duplicate",
        )
    copy = WorkPlan(
        **{name: getattr(plan, name) for name in COPIED_PLAN_FIELDS},
        plan_version=plan.plan_version + 1,
        status=WorkPlanStatus.DRAFT,
        predecessor=plan,
        mandates=list(plan.mandates),
        exclusions=[
            CoverageExclusion(recommendation_id=e.recommendation_id, reason=e.reason)
            for e in plan.exclusions
        ],
    )
    db.session.add(copy)
    activities = [
        Activity(
            work_plan=copy,
            predecessor_id=activity.id,
            **{name: getattr(activity, name) for name in COPIED_ACTIVITY_FIELDS},
            recommendation_links=[
                ActivityRecommendation(recommendation=link.recommendation)
                for link in activity.recommendation_links
            ],
            body_links=[
                ActivityBody(
                    body=link.body,
                    role=link.role,
                    basis=link.basis,
                    basis_quote=link.basis_quote,
                    basis_note=link.basis_note,
                )
                for link in activity.body_links
            ],
            other_efforts=[
                OtherEffort(organization=e.organization, title=e.title, url=e.url, note=e.note)
                for e in activity.other_efforts
            ],
            translations=[
                ActivityTranslation(
                    language=t.language,
                    title=t.title,
                    description=t.description,
                    expected_result=t.expected_result,
                )
                for t in activity.translations
            ],
        )
        for activity in load_activities(plan)
    ]
    db.session.add_all(activities)
    db.session.flush()
    record(AuditAction.CREATE, copy, None, plan_record(copy))
    for activity in activities:
        record(AuditAction.CREATE, activity, None, activity_record(activity))
    return copy


# -- diff -----------------------------------------------------------------------------------


@dataclass
class FieldChange:
    field: str
    before: object
    after: object


@dataclass
class ActivityChange:
    before: Activity
    after: Activity
    changes: list[FieldChange]


@dataclass
class Diff:
    work_plan: WorkPlan
    against: WorkPlan
    plan_changes: list[FieldChange] = field(default_factory=list)
    added: list[Activity] = field(default_factory=list)
    removed: list[Activity] = field(default_factory=list)
    changed: list[ActivityChange] = field(default_factory=list)
    unchanged: int = 0


def comparable_activity(activity: Activity) -> dict:
    """The fields a diff compares, links by reference and body code."""
    return {
        **{name: _plain(getattr(activity, name)) for name in COPIED_ACTIVITY_FIELDS},
        "recommendations": [r.reference for r in cited_recommendations(activity)],
        "lead_bodies": [b.code for b in lead_bodies(activity)],
        "supporting_bodies": [b.code for b in supporting_bodies(activity)],
        "proposed_bodies": sorted(
            link.body.code for link in activity.body_links if link.basis.value == "proposed"
        ),
        "other_efforts": [f"{e.organization}: {e.title}" for e in activity.other_efforts],
    }


def comparable_plan(plan: WorkPlan) -> dict:
    return {
        **{name: _plain(getattr(plan, name)) for name in COPIED_PLAN_FIELDS},
        "mandates": sorted(d.code for d in plan.mandates),
        "exclusions": {e.recommendation.reference: e.reason for e in plan.exclusions},
    }


def _plain(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return getattr(value, "value", value)


def _changes(before: dict, after: dict) -> list[FieldChange]:
    return [FieldChange(k, before[k], after[k]) for k in before if before[k] != after[k]]


def diff(plan: WorkPlan, against: WorkPlan) -> Diff:
    """What changed in `plan` since `against`: activities matched by lineage, then by code."""
    new = load_activities(plan)
    old = load_activities(against)
    matches = _match(new, old, _lineage({plan.code, against.code}))
    result = Diff(plan, against, _changes(comparable_plan(against), comparable_plan(plan)))
    old_by_id = {a.id: a for a in old}
    for activity in new:
        previous = old_by_id.get(matches.get(activity.id))  # type: ignore[arg-type]
        if previous is None:
            result.added.append(activity)
            continue
        changes = _changes(comparable_activity(previous), comparable_activity(activity))
        if changes:
            result.changed.append(ActivityChange(previous, activity, changes))
        else:
            result.unchanged += 1
    matched = set(matches.values())
    result.removed = [a for a in old if a.id not in matched]
    return result


def _lineage(codes: set[str]) -> dict[int, int | None]:
    """activity id -> predecessor id, across every version of the plans compared."""
    rows = db.session.execute(
        sa.select(Activity.id, Activity.predecessor_id)
        .join(Activity.work_plan)
        .where(WorkPlan.code.in_(codes))
    )
    return {activity_id: predecessor_id for activity_id, predecessor_id in rows}


def _ancestors(activity_id: int, parents: dict[int, int | None]) -> Iterator:
    seen = set()
    current = parents.get(activity_id)
    while current is not None and current not in seen:
        seen.add(current)
        yield current
        current = parents.get(current)


def _match(new: list[Activity], old: list[Activity], parents: dict) -> dict[int, int]:
    """new activity id -> old activity id: by predecessor chain (either way), else by code."""
    old_ids = {a.id for a in old}
    new_ids = {a.id for a in new}
    matches: dict[int, int] = {}
    taken: set[int] = set()  # old ids already matched

    def pair(new_id: int, old_id: int) -> None:
        matches[new_id] = old_id
        taken.add(old_id)

    for activity in new:  # the new plan descends from the old one
        ancestor = next((i for i in _ancestors(activity.id, parents) if i in old_ids), None)
        if ancestor is not None and ancestor not in taken:
            pair(activity.id, ancestor)
    for activity in old:  # or the other way round
        if activity.id in taken:
            continue
        ancestor = next((i for i in _ancestors(activity.id, parents) if i in new_ids), None)
        if ancestor is not None and ancestor not in matches:
            pair(ancestor, activity.id)
    free_old = {a.code: a.id for a in old if a.id not in taken}
    for activity in new:
        if activity.id not in matches and activity.code in free_old:
            pair(activity.id, free_old.pop(activity.code))
    return matches
