"""Documents, recommendations and bodies: the secretariat maintains them; partners only read."""

from .workplan_fixtures import (
    ACTIVITIES,
    activity_payload,
    audit_trail,
    field_errors,
    if_match,
    patch,
)

DOCUMENTS = "/api/v1/documents"
RECOMMENDATIONS = "/api/v1/recommendations"
BODIES = "/api/v1/bodies"

NEW_DOCUMENT = {
    "code": "AG-RES-2551",
    "symbol": "AG/RES. 2551 (XL-O/10)",
    "title": "Work Plan to Combat Trafficking in Persons in the Western Hemisphere",
    "date": "2010-06-08",
    "kind": "resolution",
}


def test_secretariat_adds_a_document_and_its_operative_paragraph(workplan_writer):
    document = workplan_writer.post(DOCUMENTS, json=NEW_DOCUMENT)
    assert document.status_code == 201, document.get_json()
    recommendation = workplan_writer.post(
        RECOMMENDATIONS,
        json={
            "document": "AG-RES-2551",
            "number": 1,
            "section": "operative_paragraph",
            "text": "To adopt the Work Plan.",
        },
    )
    assert recommendation.status_code == 201, recommendation.get_json()
    assert recommendation.get_json()["reference"] == "AG-RES-2551/OP1"
    assert audit_trail("source_documents", document.get_json()["id"])[0].action.value == "create"


def test_recommendation_text_is_corrected_with_if_match_and_audited(workplan_writer):
    found = workplan_writer.get(f"{RECOMMENDATIONS}?reference=RTP-II/R47").get_json()[0]
    url = f"{RECOMMENDATIONS}/{found['id']}"
    assert workplan_writer.patch(url, json={"text": "x"}).status_code == 428
    corrected = patch(workplan_writer, url, {"text": found["text"] + " (corrected)"})
    assert corrected.status_code == 200
    entry = audit_trail("recommendations", found["id"])[-1]
    assert entry.after["text"].endswith("(corrected)")
    assert (
        workplan_writer.patch(
            url, json={"reference": "X/R1"}, headers=if_match(workplan_writer, url)
        ).status_code
        == 422
    )


def test_a_body_cannot_be_placed_inside_itself(workplan_writer):
    dps = workplan_writer.get(f"{BODIES}?kind=secretariat&page_size=50").get_json()
    sms = next(b for b in dps if b["code"] == "SMS")
    response = patch(workplan_writer, f"{BODIES}/{sms['id']}", {"parent": "DPS"})
    assert response.status_code == 422
    assert "parent" in field_errors(response)


def test_a_new_body_can_lead_an_activity(workplan_writer, seeded_plan):
    response = workplan_writer.post(
        BODIES,
        json={
            "code": "ECLAC-TEST",
            "name": "A new partner for the test",
            "kind": "external_partner",
        },
    )
    assert response.status_code == 201, response.get_json()
    assert response.get_json()["parent"] is None
    payload = activity_payload(seeded_plan.id, bodies=[{"body": "ECLAC-TEST", "role": "lead"}])
    assert workplan_writer.post(ACTIVITIES, json=payload).status_code == 201
    listed = workplan_writer.get(f"{ACTIVITIES}?body=ECLAC-TEST&role=lead").get_json()
    assert [a["code"] for a in listed] == ["PREV-99"]


def test_referenced_reference_data_cannot_be_deleted(workplan_writer):
    dps = next(
        b for b in workplan_writer.get(f"{BODIES}?page_size=50").get_json() if b["code"] == "DPS"
    )
    url = f"{BODIES}/{dps['id']}"
    response = workplan_writer.delete(url, headers=if_match(workplan_writer, url))
    assert response.status_code == 409
    r47 = workplan_writer.get(f"{RECOMMENDATIONS}?reference=RTP-II/R47").get_json()[0]
    url = f"{RECOMMENDATIONS}/{r47['id']}"
    assert workplan_writer.delete(url, headers=if_match(workplan_writer, url)).status_code == 409


def test_an_unused_document_is_deleted_and_the_deletion_audited(workplan_writer):
    created = workplan_writer.post(DOCUMENTS, json=NEW_DOCUMENT).get_json()
    url = f"{DOCUMENTS}/{created['id']}"
    assert workplan_writer.delete(url, headers=if_match(workplan_writer, url)).status_code == 204
    assert workplan_writer.get(url).status_code == 404
    assert audit_trail("source_documents", created["id"])[-1].action.value == "delete"


def test_duplicates_and_unknown_fields_are_refused(workplan_writer):
    clash = workplan_writer.post(DOCUMENTS, json={**NEW_DOCUMENT, "code": "RTP-II"})
    assert clash.status_code == 409
    unknown = workplan_writer.post(DOCUMENTS, json={**NEW_DOCUMENT, "author": "me"})
    assert unknown.status_code == 422
    assert "author" in field_errors(unknown)


def test_partners_and_focal_points_cannot_write_reference_data(api, client, login):
    assert api.post(DOCUMENTS, json=NEW_DOCUMENT).status_code == 403
    headers = login(client, "focal_point", "AR")
    assert (
        client.post(
            BODIES, json={"code": "X", "name": "X", "kind": "organ"}, headers=headers
        ).status_code
        == 403
    )
