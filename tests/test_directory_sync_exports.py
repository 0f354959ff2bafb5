"""Incremental sync, CSV and vCard exports, completeness per member state."""

import csv
import io
from urllib.parse import quote

import pytest
import vobject

from service.directory.completeness import database_now

from .directory_fixtures import (
    contact_payload,
    demo_authority,
    demo_contact,
    pagination,
)


def database_time() -> str:
    return database_now().isoformat()


def etag_of(test_client, url: str) -> str:
    return test_client.get(url).headers["ETag"]


# -- incremental sync ------------------------------------------------------------------------


def test_updated_since_returns_changes_and_archived_entries_marked_removed(writer):
    since = writer.get(f"/api/v1/contacts?updated_since={quote(database_time())}")
    assert since.get_json() == []
    since_text = database_time()
    changed = demo_contact("demo-ar-focal")
    archived = demo_contact("demo-ar-24-7")
    for contact, call in ((changed, "patch"), (archived, "delete")):
        url = f"/api/v1/contacts/{contact.id}"
        kwargs = {"json": {"hours": "Mon-Fri 07:00-15:00"}} if call == "patch" else {}
        response = getattr(writer, call)(url, headers={"If-Match": etag_of(writer, url)}, **kwargs)
        assert response.status_code in (200, 204)

    response = writer.get(f"/api/v1/contacts?updated_since={quote(since_text)}&sort=updated_at")
    entries = {c["id"]: c for c in response.get_json()}
    assert entries.keys() == {changed.id, archived.id}
    assert entries[changed.id]["removed"] is False
    assert entries[archived.id]["removed"] is True
    assert entries[archived.id]["archived_at"] >= since_text[:19]
    # an ordinary listing leaves the archived one out
    plain = writer.get("/api/v1/contacts?member_state=AR&page_size=100").get_json()
    assert archived.id not in [c["id"] for c in plain]


def test_updated_since_needs_a_time_zone(api):
    response = api.get("/api/v1/authorities?updated_since=2026-01-01T00:00:00")
    assert response.status_code == 422
    assert response.get_json()["errors"][0]["field"] == "updated_since"


def test_authorities_sync_includes_archived_authorities(secretariat):
    since_text = database_time()
    authority = demo_authority("demo-jm-child")
    for contact_key in ("demo-jm-focal", "demo-jm-technical"):
        url = f"/api/v1/contacts/{demo_contact(contact_key).id}"
        headers = {"If-Match": etag_of(secretariat, url), **secretariat.csrf}
        assert secretariat.delete(url, headers=headers).status_code == 204
    url = f"/api/v1/authorities/{authority.id}"
    headers = {"If-Match": etag_of(secretariat, url), **secretariat.csrf}
    assert secretariat.delete(url, headers=headers).status_code == 204
    synced = secretariat.get(f"/api/v1/authorities?updated_since={quote(since_text)}").get_json()
    assert [(a["id"], a["removed"]) for a in synced] == [(authority.id, True)]


def _hide(secretariat, contact_id: int) -> dict:
    """The secretariat marks a contact point secretariat-only; returns what it then shows."""
    url = f"/api/v1/contacts/{contact_id}"
    headers = {"If-Match": etag_of(secretariat, url), **secretariat.csrf}
    response = secretariat.patch(url, json={"visibility": "secretariat"}, headers=headers)
    assert response.status_code == 200, response.get_json()
    return response.get_json()


TOMBSTONE_KEYS = {"id", "removed", "archived_at", "updated_at"}


def test_sync_lists_a_contact_made_secretariat_only_as_a_bare_tombstone(api, secretariat):
    contact = demo_contact("demo-ar-focal")
    since_text = database_time()
    sync_url = f"/api/v1/contacts?updated_since={quote(since_text)}"
    # the partner's mirror holds the contact, and its sync has nothing new yet
    assert contact.id in [c["id"] for c in api.get("/api/v1/contacts?page_size=100").get_json()]
    before = api.get(sync_url)
    assert before.get_json() == []

    hidden = _hide(secretariat, contact.id)

    response = api.get(sync_url, headers={"If-None-Match": before.headers["ETag"]})
    assert response.status_code == 200 and response.headers["ETag"] != before.headers["ETag"]
    [entry] = response.get_json()
    assert entry.keys() == TOMBSTONE_KEYS
    assert entry["id"] == contact.id and entry["removed"] is True
    assert entry["archived_at"] is None
    assert entry["updated_at"] == hidden["updated_at"] >= since_text[:19]
    assert b"Focal Point Office" not in response.data and b"demo-ar" not in response.data

    # the secretariat's own sync shows it in full
    [full] = secretariat.get(sync_url).get_json()
    assert full["id"] == contact.id and full["removed"] is False
    assert full["visibility"] == "secretariat" and full["name"] == hidden["name"]
    assert full["channels"] and full["authority"]["name"]

    # the plain list and the exports still leave it out altogether
    plain = api.get("/api/v1/contacts?page_size=100").get_json()
    assert contact.id not in [c["id"] for c in plain]
    assert all("name" in c for c in plain)
    for mimetype in ("text/csv", "text/vcard"):
        export = api.get(sync_url, headers={"Accept": mimetype})
        assert export.status_code == 200 and hidden["name"].encode() not in export.data
        assert pagination(export)["total"] == 0


