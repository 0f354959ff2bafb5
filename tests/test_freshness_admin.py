"""Keeping the directory fresh from the admin: the secretariat's Freshness view and campaigns
for one state (preview, then send through a real SMTP server on loopback), a focal point's
home page with one-click re-confirmation, completeness by the five criteria, bounced addresses
shown to those who may see them and never to partners."""

from __future__ import annotations

import html
import re
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from service.audit.models import AuditEntry
from service.core.db import db
from service.directory.models import (
    Authority,
    Channel,
    ChannelType,
    ContactPoint,
    VerifiedVia,
)
from service.reminders import campaigns
from service.reminders.models import ReminderSent

from .directory_fixtures import demo_contact
from .fixtures.oidc import _free_port
from .test_reminders import english_reminders

TOKEN = re.compile(r"/reconfirm/(all/)?(<signed when sent>|[A-Za-z0-9_.\-]+)")
WORKING_LINK = re.compile(r"/reconfirm/(all/)?[A-Za-z0-9_.\-]{20,}")


def text(response) -> str:
    return html.unescape(response.get_data(as_text=True))


def csrf_in(page: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)


def row_of(page: str, table: str, state: str) -> str:
    section = re.search(rf'id="{table}".*?</table>', page, re.S).group(0)
    return re.search(rf'data-state="{state}"[^>]*>(.*?)</tr>', section, re.S).group(1)


def cell(row: str, css: str) -> str:
    found = re.search(rf'<td class="[^"]*\b{css}\b[^"]*">(.*?)</td>', row, re.S).group(1)
    return re.sub(r"<[^>]+>", "", found).strip()


@pytest.fixture
def focal_ar(app, session, login):
    test_client = app.test_client()
    login(test_client, "focal_point", "AR")
    return test_client


def due_keys(state: str) -> set[tuple[str, int]]:
    return {(e.type, e.entry.id) for e in campaigns.due_entries(state, respect_interval=False)}


def an_email_channel(state: str) -> Channel:
    return db.session.scalars(
        sa.select(Channel)
        .join(Channel.contact_point)
        .join(ContactPoint.authority)
        .where(Authority.member_state_code == state, Channel.type == ChannelType.EMAIL)
        .order_by(Channel.id)
    ).first()


# -- the Freshness view ---------------------------------------------------------------------


def test_the_freshness_view_shows_each_participating_states_figures(secretariat):
    due_before = len(due_keys("AR"))
    confirmed = demo_contact("demo-ar-focal")
    confirmed.last_verified_at = datetime.now(UTC) - timedelta(days=3)
    confirmed.verified_via = VerifiedVia.EMAIL_LINK
    bounced = an_email_channel("AR")
    bounced.bounced_at = datetime.now(UTC)
    db.session.add(
        ReminderSent(
            member_state_code="AR",
            entry_type="contact",
            entry_id=confirmed.id,
            entry_version=confirmed.version,
            recipient="someone@example.org",
            message_id="<x@example.org>",
            sent_at=datetime(2026, 3, 4, 5, 6, tzinfo=UTC),
        )
    )
    db.session.commit()

    page = text(secretariat.get("/admin/freshness/"))

    ar = row_of(page, "freshness", "AR")
    assert cell(ar, "due") == str(due_before - 1) == str(len(due_keys("AR")))
    assert cell(ar, "last-reminder") == "2026-03-04 05:06 UTC"
    assert cell(ar, "email-confirmations") == "1"
    assert bounced.value in cell(ar, "bounced") and "bounced" in ar
    br = row_of(page, "freshness", "BR")
    assert cell(br, "last-reminder") == "never"
    assert cell(br, "email-confirmations") == "0"
    assert cell(br, "bounced") == "—"
    # states that do not take part are nobody's campaign
    assert 'data-state="CU"' not in page and 'data-state="NI"' not in page


def test_focal_points_may_not_open_the_freshness_view_or_start_a_campaign(focal_ar, mailbox):
    assert focal_ar.get("/admin/freshness/").status_code == 403
    assert focal_ar.get("/admin/freshness/preview/?member_state=AR").status_code == 403
    page = text(focal_ar.get("/admin/"))
    sent = focal_ar.post(
        "/admin/freshness/send/", data={"member_state": "AR", "csrf_token": csrf_in(page)}
    )
    assert sent.status_code == 403
    assert mailbox.messages == []
    assert db.session.scalars(sa.select(ReminderSent)).all() == []


