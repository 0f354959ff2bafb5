"""The progress report for a period: what the Permanent Council reports under op. 9."""

import io

import pytest
from docx import Document

from .workplan_fixtures import ACTIVITIES, PLANS, field_errors, patch, seeded_activity


def report(client, plan_id, query="", fmt="docx"):
    response = client.get(f"{PLANS}/{plan_id}/progress-report?format={fmt}{query}")
    assert response.status_code == 200, response.data[:300]
    assert "attachment" in response.headers["Content-Disposition"]
    return response


def docx_text(response) -> tuple[list[str], list[list[list[str]]]]:
    docx = Document(io.BytesIO(response.data))
    tables = [[[c.text for c in row.cells] for row in t.rows] for t in docx.tables]
    return [p.text for p in docx.paragraphs], tables


def note(client, plan, code, noted_on, text, **extra):
    url = f"{ACTIVITIES}/{seeded_activity(plan, code).id}/progress-notes"
    response = client.post(url, json={"noted_on": noted_on, "text": text, **extra})
    assert response.status_code == 201, response.get_json()


def test_the_report_lists_every_activity_and_every_recommendation_of_the_plan(
    workplan_writer, seeded_plan
):
    note(workplan_writer, seeded_plan, "COOP-01", "2010-03-01", "Questionnaire sent to 34 states.")
    note(workplan_writer, seeded_plan, "COOP-01", "2011-03-01", "Outside the period.")
    paragraphs, tables = docx_text(
        report(workplan_writer, seeded_plan.id, "&from=2010-01-01&to=2010-12-31")
    )
    assert "period from January 1, 2010 to December 31, 2010" in "\n".join(paragraphs)
    activity_rows = {
        row[0]: row
        for table in tables
        if table[0][0] == "Code" and table[0][3] == "Status"
        for row in table[1:]
    }
    assert set(activity_rows) == {a.code for a in seeded_plan.activities}
    assert activity_rows["COOP-01"][4] == "March 1, 2010: Questionnaire sent to 34 states."
    assert activity_rows["PREV-01"][4] == "No progress recorded in the period."
    recommendations = next(t for t in tables if t[0] == ["Recommendation", "Advanced by", "State"])
    listed = {row[0]: row for row in recommendations[1:]}
    cited = {
        link.recommendation.reference
        for a in seeded_plan.activities
        for link in a.recommendation_links
    }
    assert cited <= set(listed)
    assert {f"RTP-II/R{n}" for n in range(1, 52)} <= set(listed)
    assert "COOP-01: Planned" in listed["RTP-II/R47"][2]
    assert listed["RTP-II/R51"][1] == "Out of scope"


def test_what_was_not_done_says_why_and_spending_is_set_against_estimates(
    workplan_writer, seeded_plan
):
    url = f"{ACTIVITIES}/{seeded_activity(seeded_plan, 'COOP-01').id}"
    patch(
        workplan_writer,
        url,
        {"estimated_cost": "25000", "currency": "USD", "status": "in_progress"},
    )
    note(
        workplan_writer,
        seeded_plan,
        "COOP-01",
        "2010-03-01",
        "Database built.",
        amount_spent="4000",
    )
    note(workplan_writer, seeded_plan, "COOP-01", "2011-02-01", "Later work.", amount_spent="1000")
    deferred = f"{ACTIVITIES}/{seeded_activity(seeded_plan, 'PREV-02').id}"
    patch(workplan_writer, deferred, {"status": "deferred"})
    note(
        workplan_writer,
        seeded_plan,
        "PREV-02",
        "2010-06-01",
        "Deferred: no Specific Fund contributions.",
    )
    _, tables = docx_text(report(workplan_writer, seeded_plan.id, "&from=2010-01-01&to=2010-12-31"))
    not_done = next(t for t in tables if t[0] == ["Code", "Activity", "Status", "Why"])
    why = {row[0]: row[2:] for row in not_done[1:]}
    assert why["PREV-02"] == ["Deferred", "Deferred: no Specific Fund contributions."]
    assert "COOP-01" not in why
    spending = next(
        t for t in tables if t[0][2:] == ["Estimated cost", "Spent in the period", "Spent to date"]
    )
    assert spending[1] == [
        "COOP-01",
        seeded_activity(seeded_plan, "COOP-01").title,
        "USD 25,000.00",
        "USD 4,000.00",
        "USD 4,000.00",
    ]


def test_an_empty_period_gives_a_clear_answer_not_an_error(api, seeded_plan):
    page = report(api, seeded_plan.id, "&from=2010-01-01&to=2010-01-31", fmt="html").data.decode()
    assert "No progress was recorded between January 1, 2010 and January 31, 2010" in page
    assert "PREV-01" in page and "RTP-II/R47" in page


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("&from=2011-01-01&to=2010-01-01", "to"),
        ("&from=yesterday", "from"),
        ("&format=pdf", "format"),
    ],
)
def test_a_period_that_ends_before_it_starts_or_bad_arguments_are_422(
    api, seeded_plan, query, field
):
    response = api.get(f"{PLANS}/{seeded_plan.id}/progress-report?{query.lstrip('&')}")
    assert response.status_code == 422
    assert response.mimetype == "application/problem+json"
    assert field in field_errors(response)


def test_the_report_needs_a_credential_and_a_known_plan(client, api):
    assert client.get(f"{PLANS}/1/progress-report").status_code == 401
    assert api.get(f"{PLANS}/999999/progress-report").status_code == 404
