"""The work plan as a document for the Committee on Hemispheric Security: DOCX, HTML or CSV."""

# All three show the same content: title, mandates, per pillar a table of activities, then an
# annex with the coverage of every recommendation of the mandates.

from __future__ import annotations

import csv
import io
from dataclasses import dataclass

from docx import Document
from docx.enum.section import WD_ORIENT
from flask import render_template

from service.core.text import spreadsheet_safe
from service.workplan.coverage import Coverage, coverage_for
from service.workplan.models import Activity, Pillar, WorkPlan
from service.workplan.services import (
    cited_recommendations,
    lead_bodies,
    load_activities,
    supporting_bodies,
)

PILLAR_TITLES = {
    Pillar.PREVENTION: "Prevention",
    Pillar.PROTECTION_ASSISTANCE: "Protection and assistance",
    Pillar.PROSECUTION: "Prosecution",
    Pillar.COOPERATION_COORDINATION: "Cooperation and coordination",
    Pillar.FOLLOW_UP: "Follow-up",
}
ACTIVITY_COLUMNS = (
    "Code",
    "Activity",
    "Source recommendations",
    "Lead bodies",
    "Supporting bodies",
    "Timeline",
    "Indicators",
)
COVERAGE_COLUMNS = ("Recommendation", "Document", "Number", "Coverage", "Activities or reason")
COVERAGE_LABELS = {"covered": "Covered", "excluded": "Out of scope", "uncovered": "Not covered"}
MEDIA_TYPES = {
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "html": "text/html",
    "csv": "text/csv",
    "coverage-csv": "text/csv",
}
FILE_NAMES = {  # the part after the plan's code and version, e.g. WP-TIP-v1-2026-11-30.docx
    "docx": "{date}.docx",
    "html": "{date}.html",
    "csv": "activities-{date}.csv",
    "coverage-csv": "coverage-{date}.csv",
}


@dataclass
class ActivityRow:
    code: str
    title: str
    description: str
    expected_result: str | None
    recommendations: str
    lead: str
    support: str
    timeline: str
    indicators: list[str]

    def cells(self) -> tuple[str, ...]:
        return (
            self.code,
            self.title,
            self.recommendations,
            self.lead,
            self.support,
            self.timeline,
            "; ".join(self.indicators),
        )


@dataclass
class CommitteeDocument:
    plan: WorkPlan
    pillars: list[tuple[str, list[ActivityRow]]]
    coverage: Coverage

    @property
    def title(self) -> str:
        return self.plan.title

    @property
    def subtitle(self) -> str:
        period = ""
        if self.plan.period_start and self.plan.period_end:
            period = f", {self.plan.period_start.year}-{self.plan.period_end.year}"
        plan = self.plan
        return f"{plan.code}, version {plan.plan_version} ({plan.status.value}{period})"

    def coverage_rows(self) -> list[tuple[str, ...]]:
        rows = []
        for entry in self.coverage.entries:
            recommendation = entry.recommendation
            detail = (
                ", ".join(a.code for a in entry.activities)
                if entry.activities
                else entry.exclusion_reason or ""
            )
            rows.append(
                (
                    recommendation.reference,
                    recommendation.document.symbol,
                    str(recommendation.number),
                    COVERAGE_LABELS[entry.status],
                    detail,
                )
            )
        return rows

    @property
    def coverage_summary(self) -> str:
        t = self.coverage.totals
        return (
            f"{t.accounted_for} of {t.recommendations} recommendations accounted for: "
            f"{t.covered} covered by an activity, {t.excluded} out of scope for this plan, "
            f"{t.uncovered} not covered."
        )


def _row(activity: Activity) -> ActivityRow:
    return ActivityRow(
        code=activity.code,
        title=activity.title,
        description=activity.description,
        expected_result=activity.expected_result,
        recommendations=", ".join(r.reference for r in cited_recommendations(activity)),
        lead=", ".join(b.code for b in lead_bodies(activity)),
        support=", ".join(b.code for b in supporting_bodies(activity)),
        timeline=activity.timeline or "",
        indicators=list(activity.indicators or []),
    )


def committee_document(plan: WorkPlan) -> CommitteeDocument:
    activities = load_activities(plan)
    pillars = [
        (PILLAR_TITLES[pillar], [_row(a) for a in activities if a.pillar == pillar])
        for pillar in Pillar
    ]
    return CommitteeDocument(
        plan=plan,
        pillars=[(title, rows) for title, rows in pillars if rows],
        coverage=coverage_for(plan, activities),
    )


def render(document: CommitteeDocument, format: str) -> bytes:
    return {"docx": as_docx, "html": as_html, "csv": as_csv, "coverage-csv": as_coverage_csv}[
        format
    ](document)


def as_html(document: CommitteeDocument) -> bytes:
    return render_template(
        "workplan/document.html",
        document=document,
        columns=ACTIVITY_COLUMNS,
        coverage_columns=COVERAGE_COLUMNS,
    ).encode("utf-8")


def _csv(header, rows) -> bytes:
    """One table, UTF-8 with a byte-order mark: Excel reads a CSV without one in the machine's
    legacy code page (accents garbled); other tools skip it (Python: encoding="utf-8-sig")."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    for cells in (header, *rows):
        # Every cell is text someone typed (titles, indicators, exclusion reasons): a spreadsheet
        # opening the file must not run any of it as a formula.
        writer.writerow(spreadsheet_safe(cell) for cell in cells)
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def as_csv(document: CommitteeDocument) -> bytes:
    """The activities, one row each (the coverage annex is a file of its own: coverage-csv)."""
    return _csv(
        ("Pillar", *ACTIVITY_COLUMNS, "Description", "Expected result"),
        (
            (pillar, *row.cells(), row.description, row.expected_result)
            for pillar, rows in document.pillars
            for row in rows
        ),
    )


def as_coverage_csv(document: CommitteeDocument) -> bytes:
    """The coverage annex: every recommendation of the mandates and the activities covering it
    (or why it is out of scope), one row each."""
    return _csv(COVERAGE_COLUMNS, document.coverage_rows())


def as_docx(document: CommitteeDocument) -> bytes:
    docx = Document()
    section = docx.sections[0]
    # Landscape: the activity tables have seven columns.
    section.orientation = WD_ORIENT.LANDSCAPE
    section.page_width, section.page_height = section.page_height, section.page_width
    docx.add_heading(document.title, level=0)
    docx.add_paragraph(document.subtitle)
    docx.add_heading("Mandates", level=1)
    for mandate in document.coverage.documents:
        docx.add_paragraph(f"{mandate.document.symbol}: {mandate.document.title}", "List Bullet")
    if document.plan.notes:
        docx.add_paragraph(document.plan.notes)
    for pillar, rows in document.pillars:
        docx.add_heading(pillar, level=1)
        _docx_table(docx, ACTIVITY_COLUMNS, [row.cells() for row in rows])
    docx.add_heading("Annex: coverage of the recommendations", level=1)
    docx.add_paragraph(document.coverage_summary)
    _docx_table(docx, COVERAGE_COLUMNS, document.coverage_rows())
    buffer = io.BytesIO()
    docx.save(buffer)
    return buffer.getvalue()


def _docx_table(docx, header: tuple[str, ...], rows: list[tuple[str, ...]]) -> None:
    table = docx.add_table(rows=1, cols=len(header))
    table.style = "Table Grid"
    for cell, text in zip(table.rows[0].cells, header, strict=True):
        cell.text = text
        for run in cell.paragraphs[0].runs:
            run.bold = True
    for row in rows:
        for cell, text in zip(table.add_row().cells, row, strict=True):
            cell.text = text
