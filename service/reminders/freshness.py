"""The secretariat's freshness figures per participating state: entries due, the last reminder
sent, confirmations by email link within the freshness window, and bounced addresses."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

import sqlalchemy as sa

from service.core.db import db
from service.directory.completeness import completeness, freshness_cutoff
from service.directory.models import (
    Authority,
    Channel,
    ContactPoint,
    MemberState,
    MemberStateStatus,
    VerifiedVia,
)
from service.reminders.models import ReminderSent


@dataclass
class StateFreshness:
    code: str
    name: str
    due: int
    active_entries: int
    share: float | None  # of active entries confirmed within the window
    last_reminder: datetime | None = None
    email_confirmations: int = 0  # entries confirmed by email link within the window
    bounced: list[str] = field(default_factory=list)


def _email_confirmations(cutoff: datetime) -> dict[str, int]:
    found: dict[str, int] = {}
    authorities = (
        sa.select(Authority.member_state_code, sa.func.count())
        .where(
            Authority.verified_via == VerifiedVia.EMAIL_LINK,
            Authority.last_verified_at >= cutoff,
        )
        .group_by(Authority.member_state_code)
    )
    contacts = (
        sa.select(Authority.member_state_code, sa.func.count())
        .select_from(ContactPoint)
        .join(ContactPoint.authority)
        .where(
            ContactPoint.verified_via == VerifiedVia.EMAIL_LINK,
            ContactPoint.last_verified_at >= cutoff,
        )
        .group_by(Authority.member_state_code)
    )
    for statement in (authorities, contacts):
        for code, count in db.session.execute(statement):
            found[code] = found.get(code, 0) + count
    return found


def bounced_addresses(member_state: str | None = None) -> dict[str, list[str]]:
    """State -> the email addresses a reminder bounced from (for the secretariat and that
    state's focal points only)."""
    statement = (
        sa.select(Authority.member_state_code, Channel.value)
        .join(Channel.contact_point)
        .join(ContactPoint.authority)
        .where(Channel.bounced_at.is_not(None))
        .order_by(Authority.member_state_code, Channel.value)
    )
    if member_state is not None:
        statement = statement.where(Authority.member_state_code == member_state)
    found: dict[str, list[str]] = {}
    for code, address in db.session.execute(statement):
        if address not in found.setdefault(code, []):
            found[code].append(address)
    return found


def freshness_by_state() -> list[StateFreshness]:
    """One row per participating state, from a handful of statements (not one per state)."""
    states = {
        state.code: state
        for state in db.session.scalars(
            sa.select(MemberState).where(MemberState.status == MemberStateStatus.ACTIVE)
        )
    }
    if not states:
        return []
    reports = completeness(list(states))
    last_reminders = dict(
        db.session.execute(
            sa.select(ReminderSent.member_state_code, sa.func.max(ReminderSent.sent_at)).group_by(
                ReminderSent.member_state_code
            )
        ).all()
    )
    confirmations = _email_confirmations(freshness_cutoff())
    bounced = bounced_addresses()
    return [
        StateFreshness(
            code=report["member_state"],
            name=states[report["member_state"]].name_in(),  # in the reader's language
            due=report["due_entries"],
            active_entries=report["active_entries"],
            share=report["criteria"]["freshness"]["share"],
            last_reminder=last_reminders.get(report["member_state"]),
            email_confirmations=confirmations.get(report["member_state"], 0),
            bounced=bounced.get(report["member_state"], []),
        )
        for report in reports
    ]
