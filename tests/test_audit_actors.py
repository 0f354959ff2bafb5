"""Every write goes through a service function, and every audit entry names who made it.

One test per door: the API with a partner's token, the API and the admin as a person, the
command line, the seed, a first sign-in. The admin itself holds no session writes.
"""

import getpass
import json
import re
import shutil
from pathlib import Path

import sqlalchemy as sa
import yaml

from service.audit.models import AuditEntry
from service.directory.models import Authority, MemberState
from service.identity.models import Invitation, Role, User
from service.oauth.models import ApiClient
from service.seeding import seed_database
from tests.test_admin import authority_of, csrf_of, text

ADMIN = Path(__file__).resolve().parent.parent / "admin"
SYSTEM = f"system ({getpass.getuser()})"


def entries_for(session, entity_type: str, entity_id) -> list[AuditEntry]:
    return session.scalars(
        sa.select(AuditEntry)
        .where(AuditEntry.entity_type == entity_type, AuditEntry.entity_id == str(entity_id))
        .order_by(AuditEntry.id)
    ).all()


def person_signed_in(session, client) -> User:
    with client.session_transaction() as cookie_session:
        return session.get(User, cookie_session["user_id"])


# -- the admin writes only through services ------------------------------------------------------

SESSION_WRITE = re.compile(
    r"\b(?:db\.)?session\.(?:add|add_all|delete|merge|commit|flush|rollback|bulk_\w+)\("
    r"|\bsa\.(?:insert|update|delete)\("
    r"|\.query\([^)]*\)\.(?:update|delete)\("
)


def test_the_admin_holds_no_session_writes_of_its_own():
    offending = [
        f"{path.relative_to(ADMIN.parent)}:{number}: {line.strip()}"
        for path in sorted(ADMIN.rglob("*.py"))
        for number, line in enumerate(path.read_text("utf-8").splitlines(), 1)
        if SESSION_WRITE.search(line)
    ]
    assert offending == []


# -- door: the API with a partner system's token ------------------------------------------------


def test_api_write_with_a_client_token_names_the_client(app, session, make_api_client):
    from service.oauth.tokens import issue_token

    partner, _ = make_api_client("directory:read directory:write", "AR", name="AR case system")
    plain, _ = issue_token(partner, "directory:read directory:write")
    session.commit()
    headers = {"Authorization": f"Bearer {plain}"}
    authority = authority_of(session, "AR")
    api = app.test_client()
    url = f"/api/v1/authorities/{authority.id}"
    etag = api.get(url, headers=headers).headers["ETag"]
    changed = api.patch(url, json={"acronym": "VIA-TOKEN"}, headers={**headers, "If-Match": etag})
    assert changed.status_code == 200, changed.get_json()
    entry = entries_for(session, "authorities", authority.id)[-1]
    assert (entry.actor_type.value, entry.actor_id, entry.actor_label) == (
        "client",
        partner.client_id,
        "AR case system",
    )


# -- door: the API and the admin, as a person ---------------------------------------------------


def test_api_write_in_a_session_names_the_person(app, session, login):
    browser = app.test_client()
    csrf = login(browser, "focal_point", "AR")
    person = person_signed_in(session, browser)
    authority = authority_of(session, "AR")
    url = f"/api/v1/authorities/{authority.id}"
    etag = browser.get(url).headers["ETag"]
    headers = {"If-Match": etag, **csrf}
    response = browser.patch(url, json={"acronym": "VIA-SESSION"}, headers=headers)
    assert response.status_code == 200, response.get_json()
    entry = entries_for(session, "authorities", authority.id)[-1]
    assert (entry.actor_type.value, entry.actor_id, entry.actor_label) == (
        "user",
        str(person.id),
        person.email,
    )


def test_member_state_created_in_the_admin_goes_through_the_service_and_names_the_person(
    client, login, session
):
    login(client, "secretariat")
    person = person_signed_in(session, client)
    page = client.get("/admin/memberstate/new/")
    form = {
        "csrf_token": csrf_of(page),
        "code": "XA",
        "alpha3": "XAA",
        "name_en": "Example Land",
        "name_es": "Tierra de Ejemplo",
        "name_fr": "Pays d'Exemple",
        "name_pt": "Terra de Exemplo",
        "status": "active",
    }
    assert client.post("/admin/memberstate/new/", data=form).status_code == 302
    [entry] = entries_for(session, "member_states", "XA")
    assert (entry.action.value, entry.actor_type.value, entry.actor_label) == (
        "create",
        "user",
        person.email,
    )
    assert entry.after["name_en"] == "Example Land"

    # The service's rules hold on this door too: a code or alpha-3 already taken is named.
    again = client.post("/admin/memberstate/new/", data={**form, "code": "AR"})
    assert again.status_code == 200
    assert "AR is already a member state" in text(again)
    clash = client.post("/admin/memberstate/new/", data={**form, "code": "XB", "alpha3": "ARG"})
    assert clash.status_code == 200
    assert "ARG is already the alpha-3 code of AR" in text(clash)
    assert session.get(MemberState, "XB") is None


def test_member_state_edited_in_the_admin_is_audited_with_the_person(client, login, session):
    login(client, "secretariat")
    person = person_signed_in(session, client)
    state = session.get(MemberState, "AR")
    page = client.get("/admin/memberstate/edit/?id=AR")
    form = {
        "csrf_token": csrf_of(page),
        "row_version": re.search(r'name="row_version" type="hidden" value="([^"]+)"', text(page))[
            1
        ],
        "alpha3": state.alpha3,
        "name_en": state.name_en,
        "name_es": state.name_es,
        "name_fr": state.name_fr,
        "name_pt": state.name_pt,
        "status": "active",
        "status_note": "Confirmed by the mission",
    }
    response = client.post("/admin/memberstate/edit/?id=AR", data=form)
    assert response.status_code == 302, text(response)
    entry = entries_for(session, "member_states", "AR")[-1]
    assert (entry.action.value, entry.actor_label) == ("update", person.email)
    assert entry.after["status_note"] == "Confirmed by the mission"


