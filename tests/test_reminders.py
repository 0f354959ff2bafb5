"""A living directory: completeness that means someone can be reached, and re-confirmation
campaigns by email through a real SMTP server on loopback (aiosmtpd), parsed with the
standard library, with one-click links that change exactly what they say."""

from __future__ import annotations

import email
import re
import threading
from email import policy

import pytest
import sqlalchemy as sa
from click.testing import CliRunner
from itsdangerous import TimestampSigner

from service.audit.models import AuditEntry
from service.core.db import db
from service.directory.models import Channel, ContactPoint, ContactRole, MemberState
from service.reminders import campaigns
from service.reminders.models import ReminderSent

from .directory_fixtures import demo_authority, demo_contact
from .fixtures.oidc import _free_port

LINK = re.compile(r"http://127\.0\.0\.1:5000(/reconfirm/(?:all/)?[A-Za-z0-9_.\-]+)")


def run(app, *args: str):
    return CliRunner().invoke(app.cli, ["reminders", *args], catch_exceptions=False)


def body(message) -> str:
    return message.get_body(("plain",)).get_content()


def links_in(message) -> list[str]:
    return LINK.findall(body(message))


def english_reminders(state: str) -> None:
    """The wording these tests count is the English one: Argentina's focal points would read
    Spanish, its default language (tests/test_i18n.py checks the languages of reminders)."""
    db.session.get(MemberState, state).default_language = "en"
    db.session.commit()


def due_of(state: str) -> list[campaigns.DueEntry]:
    return campaigns.due_entries(state, respect_interval=False)


# -- campaigns --------------------------------------------------------------------------------


def test_a_campaign_sends_each_focal_point_one_message_with_a_link_per_due_entry(
    app, session, mailbox
):
    english_reminders("AR")
    due = due_of("AR")
    focal, alternates = campaigns.recipients("AR")
    assert due and focal

    result = run(app, "send", "--member-state", "AR")

    assert result.exit_code == 0, result.output
    assert sorted(m["To"] for m in mailbox.messages) == sorted(focal)
    for message in mailbox.messages:
        assert message["Cc"] == ", ".join(alternates)
        assert message["Auto-Submitted"] == "auto-generated"
        assert message["Message-ID"] and message["List-Id"]
        assert message.get_body(("html",)) is not None
        found = links_in(message)
        assert len([u for u in found if "/all/" not in u]) == len(due)
        assert len([u for u in found if "/all/" in u]) == 1
        assert body(message).count("Make changes:") == len(due)
    sent = db.session.scalars(sa.select(ReminderSent)).all()
    assert len(sent) == len(due) * len(focal)
    assert "sent" in result.output


def test_a_second_run_within_the_interval_sends_nothing(app, session, mailbox):
    assert run(app, "send", "--member-state", "AR").exit_code == 0
    first = len(mailbox.messages)
    again = run(app, "send", "--member-state", "AR")
    assert again.exit_code == 0
    assert len(mailbox.messages) == first > 0


def test_a_dry_run_sends_and_records_nothing(app, session, mailbox):
    result = run(app, "send", "--member-state", "AR", "--dry-run")
    assert result.exit_code == 0
    assert "would send" in result.output
    assert mailbox.messages == []
    assert db.session.scalars(sa.select(ReminderSent)).all() == []


def test_following_a_link_and_confirming_changes_exactly_that_entry(app, session, mailbox, api):
    run(app, "send", "--member-state", "AR")
    focal = campaigns.recipients("AR")[0][0]
    [message] = mailbox.to(focal)
    contact = demo_contact("demo-ar-focal")
    others = {c.id: c.last_verified_at for c in db.session.scalars(sa.select(ContactPoint))}
    token_url = next(u for u in links_in(message) if _entry_of(app, u) == ("contact", contact.id))
    browser = app.test_client()

    shown = browser.get(token_url)  # what a mail scanner's prefetch does: nothing changes
    assert shown.status_code == 200
    page = shown.get_data(as_text=True)
    assert contact.name in page and "Yes, it is still correct" in page
    db.session.expire_all()
    assert db.session.get(ContactPoint, contact.id).last_verified_at is None

    csrf = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    done = browser.post(token_url, data={"csrf_token": csrf})
    assert done.status_code == 200, done.get_data(as_text=True)
    assert "re-confirmed" in done.get_data(as_text=True)

    shown_by_api = api.get(f"/api/v1/contacts/{contact.id}").get_json()
    assert shown_by_api["last_verified_at"] is not None
    assert shown_by_api["verified_via"] == "email_link"
    assert shown_by_api["last_verified_by"] == focal
    db.session.expire_all()
    for other in db.session.scalars(sa.select(ContactPoint)):
        if other.id != contact.id:
            assert other.last_verified_at == others[other.id]
    [entry] = db.session.scalars(
        sa.select(AuditEntry).where(
            AuditEntry.entity_type == "contact_points",
            AuditEntry.entity_id == str(contact.id),
            AuditEntry.action == "verify",
        )
    ).all()
    assert entry.actor_type.value == "email_link"
    assert entry.actor_label == f"email link ({focal})"

    again = browser.post(token_url, data={"csrf_token": csrf})  # used: nothing changes
    assert again.status_code == 409


