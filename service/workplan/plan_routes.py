"""Work-plan API: /api/v1/work-plans (workflow, versions, views, document) and /activities."""

# Views are thin: the rules live in services, coverage, overlaps, versions, progress, document.

import os
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from flask import Response
from flask.views import MethodView

from service.core.access import Scope, require
from service.core.api import (
    API_PREFIX,
    IF_MATCH_DOC,
    Blueprint,
    check_if_match,
    etag_data,
    get_or_404,
    page_of,
    paginated,
)
from service.core.db import db, matches_text
from service.core.fields import partial_update
from service.core.response_cache import cached
from service.core.versions import Family
from service.workplan import services
from service.workplan.coverage import Coverage, coverage_for
from service.workplan.document import FILE_NAMES, MEDIA_TYPES, committee_document, render
from service.workplan.models import (
    Activity,
    ActivityBody,
    ActivityRecommendation,
    Recommendation,
    ResponsibleBody,
    WorkPlan,
)
from service.workplan.overlaps import SIMILARITY_THRESHOLD, overlaps_among
from service.workplan.progress import summary_for
from service.workplan.progress_report import progress_report, report_as_docx, report_as_html
from service.workplan.resources import resources_of
from service.workplan.schemas import (
    ActivityCreateSchema,
    ActivityPatchSchema,
    ActivityQueryArgs,
    ActivitySchema,
    CoverageQueryArgs,
    CoverageSchema,
    DecisionInputSchema,
    DiffQueryArgs,
    DiffSchema,
    DocumentFormatArgs,
    OverlapsSchema,
    ProgressNoteInputSchema,
    ProgressNoteSchema,
    ProgressReportArgs,
    ResourcesSchema,
    SummarySchema,
    WorkPlanCreateSchema,
    WorkPlanPatchSchema,
    WorkPlanQueryArgs,
    WorkPlanSchema,
)
from service.workplan.versions import Diff, diff, new_version

TEMPLATES = os.path.join(os.path.dirname(__file__), "templates")

# Reads answered from cached bytes keyed by the work plan's version (service/core/
# response_cache.py): lists and figures get their ETag from it, one entry from its own data.
WORKPLAN_LIST = cached(Family.WORKPLAN, version_etag=True)
WORKPLAN_ENTRY = cached(Family.WORKPLAN, version_etag=False)

work_plans = Blueprint(
    "work_plans",
    __name__,
    url_prefix=f"{API_PREFIX}/work-plans",
    template_folder=TEMPLATES,
    description="Work plans: draft -> submitted to the Committee on Hemispheric Security "
    "(frozen) -> approved; superseded by a newer version. Coverage, overlaps, diff, summary "
    "and the document for the Committee.",
)
activities = Blueprint(
    "activities",
    __name__,
    url_prefix=f"{API_PREFIX}/activities",
    description="Activities of a work plan, each traced to its source recommendations and to "
    "the bodies that lead and support it; progress notes.",
)

PLAN_ID = "/<int(max=2147483647):plan_id>"
ACTIVITY_ID = "/<int(max=2147483647):activity_id>"


def plan_or_404(plan_id: int) -> WorkPlan:
    return get_or_404(WorkPlan, plan_id, "work plan", options=services.PLAN_LOADING)


def activity_or_404(activity_id: int) -> Activity:
    return get_or_404(Activity, activity_id, "activity", options=services.ACTIVITY_LOADING)


# -- work plans -----------------------------------------------------------------------------


@work_plans.route("")
class WorkPlans(MethodView):
    @require(Scope.WORKPLAN_READ)
    @WORKPLAN_LIST
    @work_plans.arguments(WorkPlanQueryArgs, location="query")
    @work_plans.response(200, WorkPlanSchema(many=True))
    @paginated(work_plans)
    def get(self, args: dict, pagination_parameters: Any) -> list:
        """List work plans (newest version first)"""
        statement = (
            sa.select(WorkPlan)
            .options(*services.PLAN_LOADING)
            .order_by(WorkPlan.code, WorkPlan.plan_version.desc())
        )
        if "code" in args:
            statement = statement.where(WorkPlan.code == args["code"])
        if "status" in args:
            statement = statement.where(WorkPlan.status == args["status"])
        if not args["include_archived"]:
            statement = statement.where(WorkPlan.archived_at.is_(None))
        return page_of(statement, pagination_parameters)

    @require(Scope.WORKPLAN_WRITE)
    @work_plans.arguments(WorkPlanCreateSchema)
    @work_plans.response(201, WorkPlanSchema)
    def post(self, data: dict) -> Any:
        """Start a work plan (a draft, version 1)"""
        plan = services.create_work_plan(data)
        db.session.commit()
        return plan


