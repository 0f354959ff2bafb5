"""The pages behind a reminder's links: GET shows what would be re-confirmed and a button
(mail scanners prefetch links), only the POST from that page re-confirms."""

from __future__ import annotations

from typing import Any, cast

from flask import Blueprint, render_template, request
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_babel import ngettext

from service.core.db import db
from service.directory.models import Authority, ContactPoint, MemberStateStatus
from service.directory.services import confirm_from_email_link
from service.reminders import links
from service.reminders.campaigns import DueEntry

reconfirm = Blueprint("reconfirm", __name__, url_prefix="/reconfirm", template_folder="templates")

MODELS: dict[str, type[Authority] | type[ContactPoint]] = {
    "authority": Authority,
    "contact": ContactPoint,
}

Page = tuple[str, int, dict[str, str]]


def _page(status: int, heading: str, message: str, **context: Any) -> Page:
    return (
        render_template(
            "reminders/confirm.html",
            heading=heading,
            message=message,
            failed=status >= 400,
            **context,
        ),
        status,
        {"Cache-Control": "no-store", "Referrer-Policy": "no-referrer"},
    )


def _expired() -> Page:
    return _page(
        410,
        _("This link has expired"),
        _(
            "Links in reminders work for a limited time. Sign in to re-confirm the entry, or "
            "wait for the next reminder."
        ),
    )


def _unknown() -> Page:
    return _page(
        404,
        _("This link is not valid"),
        _(
            "The link is incomplete or was changed. Copy the whole link from the email, or sign "
            "in to re-confirm the entry."
        ),
    )


def _stale() -> Page:
    return _page(
        409,
        _("Nothing to re-confirm"),
        _(
            "This entry was re-confirmed or changed since the reminder was sent, so the link no "
            "longer applies. Nothing was changed. Sign in to see the entry as it is now."
        ),
    )


def _load(ref: links.EntryRef) -> DueEntry | None:
    entry = cast(Authority | ContactPoint | None, db.session.get(MODELS[ref.type], ref.id))
    if entry is None:
        return None
    return DueEntry(ref.type, entry)


def _open(due: DueEntry) -> bool:
    """An entry whose state has withdrawn is read-only: links no longer confirm it."""
    state = due.entry.member_state if due.type == "authority" else due.entry.authority.member_state
    return state.status != MemberStateStatus.WITHDRAWN


@reconfirm.route("/<token>", methods=["GET", "POST"])
def one_entry(token: str) -> ResponseReturnValue:
    try:
        ref, recipient = links.read_entry_token(token)
    except links.LinkExpiredError:
        return _expired()
    except links.LinkInvalidError:
        return _unknown()
    due = _load(ref)
    if due is None:
        return _unknown()
    if due.entry.is_archived or due.entry.version != ref.version or not _open(due):
        return _stale()
    if request.method == "POST":
        if not confirm_from_email_link(due.entry, ref.version, recipient):
            return _stale()
        db.session.commit()
        return _page(
            200,
            _("Thank you"),
            _(
                "“%(entry)s” is re-confirmed as still correct, by %(recipient)s.",
                entry=due.label,
                recipient=recipient,
            ),
        )
    return _page(
        200,
        _("Is this entry still correct?"),
        "",
        entries=[due],
        intro=_("Pressing the button records that this entry is still correct:"),
        can_confirm=True,
        button=_("Yes, it is still correct"),
    )


@reconfirm.route("/all/<token>", methods=["GET", "POST"])
def all_entries(token: str) -> ResponseReturnValue:
    try:
        _state, refs, recipient = links.read_all_token(token)
    except links.LinkExpiredError:
        return _expired()
    except links.LinkInvalidError:
        return _unknown()
    found = [(ref, _load(ref)) for ref in refs]
    current = [
        (ref, due)
        for ref, due in found
        if due is not None
        and not due.entry.is_archived
        and due.entry.version == ref.version
        and _open(due)
    ]
    if not current:
        return _stale()
    left_out = len(refs) - len(current)
    note = (
        ngettext(
            "%(num)d of the entries in the email changed since it was sent and is left out.",
            "%(num)d of the entries in the email changed since it was sent and are left out.",
            left_out,
        )
        if left_out
        else ""
    )
    if request.method == "POST":
        confirmed = [
            due
            for ref, due in current
            if confirm_from_email_link(due.entry, ref.version, recipient)
        ]
        db.session.commit()
        return _page(
            200,
            _("Thank you"),
            " ".join(
                [
                    ngettext(
                        "%(num)d entry is re-confirmed as still correct, by %(recipient)s.",
                        "%(num)d entries are re-confirmed as still correct, by %(recipient)s.",
                        len(confirmed),
                        recipient=recipient,
                    ),
                    note,
                ]
            ).strip(),
            entries=confirmed,
        )
    return _page(
        200,
        _("Are these entries still correct?"),
        note,
        entries=[due for _ref, due in current],
        intro=_("Pressing the button records that all of these entries are still correct:"),
        can_confirm=True,
        button=_("Yes, all of them are still correct"),
    )
