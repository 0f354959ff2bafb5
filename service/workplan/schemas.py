"""Work-plan schemas: what the API shows and accepts for documents, plans and activities."""

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import marshmallow as ma
from flask_babel import gettext as _

from service.core.api import TextSearchArgs
from service.core.fields import BoundedList, CleanString
from service.core.i18n import TranslatedMessage
from service.workplan.models import (
    TRANSLATION_LANGUAGES,
    ActivityStatus,
    BodyBasis,
    BodyKind,
    BodyRole,
    DocumentKind,
    FundingSource,
    Pillar,
    RecommendationSection,
    WorkPlan,
    WorkPlanStatus,
)
from service.workplan.resources import is_currency


class DocumentSchema(ma.Schema):
    """A source document: a resolution or meeting conclusions holding recommendations"""

    class Meta:
        example = {
            "id": 1,
            "code": "AG-RES-2456",
            "symbol": "AG/RES. 2456 (XXXIX-O/09)",
            "title": "Hemispheric efforts to combat trafficking in persons",
            "date": "2009-06-04",
            "kind": "resolution",
        }

    id = ma.fields.Integer()
    code = ma.fields.String(metadata={"description": "Short, stable, URL-safe code"})
    symbol = ma.fields.String(metadata={"description": "Symbol as printed on the document"})
    title = ma.fields.String()
    date = ma.fields.Date(allow_none=True)
    date_inferred = ma.fields.Boolean(
        metadata={"description": "The date is not printed on the document but inferred"}
    )
    date_note = ma.fields.String(allow_none=True, metadata={"description": "How it was inferred"})
    kind = ma.fields.Enum(DocumentKind, by_value=True)
    texts_loaded = ma.fields.Boolean(
        metadata={"description": "Whether its recommendations are in the database"}
    )


class DocumentQueryArgs(ma.Schema):
    kind = ma.fields.Enum(DocumentKind, by_value=True)


class RecommendationSchema(ma.Schema):
    """A mandate: a recommendation or operative paragraph, its text exactly as adopted"""

    class Meta:
        example = {
            "id": 56,
            "reference": "RTP-II/R47",
            "document": "RTP-II",
            "document_symbol": "RTP-II/doc.5/09 rev. 10",
            "number": 47,
            "section": "technical_working_group_ii",
            "text": "To complete, disseminate, and regularly update the Directory of National "
            "Authorities...",
        }

    id = ma.fields.Integer()
    reference = ma.fields.String(metadata={"description": "Stable citable reference"})
    document = ma.fields.String(
        attribute="document.code", metadata={"description": "Document code"}
    )
    document_symbol = ma.fields.String(attribute="document.symbol")
    number = ma.fields.Integer()
    item = ma.fields.String(metadata={"description": "Lettered item of the paragraph, or empty"})
    section = ma.fields.Enum(RecommendationSection, by_value=True)
    text = ma.fields.String(metadata={"description": "Full text exactly as adopted"})
    text_language = ma.fields.Constant(
        "en",
        metadata={
            "description": "The language of `text`: adopted texts are English only and never "
            "translated, whatever Accept-Language asks",
            "type": "string",
            "enum": ["en"],
        },
    )
    citation = ma.fields.String(metadata={"description": "How a document cites it"})


class RecommendationQueryArgs(TextSearchArgs):
    document = CleanString(
        validate=ma.validate.Length(max=40), metadata={"description": "Document code, e.g. RTP-II"}
    )
    section = ma.fields.Enum(RecommendationSection, by_value=True)
    reference = CleanString(validate=ma.validate.Length(max=60))


class BodySchema(ma.Schema):
    """A body that leads or supports activities (an OAS organ, a partner, the member states)"""

    class Meta:
        example = {
            "id": 3,
            "code": "DPS",
            "name": "Department of Public Security",
            "kind": "secretariat",
            "parent": "SMS",
        }

    id = ma.fields.Integer()
    code = ma.fields.String()
    name = ma.fields.String()
    kind = ma.fields.Enum(BodyKind, by_value=True)
    parent = ma.fields.String(attribute="parent.code", allow_none=True, dump_default=None)
    aliases = ma.fields.List(
        ma.fields.String(), metadata={"description": "Other names the source texts use"}
    )


