"""The admin UI: who gets in, and a focal point's reach limited to their own state on every path."""

import csv
import datetime
import html
import io
import re
import time
import uuid

import pytest
import sqlalchemy as sa

from service.audit.models import AuditEntry
from service.core.db import db
from service.directory.models import Authority, ContactPoint, MemberState, Visibility
from service.identity.models import Invitation, User
from service.oauth.models import ApiClient
from service.workplan.models import (
    Activity,
    DocumentKind,
    Recommendation,
    ResponsibleBody,
    SourceDocument,
    WorkPlan,
    WorkPlanStatus,
)


def by_key(session, model, key):
    return session.execute(sa.select(model).where(model.demo_key == key)).scalar_one()


def contact_of(session, state, visibility=Visibility.NETWORK):
    return session.execute(
        sa.select(ContactPoint)
        .join(ContactPoint.authority)
        .where(
            Authority.member_state_code == state,
            ContactPoint.visibility == visibility,
            ContactPoint.archived_at.is_(None),
        )
        .order_by(ContactPoint.id)
        .limit(1)
    ).scalar_one()


def authority_of(session, state):
    return session.execute(
        sa.select(Authority)
        .where(Authority.member_state_code == state, Authority.archived_at.is_(None))
        .order_by(Authority.id)
        .limit(1)
    ).scalar_one()


def text(response) -> str:
    return response.get_data(as_text=True)


def csrf_of(page) -> str:
    return re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', text(page)).group(1)


@pytest.fixture
def focal_ar(client, login):
    login(client, "focal_point", "AR")
    return client


@pytest.fixture
def secretariat(client, login):
    login(client, "secretariat")
    return client


def contact_form(contact, **changes) -> dict:
    """The edit form of a contact as the browser posts it, with some values changed."""
    data = {
        "row_version": str(contact.version),  # the version the form was opened on
        "authority_id": str(contact.authority_id),
        "kind": contact.kind.value,
        "name": contact.name,
        "position": contact.position or "",
        "role": contact.role.value,
        "languages": ", ".join(contact.languages or []),
        "hours": contact.hours or "",
        "time_zone": contact.time_zone or "",
        "visibility": contact.visibility.value,
        "status": contact.status.value,
        "competences": [c.code for c in contact.competences],
    }
    if contact.available_24_7:
        data["available_24_7"] = "y"
    for i, channel in enumerate(contact.channels):
        data[f"channels-{i}-type"] = channel.type.value
        data[f"channels-{i}-value"] = channel.value
        data[f"channels-{i}-label"] = channel.label or ""
        if channel.preferred:
            data[f"channels-{i}-preferred"] = "y"
    data.update(changes)
    return data


# -- getting in -------------------------------------------------------------------------------


def test_anonymous_visitor_is_sent_to_sign_in_and_back(client):
    response = client.get("/admin/contactpoint/?search=x")
    assert response.status_code == 302
    assert response.headers["Location"] == "/auth/login?next=/admin/contactpoint/?search%3Dx"
    assert client.get("/admin/").status_code == 302


def test_signed_in_person_without_a_role_gets_a_403_page(client, login):
    login(client, None)
    response = client.get("/admin/")
    assert response.status_code == 403
    assert "403" in text(response) and "Sign out" in text(response)


def test_partner_system_token_does_not_open_the_admin(app, session, bearer):
    response = app.test_client().get("/admin/", headers=bearer())
    assert response.status_code == 302


def test_layout_shows_who_is_signed_in_with_their_state_and_a_sign_out(focal_ar):
    page = text(focal_ar.get("/admin/"))
    assert re.search(r"Signed in as <strong>focal_point-\w+@example.org</strong>", page)
    assert "focal point" in page and "· AR" in page
    assert 'action="/auth/logout"' in page


@pytest.mark.parametrize(
    "path", ["/admin/user/", "/admin/invitation/", "/admin/apiclient/", "/admin/auditentry/"]
)
def test_focal_point_cannot_open_the_secretariat_views(focal_ar, path):
    assert focal_ar.get(path).status_code == 403


