"""Test fixtures: every test runs once on SQLite and once on PostgreSQL (when reachable).

Each database leg gets a fresh database built by the real migrations (`flask db upgrade`)
and seeded with `seed/` (demo included); each test runs in a transaction rolled back after it.
"""

from __future__ import annotations

import os
import socket
import subprocess
import threading
import time
import uuid
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask_migrate import upgrade
from flask_sqlalchemy.session import Session as FlaskSession

from service import create_app
from service.core.db import db
from service.seeding import seed_database

PROJECT_ROOT = Path(__file__).resolve().parent.parent
SOURCE_DOCUMENTS = PROJECT_ROOT.parent / "shared" / "seeds"
LOCAL_POSTGRES = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"


def _postgres_server_url() -> str | None:
    """TEST_DATABASE_URL, else the local server on 127.0.0.1:5432 if it answers."""
    url = os.environ.get("TEST_DATABASE_URL")
    if url:
        return url.replace("postgresql://", "postgresql+psycopg://", 1)
    engine = sa.create_engine(LOCAL_POSTGRES, connect_args={"connect_timeout": 2})
    try:
        with engine.connect():
            return LOCAL_POSTGRES
    except sa.exc.OperationalError:
        return None
    finally:
        engine.dispose()


def _require_postgres() -> bool:
    return os.environ.get("REQUIRE_POSTGRES", "") not in {"", "0", "false"}


class PostgresDatabase:
    """A throwaway database on the given server, dropped at the end of the session."""

    def __init__(self, server_url: str):
        self.server = sa.engine.make_url(server_url)
        self.name = f"oas_test_{uuid.uuid4().hex[:12]}"
        self.admin = sa.create_engine(
            self.server.set(database="postgres"), isolation_level="AUTOCOMMIT"
        )

    def __enter__(self) -> str:
        with self.admin.connect() as connection:
            connection.exec_driver_sql(f"CREATE DATABASE \"{self.name}\" ENCODING 'UTF8'")
        return self.server.set(database=self.name).render_as_string(hide_password=False)

    def __exit__(self, *exc) -> None:
        with self.admin.connect() as connection:
            connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')
        self.admin.dispose()


@pytest.fixture(scope="session", params=["sqlite", "postgresql"])
def database_url(request, tmp_path_factory):
    if request.param == "sqlite":
        yield "sqlite:///" + str(tmp_path_factory.mktemp("sqlite") / "test.db")
        return
    server = _postgres_server_url()
    if server is None:
        if _require_postgres():
            pytest.fail("REQUIRE_POSTGRES is set but no PostgreSQL is reachable")
        pytest.skip("no PostgreSQL reachable (set TEST_DATABASE_URL or start one on :5432)")
    with PostgresDatabase(server) as url:
        yield url


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


OIDC_PROVIDER_DIR = PROJECT_ROOT / "tests" / "oidc_provider"
OIDC_CLIENT_ID = "directory-tests"
OIDC_CLIENT_SECRET = "directory-tests-secret"


@pytest.fixture(scope="session")
def live_port() -> int:
    """The loopback port a live server of the app will use (the provider must know it)."""
    return _free_port()


