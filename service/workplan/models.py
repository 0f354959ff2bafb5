"""The draft Work Plan: source documents, recommendations, responsible bodies, plans, activities."""

from __future__ import annotations

import enum
from datetime import date
from decimal import Decimal

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, mapped_column, relationship

from service.core.db import (
    ArchivableMixin,
    SearchableMixin,
    TimestampMixin,
    VersionedMixin,
    db,
    enum_column,
)
from service.core.labels import vocabulary


class DocumentKind(enum.StrEnum):
    RESOLUTION = "resolution"
    DRAFT_RESOLUTION = "draft_resolution"
    MEETING_CONCLUSIONS = "meeting_conclusions"
    OTHER = "other"


DOCUMENT_KIND_LABELS = vocabulary(
    {
        DocumentKind.RESOLUTION: _l("resolution"),
        DocumentKind.DRAFT_RESOLUTION: _l("draft resolution"),
        DocumentKind.MEETING_CONCLUSIONS: _l("meeting conclusions"),
        DocumentKind.OTHER: _l("other"),
    }
)


class RecommendationSection(enum.StrEnum):
    GENERAL = "general"
    TECHNICAL_WORKING_GROUP_I = "technical_working_group_i"
    TECHNICAL_WORKING_GROUP_II = "technical_working_group_ii"
    WE_ALSO_RESOLVE = "we_also_resolve"
    OPERATIVE_PARAGRAPH = "operative_paragraph"


RECOMMENDATION_SECTION_LABELS = vocabulary(
    {
        RecommendationSection.GENERAL: _l("general"),
        RecommendationSection.TECHNICAL_WORKING_GROUP_I: _l("technical working group i"),
        RecommendationSection.TECHNICAL_WORKING_GROUP_II: _l("technical working group ii"),
        RecommendationSection.WE_ALSO_RESOLVE: _l("we also resolve"),
        RecommendationSection.OPERATIVE_PARAGRAPH: _l("operative paragraph"),
    }
)


class BodyKind(enum.StrEnum):
    ORGAN = "organ"
    SECRETARIAT = "secretariat"
    SPECIALIZED_ORGANIZATION = "specialized_organization"
    MEMBER_STATES = "member_states"
    EXTERNAL_PARTNER = "external_partner"


BODY_KIND_LABELS = vocabulary(
    {
        BodyKind.ORGAN: _l("organ"),
        BodyKind.SECRETARIAT: _l("secretariat"),
        BodyKind.SPECIALIZED_ORGANIZATION: _l("specialized organization"),
        BodyKind.MEMBER_STATES: _l("member states"),
        BodyKind.EXTERNAL_PARTNER: _l("external partner"),
    }
)


class WorkPlanStatus(enum.StrEnum):
    DRAFT = "draft"
    SUBMITTED = "submitted"  # to the Committee on Hemispheric Security: frozen
    APPROVED = "approved"
    SUPERSEDED = "superseded"


WORK_PLAN_STATUS_LABELS = vocabulary(
    {
        WorkPlanStatus.DRAFT: _l("draft"),
        WorkPlanStatus.SUBMITTED: _l("submitted"),
        WorkPlanStatus.APPROVED: _l("approved"),
        WorkPlanStatus.SUPERSEDED: _l("superseded"),
    }
)


class Pillar(enum.StrEnum):
    PREVENTION = "prevention"
    PROTECTION_ASSISTANCE = "protection_assistance"
    PROSECUTION = "prosecution"
    COOPERATION_COORDINATION = "cooperation_coordination"
    FOLLOW_UP = "follow_up"


PILLAR_LABELS = vocabulary(
    {
        Pillar.PREVENTION: _l("Prevention"),
        Pillar.PROTECTION_ASSISTANCE: _l("Protection and assistance"),
        Pillar.PROSECUTION: _l("Prosecution"),
        Pillar.COOPERATION_COORDINATION: _l("Cooperation and coordination"),
        Pillar.FOLLOW_UP: _l("Follow-up"),
    }
)


class ActivityStatus(enum.StrEnum):
    PLANNED = "planned"
    IN_PROGRESS = "in_progress"
    COMPLETED = "completed"
    DEFERRED = "deferred"
    CANCELLED = "cancelled"


