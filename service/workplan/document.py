"""The work plan as a document for the Committee on Hemispheric Security: DOCX, HTML or CSV."""

# All three show the same content: title, mandates, per pillar a table of activities, then an
# annex with the coverage of every recommendation of the mandates.

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from docx import Document
from docx.enum.section import WD_ORIENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.shared import Mm
from flask import render_template
from flask_babel import format_decimal
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from service.core.labels import label
from service.core.text import spreadsheet_safe
from service.workplan.coverage import Coverage, DocumentCoverage, coverage_for
from service.workplan.models import (
    Activity,
    BodyBasis,
    BodyRole,
    FundingSource,
    Pillar,
    Recommendation,
    SourceDocument,
    WorkPlan,
)
from service.workplan.resources import FUNDING_LABELS, money, resources_of
from service.workplan.services import cited_recommendations, load_activities
from service.workplan.translated import ActivityText, activity_text, document_date

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
    # in the reader's language, or the English source marked as such
    title: ActivityText
    description: ActivityText
    expected_result: ActivityText
    recommendations: str
    lead: str
    support: str
    timeline: str
    indicators: list[str]

    def cells(self) -> tuple[str, ...]:
        return (
            self.code,
            str(self.title),
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
    activities: list[Activity]

    # -- title page and approval block --------------------------------------------------

    symbol_placeholder = _l("OEA/Ser.G CP/CSH-[number]/[year]")
    date_placeholder = _l("[date]")
    heading_lines = (
        _l("ORGANIZATION OF AMERICAN STATES"),
        _l("PERMANENT COUNCIL"),
        _l("COMMITTEE ON HEMISPHERIC SECURITY"),
    )

    def approval_rows(self) -> list[tuple[str, ...]]:
        plan = self.plan
        rows: list[tuple[str, ...]] = []
        for step, body, on, meeting, symbol in (
            (
                _("Submitted to"),
                plan.submitted_to,
                plan.submitted_on,
                plan.submission_meeting,
                plan.submission_symbol,
            ),
            (
                _("Approved by"),
                plan.approved_by,
                plan.approved_on,
                plan.approval_meeting,
                plan.approval_symbol,
            ),
        ):
            rows.append(
                (
                    step,
                    f"{body.name} ({body.code})" if body else str(PENDING),
                    document_date(on) if on else str(PENDING),
                    meeting or str(PENDING),
                    symbol or str(PENDING),
                )
            )
        return rows

    @property
    def successor_note(self) -> str | None:
        successor = self.plan.superseded_by
        if successor is None:
            return None
        return _(
            "Superseded by version %(version)s of %(code)s (%(status)s).",
            version=successor.plan_version,
            code=successor.code,
            status=label(successor.status),
        )

    # -- numbered paragraphs -------------------------------------------------------------

    def paragraphs(self) -> list[str]:
        texts = []
        if self.plan.notes:
            texts.append(self.plan.notes)
        for mandate in self.coverage.documents:
            texts.append(_mandate_paragraph(mandate))
        texts.append(
            _(
                "Bodies marked (proposed) are assignments the General Secretariat proposes: no "
                "text the activity cites names them. Every other assignment is named in a cited "
                "text, whose full wording is in Annex II."
            )
        )
        texts.append(
            _(
                "The execution of this plan is subject to the availability of financial "
                "resources in the program-budget of the Organization and other resources "
                "(AG/RES. 2456 (XXXIX-O/09), operative paragraph 9)."
            )
        )
        return texts

    # -- legend, resources, texts of the cited recommendations ---------------------------

    def legend_rows(self) -> list[tuple[str, str]]:
        bodies = {link.body.code: link.body.name for a in self.activities for link in a.body_links}
        return sorted(bodies.items())

    def resource_rows(self) -> list[tuple[str, ...]]:
        return [
            (
                a.code,
                str(activity_text(a, "title")),
                money(a.estimated_cost, a.currency) or _("Not estimated"),
                str(FUNDING_LABELS[a.funding_source]),
                _("Yes") if a.subject_to_resources else _("No"),
            )
            for a in self.activities
        ]

    def resource_totals(self) -> list[tuple[str, ...]]:
        resources = resources_of(self.activities)
        rows: list[tuple[str, ...]] = [
            (
                _("Pillar"),
                str(label(Pillar(t.key))),
                money(t.estimated, t.currency),
                format_decimal(t.activities),
            )
            for t in resources.by_pillar
        ]
        rows += [
            (
                _("Funding source"),
                str(FUNDING_LABELS[FundingSource(t.key)]),
                money(t.estimated, t.currency),
                format_decimal(t.activities),
            )
            for t in resources.by_source
        ]
        if resources.not_estimated:
            rows.append(
                (_("Not estimated"), ", ".join(a.code for a in resources.not_estimated), "", "")
            )
        return rows

    def cited_texts(self) -> list[Recommendation]:
        """Every recommendation an activity or an exclusion cites, in document order."""
        cited = {
            link.recommendation.id: link.recommendation
            for a in self.activities
            for link in a.recommendation_links
        }
        for exclusion in self.plan.exclusions:
            cited[exclusion.recommendation_id] = exclusion.recommendation
        return sorted(
            cited.values(),
            key=lambda r: (
                r.document.date is None,
                r.document.date,
                r.document_id,
                r.number,
                r.item,
            ),
        )

    @staticmethod
    def annex_heading(recommendation: Recommendation) -> str:
        """RTP-II/R47: RTP-II/doc.5/09 rev. 10, recommendation 47 (and the date if inferred)."""
        heading = f"{recommendation.reference}: {recommendation.citation}"
        document = recommendation.document
        if document.date_inferred and document.date:
            heading += _(" (not dated; inferred date %(date)s)", date=document_date(document.date))
        return heading

    def mandate_rows(self) -> list[tuple[str, ...]]:
        rows: list[tuple[str, ...]] = []
        for mandate in self.coverage.documents:
            t = mandate.totals
            rows.append(
                (
                    mandate.document.symbol,
                    _("Yes") if mandate.texts_loaded else _("No: not counted as covered"),
                    format_decimal(mandate.recommendations_known),
                    format_decimal(t.covered),
                    format_decimal(t.excluded),
                    format_decimal(t.uncovered),
                )
            )
        return rows

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
        rows: list[tuple[str, ...]] = []
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
            accounted=format_decimal(t.accounted_for),
            total=format_decimal(t.recommendations),
            covered=format_decimal(t.covered),
            excluded=format_decimal(t.excluded),
            uncovered=format_decimal(t.uncovered),
        )


