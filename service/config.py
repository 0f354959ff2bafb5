"""Configuration, read from environment variables only (the README lists every one)."""

from __future__ import annotations

import os
import secrets
from datetime import timedelta


class ConfigurationError(RuntimeError):
    """The service refuses to start with an unsafe or incomplete configuration."""


def _flag(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def load_config(instance_path: str, overrides: dict | None = None) -> dict:
    overrides = overrides or {}
    env = overrides.get("SERVICE_ENV") or os.environ.get("SERVICE_ENV", "production")
    if env not in {"production", "development", "testing"}:
        raise ConfigurationError(
            f"SERVICE_ENV must be production, development or testing, not {env!r}"
        )

    secret_key = overrides.get("SECRET_KEY") or os.environ.get("SECRET_KEY")
    if not secret_key:
        if env == "production":
            raise ConfigurationError(
                "SECRET_KEY is not set. Set it to a long random value (the same in every worker)."
            )
        # Development only: sessions last as long as this process.
        secret_key = secrets.token_urlsafe(32)

    database_url = os.environ.get("DATABASE_URL") or (
        "sqlite:///" + os.path.join(instance_path, "service.db")
    )
    if database_url.startswith("postgresql://"):
        database_url = "postgresql+psycopg://" + database_url.removeprefix("postgresql://")

    config = {
        "SERVICE_ENV": env,
        "SECRET_KEY": secret_key,
        "SQLALCHEMY_DATABASE_URI": database_url,
        "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": True},
        "SEED_DIR": os.environ.get(
            "SEED_DIR", os.path.join(os.path.dirname(os.path.dirname(__file__)), "seed")
        ),
        # API description (flask-smorest)
        "API_TITLE": "Directory of National Authorities and Work Plan",
        "API_VERSION": "1.0.0",
        "OPENAPI_VERSION": "3.0.3",
        "OPENAPI_URL_PREFIX": "/",
        "OPENAPI_JSON_PATH": "openapi.json",
        "OPENAPI_SWAGGER_UI_PATH": "docs",
        # Served by the service itself (swagger-ui-bundle): no third-party CDN in the page.
        "OPENAPI_SWAGGER_UI_URL": "/docs/assets/",
        # Session cookie
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": _flag("SESSION_COOKIE_SECURE", env == "production"),
        "PERMANENT_SESSION_LIFETIME": timedelta(
            minutes=int(os.environ.get("SESSION_LIFETIME_MINUTES", "480"))
        ),
    }
    config.update(overrides)
    return config
