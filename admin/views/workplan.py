"""Work-plan views: documents, recommendations, bodies, plans and activities (the secretariat's)."""

from __future__ import annotations

import enum
from typing import Any

import marshmallow as ma
import sqlalchemy as sa
from flask import abort, flash, redirect, request
from flask.typing import ResponseReturnValue
from flask_admin import expose
from flask_admin.actions import action
from flask_admin.contrib.sqla.filters import FilterEqual, IntEqualFilter
from flask_admin.model.fields import InlineFieldList, InlineFormField
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from markupsafe import Markup
from sqlalchemy.orm import selectinload
from wtforms import (
    BooleanField,
    DateField,
    IntegerField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.validators import InputRequired, Optional

from admin.forms import (
    AdminForm,
    LinesListField,
    SubForm,
    enum_choices,
    enum_options,
    raw_value,
    select,
)
from admin.labels import field_label
from admin.views.base import RecordView, per_request, rule_messages
from admin.views.directory import ArchivedFilter, FoldedSearchMixin
from service.core.access import Principal, Scope
from service.core.db import db, in_transaction
from service.core.i18n import LANGUAGES, original_text
from service.core.labels import label
from service.workplan import services
from service.workplan.models import (
    TRANSLATION_LANGUAGES,
    Activity,
    ActivityBody,
    ActivityRecommendation,
    ActivityStatus,
    BodyBasis,
    BodyKind,
    BodyRole,
    DocumentKind,
    FundingSource,
    Pillar,
    Recommendation,
    RecommendationSection,
    ResponsibleBody,
    SourceDocument,
    WorkPlan,
    WorkPlanStatus,
)
from service.workplan.schemas import (
    ActivityCreateSchema,
    ActivityUpdateSchema,
    BodyCreateSchema,
    BodyPatchSchema,
    DocumentCreateSchema,
    DocumentPatchSchema,
    ProgressNoteInputSchema,
    RecommendationCreateSchema,
    RecommendationPatchSchema,
    WorkPlanCreateSchema,
    WorkPlanPatchSchema,
)
from service.workplan.versions import diff, new_version


def _plain(value: Any) -> Any:
    """Loaded input and stored values, compared alike (enums by value, nested lists too)."""
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    return value


def _translations_differ(given: dict, stored: dict) -> bool:
    """Loaded input against the stored translations, an empty field alike to a missing one."""

    def normal(translations: dict) -> dict:
        return {
            language: {k: (v or "").strip() for k, v in (texts or {}).items()}
            for language, texts in translations.items()
        }

    return normal(given) != normal(stored)


def document_choices() -> list:
    return [
        (d.code, d.symbol)
        for d in db.session.scalars(sa.select(SourceDocument).order_by(SourceDocument.code))
    ]


def body_choices(blank: bool = False) -> Any:
    bodies = [
        (b.code, f"{b.code} · {b.name}")
        for b in db.session.scalars(sa.select(ResponsibleBody).order_by(ResponsibleBody.code))
    ]
    return [("", "(none)"), *bodies] if blank else bodies


def document_id_choices() -> list:
    statement = sa.select(SourceDocument).order_by(SourceDocument.code)
    return [(str(d.id), d.symbol) for d in db.session.scalars(statement)]


def work_plan_choices() -> list:
    statement = sa.select(WorkPlan).order_by(WorkPlan.code, WorkPlan.plan_version)
    return [(str(p.id), str(p)) for p in db.session.scalars(statement)]


def recommendation_choices() -> list:
    statement = sa.select(Recommendation.reference).order_by(Recommendation.reference)
    return [(r, r) for r in db.session.scalars(statement)]


class WorkPlanRecordView(RecordView):
    """Everyone with work-plan access reads; writing needs the workplan:write scope."""

    create_schema = None
    update_schema = None

    def may_read(self, principal: Principal) -> bool:
        return principal.has(Scope.WORKPLAN_READ)

    def may_write(self, principal: Principal) -> bool:
        return principal.has(Scope.WORKPLAN_WRITE)

    def may_export(self, principal: Principal) -> bool:
        return principal.has(Scope.WORKPLAN_READ)

    @property
    def can_delete(self) -> bool:  # type: ignore[override]  # flask-admin: a plain attribute
        principal = self.principal
        return self.deletable and principal is not None and self.may_write(principal)

    deletable = False

    def delete_model(self, model: Any) -> bool:
        try:
            in_transaction(lambda: self.delete_record(model))
            return True
        except Exception as error:
            messages = rule_messages(error)
            if messages is None:
                raise
            for values in messages.values():
                for message in values if isinstance(values, list) else [values]:
                    flash(str(message), "error")
            return False

    def delete_record(self, model: Any) -> Any:
        raise NotImplementedError

    def loaded(self, form: Any, schema: Any) -> Any:
        return schema().load(self.form_input(form))

    def changed_only(self, model: Any, data: dict) -> dict:
        """Only what the form changed: an approved plan still takes progress (status) alone."""
        stored = self.prefill(model)
        return {k: v for k, v in data.items() if _plain(v) != _plain(stored.get(k))}


# -- source documents ------------------------------------------------------------------------


class DocumentForm(AdminForm):
    code = StringField(validators=[InputRequired()], description=_l("Short, stable: e.g. RTP-II"))
    symbol = StringField(validators=[InputRequired()], description=_l("As printed on the document"))
    title = TextAreaField(validators=[InputRequired()])
    date = DateField(validators=[Optional()])
    kind = SelectField(choices=enum_choices(DocumentKind))


class DocumentEditForm(DocumentForm):
    code = None  # recommendations' references are built on it


class DocumentView(WorkPlanRecordView):
    form = DocumentForm
    deletable = True
    column_list = ["code", "symbol", "title", "date", "kind"]
    column_searchable_list = ["code", "symbol", "title"]
    column_filters = [
        FilterEqual(SourceDocument.kind, _l("Kind"), options=enum_options(DocumentKind))
    ]
    column_default_sort = "date"

    def get_edit_form(self) -> type:
        return DocumentEditForm

    def create_record(self, form: Any) -> Any:
        return services.create_document(self.loaded(form, DocumentCreateSchema))

    def update_record(self, form: Any, model: Any) -> Any:
        return services.update_document(model, self.loaded(form, DocumentPatchSchema))

    def delete_record(self, model: Any) -> None:
        services.delete_document(model)


# -- recommendations ------------------------------------------------------------------------


class RecommendationForm(AdminForm):
    document = SelectField(validators=[InputRequired()])
    number = IntegerField(validators=[InputRequired()])
    section = SelectField(choices=enum_choices(RecommendationSection))
    reference = StringField(description=_l("Leave empty for DOCUMENT/R<number> (or /OP<number>)"))
    text = TextAreaField(validators=[InputRequired()], description=_l("Exactly as adopted"))


class RecommendationEditForm(AdminForm):
    section = SelectField(choices=enum_choices(RecommendationSection))
    text = TextAreaField(validators=[InputRequired()], description=_l("Exactly as adopted"))


class RecommendationView(FoldedSearchMixin, WorkPlanRecordView):
    form = RecommendationForm
    deletable = True
    column_list = ["reference", "document", "number", "section", "text"]
    # Adopted texts are English only: in another language they are shown marked as such.
    column_formatters = {"text": lambda v, c, m, n: original_text(m.text, 160)}
    column_formatters_detail = {"text": lambda v, c, m, n: original_text(m.text)}
    column_formatters_export: dict[
        str, Any
    ] = {}  # the list shortens texts; an export carries them whole
    column_sortable_list = ["reference", "number"]
    column_default_sort = "reference"
    column_details_exclude_list = ["search_text"]
    column_export_exclude_list = ["search_text"]

    @property
    def column_filters(self) -> list[FilterEqual]:
        return [
            IntEqualFilter(  # an integer column: SQLAlchemy 2.1 binds a str value as VARCHAR
                Recommendation.document_id,
                _l("Document"),
                options=per_request(document_id_choices),
            ),
            FilterEqual(
                Recommendation.section, _l("Section"), options=enum_options(RecommendationSection)
            ),
        ]

    def search_placeholder(self) -> str:
        return _("Search reference or text")

    def get_edit_form(self) -> type:
        return RecommendationEditForm

    def create_form(self, obj: Any = None) -> Any:
        form = super().create_form(obj)
        form.document.choices = select(document_choices())
        return form

    def create_record(self, form: Any) -> Any:
        return services.create_recommendation(self.loaded(form, RecommendationCreateSchema))

    def update_record(self, form: Any, model: Any) -> Any:
        return services.update_recommendation(model, self.loaded(form, RecommendationPatchSchema))

    def delete_record(self, model: Any) -> None:
        services.delete_recommendation(model)


# -- responsible bodies -------------------------------------------------------------------


class BodyForm(AdminForm):
    code = StringField(validators=[InputRequired()], description=_l("e.g. DPS"))
    name = StringField(validators=[InputRequired()])
    kind = SelectField(choices=enum_choices(BodyKind))
    parent = SelectField(_l("Within"), description=_l("The body this one belongs to"))


class BodyEditForm(BodyForm):
    code = None  # activities cite bodies by code


class BodyView(WorkPlanRecordView):
    form = BodyForm
    deletable = True
    column_list = ["code", "name", "kind", "parent"]
    column_searchable_list = ["code", "name"]
    column_filters = [FilterEqual(ResponsibleBody.kind, _l("Kind"), options=enum_options(BodyKind))]
    column_default_sort = "code"

    def get_edit_form(self) -> type:
        return BodyEditForm

    def _choices(self, form: Any) -> Any:
        form.parent.choices = select(body_choices(blank=True))
        return form

    def create_form(self, obj: Any = None) -> Any:
        return self._choices(super().create_form(obj))

    def edit_form(self, obj: Any = None) -> Any:
        return self._choices(super().edit_form(obj))

    def prefill(self, model: Any) -> dict:
        return {**super().prefill(model), "parent": model.parent.code if model.parent else ""}

    def create_record(self, form: Any) -> Any:
        return services.create_body(self.loaded(form, BodyCreateSchema))

    def update_record(self, form: Any, model: Any) -> Any:
        return services.update_body(model, self.loaded(form, BodyPatchSchema))

    def delete_record(self, model: Any) -> None:
        services.delete_body(model)


# -- work plans ---------------------------------------------------------------------------


class ExclusionForm(SubForm):
    # callables: the JavaScript "add a row" template is rendered without a view to fill it
    recommendation = SelectField(choices=lambda: select(recommendation_choices()))
    reason = StringField()


class WorkPlanForm(AdminForm):
    code = StringField(validators=[InputRequired()], description=_l("Shared by every version"))
    title = StringField(validators=[InputRequired()])
    period_start = DateField(validators=[Optional()])
    period_end = DateField(validators=[Optional()])
    notes = TextAreaField()
    mandates = SelectMultipleField(
        description=_l("Documents whose recommendations the plan answers")
    )
    exclusions = InlineFieldList(InlineFormField(ExclusionForm))


class WorkPlanEditForm(WorkPlanForm):
    code = None


def plan_documents(view: Any, context: Any, model: WorkPlan, name: str) -> Markup:
    """Links to the committee document and the progress report (the API answers the session)."""
    base = f"/api/v1/work-plans/{model.id}"
    links = [
        (_("Committee document (DOCX)"), f"{base}/document?format=docx"),
        ("(HTML)", f"{base}/document?format=html"),
        (_("Progress report (DOCX)"), f"{base}/progress-report?format=docx"),
        ("(HTML)", f"{base}/progress-report?format=html"),
    ]
    if model.predecessor_id:
        links.append((_("Diff with previous version"), view.get_url(".diff_view", id=model.id)))
    return Markup(" ").join(
        Markup('<a href="{}">{}</a>').format(url, label) for label, url in links
    )


class WorkPlanView(WorkPlanRecordView):
    form = WorkPlanForm
    column_list = [
        "code",
        "plan_version",
        "title",
        "status",
        "period_start",
        "period_end",
        "submitted_on",
        "approved_by",
        "approved_on",
        "approval_symbol",
        "superseded_by",
        "archived_at",
        "updated_at",
        "documents",
    ]
    column_formatters = {"documents": plan_documents}
    column_export_list = [
        "id",
        "code",
        "plan_version",
        "title",
        "status",
        "period_start",
        "period_end",
        "submitted_on",
        "submission_symbol",
        "approved_on",
        "approval_symbol",
        "superseded_by",
        "archived_at",
    ]
    column_labels = {
        "plan_version": _l("Version"),
        "archived_at": _l("Archived"),
        "submitted_on": _l("Submitted"),
        "approved_by": _l("Approved by"),
        "approved_on": _l("Approved"),
        "approval_symbol": _l("Approval symbol"),
        "superseded_by": _l("Superseded by"),
    }
    column_searchable_list = ["code", "title"]
    column_filters = [
        FilterEqual(WorkPlan.status, _l("Status"), options=enum_options(WorkPlanStatus)),
        ArchivedFilter(WorkPlan.archived_at, _l("Archived")),
    ]
    column_default_sort = [("code", False), ("plan_version", True)]

    def get_edit_form(self) -> type:
        return WorkPlanEditForm

    def _choices(self, form: Any) -> Any:
        form.mandates.choices = select(document_choices())
        return form

    def create_form(self, obj: Any = None) -> Any:
        return self._choices(super().create_form(obj))

    def edit_form(self, obj: Any = None) -> Any:
        return self._choices(super().edit_form(obj))

    def prefill(self, model: Any) -> dict:
        return {
            **super().prefill(model),
            "mandates": [d.code for d in model.mandates],
            "exclusions": [
                {"recommendation": e.recommendation.reference, "reason": e.reason}
                for e in model.exclusions
            ],
        }

    def form_input(self, form: Any) -> dict:
        data = super().form_input(form)
        data["mandates"] = form.mandates.data or []
        data["exclusions"] = [
            {"recommendation": row.form.recommendation.data, "reason": row.form.reason.data or ""}
            for row in form.exclusions.entries
            if not form.exclusions.should_delete(row)
        ]
        return data

    def create_record(self, form: Any) -> Any:
        return services.create_work_plan(self.loaded(form, WorkPlanCreateSchema))

    def update_record(self, form: Any, model: Any) -> Any:
        return services.update_work_plan(model, self.loaded(form, WorkPlanPatchSchema))

    @action("submit", _l("Submit to the Committee"), _l("Submit the selected plans (they freeze)?"))
    def action_submit(self, ids: list) -> None:
        self.run_action(ids, services.submit_work_plan, _("Submitted"))

    @action("reopen", _l("Reopen as draft"), _l("Reopen the selected submitted plans?"))
    def action_reopen(self, ids: list) -> None:
        self.run_action(ids, services.reopen_work_plan, _("Reopened"))

    @action("approve", _l("Approve"), _l("Record the selected plans as approved?"))
    def action_approve(self, ids: list) -> None:
        self.run_action(ids, services.approve_work_plan, _("Approved"))

    @action("archive", _l("Archive"), _l("Archive the selected draft plans?"))
    def action_archive(self, ids: list) -> None:
        self.run_action(ids, services.archive_work_plan, _("Archived"))

    @action("restore", _l("Restore"), _l("Restore the selected archived plans?"))
    def action_restore(self, ids: list) -> None:
        self.run_action(ids, services.restore_work_plan, _("Restored"))

    @action(
        "new_version",
        _l("Make a new version"),
        _l("Make a new draft version of each selected plan?"),
    )
    def action_new_version(self, ids: list) -> None:
        self.run_action(ids, new_version, _("New version made"))

    @expose("/diff/")
    def diff_view(self) -> str:
        """What changed since the version this one was made from (the same diff as the API)."""
        plan = db.session.get(WorkPlan, request.args.get("id", type=int) or 0)
        if plan is None or plan.predecessor is None:
            abort(404)
        return self.render(
            "oas_admin/workplan_diff.html",
            result=diff(plan, plan.predecessor),
            return_url=self.get_url(".index_view"),
        )


# -- activities ---------------------------------------------------------------------------


class BodyLinkForm(SubForm):
    body = SelectField(choices=lambda: select(body_choices()))
    role = SelectField(choices=enum_choices(BodyRole))
    basis = SelectField(
        choices=enum_choices(BodyBasis),
        validate_choice=False,  # the schema checks it; missing means proposed
        default=BodyBasis.PROPOSED.value,
        description=_l("named: a cited text names the body; proposed: the secretariat's proposal"),
    )
    basis_quote = StringField(
        _l("Words naming it"),
        description=_l("For named: the words of a cited text that name the body"),
    )
    basis_note = StringField(
        _l("Note"), description=_l("For proposed: why the secretariat proposes it")
    )


class OtherEffortForm(SubForm):
    organization = StringField(description=_l("Outside the OAS: UNODC, IOM, MERCOSUR..."))
    title = StringField()
    url = StringField(_l("Link"))
    note = StringField()


def translation_language_choices() -> list:
    return select((code, f"{LANGUAGES[code]} ({code})") for code in TRANSLATION_LANGUAGES)


class TranslationForm(SubForm):
    """The activity's text in Spanish, French or Portuguese; an empty field shows the English."""

    language = SelectField(_l("Language"), choices=translation_language_choices)
    title = StringField(_l("Title"))
    description = TextAreaField(_l("Description"))
    expected_result = TextAreaField(_l("Expected result"))


class ProgressNoteForm(AdminForm):
    noted_on = DateField(_l("Date"), validators=[InputRequired()])
    text = TextAreaField(validators=[InputRequired()])
    amount_spent = StringField(_l("Amount spent"), description=_l("In the activity's currency"))


def progress_link(view: Any, context: Any, model: Activity, name: str) -> Markup:
    return Markup('<a href="{}">{}</a>').format(
        view.get_url(".progress_note_view", id=model.id), _("Add progress note")
    )


class ActivityForm(AdminForm):
    work_plan = SelectField(coerce=int, validators=[InputRequired()])
    code = StringField(validators=[InputRequired()], description=_l("Unique within the plan"))
    pillar = SelectField(choices=enum_choices(Pillar))
    title = StringField(validators=[InputRequired()])
    description = TextAreaField(validators=[InputRequired()])
    expected_result = TextAreaField()
    indicators = LinesListField(description=_l("One indicator a line"))
    timeline = StringField()
    status = SelectField(choices=enum_choices(ActivityStatus))
    recommendations = SelectMultipleField(
        _l("Source recommendations"), description=_l("At least one mandate the activity implements")
    )
    bodies = InlineFieldList(
        InlineFormField(BodyLinkForm),
        _l("Responsible bodies"),
        min_entries=1,
        description=_l("At least one body in the lead role; others support"),
    )
    estimated_cost = StringField(
        _l("Estimated cost"), description=_l("Leave empty if not estimated")
    )
    currency = StringField(description=_l("ISO 4217, e.g. USD"))
    funding_source = SelectField(choices=enum_choices(FundingSource), validate_choice=False)
    subject_to_resources = BooleanField(_l("Subject to available resources"), default=True)
    other_efforts = InlineFieldList(
        InlineFormField(OtherEffortForm),
        _l("Other efforts"),
        description=_l("Related initiatives outside the OAS (Recommendation 49)"),
    )
    translations = InlineFieldList(
        InlineFormField(TranslationForm),
        _l("Translations"),
        description=_l(
            "The title, description and expected result in Spanish, French or Portuguese, one "
            "row a language; documents show the English text, marked, where a field is empty"
        ),
    )


class ActivityEditForm(ActivityForm):
    work_plan = None  # an activity stays in its plan (new versions copy it)


def body_link_label(link: Any) -> str:
    """DPS (support, proposed) or MS (lead, named: "To urge member states")."""
    if link.basis == BodyBasis.NAMED:
        return _(
            '%(body)s (%(role)s, named: "%(quote)s")',
            body=link.body.code,
            role=label(link.role),
            quote=link.basis_quote,
        )
    return _("%(body)s (%(role)s, proposed)", body=link.body.code, role=label(link.role))


def bodies_list(view: Any, context: Any, model: Any, name: str) -> Markup:
    return Markup("<br>").join(body_link_label(link) for link in model.body_links)


def recommendations_list(view: Any, context: Any, model: Any, name: str) -> str:
    return ", ".join(link.recommendation.reference for link in model.recommendation_links)


class BodyFilter(FilterEqual):
    """Activities this body leads or supports."""

    def apply(self, query: Any, value: Any, alias: Any = None) -> Any:
        linked = (
            sa.select(ActivityBody.activity_id)
            .join(ActivityBody.body)
            .where(ResponsibleBody.code == value)
        )
        return query.filter(Activity.id.in_(linked))


class ActivityView(FoldedSearchMixin, WorkPlanRecordView):
    form = ActivityForm
    column_list = [
        "work_plan",
        "code",
        "pillar",
        "title",
        "status",
        "recommendations",
        "bodies",
        "estimated_cost",
        "currency",
        "funding_source",
        "archived_at",
        "progress",
    ]
    column_labels = {"archived_at": _l("Archived")}
    column_formatters = {
        "bodies": bodies_list,
        "recommendations": recommendations_list,
        "progress": progress_link,
    }
    column_formatters_detail = column_formatters
    column_formatters_export = {
        "bodies": lambda v, c, m, n: "; ".join(body_link_label(link) for link in m.body_links),
        "recommendations": recommendations_list,
    }
    column_sortable_list = ["code", "pillar", "status", "title"]
    column_default_sort = "code"
    column_details_exclude_list = ["search_text"]
    column_export_list = [
        "id",
        "work_plan",
        "code",
        "pillar",
        "title",
        "status",
        "recommendations",
        "bodies",
        "timeline",
    ]

    def get_query(self) -> Any:
        # The list and the export show every row's recommendations and bodies: load them for all
        # rows at once, not one query per row.
        return (
            super()
            .get_query()
            .options(
                selectinload(Activity.recommendation_links).joinedload(
                    ActivityRecommendation.recommendation
                ),
                selectinload(Activity.body_links).joinedload(ActivityBody.body),
            )
        )

    @property
    def column_filters(self) -> list[FilterEqual | BodyFilter | ArchivedFilter]:
        return [
            IntEqualFilter(  # an integer column (as above)
                Activity.work_plan_id,
                _l("Work plan"),
                options=per_request(work_plan_choices),
            ),
            FilterEqual(Activity.pillar, _l("Pillar"), options=enum_options(Pillar)),
            FilterEqual(Activity.status, _l("Status"), options=enum_options(ActivityStatus)),
            BodyFilter(Activity.id, _l("Body"), options=per_request(body_choices)),
            ArchivedFilter(Activity.archived_at, _l("Archived")),
        ]

    def get_edit_form(self) -> type:
        return ActivityEditForm

    def _choices(self, form: Any) -> Any:
        if "work_plan" in form._fields:
            form.work_plan.choices = select(
                (p.id, str(p))
                for p in db.session.scalars(
                    sa.select(WorkPlan)
                    .where(WorkPlan.archived_at.is_(None), WorkPlan.status == WorkPlanStatus.DRAFT)
                    .order_by(WorkPlan.code)
                )
            )
        form.recommendations.choices = select(recommendation_choices())
        return form

    def create_form(self, obj: Any = None) -> Any:
        return self._choices(super().create_form(obj))

    def edit_form(self, obj: Any = None) -> Any:
        return self._choices(super().edit_form(obj))

    def prefill(self, model: Any) -> dict:
        return {
            **super().prefill(model),
            "indicators": list(model.indicators or []),
            "recommendations": [
                link.recommendation.reference for link in model.recommendation_links
            ],
            "other_efforts": [
                {"organization": e.organization, "title": e.title, "url": e.url, "note": e.note}
                for e in model.other_efforts
            ],
            "bodies": [
                {
                    "body": link.body.code,
                    "role": link.role.value,
                    "basis": link.basis.value,
                    "basis_quote": link.basis_quote or "",
                    "basis_note": link.basis_note or "",
                }
                for link in model.body_links
            ],
            "translations": [
                {"language": language, **{k: v or "" for k, v in texts.items()}}
                for language, texts in services.translations_of(model).items()
            ],
        }

    def changed_only(self, model: Any, data: dict) -> dict:
        translations = data.pop("translations", None)
        changed = super().changed_only(model, data)
        if translations is not None and _translations_differ(
            translations, services.translations_of(model)
        ):
            changed["translations"] = translations
        return changed

    def form_input(self, form: Any) -> dict:
        data = super().form_input(form)
        data["indicators"] = form.indicators.data or []
        data["recommendations"] = form.recommendations.data or []
        data["bodies"] = [
            {
                "body": row.form.body.data,
                "role": row.form.role.data,
                "basis": row.form.basis.data or BodyBasis.PROPOSED.value,
                "basis_quote": row.form.basis_quote.data or None,
                "basis_note": row.form.basis_note.data or None,
            }
            for row in form.bodies.entries
            if not form.bodies.should_delete(row)
        ]
        if not data.get("funding_source"):
            data.pop("funding_source", None)  # the schema's default: to be determined
        data["other_efforts"] = [
            {
                "organization": row.form.organization.data,
                "title": row.form.title.data,
                "url": row.form.url.data or None,
                "note": row.form.note.data or None,
            }
            for row in form.other_efforts.entries
            if not form.other_efforts.should_delete(row)
        ]
        data["translations"] = {}
        for row in form.translations.entries:
            if form.translations.should_delete(row):
                continue
            language = row.form.language.data
            if language in data["translations"]:
                raise ma.ValidationError(
                    {
                        "translations": [
                            _("One row a language: %(language)s is twice.", language=language)
                        ]
                    }
                )
            data["translations"][language] = {
                name: row.form[name].data or None
                for name in ("title", "description", "expected_result")
            }
        return data

    def create_record(self, form: Any) -> Any:
        return services.create_activity(self.loaded(form, ActivityCreateSchema))

    def update_record(self, form: Any, model: Any) -> Any:
        data = self.changed_only(model, self.loaded(form, ActivityUpdateSchema))
        return services.update_activity(model, data) if data else model

    @action("archive", _l("Archive"), _l("Archive the selected activities?"))
    def action_archive(self, ids: list) -> None:
        self.run_action(ids, services.archive_activity, _("Archived"))

    @action("restore", _l("Restore"), _l("Restore the selected archived activities?"))
    def action_restore(self, ids: list) -> None:
        self.run_action(ids, services.restore_activity, _("Restored"))

    @expose("/progress-note/", methods=("GET", "POST"))
    def progress_note_view(self) -> ResponseReturnValue:
        """Adds a dated progress note through the same service as the API."""
        activity = db.session.get(Activity, request.args.get("id", type=int) or 0)
        if activity is None:
            abort(404)
        if not self.can_edit:
            abort(403)
        form = ProgressNoteForm(request.form if request.method == "POST" else None)
        if request.method == "POST" and form.validate_on_submit():
            try:
                data = ProgressNoteInputSchema().load(
                    {
                        "noted_on": raw_value(form.noted_on.data),
                        "text": form.text.data,
                        "amount_spent": form.amount_spent.data or None,
                    }
                )
                in_transaction(lambda: services.add_progress_note(activity, data))
                flash(_("Progress note added to %(code)s.", code=activity.code), "success")
                return redirect(self.get_url(".details_view", id=activity.id))
            except Exception as error:
                messages = rule_messages(error)
                if messages is None:
                    raise
                for field, values in messages.items():
                    for message in values if isinstance(values, list) else [values]:
                        flash(f"{field_label(field) or field}: {message}", "error")
        return self.render(
            "oas_admin/progress_note.html",
            form=form,
            activity=activity,
            return_url=self.get_url(".details_view", id=activity.id),
        )
