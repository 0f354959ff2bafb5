"""Duplication check: pairs of activities of one plan that the secretariat may want to merge."""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field

from rapidfuzz import fuzz

from service.core.text import fold
from service.workplan.models import Activity, BodyRole, Recommendation, ResponsibleBody

# Two signals, either enough: both activities cite the same recommendation and share a lead
# body (the same body asked twice for the same thing), or their "title description" texts
# are near-duplicates by rapidfuzz token_set_ratio (word order and repeats ignored, so a
# reordered or padded copy still shows). Why 85: on the seeded draft (30 activities, 435
# pairs) the highest score of two distinct activities is 71 (PROS-01/PROS-02, related but
# separate work), while a copy with a reworded title or a changed sentence scores 95 and more.
# 85 leaves a margin on both sides.
SIMILARITY_THRESHOLD = 85.0


@dataclass
class Overlap:
    first: Activity
    second: Activity
    shared_recommendations: list[Recommendation] = field(default_factory=list)
    shared_lead_bodies: list[ResponsibleBody] = field(default_factory=list)
    similarity: float = 0.0

    @property
    def reasons(self) -> list[str]:
        reasons = []
        if self.shared_recommendations and self.shared_lead_bodies:
            reasons.append("same_recommendation_and_lead")
        if self.similarity >= SIMILARITY_THRESHOLD:
            reasons.append("similar_text")
        return reasons


def _comparable_text(activity: Activity) -> str:
    return fold(f"{activity.title} {activity.description}")


def overlaps_among(activities: list[Activity]) -> list[Overlap]:
    """Every pair of activities with at least one reason to merge them, most similar first."""
    texts = {a.id: _comparable_text(a) for a in activities}
    found = []
    for first, second in itertools.combinations(sorted(activities, key=lambda a: a.code), 2):
        overlap = Overlap(
            first,
            second,
            shared_recommendations=_shared(first, second),
            shared_lead_bodies=_shared_leads(first, second),
            similarity=round(fuzz.token_set_ratio(texts[first.id], texts[second.id]), 1),
        )
        if overlap.reasons:
            found.append(overlap)
    return sorted(found, key=lambda o: (-o.similarity, o.first.code, o.second.code))


def _shared(first: Activity, second: Activity) -> list[Recommendation]:
    theirs = {link.recommendation_id for link in second.recommendation_links}
    return sorted(
        (
            link.recommendation
            for link in first.recommendation_links
            if link.recommendation_id in theirs
        ),
        key=lambda r: r.reference,
    )


def _shared_leads(first: Activity, second: Activity) -> list[ResponsibleBody]:
    def leads(activity: Activity) -> dict[int, ResponsibleBody]:
        return {k.body_id: k.body for k in activity.body_links if k.role == BodyRole.LEAD}

    theirs = leads(second)
    return sorted((b for i, b in leads(first).items() if i in theirs), key=lambda b: b.code)
