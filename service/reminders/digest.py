"""The secretariat's digest: per state, entries due, reminders sent and unanswered, bounced
addresses, and the states whose completeness changed since the last digest."""

from __future__ import annotations

from collections.abc import Callable

import sqlalchemy as sa

from service.core.db import db
from service.directory.completeness import completeness
from service.directory.models import Authority, Channel, ContactPoint
from service.reminders.campaigns import recipients
from service.reminders.models import DigestSnapshot, ReminderSent

# Sections other features add to the digest at start-up (e.g. webhook endpoints disabled after
# failing for 3 days), so this module imports none of them.
DigestSection = Callable[[], list[str]]
_sections: list[DigestSection] = []


def add_digest_section(section: DigestSection) -> None:
    if section not in _sections:
        _sections.append(section)


def _reminders_per_entry() -> dict[tuple[str, int], tuple[str, int, object]]:
    """(type, id) -> (state, distinct reminder messages, version last reminded)."""
    rows = db.session.execute(
        sa.select(
            ReminderSent.entry_type,
            ReminderSent.entry_id,
            ReminderSent.member_state_code,
            sa.func.count(sa.distinct(ReminderSent.message_id)),
            sa.func.max(ReminderSent.entry_version),
        ).group_by(ReminderSent.entry_type, ReminderSent.entry_id, ReminderSent.member_state_code)
    )
    return {(t, i): (state, count, version) for t, i, state, count, version in rows}


def _current_versions() -> dict[tuple[str, int], int]:
    found = {
        ("authority", i): v
        for i, v in db.session.execute(sa.select(Authority.id, Authority.version))
    }
    found.update(
        {
            ("contact", i): v
            for i, v in db.session.execute(sa.select(ContactPoint.id, ContactPoint.version))
        }
    )
    return found


def write_digest() -> list[str]:
    """The digest's lines; records this digest's completeness to compare with the next."""
    reports = completeness()
    reminded = _reminders_per_entry()
    versions = _current_versions()
    unanswered: dict[str, int] = {}
    for key, (state, count, version) in reminded.items():
        if count >= 2 and versions.get(key) == version:  # reminded twice, nothing happened since
            unanswered[state] = unanswered.get(state, 0) + 1
    bounced = db.session.execute(
        sa.select(Authority.member_state_code, Channel.value)
        .join(Channel.contact_point)
        .join(ContactPoint.authority)
        .where(Channel.bounced_at.is_not(None))
        .order_by(Authority.member_state_code, Channel.value)
    ).all()
    bounced_by_state: dict[str, list[str]] = {}
    for state, address in bounced:
        bounced_by_state.setdefault(state, []).append(address)
    previous = db.session.scalars(
        sa.select(DigestSnapshot).order_by(DigestSnapshot.id.desc()).limit(1)
    ).first()
    before = previous.complete_by_state if previous else {}
    now = {r["member_state"]: r["complete"] for r in reports}
    lines = ["Directory of National Authorities: the secretariat's digest", ""]
    for report in reports:
        code = report["member_state"]
        if not report["participating"]:
            lines.append(f"{code} {report['name']}: {report['status'].value}, not counted")
            continue
        parts = [f"{report['due_entries']} due"]
        if report["due_entries"] and not recipients(code)[0]:
            parts.append("nobody to remind (no focal point address)")
        if unanswered.get(code):
            parts.append(f"{unanswered[code]} reminded twice or more without answer")
        if bounced_by_state.get(code):
            parts.append("bounced: " + ", ".join(bounced_by_state[code]))
        if report["gaps"]:
            parts.append("gaps: " + ", ".join(report["gaps"]))
        if code in before and before[code] != now[code]:
            parts.append(
                "now complete" if now[code] else "no longer complete (since the last digest)"
            )
        lines.append(f"{code} {report['name']}: " + "; ".join(parts))
    db.session.add(DigestSnapshot(complete_by_state=now))
    db.session.commit()
    for section in _sections:
        lines.extend(section())
    return lines
