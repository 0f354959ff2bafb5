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
        # A session lasts this long from sign-in, however busy (see signed_in_user).
        "SESSION_REFRESH_EACH_REQUEST": False,
        "PERMANENT_SESSION_LIFETIME": timedelta(
            minutes=int(os.environ.get("SESSION_LIFETIME_MINUTES", "480"))
        ),
    }
    config.update(
        {
            "REDIS_URL": os.environ.get("REDIS_URL"),
            "RATELIMIT_TOKEN": os.environ.get("RATELIMIT_TOKEN", "30 per minute"),
            "RATELIMIT_LOGIN": os.environ.get("RATELIMIT_LOGIN", "20 per minute"),
            "RATELIMIT_HEADERS_ENABLED": True,
            "OIDC_PROVIDERS": _oidc_providers(),
            # Behind a TLS-terminating proxy, trust its X-Forwarded-* headers (count of proxies).
            "PROXY_FIX": int(os.environ.get("PROXY_FIX", "0")),
            # bytes of API answers each worker keeps (0: none); shared through Redis if set
            "RESPONSE_CACHE_MB": _megabytes("RESPONSE_CACHE_MB", 64),
        }
    )
    config.update(overrides)
    return config


def _megabytes(name: str, default: float) -> float:
    value = os.environ.get(name, "").strip()
    if not value:
        return default
    try:
        megabytes = float(value)
    except ValueError:
        megabytes = -1
    if not megabytes >= 0 or megabytes == float("inf"):
        raise ConfigurationError(f"{name} must be a number of megabytes (0 or more), not {value!r}")
    return megabytes


def _oidc_providers() -> dict[str, dict]:
    """OIDC_PROVIDERS=oas,ar and, for each NAME, OIDC_<NAME>_METADATA_URL, _CLIENT_ID,
    _CLIENT_SECRET and optionally _LABEL and _MEMBER_STATE (a member state's own provider)."""
    providers = {}
    for name in filter(None, (n.strip() for n in os.environ.get("OIDC_PROVIDERS", "").split(","))):
        prefix = f"OIDC_{name.upper()}_"
        missing = [
            key
            for key in ("METADATA_URL", "CLIENT_ID", "CLIENT_SECRET")
            if not os.environ.get(prefix + key)
        ]
        if missing:
            raise ConfigurationError(
                f"OIDC provider {name!r} needs {', '.join(prefix + m for m in missing)}"
            )
        member_state = os.environ.get(prefix + "MEMBER_STATE")
        providers[name.lower()] = {
            # a member state's own provider vouches only for that state's focal points
            "member_state": member_state.upper() if member_state else None,
            "label": os.environ.get(prefix + "LABEL", name),
            "server_metadata_url": os.environ[prefix + "METADATA_URL"],
            "client_id": os.environ[prefix + "CLIENT_ID"],
            "client_secret": os.environ[prefix + "CLIENT_SECRET"],
        }
    return providers
