"""Changes to the work plan, shared by the API and the admin: rules, links and audit together."""

# Every function changes the session and records the audit entry; the caller commits. A broken
# rule raises RuleError: code "invalid" or "unknown" when the input is wrong (422), "duplicate",
# "archived", "frozen", "in_use" or "conflict" when the record's state forbids it (409).

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import sqlalchemy as sa
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from service.audit.log import current_actor, record, snapshot
from service.audit.models import AuditAction
from service.core.db import db, touch
from service.core.errors import RuleError
from service.core.labels import label
from service.workplan.basis import quote_problem
from service.workplan.coverage import coverage_for
from service.workplan.loading import ACTIVITY_LOADING as ACTIVITY_LOADING
from service.workplan.loading import PLAN_LOADING as PLAN_LOADING
from service.workplan.loading import load_activities as load_activities
from service.workplan.models import (
    TRANSLATED_FIELDS,
    TRANSLATION_LANGUAGES,
    Activity,
    ActivityBody,
    ActivityRecommendation,
    ActivityTranslation,
    BodyBasis,
    BodyRole,
    CoverageExclusion,
    OtherEffort,
    ProgressNote,
    Recommendation,
    RecommendationSection,
    ResponsibleBody,
    SourceDocument,
    WorkPlan,
    WorkPlanStatus,
    work_plan_mandates,
)

# The name callers used before the one RuleError; the same type.
WorkPlanRuleError = RuleError


class InputError(RuleError):
    """The input is wrong (422), naming the field."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message, field=field, code="invalid")


class ConflictError(RuleError):
    """The record's state forbids the change (409)."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message, field=field, code="conflict")


def _now() -> datetime:
    return datetime.now(UTC)


# -- reference data: documents, recommendations, bodies -------------------------------------


def _ensure_unique(model: Any, field: str, value: Any, entity: Any = None) -> None:
    column = getattr(model, field)
    statement = sa.select(model.id).where(column == value)
    if entity is not None:
        statement = statement.where(model.id != entity.id)
    if db.session.execute(statement).first() is not None:
        raise RuleError(
            _("%(field)s %(value)r is already used.", field=field, value=value),
            field=field,
            code="duplicate",
        )


def create_document(data: dict) -> SourceDocument:
    for field in ("code", "symbol"):
        _ensure_unique(SourceDocument, field, data[field])
    document = SourceDocument(**data)
    db.session.add(document)
    db.session.flush()
    record(AuditAction.CREATE, document, None, snapshot(document))
    return document


def update_document(document: SourceDocument, data: dict) -> SourceDocument:
    if "symbol" in data:
        _ensure_unique(SourceDocument, "symbol", data["symbol"], document)
    return _apply(document, data)


def delete_document(document: SourceDocument) -> None:
    if document.recommendations:
        raise RuleError(
            _("%(code)s still has recommendations: delete them first.", code=document.code),
            code="in_use",
        )
    cited = db.session.execute(
        sa.select(work_plan_mandates.c.work_plan_id).where(
            work_plan_mandates.c.document_id == document.id
        )
    ).first()
    if cited is not None:
        raise RuleError(
            _("%(code)s is a mandate of a work plan.", code=document.code), code="in_use"
        )
    _delete(document)


def default_reference(document: SourceDocument, number: int, section: Any, item: str = "") -> str:
    """RTP-II/R47 for recommendations, AG-RES-2456/OP3 for operative paragraphs, .../OP2A for
    item (a) of operative paragraph 2."""
    prefix = "OP" if section == RecommendationSection.OPERATIVE_PARAGRAPH else "R"
    return f"{document.code}/{prefix}{number}{item.upper()}"


def create_recommendation(data: dict) -> Recommendation:
    document = _document_by_code(data.pop("document"), "document")
    data.setdefault("item", "")
    reference = data.pop("reference", None) or default_reference(
        document, data["number"], data["section"], data["item"]
    )
    _ensure_unique(Recommendation, "reference", reference)
    clash = db.session.execute(
        sa.select(Recommendation.reference).where(
            Recommendation.document_id == document.id,
            Recommendation.number == data["number"],
            Recommendation.item == data["item"],
        )
    ).scalar_one_or_none()
    if clash is not None:
        item = f" ({data['item']})" if data["item"] else ""
        raise RuleError(
            _(
                "%(code)s already has number %(number)s%(item)s (%(clash)s).",
                code=document.code,
                number=data["number"],
                item=item,
                clash=clash,
            ),
            field="number",
            code="duplicate",
        )
    recommendation = Recommendation(document=document, reference=reference, **data)
    db.session.add(recommendation)
    db.session.flush()
    record(AuditAction.CREATE, recommendation, None, snapshot(recommendation))
    return recommendation


