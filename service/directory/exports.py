"""Contact points as CSV (one row each, channels in columns), as vCard 4.0 (RFC 6350) and as
the printable directory (HTML with a print stylesheet, and PDF rendered from it by WeasyPrint)."""

from __future__ import annotations

import csv
import io
import uuid
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

import pycountry
from babel import Locale, UnknownLocaleError
from flask import Response
from flask_babel import get_translations
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from jinja2 import Environment, PackageLoader, select_autoescape

from service.core.access import Principal
from service.core.db import db
from service.core.i18n import current_language, long_date
from service.core.labels import label
from service.core.text import spreadsheet_safe
from service.directory import queries
from service.directory.models import (
    Authority,
    ChannelType,
    ContactKind,
    ContactPoint,
    ContactRole,
    MemberState,
    MemberStateStatus,
)

CSV_MIMETYPE = "text/csv"
VCARD_MIMETYPE = "text/vcard"
HTML_MIMETYPE = "text/html"
PDF_MIMETYPE = "application/pdf"
FILE_EXTENSIONS = {
    CSV_MIMETYPE: "csv",
    VCARD_MIMETYPE: "vcf",
    HTML_MIMETYPE: "html",
    PDF_MIMETYPE: "pdf",
}
# A web page opens in the browser (to read or print); every other export is saved as a file.
_DISPOSITIONS = {HTML_MIMETYPE: "inline"}