@work_plans.route(PLAN_ID)
class WorkPlanById(MethodView):
    @require(Scope.WORKPLAN_READ)
    @WORKPLAN_ENTRY
    @work_plans.etag
    @work_plans.response(200, WorkPlanSchema)
    def get(self, plan_id: int) -> Any:
        """One work plan"""
        plan = plan_or_404(plan_id)
        work_plans.set_etag(etag_data(plan))
        return plan

    @require(Scope.WORKPLAN_WRITE)
    @work_plans.etag
    @work_plans.arguments(partial_update(WorkPlanPatchSchema))
    @work_plans.response(200, WorkPlanSchema)
    def patch(self, data: dict, plan_id: int) -> Any:
        """Change a draft work plan (If-Match; 409 once submitted)"""
        plan = plan_or_404(plan_id)
        work_plans.check_etag(etag_data(plan))
        services.update_work_plan(plan, data)
        db.session.commit()
        work_plans.set_etag(etag_data(plan))
        return plan

    @require(Scope.WORKPLAN_WRITE)
    @work_plans.etag
    @work_plans.response(204)
    def delete(self, plan_id: int) -> None:
        """Archive a draft work plan (If-Match)"""
        plan = plan_or_404(plan_id)
        work_plans.check_etag(etag_data(plan))
        services.archive_work_plan(plan)
        db.session.commit()


def _action(name: str, change: Any, summary: str, record: bool = False) -> None:
    """POST /work-plans/{id}/<name>: a workflow step, guarded by If-Match like any change.

    With `record`, the optional body carries the decision: body, date, meeting, symbol.
    """

    def post(self: MethodView, data: dict | None = None, *, plan_id: int) -> Any:
        plan = plan_or_404(plan_id)
        check_if_match(etag_data(plan))
        if record:
            change(plan, data or {})
        else:
            change(plan)
        db.session.commit()
        work_plans.set_etag(etag_data(plan))
        return plan

    post.__doc__ = summary
    post = work_plans.response(200, WorkPlanSchema)(post)
    if record:
        post = work_plans.arguments(DecisionInputSchema, required=False)(post)
    post = require(Scope.WORKPLAN_WRITE)(work_plans.etag(work_plans.doc(**IF_MATCH_DOC)(post)))
    view = type(f"WorkPlan{name.title()}", (MethodView,), {"post": post})
    work_plans.route(f"{PLAN_ID}/{name}")(view)


_action(
    "submit",
    services.submit_work_plan,
    "Submit a draft to the Committee on Hemispheric Security (If-Match)\n\n"
    "The plan is then frozen. Refused (409) while any recommendation is uncovered. The body "
    "records to whom (default CSH), when (default today), at which meeting and under which "
    "document symbol.",
    record=True,
)
_action("reopen", services.reopen_work_plan, "Reopen a submitted plan as a draft (If-Match)")
_action(
    "approve",
    services.approve_work_plan,
    "Record the Committee's approval of a submitted plan (If-Match)\n\n"
    "Earlier approved versions of the same plan become superseded and point to this one. The "
    "body records who decided (default CSH), when, at which meeting, under which symbol.",
    record=True,
)


_action("restore", services.restore_work_plan, "Restore an archived work plan (If-Match)")


@work_plans.route(f"{PLAN_ID}/versions")
class WorkPlanVersions(MethodView):
    @require(Scope.WORKPLAN_WRITE)
    @work_plans.response(201, WorkPlanSchema)
    def post(self, plan_id: int) -> Any:
        """Make a new version: a draft copy whose activities link to the ones they copy"""
        plan = new_version(plan_or_404(plan_id))
        db.session.commit()
        return plan


@work_plans.route(f"{PLAN_ID}/diff")
class WorkPlanDiff(MethodView):
    @require(Scope.WORKPLAN_READ)
    @WORKPLAN_LIST
    @work_plans.arguments(DiffQueryArgs, location="query")
    @work_plans.response(200, DiffSchema)
    def get(self, args: dict, plan_id: int) -> Diff:
        """What changed in this plan since another version: activities added, removed, changed"""
        plan = plan_or_404(plan_id)
        return diff(plan, plan_or_404(args["against"]))


@work_plans.route(f"{PLAN_ID}/coverage")
class WorkPlanCoverage(MethodView):
    @require(Scope.WORKPLAN_READ)
    @WORKPLAN_LIST
    @work_plans.arguments(CoverageQueryArgs, location="query")
    @work_plans.response(200, CoverageSchema)
    def get(self, args: dict, plan_id: int) -> Coverage:
        """Every recommendation of the plan's mandates: covering activities, exclusion or uncovered

        Totals always count every recommendation; the filters only narrow the list.
        """
        coverage = coverage_for(plan_or_404(plan_id))
        if args["uncovered_only"]:
            coverage.entries = [e for e in coverage.entries if e.uncovered]
        if "document" in args:
            coverage.entries = [
                e for e in coverage.entries if e.recommendation.document.code == args["document"]
            ]
        return coverage


