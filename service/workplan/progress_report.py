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
from flask_babel import format_decimal
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

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
from service.workplan.translated import activity_text, document_date

STATUS_LABELS = {
    ActivityStatus.PLANNED: _l("Planned"),
    ActivityStatus.IN_PROGRESS: _l("In progress"),
    ActivityStatus.COMPLETED: _l("Completed"),
    ActivityStatus.DEFERRED: _l("Deferred"),
    ActivityStatus.CANCELLED: _l("Cancelled"),
}
NOT_DONE = {ActivityStatus.PLANNED, ActivityStatus.DEFERRED, ActivityStatus.CANCELLED}
ACTIVITY_COLUMNS = (
    _l("Code"),
    _l("Activity"),
    _l("Lead bodies"),
    _l("Status"),
    _l("Progress in the period"),
)
RECOMMENDATION_COLUMNS = (_l("Recommendation"), _l("Advanced by"), _l("State"))
NOT_DONE_COLUMNS = (_l("Code"), _l("Activity"), _l("Status"), _l("Why"))
SPENDING_COLUMNS = (
    _l("Code"),
    _l("Activity"),
    _l("Estimated cost"),
    _l("Spent in the period"),
    _l("Spent to date"),
)
PREPARED_FOR = _l(
    "Prepared for the report of the Permanent Council to the General Assembly on the "
    "implementation of AG/RES. 2456 (XXXIX-O/09) (operative paragraph 9)."
)
HEADINGS = {
    "activities": _l("Activities by pillar"),
    "recommendations": _l("Recommendations and the activities that advance them"),
    "not_done": _l("What was not done, and why"),
    "spending": _l("Resources spent against estimates"),
}
ALL_UNDER_WAY = _l("Every activity is in progress or completed.")
NO_ESTIMATES = _l("No activity has an estimated cost recorded.")


@dataclass
class ActivityProgress:
    activity: Activity
    notes: list[ProgressNote]

    @property
    def status(self) -> str:
        return str(STATUS_LABELS[self.activity.status])

    def notes_text(self) -> str:
        if not self.notes:
            return _("No progress recorded in the period.")
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
        return _("Progress report: %(title)s", title=self.plan.title)

    @property
    def subtitle(self) -> str:
        plan = self.plan
        return _(
            "%(code)s, version %(version)s (%(status)s); period from %(start)s to %(end)s",
            code=plan.code,
            version=plan.plan_version,
            status=label(plan.status),
            start=_day(self.start),
            end=_day(self.end),
        )

    @property
    def notes_in_period(self) -> int:
        return sum(len(p.notes) for _pillar, rows in self.pillars for p in rows)

    @property
    def empty(self) -> bool:
        return self.notes_in_period == 0

    @property
    def summary(self) -> str:
        if self.empty:
            return _(
                "No progress was recorded between %(start)s and %(end)s. Every activity is "
                "listed below with its current status.",
                start=_day(self.start),
                end=_day(self.end),
            )
        active = sum(1 for _pillar, rows in self.pillars for p in rows if p.notes)
        return _(
            "%(notes)s progress notes were recorded on %(active)s of %(activities)s activities "
            "between %(start)s and %(end)s.",
            notes=format_decimal(self.notes_in_period),
            active=format_decimal(active),
            activities=format_decimal(len(self.activities)),
            start=_day(self.start),
            end=_day(self.end),
        )

    def activity_rows(self, rows: list[ActivityProgress]) -> list[tuple[str, ...]]:
        return [
            (
                p.activity.code,
                str(activity_text(p.activity, "title")),
                _bodies(p.activity, BodyRole.LEAD),
                p.status,
                p.notes_text(),
            )
            for p in rows
        ]

    def recommendation_rows(self) -> list[tuple[str, ...]]:
        rows: list[tuple[str, ...]] = []
        for recommendation, activities, reason in self.recommendations:
            if activities:
                advanced = ", ".join(a.code for a in activities)
                state = "; ".join(f"{a.code}: {STATUS_LABELS[a.status]}" for a in activities)
            elif reason:
                advanced, state = _("Out of scope"), reason
            else:
                advanced, state = _("No activity"), _("Not covered by the plan")
            rows.append((recommendation.reference, advanced, state))
        return rows

    def not_done_rows(self) -> list[tuple[str, ...]]:
        rows: list[tuple[str, ...]] = []
        for activity in self.activities:
            if activity.status not in NOT_DONE:
                continue
            last = _last_note(activity, self.end)
            if activity.status == ActivityStatus.PLANNED:
                why = last.text if last else _("Not started; no progress note gives a reason.")
            else:
                why = last.text if last else _("No progress note gives the reason.")
            rows.append(
                (
                    activity.code,
                    str(activity_text(activity, "title")),
                    str(STATUS_LABELS[activity.status]),
                    why,
                )
            )
        return rows

    def spending_rows(self) -> list[tuple[str, ...]]:
        return [
            (
                a.code,
                str(activity_text(a, "title")),
                money(a.estimated_cost, a.currency),
                money(spent(a, self.start, self.end), a.currency),
                money(spent(a, None, self.end), a.currency),
            )
            for a in self.activities
            if a.estimated_cost is not None
        ]


def _note_line(note: ProgressNote, activity: Activity) -> str:
    line = f"{_day(note.noted_on)}: {note.text}"
    if note.amount_spent is not None:
        line += " " + _("(spent %(amount)s)", amount=money(note.amount_spent, activity.currency))
    return line


def _day(day: date) -> str:
    """A date of the report; the open ends of a plan without a period stay as they are."""
    if day in (date.min, date.max):
        return day.isoformat()
    return document_date(day)


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
        (str(label(pillar)), [progress[a.id] for a in activities if a.pillar == pillar])
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
        prepared_for=PREPARED_FOR,
        headings=HEADINGS,
        all_under_way=ALL_UNDER_WAY,
        no_estimates=NO_ESTIMATES,
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
    docx.add_paragraph(str(PREPARED_FOR), "List Number")
    docx.add_paragraph(report.summary, "List Number")
    docx.add_heading(str(HEADINGS["activities"]), level=1)
    for pillar, rows in report.pillars:
        docx.add_heading(pillar, level=2)
        _docx_table(docx, ACTIVITY_COLUMNS, report.activity_rows(rows))
    docx.add_heading(str(HEADINGS["recommendations"]), level=1)
    _docx_table(docx, RECOMMENDATION_COLUMNS, report.recommendation_rows())
    docx.add_heading(str(HEADINGS["not_done"]), level=1)
    not_done = report.not_done_rows()
    if not_done:
        _docx_table(docx, NOT_DONE_COLUMNS, not_done)
    else:
        docx.add_paragraph(str(ALL_UNDER_WAY))
    docx.add_heading(str(HEADINGS["spending"]), level=1)
    spending = report.spending_rows()
    if spending:
        _docx_table(docx, SPENDING_COLUMNS, spending)
    else:
        docx.add_paragraph(str(NO_ESTIMATES))
    buffer = io.BytesIO()
    docx.save(buffer)
    return buffer.getvalue()