PENDING = _l("[to be completed]")
MANDATE_COLUMNS = (
    _l("Document"),
    _l("Texts loaded"),
    _l("Recommendations known"),
    _l("Covered"),
    _l("Out of scope"),
    _l("Not covered"),
)
APPROVAL_COLUMNS = (_l("Step"), _l("Body"), _l("Date"), _l("Meeting"), _l("Document symbol"))
LEGEND_COLUMNS = (_l("Code"), _l("Body"))
RESOURCE_COLUMNS = (
    _l("Code"),
    _l("Activity"),
    _l("Estimated cost"),
    _l("Funding source"),
    _l("Subject to available resources"),
)
TOTAL_COLUMNS = (_l("Total per"), "", _l("Estimated cost"), _l("Activities"))


PROPOSED_LEGEND = _l("(proposed): proposed by the General Secretariat; no cited text names it.")


def _date(document: SourceDocument) -> str:
    if document.date is None:
        return _("undated")
    text = document_date(document.date)
    if document.date_inferred:
        return _("%(date)s, inferred: %(note)s", date=text, note=document.date_note)
    return text


def _mandate_paragraph(mandate: DocumentCoverage) -> str:
    document = mandate.document
    head = f"{document.symbol}, {document.title} ({_date(document)})"
    if not mandate.texts_loaded:
        return _(
            "%(document)s: its texts are not among the sources loaded; none of its "
            "recommendations is known, and it is not counted as covered.",
            document=head,
        )
    return _(
        "%(document)s: %(count)s recommendations or paragraphs.",
        document=head,
        count=mandate.recommendations_known,
    )


def _row(activity: Activity) -> ActivityRow:
    return ActivityRow(
        code=activity.code,
        title=activity_text(activity, "title"),
        description=activity_text(activity, "description"),
        expected_result=activity_text(activity, "expected_result"),
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
        (str(label(pillar)), [_row(a) for a in activities if a.pillar == pillar])
        for pillar in Pillar
    ]
    return CommitteeDocument(
        plan=plan,
        pillars=[(title, rows) for title, rows in pillars if rows],
        coverage=coverage_for(plan, activities),
        activities=activities,
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
        approval_columns=APPROVAL_COLUMNS,
        legend_columns=LEGEND_COLUMNS,
        resource_columns=RESOURCE_COLUMNS,
        total_columns=TOTAL_COLUMNS,
        mandate_columns=MANDATE_COLUMNS,
    ).encode("utf-8")


