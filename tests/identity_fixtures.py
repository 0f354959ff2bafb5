"""Sign-in test harness: a second, hostile OpenID Provider (panva's oidc-provider, like the
friendly one), providers whose id_tokens the tests write and sign themselves (joserfc), a
provider that never answers and one that refuses, and an app configured with all of them.

Every provider starts once per test session; every server here is on loopback and stops with
the session.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import threading
import time
from urllib.parse import parse_qs, urljoin, urlsplit, urlunsplit

import pytest
import requests
from joserfc import jwt
from joserfc.jwk import RSAKey
from werkzeug.serving import make_server
from werkzeug.wrappers import Request, Response

from service import create_app
from service.core.db import db

from .conftest import OIDC_CLIENT_ID, OIDC_CLIENT_SECRET, OIDC_PROVIDER_DIR, _wait_for_ready

__all__ = [
    "crafted_provider",
    "hostile_oidc_provider",
    "identity_app",
    "identity_client",
    "silent_socket",
]

HOSTILE_CLIENT_ID = "directory-at-br"
HOSTILE_CLIENT_SECRET = "directory-at-br-secret"
# The hostile provider's people: the OAS secretariat person's `sub` and email, reused.
HOSTILE_USERS = [
    {
        "sub": "admin",
        "email": "admin@example.org",
        "email_verified": True,
        "name": "Admin User",
        "member_state": None,
        "password": "hostile-admin",
    },
    {
        "sub": "focal-br",
        "email": "focal-br@example.org",
        "email_verified": True,
        "name": "Focal BR",
        "member_state": "BR",
        "password": "hostile-br",
    },
]
CRAFTED_CLIENT_ID = "directory-at-ar"
HOLD_SECONDS = 20  # the silent socket drops a connection after this long, whatever happens


@pytest.fixture(scope="session")
def hostile_oidc_provider(oidc_provider):
    """A second real provider, for a member state, claiming the friendly provider's issuer in its
    metadata and tokens and signing with keys of its own (generated at its start)."""
    env = {
        **os.environ,
        "OIDC_PORT": "0",
        "OIDC_ISSUER": oidc_provider["issuer"],  # the lie
        "OIDC_CLIENT_ID": HOSTILE_CLIENT_ID,
        "OIDC_CLIENT_SECRET": HOSTILE_CLIENT_SECRET,
        "OIDC_REDIRECT_URIS": "http://localhost/auth/callback/hostile",
        "OIDC_USERS": json.dumps(HOSTILE_USERS),
    }
    process = subprocess.Popen(
        ["node", "provider.js"],
        cwd=OIDC_PROVIDER_DIR,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        base = _wait_for_ready(process)
        yield {"url": base, "claimed_issuer": oidc_provider["issuer"]}
    finally:
        process.terminate()
        process.wait(timeout=10)
        process.stdout.close()


class CraftedProvider:
    """OpenID Providers whose token endpoint answers what the test decided, signed with a key
    the test holds: `answer` is the next token response (a dict, or (status, dict))."""

    def __init__(self, silent_url: str):
        self.key = RSAKey.generate_key(
            2048, parameters={"kid": "crafted-1", "alg": "RS256", "use": "sig"}
        )
        self.silent_url = silent_url
        self.answer: dict | tuple = {}
        self.base = ""

    def issuer(self, tenant: str) -> str:
        return f"{self.base}/{tenant}"

    def metadata(self, tenant: str) -> dict:
        issuer = self.issuer(tenant)
        # "stalling": metadata answers, but its token endpoint and keys never do;
        # "stalling_keys": metadata and token answer, its keys never do
        token_base = self.silent_url if tenant == "stalling" else issuer
        keys_base = self.silent_url if tenant.startswith("stalling") else issuer
        return {
            "issuer": issuer,
            "authorization_endpoint": f"{issuer}/authorize",
            "token_endpoint": f"{token_base}/token",
            "jwks_uri": f"{keys_base}/jwks",
            "response_types_supported": ["code"],
            "subject_types_supported": ["public"],
            "id_token_signing_alg_values_supported": ["RS256"],
        }

    def sign(self, claims: dict, key: RSAKey | None = None, alg: str = "RS256") -> str:
        key = key or self.key
        return jwt.encode({"alg": alg, "kid": key.kid}, claims, key)

    def __call__(self, environ, start_response):
        request = Request(environ)
        tenant, _, rest = request.path.strip("/").partition("/")
        if rest == ".well-known/openid-configuration":
            response = Response(json.dumps(self.metadata(tenant)), mimetype="application/json")
        elif rest == "jwks":
            keys = {"keys": [self.key.as_dict(private=False)]}
            response = Response(json.dumps(keys), mimetype="application/json")
        elif rest == "token" and request.method == "POST":
            status, body = self.answer if isinstance(self.answer, tuple) else (200, self.answer)
            response = Response(json.dumps(body), status=status, mimetype="application/json")
        else:
            response = Response("not here", status=404)
        return response(environ, start_response)


class SilentSocket:
    """Accepts connections and never answers; drops each after HOLD_SECONDS (bounded)."""

    def __init__(self):
        self.listener = socket.socket()
        self.listener.bind(("127.0.0.1", 0))
        self.listener.listen(16)
        self.listener.settimeout(0.2)
        self.url = f"http://127.0.0.1:{self.listener.getsockname()[1]}"
        self.held: list[tuple[socket.socket, float]] = []
        self.stopping = threading.Event()
        self.thread = threading.Thread(target=self.hold, daemon=True)
        self.thread.start()

    def hold(self) -> None:
        while not self.stopping.is_set():
            try:
                connection, _ = self.listener.accept()
                self.held.append((connection, time.monotonic() + HOLD_SECONDS))
            except TimeoutError:
                pass
            now = time.monotonic()
            for connection, deadline in [h for h in self.held if h[1] < now]:
                connection.close()
                self.held.remove((connection, deadline))

    def close(self) -> None:
        self.stopping.set()
        self.thread.join(timeout=5)
        for connection, _ in self.held:
            connection.close()
        self.listener.close()


@pytest.fixture(scope="session")
def silent_socket():
    silent = SilentSocket()
    try:
        yield silent
    finally:
        silent.close()


@pytest.fixture(scope="session")
def crafted_provider(silent_socket):
    provider = CraftedProvider(silent_socket.url)
    server = make_server("127.0.0.1", 0, provider, threaded=True)
    provider.base = f"http://127.0.0.1:{server.server_port}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield provider
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


def _refused_url() -> str:
    """A loopback port nobody listens on (bound, then released)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{probe.getsockname()[1]}"


