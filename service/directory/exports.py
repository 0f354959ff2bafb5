"""Contact points as CSV (one row each, channels in columns) and as vCard 4.0 (RFC 6350)."""

from __future__ import annotations

import csv
import io
import uuid
from datetime import UTC, datetime
from typing import Any

from flask import Response

from service.core.labels import label
from service.core.text import spreadsheet_safe
from service.directory.models import ChannelType, ContactKind, ContactPoint

CSV_MIMETYPE = "text/csv"
VCARD_MIMETYPE = "text/vcard"
FILE_EXTENSIONS = {CSV_MIMETYPE: "csv", VCARD_MIMETYPE: "vcf"}


def as_download(body: str, mimetype: str, name: str) -> Response:
    """An export as a file, for the API and the admin alike: UTF-8, saved under a dated name
    (e.g. contacts-2026-11-30.csv)."""
    filename = f"{name}-{datetime.now(UTC).date().isoformat()}.{FILE_EXTENSIONS[mimetype]}"
    return Response(
        body,
        mimetype=mimetype,
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


CSV_COLUMNS = (
    "id",
    "member_state",
    "authority_id",
    "authority",
    "kind",
    "name",
    "position",
    "role",
    "competences",
    "languages",
    "hours",
    "time_zone",
    "available_24_7",
    "visibility",
    "status",
    *(t.value for t in ChannelType),
    "last_verified_at",
    "last_verified_by",
    "updated_at",
    "removed",
)
LIST_SEPARATOR = "; "  # several values in one cell (competences, languages, two phones)
# Phone numbers are validated E.164 ("+54..."): no formula can hide in them, and a quote in front
# would stop spreadsheets reading them as the numbers they are. Every other channel is text.
_NUMBER_CHANNELS = frozenset({ChannelType.PHONE, ChannelType.MOBILE, ChannelType.FAX})


def _time(value: Any) -> str:
    return value.isoformat() if value else ""


def contacts_csv(contacts: list[ContactPoint]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    for contact in contacts:
        channels = {t: [] for t in ChannelType}
        for channel in contact.channels:  # preferred first (the relationship's order)
            channels[channel.type].append(channel.value)
        writer.writerow(
            [
                contact.id,
                contact.authority.member_state_code,
                contact.authority_id,
                spreadsheet_safe(contact.authority.name),
                contact.kind.value,
                spreadsheet_safe(contact.name),
                spreadsheet_safe(contact.position),
                contact.role.value,
                LIST_SEPARATOR.join(c.code for c in contact.competences),
                LIST_SEPARATOR.join(contact.languages or []),
                spreadsheet_safe(contact.hours),
                contact.time_zone or "",
                "true" if contact.available_24_7 else "false",
                contact.visibility.value,
                contact.status.value,
                *(
                    LIST_SEPARATOR.join(values)
                    if kind in _NUMBER_CHANNELS
                    else spreadsheet_safe(LIST_SEPARATOR.join(values))
                    for kind, values in channels.items()
                ),
                _time(contact.last_verified_at),
                spreadsheet_safe(contact.last_verified_by),
                _time(contact.updated_at),
                "true" if contact.is_archived else "false",
            ]
        )
    return out.getvalue()


# -- vCard 4.0 -------------------------------------------------------------------------------

_TEL_TYPES = {
    ChannelType.PHONE: "work,voice",
    ChannelType.MOBILE: "work,cell",
    ChannelType.FAX: "work,fax",
}
_UID_NAMESPACE = uuid.UUID("5d1f0c2e-8f47-4a4b-9a57-3f0b6a0e2d11")  # this directory's contacts


def _escape(value: str) -> str:
    """RFC 6350 3.4: backslash, comma, semicolon and newline are escaped in text values.

    A lone CR counts as a line break too: readers split lines on it, so left as it is, the text
    after it would be read as a property of its own (an injected EMAIL, say).
    """
    return (
        value.replace("\\", "\\\\")
        .replace(",", "\\,")
        .replace(";", "\\;")
        .replace("\r\n", "\\n")
        .replace("\r", "\\n")
        .replace("\n", "\\n")
    )


def _fold(line: str) -> str:
    """RFC 6350 3.2: lines longer than 75 octets continue on the next line after a space."""
    encoded = line.encode("utf-8")
    if len(encoded) <= 75:
        return line
    parts, current = [], b""
    for char in line:
        piece = char.encode("utf-8")
        if len(current) + len(piece) > (75 if not parts else 74):
            parts.append(current.decode("utf-8"))
            current = b""
        current += piece
    parts.append(current.decode("utf-8"))
    return "\r\n ".join(parts)


def contact_uid(contact: ContactPoint) -> str:
    return f"urn:uuid:{uuid.uuid5(_UID_NAMESPACE, f'contact_points/{contact.id}')}"


def contact_vcard(contact: ContactPoint) -> str:
    lines = [
        "BEGIN:VCARD",
        "VERSION:4.0",
        f"UID:{contact_uid(contact)}",
        "KIND:" + ("individual" if contact.kind == ContactKind.PERSON else "org"),
        f"FN:{_escape(contact.name)}",
        f"ORG:{_escape(contact.authority.name)}",
    ]
    if contact.position:
        lines.append(f"TITLE:{_escape(contact.position)}")
    lines.append(f"ROLE:{_escape(label(contact.role))}")
    for channel in contact.channels:
        pref = ";PREF=1" if channel.preferred else ""
        if channel.type in _TEL_TYPES:
            lines.append(f"TEL;VALUE=uri;TYPE={_TEL_TYPES[channel.type]}{pref}:tel:{channel.value}")
        elif channel.type == ChannelType.WEBSITE:
            lines.append(f"URL{pref}:{channel.value}")
        else:
            lines.append(f"EMAIL;TYPE=work{pref}:{_escape(channel.value)}")
    for rank, language in enumerate(contact.languages or [], start=1):
        lines.append(f"LANG;PREF={rank}:{language}")
    if contact.time_zone:
        lines.append(f"TZ:{_escape(contact.time_zone)}")
    hours = "24/7" if contact.available_24_7 else contact.hours
    if hours:
        lines.append(f"NOTE:{_escape('Hours: ' + hours)}")
    lines.append(f"REV:{contact.updated_at.strftime('%Y%m%dT%H%M%SZ')}")
    lines.append("END:VCARD")
    return "".join(_fold(line) + "\r\n" for line in lines)


def contacts_vcard(contacts: list[ContactPoint]) -> str:
    # An address book has no "removed" card: archived entries (asked for by a sync) are left out.
    return "".join(contact_vcard(contact) for contact in contacts if not contact.is_archived)