def test_focal_point_reads_the_work_plan_but_cannot_change_it(focal_ar):
    assert focal_ar.get("/admin/activity/").status_code == 200
    assert focal_ar.get("/admin/activity/new/").status_code == 302  # flask-admin: back to list
    assert "/admin/activity/new/" not in text(focal_ar.get("/admin/activity/"))


# -- every path of the directory views is scoped --------------------------------------------


def test_focal_point_lists_only_their_own_states_entries_with_the_right_count(focal_ar, session):
    ar_total = session.scalar(
        sa.select(sa.func.count())
        .select_from(ContactPoint)
        .join(ContactPoint.authority)
        .where(Authority.member_state_code == "AR", ContactPoint.visibility == "network")
    )
    page = text(focal_ar.get("/admin/contactpoint/"))
    assert "AR · " in page and "BR · " not in page
    assert (
        f"{ar_total} items" in page
        or f"({ar_total})" in page
        or ar_total == page.count('name="rowid"')
    )
    assert "BR · " not in text(focal_ar.get("/admin/authority/"))


def test_secretariat_lists_every_state(secretariat):
    page = text(secretariat.get("/admin/contactpoint/"))
    assert "AR · " in page and "BR · " in page


def test_focal_point_asking_for_another_states_list_is_refused(focal_ar, secretariat_client):
    for path in ("/admin/contactpoint/", "/admin/authority/"):
        assert focal_ar.get(f"{path}?flt0_member_state_equals=BR").status_code == 403
        assert focal_ar.get(f"{path}?flt0_member_state_equals=AR").status_code == 200
        assert secretariat_client.get(f"{path}?flt0_member_state_equals=BR").status_code == 200


@pytest.fixture
def secretariat_client(app, login, focal_ar):
    """A second browser in the same test; generate_csrf caches its token in g, so drop it first."""
    from flask import g

    g.pop("csrf_token", None)
    other = app.test_client()
    login(other, "secretariat")
    return other


@pytest.mark.parametrize("page", ["details", "edit"])
def test_another_states_contact_by_typed_id_is_refused(focal_ar, secretariat_client, session, page):
    br = contact_of(session, "BR")
    assert focal_ar.get(f"/admin/contactpoint/{page}/?id={br.id}").status_code == 403
    assert secretariat_client.get(f"/admin/contactpoint/{page}/?id={br.id}").status_code == 200
    ar = contact_of(session, "AR")
    assert focal_ar.get(f"/admin/contactpoint/{page}/?id={ar.id}").status_code == 200


@pytest.mark.parametrize("page", ["details", "edit"])
def test_another_states_authority_by_typed_id_is_refused(focal_ar, session, page):
    br = authority_of(session, "BR")
    assert focal_ar.get(f"/admin/authority/{page}/?id={br.id}").status_code == 403


def test_secretariat_only_contacts_do_not_exist_for_a_focal_point(focal_ar, session):
    hidden = contact_of(session, "AR", Visibility.SECRETARIAT)
    assert focal_ar.get(f"/admin/contactpoint/details/?id={hidden.id}").status_code == 404
    assert focal_ar.get(f"/admin/network_contact/details/?id={hidden.id}").status_code == 404
    assert hidden.name not in text(focal_ar.get("/admin/contactpoint/"))
    assert hidden.name not in text(focal_ar.get("/admin/network_contact/"))


@pytest.mark.parametrize("bad", ["999999999", "abc", "1" * 40])
def test_unknown_or_malformed_ids_are_404_not_500(secretariat, bad):
    assert secretariat.get(f"/admin/contactpoint/edit/?id={bad}").status_code == 404


def test_focal_point_reads_other_states_in_the_read_only_views(focal_ar, session):
    br = contact_of(session, "BR")
    assert focal_ar.get(f"/admin/network_contact/details/?id={br.id}").status_code == 200
    page = text(focal_ar.get("/admin/network_contact/"))
    assert "BR · " in page and 'name="rowid"' not in page
    assert focal_ar.get(f"/admin/network_contact/edit/?id={br.id}").status_code == 302


