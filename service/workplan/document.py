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
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from service.core.text import spreadsheet_safe
from service.vocabularies import label
from service.workplan.coverage import Coverage, coverage_for
from service.workplan.models import Activity, BodyBasis, BodyRole, Pillar, WorkPlan
from service.workplan.services import cited_recommendations, load_activities

PILLAR_TITLES = {
    Pillar.PREVENTION: _l("Prevention"),
    Pillar.PROTECTION_ASSISTANCE: _l("Protection and assistance"),
    Pillar.PROSECUTION: _l("Prosecution"),
    Pillar.COOPERATION_COORDINATION: _l("Cooperation and coordination"),
    Pillar.FOLLOW_UP: _l("Follow-up"),
}
ACTIVITY_COLUMNS = (
    _l("Code"),
    _l("Activity"),
    _l("Source recommendations"),
    _l("Lead bodies"),
    _l("Supporting bodies"),
    _l("Timeline"),
    _l("Indicators"),
)
COVERAGE_COLUMNS = (
    _l("Recommendation"),
    _l("Document"),
    _l("Number"),
    _l("Coverage"),
    _l("Activities or reason"),
)
COVERAGE_LABELS = {
    "covered": _l("Covered"),
    "excluded": _l("Out of scope"),
    "uncovered": _l("Not covered"),
}
MEDIA_TYPES = {
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "html": "text/html",
    "csv": "text/csv",
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
        return _(
            "%(code)s, version %(version)s (%(status)s%(period)s)",
            code=plan.code,
            version=plan.plan_version,
            status=label(plan.status),
            period=period,
        )

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
                    str(COVERAGE_LABELS[entry.status]),
                    detail,
                )
            )
        return rows

    @property
    def coverage_summary(self) -> str:
        t = self.coverage.totals
        return _(
            "%(accounted)s of %(total)s recommendations accounted for: %(covered)s covered by an "
            "activity, %(excluded)s out of scope for this plan, %(uncovered)s not covered.",
            accounted=t.accounted_for,
            total=t.recommendations,
            covered=t.covered,
            excluded=t.excluded,
            uncovered=t.uncovered,
        )


def _row(activity: Activity) -> ActivityRow:
    return ActivityRow(
        code=activity.code,
        title=activity.title,
        description=activity.description,
        expected_result=activity.expected_result,
        recommendations=", ".join(r.reference for r in cited_recommendations(activity)),
        lead=_bodies(activity, BodyRole.LEAD),
        support=_bodies(activity, BodyRole.SUPPORT),
        timeline=activity.timeline or "",
        indicators=list(activity.indicators or []),
    )


def _bodies(activity: Activity, role: BodyRole) -> str:
    """Body codes, each proposal marked: "MS, DPS (proposed)"."""
    links = sorted(
        (link for link in activity.body_links if link.role == role), key=lambda link: link.body.code
    )
    return ", ".join(
        link.body.code + (_(" (proposed)") if link.basis == BodyBasis.PROPOSED else "")
        for link in links
    )


def committee_document(plan: WorkPlan) -> CommitteeDocument:
    activities = load_activities(plan)
    pillars = [
        (str(PILLAR_TITLES[pillar]), [_row(a) for a in activities if a.pillar == pillar])
        for pillar in Pillar
    ]
    return CommitteeDocument(
        plan=plan,
        pillars=[(title, rows) for title, rows in pillars if rows],
        coverage=coverage_for(plan, activities),
    )


def render(document: CommitteeDocument, format: str) -> bytes:
    return {"docx": as_docx, "html": as_html, "csv": as_csv}[format](document)


def as_html(document: CommitteeDocument) -> bytes:
    return render_template(
        "workplan/document.html",
        document=document,
        columns=[str(c) for c in ACTIVITY_COLUMNS],
        coverage_columns=[str(c) for c in COVERAGE_COLUMNS],
    ).encode("utf-8")


def as_csv(document: CommitteeDocument) -> bytes:
    """Two tables one after the other, separated by an empty row: activities, then coverage."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)

    def write(cells) -> None:
        # Every cell is text someone typed (titles, indicators, exclusion reasons): a spreadsheet
        # opening the file must not run any of it as a formula.
        writer.writerow(spreadsheet_safe(None if cell is None else str(cell)) for cell in cells)

    write((_("Pillar"), *ACTIVITY_COLUMNS, _("Description"), _("Expected result")))
    for pillar, rows in document.pillars:
        for row in rows:
            write((pillar, *row.cells(), row.description, row.expected_result))
    writer.writerow(())
    write(COVERAGE_COLUMNS)
    for row in document.coverage_rows():
        write(row)
    # A byte-order mark so spreadsheet programs read the accents as UTF-8.
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def as_docx(document: CommitteeDocument) -> bytes:
    docx = Document()
    section = docx.sections[0]
    # Landscape: the activity tables have seven columns.
    section.orientation = WD_ORIENT.LANDSCAPE
    section.page_width, section.page_height = section.page_height, section.page_width
    docx.add_heading(document.title, level=0)
    docx.add_paragraph(document.subtitle)
    docx.add_heading(_("Mandates"), level=1)
    for mandate in document.coverage.documents:
        docx.add_paragraph(f"{mandate.document.symbol}: {mandate.document.title}", "List Bullet")
    if document.plan.notes:
        docx.add_paragraph(document.plan.notes)
    for pillar, rows in document.pillars:
        docx.add_heading(pillar, level=1)
        _docx_table(docx, ACTIVITY_COLUMNS, [row.cells() for row in rows])
    docx.add_heading(_("Annex: coverage of the recommendations"), level=1)
    docx.add_paragraph(document.coverage_summary)
    _docx_table(docx, COVERAGE_COLUMNS, document.coverage_rows())
    buffer = io.BytesIO()
    docx.save(buffer)
    return buffer.getvalue()


def _docx_table(docx, header: tuple[str, ...], rows: list[tuple[str, ...]]) -> None:
    table = docx.add_table(rows=1, cols=len(header))
    table.style = "Table Grid"
    for cell, text in zip(table.rows[0].cells, header, strict=True):
        cell.text = str(text)
        for run in cell.paragraphs[0].runs:
            run.bold = True
    for row in rows:
        for cell, text in zip(table.add_row().cells, row, strict=True):
            cell.text = text