def test_tombstones_ignore_content_filters_and_change_the_sync_etag(api, secretariat):
    contact = demo_contact("demo-ar-focal")
    since_text = database_time()
    hidden = _hide(secretariat, contact.id)
    # a filter on a hidden contact's details would let a partner probe them: none applies
    for query in ("q=no-such-name", "member_state=BR", "role=technical", "sort=name"):
        url = f"/api/v1/contacts?updated_since={quote(since_text)}&{query}"
        entries = api.get(url).get_json()
        assert [(e["id"], e.keys() == TOMBSTONE_KEYS) for e in entries] == [(contact.id, True)]

    # a later change to the hidden contact moves the tombstone and the list's ETag
    sync_url = f"/api/v1/contacts?updated_since={quote(since_text)}"
    first = api.get(sync_url)
    url = f"/api/v1/contacts/{contact.id}"
    headers = {"If-Match": etag_of(secretariat, url), **secretariat.csrf}
    changed = secretariat.patch(url, json={"hours": "Mon-Fri 08:00-12:00"}, headers=headers)
    assert changed.status_code == 200
    again = api.get(sync_url, headers={"If-None-Match": first.headers["ETag"]})
    assert again.status_code == 200 and again.headers["ETag"] != first.headers["ETag"]
    [entry] = again.get_json()
    assert entry.keys() == TOMBSTONE_KEYS
    assert entry["updated_at"] == changed.get_json()["updated_at"] > hidden["updated_at"]


def test_sync_tombstones_come_last_in_an_order_by_name(api, secretariat, writer):
    since_text = database_time()
    hidden = demo_contact("demo-ar-24-7")
    _hide(secretariat, hidden.id)
    url = "/api/v1/contacts/{}".format(demo_contact("demo-ar-focal").id)
    response = writer.patch(
        url, json={"hours": "Mon-Fri 07:00-15:00"}, headers={"If-Match": etag_of(writer, url)}
    )
    assert response.status_code == 200
    for sort in ("name", "-name", "member_state"):
        entries = api.get(
            f"/api/v1/contacts?updated_since={quote(since_text)}&sort={sort}"
        ).get_json()
        assert [e["id"] for e in entries] == [demo_contact("demo-ar-focal").id, hidden.id]


def test_a_contact_hidden_before_updated_since_is_not_in_the_sync(api, secretariat):
    contact = demo_contact("demo-br-focal")
    _hide(secretariat, contact.id)
    since_text = database_time()
    synced = api.get(f"/api/v1/contacts?updated_since={quote(since_text)}").get_json()
    assert synced == []
    # nor the seed's secretariat-only contacts, hidden long before
    seeded = demo_contact("demo-ar-alternate")
    old_sync = api.get("/api/v1/contacts?updated_since=2000-01-01T00:00:00Z&page_size=100")
    ids = {e["id"]: e for e in old_sync.get_json()}
    assert ids[seeded.id].keys() == TOMBSTONE_KEYS  # hidden since the 'then' of this sync
    assert ids[contact.id].keys() == TOMBSTONE_KEYS


# -- exports ---------------------------------------------------------------------------------