def test_authority_picker_offers_only_the_focal_points_own_authorities(focal_ar, session):
    page = text(focal_ar.get("/admin/contactpoint/new/"))
    options = re.findall(r'<option[^>]*value="(\d+)"', page.split('name="authority_id"')[1])
    states = {session.get(Authority, int(i)).member_state_code for i in options}
    assert states == {"AR"}
    member_states = text(focal_ar.get("/admin/authority/new/")).split('name="member_state"')[1]
    assert re.findall(r'<option[^>]*value="([A-Z]{2})"', member_states.split("</select>")[0]) == [
        "AR"
    ]


def test_secretariat_picker_offers_every_state(secretariat, session):
    page = text(secretariat.get("/admin/contactpoint/new/"))
    assert f'value="{authority_of(session, "BR").id}"' in page


def test_focal_point_cannot_attach_a_contact_to_another_states_authority(focal_ar, session):
    br = authority_of(session, "BR")
    page = focal_ar.get("/admin/contactpoint/new/")
    before = session.scalar(sa.select(sa.func.count()).select_from(ContactPoint))
    response = focal_ar.post(
        "/admin/contactpoint/new/",
        data={
            "csrf_token": csrf_of(page),
            "authority_id": str(br.id),
            "kind": "office",
            "name": "Smuggled in",
            "role": "technical",
            "visibility": "network",
            "status": "active",
            "channels-0-type": "email",
            "channels-0-value": "x@example.org",
        },
    )
    assert response.status_code == 200
    assert "Not a valid choice" in text(response)
    assert session.scalar(sa.select(sa.func.count()).select_from(ContactPoint)) == before


def test_focal_point_cannot_move_an_authority_to_another_state(focal_ar, session):
    ar = authority_of(session, "AR")
    page = focal_ar.get(f"/admin/authority/edit/?id={ar.id}")
    response = focal_ar.post(
        f"/admin/authority/edit/?id={ar.id}",
        data={
            "csrf_token": csrf_of(page),
            "row_version": str(ar.version),
            "member_state": "BR",
            "name": ar.name,
            "kind": ar.kind.value,
            "status": ar.status.value,
        },
    )
    assert response.status_code == 200
    session.refresh(ar)
    assert ar.member_state_code == "AR"


def test_bulk_action_naming_another_states_row_is_refused_and_changes_nothing(focal_ar, session):
    ar, br = contact_of(session, "AR"), contact_of(session, "BR")
    verified_before = (ar.last_verified_at, br.last_verified_at)
    page = focal_ar.get("/admin/contactpoint/")
    response = focal_ar.post(
        "/admin/contactpoint/action/",
        data={"csrf_token": csrf_of(page), "action": "verify", "rowid": [str(ar.id), str(br.id)]},
    )
    assert response.status_code == 403
    session.refresh(ar), session.refresh(br)
    assert (ar.last_verified_at, br.last_verified_at) == verified_before


def test_bulk_reconfirm_of_own_contacts_goes_through_and_is_audited(focal_ar, session):
    ar = contact_of(session, "AR")
    page = focal_ar.get("/admin/contactpoint/")
    response = focal_ar.post(
        "/admin/contactpoint/action/",
        data={"csrf_token": csrf_of(page), "action": "verify", "rowid": [str(ar.id)]},
    )
    assert response.status_code == 302
    session.refresh(ar)
    assert ar.last_verified_by.startswith("focal_point-")
    entry = session.scalars(
        sa.select(AuditEntry).where(AuditEntry.entity_id == str(ar.id)).order_by(AuditEntry.id)
    ).all()[-1]
    assert entry.action.value == "verify" and entry.entity_type == "contact_points"


def test_secretariat_bulk_action_reaches_every_state(secretariat, session):
    br = contact_of(session, "BR")
    page = secretariat.get("/admin/contactpoint/")
    response = secretariat.post(
        "/admin/contactpoint/action/",
        data={"csrf_token": csrf_of(page), "action": "verify", "rowid": [str(br.id)]},
    )
    assert response.status_code == 302
    session.refresh(br)
    assert br.last_verified_at is not None