@work_plans.route(f"{PLAN_ID}/overlaps")
class WorkPlanOverlaps(MethodView):
    @require(Scope.WORKPLAN_READ)
    @work_plans.response(200, OverlapsSchema)
    def get(self, plan_id: int) -> dict[str, Any]:
        """Pairs of activities to consider merging

        Reasons: `same_recommendation_and_lead` (both cite a recommendation and share a lead
        body) and `similar_text` (rapidfuzz token_set_ratio of title and description at or
        above `similarity_threshold`; texts compared as their first 80 distinct words). A large
        plan is compared over several requests: until `complete` is true, ask again for the
        rest (each request does a bounded share; a finished comparison is kept until an
        activity changes).
        """
        plan = plan_or_404(plan_id)
        activities = services.load_activities(plan)
        report = overlaps_among(activities)
        return {
            "work_plan": plan,
            "similarity_threshold": SIMILARITY_THRESHOLD,
            "overlaps": report.overlaps,
            "complete": report.complete,
            "compared_pairs": report.compared_pairs,
            "total_pairs": report.total_pairs,
            "other_efforts": [
                {"activity": a, "other_efforts": a.other_efforts}
                for a in activities
                if a.other_efforts
            ],
        }


@work_plans.route(f"{PLAN_ID}/resources")
class WorkPlanResources(MethodView):
    @require(Scope.WORKPLAN_READ)
    @work_plans.response(200, ResourcesSchema)
    def get(self, plan_id: int) -> dict[str, Any]:
        """Estimated cost per activity; totals per pillar and per funding source, per currency

        Execution is subject to the availability of financial resources (AG/RES. 2456, op. 9).
        """
        plan = plan_or_404(plan_id)
        return {"work_plan": plan, **vars(resources_of(services.load_activities(plan)))}


@work_plans.route(f"{PLAN_ID}/summary")
class WorkPlanSummary(MethodView):
    @require(Scope.WORKPLAN_READ)
    @work_plans.response(200, SummarySchema)
    def get(self, plan_id: int) -> dict[str, Any]:
        """Activity statuses overall, per pillar and per responsible body (lead or support)"""
        plan = plan_or_404(plan_id)
        return {"work_plan": plan, **summary_for(services.load_activities(plan))}


BINARY = {"schema": {"type": "string", "format": "binary"}}


@work_plans.route(f"{PLAN_ID}/document")
class WorkPlanDocument(MethodView):
    @require(Scope.WORKPLAN_READ)
    @work_plans.arguments(DocumentFormatArgs, location="query")
    @work_plans.doc(
        responses={
            "200": {
                "description": "The document, as an attachment",
                "content": {media_type: BINARY for media_type in MEDIA_TYPES.values()},
            }
        }
    )
    def get(self, args: dict, plan_id: int) -> Response:
        """The document for the Committee: mandates, activities per pillar, coverage annex"""
        plan = plan_or_404(plan_id)
        fmt = args["format"]
        today = datetime.now(UTC).date().isoformat()
        filename = f"{plan.code}-v{plan.plan_version}-" + FILE_NAMES[fmt].format(date=today)
        return Response(
            render(committee_document(plan), fmt),
            mimetype=MEDIA_TYPES[fmt],
            headers={"Content-Disposition": f'attachment; filename="{filename}"'},
        )


@work_plans.route(f"{PLAN_ID}/progress-report")
class WorkPlanProgressReport(MethodView):
    @require(Scope.WORKPLAN_READ)
    @work_plans.arguments(ProgressReportArgs, location="query")
    @work_plans.doc(
        responses={
            "200": {
                "description": "The report, as an attachment",
                "content": {MEDIA_TYPES[f]: BINARY for f in ("docx", "html")},
            }
        }
    )
    def get(self, args: dict, plan_id: int) -> Response:
        """Progress report for a period (what the Permanent Council reports under op. 9)

        Per pillar and activity: status and the progress notes of the period; per recommendation,
        the activities that advance it and their state; what was not done and why; resources
        spent against estimates. A period without notes gives a report that says so.
        """
        plan = plan_or_404(plan_id)
        report = progress_report(plan, args.get("start"), args.get("end"))
        fmt = args["format"]
        body = report_as_docx(report) if fmt == "docx" else report_as_html(report)
        filename = (
            f"{plan.code}-v{plan.plan_version}-progress-"
            f"{report.start.isoformat()}-{report.end.isoformat()}.{fmt}"
        )
        return Response(
            body,
            mimetype=MEDIA_TYPES[fmt],
            headers={"Content-Disposition": f'attachment; filename="{filename}"'},
        )


