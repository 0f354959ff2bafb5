"""People sign in through a real OpenID Provider on loopback (panva's oidc-provider)."""

import re
from urllib.parse import parse_qs, urlencode, urlsplit, urlunsplit

import pytest
import requests
import sqlalchemy as sa

from service.core.authentication import SESSION_USER_KEY
from service.identity.models import Invitation, Role, User
from service.identity.services import invite

CALLBACK = "http://localhost/auth/callback/test"


def start_login(test_client) -> str:
    """Our app sends the browser to the provider: returns the authorization URL."""
    response = test_client.get("/auth/login/test")
    assert response.status_code == 302
    return response.headers["Location"]


def sign_in_at_provider(authorize_url: str, email: str, password: str) -> requests.Response:
    """What the person does at the provider; stops where the provider sends them back to us."""
    browser = requests.Session()
    page = browser.get(authorize_url, timeout=10)
    assert 'name="password"' in page.text
    action = page.url.rstrip("/") + "/login"
    response = browser.post(
        action, data={"login": email, "password": password}, allow_redirects=False, timeout=10
    )
    for _ in range(10):  # bounded: follow the provider's own redirects only
        location = response.headers.get("Location", "")
        if response.status_code not in (302, 303) or location.startswith(CALLBACK):
            break
        response = browser.get(location, allow_redirects=False, timeout=10)
    return response


def callback_path(location: str) -> str:
    parts = urlsplit(location)
    return urlunsplit(("", "", parts.path, parts.query, ""))


def csrf_token_of(page) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', page.get_data(as_text=True)).group(1)


def signed_in_user_id(test_client):
    with test_client.session_transaction() as cookie_session:
        return cookie_session.get(SESSION_USER_KEY)


def test_invited_focal_point_logs_in_and_is_bound_to_the_invited_state(client, session):
    invitation = invite("Focal-AR@example.org", Role.FOCAL_POINT, "AR", None)

    at_provider = sign_in_at_provider(start_login(client), "focal-ar@example.org", "secret-ar")
    response = client.get(callback_path(at_provider.headers["Location"]))

    assert response.status_code == 302
    user = session.get(User, signed_in_user_id(client))
    assert (user.email, user.role, user.member_state_code) == (
        "focal-ar@example.org",
        Role.FOCAL_POINT,
        "AR",
    )
    assert user.subject == "focal-ar" and user.issuer.startswith("http://127.0.0.1:")
    assert session.get(Invitation, invitation.id).used_by_id == user.id
    assert client.get("/auth/signed-in").get_data(as_text=True).count("focal_point, AR") == 1
    assert client.get("/api/v1/member-states/AR").status_code == 200


def test_second_login_finds_the_same_account_by_issuer_and_subject(client, session):
    invite("focal-ar@example.org", Role.FOCAL_POINT, "AR", None)
    for _ in range(2):
        at_provider = sign_in_at_provider(start_login(client), "focal-ar@example.org", "secret-ar")
        client.get(callback_path(at_provider.headers["Location"]))
    accounts = session.execute(sa.select(User).where(User.subject == "focal-ar")).scalars()
    assert len(list(accounts)) == 1


def test_uninvited_person_is_told_access_is_not_granted_and_gets_no_rights(client, session):
    at_provider = sign_in_at_provider(
        start_login(client), "uninvited@example.org", "secret-uninvited"
    )
    response = client.get(callback_path(at_provider.headers["Location"]))

    assert response.status_code == 403
    assert "access has not been granted yet" in response.get_data(as_text=True)
    assert signed_in_user_id(client) is None
    assert client.get("/api/v1/member-states").status_code == 401
    user = session.execute(sa.select(User).where(User.subject == "uninvited")).scalar_one()
    assert user.role is None


def test_wrong_password_at_the_provider_never_reaches_the_service(client):
    at_provider = sign_in_at_provider(start_login(client), "focal-ar@example.org", "wrong")
    assert at_provider.status_code == 401
    assert "Invalid email or password" in at_provider.text
    assert "Location" not in at_provider.headers
    assert signed_in_user_id(client) is None


