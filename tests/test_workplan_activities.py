"""Activities: created, changed and archived with their links, validated, guarded and audited."""

import pytest

from .workplan_fixtures import (
    ACTIVITIES,
    PLANS,
    activity_payload,
    audit_trail,
    field_errors,
    if_match,
    patch,
    seeded_activity,
)


def test_partner_reads_an_activity_with_its_recommendations_and_bodies(api, seeded_plan):
    activity = seeded_activity(seeded_plan, "PREV-02")
    response = api.get(f"{ACTIVITIES}/{activity.id}")
    assert response.status_code == 200
    assert response.headers["ETag"]
    body = response.get_json()
    assert body["title"] == "Multidisciplinary studies and maps of trafficking routes"
    assert [r["reference"] for r in body["recommendations"]] == ["RTP-II/R28", "RTP-II/R29"]
    roles = {b["body"]: b["role"] for b in body["bodies"]}
    assert roles == {"DPS": "lead", "MS": "lead", "CSO": "support"}  # CICAD: no basis (issue 16)


def test_activities_filter_by_plan_pillar_recommendation_and_lead_body(api, seeded_plan):
    listed = api.get(f"{ACTIVITIES}?work_plan={seeded_plan.id}&page_size=100")
    assert len(listed.get_json()) == 30
    prevention = api.get(f"{ACTIVITIES}?work_plan={seeded_plan.id}&pillar=prevention")
    assert {a["pillar"] for a in prevention.get_json()} == {"prevention"}
    directory = api.get(f"{ACTIVITIES}?recommendation=RTP-II/R47&body=DPS&role=lead")
    assert [a["code"] for a in directory.get_json()] == ["COOP-01"]
    searched = api.get(f"{ACTIVITIES}?q=ROUTES")
    assert "PREV-02" in [a["code"] for a in searched.get_json()]


def test_secretariat_system_creates_an_activity_traced_to_a_recommendation(
    workplan_writer, seeded_plan
):
    response = workplan_writer.post(ACTIVITIES, json=activity_payload(seeded_plan.id))
    assert response.status_code == 201, response.get_json()
    created = response.get_json()
    assert created["code"] == "PREV-99"
    assert created["status"] == "planned"
    assert [r["reference"] for r in created["recommendations"]] == ["RTP-II/R13"]
    assert {(b["body"], b["role"]) for b in created["bodies"]} == {
        ("DPS", "lead"),
        ("IOM", "support"),
    }
    (entry,) = audit_trail("activities", created["id"])
    assert entry.action.value == "create"
    assert entry.after["recommendations"] == ["RTP-II/R13"]
    assert entry.after["bodies"] == [["DPS", "lead"], ["IOM", "support"]]


def test_secretariat_person_creates_an_activity_from_a_session(client, login, seeded_plan):
    headers = login(client, "secretariat")
    response = client.post(ACTIVITIES, json=activity_payload(seeded_plan.id), headers=headers)
    assert response.status_code == 201, response.get_json()


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"recommendations": []}, "recommendations", "at least one source recommendation"),
        ({"recommendations": None}, "recommendations", "null"),
        (
            {"bodies": [{"body": "DPS", "role": "support"}]},
            "bodies",
            "at least one body in the lead role",
        ),
        ({"bodies": []}, "bodies", "lead role"),
        ({"recommendations": ["RTP-II/R99"]}, "recommendations.0", "RTP-II/R99"),
        ({"bodies": [{"body": "NOPE", "role": "lead"}]}, "bodies.0.body", "NOPE"),
        ({"pillar": "marketing"}, "pillar", "Must be one of"),
        ({"colour": "blue"}, "colour", "Unknown field"),
        ({"title": "x\x00y"}, "title", "control characters"),
        ({"work_plan": 999999}, "work_plan", "No work plan"),
    ],
)
def test_invalid_activity_is_422_naming_the_field(
    workplan_writer, seeded_plan, overrides, field, message
):
    response = workplan_writer.post(ACTIVITIES, json=activity_payload(seeded_plan.id, **overrides))
    assert response.status_code == 422
    assert response.mimetype == "application/problem+json"
    errors = field_errors(response)
    assert field in errors, errors
    assert message in errors[field]


