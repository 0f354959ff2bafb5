"""Liveness and readiness probes for the load balancer (no authentication)."""

from flask import Blueprint, current_app, jsonify
from flask.typing import ResponseReturnValue

health = Blueprint("health", __name__)


@health.get("/healthz")
def healthz() -> ResponseReturnValue:
    """The process answers; never touches the database (load_principal skips this blueprint)."""
    return jsonify(status="ok")


@health.get("/readyz")
def readyz() -> ResponseReturnValue:
    """Ready when the database answers at the migration head (and Redis, when configured)."""
    from service.core.availability import ReadinessProbe

    probe = current_app.extensions.get("readiness")
    if probe is None:
        app = current_app._get_current_object()
        probe = app.extensions.setdefault("readiness", ReadinessProbe(app))
    checks = probe.check()
    ready = all(value == "ok" for value in checks.values())
    response = jsonify(status="ok" if ready else "unavailable", **checks)
    response.headers["Cache-Control"] = "no-store"
    if not ready:
        response.status_code = 503
        response.headers["Retry-After"] = "5"
    return response