def _entry_of(app, url: str):
    from service.reminders import links

    with app.test_request_context():
        ref, _ = links.read_entry_token(url.rsplit("/", 1)[1]) if "/all/" not in url else (None, 0)
    return (ref.type, ref.id) if ref else None


def test_the_all_link_confirms_every_listed_entry_still_unchanged(app, session, mailbox, writer):
    run(app, "send", "--member-state", "AR")
    focal = campaigns.recipients("AR")[0][0]
    [message] = mailbox.to(focal)
    all_url = next(u for u in links_in(message) if "/all/" in u)
    # one entry changes after the email: it is left out, the rest are confirmed
    changed = demo_contact("demo-ar-24-7")
    url = f"/api/v1/contacts/{changed.id}"
    etag = writer.get(url).headers["ETag"]
    assert (
        writer.patch(
            url, json={"position": "Guardia nueva"}, headers={"If-Match": etag}
        ).status_code
        == 200
    )
    browser = app.test_client()
    page = browser.get(all_url).get_data(as_text=True)
    assert "left out" in page
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    done = browser.post(all_url, data={"csrf_token": csrf})
    assert done.status_code == 200
    db.session.expire_all()
    due_now = {(e.type, e.entry.id) for e in due_of("AR")}
    assert due_now == {("contact", changed.id)}


def test_expired_tampered_and_stale_links_change_nothing(app, session, mailbox, writer):
    run(app, "send", "--member-state", "AR")
    focal = campaigns.recipients("AR")[0][0]
    [message] = mailbox.to(focal)
    contact = demo_contact("demo-ar-focal")
    link = next(u for u in links_in(message) if _entry_of(app, u) == ("contact", contact.id))
    browser = app.test_client()

    tampered = link[:-3] + ("aaa" if not link.endswith("aaa") else "bbb")
    assert browser.get(tampered).status_code == 404
    assert browser.get("/reconfirm/not-a-token").status_code == 404

    old_timestamp = TimestampSigner.get_timestamp
    try:
        TimestampSigner.get_timestamp = lambda self: old_timestamp(self) - 15 * 86400
        with app.test_request_context():
            from service.reminders import links

            expired = links.entry_token(
                links.EntryRef("contact", contact.id, contact.version), focal
            )
    finally:
        TimestampSigner.get_timestamp = old_timestamp
    gone = browser.get(f"/reconfirm/{expired}")
    assert gone.status_code == 410
    assert "expired" in gone.get_data(as_text=True)

    url = f"/api/v1/contacts/{contact.id}"
    etag = writer.get(url).headers["ETag"]
    writer.patch(url, json={"position": "Otra persona"}, headers={"If-Match": etag})
    stale = browser.get(link)
    assert stale.status_code == 409
    assert "changed since" in stale.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(ContactPoint, contact.id).last_verified_at is None


def test_a_550_marks_the_address_bounced_and_the_run_goes_on(app, session, mailbox):
    focal = campaigns.recipients("AR")[0]
    assert len(focal) >= 2
    mailbox.refuse[focal[0]] = "550 5.1.1 No such user"
    result = run(app, "send", "--member-state", "AR")
    assert result.exit_code == 0
    assert "bounced" in result.output and focal[0] in result.output
    assert all(focal[0] not in envelope for envelope in mailbox.envelopes)
    assert [m["To"] for m in mailbox.messages if m["To"] != focal[0]] == focal[1:]
    channel = db.session.scalars(
        sa.select(Channel).where(sa.func.lower(Channel.value) == focal[0])
    ).first()
    assert channel.bounced_at is not None
    # nothing recorded as sent to the bounced address: it is not counted as reminded
    assert not db.session.scalars(
        sa.select(ReminderSent).where(ReminderSent.recipient == focal[0])
    ).all()


def test_a_mail_server_that_is_down_stops_the_run_in_one_line_recording_nothing(app, session):
    saved = {k: app.config[k] for k in ("MAIL_SERVER", "MAIL_PORT")}
    app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=_free_port())  # nobody listens
    try:
        result = CliRunner().invoke(app.cli, ["reminders", "send", "--member-state", "AR"])
    finally:
        app.config.update(saved)
    assert result.exit_code != 0
    assert "mail server cannot be reached" in result.output
    assert "Traceback" not in result.output
    assert db.session.scalars(sa.select(ReminderSent)).all() == []


def test_a_state_with_no_focal_point_gets_no_email_and_shows_in_the_digest(app, session, mailbox):
    assert campaigns.recipients("JM")[0]  # Jamaica has one in the demo: take it away
    for contact in db.session.scalars(
        sa.select(ContactPoint).where(ContactPoint.role == ContactRole.FOCAL_POINT)
    ):
        if contact.authority.member_state_code == "JM":
            contact.role = ContactRole.TECHNICAL
    db.session.commit()
    result = run(app, "send", "--member-state", "JM")
    assert "nobody to remind" in result.output
    assert mailbox.messages == []
    digest = run(app, "digest")
    assert digest.exit_code == 0
    line = next(line for line in digest.output.splitlines() if line.startswith("JM "))
    assert "nobody to remind" in line


