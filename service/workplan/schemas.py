"""Work-plan schemas: what the API shows and accepts for documents, plans and activities."""

from datetime import UTC, datetime, timedelta

import marshmallow as ma

from service.core.api import TextSearchArgs
from service.core.fields import BoundedList, CleanString
from service.workplan.models import (
    ActivityStatus,
    BodyKind,
    BodyRole,
    DocumentKind,
    Pillar,
    RecommendationSection,
    WorkPlanStatus,
)


class DocumentSchema(ma.Schema):
    id = ma.fields.Integer()
    code = ma.fields.String(metadata={"description": "Short, stable, URL-safe code"})
    symbol = ma.fields.String(metadata={"description": "Symbol as printed on the document"})
    title = ma.fields.String()
    date = ma.fields.Date(allow_none=True)
    kind = ma.fields.Enum(DocumentKind, by_value=True)


class DocumentQueryArgs(ma.Schema):
    kind = ma.fields.Enum(DocumentKind, by_value=True)


class RecommendationSchema(ma.Schema):
    id = ma.fields.Integer()
    reference = ma.fields.String(metadata={"description": "Stable citable reference"})
    document = ma.fields.String(
        attribute="document.code", metadata={"description": "Document code"}
    )
    document_symbol = ma.fields.String(attribute="document.symbol")
    number = ma.fields.Integer()
    section = ma.fields.Enum(RecommendationSection, by_value=True)
    text = ma.fields.String(metadata={"description": "Full text exactly as adopted"})


class RecommendationQueryArgs(TextSearchArgs):
    document = CleanString(
        validate=ma.validate.Length(max=40), metadata={"description": "Document code, e.g. RTP-II"}
    )
    section = ma.fields.Enum(RecommendationSection, by_value=True)
    reference = CleanString(validate=ma.validate.Length(max=60))


class BodySchema(ma.Schema):
    id = ma.fields.Integer()
    code = ma.fields.String()
    name = ma.fields.String()
    kind = ma.fields.Enum(BodyKind, by_value=True)
    parent = ma.fields.String(attribute="parent.code", allow_none=True, dump_default=None)


class BodyQueryArgs(ma.Schema):
    kind = ma.fields.Enum(BodyKind, by_value=True)
    parent = CleanString(
        validate=ma.validate.Length(max=40), metadata={"description": "Code of the parent body"}
    )


# -- writing reference data (the secretariat) -----------------------------------------------

CODE = ma.validate.Regexp(
    r"^[A-Z0-9][A-Z0-9._-]*$", error="Use capital letters, digits, '.', '-' or '_'."
)
REFERENCE = ma.validate.Regexp(
    r"^[A-Z0-9][A-Z0-9._/-]*$", error="Use capital letters, digits, '.', '-', '_' or '/'."
)


def code_field(max_length: int = 40, **kwargs) -> CleanString:
    return CleanString(validate=[ma.validate.Length(min=1, max=max_length), CODE], **kwargs)


def text_field(max_length: int, **kwargs) -> CleanString:
    return CleanString(validate=ma.validate.Length(min=1, max=max_length), **kwargs)


class DocumentUpdateSchema(ma.Schema):
    symbol = text_field(200, required=True)
    title = text_field(2000, required=True)
    date = ma.fields.Date(allow_none=True)
    kind = ma.fields.Enum(DocumentKind, by_value=True, required=True)


class DocumentCreateSchema(DocumentUpdateSchema):
    code = code_field(required=True, metadata={"description": "Short, stable, URL-safe code"})


class DocumentPatchSchema(DocumentUpdateSchema):
    """Only the fields sent change (the code is permanent: references are built on it)."""


class RecommendationUpdateSchema(ma.Schema):
    section = ma.fields.Enum(RecommendationSection, by_value=True, required=True)
    text = text_field(20000, required=True, metadata={"description": "Exactly as adopted"})


class RecommendationCreateSchema(RecommendationUpdateSchema):
    document = code_field(required=True, metadata={"description": "Document code"})
    number = ma.fields.Integer(required=True, validate=ma.validate.Range(min=1, max=10000))
    reference = CleanString(
        validate=[ma.validate.Length(min=1, max=60), REFERENCE],
        metadata={"description": "Stable citable reference; default DOCUMENT/R<n> or /OP<n>"},
    )


class RecommendationPatchSchema(RecommendationUpdateSchema):
    """Only the fields sent change (document, number and reference are permanent)."""


class BodyUpdateSchema(ma.Schema):
    name = text_field(300, required=True)
    kind = ma.fields.Enum(BodyKind, by_value=True, required=True)
    parent = code_field(allow_none=True, metadata={"description": "Code of the parent body"})


class BodyCreateSchema(BodyUpdateSchema):
    code = code_field(required=True)