def test_focal_point_cannot_bulk_act_in_the_read_only_view(focal_ar, session):
    br = contact_of(session, "BR")
    page = focal_ar.get("/admin/contactpoint/")
    focal_ar.post(
        "/admin/network_contact/action/",
        data={"csrf_token": csrf_of(page), "action": "archive", "rowid": [str(br.id)]},
    )
    session.refresh(br)
    assert br.archived_at is None


def test_focal_point_archiving_an_authority_is_not_told_of_secretariat_only_contacts(
    focal_ar, session
):
    prosecution = by_key(session, Authority, "demo-ar-prosecution")  # 1 network, 1 secretariat
    page = focal_ar.get("/admin/authority/")
    response = focal_ar.post(
        "/admin/authority/action/",
        data={"csrf_token": csrf_of(page), "action": "archive", "rowid": [str(prosecution.id)]},
        follow_redirects=True,
    )
    shown = text(response)
    assert "still has live contact points" in shown and "ask the secretariat" in shown
    assert "2 contact point" not in shown
    session.refresh(prosecution)
    assert prosecution.archived_at is None


def test_export_is_scoped_and_another_states_export_is_refused(focal_ar, secretariat_client):
    own = focal_ar.get("/admin/contactpoint/export/csv/")
    assert own.status_code == 200
    assert {row["member_state"] for row in csv_rows(own)} == {"AR"}
    assert (
        focal_ar.get("/admin/contactpoint/export/csv/?flt0_member_state_equals=BR").status_code
        == 403
    )
    everyone = secretariat_client.get("/admin/contactpoint/export/csv/?flt0_member_state_equals=BR")
    assert {row["member_state"] for row in csv_rows(everyone)} == {"BR"}


# -- writes go through the shared rules -------------------------------------------------------


def test_focal_point_changes_a_phone_and_the_change_is_audited(focal_ar, session):
    contact = contact_of(session, "AR")
    version = contact.version
    page = focal_ar.get(f"/admin/contactpoint/edit/?id={contact.id}")
    form = contact_form(contact, csrf_token=csrf_of(page))
    form["channels-0-type"], form["channels-0-value"] = "phone", "+54 11 5555 0199"
    response = focal_ar.post(f"/admin/contactpoint/edit/?id={contact.id}", data=form)
    assert response.status_code == 302, text(response)
    session.refresh(contact)
    assert "+541155550199" in [ch.value for ch in contact.channels]  # E.164, as the API stores
    assert contact.version > version
    entry = session.scalars(
        sa.select(AuditEntry)
        .where(AuditEntry.entity_type == "contact_points", AuditEntry.entity_id == str(contact.id))
        .order_by(AuditEntry.id.desc())
    ).first()
    assert entry.action.value == "update"
    assert "+541155550199" in str(entry.after["channels"])


def test_invalid_phone_is_shown_next_to_the_field_not_as_an_error_page(focal_ar, session):
    contact = contact_of(session, "AR")
    page = focal_ar.get(f"/admin/contactpoint/edit/?id={contact.id}")
    form = contact_form(contact, csrf_token=csrf_of(page))
    form["channels-0-type"], form["channels-0-value"] = "phone", "12345"
    response = focal_ar.post(f"/admin/contactpoint/edit/?id={contact.id}", data=form)
    assert response.status_code == 200
    page = text(response)
    assert "international form" in page
    assert re.search(
        r'is-invalid[^>]*name="channels-0-value"|name="channels-0-value"[^>]*is-invalid', page
    )


def test_form_post_without_csrf_token_is_refused(focal_ar, session):
    contact = contact_of(session, "AR")
    response = focal_ar.post(
        f"/admin/contactpoint/edit/?id={contact.id}", data=contact_form(contact, name="No token")
    )
    assert response.status_code == 400
    session.refresh(contact)
    assert contact.name != "No token"


def test_bulk_action_without_csrf_token_is_refused(focal_ar, session):
    ar = contact_of(session, "AR")
    response = focal_ar.post(
        "/admin/contactpoint/action/", data={"action": "archive", "rowid": [str(ar.id)]}
    )
    assert response.status_code == 400
    session.refresh(ar)
    assert ar.archived_at is None