def test_csv_export_has_one_row_per_contact_matching_the_json(api):
    json_list = api.get("/api/v1/contacts?member_state=AR,BR&page_size=100").get_json()
    response = api.get(
        "/api/v1/contacts?member_state=AR,BR&page_size=2", headers={"Accept": "text/csv"}
    )
    assert response.status_code == 200
    assert response.mimetype == "text/csv" and response.mimetype_params["charset"] == "utf-8"
    rows = list(csv.DictReader(io.StringIO(response.data.decode("utf-8"))))
    assert pagination(response)["total"] == len(rows) == len(json_list)  # not one page: all
    for row, contact in zip(rows, json_list, strict=True):
        assert int(row["id"]) == contact["id"]
        assert row["name"] == contact["name"]
        assert row["authority"] == contact["authority"]["name"]
        assert row["member_state"] == contact["member_state"]
        assert row["languages"].split("; ") == contact["languages"]
        assert row["hours"] == contact["hours"]  # en dashes in the seed: UTF-8 round trip
        for kind in ("email", "phone", "mobile", "fax", "secure_mail", "website"):
            values = [c["value"] for c in contact["channels"] if c["type"] == kind]
            assert row[kind] == "; ".join(values)


def test_csv_neutralises_spreadsheet_formulas(writer):
    authority = demo_authority("demo-ar-coordination")
    writer.post(
        "/api/v1/contacts", json=contact_payload(authority.id, name="=HYPERLINK(1)", position=None)
    )
    response = writer.get("/api/v1/contacts?q=hyperlink", headers={"Accept": "text/csv"})
    [row] = list(csv.DictReader(io.StringIO(response.data.decode("utf-8"))))
    assert row["name"] == "'=HYPERLINK(1)"


def test_csv_quotes_every_text_and_channel_cell_that_would_run_as_a_formula(writer):
    authority = demo_authority("demo-ar-coordination")
    created = writer.post(
        "/api/v1/contacts",
        json=contact_payload(
            authority.id,
            name="Oficina Formula",
            position="@SUM(1+1)",
            hours="-2+3",
            channels=[
                {"type": "email", "value": "-2+3@demo-ar.example.org", "preferred": True},
                {"type": "secure_mail", "value": "=1+1@demo-ar.example.org"},
                {"type": "phone", "value": "011 5555-0177", "region": "AR"},
            ],
        ),
    )
    assert created.status_code == 201, created.get_json()
    response = writer.get("/api/v1/contacts?q=formula", headers={"Accept": "text/csv"})
    [row] = list(csv.DictReader(io.StringIO(response.data.decode("utf-8"))))
    assert row["position"] == "'@SUM(1+1)"
    assert row["hours"] == "'-2+3"
    assert row["email"] == "'-2+3@demo-ar.example.org"
    assert row["secure_mail"] == "'=1+1@demo-ar.example.org"
    assert row["phone"] == "+541155550177"  # a number, still read as one


@pytest.mark.parametrize("injected", ["EMAIL:x@evil.example", "EMAIL;PREF=1:x@evil.example"])
def test_vcard_a_carriage_return_in_a_name_cannot_add_a_property(writer, injected):
    authority = demo_authority("demo-ar-coordination")
    name = f"Oficina Inyectada\r{injected}"
    created = writer.post("/api/v1/contacts", json=contact_payload(authority.id, name=name))
    assert created.status_code == 201, created.get_json()
    response = writer.get("/api/v1/contacts?q=inyectada", headers={"Accept": "text/vcard"})
    assert response.status_code == 200 and response.mimetype == "text/vcard"
    [card] = list(vobject.readComponents(response.data.decode("utf-8")))
    assert [e.value for e in card.contents["email"]] == ["enlace.nuevo@demo-ar.example.org"]
    assert card.fn.value == f"Oficina Inyectada\n{injected}"  # one line break, in the name


def test_vcard_export_parses_back_to_the_json(api):
    json_list = api.get("/api/v1/contacts?member_state=CA,MX&page_size=100").get_json()
    response = api.get("/api/v1/contacts?member_state=CA,MX", headers={"Accept": "text/vcard"})
    assert response.status_code == 200 and response.mimetype == "text/vcard"
    cards = list(vobject.readComponents(response.data.decode("utf-8")))
    assert len(cards) == len(json_list) == 4
    uids = set()
    for card, contact in zip(cards, json_list, strict=True):
        assert card.version.value == "4.0"
        assert card.fn.value == contact["name"]
        assert card.org.value == [contact["authority"]["name"]]
        assert card.role.value
        assert card.rev.value.endswith("Z")
        phones = [
            c["value"] for c in contact["channels"] if c["type"] in ("phone", "mobile", "fax")
        ]
        assert [t.value for t in card.contents.get("tel", [])] == [f"tel:{p}" for p in phones]
        emails = [c["value"] for c in contact["channels"] if c["type"] in ("email", "secure_mail")]
        assert [e.value for e in card.contents.get("email", [])] == emails
        assert [lang.value for lang in card.contents["lang"]] == contact["languages"]
        assert card.tz.value == contact["time_zone"]
        uids.add(card.uid.value)
    assert len(uids) == len(cards)