def test_a_campaign_for_one_state_is_previewed_then_sent_as_shown(secretariat, mailbox):
    english_reminders("AR")
    due = campaigns.due_entries("AR")
    focal, alternates = campaigns.recipients("AR")
    assert due and focal

    preview = secretariat.get("/admin/freshness/preview/?member_state=AR")
    assert preview.status_code == 200
    page = text(preview)
    assert mailbox.messages == []  # a preview sends nothing
    subject = re.search(r'class="subject">(.*?)<', page).group(1)
    assert re.search(r'class="to">(.*?)<', page).group(1) == focal[0]
    shown_body = re.search(r'<pre class="card-body mb-0 body"[^>]*>(.*?)</pre>', page, re.S).group(
        1
    )
    for entry in due:
        assert entry.label in shown_body
    assert shown_body.count("Still correct:") == len(due)
    # no working link in a preview: it would re-confirm in the focal point's name
    assert not WORKING_LINK.search(page)

    done = secretariat.post(
        "/admin/freshness/send/",
        data={"member_state": "AR", "csrf_token": csrf_in(page)},
        follow_redirects=True,
    )

    assert done.status_code == 200
    after = text(done)
    assert f"AR: sent {len(due)} entries to {focal[0]}" in after
    assert f"AR: {len(focal)} message" in after
    assert sorted(m["To"] for m in mailbox.messages) == sorted(focal)
    [received] = mailbox.to(focal[0])
    assert received["Subject"].strip() == subject  # (the header is folded: a long line)
    assert received["Cc"] == (", ".join(alternates) or None)
    received_body = received.get_body(("plain",)).get_content()

    # the same email, but for its links' fresh signatures
    def same(body: str) -> str:
        return TOKEN.sub(r"/reconfirm/\1TOKEN", body.replace("\r\n", "\n")).strip()

    assert same(received_body) == same(shown_body)
    assert len(db.session.scalars(sa.select(ReminderSent)).all()) == len(due) * len(focal)
    # only Argentina: no other state was reminded
    assert {r.member_state_code for r in db.session.scalars(sa.select(ReminderSent))} == {"AR"}
    # the freshness view now says when
    row = row_of(text(secretariat.get("/admin/freshness/")), "freshness", "AR")
    assert cell(row, "last-reminder") != "never"


def test_a_campaign_needs_the_pages_csrf_token(secretariat, mailbox):
    refused = secretariat.post("/admin/freshness/send/", data={"member_state": "AR"})
    assert refused.status_code == 400
    assert mailbox.messages == []


def test_a_mail_server_that_is_down_is_said_in_a_flash_not_a_500(app, secretariat):
    saved = {k: app.config[k] for k in ("MAIL_SERVER", "MAIL_PORT")}
    app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=_free_port())  # nobody listens
    try:
        page = text(secretariat.get("/admin/freshness/preview/?member_state=AR"))
        done = secretariat.post(
            "/admin/freshness/send/",
            data={"member_state": "AR", "csrf_token": csrf_in(page)},
            follow_redirects=True,
        )
    finally:
        app.config.update(saved)
    assert done.status_code == 200
    assert "the mail server cannot be reached" in text(done)
    assert db.session.scalars(sa.select(ReminderSent)).all() == []


def test_no_campaign_for_a_state_that_does_not_take_part_or_does_not_exist(secretariat):
    withdrawn = secretariat.get("/admin/freshness/preview/?member_state=NI")
    assert withdrawn.status_code == 409
    assert "does not take part" in text(withdrawn)
    assert secretariat.get("/admin/freshness/preview/?member_state=ZZ").status_code == 404
    assert secretariat.get("/admin/freshness/preview/").status_code == 404


# -- a focal point's home page ----------------------------------------------------------------


def entry_values(page: str) -> list[str]:
    return re.findall(r'name="entry" value="([^"]+)"', page)


def test_a_focal_point_re_confirms_one_due_entry_from_the_home_page(focal_ar):
    due = due_keys("AR")
    page = text(focal_ar.get("/admin/"))
    assert "Your state's entries due for re-confirmation" in page
    single = re.findall(
        r'<form method="post" action="/admin/reconfirm/" class="d-inline">.*?'
        r'name="entry" value="([^"]+)"',
        page,
        re.S,
    )
    assert {(k.split(":")[0], int(k.split(":")[1])) for k in single} == due
    chosen = next(k for k in single if k.startswith("contact:"))
    contact_id = int(chosen.split(":")[1])

    done = focal_ar.post(
        "/admin/reconfirm/",
        data={"entry": chosen, "csrf_token": csrf_in(page)},
        follow_redirects=True,
    )

    assert "Re-confirmed as still correct: 1 entry." in text(done)
    db.session.expire_all()
    contact = db.session.get(ContactPoint, contact_id)
    assert contact.last_verified_at is not None
    assert contact.verified_via == VerifiedVia.ADMIN
    assert due_keys("AR") == due - {("contact", contact_id)}
    [audit] = db.session.scalars(
        sa.select(AuditEntry).where(
            AuditEntry.entity_type == "contact_points",
            AuditEntry.entity_id == str(contact_id),
            AuditEntry.action == "verify",
        )
    ).all()
    assert audit.actor_type.value == "user"
    # the same button again: the entry is no longer due, nothing more happens
    again = focal_ar.post(
        "/admin/reconfirm/",
        data={"entry": chosen, "csrf_token": csrf_in(page)},
        follow_redirects=True,
    )
    assert "left as it is" in text(again)


