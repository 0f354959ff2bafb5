"""A partner's generated Python client (openapi-python-client) built from the committed spec,
and the example partner script (examples/sync_directory.py) syncing with it over real HTTP."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import requests
from flask import g

from service.audit.log import Actor
from service.audit.models import ActorType
from service.core.access import ROLE_SCOPES, Principal
from service.core.db import db
from service.directory import services
from service.directory.models import ContactPoint
from service.identity.models import Role

from .conftest import PROJECT_ROOT
from .fixtures.credentials import committed_cli_client

VENV_BIN = Path(sys.executable).parent
EXAMPLE = PROJECT_ROOT / "examples" / "sync_directory.py"


@pytest.fixture(scope="module")
def generated_client(tmp_path_factory) -> Path:
    """The client package, generated as the example's docstring says (ruff from this venv)."""
    where = tmp_path_factory.mktemp("generated")
    result = subprocess.run(
        [
            str(VENV_BIN / "openapi-python-client"),
            "generate",
            "--path",
            str(PROJECT_ROOT / "openapi" / "openapi.yaml"),
            "--config",
            str(PROJECT_ROOT / "examples" / "client-config.yaml"),
            "--output-path",
            str(where / "oas_directory_client"),
            "--meta",
            "none",
        ],
        env={**os.environ, "PATH": f"{VENV_BIN}{os.pathsep}{os.environ.get('PATH', '')}"},
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Warning" not in result.stdout + result.stderr, result.stdout + result.stderr
    return where


@pytest.fixture
def partner_credentials(app):
    """A directory:read client, committed for real (the live server reads it), then removed."""
    with committed_cli_client(app, "Example partner", "directory:read") as credentials:
        yield credentials


def run_example(generated_client: Path, base_url: str, credentials: dict, copy: Path) -> dict:
    result = subprocess.run(
        [sys.executable, str(EXAMPLE), str(copy)],
        env={
            **os.environ,
            "PYTHONPATH": str(generated_client),
            "DIRECTORY_URL": base_url,
            "DIRECTORY_CLIENT_ID": credentials["client_id"],
            "DIRECTORY_CLIENT_SECRET": credentials["client_secret"],
        },
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return json.loads(result.stdout)


def visible_contact_ids(base_url: str, credentials: dict) -> set[str]:
    token = requests.post(
        f"{base_url}/oauth/token",
        data={"grant_type": "client_credentials"},
        auth=(credentials["client_id"], credentials["client_secret"]),
        timeout=10,
    ).json()["access_token"]
    listed = requests.get(
        f"{base_url}/api/v1/contacts?page_size=100",
        headers={"Authorization": f"Bearer {token}"},
        timeout=10,
    )
    return {str(contact["id"]) for contact in listed.json()}


def as_secretariat(app, change, contact_id: int) -> None:
    """A committed change by the secretariat, as the admin would make it (the live server
    must see it)."""
    with app.app_context():
        g.principal = Principal(
            actor=Actor(ActorType.USER, "0", "secretariat@example.org"),
            scopes=ROLE_SCOPES[Role.SECRETARIAT],
            role=Role.SECRETARIAT,
        )
        change(db.session.get(ContactPoint, contact_id))
        db.session.commit()


def test_the_example_partner_syncs_the_directory_with_the_generated_client(
    app, live_server, generated_client, partner_credentials, tmp_path
):
    copy = tmp_path / "directory-copy.json"

    first = run_example(generated_client, live_server, partner_credentials, copy)

    mirrored = json.loads(copy.read_text("utf-8"))
    assert set(mirrored["contacts"]) == visible_contact_ids(live_server, partner_credentials)
    assert first["removed"] == 0 and first["updated"] >= len(mirrored["contacts"]) > 0
    contact = mirrored["contacts"][min(mirrored["contacts"], key=int)]
    assert contact["channels"] and contact["member_state"]

    gone = int(min(mirrored["contacts"], key=int))
    as_secretariat(app, services.archive_contact, gone)
    try:
        second = run_example(generated_client, live_server, partner_credentials, copy)
    finally:
        as_secretariat(app, services.restore_contact, gone)

    assert second["removed"] == 1
    assert str(gone) not in json.loads(copy.read_text("utf-8"))["contacts"]
    assert second["updated"] < first["updated"]  # only what changed since, not everything