def update_recommendation(recommendation: Recommendation, data: dict) -> Recommendation:
    return _apply(recommendation, data)


def delete_recommendation(recommendation: Recommendation) -> None:
    for model in (ActivityRecommendation, CoverageExclusion):
        statement = sa.select(model.recommendation_id).where(
            model.recommendation_id == recommendation.id
        )
        if db.session.execute(statement).first() is not None:
            raise RuleError(
                _("%(reference)s is cited by a work plan.", reference=recommendation.reference),
                code="in_use",
            )
    _delete(recommendation)


def create_body(data: dict) -> ResponsibleBody:
    for field in ("code", "name"):
        _ensure_unique(ResponsibleBody, field, data[field])
    parent_code = data.pop("parent", None)
    body = ResponsibleBody(**data)
    body.parent = _body_by_code(parent_code, "parent") if parent_code else None
    db.session.add(body)
    db.session.flush()
    record(AuditAction.CREATE, body, None, snapshot(body))
    return body


def update_body(body: ResponsibleBody, data: dict) -> ResponsibleBody:
    data = dict(data)
    if "name" in data:
        _ensure_unique(ResponsibleBody, "name", data["name"], body)
    if "parent" in data:
        parent_code = data.pop("parent")
        parent = _body_by_code(parent_code, "parent") if parent_code else None
        ancestor = parent
        while ancestor is not None:  # a body may not end up inside itself
            if ancestor.id == body.id:
                raise RuleError(
                    _(
                        "%(parent_code)s is %(code)s or lies within it.",
                        parent_code=parent_code,
                        code=body.code,
                    ),
                    field="parent",
                    code="invalid",
                )
            ancestor = ancestor.parent
        data["parent_id"] = parent.id if parent else None
    return _apply(body, data)


def delete_body(body: ResponsibleBody) -> None:
    if body.children:
        raise RuleError(_("%(code)s still has bodies within it.", code=body.code), code="in_use")
    statement = sa.select(ActivityBody.body_id).where(ActivityBody.body_id == body.id)
    if db.session.execute(statement).first() is not None:
        raise RuleError(
            _("%(code)s is responsible for work-plan activities.", code=body.code), code="in_use"
        )
    _delete(body)


def _apply(entity: Any, data: dict) -> Any:
    before = snapshot(entity)
    for name, value in data.items():
        setattr(entity, name, value)
    db.session.flush()
    after = snapshot(entity)
    if after != before:
        record(AuditAction.UPDATE, entity, before, after)
    return entity


def _delete(entity: Any) -> None:
    before = snapshot(entity)
    record(AuditAction.DELETE, entity, before, None)
    db.session.delete(entity)
    db.session.flush()


def _document_by_code(code: str, field: str) -> SourceDocument:
    document = db.session.execute(
        sa.select(SourceDocument).where(SourceDocument.code == code)
    ).scalar_one_or_none()
    if document is None:
        raise RuleError(
            _("No document with code %(code)r.", code=code), field=field, code="unknown"
        )
    return document


def _body_by_code(code: str, field: str) -> ResponsibleBody:
    body = db.session.execute(
        sa.select(ResponsibleBody).where(ResponsibleBody.code == code)
    ).scalar_one_or_none()
    if body is None:
        raise RuleError(
            _("No responsible body with code %(code)r.", code=code), field=field, code="unknown"
        )
    return body


# -- work plans -----------------------------------------------------------------------------

FROZEN = {  # why a plan's content cannot change, by status (a whole sentence each)
    WorkPlanStatus.SUBMITTED: _l(
        "Work plan %(code)s v%(version)s is submitted to the Committee on Hemispheric Security "
        "and frozen: the secretariat must reopen it before it can change."
    ),
    WorkPlanStatus.APPROVED: _l(
        "Work plan %(code)s v%(version)s is approved: its content no longer changes (record "
        "progress, or make a new version)."
    ),
    WorkPlanStatus.SUPERSEDED: _l(
        "Work plan %(code)s v%(version)s is superseded by a newer version and kept as history."
    ),
}


