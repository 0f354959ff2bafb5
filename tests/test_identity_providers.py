"""No provider can become someone else: accounts are bound to the configured provider's name and
the token's `sub`; every sign-in failure is a page that says what to do, never a 500; a provider
that doesn't answer costs seconds, not a worker; signing out ends the provider's session too."""

from __future__ import annotations

import re
import time
import warnings

import pytest
import requests
import sqlalchemy as sa
from joserfc import jwt
from joserfc.jwk import KeySet, RSAKey

from service.config import ConfigurationError
from service.core.authentication import SESSION_LOGIN_AT_KEY, SESSION_USER_KEY
from service.identity.models import Invitation, Role, User
from service.identity.services import AccessError, invite, set_access

from .fixtures.identity import CRAFTED_CLIENT_ID, at_provider, query_of, relative

FRIENDLY_CALLBACK = "http://localhost/auth/callback/test"
HOSTILE_CALLBACK = "http://localhost/auth/callback/hostile"
DROP = object()


def text(response) -> str:
    return response.get_data(as_text=True)


def signed_in_user_id(test_client):
    with test_client.session_transaction() as cookie_session:
        return cookie_session.get(SESSION_USER_KEY)


def begin(test_client, provider: str) -> dict[str, str]:
    """Our app sends the browser to the provider: the authorization request's parameters."""
    response = test_client.get(f"/auth/login/{provider}")
    assert response.status_code == 302, text(response)
    return {**query_of(response.headers["Location"]), "url": response.headers["Location"]}


def accounts_of(session, provider: str) -> list[User]:
    return list(session.scalars(sa.select(User).where(User.provider == provider)))


# -- id_tokens the test writes and signs (joserfc) ----------------------------------------------


def crafted_claims(crafted_provider, sent_nonce: str, /, **changes) -> dict:
    now = int(time.time())
    claims = {
        "iss": crafted_provider.issuer("crafted"),
        "aud": CRAFTED_CLIENT_ID,
        "sub": "crafted-person",
        "exp": now + 300,
        "iat": now,
        "nonce": sent_nonce,
        "email": "focal@ar.example.org",
        "email_verified": True,
        "name": "Focal AR",
    }
    claims.update(changes)
    return {key: value for key, value in claims.items() if value is not DROP}


def crafted_sign_in(test_client, crafted_provider, make_answer):
    """Start at /auth/login/crafted, then come back with a code the crafted provider's token
    endpoint answers with make_answer(nonce)."""
    request = begin(test_client, "crafted")
    crafted_provider.answer = make_answer(request["nonce"])
    return test_client.get(f"/auth/callback/crafted?code=any-code&state={request['state']}")


def token_answer(id_token: str) -> dict:
    return {"access_token": "crafted-access", "token_type": "Bearer", "id_token": id_token}


def signed(crafted_provider, **changes):
    return lambda nonce: token_answer(
        crafted_provider.sign(crafted_claims(crafted_provider, nonce, **changes))
    )


def test_a_crafted_token_that_is_right_signs_in_through_the_provider_it_came_from(
    identity_client, session, crafted_provider
):
    invite("focal@ar.example.org", Role.FOCAL_POINT, "AR", None)

    response = crafted_sign_in(identity_client, crafted_provider, signed(crafted_provider))

    assert response.status_code == 302, text(response)
    user = session.get(User, signed_in_user_id(identity_client))
    assert (user.provider, user.subject, user.issuer) == (
        "crafted",
        "crafted-person",
        crafted_provider.issuer("crafted"),
    )
    assert (user.role, user.member_state_code) == (Role.FOCAL_POINT, "AR")


def _other_key(kid: str) -> RSAKey:
    return RSAKey.generate_key(2048, parameters={"kid": kid, "alg": "RS256", "use": "sig"})


def _unsigned(crafted_provider):
    def answer(nonce):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # joserfc rightly warns about alg "none"
            token = jwt.encode(
                {"alg": "none"}, crafted_claims(crafted_provider, nonce), None, algorithms=["none"]
            )
        return token_answer(token)

    return answer


def _with_key(crafted_provider, kid):
    key = _other_key(kid)
    return lambda nonce: token_answer(
        crafted_provider.sign(crafted_claims(crafted_provider, nonce), key=key)
    )


