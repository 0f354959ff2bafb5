"""The draft Work Plan: source documents, recommendations, responsible bodies, plans, activities."""

from __future__ import annotations

import enum
from datetime import date

import sqlalchemy as sa
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


class RecommendationSection(enum.StrEnum):
    GENERAL = "general"
    TECHNICAL_WORKING_GROUP_I = "technical_working_group_i"
    TECHNICAL_WORKING_GROUP_II = "technical_working_group_ii"
    WE_ALSO_RESOLVE = "we_also_resolve"
    OPERATIVE_PARAGRAPH = "operative_paragraph"


class BodyKind(enum.StrEnum):
    ORGAN = "organ"
    SECRETARIAT = "secretariat"
    SPECIALIZED_ORGANIZATION = "specialized_organization"
    MEMBER_STATES = "member_states"
    EXTERNAL_PARTNER = "external_partner"


class WorkPlanStatus(enum.StrEnum):
    DRAFT = "draft"
    SUBMITTED = "submitted"  # to the Committee on Hemispheric Security: frozen
    APPROVED = "approved"
    SUPERSEDED = "superseded"


class Pillar(enum.StrEnum):
    PREVENTION = "prevention"
    PROTECTION_ASSISTANCE = "protection_assistance"
    PROSECUTION = "prosecution"
    COOPERATION_COORDINATION = "cooperation_coordination"
    FOLLOW_UP = "follow_up"


PILLAR_LABELS = vocabulary(
    {
        Pillar.PREVENTION: "Prevention",
        Pillar.PROTECTION_ASSISTANCE: "Protection and assistance",
        Pillar.PROSECUTION: "Prosecution",
        Pillar.COOPERATION_COORDINATION: "Cooperation and coordination",
        Pillar.FOLLOW_UP: "Follow-up",
    }
)


class ActivityStatus(enum.StrEnum):
    PLANNED = "planned"
    IN_PROGRESS = "in_progress"
    COMPLETED = "completed"
    DEFERRED = "deferred"
    CANCELLED = "cancelled"


class BodyRole(enum.StrEnum):
    LEAD = "lead"
    SUPPORT = "support"


class SourceDocument(TimestampMixin, db.Model):
    __tablename__ = "source_documents"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(sa.String(40), unique=True)  # short, URL-safe
    symbol: Mapped[str] = mapped_column(sa.String(200), unique=True)  # as printed
    title: Mapped[str] = mapped_column(sa.Text)
    date: Mapped[date | None] = mapped_column(sa.Date)
    kind: Mapped[DocumentKind] = mapped_column(enum_column(DocumentKind, "document_kind"))

    recommendations: Mapped[list[Recommendation]] = relationship(
        back_populates="document", order_by="Recommendation.number"
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
    section: Mapped[RecommendationSection] = mapped_column(
        enum_column(RecommendationSection, "recommendation_section")
    )
    reference: Mapped[str] = mapped_column(sa.String(60), unique=True)  # e.g. RTP-II/R47
    text: Mapped[str] = mapped_column(sa.Text)

    document: Mapped[SourceDocument] = relationship(back_populates="recommendations")

    __table_args__ = (
        sa.UniqueConstraint("document_id", "number"),
        sa.CheckConstraint("number > 0", name="number_positive"),
    )

    def __str__(self) -> str:
        return self.reference


class ResponsibleBody(TimestampMixin, db.Model):
    __tablename__ = "responsible_bodies"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(sa.String(40), unique=True)
    name: Mapped[str] = mapped_column(sa.String(300), unique=True)
    kind: Mapped[BodyKind] = mapped_column(enum_column(BodyKind, "body_kind"))
    parent_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("responsible_bodies.id"), index=True
    )

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

    mandates: Mapped[list[SourceDocument]] = relationship(secondary=work_plan_mandates)
    activities: Mapped[list[Activity]] = relationship(
        back_populates="work_plan", order_by="Activity.code"
    )
    exclusions: Mapped[list[CoverageExclusion]] = relationship(
        back_populates="work_plan", cascade="all, delete-orphan"
    )
    predecessor: Mapped[WorkPlan | None] = relationship(remote_side=[id])

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
    predecessor: Mapped[Activity | None] = relationship(remote_side=[id])

    __table_args__ = (sa.UniqueConstraint("work_plan_id", "code"),)

    def __str__(self) -> str:
        return f"{self.code} {self.title}"


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

    activity: Mapped[Activity] = relationship(back_populates="body_links")
    body: Mapped[ResponsibleBody] = relationship()


class ProgressNote(TimestampMixin, db.Model):
    __tablename__ = "progress_notes"

    id: Mapped[int] = mapped_column(primary_key=True)
    activity_id: Mapped[int] = mapped_column(
        sa.ForeignKey("activities.id", ondelete="CASCADE"), index=True
    )
    noted_on: Mapped[date] = mapped_column(sa.Date)
    text: Mapped[str] = mapped_column(sa.Text)
    author: Mapped[str | None] = mapped_column(sa.String(320))

    activity: Mapped[Activity] = relationship(back_populates="progress_notes")


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
