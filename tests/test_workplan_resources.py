"""Approval record, resources per activity and other efforts outside the OAS (Recommendation 49)."""

import pytest

from .workplan_fixtures import (
    ACTIVITIES,
    PLANS,
    activity_payload,
    field_errors,
    if_match,
    patch,
    seeded_activity,
)


def decide(client, plan_id, name, **decision):
    url = f"{PLANS}/{plan_id}"
    return client.post(f"{url}/{name}", json=decision, headers=if_match(client, url))


# -- approval record -------------------------------------------------------------------------


def test_submission_and_approval_carry_body_date_meeting_and_symbol(workplan_writer, seeded_plan):
    submitted = decide(
        workplan_writer,
        seeded_plan.id,
        "submit",
        body="CSH",
        date="2010-02-11",
        meeting="Regular meeting of February 11, 2010",
        symbol="CP/CSH-1200/10",
    )
    assert submitted.status_code == 200, submitted.get_json()
    assert submitted.get_json()["submission"] == {
        "body": "CSH",
        "body_name": "Committee on Hemispheric Security",
        "date": "2010-02-11",
        "meeting": "Regular meeting of February 11, 2010",
        "symbol": "CP/CSH-1200/10",
    }
    assert submitted.get_json()["approval"] is None
    approved = decide(
        workplan_writer,
        seeded_plan.id,
        "approve",
        body="CP",
        date="2010-03-03",
        symbol="CP/RES. 970",
    )
    assert approved.status_code == 200, approved.get_json()
    approval = approved.get_json()["approval"]
    assert (approval["body"], approval["date"], approval["symbol"]) == (
        "CP",
        "2010-03-03",
        "CP/RES. 970",
    )


def test_approval_before_submission_or_by_an_unknown_body_is_422(workplan_writer, seeded_plan):
    decide(workplan_writer, seeded_plan.id, "submit", date="2010-02-11")
    response = decide(workplan_writer, seeded_plan.id, "approve", date="2010-01-01")
    assert response.status_code == 422
    assert "before it was submitted" in field_errors(response)["date"]
    response = decide(workplan_writer, seeded_plan.id, "approve", body="NOPE")
    assert response.status_code == 422
    assert "NOPE" in field_errors(response)["body"]
    assert workplan_writer.get(f"{PLANS}/{seeded_plan.id}").get_json()["status"] == "submitted"


def test_a_superseded_plan_points_to_its_successor(workplan_writer, seeded_plan):
    decide(workplan_writer, seeded_plan.id, "submit")
    decide(workplan_writer, seeded_plan.id, "approve")
    version_2 = workplan_writer.post(f"{PLANS}/{seeded_plan.id}/versions").get_json()
    decide(workplan_writer, version_2["id"], "submit")
    decide(workplan_writer, version_2["id"], "approve")
    old = workplan_writer.get(f"{PLANS}/{seeded_plan.id}").get_json()
    assert old["status"] == "superseded"
    assert old["superseded_by_id"] == version_2["id"]


# -- resources -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"estimated_cost": "-1", "currency": "USD"}, "estimated_cost", "negative"),
        ({"estimated_cost": "100", "currency": "XYZ"}, "currency", "ISO 4217"),
        ({"estimated_cost": "100", "currency": "usd"}, "currency", "ISO 4217"),
        ({"estimated_cost": "100"}, "currency", "currency"),
        ({"funding_source": "lottery"}, "funding_source", "Must be one of"),
    ],
)
def test_bad_resources_are_422_naming_the_field(
    workplan_writer, seeded_plan, overrides, field, message
):
    response = workplan_writer.post(ACTIVITIES, json=activity_payload(seeded_plan.id, **overrides))
    assert response.status_code == 422, response.get_json()
    errors = field_errors(response)
    assert message in errors[field], errors
    assert (
        workplan_writer.get(f"{ACTIVITIES}?work_plan={seeded_plan.id}&q=PREV-99").get_json() == []
    )


def test_resources_total_per_pillar_and_per_source_in_each_currency(workplan_writer, seeded_plan):
    for code, cost, source in (
        ("PREV-02", "40000", "specific_fund"),
        ("PREV-03", "10000.50", "voluntary_contributions"),
        ("COOP-01", "25000", "regular_fund"),
    ):
        url = f"{ACTIVITIES}/{seeded_activity(seeded_plan, code).id}"
        body = {"estimated_cost": cost, "currency": "USD", "funding_source": source}
        response = patch(workplan_writer, url, body)
        assert response.status_code == 200, response.get_json()
        assert response.get_json()["estimated_cost"] == f"{float(cost):.2f}"
        assert response.get_json()["subject_to_resources"] is True
    report = workplan_writer.get(f"{PLANS}/{seeded_plan.id}/resources").get_json()
    pillars = {(t["key"], t["currency"]): t["estimated"] for t in report["by_pillar"]}
    assert pillars == {
        ("prevention", "USD"): "50000.50",
        ("cooperation_coordination", "USD"): "25000.00",
    }
    sources = {t["key"]: t["estimated"] for t in report["by_source"]}
    assert sources == {
        "regular_fund": "25000.00",
        "specific_fund": "40000.00",
        "voluntary_contributions": "10000.50",
    }
    assert "PREV-01" in report["not_estimated"]
    assert len(report["activities"]) == len(report["not_estimated"]) + 3


def test_progress_notes_outside_the_plan_s_period_or_spending_without_currency_are_422(
    workplan_writer, seeded_plan
):
    activity = seeded_activity(seeded_plan, "COOP-01")
    url = f"{ACTIVITIES}/{activity.id}/progress-notes"
    response = workplan_writer.post(url, json={"noted_on": "2009-12-31", "text": "Too early."})
    assert response.status_code == 422
    assert "outside the plan's period" in field_errors(response)["noted_on"]
    response = workplan_writer.post(
        url, json={"noted_on": "2010-05-01", "text": "Paid.", "amount_spent": "5"}
    )
    assert response.status_code == 422
    assert "currency" in field_errors(response)["amount_spent"]
    response = workplan_writer.post(
        url, json={"noted_on": "2010-05-01", "text": "x", "amount_spent": "-5"}
    )
    assert "negative" in field_errors(response)["amount_spent"]
    assert workplan_writer.get(url).get_json() == []


# -- other efforts ---------------------------------------------------------------------------


def test_other_efforts_are_kept_and_shown_beside_the_overlaps(workplan_writer, seeded_plan):
    activity = seeded_activity(seeded_plan, "PREV-02")
    effort = {
        "organization": "UNODC",
        "title": "Global Report on Trafficking in Persons",
        "url": "https://www.unodc.org/unodc/en/human-trafficking/",
        "note": "Cited by the Second Meeting; its data feed the route maps.",
    }
    response = patch(workplan_writer, f"{ACTIVITIES}/{activity.id}", {"other_efforts": [effort]})
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["other_efforts"] == [effort]
    report = workplan_writer.get(f"{PLANS}/{seeded_plan.id}/overlaps").get_json()
    listed = {e["activity"]["code"]: e["other_efforts"] for e in report["other_efforts"]}
    assert effort in listed["PREV-02"]


def test_an_effort_with_a_bad_link_is_422_naming_it(workplan_writer, seeded_plan):
    activity = seeded_activity(seeded_plan, "PREV-02")
    bad = {"organization": "IOM", "title": "X", "url": "javascript:alert(1)"}
    response = patch(workplan_writer, f"{ACTIVITIES}/{activity.id}", {"other_efforts": [bad]})
    assert response.status_code == 422
    assert "other_efforts.0.url" in field_errors(response)
