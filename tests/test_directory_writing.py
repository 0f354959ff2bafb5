"""Changing the directory: validation, If-Match, archive/restore, verify, audit, who may edit."""

from datetime import UTC, datetime, timedelta

import pytest

from service.audit.models import AuditEntry
from service.core.db import db

from .directory_fixtures import (
    WRITE,
    audit_entries,
    authority_payload,
    contact_payload,
    demo_authority,
    demo_contact,
    field_errors,
)


def etag_of(test_client, url: str) -> str:
    return test_client.get(url).headers["ETag"]


def audit_count() -> int:
    return db.session.query(AuditEntry).count()


# -- creating --------------------------------------------------------------------------------


def test_state_bound_client_creates_a_contact_with_phones_in_e164(writer):
    authority = demo_authority("demo-ar-coordination")
    response = writer.post("/api/v1/contacts", json=contact_payload(authority.id))
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert response.headers["Location"] == f"/api/v1/contacts/{body['id']}"
    assert response.headers["ETag"]
    assert body["channels"] == [
        {
            "type": "email",
            "value": "enlace.nuevo@demo-ar.example.org",
            "label": None,
            "preferred": True,
        },
        {"type": "phone", "value": "+541155550177", "label": "Oficina", "preferred": False},
    ]
    assert body["member_state"] == "AR" and body["competences"] == ["prevention"]
    assert writer.get(response.headers["Location"]).get_json() == body


def test_creating_writes_an_audit_entry_with_channels_and_competences(writer):
    authority = demo_authority("demo-ar-coordination")
    body = writer.post("/api/v1/contacts", json=contact_payload(authority.id)).get_json()
    [entry] = audit_entries("contact_points", body["id"])
    assert entry.action.value == "create" and entry.before is None
    assert entry.actor_type.value == "client" and entry.actor_label == "Partner"
    assert entry.after["name"] == "Oficina de Enlace Nueva"
    assert entry.after["competences"] == ["prevention"]
    assert [c["value"] for c in entry.after["channels"]] == [
        "enlace.nuevo@demo-ar.example.org",
        "+541155550177",
    ]
    assert entry.request_id


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        ({"channels": [{"type": "phone", "value": "12345"}]}, "channels.0.value", "international"),
        (
            {"channels": [{"type": "mobile", "value": "+54 11 1", "preferred": True}]},
            "channels.0.value",
            "phone number",
        ),
        (
            {"channels": [{"type": "email", "value": "not-an-address"}]},
            "channels.0.value",
            "@",
        ),
        ({"channels": [{"type": "website", "value": "ftp://x"}]}, "channels.0.value", "URL"),
        ({"channels": [{"type": "pigeon", "value": "x"}]}, "channels.0.type", "one of"),
        ({"channels": []}, "channels", "Length"),
        (
            {
                "channels": [
                    {"type": "email", "value": "a@demo-ar.example.org", "preferred": True},
                    {"type": "email", "value": "b@demo-ar.example.org", "preferred": True},
                ]
            },
            "channels",
            "one preferred",
        ),
        ({"languages": ["es", "xx"]}, "languages.1", "ISO 639-1"),
        ({"time_zone": "Mars/Olympus_Mons"}, "time_zone", "IANA"),
        ({"competences": ["prevention", "alchemy"]}, "competences.1", "Unknown competence"),
        ({"role": "boss"}, "role", "one of"),
        ({"name": "   "}, "name", "blank"),
        ({"name": "Bad\x00name"}, "name", "control"),
        ({"surprise": True}, "surprise", "Unknown field"),
        ({"authority_id": 999999}, "authority_id", "No authority"),
    ],
)
def test_invalid_contact_is_a_422_naming_the_field(writer, change, field, message):
    authority = demo_authority("demo-ar-coordination")
    before = audit_count()
    errors = field_errors(
        writer.post("/api/v1/contacts", json=contact_payload(authority.id) | change)
    )
    assert field in errors, errors
    assert message.lower() in errors[field].lower()
    assert audit_count() == before


