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
from flask_babel import force_locale, ngettext
from flask_babel import gettext as _

from service.core.db import db
from service.core.i18n import DEFAULT_LANGUAGE, LANGUAGES, current_language, long_date
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
        """When it was last re-confirmed, in the reader's language (the page's, or the email's)."""
        moment = self.entry.last_verified_at
        return long_date(moment) if moment else _("never")


@dataclass
class Outcome:
    """What a run did, line by line, for the command's output."""

    lines: list[str] = field(default_factory=list)
    sent: int = 0
    skipped: int = 0
    bounced: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)  # the lines that report a failure

    def say(self, line: str, problem: bool = False) -> None:
        self.lines.append(line)
        if problem:
            self.problems.append(line)


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


def recipient_language(state: MemberState, address: str) -> str:
    """The language of a reminder to `address`: the person's saved choice, else the member
    state's default language (an invitation not yet used has no choice), else English."""
    saved = db.session.scalars(
        sa.select(User.locale)
        .where(sa.func.lower(User.email) == address.strip().lower(), User.locale.is_not(None))
        .order_by(User.id)
        .limit(1)
    ).first()
    for choice in (saved, state.default_language):
        if choice in LANGUAGES:
            return choice
    return DEFAULT_LANGUAGE


def message_for(
    state: MemberState, entries: list[DueEntry], to: str, cc: list[str]
) -> EmailMessage:
    """The exact email a focal point receives (also shown as the admin's preview), in the
    recipient's language (`recipient_language`)."""
    with force_locale(recipient_language(state, to)):
        return _message(state, entries, to, cc)


def _message(state: MemberState, entries: list[DueEntry], to: str, cc: list[str]) -> EmailMessage:
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
    subject = ngettext(
        "Directory of National Authorities: please re-confirm %(num)d entry of %(state)s",
        "Directory of National Authorities: please re-confirm %(num)d entries of %(state)s",
        len(entries),
        state=state.name_in(),
    )
    message = mail.compose(
        to,
        cc,
        subject,
        render_template("reminders/reminder.txt", **context),
        render_template("reminders/reminder.html", **context),
        list_id="OAS Directory reminders",
    )
    message["Content-Language"] = current_language()
    return message


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
        outcome.say(_("%(code)s: skipped, another run is reminding this state", code=code))
        return
    state = db.session.get(MemberState, code)
    if state is None:
        raise LookupError(f"member state {code} vanished during the campaign")
    entries = due_entries(code)
    if not entries:
        return
    focal, alternates = recipients(code)
    if not focal:
        outcome.skipped += len(entries)
        outcome.say(
            _(
                "%(code)s: %(due)s due, nobody to remind (no focal point address)",
                code=code,
                due=len(entries),
            )
        )
        return
    for to in focal:
        message = message_for(state, entries, to, alternates)
        if dry_run:
            outcome.say(
                _(
                    "%(code)s: would send %(count)s entries to %(to)s (dry run)",
                    code=code,
                    count=len(entries),
                    to=to,
                )
            )
            continue
        try:
            where = mail.deliver(message)
        except mail.MailServerUnavailableError:
            db.session.commit()  # what the server accepted before stays recorded
            raise
        except mail.PermanentFailureError as error:
            _mark_bounced(to, code)
            outcome.bounced.append(to)
            outcome.say(
                _(
                    "%(code)s: %(to)s bounced (%(error)s); marked, the run goes on",
                    code=code,
                    to=to,
                    error=str(error),
                ),
                problem=True,
            )
            continue
        except mail.TemporaryFailureError as error:
            outcome.say(
                _(
                    "%(code)s: %(to)s not accepted for now (%(error)s); retried next run",
                    code=code,
                    to=to,
                    error=str(error),
                ),
                problem=True,
            )
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
        outcome.say(
            _(
                "%(code)s: sent %(count)s entries to %(to)s -> %(where)s",
                code=code,
                count=len(entries),
                to=to,
                where=where,
            )
        )
    db.session.commit()