def row_delete_form(page, row_id) -> tuple[str, dict]:
    """The delete button of a list row: where its form posts, and the fields a browser sends."""
    for action, body in re.findall(
        r'<form class="icon" method="POST" action="([^"]+)">(.*?)</form>', text(page), re.S
    ):
        fields = dict(re.findall(r'name="(\w+)" type="hidden" value="([^"]*)"', body))
        if fields.get("id") == str(row_id):
            return html.unescape(action), {k: html.unescape(v) for k, v in fields.items()}
    raise AssertionError(f"no delete button on the row of {row_id}")


def test_a_rows_delete_button_deletes_an_unused_document_and_refuses_a_body_in_use(
    secretariat, session
):
    document = SourceDocument(
        code="AG-RES-2551",
        symbol="AG/RES. 2551 (XL-O/10)",
        title="Work Plan to Combat Trafficking in Persons in the Western Hemisphere",
        date=datetime.date(2010, 6, 8),
        kind=DocumentKind.RESOLUTION,
    )
    session.add(document)
    session.commit()
    action, fields = row_delete_form(secretariat.get("/admin/sourcedocument/"), document.id)
    assert fields["url"].startswith("/admin/sourcedocument/") and fields["csrf_token"]
    followed = secretariat.post(action, data=fields, follow_redirects=True)
    assert followed.status_code == 200
    assert session.get(SourceDocument, document.id) is None
    assert [
        e.action.value
        for e in session.scalars(
            sa.select(AuditEntry).where(
                AuditEntry.entity_type == "source_documents",
                AuditEntry.entity_id == str(document.id),
            )
        )
    ] == ["delete"]

    body = session.scalars(sa.select(ResponsibleBody).where(ResponsibleBody.code == "DPS")).one()
    action, fields = row_delete_form(
        secretariat.get("/admin/responsiblebody/?page_size=100"), body.id
    )
    refused = secretariat.post(action, data=fields, follow_redirects=True)
    assert "DPS still has bodies within it." in text(refused)
    assert session.get(ResponsibleBody, body.id) is not None


def test_archiving_from_the_admin_archives_and_never_deletes(secretariat, session):
    contact = contact_of(session, "BR")
    page = secretariat.get("/admin/contactpoint/")
    secretariat.post(
        "/admin/contactpoint/action/",
        data={"csrf_token": csrf_of(page), "action": "archive", "rowid": [str(contact.id)]},
    )
    session.refresh(contact)
    assert contact.archived_at is not None
    assert "/admin/contactpoint/delete/" not in text(secretariat.get("/admin/contactpoint/"))


def test_activity_needs_a_lead_body_shown_on_the_form(secretariat, session):
    plan = session.scalars(
        sa.select(WorkPlan).where(WorkPlan.status == WorkPlanStatus.DRAFT)
    ).first()
    if plan is None:
        pytest.skip("the seed has no draft work plan")
    activity = session.scalars(sa.select(Activity).where(Activity.work_plan_id == plan.id)).first()
    page = secretariat.get(f"/admin/activity/edit/?id={activity.id}")
    assert page.status_code == 200
    form = {
        "csrf_token": csrf_of(page),
        "row_version": str(activity.version),
        "code": activity.code,
        "pillar": activity.pillar.value,
        "title": activity.title,
        "description": activity.description,
        "status": activity.status.value,
        "recommendations": [
            link.recommendation.reference for link in activity.recommendation_links
        ],
        "bodies-0-body": activity.body_links[0].body.code,
        "bodies-0-role": "support",
    }
    response = secretariat.post(f"/admin/activity/edit/?id={activity.id}", data=form)
    assert response.status_code == 200
    assert "at least one body in the lead role" in text(response)


# -- API clients, audit log, dashboard --------------------------------------------------------