def test_missing_required_fields_are_each_named(writer):
    errors = field_errors(writer.post("/api/v1/contacts", json={}))
    assert {"authority_id", "kind", "name", "role", "channels"} <= errors.keys()


def test_authority_in_an_unknown_member_state_is_rejected(secretariat):
    response = secretariat.post(
        "/api/v1/authorities",
        json=authority_payload(member_state="ZZ"),
        headers=secretariat.csrf,
    )
    assert "member_state" in field_errors(response)


def test_duplicate_authority_name_in_a_state_is_a_409_with_a_clear_message(writer):
    existing = demo_authority("demo-ar-coordination")
    response = writer.post("/api/v1/authorities", json=authority_payload(name=existing.name))
    assert response.status_code == 409
    assert response.mimetype == "application/problem+json"
    assert "already has an authority named" in response.get_json()["detail"]


# -- updating with If-Match ------------------------------------------------------------------


def test_patch_without_if_match_is_428_and_with_a_stale_one_412(writer):
    url = f"/api/v1/contacts/{demo_contact('demo-ar-focal').id}"
    assert writer.patch(url, json={"hours": "24/7"}).status_code == 428
    stale = writer.patch(url, json={"hours": "24/7"}, headers={"If-Match": '"stale"'})
    assert stale.status_code == 412


def test_two_editors_never_silently_overwrite_each_other(writer, bearer, app):
    url = f"/api/v1/contacts/{demo_contact('demo-ar-focal').id}"
    other = app.test_client()
    other.environ_base["HTTP_AUTHORIZATION"] = bearer(WRITE, member_state="AR")["Authorization"]
    etag = etag_of(writer, url)
    assert etag == etag_of(other, url)
    first = writer.patch(url, json={"position": "First edit"}, headers={"If-Match": etag})
    assert first.status_code == 200 and first.headers["ETag"] != etag
    second = other.patch(url, json={"position": "Second edit"}, headers={"If-Match": etag})
    assert second.status_code == 412
    assert writer.get(url).get_json()["position"] == "First edit"


def test_patch_changes_only_what_is_sent_and_replaces_channels(writer):
    contact = demo_contact("demo-ar-focal")
    url = f"/api/v1/contacts/{contact.id}"
    before = writer.get(url).get_json()
    response = writer.patch(
        url,
        json={"channels": [{"type": "fax", "value": "(011) 5555-0199", "region": "ar"}]},
        headers={"If-Match": etag_of(writer, url)},
    )
    assert response.status_code == 200, response.get_json()
    after = response.get_json()
    assert after["channels"] == [
        {"type": "fax", "value": "+541155550199", "label": None, "preferred": False}
    ]
    assert after["name"] == before["name"] and after["languages"] == before["languages"]
    assert after["updated_at"] > before["updated_at"]
    entry = audit_entries("contact_points", contact.id)[-1]
    assert entry.action.value == "update"
    assert len(entry.before["channels"]) == 2 and len(entry.after["channels"]) == 1


def test_patched_channels_are_checked_as_fully_as_new_ones(writer):
    url = f"/api/v1/contacts/{demo_contact('demo-ar-focal').id}"
    response = writer.patch(
        url, json={"channels": [{"value": "+541155550000"}]}, headers={"If-Match": '"stale"'}
    )
    assert field_errors(response) == {"channels.0.type": "Missing data for required field."}


def test_patch_with_nothing_new_writes_no_audit_entry(writer):
    contact = demo_contact("demo-ar-focal")
    url = f"/api/v1/contacts/{contact.id}"
    etag = etag_of(writer, url)
    before = audit_count()
    response = writer.patch(url, json={"name": contact.name}, headers={"If-Match": etag})
    assert response.status_code == 200 and response.headers["ETag"] == etag
    assert audit_count() == before


def test_invalid_patch_changes_nothing(writer):
    contact = demo_contact("demo-ar-focal")
    url = f"/api/v1/contacts/{contact.id}"
    etag = etag_of(writer, url)
    before = audit_count()
    response = writer.patch(
        url, json={"name": "Renamed", "languages": ["zz"]}, headers={"If-Match": etag}
    )
    assert "languages.0" in field_errors(response)
    assert writer.get(url).get_json()["name"] == contact.name
    assert audit_count() == before


