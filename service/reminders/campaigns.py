"""Re-confirmation campaigns: each state's focal points get one email listing every entry due,
with a "still correct" link per entry, one for all of them, and a "make changes" link.

Idempotent (an entry is not reminded again within REMINDER_INTERVAL_DAYS) and safe when two
runs overlap on PostgreSQL: a state is handled under a transaction-scoped advisory lock that
the other run cannot take, so each reminder is sent once.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from urllib.parse import quote

import sqlalchemy as sa
from flask import current_app, render_template

from service.core.db import db
from service.directory.completeness import freshness_cutoff, is_due, live_authority
from service.directory.models import (
    Authority,
    Channel,
    ChannelType,
    ContactPoint,
    ContactRole,
    EntryStatus,
    MemberState,
    MemberStateStatus,
    Visibility,
)
from service.identity.models import Invitation, Role, User
from service.reminders import links, mail
from service.reminders.models import ReminderSent

EMAIL_TYPES = (ChannelType.EMAIL, ChannelType.SECURE_MAIL)


@dataclass
class DueEntry:
    type: str  # authority | contact
    entry: Authority | ContactPoint

    @property
    def ref(self) -> links.EntryRef:
        return links.EntryRef(self.type, self.entry.id, self.entry.version)

    @property
    def label(self) -> str:
        if self.type == "authority":
            return self.entry.name
        return f"{self.entry.name} — {self.entry.authority.name}"

    @property
    def edit_path(self) -> str:
        view = "authority" if self.type == "authority" else "contactpoint"
        return f"/admin/{view}/edit/?id={self.entry.id}"

    @property
    def last_verified(self) -> str:
        moment = self.entry.last_verified_at
        return moment.strftime("%Y-%m-%d") if moment else "never"


@dataclass
class Outcome:
    """What a run did, line by line, for the command's output."""

    lines: list[str] = field(default_factory=list)
    sent: int = 0
    skipped: int = 0
    bounced: list[str] = field(default_factory=list)

    def say(self, line: str) -> None:
        self.lines.append(line)


def _now() -> datetime:
    return datetime.now(UTC)


def due_entries(member_state: str, respect_interval: bool = True) -> list[DueEntry]:
    """The state's active entries a focal point can see that are due for re-confirmation
    (never confirmed, or not within the window) and not reminded within the interval."""
    cutoff = freshness_cutoff()
    authorities = db.session.scalars(
        sa.select(Authority)
        .where(
            Authority.member_state_code == member_state,
            live_authority(),
            is_due(Authority, cutoff),
        )
        .order_by(Authority.id)
    ).all()
    contacts = db.session.scalars(
        sa.select(ContactPoint)
        .join(ContactPoint.authority)
        .where(
            Authority.member_state_code == member_state,
            live_authority(),
            ContactPoint.archived_at.is_(None),
            ContactPoint.status == EntryStatus.ACTIVE,
            ContactPoint.visibility == Visibility.NETWORK,
            is_due(ContactPoint, cutoff),
        )
        .order_by(ContactPoint.id)
    ).all()
    entries = [DueEntry("authority", a) for a in authorities] + [
        DueEntry("contact", c) for c in contacts
    ]
    if not respect_interval or not entries:
        return entries
    since = _now() - timedelta(days=current_app.config["REMINDER_INTERVAL_DAYS"])
    reminded = set(
        db.session.execute(
            sa.select(ReminderSent.entry_type, ReminderSent.entry_id).where(
                ReminderSent.member_state_code == member_state, ReminderSent.sent_at >= since
            )
        ).all()
    )
    return [e for e in entries if (e.type, e.entry.id) not in reminded]


def _contact_addresses(member_state: str, role: ContactRole) -> list[str]:
    return list(
        db.session.scalars(
            sa.select(Channel.value)
            .join(Channel.contact_point)
            .join(ContactPoint.authority)
            .where(
                Authority.member_state_code == member_state,
                live_authority(),
                ContactPoint.archived_at.is_(None),
                ContactPoint.status == EntryStatus.ACTIVE,
                ContactPoint.role == role,
                Channel.type.in_(EMAIL_TYPES),
                Channel.bounced_at.is_(None),
            )
            .order_by(Channel.id)
        )
    )


def recipients(member_state: str) -> tuple[list[str], list[str]]:
    """(focal points, alternates): the email channels of the state's active focal points and
    the people invited or registered as its focal points; its alternates, in copy."""
    focal = _contact_addresses(member_state, ContactRole.FOCAL_POINT)
    focal += db.session.scalars(
        sa.select(User.email).where(
            User.role == Role.FOCAL_POINT,
            User.member_state_code == member_state,
            User.is_active.is_(True),
        )
    ).all()
    focal += db.session.scalars(
        sa.select(Invitation.email).where(
            Invitation.role == Role.FOCAL_POINT,
            Invitation.member_state_code == member_state,
            Invitation.revoked_at.is_(None),
            Invitation.used_at.is_(None),
        )
    ).all()
    focal = list(dict.fromkeys(a.strip().lower() for a in focal if a))
    alternates = [
        a
        for a in dict.fromkeys(
            a.strip().lower() for a in _contact_addresses(member_state, ContactRole.ALTERNATE)
        )
        if a not in focal
    ]
    return focal, alternates