class BodyPatchSchema(BodyUpdateSchema):
    """Only the fields sent change (the code is permanent: activities cite bodies by it)."""


# -- work plans -----------------------------------------------------------------------------


class ExclusionSchema(ma.Schema):
    recommendation = CleanString(
        required=True,
        validate=ma.validate.Length(min=1, max=60),
        metadata={"description": "Reference, e.g. RTP-II/R51"},
    )
    reason = text_field(4000, required=True, metadata={"description": "Why it is out of scope"})


class ExcludedRecommendationSchema(ma.Schema):
    recommendation = ma.fields.String(attribute="recommendation.reference")
    reason = ma.fields.String()


def _no_duplicates(key):
    def validate(items: list) -> None:
        seen = [key(item) for item in items]
        duplicates = sorted({value for value in seen if seen.count(value) > 1})
        if duplicates:
            raise ma.ValidationError(f"Listed more than once: {', '.join(duplicates)}.")

    return validate


class WorkPlanSchema(ma.Schema):
    id = ma.fields.Integer()
    code = ma.fields.String(metadata={"description": "Stable code shared by every version"})
    plan_version = ma.fields.Integer()
    title = ma.fields.String()
    period_start = ma.fields.Date(allow_none=True)
    period_end = ma.fields.Date(allow_none=True)
    status = ma.fields.Enum(WorkPlanStatus, by_value=True)
    notes = ma.fields.String(allow_none=True)
    predecessor_id = ma.fields.Integer(allow_none=True)
    mandates = ma.fields.Pluck(DocumentSchema, "code", many=True)
    exclusions = ma.fields.List(ma.fields.Nested(ExcludedRecommendationSchema))
    created_at = ma.fields.AwareDateTime()
    updated_at = ma.fields.AwareDateTime()
    archived_at = ma.fields.AwareDateTime(allow_none=True)


class WorkPlanUpdateSchema(ma.Schema):
    title = text_field(500, required=True)
    period_start = ma.fields.Date(allow_none=True)
    period_end = ma.fields.Date(allow_none=True)
    notes = CleanString(allow_none=True, validate=ma.validate.Length(max=20000))
    mandates = BoundedList(
        code_field(),
        max_items=50,
        noun="mandates",
        validate=_no_duplicates(str),
        metadata={"description": "Codes of the documents whose recommendations the plan answers"},
    )
    exclusions = BoundedList(
        ma.fields.Nested(ExclusionSchema),
        max_items=1000,
        noun="exclusions",
        validate=_no_duplicates(lambda e: e["recommendation"]),
        metadata={"description": "Recommendations of the mandates left out, with the reason"},
    )


class WorkPlanCreateSchema(WorkPlanUpdateSchema):
    code = code_field(required=True)


class WorkPlanPatchSchema(WorkPlanUpdateSchema):
    """Only the fields sent change; lists given replace the whole list (each item whole)."""


class WorkPlanQueryArgs(ma.Schema):
    code = CleanString(validate=ma.validate.Length(min=1, max=40))
    status = ma.fields.Enum(WorkPlanStatus, by_value=True)
    include_archived = ma.fields.Boolean(load_default=False)


# -- activities -----------------------------------------------------------------------------


class CitedRecommendationSchema(ma.Schema):
    id = ma.fields.Integer(attribute="recommendation.id")
    reference = ma.fields.String(attribute="recommendation.reference")


class ActivityBodySchema(ma.Schema):
    body = ma.fields.String(attribute="body.code", metadata={"description": "Body code"})
    name = ma.fields.String(attribute="body.name")
    role = ma.fields.Enum(BodyRole, by_value=True)


class ProgressNoteSchema(ma.Schema):
    id = ma.fields.Integer()
    noted_on = ma.fields.Date()
    text = ma.fields.String()
    author = ma.fields.String(allow_none=True)
    created_at = ma.fields.AwareDateTime()


class ActivitySchema(ma.Schema):
    id = ma.fields.Integer()
    work_plan = ma.fields.Integer(attribute="work_plan_id")
    code = ma.fields.String()
    pillar = ma.fields.Enum(Pillar, by_value=True)
    title = ma.fields.String()
    description = ma.fields.String()
    expected_result = ma.fields.String(allow_none=True)
    indicators = ma.fields.List(ma.fields.String())
    timeline = ma.fields.String(allow_none=True)
    status = ma.fields.Enum(ActivityStatus, by_value=True)
    recommendations = ma.fields.List(
        ma.fields.Nested(CitedRecommendationSchema), attribute="recommendation_links"
    )
    bodies = ma.fields.List(ma.fields.Nested(ActivityBodySchema), attribute="body_links")
    progress_notes = ma.fields.List(ma.fields.Nested(ProgressNoteSchema))
    predecessor_id = ma.fields.Integer(allow_none=True)
    created_at = ma.fields.AwareDateTime()
    updated_at = ma.fields.AwareDateTime()
    archived_at = ma.fields.AwareDateTime(allow_none=True)