# -- archive, restore, verify ----------------------------------------------------------------


def test_archive_and_restore_a_contact_with_if_match(writer):
    contact = demo_contact("demo-ar-24-7")
    url = f"/api/v1/contacts/{contact.id}"
    assert writer.delete(url).status_code == 428
    assert writer.delete(url, headers={"If-Match": etag_of(writer, url)}).status_code == 204
    archived = writer.get(url)
    assert archived.get_json()["removed"] is True and archived.get_json()["archived_at"]
    listed = writer.get("/api/v1/contacts?member_state=AR&page_size=100").get_json()
    assert contact.id not in [c["id"] for c in listed]

    assert writer.post(f"{url}/restore").status_code == 428
    assert writer.post(f"{url}/restore", headers={"If-Match": '"old"'}).status_code == 412
    restored = writer.post(f"{url}/restore", headers={"If-Match": archived.headers["ETag"]})
    assert restored.status_code == 200
    assert restored.get_json()["removed"] is False and restored.get_json()["archived_at"] is None
    actions = [e.action.value for e in audit_entries("contact_points", contact.id)]
    assert actions[-2:] == ["archive", "restore"]
    entry = audit_entries("contact_points", contact.id)[-2]
    assert entry.before["archived_at"] is None and entry.after["archived_at"]


def test_archived_entries_cannot_be_edited_until_restored(writer):
    url = f"/api/v1/contacts/{demo_contact('demo-ar-24-7').id}"
    writer.delete(url, headers={"If-Match": etag_of(writer, url)})
    response = writer.patch(url, json={"hours": "x"}, headers={"If-Match": etag_of(writer, url)})
    assert response.status_code == 409
    assert "restore it first" in response.get_json()["detail"]


def test_an_authority_with_contact_points_cannot_be_archived(writer):
    # One of its two live contacts is secretariat-only: the refusal must not count it.
    url = f"/api/v1/authorities/{demo_authority('demo-ar-prosecution').id}"
    response = writer.delete(url, headers={"If-Match": etag_of(writer, url)})
    assert response.status_code == 409
    assert response.get_json()["detail"] == (
        "This authority still has live contact points: archive or move them first. If you "
        "see none, ask the secretariat for help."
    )


def test_the_secretariat_is_told_how_many_contact_points_stop_an_archive(secretariat):
    url = f"/api/v1/authorities/{demo_authority('demo-ar-prosecution').id}"
    response = secretariat.delete(
        url, headers={"If-Match": etag_of(secretariat, url), **secretariat.csrf}
    )
    assert response.status_code == 409
    assert "still has 2 contact point(s)" in response.get_json()["detail"]


def test_verify_records_when_and_by_whom(writer):
    contact = demo_contact("demo-ar-focal")
    url = f"/api/v1/contacts/{contact.id}"
    assert writer.post(f"{url}/verify").status_code == 428
    response = writer.post(f"{url}/verify", headers={"If-Match": etag_of(writer, url)})
    assert response.status_code == 200
    body = response.get_json()
    verified_at = datetime.fromisoformat(body["last_verified_at"])
    assert abs(verified_at - datetime.now(UTC)) < timedelta(minutes=5)
    assert body["last_verified_by"] == "Partner"
    entry = audit_entries("contact_points", contact.id)[-1]
    assert entry.action.value == "verify"
    assert entry.before["last_verified_at"] is None and entry.after["last_verified_at"]


def test_verify_an_authority(secretariat):
    url = f"/api/v1/authorities/{demo_authority('demo-br-ministry').id}"
    response = secretariat.post(
        f"{url}/verify", headers={"If-Match": etag_of(secretariat, url), **secretariat.csrf}
    )
    assert response.status_code == 200
    assert response.get_json()["last_verified_by"].startswith("secretariat-")


