"""The token endpoints give nothing away, cannot be hammered, and keep their table small."""

from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from service.core.db import db
from service.core.limits import limiter
from service.oauth.models import OAuthToken
from service.oauth.tokens import issue_token


@pytest.fixture(autouse=True)
def fresh_limits():
    limiter.reset()
    yield
    limiter.reset()


def token_request(client, client_id: str, secret: str):
    return client.post(
        "/oauth/token", data={"grant_type": "client_credentials"}, auth=(client_id, secret)
    )


def test_a_wrong_client_id_and_a_wrong_secret_get_the_same_answer(client, make_api_client):
    api_client, secret = make_api_client()
    unknown = token_request(client, "oasdir_0000000000000000", secret)
    wrong_secret = token_request(client, api_client.client_id, secret + "x")
    for response in (unknown, wrong_secret):
        assert response.status_code == 401
        assert response.mimetype == "application/json"
        assert response.get_json()["error"] == "invalid_client"
    assert unknown.get_json() == wrong_secret.get_json()
    assert unknown.headers.get("WWW-Authenticate") == wrong_secret.headers.get("WWW-Authenticate")


def test_a_revoked_client_gets_the_same_answer_as_an_unknown_one(
    app, client, make_api_client, session
):
    api_client, secret = make_api_client()
    api_client.revoked_at = datetime.now(UTC)
    session.commit()
    revoked = token_request(client, api_client.client_id, secret)
    unknown = token_request(client, "oasdir_ffffffffffffffff", secret)
    assert revoked.status_code == unknown.status_code == 401
    assert revoked.get_json() == unknown.get_json()


@pytest.mark.parametrize("client_id", ["oasdir_\x00", "a" * 5000, "\x00"])
def test_a_malformed_client_id_is_an_oauth_error_not_a_500(client, client_id):
    response = token_request(client, client_id, "secret")
    assert response.status_code == 401
    assert response.get_json()["error"] == "invalid_client"
    posted = client.post(
        "/oauth/token",
        data={"grant_type": "client_credentials", "client_id": client_id, "client_secret": "s"},
    )
    assert posted.status_code in {400, 401}
    assert posted.get_json()["error"] == "invalid_client"


@pytest.mark.parametrize("endpoint", ["/oauth/introspect", "/oauth/revoke"])
def test_introspection_and_revocation_are_rate_limited(app, client, make_api_client, endpoint):
    api_client, secret = make_api_client()
    app.config["RATELIMIT_TOKEN"] = "2 per minute"
    try:
        responses = [
            client.post(
                endpoint, data={"token": "oasdir_at_x"}, auth=(api_client.client_id, secret)
            )
            for _ in range(3)
        ]
    finally:
        app.config["RATELIMIT_TOKEN"] = "30 per minute"
    assert [r.status_code for r in responses] == [200, 200, 429]
    refused = responses[-1]
    assert refused.mimetype == "application/json"  # OAuth's format, not an HTML page
    assert refused.get_json()["error"] == "temporarily_unavailable"
    assert "Retry-After" in refused.headers


def test_purge_deletes_expired_tokens_and_keeps_live_ones(app, session, make_api_client):
    from service.oauth.cli import purge_expired_tokens

    api_client, _ = make_api_client()
    _, live = issue_token(api_client, "directory:read")
    _, expired = issue_token(api_client, "directory:read", lifetime=timedelta(seconds=1))
    expired.issued_at -= timedelta(days=2)
    expired.expires_at -= timedelta(days=2)
    session.commit()
    live_id, expired_id = live.id, expired.id

    assert purge_expired_tokens() >= 1
    session.commit()
    remaining = set(session.scalars(sa.select(OAuthToken.id)))
    assert live_id in remaining
    assert expired_id not in remaining


def test_purge_command_reports_what_it_removed(app, session, make_api_client):
    result = app.test_cli_runner().invoke(args=["tokens", "purge"])
    assert result.exit_code == 0, result.output
    assert "expired token(s)" in result.output
    db.session.remove()