def test_new_api_client_secret_is_shown_once_and_never_again(secretariat, session):
    page = secretariat.get("/admin/apiclient/new/")
    response = secretariat.post(
        "/admin/apiclient/new/",
        data={
            "csrf_token": csrf_of(page),
            "name": "UNODC mirror",
            "scope": ["directory:read", "workplan:read"],
            "member_state": "",
        },
    )
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    secret = re.search(r'data-testid="client-secret">([^<]+)<', text(response)).group(1)
    client = session.scalars(sa.select(ApiClient).where(ApiClient.name == "UNODC mirror")).one()
    assert client.check_client_secret(secret)
    for path in ("/admin/apiclient/", f"/admin/apiclient/details/?id={client.id}"):
        assert secret not in text(secretariat.get(path))
        assert client.client_secret_hash not in text(secretariat.get(path))


def test_write_scope_without_a_state_is_refused_on_the_form(secretariat, session):
    page = secretariat.get("/admin/apiclient/new/")
    response = secretariat.post(
        "/admin/apiclient/new/",
        data={
            "csrf_token": csrf_of(page),
            "name": "Bad",
            "scope": ["directory:write"],
            "member_state": "",
        },
    )
    assert response.status_code == 200
    assert "only granted to a client bound to a member state" in text(response)


def test_audit_log_shows_before_and_after_and_filters_by_entity(secretariat, session):
    contact = contact_of(session, "BR")
    page = secretariat.get("/admin/contactpoint/")
    secretariat.post(
        "/admin/contactpoint/action/",
        data={"csrf_token": csrf_of(page), "action": "verify", "rowid": [str(contact.id)]},
    )
    listing = secretariat.get(
        f"/admin/auditentry/?flt0_entity_equals=contact_points&flt1_entity_id_equals={contact.id}"
    )
    assert listing.status_code == 200 and "verify" in text(listing)
    entry = session.scalars(
        sa.select(AuditEntry).where(AuditEntry.entity_id == str(contact.id)).order_by(AuditEntry.id)
    ).all()[-1]
    details = text(secretariat.get(f"/admin/auditentry/details/?id={entry.id}"))
    assert "last_verified_at" in details and "before" in details
    assert secretariat.get("/admin/auditentry/edit/?id=1").status_code == 302
    assert secretariat.get("/admin/auditentry/?flt0_date_on_or_after=2000-01-01").status_code == 200


def test_dashboard_shows_completeness_with_gaps_and_work_plan_coverage(secretariat):
    page = text(secretariat.get("/admin/"))
    assert 'id="completeness"' in page
    row = re.search(r'data-state="BR">(.*?)</tr>', page, re.S).group(1)
    assert "gap" in row  # the demo's Brazil has no 24/7 contact
    assert "Coverage of the mandates" in page and "Activity status per pillar" in page


def test_every_secretariat_view_renders(secretariat):
    for path in (
        "/admin/memberstate/",
        "/admin/authority/",
        "/admin/contactpoint/",
        "/admin/sourcedocument/",
        "/admin/recommendation/",
        "/admin/responsiblebody/",
        "/admin/workplan/",
        "/admin/activity/",
        "/admin/user/",
        "/admin/invitation/",
        "/admin/apiclient/",
        "/admin/auditentry/",
        "/admin/memberstate/new/",
        "/admin/authority/new/",
        "/admin/contactpoint/new/",
        "/admin/sourcedocument/new/",
        "/admin/recommendation/new/",
        "/admin/responsiblebody/new/",
        "/admin/workplan/new/",
        "/admin/activity/new/",
        "/admin/invitation/new/",
        "/admin/apiclient/new/",
    ):
        assert secretariat.get(path).status_code == 200, path


# -- exports stream after the request: nothing they show may load lazily -----------------------


