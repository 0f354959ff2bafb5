"""The progress report for a period (AG/RES. 2456 op. 9: the Permanent Council reports to the
General Assembly on implementation): DOCX or HTML."""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import date

from docx import Document
from docx.enum.section import WD_ORIENT
from docx.shared import Mm
from flask import render_template

from service.core.labels import label
from service.workplan.coverage import coverage_for
from service.workplan.document import _bodies
from service.workplan.models import (
    Activity,
    ActivityStatus,
    BodyRole,
    Pillar,
    ProgressNote,
    Recommendation,
    WorkPlan,
)
from service.workplan.resources import money, spent
from service.workplan.services import load_activities

STATUS_LABELS = {
    ActivityStatus.PLANNED: "Planned",
    ActivityStatus.IN_PROGRESS: "In progress",
    ActivityStatus.COMPLETED: "Completed",
    ActivityStatus.DEFERRED: "Deferred",
    ActivityStatus.CANCELLED: "Cancelled",
}
NOT_DONE = {ActivityStatus.PLANNED, ActivityStatus.DEFERRED, ActivityStatus.CANCELLED}
ACTIVITY_COLUMNS = ("Code", "Activity", "Lead bodies", "Status", "Progress in the period")
RECOMMENDATION_COLUMNS = ("Recommendation", "Advanced by", "State")
NOT_DONE_COLUMNS = ("Code", "Activity", "Status", "Why")
SPENDING_COLUMNS = ("Code", "Activity", "Estimated cost", "Spent in the period", "Spent to date")


@dataclass
class ActivityProgress:
    activity: Activity
    notes: list[ProgressNote]

    @property
    def status(self) -> str:
        return STATUS_LABELS[self.activity.status]

    def notes_text(self) -> str:
        if not self.notes:
            return "No progress recorded in the period."
        return "\n".join(_note_line(note, self.activity) for note in self.notes)


@dataclass
class ProgressReport:
    plan: WorkPlan
    start: date
    end: date
    pillars: list[tuple[str, list[ActivityProgress]]]
    recommendations: list[tuple[Recommendation, list[Activity], str | None]]
    activities: list[Activity]

    @property
    def title(self) -> str:
        return f"Progress report: {self.plan.title}"

    @property
    def subtitle(self) -> str:
        plan = self.plan
        return (
            f"{plan.code}, version {plan.plan_version} ({plan.status.value}); "
            f"period from {self.start.isoformat()} to {self.end.isoformat()}"
        )

    @property
    def notes_in_period(self) -> int:
        return sum(len(p.notes) for _, rows in self.pillars for p in rows)

    @property
    def empty(self) -> bool:
        return self.notes_in_period == 0

    @property
    def summary(self) -> str:
        if self.empty:
            return (
                f"No progress was recorded between {self.start.isoformat()} and "
                f"{self.end.isoformat()}. Every activity is listed below with its current status."
            )
        active = sum(1 for _, rows in self.pillars for p in rows if p.notes)
        return (
            f"{self.notes_in_period} progress notes were recorded on {active} of "
            f"{len(self.activities)} activities between {self.start.isoformat()} and "
            f"{self.end.isoformat()}."
        )

    def activity_rows(self, rows: list[ActivityProgress]) -> list[tuple[str, ...]]:
        return [
            (
                p.activity.code,
                p.activity.title,
                _bodies(p.activity, BodyRole.LEAD),
                p.status,
                p.notes_text(),
            )
            for p in rows
        ]

    def recommendation_rows(self) -> list[tuple[str, ...]]:
        rows = []
        for recommendation, activities, reason in self.recommendations:
            if activities:
                advanced = ", ".join(a.code for a in activities)
                state = "; ".join(f"{a.code}: {STATUS_LABELS[a.status]}" for a in activities)
            elif reason:
                advanced, state = "Out of scope", reason
            else:
                advanced, state = "No activity", "Not covered by the plan"
            rows.append((recommendation.reference, advanced, state))
        return rows

    def not_done_rows(self) -> list[tuple[str, ...]]:
        rows = []
        for activity in self.activities:
            if activity.status not in NOT_DONE:
                continue
            last = _last_note(activity, self.end)
            if activity.status == ActivityStatus.PLANNED:
                why = last.text if last else "Not started; no progress note gives a reason."
            else:
                why = last.text if last else "No progress note gives the reason."
            rows.append((activity.code, activity.title, STATUS_LABELS[activity.status], why))
        return rows

    def spending_rows(self) -> list[tuple[str, ...]]:
        return [
            (
                a.code,
                a.title,
                money(a.estimated_cost, a.currency),
                money(spent(a, self.start, self.end), a.currency),
                money(spent(a, None, self.end), a.currency),
            )
            for a in self.activities
            if a.estimated_cost is not None
        ]