class BodyQueryArgs(ma.Schema):
    kind = ma.fields.Enum(BodyKind, by_value=True)
    parent = CleanString(
        validate=ma.validate.Length(max=40), metadata={"description": "Code of the parent body"}
    )


# -- writing reference data (the secretariat) -----------------------------------------------

CODE = ma.validate.Regexp(
    r"^[A-Z0-9][A-Z0-9._-]*$",
    error=TranslatedMessage("Use capital letters, digits, '.', '-' or '_'."),
)
REFERENCE = ma.validate.Regexp(
    r"^[A-Z0-9][A-Z0-9._/-]*$",
    error=TranslatedMessage("Use capital letters, digits, '.', '-', '_' or '/'."),
)


def code_field(max_length: int = 40, **kwargs: Any) -> CleanString:
    return CleanString(validate=[ma.validate.Length(min=1, max=max_length), CODE], **kwargs)


def _no_duplicates(key: Any) -> Any:
    def validate(items: list) -> None:
        seen = [key(item) for item in items]
        duplicates = sorted({value for value in seen if seen.count(value) > 1})
        if duplicates:
            raise ma.ValidationError(
                _("Listed more than once: %(items)s.", items=", ".join(duplicates))
            )

    return validate


def text_field(max_length: int, **kwargs: Any) -> CleanString:
    return CleanString(validate=ma.validate.Length(min=1, max=max_length), **kwargs)


class DocumentUpdateSchema(ma.Schema):
    symbol = text_field(200, required=True)
    title = text_field(2000, required=True)
    date = ma.fields.Date(allow_none=True)
    date_inferred = ma.fields.Boolean(load_default=False)
    date_note = CleanString(allow_none=True, validate=ma.validate.Length(max=2000))
    kind = ma.fields.Enum(DocumentKind, by_value=True, required=True)
    texts_loaded = ma.fields.Boolean(load_default=True)


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
    item = CleanString(
        validate=[
            ma.validate.Length(max=3),
            ma.validate.Regexp(
                r"^[a-z]{1,3}$", error=TranslatedMessage("One to three lower-case letters.")
            ),
        ],
        metadata={"description": "Lettered item of the paragraph (a, b, ...), if it is one"},
    )
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
    aliases = ma.fields.List(
        text_field(300),
        validate=[ma.validate.Length(max=20), _no_duplicates(str)],
        metadata={"description": "Other names the source texts use (acronyms...)"},
    )


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


class DecisionSchema(ma.Schema):
    body = ma.fields.String(allow_none=True, metadata={"description": "Body code, e.g. CSH"})
    body_name = ma.fields.String(allow_none=True)
    date = ma.fields.Date(allow_none=True)
    meeting = ma.fields.String(allow_none=True)
    symbol = ma.fields.String(allow_none=True, metadata={"description": "Document symbol"})


def _decision(
    prefix_body: str, on: str, meeting: str, symbol: str
) -> Callable[[WorkPlan], dict | None]:
    def dump(plan: WorkPlan) -> dict | None:
        body = getattr(plan, prefix_body)
        if body is None and getattr(plan, on) is None:
            return None
        return {
            "body": body.code if body else None,
            "body_name": body.name if body else None,
            "date": getattr(plan, on),
            "meeting": getattr(plan, meeting),
            "symbol": getattr(plan, symbol),
        }

    return dump


