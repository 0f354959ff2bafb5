"""The clearly fictitious demo directory (`flask seed --demo`): authorities, contact points
and their channels in a few member states."""

from __future__ import annotations

from service.audit.log import record, snapshot
from service.audit.models import AuditAction
from service.core.db import db, touch
from service.directory.models import Authority, Channel, Competence, ContactPoint
from service.seeding.loader import Loader, Part, plain

AUTHORITY_FIELDS = ("name", "name_local", "acronym", "kind", "address", "website")
CONTACT_FIELDS = ("kind", "name", "position", "role", "hours", "time_zone")


def contact_channels(contact: ContactPoint) -> list:
    return sorted([plain(ch.type), ch.value, ch.label, ch.preferred] for ch in contact.channels)


def load_demo_directory(loader: Loader) -> None:
    data = loader.load("demo.yaml")
    competences = loader.by_code(Competence)
    authorities = {}
    for row in data["authorities"]:
        authorities[row["key"]] = loader.upsert(
            Authority,
            {"demo_key": row["key"]},
            {
                "member_state_code": row["member_state"],
                "is_demo": True,
                **{k: row.get(k) for k in AUTHORITY_FIELDS},
                "is_coordinating": bool(row.get("is_coordinating")),
                "languages": row.get("languages", []),
            },
            {"competences": [competences[c] for c in row.get("competences", [])]},
        )
    for row in data["contacts"]:
        loader.upsert(
            ContactPoint,
            {"demo_key": row["key"]},
            {
                "authority_id": authorities[row["authority"]].id,
                "is_demo": True,
                **{k: row.get(k) for k in CONTACT_FIELDS},
                "languages": row.get("languages", []),
                "available_24_7": bool(row.get("available_24_7")),
                "visibility": row.get("visibility", "network"),
            },
            {"competences": [competences[c] for c in row.get("competences", [])]},
            parts={"channels": channels_part(loader, row)},
        )


def channels_part(loader: Loader, row: dict) -> Part:
    wanted = sorted(
        [c["type"], c["value"], c.get("label"), bool(c.get("preferred"))]
        for c in row.get("channels", [])
    )

    def write(contact: ContactPoint, wanted: list) -> None:
        before = snapshot(contact)
        contact.channels = [
            Channel(type=kind, value=value, label=label, preferred=preferred)
            for kind, value, label, preferred in wanted
        ]
        touch(contact)
        db.session.flush()
        record(AuditAction.UPDATE, contact, before, snapshot(contact))
        loader.report.count(loader.report.updated, "channels")

    return Part(wanted=wanted, read=contact_channels, write=write)
