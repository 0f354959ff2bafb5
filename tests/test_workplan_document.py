"""The document for the Committee: DOCX, HTML and CSV with every activity and recommendation."""

import csv
import io
from datetime import UTC, datetime

import pytest
import sqlalchemy as sa
from docx import Document

from service.workplan.models import Recommendation, SourceDocument

from .workplan_fixtures import (
    ACTIVITIES,
    PLANS,
    if_match,
    patch,
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
    assert seeded_plan.title in paragraphs[:10]  # on the title page
    assert "Mandates" in paragraphs
    assert any(p.startswith("RTP-II/doc.5/09 rev. 10") for p in paragraphs)
    assert "Annex: coverage of the recommendations" in paragraphs
    assert "60 of 60 recommendations accounted for" in "\n".join(paragraphs)
    pillar_tables = [t for t in docx.tables if t.rows[0].cells[0].text == "Code"][1:-1]
    annex = next(t for t in docx.tables if t.rows[0].cells[0].text == "Recommendation")
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


def docx_of(api, plan):
    return Document(io.BytesIO(download(api, plan, "docx").data))


def table_with(docx, *header: str):
    return next(t for t in docx.tables if tuple(c.text for c in t.rows[0].cells) == header)


def test_docx_title_page_has_symbol_and_date_placeholders_and_numbered_paragraphs(api, seeded_plan):
    docx = docx_of(api, seeded_plan)
    paragraphs = [p.text for p in docx.paragraphs]
    assert paragraphs[:3] == [
        "ORGANIZATION OF AMERICAN STATES",
        "PERMANENT COUNCIL",
        "COMMITTEE ON HEMISPHERIC SECURITY",
    ]
    assert "OEA/Ser.G CP/CSH-[number]/[year]" in paragraphs
    assert "[date]" in paragraphs
    numbered = [p.text for p in docx.paragraphs if p.style.name == "List Number"]
    assert any("RTP-I" in p and "not counted as covered" in p for p in numbered)
    assert any("operative paragraph 9" in p for p in numbered)


def test_docx_has_the_legend_the_approval_block_and_the_resources_table(
    workplan_writer, seeded_plan
):
    url = f"{ACTIVITIES}/{seeded_activity(seeded_plan, 'COOP-01').id}"
    patch(
        workplan_writer,
        url,
        {"estimated_cost": "25000", "currency": "USD", "funding_source": "regular_fund"},
    )
    plan_url = f"{PLANS}/{seeded_plan.id}"
    workplan_writer.post(
        f"{plan_url}/submit",
        json={"date": "2010-02-11", "symbol": "CP/CSH-1200/10"},
        headers=if_match(workplan_writer, plan_url),
    )
    docx = docx_of(workplan_writer, seeded_plan)
    legend = {r.cells[0].text: r.cells[1].text for r in table_with(docx, "Code", "Body").rows[1:]}
    assert legend["DPS"] == "Department of Public Security"
    assert legend["CSH"] == "Committee on Hemispheric Security"
    assert "CICAD" not in legend  # no activity names it any more
    approval = table_with(docx, "Step", "Body", "Date", "Meeting", "Document symbol")
    submitted = [c.text for c in approval.rows[1].cells]
    assert submitted == [
        "Submitted to",
        "Committee on Hemispheric Security (CSH)",
        "February 11, 2010",
        "[to be completed]",
        "CP/CSH-1200/10",
    ]
    assert [c.text for c in approval.rows[2].cells][1:] == ["[to be completed]"] * 4
    resources = table_with(
        docx,
        "Code",
        "Activity",
        "Estimated cost",
        "Funding source",
        "Subject to available resources",
    )
    rows = {r.cells[0].text: [c.text for c in r.cells] for r in resources.rows[1:]}
    assert rows["COOP-01"][2:] == ["USD 25,000.00", "Regular Fund", "Yes"]
    assert rows["PREV-01"][2:] == ["Not estimated", "To be determined", "Yes"]
    totals = table_with(docx, "Total per", "", "Estimated cost", "Activities")
    cells = [[c.text for c in r.cells] for r in totals.rows[1:]]
    assert ["Pillar", "Cooperation and coordination", "USD 25,000.00", "1"] in cells
    assert ["Funding source", "Regular Fund", "USD 25,000.00", "1"] in cells


def test_docx_annex_holds_the_verbatim_text_of_every_cited_recommendation(
    api, seeded_plan, session
):
    docx = docx_of(api, seeded_plan)
    paragraphs = [p.text for p in docx.paragraphs]
    annex = paragraphs[paragraphs.index("Annex II: texts of the cited recommendations") :]
    body = "\n".join(annex)
    cited = {
        link.recommendation for a in seeded_plan.activities for link in a.recommendation_links
    } | {e.recommendation for e in seeded_plan.exclusions}
    assert len(cited) >= 60
    for recommendation in cited:
        heading = f"{recommendation.reference}: {recommendation.citation}"
        assert any(p.startswith(heading) for p in annex), heading
        for part in recommendation.text.split("\n\n"):
            assert part in body, recommendation.reference
    assert "RTP-II/R47: RTP-II/doc.5/09 rev. 10, recommendation 47" in annex
    assert (
        "DRAFT-2007-BELIZE/OP2A: Draft resolution (Belize, 2007), operative paragraph 2 (a) "
        "(not dated; inferred date June 5, 2007)"
    ) in annex


def test_docx_marks_proposed_bodies_and_lists_every_exclusion_with_its_reason(api, seeded_plan):
    docx = docx_of(api, seeded_plan)
    prevention = next(
        t
        for t in docx.tables
        if t.rows[0].cells[0].text == "Code" and t.rows[1].cells[0].text.startswith("PREV-")
    )
    prev_02 = next(r for r in prevention.rows if r.cells[0].text == "PREV-02")
    assert prev_02.cells[3].text == "DPS (proposed), MS (proposed)"
    assert prev_02.cells[4].text == "CSO"
    coverage = table_with(
        docx, "Recommendation", "Document", "Number", "Coverage", "Activities or reason"
    )
    reasons = {r.cells[0].text: r.cells[4].text for r in coverage.rows[1:]}
    for exclusion in seeded_plan.exclusions:
        assert reasons[exclusion.recommendation.reference] == exclusion.reason
    mandates = table_with(
        docx,
        "Document",
        "Texts loaded",
        "Recommendations known",
        "Covered",
        "Out of scope",
        "Not covered",
    )
    rows = {r.cells[0].text: [c.text for c in r.cells] for r in mandates.rows[1:]}
    assert rows["RTP-I"][1:4] == ["No: not counted as covered", "0", "0"]


def test_html_carries_the_same_legend_annex_and_approval_block(api, seeded_plan):
    page = download(api, seeded_plan, "html").data.decode()
    for heading in (
        "Approval record",
        "Legend of body codes",
        "Resources",
        "Annex II: texts of the cited recommendations",
        "OEA/Ser.G CP/CSH-[number]/[year]",
    ):
        assert heading in page
    assert "DPS (proposed), MS (proposed)" in page
    assert "To complete, disseminate, and regularly update the Directory" in page


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
    # Neither R28 nor R29 names a body to lead: both leads are the secretariat's proposal.
    assert prev_02[4] == "DPS (proposed), MS (proposed)"
    assert prev_02[5] == "CSO"  # named in R29: "the assistance of civil society organizations"

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
