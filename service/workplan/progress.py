"""Progress of a work plan: how many activities are in each status, per pillar and per body."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from service.workplan.models import Activity, ActivityStatus, BodyRole, Pillar, ResponsibleBody


def status_counts(activities: list[Activity]) -> dict[str, int]:
    counts = Counter(a.status.value for a in activities)
    return {"total": len(activities), **{s.value: counts[s.value] for s in ActivityStatus}}


@dataclass
class BodyProgress:
    body: ResponsibleBody
    leading: list[Activity] = field(default_factory=list)
    supporting: list[Activity] = field(default_factory=list)


def summary_for(activities: list[Activity]) -> dict:
    """Status counts overall, per pillar (all five, in order) and per responsible body."""
    bodies: dict[int, BodyProgress] = {}
    for activity in activities:
        for link in activity.body_links:
            progress = bodies.setdefault(link.body_id, BodyProgress(link.body))
            (progress.leading if link.role == BodyRole.LEAD else progress.supporting).append(
                activity
            )
    return {
        "overall": status_counts(activities),
        "pillars": [
            {"pillar": p, "statuses": status_counts([a for a in activities if a.pillar == p])}
            for p in Pillar
        ],
        "bodies": [
            {
                "body": p.body.code,
                "name": p.body.name,
                "leading": status_counts(p.leading),
                "supporting": status_counts(p.supporting),
            }
            for p in sorted(bodies.values(), key=lambda p: p.body.code)
        ],
    }
