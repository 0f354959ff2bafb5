"""The secretariat's "Freshness" view: per participating state, entries due, the last reminder,
confirmations by email link, bounced addresses; and a re-confirmation campaign for one state,
started after a preview of the exact email."""

from __future__ import annotations

import re

from flask import abort, flash, redirect, request, url_for
from flask_admin import BaseView, expose
from flask_babel import format_decimal, ngettext
from flask_babel import gettext as _
from werkzeug.wrappers.response import Response

from admin.views.base import ProtectedView
from service.core.db import db
from service.core.labels import label
from service.directory.models import MemberState, MemberStateStatus
from service.reminders import mail
from service.reminders.campaigns import (
    due_entries,
    message_for,
    recipient_language,
    recipients,
    send_reminders,
)
from service.reminders.freshness import freshness_by_state

# A preview never carries working links: they would re-confirm in the focal point's name.
LINK_TOKEN = re.compile(r"(/reconfirm/(?:all/)?)[A-Za-z0-9_.\-]+")
LINK_PLACEHOLDER = r"\1<signed when sent>"


def participating_state(code: str | None) -> MemberState:
    """The member state named in the request: one that takes part, or a clear refusal."""
    code = (code or "").strip().upper()
    state = db.session.get(MemberState, code) if len(code) == 2 and code.isalpha() else None
    if state is None:
        abort(404, description=_("There is no member state %(code)s.", code=repr(code[:10])))
    if state.status != MemberStateStatus.ACTIVE:
        abort(
            409,
            description=_(
                "%(code)s · %(name)s does not take part (%(status)s): nobody is reminded.",
                code=state.code,
                name=state.name_in(),
                status=label(state.status),
            ),
        )
    return state


class FreshnessView(ProtectedView, BaseView):
    """Secretariat only (ProtectedView's default rule)."""

    @expose("/")
    def index(self) -> str:
        return self.render("oas_admin/freshness.html", rows=freshness_by_state())

    @expose("/preview/")
    def preview(self) -> str:
        state = participating_state(request.args.get("member_state"))
        entries = due_entries(state.code)
        focal, alternates = recipients(state.code)
        message = body = None
        if entries and focal:
            message = message_for(state, entries, focal[0], alternates)
            body = message.get_body(("plain",))
        return self.render(
            "oas_admin/freshness_preview.html",
            state=state,
            entries=entries,
            focal=focal,
            alternates=alternates,
            message=message,
            text=LINK_TOKEN.sub(LINK_PLACEHOLDER, body.get_content()) if body is not None else "",
            language=recipient_language(state, focal[0]) if focal else None,
        )

    @expose("/send/", methods=("POST",))
    def send(self) -> Response:
        state = participating_state(request.form.get("member_state"))
        code = state.code
        try:
            outcome = send_reminders(member_state=code)
        except mail.MailServerUnavailableError as error:
            flash(
                _(
                    "%(code)s: the mail server cannot be reached (%(error)s). Nothing more was "
                    "sent; try again later.",
                    code=code,
                    error=str(error),
                ),
                "error",
            )
            return redirect(url_for(".index"))
        for line in outcome.lines:
            flash(line, "error" if line in outcome.problems else "info")
        if not mail.configured():
            flash(
                _(
                    "No MAIL_SERVER: messages were written under %(folder)s.",
                    folder=mail.outbox_dir(),
                ),
                "info",
            )
        flash(
            ngettext(
                "%(code)s: %(num)d message sent, %(skipped)s entries with nobody to remind, "
                "%(bounced)s bounced.",
                "%(code)s: %(num)d messages sent, %(skipped)s entries with nobody to remind, "
                "%(bounced)s bounced.",
                outcome.sent,
                code=code,
                skipped=format_decimal(outcome.skipped),
                bounced=format_decimal(len(outcome.bounced)),
            ),
            "success" if outcome.sent else "info",
        )
        return redirect(url_for(".index"))