@pytest.fixture(scope="session")
def oidc_provider(live_port):
    """A real OpenID Provider (panva's oidc-provider, Node) on loopback for the whole session."""
    if not (OIDC_PROVIDER_DIR / "node_modules").is_dir():
        subprocess.run(
            ["npm", "ci", "--no-audit", "--no-fund", "--loglevel=error"],
            cwd=OIDC_PROVIDER_DIR,
            check=True,
            timeout=300,
        )
    redirect_uris = [
        "http://localhost/auth/callback/test",  # the Flask test client
        f"http://127.0.0.1:{live_port}/auth/callback/test",  # a live server (browser tests)
    ]
    env = {
        **os.environ,
        "OIDC_PORT": "0",
        "OIDC_CLIENT_ID": OIDC_CLIENT_ID,
        "OIDC_CLIENT_SECRET": OIDC_CLIENT_SECRET,
        "OIDC_REDIRECT_URIS": ",".join(redirect_uris),
        # signing out at the provider sends people back to our sign-in page
        "OIDC_POST_LOGOUT_REDIRECT_URIS": ",".join(
            uri.replace("/auth/callback/test", "/auth/login") for uri in redirect_uris
        ),
    }
    process = subprocess.Popen(
        ["node", "provider.js"],
        cwd=OIDC_PROVIDER_DIR,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        issuer = _wait_for_ready(process)
        yield {"issuer": issuer, "client_id": OIDC_CLIENT_ID, "redirect_uris": redirect_uris}
    finally:
        process.terminate()
        process.wait(timeout=10)
        process.stdout.close()


def _wait_for_ready(process, timeout: float = 30.0) -> str:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        line = process.stdout.readline()
        if line.startswith("READY "):
            return line.split()[1]
        if not line and process.poll() is not None:
            break
    raise RuntimeError("the test OpenID Provider did not start")


@pytest.fixture(scope="session")
def app(database_url, oidc_provider):
    os.environ["DATABASE_URL"] = database_url
    try:
        app = create_app(
            {
                "SERVICE_ENV": "testing",
                "SECRET_KEY": "test-secret-key",
                "OIDC_PROVIDERS": {
                    "test": {
                        "label": "Test identity provider",
                        "server_metadata_url": oidc_provider["issuer"]
                        + "/.well-known/openid-configuration",
                        "issuer": oidc_provider["issuer"],
                        "client_id": OIDC_CLIENT_ID,
                        "client_secret": OIDC_CLIENT_SECRET,
                    }
                },
            }
        )
    finally:
        del os.environ["DATABASE_URL"]
    with app.app_context():
        upgrade(directory=str(PROJECT_ROOT / "migrations"))
        seed_database(app.config["SEED_DIR"], demo=True)
        db.session.remove()
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


class ConnectionBoundSession(FlaskSession):
    """Flask-SQLAlchemy's session picks the app's engine over the `bind` it was given;
    tests need the one connection whose outer transaction is rolled back after them."""

    def get_bind(self, mapper=None, clause=None, bind=None, **kwargs):
        return bind if bind is not None else self.bind


@pytest.fixture
def session(app):
    """The app's session, inside a transaction that is rolled back after the test."""
    with app.app_context():
        connection = db.engine.connect()
        transaction = connection.begin()
        original = db.session
        db.session = db._make_scoped_session(
            {
                "class_": ConnectionBoundSession,
                "bind": connection,
                "join_transaction_mode": "create_savepoint",
            }
        )
        try:
            yield db.session
        finally:
            db.session.remove()
            db.session = original
            if transaction.is_active:
                transaction.rollback()
            connection.close()


@pytest.fixture
def client(app, session):
    return app.test_client()


@pytest.fixture
def dialect(app) -> str:
    with app.app_context():
        return db.engine.dialect.name


# -- credentials ----------------------------------------------------------------------------

READ_SCOPES = "directory:read workplan:read"


@pytest.fixture
def make_api_client(session):
    """Registers a partner system; returns (ApiClient, plain secret)."""
    from service.oauth.models import ApiClient
    from service.oauth.tokens import digest, new_client_credentials

    def make(scope: str = READ_SCOPES, member_state: str | None = None, name: str = "Partner"):
        client_id, secret = new_client_credentials()
        api_client = ApiClient(
            client_id=client_id,
            client_secret_hash=digest(secret),
            name=name,
            scope=scope,
            member_state_code=member_state,
        )
        session.add(api_client)
        session.commit()  # within the test's transaction: survives a refused request's rollback
        return api_client, secret

    return make


@pytest.fixture
def bearer(make_api_client):
    """Authorization headers of a fresh token: bearer(scope, member_state=None)."""
    from service.oauth.tokens import issue_token

    def make(scope: str = READ_SCOPES, member_state: str | None = None) -> dict:
        api_client, _ = make_api_client(scope, member_state)
        plain, _ = issue_token(api_client, scope)
        db.session.commit()  # within the test's transaction, as above
        return {"Authorization": f"Bearer {plain}"}

    return make


@pytest.fixture
def api(app, session, bearer):
    """A test client acting as a partner system with the read scopes."""
    test_client = app.test_client()
    test_client.environ_base["HTTP_AUTHORIZATION"] = bearer()["Authorization"]
    return test_client


@pytest.fixture
def make_user(session):
    from service.identity.models import Role, User

    def make(role: str | None, member_state: str | None = None, email: str | None = None):
        user = User(
            email=email or f"{role or 'nobody'}-{uuid.uuid4().hex[:6]}@example.org",
            role=Role(role) if role else None,
            member_state_code=member_state,
            issuer="https://idp.example.org",
            subject=uuid.uuid4().hex,
        )
        session.add(user)
        session.commit()  # within the test's transaction, as above
        return user

    return make


@pytest.fixture
def login(app, make_user):
    """login(test_client, role, member_state=None) -> headers with a valid X-CSRFToken."""
    from flask import g
    from flask import session as flask_session
    from flask_wtf.csrf import generate_csrf

    from service.core.authentication import SESSION_LOGIN_AT_KEY, SESSION_USER_KEY

    def sign_in(test_client, role: str | None, member_state: str | None = None) -> dict:
        user = make_user(role, member_state)
        with app.test_request_context():
            g.pop("csrf_token", None)  # generate_csrf caches per app context; want a fresh one
            token = generate_csrf()
            raw = flask_session["csrf_token"]
        with test_client.session_transaction() as cookie_session:
            cookie_session[SESSION_USER_KEY] = user.id
            cookie_session[SESSION_LOGIN_AT_KEY] = time.time()
            cookie_session["csrf_token"] = raw
        return {"X-CSRFToken": token}

    return sign_in


@pytest.fixture(scope="session")
def live_server(app, live_port):
    """The app served on loopback by a real HTTP server, in a thread, for the session."""
    from werkzeug.serving import make_server

    server = make_server("127.0.0.1", live_port, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{live_port}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)