def test_tampered_state_is_refused(client, session):
    invite("focal-ar@example.org", Role.FOCAL_POINT, "AR", None)
    at_provider = sign_in_at_provider(start_login(client), "focal-ar@example.org", "secret-ar")
    parts = urlsplit(at_provider.headers["Location"])
    query = {k: v[0] for k, v in parse_qs(parts.query).items()}
    query["state"] = "forged-" + query["state"]

    response = client.get(parts.path + "?" + urlencode(query))

    assert response.status_code == 400
    assert "Sign-in failed" in response.get_data(as_text=True)
    assert signed_in_user_id(client) is None


def test_logout_ends_the_session(client, session, login):
    headers = login(client, "secretariat")
    assert client.get("/api/v1/member-states").status_code == 200
    client.post("/auth/logout", data={"csrf_token": headers["X-CSRFToken"]})
    assert client.get("/api/v1/member-states").status_code == 401


def test_logout_without_csrf_token_is_refused(client, login):
    login(client, "secretariat")
    assert client.post("/auth/logout").status_code == 400
    assert client.get("/api/v1/member-states").status_code == 200


@pytest.mark.parametrize("target", ["https://evil.example/", "//evil.example/x", "/admin/"])
def test_login_only_returns_to_our_own_pages(client, session, target):
    from service.identity.services import create_local_admin

    create_local_admin("root@example.org", "a long local password")
    response = client.post(
        "/auth/local-login",
        data={
            "email": "root@example.org",
            "password": "a long local password",
            "next": target,
            "csrf_token": csrf_token_of(client.get("/auth/login")),
        },
    )
    assert response.status_code == 302
    location = response.headers["Location"]
    assert location == target if target == "/admin/" else "evil" not in location


def test_first_administrator_signs_in_with_the_local_password(client, session):
    from service.identity.services import create_local_admin

    create_local_admin("root@example.org", "a long local password")
    token = csrf_token_of(client.get("/auth/login"))
    wrong = client.post(
        "/auth/local-login",
        data={"email": "root@example.org", "password": "not it", "csrf_token": token},
    )
    assert wrong.status_code == 401
    assert "Wrong email or password" in wrong.get_data(as_text=True)
    assert signed_in_user_id(client) is None

    right = client.post(
        "/auth/local-login",
        data={
            "email": "root@example.org",
            "password": "a long local password",
            "csrf_token": token,
        },
    )
    assert right.status_code == 302
    user = session.get(User, signed_in_user_id(client))
    assert user.role == Role.SECRETARIAT
    assert user.password_hash.startswith("scrypt:")


def test_signing_out_ends_every_copy_of_the_session(app, client, session, login):
    login(client, "secretariat")
    stolen = app.test_client()
    with client.session_transaction() as original, stolen.session_transaction() as copy:
        copy.update(original)
    assert stolen.get("/api/v1/member-states").status_code == 200

    token = csrf_token_of(client.get("/auth/login"))
    client.post("/auth/logout", data={"csrf_token": token})

    assert stolen.get("/api/v1/member-states").status_code == 401


def test_a_session_ends_after_its_lifetime_however_busy(app, client, session, login):
    import time

    from service.core.authentication import SESSION_LOGIN_AT_KEY

    login(client, "secretariat")
    assert client.get("/api/v1/member-states").status_code == 200
    lifetime = app.permanent_session_lifetime.total_seconds()
    with client.session_transaction() as cookie_session:
        cookie_session[SESSION_LOGIN_AT_KEY] = time.time() - lifetime - 1
    assert client.get("/api/v1/member-states").status_code == 401


def test_a_member_states_provider_cannot_claim_a_secretariat_or_foreign_invitation(session):
    from service.identity.services import user_from_login

    invite("new.secretary@example.org", Role.SECRETARIAT, None, None)
    invite("focal@br.example.org", Role.FOCAL_POINT, "BR", None)
    invite("focal@ar.example.org", Role.FOCAL_POINT, "AR", None)
    argentina_idp = "https://idp.argentina.example"

    def login_through_argentina(subject, email):
        claims = {"sub": subject, "iss": argentina_idp, "email": email, "email_verified": True}
        return user_from_login("argentina", subject, claims, provider_member_state="AR")

    assert login_through_argentina("s1", "new.secretary@example.org").role is None
    assert login_through_argentina("s2", "focal@br.example.org").role is None
    own = login_through_argentina("s3", "focal@ar.example.org")
    assert (own.role, own.member_state_code) == (Role.FOCAL_POINT, "AR")
