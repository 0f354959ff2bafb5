"""The committed OpenAPI description matches the code, is valid, and the API honours it."""

import copy
import functools
import re

import pytest
import schemathesis
import yaml
from hypothesis import HealthCheck, settings
from openapi_spec_validator import validate

from .conftest import PROJECT_ROOT

SPEC_FILE = PROJECT_ROOT / "openapi" / "openapi.yaml"
REGENERATE = "flask --app service openapi write --format yaml openapi/openapi.yaml"


@functools.cache
def committed_spec() -> dict:
    """The committed description, parsed once per test process (read it, never change it)."""
    return yaml.load(SPEC_FILE.read_text("utf-8"), Loader=yaml.CSafeLoader)


def committed_schema() -> schemathesis.schemas.BaseSchema:
    """The committed description for schemathesis, from the one parse (a copy, with its string
    lengths beside their patterns: see below)."""
    return schemathesis.openapi.from_dict(_lengths_beside_patterns(copy.deepcopy(committed_spec())))


def _lengths_beside_patterns(node):
    """Each string's lengths moved beside its pattern, into an `allOf`: the same strings, and
    the same examples (the coverage phase of `POST /api/v1/activities`: 368 either way, alike).

    Side by side, schemathesis folds the lengths into the pattern (`^[^...]*$` with maxLength
    20000 becomes `^[^...]{1,20000}$`), and its JSON Schema engine then spends 0.13 s making each
    schema with such a field canonical and as long again deciding it can be satisfied, for every
    mutation of a body that holds one. Fuzzing one leg (reads and writes, 108 s) spent 12.3 s
    there; with the lengths beside, 0.2 s (88 s in all, 3,307 cases against 3,296)."""
    if isinstance(node, dict):
        for value in node.values():
            _lengths_beside_patterns(value)
        if "pattern" in node and ({"minLength", "maxLength"} & node.keys()):
            lengths = {key: node.pop(key) for key in ("minLength", "maxLength") if key in node}
            node.setdefault("allOf", []).append(lengths)
    elif isinstance(node, list):
        for value in node:
            _lengths_beside_patterns(value)
    return node


def test_committed_spec_matches_the_code(app):
    generated = app.extensions["api"].spec.to_dict()
    assert generated == committed_spec(), f"openapi/openapi.yaml is stale: run `{REGENERATE}`"


def test_committed_spec_is_valid_openapi():
    validate(committed_spec())


def test_spec_and_docs_are_served(client):
    served = client.get("/openapi.json")  # no credential needed for the description
    assert served.status_code == 200
    assert served.get_json()["paths"].keys() == committed_spec()["paths"].keys()


# Reads, with a reader's token. Writes are fuzzed in test_write_fuzzing.py with the tokens and
# sessions that may make them (a reader's write is refused before its body is read: fuzzing
# its body here would only repeat the 403 that test_permission_matrix.py asserts).
schema = committed_schema().include(method=["GET"])

# A webhook URL must also resolve to public addresses: a rule no schema can state, so a
# schema-valid URL may rightly be refused with 422 there.
SEMANTIC_RULES = ("/api/v1/webhook-endpoints",)


@pytest.fixture
def loopback_only_resolver(monkeypatch):
    """Tests never leave loopback: webhook URLs resolve only when they are IP literals."""
    import ipaddress
    import socket

    from service.webhooks import addresses

    def resolve_literals(host: str, port: int) -> list:
        try:
            ipaddress.ip_address(host)
        except ValueError:
            raise socket.gaierror(socket.EAI_NONAME, "not resolved in tests") from None
        return socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)

    monkeypatch.setattr(addresses, "lookup", resolve_literals)


@pytest.fixture
def reader(bearer):
    """One read token per fuzzed operation (Hypothesis calls the test once per example with
    the same fixtures): issuing a token per example was a fifth of this test's time."""
    return bearer("directory:read workplan:read")


@schema.parametrize()
@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
def test_api_honours_its_spec_under_fuzzing(case, app, reader, loopback_only_resolver):
    # A write without If-Match is 428 Precondition Required (RFC 6585), which this check
    # does not know; the If-Match rules have tests of their own.
    excluded = [schemathesis.checks.missing_required_header]
    # Rules no schema can state may rightly refuse schema-valid data: a webhook URL must resolve
    # to public addresses; a progress report's `to` must not precede its `from`.
    if case.operation.path.startswith(SEMANTIC_RULES) or case.operation.path.endswith(
        "/progress-report"
    ):
        excluded.append(schemathesis.checks.positive_data_acceptance)
    case.call_and_validate(app=app, headers=reader, excluded_checks=excluded)


@pytest.mark.parametrize("path", ["/api/v1/member-states", "/api/v1/recommendations"])
def test_list_operations_document_the_pagination_header(path):
    responses = committed_spec()["paths"][path]["get"]["responses"]
    assert "X-Pagination" in responses["200"]["headers"]


def api_operations():
    for path, item in committed_spec()["paths"].items():
        for method, operation in item.items():
            if method in {"get", "post", "put", "patch", "delete"} and path.startswith("/api/"):
                yield path, method, operation


def test_every_api_operation_declares_its_scope_and_the_security_schemes():
    spec = committed_spec()
    schemes = spec["components"]["securitySchemes"]
    assert schemes["oauth2"]["flows"]["clientCredentials"]["tokenUrl"] == "/oauth/token"
    assert schemes["session"]["in"] == "cookie"
    for path, method, operation in api_operations():
        scopes = [s["oauth2"] for s in operation.get("security", []) if "oauth2" in s]
        assert scopes and scopes[0], f"{method.upper()} {path} declares no scope"


def test_no_api_operation_answers_without_a_credential(client):
    for path, method, _ in api_operations():
        concrete = re.sub(r"\{code\}", "AR", re.sub(r"\{[a-z_]+\}", "1", path))
        response = client.open(concrete, method=method.upper())
        assert response.status_code == 401, f"{method.upper()} {path}"
        assert "WWW-Authenticate" in response.headers