def _note_line(note: ProgressNote, activity: Activity) -> str:
    line = f"{note.noted_on.isoformat()}: {note.text}"
    if note.amount_spent is not None:
        line += f" (spent {money(note.amount_spent, activity.currency)})"
    return line


def _last_note(activity: Activity, end: date) -> ProgressNote | None:
    notes = [n for n in activity.progress_notes if n.noted_on <= end]
    return notes[-1] if notes else None


def progress_report(plan: WorkPlan, start: date | None, end: date | None) -> ProgressReport:
    """The plan's activities and recommendations, with what was recorded in the period."""
    start = start or plan.period_start or date.min
    end = end or plan.period_end or date.max
    activities = load_activities(plan)
    progress = {
        a.id: ActivityProgress(a, [n for n in a.progress_notes if start <= n.noted_on <= end])
        for a in activities
    }
    pillars = [
        (label(pillar), [progress[a.id] for a in activities if a.pillar == pillar])
        for pillar in Pillar
    ]
    coverage = coverage_for(plan, activities)
    listed = {entry.recommendation.id for entry in coverage.entries}
    recommendations = [
        (e.recommendation, e.activities, e.exclusion_reason) for e in coverage.entries
    ]
    others: dict[int, tuple[Recommendation, list[Activity]]] = {}
    for activity in activities:  # cited texts outside the mandates (other OAS provisions)
        for link in activity.recommendation_links:
            if link.recommendation_id not in listed:
                others.setdefault(link.recommendation_id, (link.recommendation, []))[1].append(
                    activity
                )
    recommendations += [(r, acts, None) for r, acts in others.values()]
    return ProgressReport(
        plan=plan,
        start=start,
        end=end,
        pillars=[(title, rows) for title, rows in pillars if rows],
        recommendations=recommendations,
        activities=activities,
    )


def report_as_html(report: ProgressReport) -> bytes:
    return render_template(
        "workplan/progress_report.html",
        report=report,
        activity_columns=ACTIVITY_COLUMNS,
        recommendation_columns=RECOMMENDATION_COLUMNS,
        not_done_columns=NOT_DONE_COLUMNS,
        spending_columns=SPENDING_COLUMNS,
    ).encode("utf-8")


def report_as_docx(report: ProgressReport) -> bytes:
    from service.workplan.document import _docx_table

    docx = Document()
    section = docx.sections[0]
    section.orientation = WD_ORIENT.LANDSCAPE
    section.page_width, section.page_height = Mm(279.4), Mm(210)
    section.left_margin = section.right_margin = Mm(16)
    docx.add_heading(report.title, level=0)
    docx.add_paragraph(report.subtitle)
    docx.add_paragraph(
        "Prepared for the report of the Permanent Council to the General Assembly on the "
        "implementation of AG/RES. 2456 (XXXIX-O/09) (operative paragraph 9).",
        "List Number",
    )
    docx.add_paragraph(report.summary, "List Number")
    docx.add_heading("Activities by pillar", level=1)
    for pillar, rows in report.pillars:
        docx.add_heading(pillar, level=2)
        _docx_table(docx, ACTIVITY_COLUMNS, report.activity_rows(rows))
    docx.add_heading("Recommendations and the activities that advance them", level=1)
    _docx_table(docx, RECOMMENDATION_COLUMNS, report.recommendation_rows())
    docx.add_heading("What was not done, and why", level=1)
    not_done = report.not_done_rows()
    if not_done:
        _docx_table(docx, NOT_DONE_COLUMNS, not_done)
    else:
        docx.add_paragraph("Every activity is in progress or completed.")
    docx.add_heading("Resources spent against estimates", level=1)
    spending = report.spending_rows()
    if spending:
        _docx_table(docx, SPENDING_COLUMNS, spending)
    else:
        docx.add_paragraph("No activity has an estimated cost recorded.")
    buffer = io.BytesIO()
    docx.save(buffer)
    return buffer.getvalue()
