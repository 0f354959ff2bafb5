"""Test fixtures: every test runs once on SQLite and once on PostgreSQL (when reachable).

Each database leg gets a fresh database built by the real migrations (`flask db upgrade`)
and seeded with `seed/` (demo included); each test runs in a transaction rolled back after it.
"""

from __future__ import annotations

import os
import uuid
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask_migrate import upgrade

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


@pytest.fixture(scope="session")
def app(database_url):
    os.environ["DATABASE_URL"] = database_url
    try:
        app = create_app({"SERVICE_ENV": "testing", "SECRET_KEY": "test-secret-key"})
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


@pytest.fixture
def session(app):
    """The app's session, inside a transaction that is rolled back after the test."""
    with app.app_context():
        connection = db.engine.connect()
        transaction = connection.begin()
        original = db.session
        db.session = db._make_scoped_session(
            {"bind": connection, "join_transaction_mode": "create_savepoint"}
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