# -- who may edit what -----------------------------------------------------------------------


def test_state_bound_client_cannot_edit_another_states_entries(writer):
    before = audit_count()
    url = f"/api/v1/contacts/{demo_contact('demo-br-focal').id}"
    response = writer.patch(url, json={"hours": "x"}, headers={"If-Match": etag_of(writer, url)})
    assert response.status_code == 403
    created = writer.post("/api/v1/authorities", json=authority_payload(member_state="BR"))
    assert created.status_code == 403
    assert audit_count() == before


def test_state_bound_client_cannot_move_a_contact_into_another_state(writer):
    contact = demo_contact("demo-ar-focal")
    url = f"/api/v1/contacts/{contact.id}"
    brazil = demo_authority("demo-br-ministry")
    before = audit_count()
    response = writer.patch(
        url, json={"authority_id": brazil.id}, headers={"If-Match": etag_of(writer, url)}
    )
    assert response.status_code == 403
    assert writer.get(url).get_json()["authority"]["id"] == contact.authority_id
    authority_url = f"/api/v1/authorities/{contact.authority_id}"
    moved = writer.patch(
        authority_url,
        json={"member_state": "BR"},
        headers={"If-Match": etag_of(writer, authority_url)},
    )
    assert moved.status_code == 403
    assert audit_count() == before


def test_state_bound_client_cannot_touch_hidden_contacts_of_its_own_state(writer):
    url = f"/api/v1/contacts/{demo_contact('demo-ar-alternate').id}"
    assert (
        writer.patch(url, json={"hours": "x"}, headers={"If-Match": '"stale"'}).status_code == 404
    )


def test_focal_point_edits_own_state_only(app, login):
    person = app.test_client()
    csrf = login(person, "focal_point", "AR")
    own = f"/api/v1/contacts/{demo_contact('demo-ar-focal').id}"
    response = person.patch(
        own,
        json={"hours": "Mon-Fri 08:00-15:00"},
        headers={"If-Match": etag_of(person, own), **csrf},
    )
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["hours"] == "Mon-Fri 08:00-15:00"
    entry = audit_entries("contact_points", demo_contact("demo-ar-focal").id)[-1]
    assert entry.actor_type.value == "user"
    foreign = f"/api/v1/contacts/{demo_contact('demo-mx-focal').id}"
    refused = person.patch(
        foreign, json={"hours": "x"}, headers={"If-Match": etag_of(person, foreign), **csrf}
    )
    assert refused.status_code == 403


def test_read_only_partner_cannot_write(api):
    url = f"/api/v1/contacts/{demo_contact('demo-ar-focal').id}"
    assert api.patch(url, json={"hours": "x"}, headers={"If-Match": '"stale"'}).status_code == 403
    assert api.post("/api/v1/contacts", json={}).status_code == 403


def test_secretariat_may_move_a_contact_to_another_state(secretariat):
    contact = demo_contact("demo-ar-focal")
    url = f"/api/v1/contacts/{contact.id}"
    brazil = demo_authority("demo-br-ministry")
    response = secretariat.patch(
        url,
        json={"authority_id": brazil.id},
        headers={"If-Match": etag_of(secretariat, url), **secretariat.csrf},
    )
    assert response.status_code == 200
    assert response.get_json()["member_state"] == "BR"


def test_session_write_without_csrf_token_is_refused(app, login):
    person = app.test_client()
    login(person, "secretariat")
    url = f"/api/v1/contacts/{demo_contact('demo-ar-focal').id}"
    response = person.patch(url, json={"hours": "x"}, headers={"If-Match": etag_of(person, url)})
    assert response.status_code == 400


def test_if_match_star_is_refused_so_nothing_is_overwritten_blindly(writer, session):
    from .directory_fixtures import demo_authority

    authority = demo_authority("demo-ar-coordination")
    response = writer.patch(
        f"/api/v1/authorities/{authority.id}", json={"acronym": "X"}, headers={"If-Match": "*"}
    )
    assert response.status_code == 428
    session.refresh(authority)
    assert authority.acronym != "X"
