"""The secretariat starts a re-confirmation campaign for one state in a real browser: the
Freshness view, the preview of the exact email, the send, the SMTP server receiving it."""

import re

import pytest
import sqlalchemy as sa
from playwright.sync_api import expect

from service.directory.models import MemberState
from service.reminders.models import ReminderSent

from .test_admin_browser import database, secretariat_person, shots, sign_in  # noqa: F401


@pytest.fixture
def no_reminders_for_ar(app):
    """The live server commits what it sends: Argentina's reminders are removed afterwards.
    Its focal points read English here (Argentina's default language, Spanish, is restored
    afterwards; tests/test_i18n.py checks the reminders' languages)."""
    with database(app) as session:
        state = session.get(MemberState, "AR")
        default, state.default_language = state.default_language, "en"
        session.commit()
    yield
    with database(app) as session:
        session.execute(sa.delete(ReminderSent).where(ReminderSent.member_state_code == "AR"))
        session.get(MemberState, "AR").default_language = default
        session.commit()


@pytest.mark.usefixtures("secretariat_person", "no_reminders_for_ar")
def test_the_secretariat_previews_then_sends_a_campaign_for_one_state(
    live_server, page, mailbox, output_path
):
    sign_in(page, live_server, "admin@example.org", "secret-admin")
    page.goto(f"{live_server}/admin/freshness/")
    row = page.locator('table#freshness tr[data-state="AR"]')
    expect(row).to_be_visible()
    row.get_by_role("link", name="Preview campaign").click()

    expect(page.get_by_role("heading", name=re.compile("Argentina"))).to_be_visible()
    subject = page.locator("#preview .subject").inner_text()
    to = page.locator("#preview .to").inner_text()
    expect(page.locator("#preview pre")).to_contain_text("Still correct:")
    page.screenshot(path=str(shots(output_path) / "freshness-preview.png"), full_page=True)
    assert mailbox.messages == []  # the preview sent nothing

    page.get_by_role("button", name=re.compile(r"^Send to \d+ focal point")).click()

    page.wait_for_url(f"{live_server}/admin/freshness/")
    expect(page.locator(".alert").filter(has_text=f"to {to}").first).to_be_visible()
    received = mailbox.to(to)
    assert len(received) == 1
    assert received[0]["Subject"].strip() == subject
    expect(row.locator("td.last-reminder")).not_to_have_text("never")
    page.screenshot(path=str(shots(output_path) / "freshness-sent.png"), full_page=True)
