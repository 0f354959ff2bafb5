"""The admin in a real browser: OIDC sign-in at the test provider, edits, refusals, one-time secret.

These tests run against the live server in its own thread, so they commit real rows (never the
rolled-back `session` fixture) and remove them afterwards.
"""

import re
import uuid
from contextlib import contextmanager
from pathlib import Path

import pytest
import requests
import sqlalchemy as sa
from playwright.sync_api import expect

from service.audit.models import AuditEntry
from service.core.db import db
from service.core.limits import limiter
from service.directory.models import Authority, Channel, ContactKind, ContactPoint, ContactRole
from service.identity.models import Invitation, Role, User
from service.identity.services import invite
from service.oauth.models import ApiClient

PROVIDER_BUTTON = "Test identity provider"


@contextmanager
def database(app):
    with app.app_context():
        try:
            yield db.session
        finally:
            db.session.remove()


@pytest.fixture(autouse=True)
def fresh_login_limits(app):
    """Sign-ins are rate limited per address, and every test signs in from 127.0.0.1."""
    with app.app_context():
        limiter.reset()


def invited(app, email: str, subject: str, role: Role, state: str | None):
    with database(app) as session:
        invite(email, role, state, None)
        session.commit()
    try:
        yield email
    finally:
        with database(app) as session:
            users = session.scalars(sa.select(User).where(User.subject == subject)).all()
            invitations = session.scalars(
                sa.select(Invitation).where(Invitation.email == email)
            ).all()
            for entity_type, rows in (("invitations", invitations), ("users", users)):
                session.execute(
                    sa.delete(AuditEntry).where(
                        AuditEntry.entity_type == entity_type,
                        AuditEntry.entity_id.in_([str(r.id) for r in rows]),
                    )
                )
            for row in [*invitations, *users]:
                session.delete(row)
            session.commit()


@pytest.fixture
def focal_point_ar(app, live_server):
    yield from invited(app, "focal-ar@example.org", "focal-ar", Role.FOCAL_POINT, "AR")


@pytest.fixture
def secretariat_person(app, live_server):
    yield from invited(app, "admin@example.org", "admin", Role.SECRETARIAT, None)


@pytest.fixture
def ar_contact(app):
    """A contact point of Argentina made for the test, with one phone channel."""
    with database(app) as session:
        authority = session.scalars(
            sa.select(Authority)
            .where(Authority.member_state_code == "AR", Authority.archived_at.is_(None))
            .order_by(Authority.id)
        ).first()
        contact = ContactPoint(
            authority=authority,
            kind=ContactKind.OFFICE,
            name=f"E2E duty office {uuid.uuid4().hex[:6]}",
            role=ContactRole.TECHNICAL,
            channels=[Channel(type="phone", value="+541155550100", preferred=True)],
        )
        session.add(contact)
        session.commit()
        contact_id = contact.id
    yield contact_id
    with database(app) as session:
        session.execute(
            sa.delete(AuditEntry).where(
                AuditEntry.entity_type == "contact_points", AuditEntry.entity_id == str(contact_id)
            )
        )
        session.delete(session.get(ContactPoint, contact_id))
        session.commit()


def shots(output_path: str) -> Path:
    """This test's folder under the run's output (test-results/ by default)."""
    folder = Path(output_path)
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def sign_in(page, live_server: str, email: str, password: str) -> None:
    """From the admin, through our sign-in page, to the provider's form and back."""
    page.goto(f"{live_server}/admin/")
    expect(page).to_have_url(re.compile(r"/auth/login\?next=/admin/"))
    page.get_by_role("link", name=PROVIDER_BUTTON).click()
    page.fill('input[name="login"]', email)
    page.fill('input[name="password"]', password)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{live_server}/admin/")
    expect(page.get_by_test_id("signed-in")).to_contain_text(email)


def test_invited_focal_point_changes_a_phone_and_the_api_serves_it(
    app, live_server, page, focal_point_ar, ar_contact, output_path
):
    sign_in(page, live_server, "focal-ar@example.org", "secret-ar")
    expect(page.get_by_test_id("signed-in")).to_contain_text("AR")
    api_url = f"{live_server}/api/v1/contacts/{ar_contact}"
    before = page.request.get(api_url)
    assert before.ok
    etag_before = before.headers["etag"]

    page.goto(f"{live_server}/admin/contactpoint/edit/?id={ar_contact}")
    page.fill('input[name="channels-0-value"]', "+54 11 5555 0142")
    page.screenshot(path=str(shots(output_path) / "contact-edit-form.png"), full_page=True)
    page.locator('input[type="submit"][value="Save"]').click()

    expect(page).to_have_url(re.compile(r"/admin/contactpoint/(\?.*)?$"))
    expect(page.locator(".alert-success")).to_contain_text("saved")
    expect(page.locator("table.model-list")).to_contain_text("+541155550142")

    after = page.request.get(api_url)
    assert after.ok
    assert "+541155550142" in [channel["value"] for channel in after.json()["channels"]]
    assert after.headers["etag"] != etag_before
    with database(app) as session:
        entry = session.scalars(
            sa.select(AuditEntry)
            .where(
                AuditEntry.entity_type == "contact_points",
                AuditEntry.entity_id == str(ar_contact),
                AuditEntry.action == "update",
            )
            .order_by(AuditEntry.id.desc())
        ).first()
        assert entry is not None and entry.actor_label == "focal-ar@example.org"
        assert "+541155550142" in str(entry.after["channels"])
        assert "+541155550100" in str(entry.before["channels"])