NOT_VERIFIED = "could not be verified"
WHO = "did not say who you are"
BAD_ANSWERS = {
    # case: (answer(crafted_provider) -> make_answer, what the page says)
    "signed with another key under the provider's key id": (
        lambda p: _with_key(p, "crafted-1"),
        NOT_VERIFIED,
    ),
    "signed with a key the provider does not publish": (
        lambda p: _with_key(p, "someone-else"),
        NOT_VERIFIED,
    ),
    "not signed at all (alg none)": (_unsigned, NOT_VERIFIED),
    "not a token at all": (lambda p: lambda nonce: token_answer("not.a.token"), NOT_VERIFIED),
    "expired": (
        lambda p: signed(p, exp=int(time.time()) - 900, iat=int(time.time()) - 1200),
        "has expired",
    ),
    "for another audience": (lambda p: signed(p, aud="another-service"), "another service"),
    "for other audiences only": (
        lambda p: signed(p, aud=["another-service", "a-third"]),
        "another service",
    ),
    "for another audience, naming us as authorized party": (
        lambda p: signed(p, aud="another-service", azp=CRAFTED_CLIENT_ID),
        "another service",
    ),
    "with another sign-in's nonce": (
        lambda p: signed(p, nonce="an-old-nonce"),
        "does not belong to this sign-in",
    ),
    "without a nonce": (lambda p: signed(p, nonce=DROP), "does not belong to this sign-in"),
    "from another issuer": (
        lambda p: signed(p, iss="http://127.0.0.1:1/another-provider"),
        "did not come from",
    ),
    "without sub": (lambda p: signed(p, sub=DROP), WHO),
    "with an empty sub": (lambda p: signed(p, sub=""), WHO),
    "with a sub that is not text": (lambda p: signed(p, sub=12345), WHO),
    "with a sub over 255 characters": (
        lambda p: signed(p, sub="s" * 256),
        "identifier (sub) longer than this directory accepts (255 characters",
    ),
    "with an email over 320 characters": (
        lambda p: signed(p, email="e" * 309 + "@example.org"),
        "email address longer than this directory accepts (320 characters",
    ),
    "with a name over 300 characters": (
        lambda p: signed(p, name="N" * 301),
        "name longer than this directory accepts (300 characters",
    ),
    "with an email that is not text": (
        lambda p: signed(p, email=["focal@ar.example.org"]),
        "did not send a usable email address",
    ),
    "without an id_token": (
        lambda p: lambda nonce: {"access_token": "a", "token_type": "Bearer"},
        WHO,
    ),
    "refusing the code at the token endpoint": (
        lambda p: lambda nonce: (400, {"error": "invalid_grant"}),
        "could not be completed",
    ),
}


@pytest.mark.parametrize("case", BAD_ANSWERS, ids=list(BAD_ANSWERS))
def test_a_bad_answer_from_the_provider_is_a_400_page_saying_what_to_do(
    identity_client, session, crafted_provider, case
):
    invite("focal@ar.example.org", Role.FOCAL_POINT, "AR", None)
    make_answer, says = BAD_ANSWERS[case]

    response = crafted_sign_in(identity_client, crafted_provider, make_answer(crafted_provider))

    assert response.status_code == 400, text(response)
    assert response.mimetype == "text/html"
    page = text(response)
    assert "Sign-in failed" in page
    assert says in page
    assert "start again" in page or "ask the OAS secretariat" in page
    assert 'href="/auth/login"' in page  # the way back
    assert signed_in_user_id(identity_client) is None
    assert identity_client.get("/api/v1/member-states").status_code == 401
    assert accounts_of(session, "crafted") == []


def test_a_longest_allowed_sub_email_and_name_sign_in(identity_client, session, crafted_provider):
    email = "e" * 308 + "@example.org"  # 320 characters
    invite(email, Role.FOCAL_POINT, "AR", None)
    answer = signed(crafted_provider, sub="s" * 255, email=email, name="N" * 300)

    response = crafted_sign_in(identity_client, crafted_provider, answer)

    assert response.status_code == 302, text(response)
    user = session.get(User, signed_in_user_id(identity_client))
    assert (len(user.subject), len(user.email), len(user.name)) == (255, 320, 300)


# -- a member state's provider reaches focal points of its own state, nothing else -------------