def ensure_content_editable(plan: WorkPlan) -> None:
    """Only a draft changes its content (fields, mandates, exclusions, activities)."""
    if plan.is_archived:
        raise RuleError(
            _(
                "Work plan %(code)s v%(plan_version)s is archived.",
                code=plan.code,
                plan_version=plan.plan_version,
            ),
            code="archived",
        )
    if plan.status != WorkPlanStatus.DRAFT:
        raise RuleError(
            str(FROZEN[plan.status]) % {"code": plan.code, "version": plan.plan_version},
            code="frozen",
        )


def ensure_progress_recordable(plan: WorkPlan) -> None:
    """Progress (activity status, notes) is recorded while drafting and once approved."""
    if plan.status == WorkPlanStatus.APPROVED and not plan.is_archived:
        return
    ensure_content_editable(plan)


def plan_record(plan: WorkPlan) -> dict:
    """What the audit log keeps of a plan: its columns, mandates and exclusions."""
    return {
        **snapshot(plan),
        "mandates": sorted(document.code for document in plan.mandates),
        "exclusions": {
            exclusion.recommendation.reference: exclusion.reason for exclusion in plan.exclusions
        },
    }


def create_work_plan(data: dict) -> WorkPlan:
    data = dict(data)
    exists = db.session.execute(
        sa.select(WorkPlan.id).where(WorkPlan.code == data["code"], WorkPlan.plan_version == 1)
    ).first()
    if exists is not None:
        raise RuleError(
            _(
                "Work plan %(code)s already exists: make a new version of it instead.",
                code=data["code"],
            ),
            field="code",
            code="duplicate",
        )
    plan = WorkPlan(status=WorkPlanStatus.DRAFT, plan_version=1)
    _set_plan_fields(plan, data)
    db.session.add(plan)
    db.session.flush()
    record(AuditAction.CREATE, plan, None, plan_record(plan))
    return plan


def update_work_plan(plan: WorkPlan, data: dict) -> WorkPlan:
    ensure_content_editable(plan)
    before = plan_record(plan)
    _set_plan_fields(plan, dict(data))
    touch(plan)
    db.session.flush()
    record(AuditAction.UPDATE, plan, before, plan_record(plan))
    return plan


def _set_plan_fields(plan: WorkPlan, data: dict) -> None:
    mandate_codes = data.pop("mandates", None)
    exclusions = data.pop("exclusions", None)
    for name, value in data.items():
        setattr(plan, name, value)
    if plan.period_start and plan.period_end and plan.period_start > plan.period_end:
        raise RuleError(_("The period ends before it starts."), field="period_end", code="invalid")
    if mandate_codes is not None:
        plan.mandates = [
            _document_by_code(code, f"mandates.{i}") for i, code in enumerate(mandate_codes)
        ]
    if exclusions is not None:
        _set_exclusions(plan, exclusions)
    elif mandate_codes is not None:
        _check_exclusions_in_mandates(plan)


def _set_exclusions(plan: WorkPlan, rows: list[dict]) -> None:
    references = [row["recommendation"] for row in rows]
    found = _recommendations_by_reference(references, "exclusions")
    keep = {e.recommendation_id: e for e in plan.exclusions}
    exclusions = []
    for row in rows:
        recommendation = found[row["recommendation"]]
        exclusion = keep.get(recommendation.id) or CoverageExclusion(recommendation=recommendation)
        exclusion.reason = row["reason"]
        exclusions.append(exclusion)
    plan.exclusions = exclusions
    _check_exclusions_in_mandates(plan)


def _check_exclusions_in_mandates(plan: WorkPlan) -> None:
    mandates = {document.id for document in plan.mandates}
    for i, exclusion in enumerate(plan.exclusions):
        if exclusion.recommendation.document_id not in mandates:
            raise RuleError(
                _(
                    "%(reference)s is not among this plan's mandates.",
                    reference=exclusion.recommendation.reference,
                ),
                field=f"exclusions.{i}.recommendation",
                code="invalid",
            )


def archive_work_plan(plan: WorkPlan) -> WorkPlan:
    ensure_content_editable(plan)
    before = plan_record(plan)
    plan.archived_at = _now()
    db.session.flush()
    record(AuditAction.ARCHIVE, plan, before, plan_record(plan))
    return plan


