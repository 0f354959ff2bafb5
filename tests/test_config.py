"""Configuration comes from the environment; production refuses to start without a secret."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

from service import create_app
from service.config import ConfigurationError

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def test_production_refuses_to_start_without_secret_key(monkeypatch):
    monkeypatch.delenv("SECRET_KEY", raising=False)
    monkeypatch.setenv("SERVICE_ENV", "production")
    with pytest.raises(ConfigurationError, match="SECRET_KEY"):
        create_app()


def test_production_cookies_are_secure_and_bounded(monkeypatch):
    monkeypatch.setenv("SERVICE_ENV", "production")
    monkeypatch.setenv("SECRET_KEY", "k" * 40)
    monkeypatch.setenv("DATABASE_URL", "postgresql://db.invalid/oas")
    app = create_app()
    assert app.config["SQLALCHEMY_DATABASE_URI"] == "postgresql+psycopg://db.invalid/oas"
    assert app.config["SESSION_COOKIE_SECURE"] is True
    assert app.config["SESSION_COOKIE_HTTPONLY"] is True
    assert app.config["SESSION_COOKIE_SAMESITE"] == "Lax"
    assert app.config["PERMANENT_SESSION_LIFETIME"].total_seconds() <= 24 * 3600


def test_unknown_environment_name_is_refused(monkeypatch):
    monkeypatch.setenv("SERVICE_ENV", "prod")
    with pytest.raises(ConfigurationError, match="SERVICE_ENV"):
        create_app()


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("RATELIMIT_TOKEN", "thirty a minute"),
        ("RATELIMIT_LOGIN", "20 per fortnight"),
        ("SESSION_LIFETIME_MINUTES", "eight hours"),
        ("SESSION_LIFETIME_MINUTES", "0"),
        ("PROXY_FIX", "yes"),
        ("PROXY_FIX", "-1"),
        ("DATABASE_CONNECT_TIMEOUT", "2.5s"),
        ("DATABASE_STATEMENT_TIMEOUT_MS", "five seconds"),
    ],
)
def test_a_malformed_setting_is_refused_naming_the_variable(monkeypatch, variable, value):
    monkeypatch.setenv("SERVICE_ENV", "development")
    monkeypatch.setenv(variable, value)
    with pytest.raises(ConfigurationError) as refused:
        create_app()
    message = str(refused.value)
    assert message.startswith(f"{variable} must be")
    assert repr(value) in message
    assert "\n" not in message


def test_a_well_formed_rate_limit_is_kept(monkeypatch):
    monkeypatch.setenv("SERVICE_ENV", "development")
    monkeypatch.setenv("RATELIMIT_TOKEN", "5/second")
    monkeypatch.setenv("PROXY_FIX", "1")
    app = create_app()
    assert app.config["RATELIMIT_TOKEN"] == "5/second"
    assert app.config["PROXY_FIX"] == 1


def test_production_refuses_a_short_secret_key(monkeypatch):
    monkeypatch.setenv("SERVICE_ENV", "production")
    monkeypatch.setenv("SECRET_KEY", "s" * 31)
    with pytest.raises(ConfigurationError, match="SECRET_KEY must be at least 32 bytes"):
        create_app()
    monkeypatch.setenv("SECRET_KEY", "s" * 32)
    assert create_app().config["SECRET_KEY"] == "s" * 32


def test_database_timeouts_reach_postgresql(monkeypatch):
    monkeypatch.setenv("SERVICE_ENV", "development")
    monkeypatch.setenv("DATABASE_URL", "postgresql://db.invalid/oas")
    monkeypatch.setenv("DATABASE_CONNECT_TIMEOUT", "3")
    monkeypatch.setenv("DATABASE_STATEMENT_TIMEOUT_MS", "4000")
    options = create_app().config["SQLALCHEMY_ENGINE_OPTIONS"]
    assert "pool_pre_ping" not in options  # idle connections only: availability.install_idle_ping
    assert options["connect_args"] == {
        "connect_timeout": 3,
        "options": "-c statement_timeout=4000 -c TimeZone=UTC",
    }


def _run_with(env_changes: dict, *command: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("RATELIMIT_", "SECRET_"))}
    env.update(env_changes)
    return subprocess.run(
        command, env=env, capture_output=True, text=True, timeout=120, cwd=PROJECT_ROOT
    )


def test_the_command_line_says_a_configuration_error_in_one_line():
    result = _run_with(
        {"SERVICE_ENV": "development", "RATELIMIT_TOKEN": "lots"},
        sys.executable,
        "-m",
        "flask",
        "--app",
        "service",
        "routes",
    )
    assert result.returncode != 0
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1
    assert "RATELIMIT_TOKEN must be a rate limit" in lines[0]


def test_the_wsgi_entry_point_says_a_configuration_error_in_one_line():
    result = _run_with(
        {"SERVICE_ENV": "production", "SECRET_KEY": "short"},
        sys.executable,
        "-c",
        "import service.wsgi",
    )
    assert result.returncode == 4  # gunicorn's "app failed to load": no endless respawning
    assert "Traceback" not in result.stderr
    assert result.stderr.strip().splitlines() == [
        line for line in result.stderr.strip().splitlines() if "SECRET_KEY must be" in line
    ]


def test_the_wsgi_entry_point_keeps_what_start_up_made_out_of_the_collectors_reach(tmp_path):
    # a full collection walking every object of the app stopped a worker for over 100 ms
    result = _run_with(
        {
            "SERVICE_ENV": "production",
            "SECRET_KEY": "k" * 40,
            "SESSION_COOKIE_SECURE": "1",
            "DATABASE_URL": f"sqlite:///{tmp_path}/wsgi.db",
        },
        sys.executable,
        "-c",
        "import gc, service.wsgi; print(gc.get_freeze_count(), len(gc.get_objects()))",
    )
    assert result.returncode == 0, result.stderr
    frozen, tracked = (int(n) for n in result.stdout.split())
    assert frozen > 100_000 and tracked < frozen / 10
