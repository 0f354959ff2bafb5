"""Partner systems: client credentials end to end over real HTTP, revocation, introspection."""

import pytest
import requests
import sqlalchemy as sa

from service.core.db import db
from service.core.limits import limiter
from service.oauth.models import ApiClient, OAuthToken
from service.oauth.tokens import TOKEN_PREFIX, digest

from .fixtures.credentials import committed_cli_client


@pytest.fixture
def cli_client(app):
    """A client registered with the command line, committed for real (a live server reads it)."""
    with committed_cli_client(
        app, "UNODC test system", "directory:read workplan:read"
    ) as credentials:
        yield credentials


def get_token(base_url: str, credentials: dict, **data) -> requests.Response:
    return requests.post(
        f"{base_url}/oauth/token",
        data={"grant_type": "client_credentials", **data},
        auth=(credentials["client_id"], credentials["client_secret"]),
        timeout=10,
    )


def test_partner_gets_a_token_reads_introspects_revokes_and_is_refused_after(
    app, live_server, cli_client
):
    limiter.reset()
    issued = get_token(live_server, cli_client)
    assert issued.status_code == 200, issued.text
    token = issued.json()
    assert token["token_type"].lower() == "bearer"
    assert token["access_token"].startswith(TOKEN_PREFIX)
    assert token["expires_in"] == 3600
    assert set(token["scope"].split()) == {"directory:read", "workplan:read"}
    bearer = {"Authorization": f"Bearer {token['access_token']}"}

    states = requests.get(f"{live_server}/api/v1/member-states?page_size=100", headers=bearer)
    assert states.status_code == 200 and len(states.json()) == 35

    introspection = requests.post(
        f"{live_server}/oauth/introspect",
        data={"token": token["access_token"]},
        auth=(cli_client["client_id"], cli_client["client_secret"]),
        timeout=10,
    ).json()
    assert introspection["active"] is True
    assert introspection["client_id"] == cli_client["client_id"]

    revoked = requests.post(
        f"{live_server}/oauth/revoke",
        data={"token": token["access_token"]},
        auth=(cli_client["client_id"], cli_client["client_secret"]),
        timeout=10,
    )
    assert revoked.status_code == 200

    refused = requests.get(f"{live_server}/api/v1/member-states", headers=bearer, timeout=10)
    assert refused.status_code == 401
    assert "invalid_token" in refused.headers["WWW-Authenticate"]
    again = requests.post(
        f"{live_server}/oauth/introspect",
        data={"token": token["access_token"]},
        auth=(cli_client["client_id"], cli_client["client_secret"]),
        timeout=10,
    ).json()
    assert again == {"active": False}


def test_tokens_and_secrets_are_stored_only_as_hashes(app, live_server, cli_client):
    limiter.reset()
    plain = get_token(live_server, cli_client).json()["access_token"]
    with app.app_context():
        client = db.session.execute(
            sa.select(ApiClient).where(ApiClient.client_id == cli_client["client_id"])
        ).scalar_one()
        assert client.client_secret_hash == digest(cli_client["client_secret"])
        assert cli_client["client_secret"] not in client.client_secret_hash
        stored = db.session.execute(
            sa.select(OAuthToken.token_hash).where(OAuthToken.client_id == client.id)
        ).scalars()
        assert list(stored) == [digest(plain)]


def test_wrong_secret_gets_no_token(live_server, cli_client):
    limiter.reset()
    response = get_token(live_server, {**cli_client, "client_secret": "oasdir_cs_wrong"})
    assert response.status_code == 401
    assert response.json()["error"] == "invalid_client"


def test_a_client_cannot_ask_for_scopes_it_was_not_granted(live_server, cli_client):
    limiter.reset()
    response = get_token(live_server, cli_client, scope="directory:read directory:write")
    assert response.status_code == 200
    assert response.json()["scope"] == "directory:read"


def test_command_line_revocation_revokes_the_client_and_its_tokens(app, live_server, cli_client):
    limiter.reset()
    plain = get_token(live_server, cli_client).json()["access_token"]
    result = app.test_cli_runner().invoke(args=["clients", "revoke", cli_client["client_id"]])
    assert result.exit_code == 0, result.output
    response = requests.get(
        f"{live_server}/api/v1/member-states",
        headers={"Authorization": f"Bearer {plain}"},
        timeout=10,
    )
    assert response.status_code == 401
    assert get_token(live_server, cli_client).status_code == 401


def test_expired_token_is_refused(client, session, make_api_client):
    from datetime import timedelta

    from service.oauth.tokens import issue_token

    api_client, _ = make_api_client()
    plain, token = issue_token(api_client, "directory:read")
    token.issued_at -= timedelta(hours=2)
    token.expires_at -= timedelta(hours=2)
    session.flush()
    response = client.get("/api/v1/member-states", headers={"Authorization": f"Bearer {plain}"})
    assert response.status_code == 401


def test_directory_write_needs_a_member_state(app):
    result = app.test_cli_runner().invoke(
        args=["clients", "create", "Unbound", "--scope", "directory:read directory:write"]
    )
    assert result.exit_code != 0
    assert "bound to a member state" in result.output


def test_token_endpoint_is_rate_limited(app, client, session, make_api_client):
    api_client, secret = make_api_client()
    limiter.reset()
    app.config["RATELIMIT_TOKEN"] = "2 per minute"
    try:
        statuses = [
            client.post(
                "/oauth/token",
                data={"grant_type": "client_credentials"},
                auth=(api_client.client_id, secret),
            ).status_code
            for _ in range(3)
        ]
    finally:
        app.config["RATELIMIT_TOKEN"] = "30 per minute"
        limiter.reset()
    assert statuses == [200, 200, 429]


def test_asking_only_for_scopes_never_granted_is_an_invalid_scope(client, session, make_api_client):
    api_client, secret = make_api_client("directory:read")
    limiter.reset()
    response = client.post(
        "/oauth/token",
        data={"grant_type": "client_credentials", "scope": "workplan:write"},
        auth=(api_client.client_id, secret),
    )
    assert response.status_code == 400
    assert response.get_json()["error"] == "invalid_scope"


def test_bad_token_answers_with_a_problem_document(client):
    response = client.get(
        "/api/v1/member-states", headers={"Authorization": "Bearer oasdir_at_nope"}
    )
    assert response.status_code == 401
    assert response.mimetype == "application/problem+json"


def test_a_member_states_client_is_never_given_workplan_write(app):
    result = app.test_cli_runner().invoke(
        args=["clients", "create", "AR system", "--scope", "workplan:write", "--member-state", "AR"]
    )
    assert result.exit_code != 0
    assert "workplan:write is not granted" in result.output