@pytest.fixture(scope="session")
def identity_app(app, oidc_provider, hostile_oidc_provider, crafted_provider, silent_socket):
    """The service configured with every provider above, on the session's database."""

    def provider(label, metadata_base, issuer, client_id, secret="secret", state=None):
        return {
            "label": label,
            "member_state": state,
            "server_metadata_url": metadata_base + "/.well-known/openid-configuration",
            "issuer": issuer,
            "client_id": client_id,
            "client_secret": secret,
        }

    friendly = oidc_provider["issuer"]
    hostile = hostile_oidc_provider["url"]
    refused = _refused_url()
    providers = {
        "test": provider("OAS", friendly, friendly, OIDC_CLIENT_ID, OIDC_CLIENT_SECRET),
        # the operator pinned what Brazil's provider was said to be: its own address
        "hostile": provider(
            "Brazil", hostile, hostile, HOSTILE_CLIENT_ID, HOSTILE_CLIENT_SECRET, state="BR"
        ),
        "crafted": provider(
            "Argentina",
            crafted_provider.issuer("crafted"),
            crafted_provider.issuer("crafted"),
            CRAFTED_CLIENT_ID,
            state="AR",
        ),
        "stalling": provider(
            "Stalling",
            crafted_provider.issuer("stalling"),
            crafted_provider.issuer("stalling"),
            "stalling",
        ),
        "stalling_keys": provider(
            "Stalling keys",
            crafted_provider.issuer("stalling_keys"),
            crafted_provider.issuer("stalling_keys"),
            "stalling_keys",
        ),
        "silent": provider("Silent", silent_socket.url, silent_socket.url, "silent"),
        "refused": provider("Refused", refused, refused, "refused"),
    }
    os.environ["DATABASE_URL"] = app.config["SQLALCHEMY_DATABASE_URI"]
    try:
        service = create_app(
            {
                "SERVICE_ENV": "testing",
                "SECRET_KEY": "test-secret-key",
                "OIDC_PROVIDERS": providers,
                "OIDC_TIMEOUT_SECONDS": 0.5,
                "RATELIMIT_LOGIN": "1000 per minute",
            }
        )
    finally:
        del os.environ["DATABASE_URL"]
    yield service
    with service.app_context():
        db.engine.dispose()


@pytest.fixture
def identity_client(identity_app, session):
    return identity_app.test_client()


# -- what a person's browser does ---------------------------------------------------------------


def relative(url: str) -> str:
    parts = urlsplit(url)
    return urlunsplit(("", "", parts.path, parts.query, ""))


def query_of(url: str) -> dict[str, str]:
    return {key: values[0] for key, values in parse_qs(urlsplit(url).query).items()}


def at_provider(
    browser: requests.Session, authorize_url: str, email: str, password: str, back: str
) -> requests.Response:
    """Sign in at a real provider's form (or be sent straight back when already signed in
    there); stops where the provider sends the browser back to us (a URL starting with `back`).
    `response.asked_password` says whether the provider showed its sign-in form."""
    response = browser.get(authorize_url, allow_redirects=False, timeout=10)
    asked_password = False
    for _ in range(10):  # bounded: the provider's own redirects only
        location = response.headers.get("Location", "")
        if location.startswith(back):
            break
        if 'name="password"' in response.text:
            asked_password = True
            action = response.url.rstrip("/") + "/login"
            response = browser.post(
                action,
                data={"login": email, "password": password},
                allow_redirects=False,
                timeout=10,
            )
            continue
        if response.status_code not in (302, 303):
            break
        response = browser.get(urljoin(response.url, location), allow_redirects=False, timeout=10)
    response.asked_password = asked_password
    return response