def test_api_client_made_in_the_admin_records_who_made_it_in_the_row_and_the_audit(
    client, login, session
):
    login(client, "secretariat")
    person = person_signed_in(session, client)
    page = client.get("/admin/apiclient/new/")
    response = client.post(
        "/admin/apiclient/new/",
        data={
            "csrf_token": csrf_of(page),
            "name": "IOM mirror",
            "scope": ["directory:read"],
            "member_state": "",
        },
    )
    assert response.status_code == 200
    made = session.scalars(sa.select(ApiClient).where(ApiClient.name == "IOM mirror")).one()
    assert made.created_by_id == person.id
    [entry] = entries_for(session, "api_clients", made.id)
    assert entry.actor_label == person.email
    assert entry.after["created_by_id"] == person.id


def test_revoking_in_the_admin_goes_through_the_services(client, login, session):
    from service.identity.services import invite

    login(client, "secretariat")
    person = person_signed_in(session, client)
    invitation = invite("revoke.me@example.org", Role.FOCAL_POINT, "AR", None)
    used = invite("used@example.org", Role.FOCAL_POINT, "AR", None)
    used.used_at = used.created_at or invitation.expires_at
    session.commit()
    page = client.get("/admin/invitation/")
    response = client.post(
        "/admin/invitation/action/",
        data={
            "csrf_token": csrf_of(page),
            "action": "revoke",
            "rowid": [str(invitation.id), str(used.id)],
        },
        follow_redirects=True,
    )
    assert response.status_code == 200
    assert "already used" in text(response)
    session.refresh(invitation), session.refresh(used)
    assert invitation.revoked_at is not None and used.revoked_at is None
    entry = entries_for(session, "invitations", invitation.id)[-1]
    assert (entry.action.value, entry.actor_label) == ("update", person.email)


# -- door: the command line ---------------------------------------------------------------------


def test_command_line_writes_name_the_system_and_the_os_user(app, session):
    runner = app.test_cli_runner()
    made = runner.invoke(args=["clients", "create", "CLI partner", "--scope", "directory:read"])
    assert made.exit_code == 0, made.output
    client_id = json.loads(made.output)["client_id"]
    invited = runner.invoke(
        args=[
            "users",
            "invite",
            "cli.invitee@example.org",
            "--role",
            "focal_point",
            "--member-state",
            "ar",
        ]
    )
    assert invited.exit_code == 0, invited.output
    revoked = runner.invoke(args=["clients", "revoke", client_id])
    assert revoked.exit_code == 0, revoked.output
    again = runner.invoke(args=["clients", "revoke", client_id])
    assert again.exit_code != 0 and "already revoked" in again.output

    client = session.scalars(sa.select(ApiClient).where(ApiClient.client_id == client_id)).one()
    invitation = session.scalars(
        sa.select(Invitation).where(Invitation.email == "cli.invitee@example.org")
    ).one()
    entries = entries_for(session, "api_clients", client.id) + entries_for(
        session, "invitations", invitation.id
    )
    assert [e.action.value for e in entries] == ["create", "update", "create"]
    for entry in entries:
        assert (entry.actor_type.value, entry.actor_id, entry.actor_label) == (
            "cli",
            getpass.getuser(),
            SYSTEM,
        )


# -- door: the seed -----------------------------------------------------------------------------


def test_seed_writes_name_the_system_and_the_os_user(app, session, tmp_path):
    seed_dir = tmp_path / "seed"
    shutil.copytree(app.config["SEED_DIR"], seed_dir)
    session.execute(sa.delete(AuditEntry))  # only what this run writes is left to look at
    authority = session.scalars(
        sa.select(Authority).where(Authority.is_demo.is_(True)).order_by(Authority.id)
    ).first()
    authority.name = authority.name + " (edited by hand)"  # the seed puts it back
    session.commit()
    bodies_file = seed_dir / "bodies.yaml"
    bodies = yaml.safe_load(bodies_file.read_text("utf-8"))
    bodies[0]["name"] += " (renamed)"
    bodies_file.write_text(yaml.safe_dump(bodies, allow_unicode=True), "utf-8")

    report = seed_database(str(seed_dir), demo=True)

    assert report.changed
    entries = session.scalars(sa.select(AuditEntry)).all()
    assert {e.entity_type for e in entries} >= {"responsible_bodies"}
    assert {(e.actor_type.value, e.actor_label) for e in entries} == {("cli", SYSTEM)}


# -- door: a first sign-in ----------------------------------------------------------------------


def test_an_account_made_by_a_first_sign_in_is_made_by_that_person(app, session):
    from service.identity.services import invite, user_from_login

    invite("first.login@example.org", Role.FOCAL_POINT, "AR", None)
    session.commit()
    claims = {
        "iss": "https://idp.example.org",
        "sub": "first-1",
        "email": "first.login@example.org",
        "email_verified": True,
    }
    with app.test_request_context("/auth/callback/test"):
        user = user_from_login("test", "first-1", claims)
    entries = entries_for(session, "users", user.id)
    assert [e.action.value for e in entries] == ["create", "update"]
    for entry in entries:
        assert (entry.actor_type.value, entry.actor_id, entry.actor_label) == (
            "user",
            str(user.id),
            "first.login@example.org",
        )
