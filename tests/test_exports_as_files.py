"""Exports behave like files: a dated file name, one table per CSV, a vCard for one contact,
and a clear 406 for a representation that is not offered."""

from __future__ import annotations

from datetime import UTC, datetime

import sqlalchemy as sa
import vobject

from service.directory.models import ContactPoint


def today() -> str:
    return datetime.now(UTC).date().isoformat()


def demo_contact(session, key: str = "demo-ar-24-7") -> ContactPoint:
    return session.execute(sa.select(ContactPoint).filter_by(demo_key=key)).scalar_one()


def test_contact_exports_are_saved_under_a_dated_file_name(api):
    for accept, extension in (("text/csv", "csv"), ("text/vcard", "vcf")):
        response = api.get("/api/v1/contacts?member_state=AR", headers={"Accept": accept})
        assert response.status_code == 200
        assert response.headers["Content-Disposition"] == (
            f'attachment; filename="contacts-{today()}.{extension}"'
        )
        assert response.mimetype_params["charset"] == "utf-8"


def test_one_contact_as_a_vcard_4_file(api, session):
    contact = demo_contact(session)
    response = api.get(f"/api/v1/contacts/{contact.id}", headers={"Accept": "text/vcard"})
    assert response.status_code == 200
    assert response.mimetype == "text/vcard"
    assert response.headers["Content-Disposition"] == (
        f'attachment; filename="contact-{contact.id}-{today()}.vcf"'
    )
    cards = list(vobject.readComponents(response.data.decode("utf-8")))
    assert len(cards) == 1
    assert cards[0].version.value == "4.0"
    assert cards[0].fn.value == "Demo 24/7 Victim Hotline (fictitious)"
    assert {tel.value for tel in cards[0].contents["tel"]} == {"tel:+12025550102"}
    # JSON stays the default, and the two representations have different ETags
    as_json = api.get(f"/api/v1/contacts/{contact.id}")
    assert as_json.mimetype == "application/json"
    assert as_json.headers["ETag"] != response.headers["ETag"]


def test_an_authoritys_contacts_as_vcards(api, session):
    contact = demo_contact(session)
    response = api.get(
        f"/api/v1/contacts?authority={contact.authority_id}", headers={"Accept": "text/vcard"}
    )
    cards = list(vobject.readComponents(response.data.decode("utf-8")))
    expected = session.execute(
        sa.select(sa.func.count())
        .select_from(ContactPoint)
        .where(
            ContactPoint.authority_id == contact.authority_id,
            ContactPoint.archived_at.is_(None),
            ContactPoint.visibility == "network",
        )
    ).scalar_one()
    assert len(cards) == expected >= 1


def test_an_unsupported_accept_is_a_406_problem_listing_what_is_offered(api, session):
    contact = demo_contact(session)
    listed = api.get("/api/v1/contacts", headers={"Accept": "application/xml"})
    assert listed.status_code == 406
    assert listed.mimetype == "application/problem+json"
    assert "offered: application/json, text/csv, text/vcard" in listed.get_json()["detail"]
    one = api.get(f"/api/v1/contacts/{contact.id}", headers={"Accept": "text/csv"})
    assert one.status_code == 406
    assert "offered: application/json, text/vcard" in one.get_json()["detail"]
    # a browser's or curl's usual Accept still gets JSON
    for accept in ("*/*", "text/html,application/xhtml+xml,*/*;q=0.8"):
        assert api.get("/api/v1/contacts", headers={"Accept": accept}).status_code == 200


def test_the_admin_exports_contacts_with_the_apis_csv_writer(app, api, login):
    browser = app.test_client()
    login(browser, "secretariat")
    from_admin = browser.get("/admin/contactpoint/export/csv/?flt0_member_state_equals=AR")
    from_api = api.get("/api/v1/contacts?member_state=AR", headers={"Accept": "text/csv"})
    assert from_admin.status_code == 200
    assert from_admin.headers["Content-Disposition"] == from_api.headers["Content-Disposition"]
    assert from_admin.data.splitlines()[0] == from_api.data.splitlines()[0]  # same columns
    assert len(from_admin.data.splitlines()) >= 2


def test_every_admin_csv_export_is_a_dated_download(app, login):
    browser = app.test_client()
    login(browser, "secretariat")
    for path in ("/admin/authority/", "/admin/activity/", "/admin/recommendation/"):
        response = browser.get(f"{path}export/csv/")
        assert response.status_code == 200
        assert response.get_data(as_text=True).count("\n") > 1  # streamed to its end
        response.close()
        disposition = response.headers["Content-Disposition"]
        assert disposition.startswith("attachment;") and f"_{today()}_" in disposition