ACTIVITY_STATUS_LABELS = vocabulary(
    {
        ActivityStatus.PLANNED: _l("planned"),
        ActivityStatus.IN_PROGRESS: _l("in progress"),
        ActivityStatus.COMPLETED: _l("completed"),
        ActivityStatus.DEFERRED: _l("deferred"),
        ActivityStatus.CANCELLED: _l("cancelled"),
    }
)


class BodyRole(enum.StrEnum):
    LEAD = "lead"
    SUPPORT = "support"


BODY_ROLE_LABELS = vocabulary(
    {
        BodyRole.LEAD: _l("lead"),
        BodyRole.SUPPORT: _l("support"),
    }
)


class FundingSource(enum.StrEnum):
    REGULAR_FUND = "regular_fund"
    SPECIFIC_FUND = "specific_fund"
    VOLUNTARY_CONTRIBUTIONS = "voluntary_contributions"
    TO_BE_DETERMINED = "to_be_determined"


FUNDING_SOURCE_LABELS = vocabulary(
    {
        FundingSource.REGULAR_FUND: _l("regular fund"),
        FundingSource.SPECIFIC_FUND: _l("specific fund"),
        FundingSource.VOLUNTARY_CONTRIBUTIONS: _l("voluntary contributions"),
        FundingSource.TO_BE_DETERMINED: _l("to be determined"),
    }
)


class BodyBasis(enum.StrEnum):
    """Why a body is responsible for an activity."""

    NAMED = "named"  # a text the activity cites names the body: basis_quote keeps those words
    PROPOSED = "proposed"  # the secretariat's proposal, shown as such wherever the link appears


BODY_BASIS_LABELS = vocabulary(
    {
        BodyBasis.NAMED: _l("named"),
        BodyBasis.PROPOSED: _l("proposed"),
    }
)


class SourceDocument(TimestampMixin, db.Model):
    __tablename__ = "source_documents"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(sa.String(40), unique=True)  # short, URL-safe
    symbol: Mapped[str] = mapped_column(sa.String(200), unique=True)  # as printed
    title: Mapped[str] = mapped_column(sa.Text)
    date: Mapped[date | None] = mapped_column(sa.Date)
    kind: Mapped[DocumentKind] = mapped_column(enum_column(DocumentKind, "document_kind"))
    # The date is not printed on the document but inferred (date_note says from what).
    date_inferred: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
    date_note: Mapped[str | None] = mapped_column(sa.Text)
    # False while the document's recommendations are not in the database (its text is not
    # among the sources): coverage then never counts it as covered.
    texts_loaded: Mapped[bool] = mapped_column(default=True, server_default=sa.true())

    recommendations: Mapped[list[Recommendation]] = relationship(
        back_populates="document", order_by=lambda: [Recommendation.number, Recommendation.item]
    )

    def __str__(self) -> str:
        return self.symbol


class Recommendation(TimestampMixin, SearchableMixin, db.Model):
    """A mandate: a recommendation or operative paragraph, with its text exactly as adopted."""

    __tablename__ = "recommendations"
    __search_fields__ = ("reference", "text")

    id: Mapped[int] = mapped_column(primary_key=True)
    document_id: Mapped[int] = mapped_column(sa.ForeignKey("source_documents.id"), index=True)
    number: Mapped[int] = mapped_column(sa.Integer)
    # A lettered item of an operative paragraph that is a mandate of its own ("a" of OP2),
    # empty for the whole paragraph.
    item: Mapped[str] = mapped_column(sa.String(10), default="", server_default="")
    section: Mapped[RecommendationSection] = mapped_column(
        enum_column(RecommendationSection, "recommendation_section")
    )
    reference: Mapped[str] = mapped_column(sa.String(60), unique=True)  # e.g. RTP-II/R47
    text: Mapped[str] = mapped_column(sa.Text)

    document: Mapped[SourceDocument] = relationship(back_populates="recommendations")

    __table_args__ = (
        sa.UniqueConstraint("document_id", "number", "item"),
        sa.CheckConstraint("number > 0", name="number_positive"),
    )

    def __str__(self) -> str:
        return self.reference

    @property
    def citation(self) -> str:
        """How a document cites it: "RTP-II/doc.5/09 rev. 10, recommendation 47"."""
        kind = (
            "operative paragraph"
            if self.section == RecommendationSection.OPERATIVE_PARAGRAPH
            else "recommendation"
        )
        item = f" ({self.item})" if self.item else ""
        return f"{self.document.symbol}, {kind} {self.number}{item}"