def message_for(
    state: MemberState, entries: list[DueEntry], to: str, cc: list[str]
) -> EmailMessage:
    """The exact email a focal point receives (also shown as the admin's preview)."""
    base = current_app.config["PUBLIC_BASE_URL"]
    rows = [
        {
            "entry": e,
            "confirm": f"{base}/reconfirm/{links.entry_token(e.ref, to)}",
            "edit": f"{base}/auth/login?next={quote(e.edit_path, safe='/')}",
        }
        for e in entries
    ]
    context = {
        "state": state,
        "rows": rows,
        "confirm_all": f"{base}/reconfirm/all/"
        + links.all_token(state.code, [e.ref for e in entries], to),
        "months": current_app.config["FRESHNESS_MONTHS"],
        "link_days": current_app.config["REMINDER_LINK_DAYS"],
    }
    subject = (
        f"Directory of National Authorities: please re-confirm {len(entries)} "
        f"entr{'y' if len(entries) == 1 else 'ies'} of {state.name_en}"
    )
    return mail.compose(
        to,
        cc,
        subject,
        render_template("reminders/reminder.txt", **context),
        render_template("reminders/reminder.html", **context),
        list_id="OAS Directory reminders",
    )


def _locked(member_state: str) -> bool:
    """Takes this state for this run (PostgreSQL); False when another run holds it."""
    if db.engine.dialect.name != "postgresql":
        return True
    key = zlib.crc32(f"reminders:{member_state}".encode())
    return bool(db.session.execute(sa.select(sa.func.pg_try_advisory_xact_lock(key))).scalar())


def _mark_bounced(address: str, member_state: str) -> None:
    db.session.execute(
        sa.update(Channel)
        .where(
            sa.func.lower(Channel.value) == address,
            Channel.type.in_(EMAIL_TYPES),
            Channel.bounced_at.is_(None),
            Channel.contact_point_id.in_(
                sa.select(ContactPoint.id)
                .join(ContactPoint.authority)
                .where(Authority.member_state_code == member_state)
            ),
        )
        .values(bounced_at=_now())
        .execution_options(synchronize_session=False)
    )


def send_reminders(member_state: str | None = None, dry_run: bool = False) -> Outcome:
    """One campaign run, for every participating state or one. Raises
    MailServerUnavailableError (nothing recorded for that state) when SMTP is down."""
    outcome = Outcome()
    states = sa.select(MemberState).where(MemberState.status == MemberStateStatus.ACTIVE)
    if member_state:
        states = states.where(MemberState.code == member_state)
    codes = list(db.session.scalars(states.with_only_columns(MemberState.code).order_by("code")))
    db.session.rollback()
    for code in codes:
        try:
            _send_for_state(code, dry_run, outcome)
        finally:
            db.session.rollback()  # ends the state's transaction (and its advisory lock)
    return outcome


def _send_for_state(code: str, dry_run: bool, outcome: Outcome) -> None:
    if not _locked(code):
        outcome.say(f"{code}: skipped, another run is reminding this state")
        return
    state = db.session.get(MemberState, code)
    entries = due_entries(code)
    if not entries:
        return
    focal, alternates = recipients(code)
    if not focal:
        outcome.skipped += len(entries)
        outcome.say(f"{code}: {len(entries)} due, nobody to remind (no focal point address)")
        return
    for to in focal:
        message = message_for(state, entries, to, alternates)
        if dry_run:
            outcome.say(f"{code}: would send {len(entries)} entries to {to} (dry run)")
            continue
        try:
            where = mail.deliver(message)
        except mail.MailServerUnavailableError:
            db.session.commit()  # what the server accepted before stays recorded
            raise
        except mail.PermanentFailureError as error:
            _mark_bounced(to, code)
            outcome.bounced.append(to)
            outcome.say(f"{code}: {to} bounced ({error}); marked, the run goes on")
            continue
        except mail.TemporaryFailureError as error:
            outcome.say(f"{code}: {to} not accepted for now ({error}); retried next run")
            continue
        for entry in entries:
            db.session.add(
                ReminderSent(
                    member_state_code=code,
                    entry_type=entry.type,
                    entry_id=entry.entry.id,
                    entry_version=entry.entry.version,
                    recipient=to,
                    message_id=message["Message-ID"],
                )
            )
        outcome.sent += 1
        outcome.say(f"{code}: sent {len(entries)} entries to {to} -> {where}")
    db.session.commit()