@pytest.mark.parametrize(
    ("role", "state"), [(Role.SECRETARIAT, None), (Role.FOCAL_POINT, "BR")], ids=str
)
def test_a_member_states_provider_never_reaches_an_account_holding_other_rights(
    identity_client, session, crafted_provider, role, state
):
    # e.g. an account bound by the migration, or rights given before this rule existed
    account = User(
        provider="crafted",
        issuer=crafted_provider.issuer("crafted"),
        subject="crafted-person",
        email="focal@ar.example.org",
        role=role,
        member_state_code=state,
    )
    session.add(account)
    session.commit()

    response = crafted_sign_in(identity_client, crafted_provider, signed(crafted_provider))

    assert response.status_code == 403
    assert "can only sign in focal points of AR" in text(response)
    assert signed_in_user_id(identity_client) is None
    session.refresh(account)
    assert account.last_login_at is None


def test_an_account_beyond_its_providers_reach_has_no_rights_even_with_a_session(
    identity_app, identity_client, session, crafted_provider
):
    account = User(
        provider="crafted",
        issuer=crafted_provider.issuer("crafted"),
        subject="crafted-secretary",
        email="secretary@ar.example.org",
        role=Role.SECRETARIAT,
    )
    session.add(account)
    session.commit()
    with identity_client.session_transaction() as cookie_session:
        cookie_session[SESSION_USER_KEY] = account.id
        cookie_session[SESSION_LOGIN_AT_KEY] = time.time()

    assert identity_client.get("/api/v1/member-states").status_code == 403
    assert identity_client.get("/admin/user/").status_code == 403


def test_the_secretariat_cannot_give_a_member_states_account_other_rights(
    identity_app, session, crafted_provider
):
    account = User(
        provider="crafted",
        issuer=crafted_provider.issuer("crafted"),
        subject="crafted-person",
        email="focal@ar.example.org",
    )
    session.add(account)
    session.commit()
    with identity_app.app_context():
        with pytest.raises(AccessError, match="focal points of its own member state"):
            set_access(account, Role.SECRETARIAT, None)
        with pytest.raises(AccessError, match="focal points of its own member state"):
            set_access(account, Role.FOCAL_POINT, "BR")
        set_access(account, Role.FOCAL_POINT, "AR")
    assert (account.role, account.member_state_code) == (Role.FOCAL_POINT, "AR")


# -- two real OpenID Providers: the OAS's, and a hostile one claiming to be it ------------------


def secretariat_signs_in_through_the_oas_provider(identity_app, session) -> User:
    invite("admin@example.org", Role.SECRETARIAT, None, None)
    browser = identity_app.test_client()
    request = begin(browser, "test")
    back = at_provider(
        requests.Session(), request["url"], "admin@example.org", "secret-admin", FRIENDLY_CALLBACK
    )
    assert browser.get(relative(back.headers["Location"])).status_code == 302
    user = session.get(User, signed_in_user_id(browser))
    assert (user.provider, user.subject, user.role) == ("test", "admin", Role.SECRETARIAT)
    return user


def test_a_hostile_provider_claiming_the_oas_issuer_gets_no_session_and_no_rights(
    identity_app, identity_client, session, hostile_oidc_provider
):
    secretary = secretariat_signs_in_through_the_oas_provider(identity_app, session)
    last_login = secretary.last_login_at

    start = identity_client.get("/auth/login/hostile")
    forged_return = identity_client.get("/auth/callback/hostile?code=forged&state=forged")

    for response in (start, forged_return):
        assert response.status_code == 403, text(response)
        assert "Location" not in response.headers
        assert "presents itself as another service" in text(response)
        assert "tell the OAS secretariat" in text(response)
    assert signed_in_user_id(identity_client) is None
    assert identity_client.get("/api/v1/member-states").status_code == 401
    assert identity_client.get("/admin/").status_code == 302  # to the sign-in page
    session.refresh(secretary)
    assert (secretary.provider, secretary.role, secretary.last_login_at) == (
        "test",
        Role.SECRETARIAT,
        last_login,
    )
    assert accounts_of(session, "hostile") == []


