"""The document for the Committee: DOCX, HTML and CSV with every activity and recommendation."""

import csv
import io
from datetime import UTC, datetime

import pytest
import sqlalchemy as sa
from docx import Document

from service.workplan.models import Recommendation, SourceDocument

from .workplan_fixtures import *  # noqa: F403 - the fixtures
from .workplan_fixtures import (
    PLANS,
    seeded_activity,
)


def mandate_references(session) -> list[str]:
    return list(
        session.execute(
            sa.select(Recommendation.reference)
            .join(Recommendation.document)
            .where(SourceDocument.code.in_(["RTP-II", "AG-RES-2456"]))
        ).scalars()
    )


def activity_codes(plan) -> list[str]:
    return [a.code for a in plan.activities]


def download(api, plan, fmt: str):
    response = api.get(f"{PLANS}/{plan.id}/document?format={fmt}")
    assert response.status_code == 200, response.data[:300]
    name = {"csv": "activities-DATE.csv", "coverage-csv": "coverage-DATE.csv"}.get(
        fmt, "DATE." + fmt
    )
    today = datetime.now(UTC).date().isoformat()
    filename = "WP-TIP-v1-" + name.replace("DATE", today)
    assert response.headers["Content-Disposition"] == f'attachment; filename="{filename}"'

    return response


def test_docx_holds_mandates_every_activity_and_the_coverage_annex(api, seeded_plan, session):
    response = download(api, seeded_plan, "docx")
    assert response.mimetype.endswith("wordprocessingml.document")
    docx = Document(io.BytesIO(response.data))
    paragraphs = [p.text for p in docx.paragraphs]
    assert paragraphs[0] == seeded_plan.title
    assert "Mandates" in paragraphs
    assert any(p.startswith("RTP-II/doc.5/09 rev. 10") for p in paragraphs)
    assert "Annex: coverage of the recommendations" in paragraphs
    assert "60 of 60 recommendations accounted for" in "\n".join(paragraphs)
    *pillar_tables, annex = docx.tables
    assert len(pillar_tables) == 5
    assert [c.text for c in pillar_tables[0].rows[0].cells] == [
        "Code",
        "Activity",
        "Source recommendations",
        "Lead bodies",
        "Supporting bodies",
        "Timeline",
        "Indicators",
    ]
    codes = [row.cells[0].text for table in pillar_tables for row in table.rows[1:]]
    assert sorted(codes) == sorted(activity_codes(seeded_plan))
    annexed = {row.cells[0].text: row.cells[3].text for row in annex.rows[1:]}
    assert sorted(annexed) == sorted(mandate_references(session))
    assert annexed["RTP-II/R51"] == "Out of scope"
    assert annexed["RTP-II/R47"] == "Covered"
    assert "Not covered" not in annexed.values()


def test_csv_lists_every_activity_and_the_coverage_csv_every_recommendation(
    api, seeded_plan, session
):
    response = download(api, seeded_plan, "csv")
    assert response.mimetype == "text/csv"
    assert response.data.startswith(b"\xef\xbb\xbf")  # the BOM Excel needs to read UTF-8
    activities = list(csv.reader(io.StringIO(response.data.decode("utf-8-sig"))))
    assert [] not in activities  # one table: no second one after an empty row
    assert activities[0][:3] == ["Pillar", "Code", "Activity"]
    assert sorted(r[1] for r in activities[1:]) == sorted(activity_codes(seeded_plan))
    prev_02 = next(r for r in activities if r[1] == "PREV-02")
    assert prev_02[3] == "RTP-II/R28, RTP-II/R29"
    assert prev_02[4] == "DPS, MS"

    coverage = download(api, seeded_plan, "coverage-csv")
    annex = list(csv.reader(io.StringIO(coverage.data.decode("utf-8-sig"))))
    assert [] not in annex
    assert annex[0] == ["Recommendation", "Document", "Number", "Coverage", "Activities or reason"]
    assert sorted(r[0] for r in annex[1:]) == sorted(mandate_references(session))
    rtp = [int(r[2]) for r in annex[1:] if r[0].startswith("RTP-II/")]
    assert sorted(rtp) == list(range(1, 52))


def test_csv_cells_that_would_run_as_formulas_open_as_text(api, seeded_plan, session):
    prev_02 = seeded_activity(seeded_plan, "PREV-02")
    prev_02.title = '=HYPERLINK("https://evil.example","Open")'
    prev_02.description = "+cmd|' /C calc'!A0"
    prev_02.expected_result = "-2+3"
    prev_02.indicators = ["@SUM(1,1)", "\tplain after a tab"]
    prev_02.timeline = "\r=1+1"
    seeded_plan.exclusions[0].reason = "=1+1"
    session.commit()
    rows = list(csv.reader(io.StringIO(download(api, seeded_plan, "csv").data.decode("utf-8-sig"))))
    header = rows[0]
    row = next(r for r in rows if r[1:2] == ["PREV-02"])
    cell = dict(zip(header, row, strict=True))
    assert cell["Activity"] == '\'=HYPERLINK("https://evil.example","Open")'
    assert cell["Description"] == "'+cmd|' /C calc'!A0"
    assert cell["Expected result"] == "'-2+3"
    assert cell["Indicators"] == "'@SUM(1,1); \tplain after a tab"
    assert cell["Timeline"] == "'\r=1+1"
    coverage = download(api, seeded_plan, "coverage-csv").data.decode("utf-8-sig")
    reasons = [r[4] for r in csv.reader(io.StringIO(coverage)) if r[3:4] == ["Out of scope"]]
    assert "'=1+1" in reasons and "=1+1" not in reasons


def test_html_is_a_page_with_every_activity_and_escaped_text(api, seeded_plan, session):
    response = download(api, seeded_plan, "html")
    assert response.mimetype == "text/html"
    page = response.data.decode("utf-8")
    assert page.startswith("<!doctype html>")
    for code in activity_codes(seeded_plan):
        assert f"<td>{code}</td>" in page
    for reference in mandate_references(session):
        assert f"<td>{reference}</td>" in page
    assert "<h2>Follow-up</h2>" in page


def test_docx_is_the_default_and_unknown_formats_are_422(api, seeded_plan):
    response = api.get(f"{PLANS}/{seeded_plan.id}/document")
    assert response.mimetype.endswith("wordprocessingml.document")
    bad = api.get(f"{PLANS}/{seeded_plan.id}/document?format=pdf")
    assert bad.status_code == 422
    assert bad.get_json()["errors"][0]["field"] == "format"


@pytest.mark.parametrize("fmt", ["docx", "csv", "html"])
def test_the_document_needs_a_credential(client, seeded_plan, fmt):
    assert client.get(f"{PLANS}/{seeded_plan.id}/document?format={fmt}").status_code == 401