def restore_work_plan(plan: WorkPlan) -> WorkPlan:
    if not plan.is_archived:
        raise ConflictError(f"Work plan {plan.code} v{plan.plan_version} is not archived.")
    before = plan_record(plan)
    plan.archived_at = None
    touch(plan)
    db.session.flush()
    record(AuditAction.RESTORE, plan, before, plan_record(plan))
    return plan


def _transition(
    plan: WorkPlan, allowed_from: WorkPlanStatus, to: WorkPlanStatus, **decision: Any
) -> WorkPlan:
    if plan.is_archived:
        raise RuleError(
            _(
                "Work plan %(code)s v%(plan_version)s is archived.",
                code=plan.code,
                plan_version=plan.plan_version,
            ),
            code="archived",
        )
    if plan.status != allowed_from:
        raise RuleError(
            _(
                "Work plan %(code)s v%(version)s is %(status)s; only a %(allowed)s plan can "
                "become %(target)s.",
                code=plan.code,
                version=plan.plan_version,
                status=label(plan.status),
                allowed=label(allowed_from),
                target=label(to),
            ),
            code="conflict",
        )
    before = plan_record(plan)
    plan.status = to
    for name, value in decision.items():
        setattr(plan, name, value)
    db.session.flush()
    record(AuditAction.UPDATE, plan, before, plan_record(plan))
    return plan


DECIDING_BODY = "CSH"  # the Committee on Hemispheric Security considers the plan (op. 3)


def _decision(given: dict | None) -> tuple[ResponsibleBody, date, str | None, str | None]:
    """The body, date, meeting and document symbol of a submission or an approval."""
    given = given or {}
    body = _body_by_code(given.get("body") or DECIDING_BODY, "body")
    return body, given.get("date") or _now().date(), given.get("meeting"), given.get("symbol")


def submit_work_plan(plan: WorkPlan, decision: dict | None = None) -> WorkPlan:
    """Draft -> submitted to the Committee, only when every recommendation is accounted for."""
    uncovered = [e.recommendation.reference for e in coverage_for(plan).entries if e.uncovered]
    if uncovered:
        raise RuleError(
            _(
                "Every recommendation must be covered by an activity or excluded with a reason "
                "before the plan is submitted; uncovered: %(references)s.",
                references=", ".join(uncovered),
            ),
            code="conflict",
        )
    body, on, meeting, symbol = _decision(decision)
    return _transition(
        plan,
        WorkPlanStatus.DRAFT,
        WorkPlanStatus.SUBMITTED,
        submitted_to=body,
        submitted_on=on,
        submission_meeting=meeting,
        submission_symbol=symbol,
    )


def reopen_work_plan(plan: WorkPlan) -> WorkPlan:
    return _transition(plan, WorkPlanStatus.SUBMITTED, WorkPlanStatus.DRAFT)


def approve_work_plan(plan: WorkPlan, decision: dict | None = None) -> WorkPlan:
    """Submitted -> approved; the earlier approved versions of the plan become superseded."""
    body, on, meeting, symbol = _decision(decision)
    if plan.submitted_on and on < plan.submitted_on:
        raise InputError("The plan cannot be approved before it was submitted.", "date")
    _transition(
        plan,
        WorkPlanStatus.SUBMITTED,
        WorkPlanStatus.APPROVED,
        approved_by=body,
        approved_on=on,
        approval_meeting=meeting,
        approval_symbol=symbol,
    )
    earlier = db.session.execute(
        sa.select(WorkPlan).where(
            WorkPlan.code == plan.code,
            WorkPlan.plan_version < plan.plan_version,
            WorkPlan.status == WorkPlanStatus.APPROVED,
        )
    ).scalars()
    for old in earlier:
        _transition(old, WorkPlanStatus.APPROVED, WorkPlanStatus.SUPERSEDED, superseded_by=plan)
    return plan


# -- activities -----------------------------------------------------------------------------


def activity_record(activity: Activity) -> dict:
    """What the audit log keeps of an activity: its columns and its links, by reference/code."""
    return {
        **snapshot(activity),
        "recommendations": sorted(
            link.recommendation.reference for link in activity.recommendation_links
        ),
        "bodies": sorted([link.body.code, link.role.value] for link in activity.body_links),
        "other_efforts": [[e.organization, e.title, e.url, e.note] for e in activity.other_efforts],
        "body_bases": sorted(
            [link.body.code, link.basis.value, link.basis_quote, link.basis_note]
            for link in activity.body_links
        ),
        "translations": translations_of(activity),
    }