def test_a_hostile_provider_believed_at_its_word_reaches_only_accounts_of_its_own(
    identity_app, identity_client, session, hostile_oidc_provider, monkeypatch
):
    """Even if its claimed issuer were taken as its own (start-up refuses two providers with one
    issuer; see below), the OAS secretariat's `sub` through it is another account with no rights:
    a member state's provider cannot take up a secretariat invitation either."""
    claimed = hostile_oidc_provider["claimed_issuer"]
    secretary = User(provider="test", issuer=claimed, subject="admin", email="admin@example.org")
    session.add(secretary)
    session.commit()
    set_access(secretary, Role.SECRETARIAT, None)
    invitation = invite("admin@example.org", Role.SECRETARIAT, None, None)
    session.commit()
    monkeypatch.setitem(identity_app.config["OIDC_PROVIDERS"]["hostile"], "issuer", claimed)

    request = begin(identity_client, "hostile")
    assert request["url"].startswith(hostile_oidc_provider["url"])
    back = at_provider(
        requests.Session(), request["url"], "admin@example.org", "hostile-admin", HOSTILE_CALLBACK
    )
    response = identity_client.get(relative(back.headers["Location"]))

    assert response.status_code == 403, text(response)
    assert "access has not been granted yet" in text(response)
    assert signed_in_user_id(identity_client) is None
    assert identity_client.get("/api/v1/member-states").status_code == 401
    [own] = accounts_of(session, "hostile")
    assert (own.subject, own.issuer, own.role) == ("admin", claimed, None)
    assert own.id != secretary.id
    session.refresh(secretary)
    assert (secretary.role, secretary.last_login_at) == (Role.SECRETARIAT, None)
    assert session.get(Invitation, invitation.id).used_at is None


def _provider_env(monkeypatch, **providers):
    monkeypatch.setenv("OIDC_PROVIDERS", ",".join(providers))
    for name, issuer in providers.items():
        prefix = f"OIDC_{name.upper()}_"
        monkeypatch.setenv(prefix + "METADATA_URL", f"https://{name}.example/.well-known/x")
        monkeypatch.setenv(prefix + "CLIENT_ID", name)
        monkeypatch.setenv(prefix + "CLIENT_SECRET", "secret")
        if issuer is not None:
            monkeypatch.setenv(prefix + "ISSUER", issuer)


@pytest.mark.parametrize(
    ("providers", "message"),
    [
        (
            {"oas": "https://id.oas.example", "br": "https://id.oas.example"},
            "OIDC_OAS_ISSUER and OIDC_BR_ISSUER are both 'https://id.oas.example': "
            "two OIDC providers cannot share an issuer",
        ),
        (
            {"oas": "https://id.oas.example/", "br": "https://id.oas.example"},
            "OIDC_OAS_ISSUER and OIDC_BR_ISSUER are both",
        ),
        ({"oas": "https://id.oas.example", "br": None}, "'br' needs OIDC_BR_ISSUER"),
        ({"oas-idp": "https://id.oas.example"}, "OIDC_PROVIDERS: 'oas-idp' is not a provider"),
    ],
    ids=["same issuer", "same issuer but a slash", "no issuer", "bad name"],
)
def test_provider_configuration_errors_are_one_line_naming_the_variables(
    monkeypatch, providers, message
):
    from service import create_app

    monkeypatch.setenv("SERVICE_ENV", "testing")
    _provider_env(monkeypatch, **providers)
    with pytest.raises(ConfigurationError) as refused:
        create_app()
    assert message in str(refused.value)
    assert "\n" not in str(refused.value)


@pytest.mark.parametrize("value", ["soon", "0", "-1", "nan", "600"])
def test_a_provider_timeout_that_is_not_a_few_seconds_is_refused(monkeypatch, value):
    from service import create_app

    monkeypatch.setenv("SERVICE_ENV", "testing")
    monkeypatch.setenv("OIDC_TIMEOUT_SECONDS", value)
    with pytest.raises(ConfigurationError, match="OIDC_TIMEOUT_SECONDS must be a number"):
        create_app()


# -- a provider that doesn't answer, or refuses: a clear 503 page within the timeout ----------


def assert_unavailable_page(response, label: str) -> None:
    assert response.status_code == 503, text(response)
    assert response.mimetype == "text/html"
    assert int(response.headers["Retry-After"]) > 0
    assert f"The sign-in service of {label} cannot be reached" in text(response)
    assert "try again later" in text(response)


def test_a_provider_that_never_answers_gives_a_503_page_once_the_timeout_is_up(
    identity_client, caplog
):
    response = identity_client.get("/auth/login/silent")

    assert_unavailable_page(response, "Silent")
    # given up because of the configured timeout, not because the connection was dropped
    assert "OIDC provider silent: metadata unavailable: ReadTimeout" in caplog.text


def test_a_provider_that_refuses_connections_gives_a_503_page(identity_client, caplog):
    response = identity_client.get("/auth/login/refused")

    assert_unavailable_page(response, "Refused")
    assert "OIDC provider refused: metadata unavailable: ConnectionError" in caplog.text