def test_an_activity_without_recommendation_or_lead_is_refused_naming_both(
    workplan_writer, seeded_plan
):
    payload = activity_payload(seeded_plan.id)
    del payload["recommendations"]
    payload["bodies"] = [{"body": "DPS", "role": "support"}]
    response = workplan_writer.post(ACTIVITIES, json=payload)
    assert response.status_code == 422
    assert {"recommendations", "bodies"} <= field_errors(response).keys()


def test_a_duplicate_code_in_the_plan_is_a_conflict(workplan_writer, seeded_plan):
    response = workplan_writer.post(
        ACTIVITIES, json=activity_payload(seeded_plan.id, code="PREV-01")
    )
    assert response.status_code == 409
    assert "PREV-01" in response.get_json()["detail"]


def test_patch_changes_fields_and_links_and_audits_before_and_after(workplan_writer, seeded_plan):
    activity = seeded_activity(seeded_plan, "PREV-02")
    url = f"{ACTIVITIES}/{activity.id}"
    old_etag = if_match(workplan_writer, url)["If-Match"]
    response = patch(
        workplan_writer,
        url,
        {"timeline": "2010-2012", "bodies": [{"body": "DPS", "role": "lead"}]},
    )
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["timeline"] == "2010-2012"
    assert [b["body"] for b in response.get_json()["bodies"]] == ["DPS"]
    assert response.headers["ETag"] != old_etag
    entry = audit_trail("activities", activity.id)[-1]
    assert entry.action.value == "update"
    assert entry.before["timeline"] == "Studies 2010-2011; route maps 2011"
    assert entry.after["timeline"] == "2010-2012"
    assert ["MS", "lead"] in entry.before["bodies"]
    assert entry.after["bodies"] == [["DPS", "lead"]]
    assert entry.actor_type.value == "client"


def test_patch_cannot_remove_the_last_lead_body(workplan_writer, seeded_plan):
    activity = seeded_activity(seeded_plan, "PREV-02")
    response = patch(
        workplan_writer,
        f"{ACTIVITIES}/{activity.id}",
        {"bodies": [{"body": "DPS", "role": "support"}]},
    )
    assert response.status_code == 422
    assert "lead role" in field_errors(response)["bodies"]


def test_patch_without_if_match_is_428_and_with_a_stale_one_412(workplan_writer, seeded_plan):
    activity = seeded_activity(seeded_plan, "PREV-03")
    url = f"{ACTIVITIES}/{activity.id}"
    assert workplan_writer.patch(url, json={"timeline": "2011"}).status_code == 428
    stale = if_match(workplan_writer, url)
    assert patch(workplan_writer, url, {"timeline": "2011"}).status_code == 200
    response = workplan_writer.patch(url, json={"timeline": "2012"}, headers=stale)
    assert response.status_code == 412
    assert workplan_writer.get(url).get_json()["timeline"] == "2011"


def test_delete_archives_the_activity_which_stays_readable(workplan_writer, seeded_plan):
    activity = seeded_activity(seeded_plan, "PREV-03")
    url = f"{ACTIVITIES}/{activity.id}"
    assert workplan_writer.delete(url).status_code == 428
    response = workplan_writer.delete(url, headers=if_match(workplan_writer, url))
    assert response.status_code == 204
    assert workplan_writer.get(url).get_json()["archived_at"] is not None
    listed = workplan_writer.get(
        f"{ACTIVITIES}?work_plan={seeded_plan.id}&page_size=100"
    ).get_json()
    assert "PREV-03" not in [a["code"] for a in listed]
    with_archived = workplan_writer.get(
        f"{ACTIVITIES}?work_plan={seeded_plan.id}&page_size=100&include_archived=true"
    )
    assert "PREV-03" in [a["code"] for a in with_archived.get_json()]
    assert audit_trail("activities", activity.id)[-1].action.value == "archive"