def test_without_a_mail_server_messages_are_written_as_eml_files(app, session, tmp_path):
    saved = app.config["MAIL_SERVER"]
    app.config["MAIL_SERVER"] = None
    original = app.instance_path
    app.instance_path = str(tmp_path)
    try:
        result = run(app, "send", "--member-state", "AR")
    finally:
        app.instance_path = original
        app.config["MAIL_SERVER"] = saved
    assert result.exit_code == 0
    files = list((tmp_path / "outbox").glob("*.eml"))
    assert files and str(tmp_path / "outbox") in result.output
    parsed = email.message_from_bytes(files[0].read_bytes(), policy=policy.default)
    assert parsed["Auto-Submitted"] == "auto-generated"


def test_two_overlapping_runs_on_postgresql_send_each_reminder_once(app, dialect, mailbox):
    if dialect != "postgresql":
        pytest.skip("overlapping runs are a PostgreSQL deployment (advisory locks)")
    outputs = []

    def one_run():
        with app.app_context():
            outputs.append(campaigns.send_reminders())
            db.session.remove()

    try:
        threads = [threading.Thread(target=one_run) for _ in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=120)
        with app.app_context():
            sent = db.session.execute(
                sa.select(ReminderSent.entry_type, ReminderSent.entry_id, ReminderSent.recipient)
            ).all()
        assert len(sent) == len(set(sent)) > 0  # each (entry, recipient) reminded once
        recipients = [m["To"] for m in mailbox.messages]
        assert len(recipients) == len(set(recipients))
        assert sum(o.sent for o in outputs) == len(mailbox.messages)
    finally:
        with app.app_context():
            db.session.execute(sa.delete(ReminderSent))
            db.session.commit()
            db.session.remove()


# -- completeness -------------------------------------------------------------------------------


def test_a_state_whose_only_24_7_contact_is_a_public_hotline_misses_criterion_4(session, api):
    for contact in db.session.scalars(
        sa.select(ContactPoint).where(ContactPoint.role == ContactRole.OPERATIONAL_24_7)
    ):
        if contact.authority.member_state_code == "AR":
            contact.role = ContactRole.PUBLIC_HOTLINE
    db.session.commit()
    report = api.get("/api/v1/member-states/AR/completeness").get_json()
    assert report["criteria"]["investigative_24_7"] == {"met": False, "entries": []}
    assert "investigative_24_7" in report["gaps"]
    assert report["complete"] is False
    hotlines = api.get("/api/v1/contacts?role=public_hotline&member_state=AR").get_json()
    assert hotlines  # listed and searchable


def test_every_criterion_is_reported_with_its_entries(api):
    report = api.get("/api/v1/member-states/AR/completeness").get_json()
    assert set(report["criteria"]) == {
        "coordinating_authority",
        "focal_point",
        "victim_assistance",
        "investigative_24_7",
        "freshness",
    }
    assert report["criteria"]["coordinating_authority"]["entries"] == [
        demo_authority("demo-ar-coordination").id
    ]
    assert demo_contact("demo-ar-focal").id in report["criteria"]["focal_point"]["entries"]
    # nothing in the demo was ever re-confirmed: not fresh, so not complete
    assert report["criteria"]["freshness"]["met"] is False
    assert report["complete"] is False


def test_a_withdrawn_state_is_not_counted_and_read_only_but_for_the_secretariat(
    session, api, bearer, app
):
    state = db.session.get(MemberState, "NI")
    assert state.status.value == "withdrawn" and state.status_source
    report = api.get("/api/v1/member-states/NI/completeness").get_json()
    assert report["participating"] is False
    assert report["complete"] is None and report["gaps"] == []
    assert report["status_note"] and report["status_source"]
    writer_ni = app.test_client()
    writer_ni.environ_base["HTTP_AUTHORIZATION"] = bearer(
        "directory:read directory:write", member_state="NI"
    )["Authorization"]
    refused = writer_ni.post(
        "/api/v1/authorities",
        json={"member_state": "NI", "name": "Nueva autoridad", "kind": "police"},
    )
    assert refused.status_code == 403
    assert "withdrawn" in refused.get_json()["detail"]


def test_due_lists_entries_needing_re_confirmation(api, writer):
    due = api.get("/api/v1/contacts?due=true&member_state=AR&page_size=100").get_json()
    contact = demo_contact("demo-ar-focal")
    assert contact.id in {c["id"] for c in due}
    url = f"/api/v1/contacts/{contact.id}"
    writer.post(f"{url}/verify", headers={"If-Match": writer.get(url).headers["ETag"]})
    again = api.get("/api/v1/contacts?due=true&member_state=AR&page_size=100").get_json()
    assert contact.id not in {c["id"] for c in again}
    shown = api.get(url).get_json()
    assert shown["verified_via"] == "api"
    authorities = api.get("/api/v1/authorities?due=true&member_state=AR").get_json()
    assert authorities