class BodyLinkInputSchema(ma.Schema):
    body = code_field(required=True, metadata={"description": "Body code, e.g. DPS"})
    role = ma.fields.Enum(BodyRole, by_value=True, required=True)


def _has_lead(links: list[dict]) -> None:
    if not any(link["role"] == BodyRole.LEAD for link in links):
        raise ma.ValidationError("An activity needs at least one body in the lead role.")


class ActivityUpdateSchema(ma.Schema):
    code = code_field(required=True, metadata={"description": "Unique within the plan"})
    pillar = ma.fields.Enum(Pillar, by_value=True, required=True)
    title = text_field(500, required=True)
    description = text_field(20000, required=True)
    expected_result = CleanString(allow_none=True, validate=ma.validate.Length(max=20000))
    indicators = BoundedList(text_field(1000), max_items=50, noun="indicators")
    timeline = CleanString(allow_none=True, validate=ma.validate.Length(max=200))
    status = ma.fields.Enum(ActivityStatus, by_value=True)
    recommendations = BoundedList(
        CleanString(validate=ma.validate.Length(min=1, max=60)),
        required=True,
        max_items=100,
        noun="recommendations",
        validate=[
            ma.validate.Length(
                min=1, error="An activity needs at least one source recommendation."
            ),
            _no_duplicates(str),
        ],
        metadata={"description": "References of the source recommendations, e.g. RTP-II/R47"},
    )
    bodies = BoundedList(
        ma.fields.Nested(BodyLinkInputSchema),
        required=True,
        max_items=20,
        noun="bodies",
        validate=[_has_lead, _no_duplicates(lambda link: link["body"])],
        metadata={"description": "Responsible bodies by code, each lead or support"},
    )


class ActivityCreateSchema(ActivityUpdateSchema):
    work_plan = ma.fields.Integer(
        required=True,
        validate=ma.validate.Range(min=1, max=2147483647),
        metadata={"description": "Work plan id"},
    )


class ActivityPatchSchema(ActivityUpdateSchema):
    """Only the fields sent change; lists given replace the whole list (each item whole)."""


class ActivityQueryArgs(TextSearchArgs):
    work_plan = ma.fields.Integer(validate=ma.validate.Range(min=1, max=2147483647))
    pillar = ma.fields.Enum(Pillar, by_value=True)
    status = ma.fields.Enum(ActivityStatus, by_value=True)
    recommendation = CleanString(
        validate=ma.validate.Length(max=60),
        metadata={"description": "Cites this recommendation reference"},
    )
    body = CleanString(
        validate=ma.validate.Length(max=40),
        metadata={"description": "This body (code) leads or supports it"},
    )
    role = ma.fields.Enum(BodyRole, by_value=True, metadata={"description": "With body: its role"})
    updated_since = ma.fields.AwareDateTime(
        metadata={"description": "Changed since (archived ones included, to sync removals)"}
    )
    include_archived = ma.fields.Boolean(load_default=False)


class ProgressNoteInputSchema(ma.Schema):
    noted_on = ma.fields.Date(required=True)
    text = text_field(20000, required=True)

    @ma.validates("noted_on")
    def not_in_future(self, value, **kwargs) -> None:
        if value > datetime.now(UTC).date() + timedelta(days=1):  # a day of time-zone slack
            raise ma.ValidationError("A progress note cannot be dated in the future.")


# -- views computed from a plan -------------------------------------------------------------


class ActivityBriefSchema(ma.Schema):
    id = ma.fields.Integer()
    code = ma.fields.String()
    title = ma.fields.String()


class PlanBriefSchema(ma.Schema):
    id = ma.fields.Integer()
    code = ma.fields.String()
    plan_version = ma.fields.Integer()
    status = ma.fields.Enum(WorkPlanStatus, by_value=True)


class CoverageTotalsSchema(ma.Schema):
    recommendations = ma.fields.Integer()
    covered = ma.fields.Integer()
    excluded = ma.fields.Integer()
    uncovered = ma.fields.Integer()
    accounted_for = ma.fields.Integer(metadata={"description": "Covered plus excluded"})


class DocumentCoverageSchema(ma.Schema):
    document = ma.fields.String(attribute="document.code")
    symbol = ma.fields.String(attribute="document.symbol")
    totals = ma.fields.Nested(CoverageTotalsSchema)


class RecommendationBriefSchema(ma.Schema):
    id = ma.fields.Integer()
    reference = ma.fields.String()
    document = ma.fields.String(attribute="document.code")
    number = ma.fields.Integer()
    section = ma.fields.Enum(RecommendationSection, by_value=True)


