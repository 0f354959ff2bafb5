"""Work plans: created and changed as drafts, frozen once submitted, approved, versioned, diffed."""

import pytest

from service.workplan.models import WorkPlan

from .workplan_fixtures import (
    ACTIVITIES,
    PLANS,
    action,
    activity_payload,
    audit_trail,
    field_errors,
    if_match,
    patch,
    seeded_activity,
)


def new_plan_payload(**overrides) -> dict:
    payload = {
        "code": "WP-CHILD",
        "title": "Work plan on the commercial sexual exploitation of minors",
        "period_start": "2010-01-01",
        "period_end": "2010-12-31",
        "mandates": ["DRAFT-2009-MINORS"],
        "exclusions": [{"recommendation": "DRAFT-2009-MINORS/OP1", "reason": "Declaratory."}],
    }
    payload.update(overrides)
    return payload


def test_partner_reads_the_seeded_plan_with_its_mandates_and_exclusions(api, seeded_plan):
    response = api.get(f"{PLANS}/{seeded_plan.id}")
    assert response.status_code == 200
    assert response.headers["ETag"]
    plan = response.get_json()
    assert plan["status"] == "draft"
    assert plan["plan_version"] == 1
    assert sorted(plan["mandates"]) == ["AG-RES-2456", "RTP-I", "RTP-II"]
    assert {e["recommendation"] for e in plan["exclusions"]} == {
        "RTP-II/R51",
        "AG-RES-2456/OP2",
    }
    listed = api.get(PLANS).get_json()
    assert [p["code"] for p in listed] == ["WP-TIP"]


def test_secretariat_starts_a_plan_and_every_change_is_audited(workplan_writer):
    response = workplan_writer.post(PLANS, json=new_plan_payload())
    assert response.status_code == 201, response.get_json()
    plan = response.get_json()
    assert (plan["status"], plan["plan_version"]) == ("draft", 1)
    url = f"{PLANS}/{plan['id']}"
    changed = patch(workplan_writer, url, {"title": "Minors: draft work plan", "exclusions": []})
    assert changed.status_code == 200, changed.get_json()
    assert changed.get_json()["exclusions"] == []
    create, update = audit_trail("work_plans", plan["id"])
    assert create.after["exclusions"] == {"DRAFT-2009-MINORS/OP1": "Declaratory."}
    assert update.before["title"] == "Work plan on the commercial sexual exploitation of minors"
    assert update.after["title"] == "Minors: draft work plan"
    assert update.after["exclusions"] == {}


@pytest.mark.parametrize(
    ("overrides", "status", "field"),
    [
        ({"period_end": "2009-12-31"}, 422, "period_end"),
        ({"mandates": ["NOPE"]}, 422, "mandates.0"),
        (
            {"exclusions": [{"recommendation": "RTP-II/R51", "reason": "x"}]},
            422,
            "exclusions.0.recommendation",
        ),
        ({"exclusions": [{"recommendation": "RTP-II/R51"}]}, 422, "exclusions.0.reason"),
        ({"status": "approved"}, 422, "status"),
        ({"code": "WP-TIP"}, 409, "code"),
    ],
)
def test_invalid_plans_are_refused_naming_the_field(workplan_writer, overrides, status, field):
    response = workplan_writer.post(PLANS, json=new_plan_payload(**overrides))
    assert response.status_code == status, response.get_json()
    assert field in field_errors(response)


