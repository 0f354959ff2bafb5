"""Configuration, read from environment variables only (the README lists every one)."""

from __future__ import annotations

import os
import re
import secrets
from datetime import timedelta
from email.utils import parseaddr
from typing import Any
from urllib.parse import urlsplit

import click
from limits import parse_many


class ConfigurationError(click.ClickException, RuntimeError):
    """The service refuses to start with an unsafe or incomplete configuration.

    A ClickException so that `flask ...` prints it as one line (no traceback); the WSGI
    entry point `service.wsgi` does the same for gunicorn.
    """


MIN_SECRET_KEY_BYTES = 32


def _integer(name: str, default: int, minimum: int, unit: str = "") -> int:
    """An integer variable; a malformed value names the variable instead of a traceback."""
    value = os.environ.get(name)
    if value is None or not value.strip():
        return default
    try:
        number = int(value.strip())
    except ValueError:
        number = None
    if number is None or number < minimum:
        raise ConfigurationError(
            f"{name} must be a whole number{unit} of at least {minimum}, not {value!r}"
        )
    return number


def _rate_limit(name: str, default: str) -> str:
    """A Flask-Limiter rate; a malformed one would otherwise switch the limit off silently."""
    value = os.environ.get(name, default)
    try:
        parsed = parse_many(value)
    except ValueError:
        parsed = None
    if not parsed:
        raise ConfigurationError(
            f"{name} must be a rate limit such as '30 per minute' or '5/second', not {value!r}"
        )
    return value


def _flag(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def data_path(name: str) -> str:
    """`migrations` or `seed`: inside the package once installed from a wheel (setup.py copies
    them to service/_bundled/), else beside the package in the checkout."""
    package = os.path.dirname(os.path.abspath(__file__))
    bundled = os.path.join(package, "_bundled", name)
    if os.path.isdir(bundled):
        return bundled
    return os.path.join(os.path.dirname(package), name)


def _positive_int(name: str, default: int) -> int:
    value = os.environ.get(name)
    if value is None or not value.strip():
        return default
    if not value.strip().isdigit() or int(value) < 1:
        raise ConfigurationError(f"{name} must be a whole number of bytes, not {value!r}")
    return int(value)


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
    elif env == "production" and len(secret_key.encode("utf-8")) < MIN_SECRET_KEY_BYTES:
        raise ConfigurationError(
            f"SECRET_KEY must be at least {MIN_SECRET_KEY_BYTES} bytes long in production "
            f"(it is {len(secret_key.encode('utf-8'))}): use a long random value, "
            "e.g. python3 -c 'import secrets; print(secrets.token_urlsafe(48))'"
        )

    database_url = os.environ.get("DATABASE_URL") or (
        "sqlite:///" + os.path.join(instance_path, "service.db")
    )
    if database_url.startswith("postgresql://"):
        database_url = "postgresql+psycopg://" + database_url.removeprefix("postgresql://")

    config: dict[str, Any] = {
        "SERVICE_ENV": env,
        "SECRET_KEY": secret_key,
        "SQLALCHEMY_DATABASE_URI": database_url,
        # A sick database gets a fast answer (service/core/availability.py).
        "DATABASE_CONNECT_TIMEOUT": _integer(
            "DATABASE_CONNECT_TIMEOUT", 2, minimum=1, unit=" of seconds"
        ),
        "DATABASE_STATEMENT_TIMEOUT_MS": _integer(
            "DATABASE_STATEMENT_TIMEOUT_MS", 5000, minimum=0, unit=" of milliseconds"
        ),
        "SEED_DIR": os.environ.get("SEED_DIR") or data_path("seed"),
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
            minutes=_integer("SESSION_LIFETIME_MINUTES", 480, minimum=1, unit=" of minutes")
        ),
    }
    config.update(
        {
            "REDIS_URL": os.environ.get("REDIS_URL"),
            "RATELIMIT_TOKEN": _rate_limit("RATELIMIT_TOKEN", "30 per minute"),
            "RATELIMIT_LOGIN": _rate_limit("RATELIMIT_LOGIN", "20 per minute"),
            "RATELIMIT_HEADERS_ENABLED": True,
            "OIDC_PROVIDERS": _oidc_providers(),
            "OIDC_TIMEOUT_SECONDS": _oidc_timeout(),
            # Behind a TLS-terminating proxy, trust its X-Forwarded-* headers (count of proxies).
            "PROXY_FIX": _integer("PROXY_FIX", 0, minimum=0, unit=" of proxies"),
            # Webhooks: the key that encrypts signing secrets at rest (else derived from
            # SECRET_KEY); http and private addresses only for development and tests.
            "WEBHOOK_SECRET_KEY": os.environ.get("WEBHOOK_SECRET_KEY"),
            "WEBHOOK_ALLOW_PRIVATE": _flag("WEBHOOK_ALLOW_PRIVATE", False),
            # The living directory: re-confirmation window and reminder campaigns.
            "FRESHNESS_MONTHS": _integer("FRESHNESS_MONTHS", 12, minimum=1, unit=" of months"),
            "REMINDER_INTERVAL_DAYS": _integer(
                "REMINDER_INTERVAL_DAYS", 30, minimum=1, unit=" of days"
            ),
            "REMINDER_LINK_DAYS": _integer("REMINDER_LINK_DAYS", 14, minimum=1, unit=" of days"),
            "PUBLIC_BASE_URL": _public_base_url(env),
            "MAIL_SERVER": os.environ.get("MAIL_SERVER") or None,
            "MAIL_PORT": _integer("MAIL_PORT", 25, minimum=1, unit=" (a TCP port)"),
            "MAIL_USE_TLS": _flag("MAIL_USE_TLS", False),
            "MAIL_USERNAME": os.environ.get("MAIL_USERNAME") or None,
            "MAIL_PASSWORD": os.environ.get("MAIL_PASSWORD") or None,
            "MAIL_FROM": _mail_from(),
            # The largest request body accepted, in bytes (413 above it, before it is read).
            "MAX_CONTENT_LENGTH": _positive_int("MAX_CONTENT_LENGTH", 1024 * 1024),
            # bytes of API answers each worker keeps (0: none); shared through Redis if set
            "RESPONSE_CACHE_MB": _megabytes("RESPONSE_CACHE_MB", 64),
            # bytes of list items' JSON each worker keeps, by entity tag (0: none)
            "ITEM_CACHE_MB": _megabytes("ITEM_CACHE_MB", 16),
        }
    )
    config.update(overrides)
    check_oidc_providers(config["OIDC_PROVIDERS"])
    config.setdefault("SQLALCHEMY_ENGINE_OPTIONS", engine_options(config))
    return config


