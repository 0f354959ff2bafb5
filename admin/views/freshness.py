"""The secretariat's "Freshness" view: per participating state, entries due, the last reminder,
confirmations by email link, bounced addresses; and a re-confirmation campaign for one state,
started after a preview of the exact email."""

from __future__ import annotations

import re

from flask import abort, flash, redirect, request, url_for
from flask_admin import BaseView, expose
from werkzeug.wrappers.response import Response

from admin.views.base import ProtectedView
from service.core.db import db
from service.directory.models import MemberState, MemberStateStatus
from service.reminders import mail
from service.reminders.campaigns import due_entries, message_for, recipients, send_reminders
from service.reminders.freshness import freshness_by_state

# A preview never carries working links: they would re-confirm in the focal point's name.
LINK_TOKEN = re.compile(r"(/reconfirm/(?:all/)?)[A-Za-z0-9_.\-]+")
LINK_PLACEHOLDER = r"\1<signed when sent>"


def participating_state(code: str | None) -> MemberState:
    """The member state named in the request: one that takes part, or a clear refusal."""
    code = (code or "").strip().upper()
    state = db.session.get(MemberState, code) if len(code) == 2 and code.isalpha() else None
    if state is None:
        abort(404, description=f"There is no member state {code[:10]!r}.")
    if state.status != MemberStateStatus.ACTIVE:
        abort(
            409,
            description=f"{state.code} · {state.name_en} does not take part "
            f"({state.status.value}): nobody is reminded.",
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
        )

    @expose("/send/", methods=("POST",))
    def send(self) -> Response:
        state = participating_state(request.form.get("member_state"))
        code = state.code
        try:
            outcome = send_reminders(member_state=code)
        except mail.MailServerUnavailableError as error:
            flash(
                f"{code}: the mail server cannot be reached ({error}). Nothing more was sent; "
                "try again later.",
                "error",
            )
            return redirect(url_for(".index"))
        for line in outcome.lines:
            flash(line, "error" if " bounced " in line or "not accepted" in line else "info")
        if not mail.configured():
            flash(f"No MAIL_SERVER: messages were written under {mail.outbox_dir()}.", "info")
        flash(
            f"{code}: {outcome.sent} message{'' if outcome.sent == 1 else 's'} sent, "
            f"{outcome.skipped} entries with nobody to remind, {len(outcome.bounced)} bounced.",
            "success" if outcome.sent else "info",
        )
        return redirect(url_for(".index"))
