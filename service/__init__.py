"""Directory of National Authorities and Work Plan service (OAS, trafficking in persons).

The top layer: `create_app` wires the core, the features, the API, the admin and the commands.
"""

from __future__ import annotations

import logging
import os
import uuid
from typing import Any

import sqlalchemy as sa
from flask import Flask, Response, g, request
from flask_migrate import Migrate

from service.config import data_path, load_config

migrate = Migrate()


def create_app(config: dict | None = None) -> Flask:
    app = Flask(__name__, instance_relative_config=True)
    app.config.update(load_config(app.instance_path, config))
    configure_json(app)
    configure_logging(app)
    configure_database(app)
    configure_request_ids(app)
    configure_i18n(app)
    configure_response_cache(app)
    configure_request_limits(app)
    configure_security_headers(app)
    configure_authentication(app)
    configure_api(app)
    configure_identity(app)
    configure_admin(app)
    configure_cli(app)
    configure_webhooks(app)
    configure_access_rules(app)
    return app


def configure_logging(app: Flask) -> None:
    if not app.debug and not logging.getLogger().handlers:
        logging.basicConfig(level=logging.INFO)


def configure_json(app: Flask) -> None:
    from service.core.json import OrjsonProvider

    app.json = OrjsonProvider(app)


def configure_database(app: Flask) -> None:
    from service.core.availability import install_deadlines, install_idle_ping
    from service.core.db import db
    from service.core.reads import configure_autocommit_engine
    from service.models import import_all_models

    import_all_models()
    connect_timeout = app.config["DATABASE_CONNECT_TIMEOUT"]
    statement_timeout_ms = app.config["DATABASE_STATEMENT_TIMEOUT_MS"]
    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        os.makedirs(app.instance_path, exist_ok=True)
    db.init_app(app)
    with app.app_context():
        if db.engine.dialect.name == "sqlite":
            configure_sqlite(db.engine)
        install_deadlines(db.engine, connect_timeout, statement_timeout_ms)
        install_idle_ping(db.engine)
    configure_autocommit_engine(
        app,
        lambda engine: install_deadlines(engine, connect_timeout, statement_timeout_ms),
        install_idle_ping,
    )
    # Migrations are a step of their own (`flask db upgrade`), never run here.
    migrate.init_app(app, db, directory=data_path("migrations"), render_as_batch=True)


def configure_sqlite(engine: Any) -> None:
    """Foreign keys on, and real transactions (SAVEPOINT included) with Python's sqlite3."""

    @sa.event.listens_for(engine, "connect")
    def on_connect(dbapi_connection: Any, connection_record: Any) -> None:
        dbapi_connection.isolation_level = None  # let SQLAlchemy emit BEGIN itself
        dbapi_connection.execute("PRAGMA foreign_keys = ON")

    @sa.event.listens_for(engine, "begin")
    def on_begin(connection: Any) -> None:
        connection.exec_driver_sql("BEGIN")


def configure_request_ids(app: Flask) -> None:
    @app.before_request
    def assign_request_id() -> None:
        incoming = request.headers.get("X-Request-ID", "")
        g.request_id = incoming if _safe_request_id(incoming) else uuid.uuid4().hex

    @app.after_request
    def echo_request_id(response: Response) -> Response:
        response.headers["X-Request-ID"] = g.get("request_id", "")
        return response


def configure_response_cache(app: Flask) -> None:
    """Reads answered from bytes already made; a partner's cached read is answered before the
    request's other work (service/core/response_cache.py)."""
    from service.core.response_cache import configure_response_cache as configure

    configure(app)


def configure_request_limits(app: Flask) -> None:
    """Body size, JSON shape and content type, checked before anything reads the body."""
    from service.core.request_limits import configure_request_limits as configure

    configure(app)


def configure_i18n(app: Flask) -> None:
    """English, Spanish, French and Portuguese (Flask-Babel; catalogs in service/translations)."""
    from service.core.authentication import signed_in_user
    from service.core.i18n import configure_i18n as configure

    configure(app, saved_preference=lambda: getattr(signed_in_user(), "locale", None))


def configure_security_headers(app: Flask) -> None:
    """Headers a browser needs to keep our pages out of frames and sniffing; HSTS in production."""
    from service.core.headers import add_missing

    headers = [
        ("X-Content-Type-Options", "nosniff"),
        ("X-Frame-Options", "DENY"),
        ("Referrer-Policy", "same-origin"),
        ("Content-Security-Policy", "frame-ancestors 'none'"),
    ]
    if app.config["SERVICE_ENV"] == "production":
        headers.append(("Strict-Transport-Security", "max-age=31536000"))

    @app.after_request
    def add_security_headers(response: Response) -> Response:
        add_missing(response, headers)
        return response