class WorkPlanSchema(ma.Schema):
    """One version of a work plan: its period, status, mandates and coverage exclusions"""

    class Meta:
        example = {
            "id": 1,
            "code": "WP-TIP",
            "plan_version": 1,
            "title": "Draft Work Plan to Combat Trafficking in Persons in the Western Hemisphere",
            "period_start": "2010-01-01",
            "period_end": "2011-12-31",
            "status": "draft",
            "notes": "Draft work plan prepared by the General Secretariat...",
            "predecessor_id": None,
            "mandates": ["AG-RES-2456", "RTP-II", "RTP-I"],
            "exclusions": [
                {
                    "recommendation": "AG-RES-2456/OP2",
                    "reason": "Declaratory: welcomes the conclusions of the Second Meeting.",
                }
            ],
            "created_at": "2026-11-30T03:47:51.271000+00:00",
            "updated_at": "2026-11-30T03:47:51.271000+00:00",
            "archived_at": None,
        }

    id = ma.fields.Integer()
    code = ma.fields.String(metadata={"description": "Stable code shared by every version"})
    plan_version = ma.fields.Integer()
    title = ma.fields.String()
    period_start = ma.fields.Date(allow_none=True)
    period_end = ma.fields.Date(allow_none=True)
    status = ma.fields.Enum(WorkPlanStatus, by_value=True)
    notes = ma.fields.String(allow_none=True)
    predecessor_id = ma.fields.Integer(allow_none=True)
    superseded_by_id = ma.fields.Integer(
        allow_none=True, metadata={"description": "The version that superseded this one"}
    )
    submission = ma.fields.Method(
        "dump_submission",
        allow_none=True,
        metadata={
            "type": "object",
            "description": "To whom, when, at which meeting, under which symbol",
        },
    )
    approval = ma.fields.Method(
        "dump_approval",
        allow_none=True,
        metadata={
            "type": "object",
            "description": "Who approved it, when, at which meeting, under which symbol",
        },
    )
    mandates = ma.fields.Pluck(DocumentSchema, "code", many=True)
    exclusions = ma.fields.List(ma.fields.Nested(ExcludedRecommendationSchema))
    created_at = ma.fields.AwareDateTime()
    updated_at = ma.fields.AwareDateTime()
    archived_at = ma.fields.AwareDateTime(allow_none=True)

    def dump_submission(self, plan: WorkPlan) -> dict | None:
        dump = _decision("submitted_to", "submitted_on", "submission_meeting", "submission_symbol")
        return DecisionSchema().dump(dump(plan)) if dump(plan) else None

    def dump_approval(self, plan: WorkPlan) -> dict | None:
        dump = _decision("approved_by", "approved_on", "approval_meeting", "approval_symbol")
        return DecisionSchema().dump(dump(plan)) if dump(plan) else None


class DecisionInputSchema(ma.Schema):
    body = code_field(metadata={"description": "Deciding body (code); default CSH"})
    date = ma.fields.Date(metadata={"description": "Date of the decision; default today"})
    meeting = CleanString(
        allow_none=True,
        validate=ma.validate.Length(min=1, max=300),
        metadata={"description": "e.g. regular meeting of 15 April 2010"},
    )
    symbol = CleanString(
        allow_none=True,
        validate=ma.validate.Length(min=1, max=200),
        metadata={"description": "Document symbol, e.g. CP/CSH-1234/10"},
    )


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
    basis = ma.fields.Enum(
        BodyBasis,
        by_value=True,
        metadata={
            "description": "named: a cited text names the body (basis_quote); "
            "proposed: the secretariat's proposal"
        },
    )
    basis_quote = ma.fields.String(allow_none=True)
    basis_note = ma.fields.String(allow_none=True)


class OtherEffortSchema(ma.Schema):
    organization = ma.fields.String(metadata={"description": "e.g. UNODC, IOM, MERCOSUR"})
    title = ma.fields.String()
    url = ma.fields.String(allow_none=True)
    note = ma.fields.String(allow_none=True)


class OtherEffortInputSchema(ma.Schema):
    organization = text_field(300, required=True, metadata={"description": "Outside the OAS"})
    title = text_field(500, required=True)
    url = ma.fields.URL(
        allow_none=True, schemes={"http", "https"}, validate=ma.validate.Length(max=2000)
    )
    note = CleanString(allow_none=True, validate=ma.validate.Length(max=4000))