class CoverageEntrySchema(ma.Schema):
    recommendation = ma.fields.Nested(RecommendationBriefSchema)
    status = ma.fields.String(
        validate=ma.validate.OneOf(["covered", "excluded", "uncovered"]),
        metadata={"enum": ["covered", "excluded", "uncovered"]},
    )
    activities = ma.fields.List(ma.fields.Nested(ActivityBriefSchema))
    exclusion_reason = ma.fields.String(allow_none=True)


class CoverageSchema(ma.Schema):
    work_plan = ma.fields.Nested(PlanBriefSchema)
    totals = ma.fields.Nested(CoverageTotalsSchema)
    documents = ma.fields.List(ma.fields.Nested(DocumentCoverageSchema))
    recommendations = ma.fields.List(ma.fields.Nested(CoverageEntrySchema), attribute="entries")


class CoverageQueryArgs(ma.Schema):
    uncovered_only = ma.fields.Boolean(load_default=False)
    document = CleanString(
        validate=ma.validate.Length(max=40),
        metadata={"description": "Only this mandate document (code)"},
    )


class OverlapSchema(ma.Schema):
    first = ma.fields.Nested(ActivityBriefSchema)
    second = ma.fields.Nested(ActivityBriefSchema)
    reasons = ma.fields.List(
        ma.fields.String(
            validate=ma.validate.OneOf(["same_recommendation_and_lead", "similar_text"])
        )
    )
    similarity = ma.fields.Float(metadata={"description": "rapidfuzz token_set_ratio, 0-100"})
    shared_recommendations = ma.fields.Pluck(RecommendationSchema, "reference", many=True)
    shared_lead_bodies = ma.fields.Pluck(BodySchema, "code", many=True)


class OverlapsSchema(ma.Schema):
    work_plan = ma.fields.Nested(PlanBriefSchema)
    similarity_threshold = ma.fields.Float()
    overlaps = ma.fields.List(ma.fields.Nested(OverlapSchema))
    complete = ma.fields.Boolean(
        metadata={"description": "Every pair compared; false: ask again for the rest"}
    )
    compared_pairs = ma.fields.Integer()
    total_pairs = ma.fields.Integer()


class FieldChangeSchema(ma.Schema):
    field = ma.fields.String()
    before = ma.fields.Raw(allow_none=True)
    after = ma.fields.Raw(allow_none=True)


class ActivityChangeSchema(ma.Schema):
    code = ma.fields.String(attribute="after.code")
    before = ma.fields.Nested(ActivityBriefSchema)
    after = ma.fields.Nested(ActivityBriefSchema)
    changes = ma.fields.List(ma.fields.Nested(FieldChangeSchema))


class DiffSchema(ma.Schema):
    work_plan = ma.fields.Nested(PlanBriefSchema)
    against = ma.fields.Nested(PlanBriefSchema)
    plan_changes = ma.fields.List(ma.fields.Nested(FieldChangeSchema))
    added = ma.fields.List(ma.fields.Nested(ActivityBriefSchema))
    removed = ma.fields.List(ma.fields.Nested(ActivityBriefSchema))
    changed = ma.fields.List(ma.fields.Nested(ActivityChangeSchema))
    unchanged = ma.fields.Integer()


class DiffQueryArgs(ma.Schema):
    against = ma.fields.Integer(
        required=True,
        validate=ma.validate.Range(min=1, max=2147483647),
        metadata={"description": "Id of the earlier (or any other) version to compare with"},
    )


class StatusCountsSchema(ma.Schema):
    total = ma.fields.Integer()
    planned = ma.fields.Integer()
    in_progress = ma.fields.Integer()
    completed = ma.fields.Integer()
    deferred = ma.fields.Integer()
    cancelled = ma.fields.Integer()


class PillarProgressSchema(ma.Schema):
    pillar = ma.fields.Enum(Pillar, by_value=True)
    statuses = ma.fields.Nested(StatusCountsSchema)


class BodyProgressSchema(ma.Schema):
    body = ma.fields.String()
    name = ma.fields.String()
    leading = ma.fields.Nested(StatusCountsSchema)
    supporting = ma.fields.Nested(StatusCountsSchema)


class SummarySchema(ma.Schema):
    work_plan = ma.fields.Nested(PlanBriefSchema)
    overall = ma.fields.Nested(StatusCountsSchema)
    pillars = ma.fields.List(ma.fields.Nested(PillarProgressSchema))
    bodies = ma.fields.List(ma.fields.Nested(BodyProgressSchema))


class DocumentFormatArgs(ma.Schema):
    format = ma.fields.String(
        load_default="docx",
        validate=ma.validate.OneOf(["docx", "html", "csv"]),
        metadata={"description": "docx (default), html or csv"},
    )