def test_a_token_endpoint_that_never_answers_gives_a_503_page(identity_client, session, caplog):
    request = begin(identity_client, "stalling")

    response = identity_client.get(f"/auth/callback/stalling?code=c&state={request['state']}")

    assert_unavailable_page(response, "Stalling")
    assert "OIDC provider stalling: unusable at sign-in: ReadTimeout" in caplog.text
    assert signed_in_user_id(identity_client) is None


def test_a_key_set_that_never_comes_gives_a_503_page(
    identity_client, session, crafted_provider, caplog
):
    request = begin(identity_client, "stalling_keys")
    claims = crafted_claims(
        crafted_provider,
        request["nonce"],
        iss=crafted_provider.issuer("stalling_keys"),
        aud="stalling_keys",
    )
    crafted_provider.answer = token_answer(crafted_provider.sign(claims))

    response = identity_client.get(f"/auth/callback/stalling_keys?code=c&state={request['state']}")

    assert_unavailable_page(response, "Stalling keys")
    assert "OIDC provider stalling_keys: unusable at sign-in: ReadTimeout" in caplog.text
    assert signed_in_user_id(identity_client) is None


def test_signing_out_while_the_provider_is_unreachable_still_ends_our_session(
    identity_client, session, login
):
    login(identity_client, "secretariat")
    with identity_client.session_transaction() as cookie_session:
        cookie_session["oidc_provider"] = "refused"
        cookie_session["oidc_id_token"] = "an.id.token"
    token = re.search(
        r'name="csrf_token" value="([^"]+)"', text(identity_client.get("/auth/login"))
    ).group(1)

    response = identity_client.post("/auth/logout", data={"csrf_token": token})

    assert response.status_code == 200
    assert "You are signed out of the directory" in text(response)
    assert "Refused cannot be reached, so you may still be signed in there" in text(response)
    assert identity_client.get("/api/v1/member-states").status_code == 401


# -- signing out at the provider (issue 17) -------------------------------------------------------


def test_signing_out_ends_the_session_at_the_provider_too(identity_client, session, oidc_provider):
    invite("focal-ar@example.org", Role.FOCAL_POINT, "AR", None)
    browser = requests.Session()  # the person's browser at the provider (its cookies)

    def sign_in_at_provider():
        return at_provider(
            browser,
            begin(identity_client, "test")["url"],
            "focal-ar@example.org",
            "secret-ar",
            FRIENDLY_CALLBACK,
        )

    first = sign_in_at_provider()
    assert first.asked_password
    assert identity_client.get(relative(first.headers["Location"])).status_code == 302
    assert identity_client.get("/api/v1/member-states").status_code == 200
    # the problem: the provider's session alone signs the next person straight back in
    assert not sign_in_at_provider().asked_password

    token = re.search(
        r'name="csrf_token" value="([^"]+)"', text(identity_client.get("/auth/login"))
    ).group(1)
    response = identity_client.post("/auth/logout", data={"csrf_token": token})

    assert response.status_code == 302
    end_session = response.headers["Location"]
    assert end_session.startswith(oidc_provider["issuer"] + "/session/end?")
    params = query_of(end_session)
    assert params["post_logout_redirect_uri"] == "http://localhost/auth/login"
    keys = KeySet.import_key_set(requests.get(oidc_provider["issuer"] + "/jwks", timeout=10).json())
    hint = jwt.decode(params["id_token_hint"], keys).claims
    assert (hint["sub"], hint["aud"]) == ("focal-ar", "directory-tests")
    assert identity_client.get("/api/v1/member-states").status_code == 401

    confirm = browser.get(end_session, timeout=10)  # the provider's sign-out page
    assert confirm.status_code == 200
    action = re.search(r'action="([^"]+)"', confirm.text).group(1)
    xsrf = re.search(r'name="xsrf" value="([^"]+)"', confirm.text).group(1)
    done = browser.post(
        action, data={"xsrf": xsrf, "logout": "yes"}, allow_redirects=False, timeout=10
    )
    assert done.status_code in (302, 303)
    assert done.headers["Location"].startswith("http://localhost/auth/login")
    back_home = identity_client.get(relative(done.headers["Location"]))
    assert back_home.status_code == 200
    assert "<h1>Sign in</h1>" in text(back_home)

    # the next person at this browser is asked for a password again
    assert sign_in_at_provider().asked_password