def _public_base_url(env: str) -> str:
    """Where links in emails point: https in production, unless it is a loopback address."""
    value = os.environ.get("PUBLIC_BASE_URL", "http://127.0.0.1:5000").rstrip("/")
    parts = urlsplit(value)
    if parts.scheme not in {"http", "https"} or not parts.hostname:
        raise ConfigurationError(
            f"PUBLIC_BASE_URL must be an http(s) URL like https://directory.example.org, "
            f"not {value!r}"
        )
    loopback = parts.hostname in {"localhost", "127.0.0.1", "::1"}
    if env == "production" and parts.scheme != "https" and not loopback:
        raise ConfigurationError(
            f"PUBLIC_BASE_URL must use https in production (links in emails), not {value!r}"
        )
    return value


def _mail_from() -> str:
    """MAIL_FROM: an address, or `Name <address>`."""
    value = os.environ.get("MAIL_FROM", "OAS Directory <directory@localhost>")
    _, address = parseaddr(value)
    if "@" not in address:
        raise ConfigurationError(f"MAIL_FROM must be an address or 'Name <address>', not {value!r}")
    return value


def engine_options(config: dict) -> dict:
    """On PostgreSQL, connect and statement timeouts as configured (the pool pings idle
    connections: availability.install_idle_ping), in sessions whose time zone is UTC."""
    options: dict[str, Any] = {}
    if config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql"):
        connect_timeout = config["DATABASE_CONNECT_TIMEOUT"]
        statement_timeout_ms = config["DATABASE_STATEMENT_TIMEOUT_MS"]
        # Waiting for a free pooled connection: its holder gives it back within its own
        # deadlines (availability.install_deadlines), so this bound is reached only when sick.
        options["pool_timeout"] = connect_timeout + (statement_timeout_ms or 5000) / 1000
        options["connect_args"] = {
            "connect_timeout": connect_timeout,
            # UTC sessions: psycopg then gives datetimes in datetime.UTC itself, which
            # UTCDateTime passes on as they are (no conversion per value read)
            "options": f"-c statement_timeout={statement_timeout_ms} -c TimeZone=UTC",
        }
    return options


_PROVIDER_NAME = re.compile(r"[a-z][a-z0-9_]{0,63}")


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
    """OIDC_PROVIDERS=oas,ar and, for each NAME, OIDC_<NAME>_METADATA_URL, _ISSUER, _CLIENT_ID,
    _CLIENT_SECRET and optionally _LABEL and _MEMBER_STATE (a member state's own provider)."""
    providers = {}
    for name in filter(None, (n.strip() for n in os.environ.get("OIDC_PROVIDERS", "").split(","))):
        if not _PROVIDER_NAME.fullmatch(name.lower()):
            raise ConfigurationError(
                f"OIDC_PROVIDERS: {name!r} is not a provider name (letters, digits and _, "
                "starting with a letter, at most 64 characters)"
            )
        prefix = f"OIDC_{name.upper()}_"
        missing = [
            key
            for key in ("METADATA_URL", "ISSUER", "CLIENT_ID", "CLIENT_SECRET")
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
            # the only issuer this provider may present, in its metadata and in every id_token
            "issuer": os.environ[prefix + "ISSUER"],
            "client_id": os.environ[prefix + "CLIENT_ID"],
            "client_secret": os.environ[prefix + "CLIENT_SECRET"],
        }
    return providers


def check_oidc_providers(providers: dict[str, dict]) -> None:
    """Each provider pins its own issuer: two providers sharing one could sign in each other's
    people, since a person's account is bound to the provider's name and their `sub`."""
    seen: dict[str, str] = {}
    for name, provider in providers.items():
        variable = f"OIDC_{name.upper()}_ISSUER"
        issuer = (provider.get("issuer") or "").strip()
        if not issuer:
            raise ConfigurationError(f"OIDC provider {name!r} needs {variable}")
        key = issuer.rstrip("/")
        if key in seen:
            raise ConfigurationError(
                f"{seen[key]} and {variable} are both {issuer!r}: "
                "two OIDC providers cannot share an issuer"
            )
        seen[key] = variable


def _oidc_timeout() -> float:
    """Seconds to wait for an OpenID Provider (metadata, keys, token) before giving up."""
    raw = os.environ.get("OIDC_TIMEOUT_SECONDS", "5")
    try:
        seconds = float(raw)
    except ValueError:
        seconds = 0
    if not 0 < seconds <= 60:
        raise ConfigurationError(
            f"OIDC_TIMEOUT_SECONDS must be a number of seconds between 0 and 60, not {raw!r}"
        )
    return seconds