class ProgressNoteSchema(ma.Schema):
    id = ma.fields.Integer()
    noted_on = ma.fields.Date()
    text = ma.fields.String()
    amount_spent = ma.fields.Decimal(as_string=True, allow_none=True)
    author = ma.fields.String(allow_none=True)
    created_at = ma.fields.AwareDateTime()


class ActivityTranslationSchema(ma.Schema):
    title = ma.fields.String(allow_none=True)
    description = ma.fields.String(allow_none=True)
    expected_result = ma.fields.String(allow_none=True)
    updated_at = ma.fields.AwareDateTime()


TRANSLATIONS_DESCRIPTION = (
    "The secretariat's translations of the title, description and expected result, by "
    "language (es, fr, pt); English (the fields above) is the source. A field missing here "
    "falls back to the English one."
)


class ActivitySchema(ma.Schema):
    """An activity of a work plan, traced to the recommendations it implements and to the
    bodies that lead and support it"""

    class Meta:
        example = {
            "id": 1,
            "work_plan": 1,
            "code": "PREV-01",
            "pillar": "prevention",
            "title": "Prevention programmes addressing structural causes and vulnerability factors",
            "description": "Member states, the OAS, other organizations and civil society...",
            "expected_result": "Prevention programmes in the Hemisphere are designed to "
            "mitigate structural causes and vulnerability factors.",
            "indicators": ["Number of member states reporting prevention programmes"],
            "timeline": "2010-2011",
            "status": "planned",
            "recommendations": [{"id": 34, "reference": "RTP-II/R25"}],
            "bodies": [
                {"body": "MS", "name": "Member states", "role": "lead"},
                {"body": "DPS", "name": "Department of Public Security", "role": "support"},
            ],
            "progress_notes": [],
            "translations": {
                "es": {
                    "title": "Programas de prevención que aborden las causas estructurales y "
                    "los factores de vulnerabilidad",
                    "description": None,
                    "expected_result": None,
                    "updated_at": "2026-11-30T03:47:51.335000+00:00",
                }
            },
            "predecessor_id": None,
            "created_at": "2026-11-30T03:47:51.310000+00:00",
            "updated_at": "2026-11-30T03:47:51.335000+00:00",
            "archived_at": None,
        }

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
    estimated_cost = ma.fields.Decimal(as_string=True, allow_none=True)
    currency = ma.fields.String(allow_none=True, metadata={"description": "ISO 4217"})
    funding_source = ma.fields.Enum(FundingSource, by_value=True)
    subject_to_resources = ma.fields.Boolean(
        metadata={"description": "Execution subject to the availability of resources"}
    )
    other_efforts = ma.fields.List(ma.fields.Nested(OtherEffortSchema))
    translations = ma.fields.Dict(
        keys=ma.fields.String(),
        values=ma.fields.Nested(ActivityTranslationSchema),
        attribute="translations_by_language",
        metadata={"description": TRANSLATIONS_DESCRIPTION},
    )
    predecessor_id = ma.fields.Integer(allow_none=True)
    created_at = ma.fields.AwareDateTime()
    updated_at = ma.fields.AwareDateTime()
    archived_at = ma.fields.AwareDateTime(allow_none=True)


def _currency(value: str | None) -> None:
    if value is not None and not is_currency(value):
        raise ma.ValidationError(_("Not an ISO 4217 currency code (e.g. USD)."))


# The spec states the range as plain numbers (apispec would write Decimal objects).
AMOUNT_RANGE = {"minimum": 0, "maximum": 999_999_999_999}
AMOUNT = ma.validate.Range(
    min=0,
    max=999_999_999_999,
    error=TranslatedMessage("Must not be negative (at most 999999999999)."),
)


