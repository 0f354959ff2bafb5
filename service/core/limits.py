"""Rate limits (Flask-Limiter) on the doors people and systems knock on: token and login."""

from flask import Flask
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address

from service.core.errors import is_api_request

limiter = Limiter(key_func=get_remote_address, default_limits=[])


@limiter.request_filter
def unlimited_api() -> bool:
    """The API (`/api/`) carries no rate limit (its reads are answered from the cache): skip
    the limiter's per-request resolution there. The limited doors are `/oauth/` and `/auth/`."""
    return is_api_request()


def configure_limits(app: Flask) -> None:
    # Shared across workers through Redis when there is one; per process otherwise.
    app.config.setdefault("RATELIMIT_STORAGE_URI", app.config.get("REDIS_URL") or "memory://")
    if app.config.get("REDIS_URL"):
        # Redis down must not take the token endpoint down with it: each worker keeps
        # counting in memory until Redis answers again (/readyz reports it meanwhile).
        app.config.setdefault(
            "RATELIMIT_STORAGE_OPTIONS", {"socket_timeout": 1, "socket_connect_timeout": 1}
        )
        app.config.setdefault("RATELIMIT_IN_MEMORY_FALLBACK_ENABLED", True)
        app.config.setdefault("RATELIMIT_SWALLOW_ERRORS", True)
    limiter.init_app(app)
