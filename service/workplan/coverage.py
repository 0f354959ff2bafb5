"""Coverage of a work plan: each recommendation of its mandates is covered, excluded or not."""

from __future__ import annotations

from dataclasses import dataclass, field

import sqlalchemy as sa
from sqlalchemy.orm import joinedload

from service.core.db import db
from service.workplan.loading import load_activities
from service.workplan.models import Activity, Recommendation, SourceDocument, WorkPlan

COVERED = "covered"
EXCLUDED = "excluded"
UNCOVERED = "uncovered"


@dataclass
class CoverageEntry:
    recommendation: Recommendation
    activities: list[Activity]
    exclusion_reason: str | None

    @property
    def status(self) -> str:
        # An activity citing an excluded recommendation still covers it: the work is planned.
        if self.activities:
            return COVERED
        return EXCLUDED if self.exclusion_reason else UNCOVERED

    @property
    def uncovered(self) -> bool:
        return self.status == UNCOVERED


@dataclass
class Totals:
    recommendations: int = 0
    covered: int = 0
    excluded: int = 0
    uncovered: int = 0

    @property
    def accounted_for(self) -> int:
        return self.covered + self.excluded

    def add(self, entry: CoverageEntry) -> None:
        self.recommendations += 1
        setattr(self, entry.status, getattr(self, entry.status) + 1)


TEXTS_NOT_LOADED = "texts_not_loaded"
COMPLETE = "complete"
INCOMPLETE = "incomplete"


@dataclass
class DocumentCoverage:
    document: SourceDocument
    totals: Totals = field(default_factory=Totals)

    @property
    def texts_loaded(self) -> bool:
        return self.document.texts_loaded

    @property
    def recommendations_known(self) -> int:
        return self.totals.recommendations

    @property
    def status(self) -> str:
        """complete only when its texts are loaded and each one is covered or excluded."""
        if not self.texts_loaded:
            return TEXTS_NOT_LOADED
        if self.totals.uncovered or not self.totals.recommendations:
            return INCOMPLETE
        return COMPLETE


@dataclass
class Coverage:
    work_plan: WorkPlan
    entries: list[CoverageEntry]
    totals: Totals
    documents: list[DocumentCoverage]

    @property
    def mandates_without_texts(self) -> list[DocumentCoverage]:
        return [d for d in self.documents if not d.texts_loaded]

    @property
    def complete(self) -> bool:
        """Every mandate's texts are loaded and every recommendation is accounted for."""
        return all(d.status == COMPLETE for d in self.documents)


def coverage_for(plan: WorkPlan, activities: list[Activity] | None = None) -> Coverage:
    """Every recommendation of the plan's mandate documents, with what accounts for it."""
    if activities is None:
        activities = load_activities(plan)
    covering: dict[int, list[Activity]] = {}
    for activity in activities:
        for link in activity.recommendation_links:
            covering.setdefault(link.recommendation_id, []).append(activity)
    reasons = {e.recommendation_id: e.reason for e in plan.exclusions}
    mandates = sorted(plan.mandates, key=lambda d: (d.date is None, d.date, d.id))
    by_document = {d.id: DocumentCoverage(d) for d in mandates}
    recommendations = db.session.execute(
        sa.select(Recommendation)
        .where(Recommendation.document_id.in_(list(by_document)))
        .options(joinedload(Recommendation.document))
        .order_by(Recommendation.number, Recommendation.item)
    ).scalars()
    order = {document_id: i for i, document_id in enumerate(by_document)}
    entries = [
        CoverageEntry(r, covering.get(r.id, []), reasons.get(r.id))
        for r in sorted(recommendations, key=lambda r: (order[r.document_id], r.number, r.item))
    ]
    totals = Totals()
    for entry in entries:
        totals.add(entry)
        by_document[entry.recommendation.document_id].totals.add(entry)
    return Coverage(plan, entries, totals, list(by_document.values()))