def test_exports_have_their_own_etag_and_304(api):
    url = "/api/v1/contacts?member_state=AR"
    json_tag = api.get(url).headers["ETag"]
    csv_tag = api.get(url, headers={"Accept": "text/csv"}).headers["ETag"]
    assert csv_tag != json_tag
    again = api.get(url, headers={"Accept": "text/csv", "If-None-Match": csv_tag})
    assert again.status_code == 304


def test_exports_leave_out_secretariat_only_contacts_for_partners(api):
    body = api.get("/api/v1/contacts?page_size=100", headers={"Accept": "text/vcard"}).data
    assert b"Person Alfa" not in body and b"Focal Point Office" in body


# -- completeness ----------------------------------------------------------------------------


def test_completeness_reports_the_gaps_of_each_state(api):
    response = api.get("/api/v1/member-states/completeness")
    assert response.status_code == 200
    reports = {r["member_state"]: r for r in response.get_json()}
    assert len(reports) == 35
    argentina = reports["AR"]
    # its 24/7 contact is at the national committee, not an investigative authority, and
    # nothing in the demo was ever re-confirmed
    assert argentina["gaps"] == ["investigative_24_7", "freshness"]
    assert argentina["complete"] is False
    assert argentina["has_coordinating_authority"] and argentina["has_focal_point"]
    assert argentina["has_24_7_contact"] is True
    assert argentina["active_contact_points"] == 3  # the two secretariat-only ones: unseen
    assert argentina["verified_last_12_months"] == 0 and argentina["verified_share"] == 0
    assert argentina["last_change"]
    assert reports["BR"]["has_24_7_contact"] is False
    assert "investigative_24_7" in reports["BR"]["gaps"]
    assert {code for code, r in reports.items() if r["complete"]} == set()
    assert reports["US"]["gaps"] == [
        "coordinating_authority",
        "focal_point",
        "victim_assistance",
        "investigative_24_7",
        "freshness",
    ]
    assert reports["US"]["active_contact_points"] == 0
    assert reports["US"]["verified_share"] is None and reports["US"]["last_change"] is None
    assert reports["NI"]["participating"] is False and reports["NI"]["complete"] is None


def test_completeness_of_one_state_follows_verification_and_archiving(writer):
    url = f"/api/v1/contacts/{demo_contact('demo-ar-focal').id}"
    writer.post(f"{url}/verify", headers={"If-Match": etag_of(writer, url)})
    report = writer.get("/api/v1/member-states/ar/completeness").get_json()
    assert report["verified_last_12_months"] == 1 and report["verified_share"] == 0.333
    hotline = f"/api/v1/contacts/{demo_contact('demo-ar-24-7').id}"
    writer.delete(hotline, headers={"If-Match": etag_of(writer, hotline)})
    report = writer.get("/api/v1/member-states/AR/completeness").get_json()
    assert report["has_24_7_contact"] is False and report["active_contact_points"] == 2
    assert writer.get("/api/v1/member-states/ZZ/completeness").status_code == 404


def test_completeness_is_the_same_for_every_viewer_and_leaks_nothing_hidden(api, secretariat):
    """Computed among entries visible to the network: a secretariat-only contact counts for
    nobody, and changing it changes nothing a partner is shown."""
    url = f"/api/v1/contacts/{demo_contact('demo-ar-24-7').id}"
    before = api.get("/api/v1/member-states/AR/completeness").get_json()
    assert secretariat.get("/api/v1/member-states/AR/completeness").get_json() == before
    response = secretariat.patch(
        url,
        json={"visibility": "secretariat"},
        headers={"If-Match": etag_of(secretariat, url), **secretariat.csrf},
    )
    assert response.status_code == 200, response.get_json()
    hidden = api.get("/api/v1/member-states/AR/completeness").get_json()
    assert hidden["has_24_7_contact"] is False
    assert hidden["active_contact_points"] == before["active_contact_points"] - 1
    response = secretariat.patch(
        url,
        json={"position": "Changed where partners cannot see"},
        headers={"If-Match": etag_of(secretariat, url), **secretariat.csrf},
    )
    assert response.status_code == 200
    assert api.get("/api/v1/member-states/AR/completeness").get_json() == hidden


def test_completeness_filters_by_several_states(api):
    response = api.get("/api/v1/member-states/completeness?member_state=br,JM")
    assert [r["member_state"] for r in response.get_json()] == ["BR", "JM"]
