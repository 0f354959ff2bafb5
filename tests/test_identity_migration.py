"""Existing accounts are bound to the provider that pins their issuer; the rest stay unreachable."""

from __future__ import annotations

import os
from datetime import UTC, datetime

import pytest
import sqlalchemy as sa
from flask_migrate import upgrade

from service import create_app
from service.core.db import db
from service.identity.models import Role, User
from service.identity.services import user_from_login

from .conftest import PROJECT_ROOT
from .fixtures.database import PostgresDatabase, _postgres_server_url, _require_postgres

BEFORE = "c2282ff31e18"  # accounts keyed by issuer + subject
OAS = "https://id.oas.example"
ARGENTINA = "https://id.argentina.example"
GONE = "https://id.gone.example"  # an issuer no configured provider pins


def provider(issuer: str, state: str | None = None) -> dict:
    return {
        "label": issuer,
        "member_state": state,
        "server_metadata_url": issuer + "/.well-known/openid-configuration",
        "issuer": issuer,
        "client_id": "directory",
        "client_secret": "secret",
    }


@pytest.fixture(params=["sqlite", "postgresql"])
def fresh_database_url(request, tmp_path):
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'before.db'}"
        return
    server = _postgres_server_url()
    if server is None:
        if _require_postgres():
            pytest.fail("REQUIRE_POSTGRES is set but no PostgreSQL is reachable")
        pytest.skip("no PostgreSQL reachable")
    with PostgresDatabase(server) as url:
        yield url


@pytest.fixture
def service_before_upgrade(fresh_database_url):
    os.environ["DATABASE_URL"] = fresh_database_url
    try:
        service = create_app(
            {
                "SERVICE_ENV": "testing",
                "SECRET_KEY": "test-secret-key",
                "OIDC_PROVIDERS": {"oas": provider(OAS), "ar": provider(ARGENTINA, "AR")},
            }
        )
    finally:
        del os.environ["DATABASE_URL"]
    with service.app_context():
        upgrade(directory=str(PROJECT_ROOT / "migrations"), revision=BEFORE)
        try:
            yield service
        finally:
            db.session.remove()
            db.engine.dispose()


def add_account(issuer, subject, email, role=None, password_hash=None) -> None:
    now = datetime.now(UTC)
    db.session.execute(
        sa.text(
            "INSERT INTO users (issuer, subject, email, role, password_hash, is_active, "
            "created_at, updated_at) VALUES (:issuer, :subject, :email, :role, :password_hash, "
            ":active, :now, :now)"
        ),
        {
            "issuer": issuer,
            "subject": subject,
            "email": email,
            "role": role,
            "password_hash": password_hash,
            "active": True,
            "now": now,
        },
    )
    db.session.commit()


def account(email: str) -> User:
    return db.session.execute(sa.select(User).where(User.email == email)).scalar_one()


def test_upgrade_binds_accounts_to_the_provider_pinning_their_issuer_and_no_other(
    service_before_upgrade,
):
    add_account(OAS, "s-1", "secretary@oas.example", role="secretariat")
    add_account(ARGENTINA, "s-2", "person@ar.example")
    add_account(GONE, "s-1", "old.secretary@gone.example", role="secretariat")
    add_account(None, None, "root@oas.example", role="secretariat", password_hash="scrypt:x")

    upgrade(directory=str(PROJECT_ROOT / "migrations"), revision="heads")
    db.session.remove()

    bound = {
        email: account(email).provider
        for email in (
            "secretary@oas.example",
            "person@ar.example",
            "old.secretary@gone.example",
            "root@oas.example",
        )
    }
    assert bound == {
        "secretary@oas.example": "oas",
        "person@ar.example": "ar",
        "old.secretary@gone.example": None,  # unbound: no sign-in reaches it
        "root@oas.example": None,  # local account
    }
    # Argentina's provider presenting the old secretary's `sub`: a new account, no rights.
    claims = {"sub": "s-1", "iss": ARGENTINA, "email": "x@ar.example", "email_verified": True}
    newcomer = user_from_login("ar", "s-1", claims, provider_member_state="AR")
    assert newcomer.role is None
    assert newcomer.id not in {
        account("secretary@oas.example").id,
        account("old.secretary@gone.example").id,
    }
    # The OAS provider still finds its secretary.
    again = user_from_login("oas", "s-1", {"sub": "s-1", "iss": OAS}, provider_member_state=None)
    assert (again.email, again.role) == ("secretary@oas.example", Role.SECRETARIAT)


def test_bind_providers_binds_an_unbound_account_once_its_provider_is_configured(
    service_before_upgrade,
):
    add_account(GONE, "s-9", "old.secretary@gone.example", role="secretariat")
    upgrade(directory=str(PROJECT_ROOT / "migrations"), revision="heads")
    db.session.remove()
    assert account("old.secretary@gone.example").provider is None
    service_before_upgrade.config["OIDC_PROVIDERS"]["gone"] = provider(GONE)

    result = service_before_upgrade.test_cli_runner().invoke(args=["users", "bind-providers"])

    assert result.exit_code == 0, result.output
    assert "Bound old.secretary@gone.example to gone." in result.output
    assert "1 bound, 0 in conflict, 0 with an issuer no configured provider pins." in result.output
    db.session.remove()
    assert account("old.secretary@gone.example").provider == "gone"