class ResponsibleBody(TimestampMixin, db.Model):
    __tablename__ = "responsible_bodies"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(sa.String(40), unique=True)
    name: Mapped[str] = mapped_column(sa.String(300), unique=True)
    kind: Mapped[BodyKind] = mapped_column(enum_column(BodyKind, "body_kind"))
    parent_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("responsible_bodies.id"), index=True
    )
    # Other names the source texts use for the body ("IIN", "Secretary General"): a `named`
    # basis must contain the name or one of these.
    aliases: Mapped[list[str]] = mapped_column(sa.JSON, default=list)

    parent: Mapped[ResponsibleBody | None] = relationship(
        remote_side=[id], back_populates="children"
    )
    children: Mapped[list[ResponsibleBody]] = relationship(back_populates="parent")

    __table_args__ = (
        sa.CheckConstraint("parent_id IS NULL OR parent_id <> id", name="not_own_parent"),
    )

    def __str__(self) -> str:
        return self.name


work_plan_mandates = sa.Table(
    "work_plan_mandates",
    db.metadata,
    sa.Column("work_plan_id", sa.ForeignKey("work_plans.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("document_id", sa.ForeignKey("source_documents.id"), primary_key=True),
)


class WorkPlan(TimestampMixin, VersionedMixin, ArchivableMixin, db.Model):
    __tablename__ = "work_plans"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(sa.String(40))
    plan_version: Mapped[int] = mapped_column(sa.Integer, default=1)
    title: Mapped[str] = mapped_column(sa.String(500))
    period_start: Mapped[date | None] = mapped_column(sa.Date)
    period_end: Mapped[date | None] = mapped_column(sa.Date)
    status: Mapped[WorkPlanStatus] = mapped_column(
        enum_column(WorkPlanStatus, "work_plan_status"), default=WorkPlanStatus.DRAFT
    )
    notes: Mapped[str | None] = mapped_column(sa.Text)
    predecessor_id: Mapped[int | None] = mapped_column(sa.ForeignKey("work_plans.id"))
    # The approval record: to whom it was submitted and who approved it, when, at which
    # meeting, under which document symbol; a superseded plan points to the version replacing it.
    submitted_to_id: Mapped[int | None] = mapped_column(sa.ForeignKey("responsible_bodies.id"))
    submitted_on: Mapped[date | None] = mapped_column(sa.Date)
    submission_meeting: Mapped[str | None] = mapped_column(sa.String(300))
    submission_symbol: Mapped[str | None] = mapped_column(sa.String(200))
    approved_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("responsible_bodies.id"))
    approved_on: Mapped[date | None] = mapped_column(sa.Date)
    approval_meeting: Mapped[str | None] = mapped_column(sa.String(300))
    approval_symbol: Mapped[str | None] = mapped_column(sa.String(200))
    superseded_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("work_plans.id"))

    submitted_to: Mapped[ResponsibleBody | None] = relationship(foreign_keys=[submitted_to_id])
    approved_by: Mapped[ResponsibleBody | None] = relationship(foreign_keys=[approved_by_id])
    mandates: Mapped[list[SourceDocument]] = relationship(secondary=work_plan_mandates)
    activities: Mapped[list[Activity]] = relationship(
        back_populates="work_plan", order_by="Activity.code"
    )
    exclusions: Mapped[list[CoverageExclusion]] = relationship(
        back_populates="work_plan", cascade="all, delete-orphan"
    )
    predecessor: Mapped[WorkPlan | None] = relationship(
        remote_side=[id], foreign_keys=[predecessor_id]
    )
    superseded_by: Mapped[WorkPlan | None] = relationship(
        remote_side=[id], foreign_keys=[superseded_by_id]
    )

    __table_args__ = (
        sa.UniqueConstraint("code", "plan_version"),
        sa.CheckConstraint("plan_version > 0", name="plan_version_positive"),
        sa.CheckConstraint(
            "period_start IS NULL OR period_end IS NULL OR period_start <= period_end",
            name="period_order",
        ),
    )

    def __str__(self) -> str:
        return f"{self.title} (v{self.plan_version})"


