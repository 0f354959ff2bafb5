"""`flask reminders ...`: re-confirmation campaigns by email, and the secretariat's digest."""

from __future__ import annotations

import click
from flask.cli import with_appcontext

from service.reminders import mail
from service.reminders.campaigns import send_reminders
from service.reminders.digest import write_digest


@click.group()
def reminders() -> None:
    """Remind focal points to re-confirm their state's entries."""


@reminders.command("send")
@click.option("--member-state", default=None, help="Only this state (ISO alpha-2).")
@click.option("--dry-run", is_flag=True, help="Say what would be sent; send nothing.")
@with_appcontext
def send(member_state: str | None, dry_run: bool) -> None:
    """Emails every state's focal points the entries due (run it from cron, e.g. daily)."""
    try:
        outcome = send_reminders(member_state.upper() if member_state else None, dry_run)
    except mail.MailServerUnavailableError as error:
        raise click.ClickException(
            f"the mail server cannot be reached ({error}); nothing more was sent, run again later"
        ) from None
    for line in outcome.lines:
        click.echo(line)
    if not mail.configured():
        click.echo(f"no MAIL_SERVER: messages were written under {mail.outbox_dir()}")
    click.echo(
        f"{outcome.sent} messages sent, {outcome.skipped} entries with nobody to remind, "
        f"{len(outcome.bounced)} bounced"
    )


@reminders.command("digest")
@with_appcontext
def digest() -> None:
    """Prints the secretariat's digest (and remembers it, to tell what changed next time)."""
    for line in write_digest():
        click.echo(line)