def test_a_submitted_plan_refuses_edits_until_the_secretariat_reopens_it(
    workplan_writer, seeded_plan
):
    submitted = action(workplan_writer, seeded_plan.id, "submit")
    assert submitted.status_code == 200, submitted.get_json()
    assert submitted.get_json()["status"] == "submitted"

    plan_url = f"{PLANS}/{seeded_plan.id}"
    activity_url = f"{ACTIVITIES}/{seeded_activity(seeded_plan, 'PREV-01').id}"
    refusals = [
        patch(workplan_writer, plan_url, {"title": "Changed"}),
        patch(workplan_writer, activity_url, {"title": "Changed"}),
        patch(workplan_writer, activity_url, {"status": "in_progress"}),
        workplan_writer.delete(activity_url, headers=if_match(workplan_writer, activity_url)),
        workplan_writer.post(ACTIVITIES, json=activity_payload(seeded_plan.id)),
        workplan_writer.post(
            f"{activity_url}/progress-notes", json={"noted_on": "2010-01-05", "text": "x"}
        ),
    ]
    assert [r.status_code for r in refusals] == [409] * len(refusals)
    assert "reopen" in refusals[0].get_json()["detail"]

    assert action(workplan_writer, seeded_plan.id, "reopen").get_json()["status"] == "draft"
    assert patch(workplan_writer, activity_url, {"title": "Changed"}).status_code == 200
    statuses = [e.after["status"] for e in audit_trail("work_plans", seeded_plan.id)[-2:]]
    assert statuses == ["submitted", "draft"]


def test_actions_need_if_match_and_refuse_a_stale_one(workplan_writer, seeded_plan):
    url = f"{PLANS}/{seeded_plan.id}"
    assert workplan_writer.post(f"{url}/submit").status_code == 428
    stale = if_match(workplan_writer, url)
    assert patch(workplan_writer, url, {"notes": "Revised."}).status_code == 200
    assert workplan_writer.post(f"{url}/submit", headers=stale).status_code == 412
    assert workplan_writer.get(url).get_json()["status"] == "draft"


def test_a_plan_with_uncovered_recommendations_cannot_be_submitted(workplan_writer, seeded_plan):
    patched = patch(workplan_writer, f"{PLANS}/{seeded_plan.id}", {"exclusions": []})
    assert patched.status_code == 200
    response = action(workplan_writer, seeded_plan.id, "submit")
    assert response.status_code == 409
    assert "RTP-II/R51" in response.get_json()["detail"]


def test_transitions_out_of_order_are_conflicts(workplan_writer, seeded_plan):
    assert action(workplan_writer, seeded_plan.id, "approve").status_code == 409
    assert action(workplan_writer, seeded_plan.id, "reopen").status_code == 409


def test_an_approved_plan_records_progress_but_not_new_content(workplan_writer, seeded_plan):
    action(workplan_writer, seeded_plan.id, "submit")
    assert action(workplan_writer, seeded_plan.id, "approve").get_json()["status"] == "approved"
    url = f"{ACTIVITIES}/{seeded_activity(seeded_plan, 'COOP-01').id}"
    assert patch(workplan_writer, url, {"status": "completed"}).status_code == 200
    note = {"noted_on": "2010-06-30", "text": "Directory published."}
    assert workplan_writer.post(f"{url}/progress-notes", json=note).status_code == 201
    assert patch(workplan_writer, url, {"title": "Another title"}).status_code == 409


def test_a_new_version_diffs_cleanly_then_shows_a_changed_field(workplan_writer, seeded_plan):
    response = workplan_writer.post(f"{PLANS}/{seeded_plan.id}/versions")
    assert response.status_code == 201, response.get_json()
    version_2 = response.get_json()
    assert (version_2["plan_version"], version_2["status"]) == (2, "draft")
    assert version_2["predecessor_id"] == seeded_plan.id

    copied = workplan_writer.get(
        f"{ACTIVITIES}?work_plan={version_2['id']}&page_size=100"
    ).get_json()
    assert len(copied) == 30
    originals = {a.id for a in seeded_plan.activities}
    assert {a["predecessor_id"] for a in copied} == originals

    clean = workplan_writer.get(
        f"{PLANS}/{version_2['id']}/diff?against={seeded_plan.id}"
    ).get_json()
    assert (clean["added"], clean["removed"], clean["changed"]) == ([], [], [])
    assert clean["plan_changes"] == []
    assert clean["unchanged"] == 30

    prev_01 = next(a for a in copied if a["code"] == "PREV-01")
    assert (
        patch(workplan_writer, f"{ACTIVITIES}/{prev_01['id']}", {"timeline": "2012"}).status_code
        == 200
    )
    diff = workplan_writer.get(
        f"{PLANS}/{version_2['id']}/diff?against={seeded_plan.id}"
    ).get_json()
    (change,) = diff["changed"]
    assert change["code"] == "PREV-01"
    assert change["changes"] == [{"field": "timeline", "before": "2010-2011", "after": "2012"}]
    assert diff["unchanged"] == 29