@pytest.fixture
def real_secretariat(app):
    """A secretariat browser with no test transaction or app context around its requests: as in
    production, the request's session is gone by the time a CSV export streams its rows."""
    from service.core.authentication import SESSION_LOGIN_AT_KEY, SESSION_USER_KEY
    from service.identity.models import Role

    with app.app_context():
        user = User(
            email=f"export-{uuid.uuid4().hex[:6]}@example.org",
            role=Role.SECRETARIAT,
            issuer="https://idp.example.org",
            subject=uuid.uuid4().hex,
        )
        db.session.add(user)
        db.session.commit()  # for real: removed again below
        user_id = user.id
        db.session.remove()
    browser = app.test_client()
    with browser.session_transaction() as cookie_session:
        cookie_session[SESSION_USER_KEY] = user_id
        cookie_session[SESSION_LOGIN_AT_KEY] = time.time()
    try:
        yield browser
    finally:
        with app.app_context():
            db.session.execute(sa.delete(User).where(User.id == user_id))
            db.session.commit()
            db.session.remove()


def csv_rows(response) -> list[dict]:
    assert response.status_code == 200, response.headers.get("Location")
    return list(csv.DictReader(io.StringIO(text(response))))


def test_contact_export_without_an_outer_context_has_every_row_complete(app, real_secretariat):
    rows = csv_rows(real_secretariat.get("/admin/contactpoint/export/csv/"))
    with app.app_context():
        expected = db.session.scalar(sa.select(sa.func.count()).select_from(ContactPoint))
    assert len(rows) == expected > 0
    for row in rows:  # the API's CSV: the authority and each kind of channel in its own column
        assert re.match(r"^[A-Z]{2}$", row["member_state"]) and row["authority"], row
        channels = ("phone", "mobile", "fax", "email", "secure_mail", "website")
        assert any(row[kind] for kind in channels), row


EXPORTS = {
    "/admin/memberstate/": MemberState,
    "/admin/authority/": Authority,
    "/admin/contactpoint/": ContactPoint,
    "/admin/sourcedocument/": SourceDocument,
    "/admin/recommendation/": Recommendation,
    "/admin/responsiblebody/": ResponsibleBody,
    "/admin/workplan/": WorkPlan,
    "/admin/activity/": Activity,
    "/admin/user/": User,
    "/admin/invitation/": Invitation,
    "/admin/apiclient/": ApiClient,
    "/admin/auditentry/": AuditEntry,
}


@pytest.mark.parametrize("path", EXPORTS)
def test_every_export_streams_all_its_rows_as_plain_text(app, real_secretariat, path):
    response = real_secretariat.get(f"{path}export/csv/")
    rows = csv_rows(response)
    with app.app_context():
        stored = db.session.scalar(sa.select(sa.func.count()).select_from(EXPORTS[path]))
    assert len(rows) == min(stored, 5000)
    assert "<span" not in text(response) and "<br" not in text(response)


def test_admin_exports_open_typed_formulas_as_text_and_show_no_html(secretariat, session):
    contact = contact_of(session, "AR")
    contact.name = '=HYPERLINK("https://evil.example","Open")'
    contact.hours = "@SUM(1+1)"
    authority = authority_of(session, "AR")
    authority.acronym = "-2+3"
    authority.last_verified_at = None
    session.commit()  # within the test's transaction

    contacts = csv_rows(secretariat.get("/admin/contactpoint/export/csv/"))
    row = next(r for r in contacts if r["id"] == str(contact.id))
    assert row["name"] == '\'=HYPERLINK("https://evil.example","Open")'
    assert row["hours"] == "'@SUM(1+1)"
    assert re.match(r"^\+\d+", row["phone"] or row["mobile"])  # phones keep their "+"

    authorities = csv_rows(secretariat.get("/admin/authority/export/csv/"))
    row = next(r for r in authorities if r["Name"] == authority.name)
    assert row["Acronym"] == "'-2+3"
    assert row["Last verified"] == "never"


def test_recommendation_export_carries_the_whole_adopted_text(secretariat, session):
    from service.workplan.models import Recommendation

    r47 = session.execute(
        sa.select(Recommendation).where(Recommendation.reference == "RTP-II/R47")
    ).scalar_one()
    rows = csv_rows(secretariat.get("/admin/recommendation/export/csv/"))
    row = next(r for r in rows if r["Reference"] == "RTP-II/R47")
    assert row["Text"] == r47.text