def _csv(header: Any, rows: Any) -> bytes:
    """One table, UTF-8 with a byte-order mark: Excel reads a CSV without one in the machine's
    legacy code page (accents garbled); other tools skip it (Python: encoding="utf-8-sig")."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    for cells in (header, *rows):
        # Every cell is text someone typed (titles, indicators, exclusion reasons): a spreadsheet
        # opening the file must not run any of it as a formula.
        writer.writerow(spreadsheet_safe(None if cell is None else str(cell)) for cell in cells)
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def as_csv(document: CommitteeDocument) -> bytes:
    """The activities, one row each (the coverage annex is a file of its own: coverage-csv)."""
    resources = {row[0]: row[2:] for row in document.resource_rows()}
    return _csv(
        (
            _("Pillar"),
            *ACTIVITY_COLUMNS,
            _("Description"),
            _("Expected result"),
            _("Estimated cost"),
            _("Funding source"),
            _("Subject to available resources"),
        ),
        (
            (
                pillar,
                *row.cells(),
                str(row.description),
                str(row.expected_result),
                *resources[row.code],
            )
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
    # Landscape, sized so the tables fit both A4 and US Letter: the text area (247 x 160 mm)
    # lies within either sheet with margins of at least 16 mm.
    section.orientation = WD_ORIENT.LANDSCAPE
    section.page_width, section.page_height = Mm(279.4), Mm(210)
    for side in ("left_margin", "right_margin"):
        setattr(section, side, Mm(16))
    section.top_margin = section.bottom_margin = Mm(25)
    _title_page(docx, document)
    docx.add_heading(_("Approval record"), level=1)
    _docx_table(docx, APPROVAL_COLUMNS, document.approval_rows())
    if document.successor_note:
        docx.add_paragraph(document.successor_note)
    docx.add_heading(_("Mandates"), level=1)
    for text in document.paragraphs():
        docx.add_paragraph(text, "List Number")
    docx.add_heading(_("Legend of body codes"), level=1)
    _docx_table(docx, LEGEND_COLUMNS, document.legend_rows())
    docx.add_paragraph(PROPOSED_LEGEND)
    for pillar, rows in document.pillars:
        docx.add_heading(pillar, level=1)
        _docx_table(docx, ACTIVITY_COLUMNS, [row.cells() for row in rows])
    docx.add_heading(_("Resources"), level=1)
    _docx_table(docx, RESOURCE_COLUMNS, document.resource_rows())
    _docx_table(docx, TOTAL_COLUMNS, document.resource_totals())
    docx.add_heading(_("Annex: coverage of the recommendations"), level=1)
    docx.add_paragraph(document.coverage_summary)
    _docx_table(docx, MANDATE_COLUMNS, document.mandate_rows())
    _docx_table(docx, COVERAGE_COLUMNS, document.coverage_rows())
    docx.add_heading(_("Annex II: texts of the cited recommendations"), level=1)
    for recommendation in document.cited_texts():
        docx.add_paragraph(document.annex_heading(recommendation), "Heading 3")
        for part in recommendation.text.split("\n\n"):
            docx.add_paragraph(part)
    buffer = io.BytesIO()
    docx.save(buffer)
    return buffer.getvalue()


def _title_page(docx: Any, document: CommitteeDocument) -> None:
    for line in document.heading_lines:
        paragraph = docx.add_paragraph()
        paragraph.add_run(str(line)).bold = True
    for line in (document.symbol_placeholder, document.date_placeholder, _("Original: English")):
        paragraph = docx.add_paragraph(line)
        paragraph.alignment = WD_ALIGN_PARAGRAPH.RIGHT
    docx.add_heading(document.title, level=0)
    docx.add_paragraph(document.subtitle)
    docx.add_paragraph(_("(Draft prepared by the General Secretariat)"))
    docx.add_page_break()


def _docx_table(docx: Any, header: tuple[str, ...], rows: Sequence[tuple[str, ...]]) -> None:
    table = docx.add_table(rows=1, cols=len(header))
    table.style = "Table Grid"
    for cell, text in zip(table.rows[0].cells, header, strict=True):
        cell.text = str(text)
        for run in cell.paragraphs[0].runs:
            run.bold = True
    for row in rows:
        for cell, text in zip(table.add_row().cells, row, strict=True):
            cell.text = text