def translations_of(activity: Activity) -> dict[str, dict[str, str | None]]:
    """The activity's translations by language: {"es": {"title": ..., ...}}."""
    return {
        t.language: {name: getattr(t, name) for name in TRANSLATED_FIELDS}
        for t in sorted(activity.translations, key=lambda t: t.language)
    }


def work_plan_for_activity(work_plan_id: int) -> WorkPlan:
    plan = db.session.get(WorkPlan, work_plan_id)
    if plan is None:
        raise RuleError(
            _("No work plan with id %(work_plan_id)s.", work_plan_id=work_plan_id),
            field="work_plan",
            code="unknown",
        )
    return plan


def create_activity(data: dict) -> Activity:
    data = dict(data)
    plan = work_plan_for_activity(data.pop("work_plan"))
    ensure_content_editable(plan)
    activity = Activity()
    _set_activity_fields(activity, data)  # looks up links: attach to the plan only afterwards
    _ensure_code_free(plan, activity.code)
    activity.work_plan = plan
    db.session.add(activity)
    db.session.flush()
    record(AuditAction.CREATE, activity, None, activity_record(activity))
    return activity


def update_activity(activity: Activity, data: dict) -> Activity:
    """Changes an activity; on an approved plan only its status (progress) may change."""
    if activity.is_archived:
        raise RuleError(_("Activity %(code)s is archived.", code=activity.code), code="archived")
    if set(data) <= {"status", "translations"}:
        # Neither changes the plan's content of record (English is the source): an approved
        # plan still takes its progress and the translations of its activities.
        ensure_progress_recordable(activity.work_plan)
    else:
        ensure_content_editable(activity.work_plan)
    if "code" in data and data["code"] != activity.code:
        _ensure_code_free(activity.work_plan, data["code"])
    before = activity_record(activity)
    _set_activity_fields(activity, dict(data))
    touch(activity)
    db.session.flush()
    after = activity_record(activity)
    record(AuditAction.UPDATE, activity, before, after)
    return activity


def archive_activity(activity: Activity) -> Activity:
    ensure_content_editable(activity.work_plan)
    if activity.is_archived:
        raise RuleError(
            _("Activity %(code)s is already archived.", code=activity.code), code="archived"
        )
    before = activity_record(activity)
    activity.archived_at = _now()
    db.session.flush()
    record(AuditAction.ARCHIVE, activity, before, activity_record(activity))
    return activity


def restore_activity(activity: Activity) -> Activity:
    if not activity.is_archived:
        raise ConflictError(f"Activity {activity.code} is not archived.")
    ensure_content_editable(activity.work_plan)
    before = activity_record(activity)
    activity.archived_at = None
    touch(activity)
    db.session.flush()
    record(AuditAction.RESTORE, activity, before, activity_record(activity))
    return activity


def set_activity_translations(activity: Activity, translations: dict) -> Activity:
    """Replaces the activity's translations ({"es": {"title": ..., "description": ...,
    "expected_result": ...}}; a language left out is removed), with its audit entry."""
    return update_activity(activity, {"translations": translations})


def _set_translations(activity: Activity, translations: dict) -> None:
    have = {t.language: t for t in activity.translations}
    kept = []
    for language, texts in sorted(translations.items()):
        field = f"translations.{language}"
        if language not in TRANSLATION_LANGUAGES:
            raise InputError(
                _(
                    "Translations are in Spanish (es), French (fr) or Portuguese (pt); English "
                    "is the activity's own text."
                ),
                field,
            )
        values = {
            name: ((texts or {}).get(name) or "").strip() or None for name in TRANSLATED_FIELDS
        }
        if not any(values.values()):
            raise InputError(
                _("Give the translated title, description or expected result, or remove it."),
                field,
            )
        translation = have.get(language) or ActivityTranslation(language=language)
        for name, value in values.items():
            setattr(translation, name, value)
        kept.append(translation)
    activity.translations = kept


