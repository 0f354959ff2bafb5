"""The admin home: directory completeness per member state and work-plan coverage and progress."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Any

import sqlalchemy as sa
from flask import flash, redirect, request, url_for
from flask_admin import AdminIndexView, expose
from werkzeug.wrappers.response import Response

from admin.views.base import ProtectedView, _flatten, rule_messages
from service.core.access import Principal, Scope, may_edit_state
from service.core.db import db, in_transaction
from service.directory import services
from service.directory.completeness import completeness
from service.directory.models import MemberState
from service.reminders.campaigns import DueEntry, due_entries
from service.reminders.freshness import bounced_addresses
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


def state_names() -> dict[str, str]:
    """Every member state's name in the reader's language, by code."""
    return {state.code: state.name_in() for state in db.session.scalars(sa.select(MemberState))}


VERIFY: dict[str, Callable[[Any], Any]] = {
    "authority": services.verify_authority,
    "contact": services.verify_contact,
}


def entry_key(entry: DueEntry) -> str:
    """What a re-confirm button posts: the entry and the version the page showed."""
    return f"{entry.type}:{entry.entry.id}:{entry.entry.version}"


def reconfirming_state(principal: Principal) -> str | None:
    """The state whose due entries this person re-confirms from the home page: a focal
    point's own, when they may edit it (not for the secretariat, who has the Freshness view)."""
    code = principal.member_state_code
    return code if code and may_edit_state(principal, code) else None


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
        participating = [row for row in rows if row["participating"]]
        complete = sum(1 for row in participating if row["complete"])
        own = reconfirming_state(principal)
        due = due_entries(own, respect_interval=False) if own else []
        return self.render(
            "oas_admin/dashboard.html",
            rows=participating,
            apart=[row for row in rows if not row["participating"]],
            complete=complete,
            due=due,
            entry_key=entry_key,
            bounced=bounced_addresses(own).get(own, []) if own else [],
            plans=plans,
            statuses=list(ActivityStatus),
            own_state=principal.member_state_code,
            state_names=state_names() if rows else {},
        )

    @expose("/reconfirm/", methods=("POST",))
    def reconfirm(self) -> Response:
        """One-click re-confirmation of the focal point's own due entries: the ones posted
        (one, or all the page listed), each only if still due and unchanged since shown."""
        principal = self.principal
        assert principal is not None
        own = reconfirming_state(principal)
        if own is None:
            flash("Only a member state's focal points re-confirm entries from here.", "error")
            return redirect(url_for(".index"))
        due = {entry_key(e): e for e in due_entries(own, respect_interval=False)}
        posted = request.form.getlist("entry")
        done = 0
        for key in dict.fromkeys(posted):
            entry = due.get(key)
            if entry is None:
                flash(
                    "An entry was changed or re-confirmed since the page was shown, or is not "
                    "your state's: it was left as it is. Check the list again.",
                    "error",
                )
                continue
            try:
                in_transaction(partial(VERIFY[entry.type], entry.entry))
                done += 1
            except Exception as error:
                messages = rule_messages(error)
                if messages is None:
                    raise
                for message in _flatten(messages):
                    flash(f"{entry.label}: {message}", "error")
        if done:
            flash(
                f"Re-confirmed as still correct: {done} entr{'y' if done == 1 else 'ies'}.",
                "success",
            )
        elif not posted:
            flash("No entry was chosen: nothing was re-confirmed.", "error")
        return redirect(url_for(".index"))