class Activity(TimestampMixin, VersionedMixin, ArchivableMixin, SearchableMixin, db.Model):
    __tablename__ = "activities"
    __search_fields__ = ("code", "title", "description")

    id: Mapped[int] = mapped_column(primary_key=True)
    work_plan_id: Mapped[int] = mapped_column(sa.ForeignKey("work_plans.id"), index=True)
    code: Mapped[str] = mapped_column(sa.String(40))
    pillar: Mapped[Pillar] = mapped_column(enum_column(Pillar, "activity_pillar"))
    title: Mapped[str] = mapped_column(sa.String(500))
    description: Mapped[str] = mapped_column(sa.Text)
    expected_result: Mapped[str | None] = mapped_column(sa.Text)
    indicators: Mapped[list[str]] = mapped_column(sa.JSON, default=list)
    timeline: Mapped[str | None] = mapped_column(sa.String(200))
    status: Mapped[ActivityStatus] = mapped_column(
        enum_column(ActivityStatus, "activity_status"), default=ActivityStatus.PLANNED
    )
    predecessor_id: Mapped[int | None] = mapped_column(sa.ForeignKey("activities.id"))
    # Resources (AG/RES. 2456 op. 9: execution subject to the availability of financial resources)
    estimated_cost: Mapped[Decimal | None] = mapped_column(sa.Numeric(14, 2))
    currency: Mapped[str | None] = mapped_column(sa.String(3))  # ISO 4217
    funding_source: Mapped[FundingSource] = mapped_column(
        enum_column(FundingSource, "funding_source"),
        default=FundingSource.TO_BE_DETERMINED,
        server_default=FundingSource.TO_BE_DETERMINED.value,
    )
    subject_to_resources: Mapped[bool] = mapped_column(default=True, server_default=sa.true())

    work_plan: Mapped[WorkPlan] = relationship(back_populates="activities")
    recommendation_links: Mapped[list[ActivityRecommendation]] = relationship(
        back_populates="activity", cascade="all, delete-orphan"
    )
    body_links: Mapped[list[ActivityBody]] = relationship(
        back_populates="activity", cascade="all, delete-orphan"
    )
    progress_notes: Mapped[list[ProgressNote]] = relationship(
        back_populates="activity", cascade="all, delete-orphan", order_by="ProgressNote.noted_on"
    )
    other_efforts: Mapped[list[OtherEffort]] = relationship(
        back_populates="activity", cascade="all, delete-orphan", order_by="OtherEffort.id"
    )
    translations: Mapped[list[ActivityTranslation]] = relationship(
        back_populates="activity",
        cascade="all, delete-orphan",
        order_by="ActivityTranslation.language",
    )
    predecessor: Mapped[Activity | None] = relationship(remote_side=[id])

    __table_args__ = (
        sa.UniqueConstraint("work_plan_id", "code"),
        sa.CheckConstraint(
            "estimated_cost IS NULL OR estimated_cost >= 0", name="cost_not_negative"
        ),
        sa.CheckConstraint(
            "estimated_cost IS NULL OR currency IS NOT NULL", name="cost_has_currency"
        ),
    )

    def __str__(self) -> str:
        return f"{self.code} {self.title}"

    @property
    def translations_by_language(self) -> dict[str, ActivityTranslation]:
        return {t.language: t for t in self.translations}

    def translated(self, name: str, language: str) -> str | None:
        """The field (title, description, expected_result) in that language, if entered."""
        translation = self.translations_by_language.get(language)
        return getattr(translation, name) if translation is not None else None


# English is the source of every activity; the secretariat may enter its text in these.
TRANSLATION_LANGUAGES = ("es", "fr", "pt")
TRANSLATED_FIELDS = ("title", "description", "expected_result")


class ActivityTranslation(TimestampMixin, db.Model):
    """An activity's title, description and expected result in another official language,
    entered by the secretariat; a field left empty falls back (visibly) to the English one."""

    __tablename__ = "activity_translations"

    id: Mapped[int] = mapped_column(primary_key=True)
    activity_id: Mapped[int] = mapped_column(
        sa.ForeignKey("activities.id", ondelete="CASCADE"), index=True
    )
    language: Mapped[str] = mapped_column(sa.String(2))
    title: Mapped[str | None] = mapped_column(sa.String(500))
    description: Mapped[str | None] = mapped_column(sa.Text)
    expected_result: Mapped[str | None] = mapped_column(sa.Text)

    activity: Mapped[Activity] = relationship(back_populates="translations")

    __table_args__ = (
        sa.UniqueConstraint("activity_id", "language"),
        sa.CheckConstraint("language IN ('es', 'fr', 'pt')", name="translation_language"),
    )

    def __str__(self) -> str:
        return f"{self.language}: {self.title or ''}"


