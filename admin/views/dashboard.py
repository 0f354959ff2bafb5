"""The admin home: directory completeness per member state and work-plan coverage and progress."""

from __future__ import annotations

import sqlalchemy as sa
from flask_admin import AdminIndexView, expose

from admin.views.base import ProtectedView
from service.core.access import Principal, Scope
from service.core.db import db
from service.directory.completeness import completeness
from service.workplan.coverage import coverage_for
from service.workplan.models import ActivityStatus, WorkPlan, WorkPlanStatus
from service.workplan.progress import summary_for
from service.workplan.services import load_activities


def current_plans() -> list[WorkPlan]:
    """The plans someone is working with: not archived, not superseded by a newer version."""
    return list(
        db.session.scalars(
            sa.select(WorkPlan)
            .where(WorkPlan.archived_at.is_(None), WorkPlan.status != WorkPlanStatus.SUPERSEDED)
            .order_by(WorkPlan.code, WorkPlan.plan_version.desc())
        )
    )


class DashboardView(ProtectedView, AdminIndexView):
    def may_read(self, principal: Principal) -> bool:
        return principal.has(Scope.DIRECTORY_READ) or principal.has(Scope.WORKPLAN_READ)

    @expose("/")
    def index(self) -> str:
        principal = self.principal
        assert principal is not None  # is_accessible let only a signed-in person in
        rows = completeness() if principal.has(Scope.DIRECTORY_READ) else []
        plans = []
        if principal.has(Scope.WORKPLAN_READ):
            for plan in current_plans():
                activities = load_activities(plan)
                plans.append(
                    {
                        "plan": plan,
                        "coverage": coverage_for(plan, activities),
                        "progress": summary_for(activities),
                    }
                )
        complete = sum(1 for row in rows if row["complete"])
        return self.render(
            "oas_admin/dashboard.html",
            rows=rows,
            complete=complete,
            plans=plans,
            statuses=list(ActivityStatus),
            own_state=principal.member_state_code,
        )