class BodyLinkInputSchema(ma.Schema):
    body = code_field(required=True, metadata={"description": "Body code, e.g. DPS"})
    role = ma.fields.Enum(BodyRole, by_value=True, required=True)
    basis = ma.fields.Enum(
        BodyBasis,
        by_value=True,
        load_default=BodyBasis.PROPOSED,
        metadata={"description": "named (give basis_quote) or proposed (default)"},
    )
    basis_quote = CleanString(
        allow_none=True,
        validate=ma.validate.Length(min=1, max=2000),
        metadata={"description": "The words of a cited recommendation that name the body"},
    )
    basis_note = CleanString(allow_none=True, validate=ma.validate.Length(max=4000))


def _has_lead(links: list[dict]) -> None:
    if not any(link["role"] == BodyRole.LEAD for link in links):
        raise ma.ValidationError(_("An activity needs at least one body in the lead role."))


class ActivityTranslationInputSchema(ma.Schema):
    title = CleanString(allow_none=True, validate=ma.validate.Length(max=500))
    description = CleanString(allow_none=True, validate=ma.validate.Length(max=20000))
    expected_result = CleanString(allow_none=True, validate=ma.validate.Length(max=20000))


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
                min=1,
                error=TranslatedMessage("An activity needs at least one source recommendation."),
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
    estimated_cost = ma.fields.Decimal(
        allow_none=True,
        places=2,
        validate=AMOUNT,
        allow_nan=False,
        metadata={"description": "Estimated cost (give currency too)", **AMOUNT_RANGE},
    )
    currency = CleanString(
        allow_none=True,
        validate=[ma.validate.Length(equal=3), lambda v: _currency(v)],
        metadata={"description": "ISO 4217"},
    )
    funding_source = ma.fields.Enum(FundingSource, by_value=True)
    subject_to_resources = ma.fields.Boolean()
    other_efforts = BoundedList(
        ma.fields.Nested(OtherEffortInputSchema),
        max_items=50,
        noun="other efforts",
        metadata={"description": "Related initiatives outside the OAS (Recommendation 49)"},
    )
    translations = ma.fields.Dict(
        keys=ma.fields.String(validate=ma.validate.OneOf(TRANSLATION_LANGUAGES)),
        values=ma.fields.Nested(ActivityTranslationInputSchema),
        metadata={"description": TRANSLATIONS_DESCRIPTION + " The object given replaces them all."},
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
    amount_spent = ma.fields.Decimal(
        allow_none=True,
        places=2,
        validate=AMOUNT,
        allow_nan=False,
        metadata={
            "description": "Spent since the last note, in the activity's currency",
            **AMOUNT_RANGE,
        },
    )

    @ma.validates("noted_on")
    def not_in_future(self, value: Any, **kwargs: Any) -> None:
        if value > datetime.now(UTC).date() + timedelta(days=1):  # a day of time-zone slack
            raise ma.ValidationError(_("A progress note cannot be dated in the future."))


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


COVERAGE_STATES = ["complete", "incomplete", "texts_not_loaded"]


class DocumentCoverageSchema(ma.Schema):
    document = ma.fields.String(attribute="document.code")
    symbol = ma.fields.String(attribute="document.symbol")
    title = ma.fields.String(attribute="document.title")
    texts_loaded = ma.fields.Boolean(
        metadata={"description": "false: its recommendations are not in the database"}
    )
    recommendations_known = ma.fields.Integer(
        metadata={"description": "How many of its recommendations are in the database"}
    )
    status = ma.fields.String(
        validate=ma.validate.OneOf(COVERAGE_STATES),
        metadata={
            "enum": COVERAGE_STATES,
            "description": "texts_not_loaded is never counted as covered",
        },
    )
    totals = ma.fields.Nested(CoverageTotalsSchema)


class RecommendationBriefSchema(ma.Schema):
    id = ma.fields.Integer()
    reference = ma.fields.String()
    document = ma.fields.String(attribute="document.code")
    number = ma.fields.Integer()
    item = ma.fields.String()
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
    complete = ma.fields.Boolean(
        metadata={
            "description": "Every mandate's texts are loaded and each recommendation is covered "
            "or excluded"
        }
    )
    mandates_without_texts = ma.fields.Pluck(
        DocumentCoverageSchema, "document", many=True, metadata={"description": "Document codes"}
    )
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


class ActivityEffortsSchema(ma.Schema):
    activity = ma.fields.Nested(ActivityBriefSchema)
    other_efforts = ma.fields.List(ma.fields.Nested(OtherEffortSchema))


class OverlapsSchema(ma.Schema):
    work_plan = ma.fields.Nested(PlanBriefSchema)
    similarity_threshold = ma.fields.Float()
    overlaps = ma.fields.List(ma.fields.Nested(OverlapSchema))
    complete = ma.fields.Boolean(
        metadata={"description": "Every pair compared; false: ask again for the rest"}
    )
    compared_pairs = ma.fields.Integer()
    total_pairs = ma.fields.Integer()
    other_efforts = ma.fields.List(
        ma.fields.Nested(ActivityEffortsSchema),
        metadata={"description": "Related initiatives outside the OAS, per activity"},
    )


class ResourceTotalSchema(ma.Schema):
    key = ma.fields.String(metadata={"description": "Pillar or funding source"})
    currency = ma.fields.String()
    estimated = ma.fields.Decimal(as_string=True)
    spent = ma.fields.Decimal(as_string=True)
    activities = ma.fields.Integer()


class ActivityResourcesSchema(ma.Schema):
    id = ma.fields.Integer()
    code = ma.fields.String()
    title = ma.fields.String()
    pillar = ma.fields.Enum(Pillar, by_value=True)
    estimated_cost = ma.fields.Decimal(as_string=True, allow_none=True)
    currency = ma.fields.String(allow_none=True)
    funding_source = ma.fields.Enum(FundingSource, by_value=True)
    subject_to_resources = ma.fields.Boolean()


class ResourcesSchema(ma.Schema):
    work_plan = ma.fields.Nested(PlanBriefSchema)
    activities = ma.fields.List(ma.fields.Nested(ActivityResourcesSchema))
    by_pillar = ma.fields.List(ma.fields.Nested(ResourceTotalSchema))
    by_source = ma.fields.List(ma.fields.Nested(ResourceTotalSchema))
    not_estimated = ma.fields.Pluck(ActivityBriefSchema, "code", many=True)


# Any JSON value (text, a list of codes, an object) or null: no `type`, so null is allowed
# (OpenAPI 3.0.3: `nullable` only applies beside a `type`, and there is no single type here).
CHANGED_VALUE = "The value (text, list or object), or null when the field was empty"


class FieldChangeSchema(ma.Schema):
    """One field that differs between the two versions"""

    field = ma.fields.String(metadata={"example": "timeline"})
    before = ma.fields.Raw(metadata={"description": CHANGED_VALUE, "example": "2026"})
    after = ma.fields.Raw(metadata={"description": CHANGED_VALUE, "example": "2026-2027"})


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
        validate=ma.validate.OneOf(["docx", "html", "csv", "coverage-csv"]),
        metadata={
            "description": "docx (default), html, csv (the activities, one row each) or "
            "coverage-csv (the coverage annex: each recommendation and what covers it)"
        },
    )


class ProgressReportArgs(ma.Schema):
    start = ma.fields.Date(
        data_key="from", metadata={"description": "First day of the period (default: plan's)"}
    )
    end = ma.fields.Date(
        data_key="to", metadata={"description": "Last day of the period (default: plan's)"}
    )
    format = ma.fields.String(
        load_default="docx",
        validate=ma.validate.OneOf(["docx", "html"]),
        metadata={"description": "docx (default) or html"},
    )

    @ma.validates_schema
    def period_in_order(self, data: dict, **kwargs: Any) -> None:
        if "start" in data and "end" in data and data["start"] > data["end"]:
            raise ma.ValidationError(_("The period ends before it starts: an empty period."), "to")