def add_progress_note(activity: Activity, data: dict) -> ProgressNote:
    if activity.is_archived:
        raise RuleError(_("Activity %(code)s is archived.", code=activity.code), code="archived")
    plan = activity.work_plan
    ensure_progress_recordable(plan)
    noted_on = data["noted_on"]
    if (plan.period_start and noted_on < plan.period_start) or (
        plan.period_end and noted_on > plan.period_end
    ):
        raise InputError(
            f"The date is outside the plan's period ({plan.period_start} to {plan.period_end}).",
            "noted_on",
        )
    if data.get("amount_spent") is not None and not activity.currency:
        raise InputError(
            "Record the activity's estimated cost and currency before amounts spent.",
            "amount_spent",
        )
    note = ProgressNote(activity=activity, author=current_actor().label, **data)
    db.session.add(note)
    touch(activity)  # the activity shows its notes: its ETag must change
    db.session.flush()
    record(AuditAction.CREATE, note, None, snapshot(note))
    return note


def _ensure_code_free(plan: WorkPlan, code: str) -> None:
    taken = db.session.execute(
        sa.select(Activity.id).where(Activity.work_plan_id == plan.id, Activity.code == code)
    ).first()
    if taken is not None:
        raise RuleError(
            _("This work plan already has an activity %(code)s (perhaps archived).", code=code),
            field="code",
            code="duplicate",
        )


def _set_activity_fields(activity: Activity, data: dict) -> None:
    references = data.pop("recommendations", None)
    bodies = data.pop("bodies", None)
    efforts = data.pop("other_efforts", None)
    translations = data.pop("translations", None)
    for name, value in data.items():
        setattr(activity, name, value)
    if activity.estimated_cost is not None and not activity.currency:
        raise InputError("Give the currency (ISO 4217) of the estimated cost.", "currency")
    if efforts is not None:
        activity.other_efforts = [OtherEffort(**row) for row in efforts]
    if translations is not None:
        _set_translations(activity, translations)
    if references is not None:
        found = _recommendations_by_reference(references, "recommendations")
        have = {link.recommendation_id: link for link in activity.recommendation_links}
        activity.recommendation_links = [
            have.get(found[ref].id) or ActivityRecommendation(recommendation=found[ref])
            for ref in dict.fromkeys(references)
        ]
    if bodies is not None:
        have = {link.body_id: link for link in activity.body_links}
        links = []
        for i, row in enumerate(bodies):
            body = _body_by_code(row["body"], f"bodies.{i}.body")
            link = have.get(body.id) or ActivityBody(body=body)
            link.role = row["role"]
            link.basis = row.get("basis", BodyBasis.PROPOSED)
            link.basis_quote = row.get("basis_quote")
            link.basis_note = row.get("basis_note")
            links.append(link)
        activity.body_links = links
    if references is not None or bodies is not None:
        _check_named_bases(activity)


def _check_named_bases(activity: Activity) -> None:
    """A `named` body must be named, in the quoted words, by a recommendation the activity cites."""
    cited = [link.recommendation for link in activity.recommendation_links]
    for i, link in enumerate(activity.body_links):
        if link.basis != BodyBasis.NAMED:
            continue
        problem = quote_problem(link.basis_quote, link.body, cited)
        if problem:
            raise InputError(
                f"{link.body.code}: {problem} Quote them, or mark the link as proposed.",
                f"bodies.{i}.basis_quote",
            )


def _recommendations_by_reference(references: list[str], field: str) -> dict:
    found = {
        r.reference: r
        for r in db.session.execute(
            sa.select(Recommendation).where(Recommendation.reference.in_(set(references)))
        ).scalars()
    }
    for i, reference in enumerate(references):
        if reference not in found:
            where = f"{field}.{i}.recommendation" if field == "exclusions" else f"{field}.{i}"
            raise RuleError(
                _("No recommendation with reference %(reference)r.", reference=reference),
                field=where,
                code="unknown",
            )
    return found


def lead_bodies(activity: Activity) -> list[ResponsibleBody]:
    return sorted(
        (link.body for link in activity.body_links if link.role == BodyRole.LEAD),
        key=lambda b: b.code,
    )


def supporting_bodies(activity: Activity) -> list[ResponsibleBody]:
    return sorted(
        (link.body for link in activity.body_links if link.role == BodyRole.SUPPORT),
        key=lambda b: b.code,
    )


def cited_recommendations(activity: Activity) -> list[Recommendation]:
    return sorted(
        (link.recommendation for link in activity.recommendation_links),
        key=lambda r: (r.document_id, r.number),
    )