def test_plan_list_links_to_the_committee_document_and_the_progress_report(secretariat, session):
    plan = session.scalars(sa.select(WorkPlan)).first()
    page = text(secretariat.get("/admin/workplan/"))
    link = f"/api/v1/work-plans/{plan.id}/progress-report?format=html"
    assert link in page
    report = secretariat.get(link)
    assert report.status_code == 200
    assert "Progress report" in report.get_data(as_text=True)
    document = secretariat.get(f"/api/v1/work-plans/{plan.id}/document?format=html")
    assert "Legend of body codes" in document.get_data(as_text=True)
    export = secretariat.get("/admin/workplan/export/csv/")
    assert export.status_code == 200
    assert "approval_symbol" in export.get_data(as_text=True).lower().replace(" ", "_")


def test_admin_makes_a_new_version_shows_its_diff_adds_a_note_and_restores(secretariat, session):
    from service.audit.models import AuditEntry

    plan = session.scalars(sa.select(WorkPlan).filter_by(code="WP-TIP", plan_version=1)).one()
    page = secretariat.get("/admin/workplan/")
    response = secretariat.post(
        "/admin/workplan/action/",
        data={"csrf_token": csrf_of(page), "action": "new_version", "rowid": [str(plan.id)]},
    )
    assert response.status_code == 302
    version_2 = session.scalars(sa.select(WorkPlan).filter_by(code="WP-TIP", plan_version=2)).one()
    assert version_2.predecessor_id == plan.id
    diff_page = secretariat.get(f"/admin/workplan/diff/?id={version_2.id}")
    assert diff_page.status_code == 200
    assert f"Unchanged: {len(plan.activities)}" in text(diff_page)
    assert f"/admin/workplan/diff/?id={version_2.id}" in text(secretariat.get("/admin/workplan/"))

    activity = session.scalars(
        sa.select(Activity).filter_by(work_plan_id=version_2.id, code="COOP-01")
    ).one()
    form_page = secretariat.get(f"/admin/activity/progress-note/?id={activity.id}")
    assert form_page.status_code == 200
    outside = secretariat.post(
        f"/admin/activity/progress-note/?id={activity.id}",
        data={"csrf_token": csrf_of(form_page), "noted_on": "2009-01-01", "text": "Too early."},
    )
    assert "outside the plan" in text(outside)
    added = secretariat.post(
        f"/admin/activity/progress-note/?id={activity.id}",
        data={"csrf_token": csrf_of(form_page), "noted_on": "2010-04-01", "text": "Sent."},
    )
    assert added.status_code == 302
    session.refresh(activity)
    assert [n.text for n in activity.progress_notes] == ["Sent."]

    page = secretariat.get("/admin/activity/")
    for name in ("archive", "restore"):
        response = secretariat.post(
            "/admin/activity/action/",
            data={"csrf_token": csrf_of(page), "action": name, "rowid": [str(activity.id)]},
        )
        assert response.status_code == 302
        session.refresh(activity)
        assert (activity.archived_at is not None) == (name == "archive")
    actions = session.scalars(
        sa.select(AuditEntry.action)
        .filter_by(entity_type="activities", entity_id=str(activity.id))
        .order_by(AuditEntry.id)
    ).all()
    assert [a.value for a in actions][-2:] == ["archive", "restore"]


def test_filters_on_integer_columns_narrow_the_list_on_every_database(secretariat, session):
    """The work-plan and document filters compare integer ids: a value bound as text would be
    an error on PostgreSQL (found by the admin fuzzer), not a narrower list."""
    activity = session.scalars(sa.select(Activity).order_by(Activity.id)).first()
    plan = session.get(WorkPlan, activity.work_plan_id)
    listing = secretariat.get(f"/admin/activity/?flt0_work_plan_equals={plan.id}&search=a")
    assert listing.status_code == 200
    recommendation = session.scalars(sa.select(Recommendation).order_by(Recommendation.id)).first()
    listing = secretariat.get(
        f"/admin/recommendation/?flt0_document_equals={recommendation.document_id}"
    )
    assert listing.status_code == 200
    assert recommendation.reference in text(listing)
    assert secretariat.get("/admin/activity/?flt0_work_plan_equals=x").status_code == 200