def _safe_request_id(value: str) -> bool:
    return 0 < len(value) <= 64 and all(c.isalnum() or c in "-_." for c in value)


def configure_authentication(app: Flask) -> None:
    from service.core.authentication import configure_authentication as configure
    from service.core.db import db
    from service.core.limits import configure_limits
    from service.identity.models import User
    from service.oauth.tokens import HashedBearerTokenValidator

    if app.config["PROXY_FIX"]:
        from werkzeug.middleware.proxy_fix import ProxyFix

        hops = app.config["PROXY_FIX"]
        app.wsgi_app = ProxyFix(  # type: ignore[method-assign]
            app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops
        )
    # The core asks the features through these two, never by importing them.
    configure(
        app,
        load_person=lambda user_id: db.session.get(User, user_id),
        token_validator=HashedBearerTokenValidator(),
    )
    configure_limits(app)


def configure_identity(app: Flask) -> None:
    """People sign in (OIDC, local first admin); partner systems get tokens (OAuth 2)."""
    from service.core.authentication import csrf
    from service.identity.routes import configure_identity as configure_people
    from service.oauth.server import configure_oauth_server

    configure_people(app)
    from service.reminders.routes import reconfirm

    app.register_blueprint(reconfirm)  # reminders' one-click links (CSRF-protected forms)
    # The token endpoints authenticate clients by their secret, not by a browser session.
    csrf.exempt(configure_oauth_server(app))


def configure_api(app: Flask) -> None:
    from service.core.api import Api, docs_assets
    from service.core.authentication import csrf
    from service.core.errors import register_error_handlers
    from service.core.health import health
    from service.directory.routes import blueprints as directory_blueprints
    from service.vocabularies import blueprints as vocabulary_blueprints
    from service.webhooks.routes import blueprints as webhook_blueprints
    from service.workplan.routes import blueprints as workplan_blueprints

    app.register_blueprint(health)
    app.register_blueprint(docs_assets)
    api = Api(app)
    app.extensions["api"] = api
    api.spec.components.security_scheme(
        "oauth2",
        {
            "type": "oauth2",
            "description": "Partner systems: client credentials issued by the secretariat.",
            "flows": {
                "clientCredentials": {
                    "tokenUrl": "/oauth/token",
                    "scopes": {
                        "directory:read": "Read the directory",
                        "directory:write": "Write the entries of the client's own member state",
                        "workplan:read": "Read the work plan",
                        "workplan:write": "Write the work plan (secretariat)",
                    },
                }
            },
        },
    )
    api.spec.components.security_scheme(
        "session",
        {
            "type": "apiKey",
            "in": "cookie",
            "name": "session",
            "description": "People signed in with OpenID Connect; unsafe methods also need "
            "the X-CSRFToken header.",
        },
    )
    for blueprint in (
        *directory_blueprints,
        *workplan_blueprints,
        *webhook_blueprints,
        *vocabulary_blueprints,
    ):
        api.register_blueprint(blueprint)
        # CSRF guards forms; API writes from a session are checked in load_principal instead.
        csrf.exempt(blueprint)
    register_error_handlers(app)


def configure_admin(app: Flask) -> None:
    """The browser UI at /admin for the secretariat and the focal points (top-level `admin/`)."""
    from admin import configure_admin as configure

    configure(app)


def configure_cli(app: Flask) -> None:
    from service.identity.cli import users
    from service.oauth.cli import clients, tokens
    from service.reminders.cli import reminders
    from service.seeding import seed_command
    from service.webhooks.cli import webhooks

    app.cli.add_command(seed_command)
    app.cli.add_command(users)
    app.cli.add_command(clients)
    app.cli.add_command(tokens)
    app.cli.add_command(webhooks)
    app.cli.add_command(reminders)


def configure_webhooks(app: Flask) -> None:
    """Every recorded change also writes its event to the webhook outbox (same transaction)."""
    from service.audit.log import on_change
    from service.reminders.digest import add_digest_section
    from service.webhooks.events import record_event
    from service.webhooks.services import disabled_endpoints_digest

    on_change(record_event)
    add_digest_section(disabled_endpoints_digest)
    if app.config["WEBHOOK_ALLOW_PRIVATE"] and app.config["SERVICE_ENV"] == "production":
        app.logger.warning(
            "WEBHOOK_ALLOW_PRIVATE is set in production: webhooks may reach private addresses"
        )


def configure_access_rules(app: Flask) -> None:
    """What the access rule learns from the features: which states are read-only."""
    from service.directory.services import register_read_only_states

    register_read_only_states()
