"""Configuration comes from the environment; production refuses to start without a secret."""

import pytest

from service import create_app
from service.config import ConfigurationError


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