def test_progress_note_is_dated_signed_and_listed(workplan_writer, seeded_plan):
    activity = seeded_activity(seeded_plan, "COOP-01")
    url = f"{ACTIVITIES}/{activity.id}/progress-notes"
    response = workplan_writer.post(
        url, json={"noted_on": "2010-03-01", "text": "Questionnaire sent."}
    )
    assert response.status_code == 201, response.get_json()
    assert response.get_json()["author"] == "Partner"
    notes = workplan_writer.get(url).get_json()
    assert [(n["noted_on"], n["text"]) for n in notes] == [("2010-03-01", "Questionnaire sent.")]
    shown = workplan_writer.get(f"{ACTIVITIES}/{activity.id}").get_json()
    assert shown["progress_notes"][0]["text"] == "Questionnaire sent."
    assert audit_trail("progress_notes", notes[0]["id"])[0].after["text"] == "Questionnaire sent."


def test_progress_note_in_the_future_is_422(workplan_writer, seeded_plan):
    activity = seeded_activity(seeded_plan, "COOP-01")
    response = workplan_writer.post(
        f"{ACTIVITIES}/{activity.id}/progress-notes",
        json={"noted_on": "2999-01-01", "text": "Later."},
    )
    assert response.status_code == 422
    assert "future" in field_errors(response)["noted_on"]


def test_summary_counts_statuses_per_pillar_and_per_body(workplan_writer, seeded_plan):
    activity = seeded_activity(seeded_plan, "COOP-01")
    assert (
        patch(workplan_writer, f"{ACTIVITIES}/{activity.id}", {"status": "in_progress"}).status_code
        == 200
    )
    summary = workplan_writer.get(f"{PLANS}/{seeded_plan.id}/summary").get_json()
    assert summary["overall"]["total"] == 30
    assert summary["overall"]["in_progress"] == 1
    assert summary["overall"]["planned"] == 29
    pillars = {p["pillar"]: p["statuses"] for p in summary["pillars"]}
    assert list(pillars) == [
        "prevention",
        "protection_assistance",
        "prosecution",
        "cooperation_coordination",
        "follow_up",
    ]
    assert pillars["cooperation_coordination"]["in_progress"] == 1
    assert sum(p["total"] for p in pillars.values()) == 30
    dps = next(b for b in summary["bodies"] if b["body"] == "DPS")
    assert dps["leading"]["in_progress"] == 1
    assert dps["leading"]["total"] + dps["supporting"]["total"] > 1


def test_partner_with_read_scope_cannot_write(api, seeded_plan):
    activity = seeded_activity(seeded_plan, "PREV-01")
    assert api.post(ACTIVITIES, json=activity_payload(seeded_plan.id)).status_code == 403
    url = f"{ACTIVITIES}/{activity.id}"
    assert api.patch(url, json={"timeline": "x"}, headers=if_match(api, url)).status_code == 403
    assert api.delete(url, headers=if_match(api, url)).status_code == 403
    response = api.post(f"{url}/progress-notes", json={"noted_on": "2010-01-01", "text": "x"})
    assert response.status_code == 403


def test_focal_point_reads_but_cannot_write_the_work_plan(client, login, seeded_plan):
    headers = login(client, "focal_point", "AR")
    assert client.get(f"{PLANS}/{seeded_plan.id}").status_code == 200
    response = client.post(ACTIVITIES, json=activity_payload(seeded_plan.id), headers=headers)
    assert response.status_code == 403
    url = f"{PLANS}/{seeded_plan.id}"
    response = client.patch(url, json={"title": "Mine"}, headers=if_match(client, url, **headers))
    assert response.status_code == 403


def test_without_credentials_writes_are_401_before_validation(client, seeded_plan):
    response = client.post(ACTIVITIES, json={"nonsense": True})
    assert response.status_code == 401
    assert "Bearer" in response.headers["WWW-Authenticate"]