# -- activities -----------------------------------------------------------------------------


@activities.route("")
class Activities(MethodView):
    @require(Scope.WORKPLAN_READ)
    @WORKPLAN_LIST
    @activities.arguments(ActivityQueryArgs, location="query")
    @activities.response(200, ActivitySchema(many=True))
    @paginated(activities, page_size=50)
    def get(self, args: dict, pagination_parameters: Any) -> list:
        """List activities, filtered by plan, pillar, status, recommendation, body or text"""
        statement = (
            sa.select(Activity)
            .options(*services.ACTIVITY_LOADING)
            .order_by(Activity.work_plan_id, Activity.code)
        )
        if "work_plan" in args:
            statement = statement.where(Activity.work_plan_id == args["work_plan"])
        for name in ("pillar", "status"):
            if name in args:
                statement = statement.where(getattr(Activity, name) == args[name])
        if "recommendation" in args:
            statement = statement.where(
                Activity.recommendation_links.any(
                    ActivityRecommendation.recommendation.has(
                        Recommendation.reference == args["recommendation"]
                    )
                )
            )
        if "body" in args:
            link = ActivityBody.body.has(ResponsibleBody.code == args["body"])
            if "role" in args:
                link = sa.and_(link, ActivityBody.role == args["role"])
            statement = statement.where(Activity.body_links.any(link))
        if "q" in args:
            statement = statement.where(matches_text(args["q"], Activity.search_text))
        if "updated_since" in args:
            statement = statement.where(Activity.updated_at > args["updated_since"])
        elif not args["include_archived"]:
            statement = statement.where(Activity.archived_at.is_(None))
        return page_of(statement, pagination_parameters)

    @require(Scope.WORKPLAN_WRITE)
    @activities.arguments(ActivityCreateSchema)
    @activities.response(201, ActivitySchema)
    def post(self, data: dict) -> Any:
        """Add an activity to a draft work plan"""
        activity = services.create_activity(data)
        db.session.commit()
        return activity


@activities.route(ACTIVITY_ID)
class ActivityById(MethodView):
    @require(Scope.WORKPLAN_READ)
    @WORKPLAN_ENTRY
    @activities.etag
    @activities.response(200, ActivitySchema)
    def get(self, activity_id: int) -> Any:
        """One activity"""
        activity = activity_or_404(activity_id)
        activities.set_etag(etag_data(activity))
        return activity

    @require(Scope.WORKPLAN_WRITE)
    @activities.etag
    @activities.arguments(partial_update(ActivityPatchSchema))
    @activities.response(200, ActivitySchema)
    def patch(self, data: dict, activity_id: int) -> Any:
        """Change an activity (If-Match)

        On a draft plan anything may change; on an approved plan only `status` (progress) and
        `translations` (the English text stays the source); a submitted or superseded plan
        refuses every change (409).
        """
        activity = activity_or_404(activity_id)
        activities.check_etag(etag_data(activity))
        services.update_activity(activity, data)
        db.session.commit()
        activities.set_etag(etag_data(activity))
        return activity

    @require(Scope.WORKPLAN_WRITE)
    @activities.etag
    @activities.response(204)
    def delete(self, activity_id: int) -> None:
        """Archive an activity of a draft plan (If-Match)"""
        activity = activity_or_404(activity_id)
        activities.check_etag(etag_data(activity))
        services.archive_activity(activity)
        db.session.commit()


@activities.route(f"{ACTIVITY_ID}/progress-notes")
class ProgressNotes(MethodView):
    @require(Scope.WORKPLAN_READ)
    @WORKPLAN_LIST
    @activities.response(200, ProgressNoteSchema(many=True))
    def get(self, activity_id: int) -> Any:
        """An activity's progress notes, oldest first"""
        return activity_or_404(activity_id).progress_notes

    @require(Scope.WORKPLAN_WRITE)
    @activities.arguments(ProgressNoteInputSchema)
    @activities.response(201, ProgressNoteSchema)
    def post(self, data: dict, activity_id: int) -> Any:
        """Add a dated progress note (draft or approved plans)"""
        note = services.add_progress_note(activity_or_404(activity_id), data)
        db.session.commit()
        return note


@activities.route(f"{ACTIVITY_ID}/restore")
class ActivityRestore(MethodView):
    @require(Scope.WORKPLAN_WRITE)
    @activities.etag
    @activities.doc(**IF_MATCH_DOC)
    @activities.response(200, ActivitySchema)
    def post(self, activity_id: int) -> Activity:
        """Restore an archived activity of a draft plan (If-Match)"""
        activity = activity_or_404(activity_id)
        check_if_match(etag_data(activity))
        services.restore_activity(activity)
        db.session.commit()
        activities.set_etag(etag_data(activity))
        return activity