def test_a_focal_point_re_confirms_all_due_entries_at_once(focal_ar):
    page = text(focal_ar.get("/admin/"))
    form = re.search(r'<form[^>]*id="reconfirm-all">(.*?)</form>', page, re.S).group(1)
    assert len(entry_values(form)) == len(due_keys("AR")) > 1

    done = focal_ar.post(
        "/admin/reconfirm/",
        data={"entry": entry_values(form), "csrf_token": csrf_in(page)},
        follow_redirects=True,
    )

    shown = text(done)
    assert f"Re-confirmed as still correct: {len(entry_values(form))} entries." in shown
    assert due_keys("AR") == set()
    assert "Your state's entries due for re-confirmation" not in shown


def test_an_entry_changed_since_the_page_was_shown_is_not_re_confirmed(focal_ar):
    page = text(focal_ar.get("/admin/"))
    chosen = next(k for k in entry_values(page) if k.startswith("contact:"))
    contact = db.session.get(ContactPoint, int(chosen.split(":")[1]))
    contact.position = "Someone else now"
    db.session.commit()  # a new version
    done = focal_ar.post(
        "/admin/reconfirm/",
        data={"entry": chosen, "csrf_token": csrf_in(page)},
        follow_redirects=True,
    )
    assert "left as it is" in text(done)
    db.session.expire_all()
    assert db.session.get(ContactPoint, contact.id).last_verified_at is None


def test_a_focal_point_cannot_re_confirm_another_states_entries(app, session, login):
    brazil = app.test_client()
    login(brazil, "focal_point", "BR")
    page = text(brazil.get("/admin/"))
    ar_entry = campaigns.due_entries("AR", respect_interval=False)[0]
    key = f"{ar_entry.type}:{ar_entry.entry.id}:{ar_entry.entry.version}"
    done = brazil.post(
        "/admin/reconfirm/", data={"entry": key, "csrf_token": csrf_in(page)}, follow_redirects=True
    )
    assert "left as it is" in text(done)
    assert (ar_entry.type, ar_entry.entry.id) in due_keys("AR")


def test_re_confirming_needs_the_pages_csrf_token(focal_ar):
    page = text(focal_ar.get("/admin/"))
    refused = focal_ar.post("/admin/reconfirm/", data={"entry": entry_values(page)})
    assert refused.status_code == 400
    assert len(due_keys("AR")) == len(set(entry_values(page)))


# -- completeness on the dashboard ------------------------------------------------------------


def test_the_dashboard_shows_the_five_criteria_and_states_not_taking_part_apart(secretariat, api):
    reports = {
        r["member_state"]: r for r in api.get("/api/v1/member-states/completeness").get_json()
    }
    page = text(secretariat.get("/admin/"))
    for code in ("AR", "BR"):
        row = row_of(page, "completeness", code)
        for name, criterion in reports[code]["criteria"].items():
            shown = re.search(rf'<td class="(ok|gap)" data-criterion="{name}">', row).group(1)
            assert shown == ("ok" if criterion["met"] else "gap"), (code, name)
        share = reports[code]["criteria"]["freshness"]["share"]
        assert f"{share * 100:.0f}% of" in row
    assert 'data-criterion="investigative_24_7">✘' in row_of(page, "completeness", "BR")
    for code in ("CU", "NI"):  # not gaps: apart, with their dated, sourced note
        completeness_table = re.search(r'id="completeness".*?</table>', page, re.S).group(0)
        assert f'data-state="{code}"' not in completeness_table
        row = row_of(page, "not-participating", code)
        assert reports[code]["status_note"][:40] in row
        assert reports[code]["status_source"][:40] in row
        assert reports[code]["status_date"] in row


# -- bounced addresses ------------------------------------------------------------------------


def test_bounced_addresses_show_to_the_secretariat_and_the_states_focal_points_only(
    app, secretariat, focal_ar, login, api
):
    channel = an_email_channel("AR")
    channel.bounced_at = datetime.now(UTC)
    db.session.commit()
    contact_id = channel.contact_point_id
    badge = 'class="badge badge-danger"'

    shown = secretariat.get(f"/admin/contactpoint/details/?id={contact_id}")
    assert badge in shown.get_data(as_text=True)
    assert badge in focal_ar.get(f"/admin/contactpoint/details/?id={contact_id}").get_data(
        as_text=True
    )
    assert "Reminders bounced from" in text(focal_ar.get("/admin/"))
    brazil = app.test_client()
    login(brazil, "focal_point", "BR")
    other = brazil.get(f"/admin/network_contact/details/?id={contact_id}")
    assert other.status_code == 200 and channel.value in text(other)
    assert badge not in other.get_data(as_text=True)

    # partners never see it: not in the contact, not in lists, not in the API's description
    partner = api.get(f"/api/v1/contacts/{contact_id}")
    assert partner.status_code == 200
    assert "bounced" not in partner.get_data(as_text=True)
    assert "bounced" not in api.get("/api/v1/contacts?member_state=AR").get_data(as_text=True)
    listed = api.get("/api/v1/contacts?member_state=AR")
    assert listed.status_code == 200 and channel.value in listed.get_data(as_text=True)
    spec = api.get("/openapi.json")
    assert spec.status_code == 200 and "ContactPoint" in spec.get_data(as_text=True)
    assert "bounced" not in spec.get_data(as_text=True)