def test_focal_point_typing_another_states_contact_url_is_refused(
    app, live_server, page, focal_point_ar
):
    with database(app) as session:
        brazil = session.scalars(
            sa.select(ContactPoint.id)
            .join(ContactPoint.authority)
            .where(Authority.member_state_code == "BR", ContactPoint.visibility == "network")
        ).first()
    sign_in(page, live_server, "focal-ar@example.org", "secret-ar")
    for view in ("edit", "details"):
        response = page.goto(f"{live_server}/admin/contactpoint/{view}/?id={brazil}")
        assert response.status == 403
        expect(page.locator(".alert")).to_contain_text("not your member state")


def test_secretariat_creates_an_api_client_and_sees_the_secret_only_once(
    app, live_server, page, secretariat_person, output_path
):
    name = f"E2E partner {uuid.uuid4().hex[:6]}"
    sign_in(page, live_server, "admin@example.org", "secret-admin")
    try:
        page.goto(f"{live_server}/admin/apiclient/new/")
        page.fill('input[name="name"]', name)
        page.check('input[name="scope"][value="directory:read"]')
        page.check('input[name="scope"][value="workplan:read"]')
        page.locator('input[type="submit"][value="Save"]').click()

        secret = page.get_by_test_id("client-secret").inner_text().strip()
        client_id = page.get_by_test_id("client-id").inner_text().strip()
        assert len(secret) >= 20
        page.screenshot(path=str(shots(output_path) / "api-client-secret.png"), full_page=True)

        page.get_by_role("link", name="Done").click()
        expect(page.locator("table.model-list")).to_contain_text(client_id)
        assert secret not in page.content()
        with database(app) as session:
            stored = session.scalars(sa.select(ApiClient).where(ApiClient.name == name)).one()
            assert stored.check_client_secret(secret)
            assert secret not in stored.client_secret_hash
            client_pk = stored.id
        page.goto(f"{live_server}/admin/apiclient/details/?id={client_pk}")
        expect(page.locator("body")).to_contain_text(client_id)
        assert secret not in page.content()
    finally:
        with database(app) as session:
            clients = session.scalars(sa.select(ApiClient).where(ApiClient.name == name)).all()
            session.execute(
                sa.delete(AuditEntry).where(
                    AuditEntry.entity_type == "api_clients",
                    AuditEntry.entity_id.in_([str(c.id) for c in clients]),
                )
            )
            for client in clients:
                session.delete(client)
            session.commit()


def test_dashboard_renders_the_completeness_table(
    live_server, page, secretariat_person, output_path
):
    sign_in(page, live_server, "admin@example.org", "secret-admin")
    table = page.locator("table#completeness")
    expect(table).to_be_visible()
    assert table.locator("tbody tr").count() >= 30  # every OAS member state
    expect(table.locator('tr[data-state="BR"] td.gap').first).to_be_visible()
    expect(page.get_by_text("Activity status per pillar").first).to_be_visible()
    page.screenshot(path=str(shots(output_path) / "admin-dashboard.png"), full_page=True)


# -- a stale edit form never undoes a change made meanwhile --------------------------------------


@pytest.fixture
def ar_writer(app, live_server):
    """A partner system of Argentina that may write its directory: `Authorization` headers."""
    from service.oauth.models import OAuthToken
    from service.oauth.services import register_client
    from service.oauth.tokens import issue_token

    with database(app) as session:
        client, _ = register_client(
            f"E2E AR system {uuid.uuid4().hex[:6]}", "directory:read directory:write", "AR"
        )
        plain, _ = issue_token(client, "directory:read directory:write")
        session.commit()
        client_pk = client.id
    yield {"Authorization": f"Bearer {plain}"}
    with database(app) as session:
        session.execute(sa.delete(OAuthToken).where(OAuthToken.client_id == client_pk))
        session.execute(
            sa.delete(AuditEntry).where(
                AuditEntry.entity_type == "api_clients", AuditEntry.entity_id == str(client_pk)
            )
        )
        session.delete(session.get(ApiClient, client_pk))
        session.commit()