class ActivityRecommendation(db.Model):
    """An activity implements this recommendation (its source mandate)."""

    __tablename__ = "activity_recommendations"

    activity_id: Mapped[int] = mapped_column(
        sa.ForeignKey("activities.id", ondelete="CASCADE"), primary_key=True
    )
    recommendation_id: Mapped[int] = mapped_column(
        sa.ForeignKey("recommendations.id"), primary_key=True, index=True
    )

    activity: Mapped[Activity] = relationship(back_populates="recommendation_links")
    recommendation: Mapped[Recommendation] = relationship()


class ActivityBody(db.Model):
    """A body responsible for an activity, leading it or supporting the lead."""

    __tablename__ = "activity_bodies"

    activity_id: Mapped[int] = mapped_column(
        sa.ForeignKey("activities.id", ondelete="CASCADE"), primary_key=True
    )
    body_id: Mapped[int] = mapped_column(
        sa.ForeignKey("responsible_bodies.id"), primary_key=True, index=True
    )
    role: Mapped[BodyRole] = mapped_column(enum_column(BodyRole, "body_role"))
    basis: Mapped[BodyBasis] = mapped_column(
        enum_column(BodyBasis, "body_basis"),
        default=BodyBasis.PROPOSED,
        server_default=BodyBasis.PROPOSED.value,
    )
    # named: the words of a cited text that name the body; proposed: why the secretariat
    # proposes it (optional).
    basis_quote: Mapped[str | None] = mapped_column(sa.Text)
    basis_note: Mapped[str | None] = mapped_column(sa.Text)

    activity: Mapped[Activity] = relationship(back_populates="body_links")
    body: Mapped[ResponsibleBody] = relationship()

    __table_args__ = (
        sa.CheckConstraint(
            "basis <> 'named' OR basis_quote IS NOT NULL", name="named_basis_quoted"
        ),
    )


class ProgressNote(TimestampMixin, db.Model):
    __tablename__ = "progress_notes"

    id: Mapped[int] = mapped_column(primary_key=True)
    activity_id: Mapped[int] = mapped_column(
        sa.ForeignKey("activities.id", ondelete="CASCADE"), index=True
    )
    noted_on: Mapped[date] = mapped_column(sa.Date)
    text: Mapped[str] = mapped_column(sa.Text)
    author: Mapped[str | None] = mapped_column(sa.String(320))
    # Spent on the activity since the previous note, in the activity's currency.
    amount_spent: Mapped[Decimal | None] = mapped_column(sa.Numeric(14, 2))

    activity: Mapped[Activity] = relationship(back_populates="progress_notes")

    __table_args__ = (
        sa.CheckConstraint("amount_spent IS NULL OR amount_spent >= 0", name="spent_not_negative"),
    )


class OtherEffort(TimestampMixin, db.Model):
    """A related initiative outside the OAS (Recommendation 49: avoid duplication of effort)."""

    __tablename__ = "other_efforts"

    id: Mapped[int] = mapped_column(primary_key=True)
    activity_id: Mapped[int] = mapped_column(
        sa.ForeignKey("activities.id", ondelete="CASCADE"), index=True
    )
    organization: Mapped[str] = mapped_column(sa.String(300))  # UNODC, IOM, MERCOSUR...
    title: Mapped[str] = mapped_column(sa.String(500))
    url: Mapped[str | None] = mapped_column(sa.String(2000))
    note: Mapped[str | None] = mapped_column(sa.Text)

    activity: Mapped[Activity] = relationship(back_populates="other_efforts")


class CoverageExclusion(TimestampMixin, db.Model):
    """A recommendation deliberately left out of one work plan, with the reason why."""

    __tablename__ = "coverage_exclusions"

    id: Mapped[int] = mapped_column(primary_key=True)
    work_plan_id: Mapped[int] = mapped_column(
        sa.ForeignKey("work_plans.id", ondelete="CASCADE"), index=True
    )
    recommendation_id: Mapped[int] = mapped_column(sa.ForeignKey("recommendations.id"))
    reason: Mapped[str] = mapped_column(sa.Text)

    work_plan: Mapped[WorkPlan] = relationship(back_populates="exclusions")
    recommendation: Mapped[Recommendation] = relationship()

    __table_args__ = (
        sa.UniqueConstraint("work_plan_id", "recommendation_id"),
        sa.CheckConstraint("length(reason) > 0", name="reason_given"),
    )
