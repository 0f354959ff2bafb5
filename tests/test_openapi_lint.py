"""The committed API description lints clean with Redocly's CLI (its recommended rules), and
every operation has the readable operationId generated clients turn into method names."""

from __future__ import annotations

import os
import subprocess

import yaml

from .conftest import PROJECT_ROOT

OPENAPI_DIR = PROJECT_ROOT / "openapi"


def redocly_lint() -> subprocess.CompletedProcess:
    if not (OPENAPI_DIR / "node_modules" / ".bin" / "redocly").exists():
        subprocess.run(
            ["npm", "ci", "--no-audit", "--no-fund", "--loglevel=error"],
            cwd=OPENAPI_DIR,
            check=True,
            timeout=300,
        )
    return subprocess.run(
        ["node_modules/.bin/redocly", "lint", "openapi.yaml", "--format=stylish"],
        cwd=OPENAPI_DIR,
        # no telemetry, no update check: the tests talk to loopback only
        env={**os.environ, "REDOCLY_TELEMETRY": "off", "REDOCLY_SUPPRESS_UPDATE_NOTICE": "true"},
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def test_redocly_lint_reports_no_error_and_no_warning():
    result = redocly_lint()
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert "Your API description is valid" in output, output
    assert " warning " not in output and " error " not in output, output


def test_every_api_operation_has_a_readable_operation_id():
    spec = yaml.safe_load((OPENAPI_DIR / "openapi.yaml").read_text("utf-8"))
    ids = {
        (method, path): operation["operationId"]
        for path, item in spec["paths"].items()
        for method, operation in item.items()
        if method in {"get", "post", "put", "patch", "delete"}
    }
    assert len(set(ids.values())) == len(ids)
    assert ids["get", "/api/v1/contacts"] == "list_contacts"
    assert ids["get", "/api/v1/contacts/{contact_id}"] == "get_contact"
    assert ids["patch", "/api/v1/contacts/{contact_id}"] == "update_contact"
    assert ids["post", "/api/v1/contacts/{contact_id}/restore"] == "restore_contact"
    assert ids["get", "/api/v1/work-plans/{plan_id}/coverage"] == "get_work_plan_coverage"
    assert ids["post", "/api/v1/activities"] == "create_activity"


def test_every_read_by_id_documents_its_404():
    spec = yaml.safe_load((OPENAPI_DIR / "openapi.yaml").read_text("utf-8"))
    for path, item in spec["paths"].items():
        if "{" in path:
            for method, operation in item.items():
                if method in {"get", "post", "put", "patch", "delete"}:
                    assert "404" in operation["responses"], (method, path)