@pytest.fixture
def ar_authority(app):
    """An authority of Argentina made for the test."""
    with database(app) as session:
        authority = Authority(
            member_state_code="AR",
            name=f"E2E Ministry {uuid.uuid4().hex[:6]}",
            acronym="OLD",
            kind="ministry",
        )
        session.add(authority)
        session.commit()
        authority_id = authority.id
    yield authority_id
    with database(app) as session:
        session.execute(
            sa.delete(AuditEntry).where(
                AuditEntry.entity_type == "authorities", AuditEntry.entity_id == str(authority_id)
            )
        )
        session.delete(session.get(Authority, authority_id))
        session.commit()


def api_patch(live_server: str, path: str, headers: dict, changes: dict) -> dict:
    url = f"{live_server}/api/v1/{path}"
    current = requests.get(url, headers=headers, timeout=10)
    assert current.ok, current.text
    changed = requests.patch(
        url, json=changes, headers={**headers, "If-Match": current.headers["ETag"]}, timeout=10
    )
    assert changed.ok, changed.text
    return changed.json()


def test_stale_authority_form_keeps_the_apis_acronym_and_says_so(
    app, live_server, page, focal_point_ar, ar_authority, ar_writer, output_path
):
    sign_in(page, live_server, "focal-ar@example.org", "secret-ar")
    page.goto(f"{live_server}/admin/authority/edit/?id={ar_authority}")
    expect(page.locator('input[name="acronym"]')).to_have_value("OLD")

    api_patch(live_server, f"authorities/{ar_authority}", ar_writer, {"acronym": "FROM-API"})

    page.locator('input[type="submit"][value="Save"]').click()  # the unchanged form

    conflict = page.get_by_test_id("edit-conflict")
    expect(conflict).to_contain_text("someone else changed this entry since you opened the form")
    expect(conflict).to_contain_text("Nothing was saved")
    row = page.get_by_test_id("edit-conflict-fields").locator("tr", has_text="Acronym")
    expect(row).to_contain_text("FROM-API")
    expect(row).to_contain_text("OLD")
    expect(page.locator('input[name="acronym"]')).to_have_value("FROM-API")
    page.screenshot(path=str(shots(output_path) / "stale-authority-form.png"), full_page=True)
    served = requests.get(
        f"{live_server}/api/v1/authorities/{ar_authority}", headers=ar_writer, timeout=10
    )
    assert served.json()["acronym"] == "FROM-API"

    # The form now holds the saved values: the focal point's own change goes through on top.
    page.fill('input[name="name_local"]', "Ministerio (E2E)")
    page.locator('input[type="submit"][value="Save"]').click()
    expect(page.locator(".alert-success")).to_contain_text("saved")
    with database(app) as session:
        stored = session.get(Authority, ar_authority)
        assert (stored.acronym, stored.name_local) == ("FROM-API", "Ministerio (E2E)")


def test_stale_contact_form_keeps_the_apis_position_and_channels(
    app, live_server, page, focal_point_ar, ar_contact, ar_writer
):
    sign_in(page, live_server, "focal-ar@example.org", "secret-ar")
    page.goto(f"{live_server}/admin/contactpoint/edit/?id={ar_contact}")
    expect(page.locator('input[name="channels-0-value"]')).to_have_value("+541155550100")

    api_patch(
        live_server,
        f"contacts/{ar_contact}",
        ar_writer,
        {
            "position": "Duty officer (from the API)",
            "channels": [{"type": "email", "value": "duty@demo-ar.example.org"}],
        },
    )

    page.locator('input[type="submit"][value="Save"]').click()

    expect(page.get_by_test_id("edit-conflict")).to_contain_text("someone else changed")
    table = page.get_by_test_id("edit-conflict-fields")
    expect(table.locator("tr", has_text="Position")).to_contain_text("Duty officer (from the API)")
    channels = table.locator("tr", has_text="Channels")
    expect(channels).to_contain_text("duty@demo-ar.example.org")
    expect(channels).to_contain_text("+541155550100")
    expect(page.locator('input[name="position"]')).to_have_value("Duty officer (from the API)")
    expect(page.locator('input[name="channels-0-value"]')).to_have_value("duty@demo-ar.example.org")
    with database(app) as session:
        stored = session.get(ContactPoint, ar_contact)
        assert stored.position == "Duty officer (from the API)"
        assert [ch.value for ch in stored.channels] == ["duty@demo-ar.example.org"]
