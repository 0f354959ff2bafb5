"""Reading a work plan with its links in a fixed number of queries (no write, no rule)."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from service.core.db import db
from service.workplan.models import (
    Activity,
    ActivityBody,
    ActivityRecommendation,
    CoverageExclusion,
    WorkPlan,
)


def load_activities(plan: WorkPlan, include_archived: bool = False) -> list[Activity]:
    """The plan's activities with their links, in a fixed number of queries."""
    statement = (
        sa.select(Activity)
        .where(Activity.work_plan_id == plan.id)
        .options(*ACTIVITY_LOADING)
        .order_by(Activity.code)
    )
    if not include_archived:
        statement = statement.where(Activity.archived_at.is_(None))
    return list(db.session.execute(statement).scalars())


PLAN_LOADING = (
    selectinload(WorkPlan.mandates),
    selectinload(WorkPlan.exclusions).joinedload(CoverageExclusion.recommendation),
)

ACTIVITY_LOADING = (
    selectinload(Activity.recommendation_links).selectinload(ActivityRecommendation.recommendation),
    selectinload(Activity.body_links).selectinload(ActivityBody.body),
    selectinload(Activity.progress_notes),
    selectinload(Activity.other_efforts),
    selectinload(Activity.translations),
)
