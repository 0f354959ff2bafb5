"""Coverage and overlaps of the seeded draft Work Plan: nothing falls through, nothing doubles."""

import pytest

from service.workplan.overlaps import SIMILARITY_THRESHOLD

from .workplan_fixtures import (
    ACTIVITIES,
    PLANS,
    activity_payload,
    if_match,
    seeded_activity,
)


def coverage(client, plan_id, query=""):
    response = client.get(f"{PLANS}/{plan_id}/coverage{query}")
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def test_all_51_rtp_ii_recommendations_are_accounted_for_and_none_uncovered(api, seeded_plan):
    report = coverage(api, seeded_plan.id)
    rtp = next(d for d in report["documents"] if d["document"] == "RTP-II")
    assert rtp["totals"] == {
        "recommendations": 51,
        "covered": 50,
        "excluded": 1,
        "uncovered": 0,
        "accounted_for": 51,
    }
    numbers = [
        e["recommendation"]["number"]
        for e in report["recommendations"]
        if e["recommendation"]["document"] == "RTP-II"
    ]
    assert numbers == list(range(1, 52))


def test_the_resolution_s_9_operative_paragraphs_are_accounted_for_too(api, seeded_plan):
    report = coverage(api, seeded_plan.id)
    resolution = next(d for d in report["documents"] if d["document"] == "AG-RES-2456")
    assert resolution["totals"]["recommendations"] == 9
    assert resolution["totals"]["accounted_for"] == 9
    assert report["totals"] == {
        "recommendations": 60,
        "covered": 58,
        "excluded": 2,
        "uncovered": 0,
        "accounted_for": 60,
    }
    assert (
        api.get(f"{PLANS}/{seeded_plan.id}/coverage?uncovered_only=true").get_json()[
            "recommendations"
        ]
        == []
    )


def test_each_entry_names_its_activities_or_its_exclusion_reason(api, seeded_plan):
    entries = {
        e["recommendation"]["reference"]: e
        for e in coverage(api, seeded_plan.id)["recommendations"]
    }
    directory = entries["RTP-II/R47"]
    assert directory["status"] == "covered"
    assert "COOP-01" in [a["code"] for a in directory["activities"]]
    summit = entries["RTP-II/R51"]
    assert summit["status"] == "excluded"
    assert summit["activities"] == []
    assert "2009" in summit["exclusion_reason"]
    for entry in entries.values():
        assert entry["activities"] or entry["exclusion_reason"], entry


def test_archiving_the_only_covering_activity_shows_its_recommendations_uncovered(
    workplan_writer, seeded_plan
):
    activity = seeded_activity(seeded_plan, "PREV-02")  # the only one citing R28 and R29
    url = f"{ACTIVITIES}/{activity.id}"
    assert workplan_writer.delete(url, headers=if_match(workplan_writer, url)).status_code == 204
    report = coverage(workplan_writer, seeded_plan.id, "?uncovered_only=true")
    assert [e["recommendation"]["reference"] for e in report["recommendations"]] == [
        "RTP-II/R28",
        "RTP-II/R29",
    ]
    assert all(e["status"] == "uncovered" for e in report["recommendations"])
    assert report["totals"]["uncovered"] == 2
    assert report["totals"]["recommendations"] == 60  # totals ignore the filter


def test_coverage_of_an_unknown_plan_is_404(api):
    response = api.get(f"{PLANS}/999999/coverage")
    assert response.status_code == 404
    assert response.mimetype == "application/problem+json"


# -- overlaps --------------------------------------------------------------------------------


def overlaps(client, plan_id):
    response = client.get(f"{PLANS}/{plan_id}/overlaps")
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def test_the_seeded_plan_has_no_overlaps(api, seeded_plan):
    report = overlaps(api, seeded_plan.id)
    assert report["overlaps"] == []
    assert report["similarity_threshold"] == SIMILARITY_THRESHOLD == 85


def test_a_planted_near_duplicate_shows_up_with_its_similarity(workplan_writer, seeded_plan):
    original = workplan_writer.get(
        f"{ACTIVITIES}/{seeded_activity(seeded_plan, 'PREV-02').id}"
    ).get_json()
    planted = activity_payload(
        seeded_plan.id,
        code="COOP-99",
        pillar="cooperation_coordination",
        title="Maps of trafficking routes and multidisciplinary studies",
        description=original["description"].replace("Member states promote", "States promote"),
        recommendations=["RTP-II/R30"],
        bodies=[{"body": "SMS", "role": "lead"}],
    )
    assert workplan_writer.post(ACTIVITIES, json=planted).status_code == 201
    (pair,) = overlaps(workplan_writer, seeded_plan.id)["overlaps"]
    assert {pair["first"]["code"], pair["second"]["code"]} == {"PREV-02", "COOP-99"}
    assert pair["reasons"] == ["similar_text"]
    assert pair["similarity"] >= 90


def test_same_recommendation_with_the_same_lead_body_is_an_overlap(workplan_writer, seeded_plan):
    planted = activity_payload(
        seeded_plan.id,
        code="FUP-99",
        pillar="follow_up",
        title="Questionnaire to national authorities",
        description="A yearly questionnaire asks each authority for its updated contact data.",
        recommendations=["RTP-II/R47"],
        bodies=[{"body": "DPS", "role": "lead"}],
    )
    assert workplan_writer.post(ACTIVITIES, json=planted).status_code == 201
    (pair,) = overlaps(workplan_writer, seeded_plan.id)["overlaps"]
    assert {pair["first"]["code"], pair["second"]["code"]} == {"COOP-01", "FUP-99"}
    assert pair["reasons"] == ["same_recommendation_and_lead"]
    assert pair["shared_recommendations"] == ["RTP-II/R47"]
    assert pair["shared_lead_bodies"] == ["DPS"]


@pytest.mark.parametrize("path", ["coverage", "overlaps", "summary"])
def test_plan_views_need_a_credential(client, seeded_plan, path):
    assert client.get(f"{PLANS}/{seeded_plan.id}/{path}").status_code == 401