def as_download(body: str | bytes, mimetype: str, name: str) -> Response:
    """An export as a file, for the API and the admin alike: UTF-8, saved under a dated name
    (e.g. contacts-2026-11-30.csv)."""
    filename = f"{name}-{datetime.now(UTC).date().isoformat()}.{FILE_EXTENSIONS[mimetype]}"
    disposition = _DISPOSITIONS.get(mimetype, "attachment")
    return Response(
        body,
        mimetype=mimetype,
        headers={"Content-Disposition": f'{disposition}; filename="{filename}"'},
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


def contacts_csv(contacts: Sequence[ContactPoint]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    for contact in contacts:
        channels: dict[ChannelType, list[str]] = {t: [] for t in ChannelType}
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
    parts: list[str] = []
    current = b""
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


def contacts_vcard(contacts: Sequence[ContactPoint]) -> str:
    # An address book has no "removed" card: archived entries (asked for by a sync) are left out.
    return "".join(contact_vcard(contact) for contact in contacts if not contact.is_archived)


# -- the printable directory -----------------------------------------------------------------

DIRECTORY_TITLE = _l("Directory of National Authorities")
_ROLE_ORDER = {role: rank for rank, role in enumerate(ContactRole)}
_templates = Environment(
    loader=PackageLoader("service.directory", "templates"),
    autoescape=select_autoescape(default=True),
    trim_blocks=True,
    lstrip_blocks=True,
    extensions=["jinja2.ext.i18n"],
)
# In the reader's language (the request's, or the one chosen with `force_locale`), as in the
# application's own templates.
_templates.install_gettext_callables(  # type: ignore[attr-defined]
    gettext=lambda text: get_translations().ugettext(text),
    ngettext=lambda singular, plural, n: get_translations().ungettext(singular, plural, n),
    newstyle=True,
)
_templates.globals.update(current_language=current_language, long_date=long_date)


@dataclass
class AuthorityBlock:
    authority: Authority
    contacts: list[ContactPoint] = field(default_factory=list)


@dataclass
class StateSection:
    """One member state: its coordinating authority, its 24/7 operational contacts (whichever
    authority they work at), then its other authorities, each with its other contacts."""

    state: MemberState
    coordinating: list[AuthorityBlock] = field(default_factory=list)
    operational: list[ContactPoint] = field(default_factory=list)
    others: list[AuthorityBlock] = field(default_factory=list)

    @property
    def participating(self) -> bool:
        return self.state.status == MemberStateStatus.ACTIVE

    @property
    def entries(self) -> int:
        blocks = [*self.coordinating, *self.others]
        return len(self.operational) + sum(len(b.contacts) for b in blocks)


@dataclass
class PrintableDirectory:
    as_of: date
    whole: bool  # every member state, or the ones in `states`
    states: list[MemberState]
    sections: list[StateSection]  # participating states with entries
    without_entries: list[MemberState]  # participating states with none in this selection
    apart: list[StateSection]  # states not taking part, with their note (and any entries)

    @property
    def scope(self) -> str:
        """ "All member states", or the states' names (in the reader's language)."""
        if self.whole:
            return _("All member states")
        return ", ".join(state.name_in() for state in self.states)

    @property
    def title(self) -> str:
        return _(
            "%(title)s — as of %(date)s",
            title=DIRECTORY_TITLE,
            date=long_date(self.as_of),
        )

    @property
    def entries(self) -> int:
        return sum(s.entries for s in [*self.sections, *self.apart])


def _contact_order(contact: ContactPoint) -> tuple:
    return (_ROLE_ORDER[contact.role], contact.search_text or contact.name.casefold(), contact.id)


def _section(state: MemberState, contacts: list[ContactPoint]) -> StateSection:
    section = StateSection(state)
    blocks: dict[int, AuthorityBlock] = {}
    for contact in sorted(contacts, key=_contact_order):
        if contact.role == ContactRole.OPERATIONAL_24_7:
            section.operational.append(contact)
            if contact.authority.is_coordinating:  # the coordinating authority still heads it
                blocks.setdefault(contact.authority_id, AuthorityBlock(contact.authority))
            continue
        block = blocks.setdefault(contact.authority_id, AuthorityBlock(contact.authority))
        block.contacts.append(contact)
    for block in sorted(blocks.values(), key=lambda b: b.authority.search_text or ""):
        (section.coordinating if block.authority.is_coordinating else section.others).append(block)
    return section


def printable_directory(
    contacts: list[ContactPoint], states: list[MemberState], whole: bool, as_of: date
) -> PrintableDirectory:
    """Groups the selected contacts by member state (`states`, in the order given; `whole`
    when no state was picked, i.e. the directory of all of them)."""
    by_state: dict[str, list[ContactPoint]] = defaultdict(list)
    for contact in contacts:
        by_state[contact.authority.member_state_code].append(contact)
    sections, without_entries, apart = [], [], []
    for state in states:
        section = _section(state, by_state.get(state.code, []))
        if not section.participating:
            apart.append(section)
        elif section.entries:
            sections.append(section)
        else:
            without_entries.append(state)
    return PrintableDirectory(as_of, whole, list(states), sections, without_entries, apart)


def directory_document(
    args: dict, principal: Principal | None, as_of: date | None = None
) -> PrintableDirectory:
    """The printable directory of a selection (the contacts list's filters; `member_state` picks
    the states), for the API and the admin alike: only live entries visible to the network."""
    rows = list(db.session.execute(queries.printable_statement(args, principal)).unique().scalars())
    return printable_directory(
        rows,
        queries.printable_states(args),
        not args.get("member_state"),
        as_of or datetime.now(UTC).date(),
    )


def language_name(code: str) -> str:
    """A language's name in the reader's language (Babel's CLDR data), else pycountry's."""
    try:
        name = Locale(current_language()).languages.get(code)
    except (ValueError, UnknownLocaleError):
        name = None
    if name:
        return str(name)
    language = pycountry.languages.get(alpha_2=code)
    return language.name if language is not None else code


def hours_text(contact: ContactPoint) -> str:
    hours = _("24 hours a day, 7 days a week") if contact.available_24_7 else (contact.hours or "")
    if hours and contact.time_zone:
        return f"{hours} ({contact.time_zone})"
    if hours:
        return hours
    return _("Time zone %(zone)s", zone=contact.time_zone) if contact.time_zone else ""


_templates.filters["language_name"] = language_name


def directory_html(document: PrintableDirectory) -> str:
    """The printable directory as one HTML page with its print stylesheet (A4, DejaVu fonts)."""
    return _templates.get_template("directory/printable.html").render(
        document=document,
        label=label,
        hours_text=hours_text,
        statuses=MemberStateStatus,
    )


class PdfUnavailableError(RuntimeError):
    """WeasyPrint's system libraries (Pango, HarfBuzz) are missing on this server: a fault of
    the server (503), not of the request."""


def directory_pdf(html: str) -> bytes:
    """The printable directory's HTML rendered as PDF by WeasyPrint (imported when first used:
    it loads Pango, which a service that never prints need not have)."""
    try:
        from weasyprint import HTML
        from weasyprint.urls import URLFetcher
    except OSError as error:  # the Debian libraries are missing: tests/ensure-tools.sh
        raise PdfUnavailableError(
            "PDF is not available on this server (WeasyPrint's libraries are missing); "
            "the same document is offered as text/html."
        ) from error
    # The document is self-contained: nothing it holds (a name, a website) is ever fetched.
    pdf = HTML(string=html, url_fetcher=URLFetcher(allowed_protocols=())).write_pdf()
    assert pdf is not None  # no target given: the bytes are returned
    return pdf
