"""Shared helpers for the directory tests: demo entries, valid payloads, a statement counter."""

from __future__ import annotations

import json

import sqlalchemy as sa

from service.audit.models import AuditEntry
from service.core.db import db
from service.directory.models import Authority, ContactPoint

WRITE = "directory:read directory:write"
# Statements that only identify the caller (token or session look-up), not directory work.
AUTH_TABLES = ("oauth_tokens", "api_clients", "users")
# Transaction control (the test harness wraps each transaction in a SAVEPOINT).
TRANSACTION_CONTROL = ("SAVEPOINT", "RELEASE", "ROLLBACK", "BEGIN", "COMMIT")


def demo_authority(key: str) -> Authority:
    return db.session.execute(sa.select(Authority).filter_by(demo_key=key)).scalar_one()


def demo_contact(key: str) -> ContactPoint:
    return db.session.execute(sa.select(ContactPoint).filter_by(demo_key=key)).scalar_one()


def contact_payload(authority_id: int, **overrides) -> dict:
    payload = {
        "authority_id": authority_id,
        "kind": "office",
        "name": "Oficina de Enlace Nueva",
        "position": "Enlace internacional",
        "role": "alternate",
        "competences": ["prevention"],
        "languages": ["es", "en"],
        "hours": "Lun-Vie 09:00-17:00",
        "time_zone": "America/Argentina/Buenos_Aires",
        "channels": [
            {"type": "email", "value": "enlace.nuevo@demo-ar.example.org", "preferred": True},
            {"type": "phone", "value": "011 5555-0177", "region": "AR", "label": "Oficina"},
        ],
    }
    return payload | overrides


def authority_payload(**overrides) -> dict:
    payload = {
        "member_state": "AR",
        "name": "Policía Nacional de Demostración (ficticia)",
        "acronym": "DEMO-PN",
        "kind": "police",
        "competences": ["investigation_prosecution"],
        "languages": ["es"],
        "website": "https://policia.demo-ar.example.org",
    }
    return payload | overrides


def field_errors(response) -> dict[str, str]:
    """The problem document's field errors, as {dotted field: message}."""
    assert response.status_code == 422, response.get_json()
    assert response.mimetype == "application/problem+json"
    return {e["field"]: e["message"] for e in response.get_json()["errors"]}


def audit_entries(entity_type: str, entity_id) -> list[AuditEntry]:
    return list(
        db.session.execute(
            sa.select(AuditEntry)
            .where(AuditEntry.entity_type == entity_type, AuditEntry.entity_id == str(entity_id))
            .order_by(AuditEntry.id)
        ).scalars()
    )


def pagination(response) -> dict:
    return json.loads(response.headers["X-Pagination"])


class StatementLog(list):
    @property
    def directory(self) -> list[str]:
        """The queries that do the directory's work: not who the caller is, not BEGIN/SAVEPOINT."""
        return [
            s
            for s in self
            if not s.lstrip().upper().startswith(TRANSACTION_CONTROL)
            and not any(f"FROM {t}" in s for t in AUTH_TABLES)
        ]
