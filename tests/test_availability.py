"""Readiness tells the truth, and a database or Redis the service cannot use gets a 503.

The frozen and stopped PostgreSQL cases run against a private cluster in test_reliability.py.
"""

import json
import logging
import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest
from flask_migrate import upgrade

from service import create_app
from service.core.db import db

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def closed_port() -> int:
    """A loopback port nobody listens on (connections are refused at once)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def sqlite_app(tmp_path, migrated: bool, **config):
    os.environ["DATABASE_URL"] = f"sqlite:///{tmp_path / 'service.db'}"
    try:
        app = create_app(
            {"SERVICE_ENV": "testing", "SECRET_KEY": "x" * 32, "OIDC_PROVIDERS": {}, **config}
        )
    finally:
        del os.environ["DATABASE_URL"]
    if migrated:
        with app.app_context():
            upgrade(directory=str(PROJECT_ROOT / "migrations"))
            db.session.remove()
    return app


@pytest.fixture
def dispose():
    apps = []
    yield apps.append
    for app in apps:
        with app.app_context():
            db.session.remove()
            db.engine.dispose()


def test_an_unmigrated_database_is_not_ready_and_the_api_says_503(tmp_path, dispose, caplog):
    app = sqlite_app(tmp_path, migrated=False)
    dispose(app)
    client = app.test_client()
    ready = client.get("/readyz")
    assert ready.status_code == 503
    assert ready.get_json()["database"] == "not migrated"

    caplog.set_level(logging.WARNING)
    response = client.get("/api/v1/member-states", headers={"Authorization": "Bearer oasdir_at_x"})
    assert response.status_code == 503
    assert response.mimetype == "application/problem+json"
    assert response.headers["Retry-After"]
    token = client.post(
        "/oauth/token", data={"grant_type": "client_credentials"}, auth=("oasdir_1", "s")
    )
    assert token.status_code == 503
    assert token.get_json()["error"] == "temporarily_unavailable"
    assert not [r for r in caplog.records if r.exc_info]  # one line each, no traceback

    assert client.get("/healthz").status_code == 200


def test_a_migrated_database_is_ready(tmp_path, dispose):
    app = sqlite_app(tmp_path, migrated=True)
    dispose(app)
    ready = app.test_client().get("/readyz")
    assert ready.status_code == 200
    assert ready.get_json() == {"status": "ok", "database": "ok"}


REDIS_DOWN_SCRIPT = """
import json, sys
from flask_migrate import upgrade
from service import create_app
from service.core.db import db
from service.oauth.cli import register_client
from service.seeding import seed_database

app = create_app({"SERVICE_ENV": "testing", "SECRET_KEY": "x" * 32, "OIDC_PROVIDERS": {}})
with app.app_context():
    upgrade(directory=sys.argv[1])
    seed_database(app.config["SEED_DIR"])
    api_client, secret = register_client("Redis test", "directory:read", None)
    db.session.commit()
    client_id = api_client.client_id
client = app.test_client()
ready = client.get("/readyz")
token = client.post(
    "/oauth/token", data={"grant_type": "client_credentials"}, auth=(client_id, secret)
)
print(json.dumps({"ready": [ready.status_code, ready.get_json()],
                  "token": [token.status_code, token.mimetype, token.get_json()]}))
"""


def test_redis_unreachable_is_not_ready_but_tokens_are_still_issued(tmp_path):
    # In a process of its own: Flask-Limiter's limiter is one object per process.
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{tmp_path / 'service.db'}",
        "REDIS_URL": f"redis://127.0.0.1:{closed_port()}/0",
    }
    result = subprocess.run(
        [sys.executable, "-c", REDIS_DOWN_SCRIPT, str(PROJECT_ROOT / "migrations")],
        env=env,
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    answers = json.loads(result.stdout.strip().splitlines()[-1])
    assert answers["ready"] == [
        503,
        {"status": "unavailable", "database": "ok", "redis": "unreachable"},
    ]
    status, mimetype, body = answers["token"]
    assert (status, mimetype) == (200, "application/json")  # counted in memory meanwhile
    assert body["token_type"].lower() == "bearer"


# -- the pool pings a connection that sat idle, and only then ---------------------------------


def _pooled_backend_killed(database_url: str, idle_seconds: float) -> tuple[int, int]:
    """Uses a pooled connection, kills its server process while it is idle, uses the pool again.

    Returns the two server process ids; raises what the second use raised."""
    import sqlalchemy as sa

    from service.core.availability import install_idle_ping

    engine = sa.create_engine(database_url, pool_size=1, max_overflow=0)
    admin = sa.create_engine(database_url)
    install_idle_ping(engine, idle_seconds)
    try:
        with engine.connect() as connection:
            first = connection.exec_driver_sql("SELECT pg_backend_pid()").scalar_one()
        with admin.connect() as connection:
            connection.exec_driver_sql(f"SELECT pg_terminate_backend({first})")
        with engine.connect() as connection:
            second = connection.exec_driver_sql("SELECT pg_backend_pid()").scalar_one()
        return first, second
    finally:
        engine.dispose()
        admin.dispose()


# server processes to kill are PostgreSQL's: the PostgreSQL leg only
@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
def test_a_connection_killed_while_idle_is_replaced_by_the_ping(database_url):
    first, second = _pooled_backend_killed(database_url, idle_seconds=0)
    assert second != first  # the ping found it dead; the pool connected afresh, no error


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
def test_a_connection_used_a_moment_ago_is_not_pinged(database_url):
    """The busy path costs no ping: the statement itself finds the dead connection (one
    request answers 503), and the pool starts afresh after it."""
    import sqlalchemy as sa

    with pytest.raises(sa.exc.OperationalError) as raised:
        _pooled_backend_killed(database_url, idle_seconds=3600)
    assert raised.value.connection_invalidated