def test_diff_lists_added_removed_and_renamed_activities(workplan_writer, seeded_plan):
    version_2 = workplan_writer.post(f"{PLANS}/{seeded_plan.id}/versions").get_json()
    copied = {
        a["code"]: a
        for a in workplan_writer.get(
            f"{ACTIVITIES}?work_plan={version_2['id']}&page_size=100"
        ).get_json()
    }
    renamed_url = f"{ACTIVITIES}/{copied['PREV-01']['id']}"
    assert patch(workplan_writer, renamed_url, {"code": "PREV-10"}).status_code == 200
    removed_url = f"{ACTIVITIES}/{copied['FUP-04']['id']}"
    assert (
        workplan_writer.delete(
            removed_url, headers=if_match(workplan_writer, removed_url)
        ).status_code
        == 204
    )
    added = workplan_writer.post(ACTIVITIES, json=activity_payload(version_2["id"]))
    assert added.status_code == 201

    diff = workplan_writer.get(
        f"{PLANS}/{version_2['id']}/diff?against={seeded_plan.id}"
    ).get_json()
    assert [a["code"] for a in diff["added"]] == ["PREV-99"]
    assert [a["code"] for a in diff["removed"]] == ["FUP-04"]
    (renamed,) = diff["changed"]  # matched through its predecessor, not its code
    assert renamed["changes"] == [{"field": "code", "before": "PREV-01", "after": "PREV-10"}]


def test_approving_a_new_version_supersedes_the_approved_one(workplan_writer, seeded_plan, session):
    action(workplan_writer, seeded_plan.id, "submit")
    action(workplan_writer, seeded_plan.id, "approve")
    version_2 = workplan_writer.post(f"{PLANS}/{seeded_plan.id}/versions").get_json()
    assert workplan_writer.post(f"{PLANS}/{seeded_plan.id}/versions").status_code == 409
    action(workplan_writer, version_2["id"], "submit")
    assert action(workplan_writer, version_2["id"], "approve").get_json()["status"] == "approved"
    session.expire_all()
    assert session.get(WorkPlan, seeded_plan.id).status.value == "superseded"
    url = f"{ACTIVITIES}/{seeded_activity(seeded_plan, 'COOP-01').id}"
    assert patch(workplan_writer, url, {"status": "completed"}).status_code == 409


def test_archiving_a_draft_plan_hides_it_from_the_list(workplan_writer):
    plan = workplan_writer.post(PLANS, json=new_plan_payload()).get_json()
    url = f"{PLANS}/{plan['id']}"
    assert workplan_writer.delete(url).status_code == 428
    assert workplan_writer.delete(url, headers=if_match(workplan_writer, url)).status_code == 204
    assert plan["id"] not in [p["id"] for p in workplan_writer.get(PLANS).get_json()]
    listed = workplan_writer.get(f"{PLANS}?include_archived=true").get_json()
    assert plan["id"] in [p["id"] for p in listed]
    assert audit_trail("work_plans", plan["id"])[-1].action.value == "archive"


def test_partner_and_focal_point_cannot_change_the_plan(api, client, login, seeded_plan):
    url = f"{PLANS}/{seeded_plan.id}"
    assert api.post(f"{url}/submit", headers=if_match(api, url)).status_code == 403
    assert api.post(f"{url}/versions").status_code == 403
    assert api.post(PLANS, json=new_plan_payload()).status_code == 403
    headers = login(client, "focal_point", "BR")
    assert client.post(f"{url}/submit", headers=if_match(client, url, **headers)).status_code == 403
    assert client.delete(url, headers=if_match(client, url, **headers)).status_code == 403


def test_secretariat_person_submits_with_a_session(client, login, seeded_plan):
    headers = login(client, "secretariat")
    response = action(client, seeded_plan.id, "submit", **headers)
    assert response.status_code == 200, response.get_json()
    assert audit_trail("work_plans", seeded_plan.id)[-1].actor_type.value == "user"
