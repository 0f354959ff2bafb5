"""Webhooks: partners register endpoints and get signed, thin events from a transactional
outbox, delivered at least once, in order, with retries, to a real HTTP receiver on loopback
that verifies signatures with the `standardwebhooks` package, as a partner would."""

from __future__ import annotations

import json
import re
import socket
import threading
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import sqlalchemy as sa
from click.testing import CliRunner
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from service.audit.log import record, snapshot
from service.audit.models import AuditAction
from service.core.db import db
from service.oauth.models import ApiClient
from service.webhooks import delivery
from service.webhooks.models import WebhookDelivery, WebhookEndpoint, WebhookEvent
from service.webhooks.signing import encrypt, new_secret

from .directory_fixtures import demo_contact

URL = "/api/v1/webhook-endpoints"


class Receiver:
    """A partner's webhook receiver: records every POST, answers the scripted statuses."""

    def __init__(self):
        self.received: list[dict] = []
        self.statuses: list[int] = []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                outer.received.append(
                    {"headers": {k.lower(): v for k, v in self.headers.items()}, "body": body}
                )
                status = outer.statuses.pop(0) if outer.statuses else 200
                self.send_response(status)
                if 300 <= status < 400:
                    self.send_header("Location", "http://127.0.0.1:9/elsewhere")
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hooks?source=oas"
        # shutdown() waits for serve_forever's next poll: 0.5 s by default, per test
        self.thread = threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )

    def events(self, secret: str) -> list[dict]:
        """Every body received, after verifying its signature as a partner would."""
        verified = []
        for message in self.received:
            verified.append(Webhook(secret).verify(message["body"], message["headers"]))
        return verified


@pytest.fixture
def receiver():
    receiver = Receiver()
    receiver.thread.start()
    try:
        yield receiver
    finally:
        receiver.server.shutdown()
        receiver.server.server_close()
        receiver.thread.join(timeout=10)


@pytest.fixture
def allow_loopback(app):
    app.config["WEBHOOK_ALLOW_PRIVATE"] = True
    yield
    app.config["WEBHOOK_ALLOW_PRIVATE"] = False


@pytest.fixture
def partner(app, session, bearer, allow_loopback):
    """A partner system (directory and work-plan reader) with its own test client."""
    test_client = app.test_client()
    test_client.environ_base["HTTP_AUTHORIZATION"] = bearer()["Authorization"]
    return test_client


def register(test_client, url: str, **fields) -> dict:
    response = test_client.post(URL, json={"url": url, **fields})
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def edit_contact(writer, key: str, **changes):
    contact = demo_contact(key)
    url = f"/api/v1/contacts/{contact.id}"
    etag = writer.get(url).headers["ETag"]
    response = writer.patch(url, json=changes, headers={"If-Match": etag})
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def test_a_contact_edit_reaches_the_partner_once_signed_and_thin(partner, writer, receiver):
    endpoint = register(partner, receiver.url, description="our mirror")
    assert endpoint["secret"].startswith("whsec_")
    edited = edit_contact(writer, "demo-ar-focal", position="Coordinadora nacional (nueva)")

    delivered, failed = delivery.deliver_due()

    assert (delivered, failed) == (1, 0)
    [event] = receiver.events(endpoint["secret"])
    assert event["type"] == "contact.updated"
    assert event["data"] == {
        "id": edited["id"],
        "version": demo_contact("demo-ar-focal").version,
        "url": f"/api/v1/contacts/{edited['id']}",
    }
    assert "position" not in json.dumps(event)  # thin: the partner fetches with its token
    headers = receiver.received[0]["headers"]
    assert headers["webhook-id"].startswith("msg_")
    assert headers["webhook-signature"].startswith("v1,")
    # nothing else is due: a second run sends nothing
    assert delivery.deliver_due() == (0, 0)
    assert len(receiver.received) == 1


def test_a_wrong_secret_does_not_verify(partner, writer, receiver):
    register(partner, receiver.url)
    edit_contact(writer, "demo-ar-focal", position="Otra")
    delivery.deliver_due()
    with pytest.raises(WebhookVerificationError):
        receiver.events(new_secret())


def test_a_failed_delivery_is_retried_with_the_same_webhook_id(partner, writer, receiver):
    endpoint = register(partner, receiver.url)
    edit_contact(writer, "demo-ar-focal", position="Reintento")
    receiver.statuses = [500]
    start = datetime.now(UTC)

    assert delivery.deliver_due(now=start) == (0, 1)
    queued = db.session.execute(sa.select(WebhookDelivery)).scalars().one()
    assert queued.status == "pending"
    assert timedelta(seconds=3) < queued.next_attempt_at - start < timedelta(seconds=7)
    assert delivery.deliver_due(now=start + timedelta(seconds=2)) == (0, 0)  # not due yet

    assert delivery.deliver_due(now=start + timedelta(seconds=10)) == (1, 0)
    assert [m["headers"]["webhook-id"] for m in receiver.received] == [queued.message_id] * 2
    log = partner.get(f"{URL}/{endpoint['id']}/deliveries").get_json()
    assert [a["status_code"] for a in log[0]["attempt_log"]] == [500, 200]
    assert log[0]["status"] == "delivered"


def test_a_worker_killed_mid_send_loses_nothing(partner, writer, receiver):
    register(partner, receiver.url)
    edit_contact(writer, "demo-ar-focal", position="Sin pérdida")
    delivery.fan_out()
    now = datetime.now(UTC)
    [due] = delivery.due_deliveries(now, 10)
    assert delivery.claim(due, now)  # the worker claims it ... and is killed before recording

    assert delivery.deliver_due(now=now + timedelta(seconds=5)) == (0, 0)  # still leased
    assert delivery.deliver_due(now=now + delivery.LEASE + timedelta(seconds=1)) == (1, 0)
    assert len(receiver.received) == 1


def test_events_go_out_in_order_per_endpoint(partner, writer, receiver):
    endpoint = register(partner, receiver.url)
    edit_contact(writer, "demo-ar-focal", position="Primero")
    edit_contact(writer, "demo-ar-24-7", position="Segundo")
    receiver.statuses = [503]
    start = datetime.now(UTC)
    delivery.deliver_due(now=start)  # the first fails: the second waits behind it
    assert len(receiver.received) == 1
    delivery.deliver_due(now=start + timedelta(minutes=1))
    ids = [e["data"]["id"] for e in receiver.events(endpoint["secret"])]
    first, second = demo_contact("demo-ar-focal").id, demo_contact("demo-ar-24-7").id
    assert ids == [first, first, second]


def test_a_rolled_back_change_produces_no_event(session):
    contact = demo_contact("demo-ar-focal")
    before_count = db.session.scalar(sa.select(sa.func.count()).select_from(WebhookEvent))
    before = snapshot(contact)
    contact.position = "never committed"
    db.session.flush()
    record(AuditAction.UPDATE, contact, before, snapshot(contact))
    db.session.rollback()
    after_count = db.session.scalar(sa.select(sa.func.count()).select_from(WebhookEvent))
    assert after_count == before_count


def test_a_change_writes_one_outbox_row_in_its_transaction(writer, session):
    count = sa.select(sa.func.count()).select_from(WebhookEvent)
    before = db.session.scalar(count)
    edit_contact(writer, "demo-ar-focal", position="Una fila")
    assert db.session.scalar(count) == before + 1


def test_a_secret_rotation_signs_with_both_secrets_for_a_day(partner, writer, receiver):
    endpoint = register(partner, receiver.url)
    url = f"{URL}/{endpoint['id']}"
    missing = partner.post(f"{url}/rotate-secret")
    assert missing.status_code == 428
    etag = partner.get(url).headers["ETag"]
    rotated = partner.post(f"{url}/rotate-secret", headers={"If-Match": etag})
    assert rotated.status_code == 200
    new = rotated.get_json()["secret"]
    assert new != endpoint["secret"]
    edit_contact(writer, "demo-ar-focal", position="Rotación")
    delivery.deliver_due()
    assert len(receiver.received[0]["headers"]["webhook-signature"].split()) == 2
    assert receiver.events(endpoint["secret"])[0]["type"] == "contact.updated"
    assert receiver.events(new)[0]["type"] == "contact.updated"
    # after the 24-hour overlap, only the new secret signs
    stored = db.session.get(WebhookEndpoint, endpoint["id"])
    assert stored.previous_secret_until - datetime.now(UTC) > timedelta(hours=23)
    stored.previous_secret_until = datetime.now(UTC) - timedelta(seconds=1)
    db.session.commit()
    edit_contact(writer, "demo-ar-focal", position="Rotación 2")
    delivery.deliver_due()
    second = receiver.received[1:]
    receiver.received = second
    assert receiver.events(new)[0]["type"] == "contact.updated"
    with pytest.raises(WebhookVerificationError):
        Webhook(endpoint["secret"]).verify(second[0]["body"], second[0]["headers"])


@pytest.mark.parametrize(
    "url, reason",
    [
        ("http://partner.example.org/hook", "https"),
        ("ftp://partner.example.org/hook", None),
        ("https://user:pw@partner.example.org/hook", "credentials"),
        ("https://127.0.0.1/hook", "not public"),
        ("https://10.1.2.3/hook", "not public"),
        ("https://169.254.169.254/latest/meta-data", "not public"),
        ("https://[::1]/hook", "not public"),
        ("https://[::ffff:192.168.0.1]/hook", None),
    ],
)
def test_a_forbidden_url_is_refused_naming_url(app, session, bearer, url, reason):
    test_client = app.test_client()
    test_client.environ_base["HTTP_AUTHORIZATION"] = bearer()["Authorization"]
    response = test_client.post(URL, json={"url": url})
    assert response.status_code == 422, response.get_json()
    assert response.mimetype == "application/problem+json"
    [error] = response.get_json()["errors"]
    assert error["field"] == "url"
    if reason:
        assert reason in error["message"]


def test_an_address_that_turned_private_is_refused_at_send(partner, writer, receiver, app):
    register(partner, receiver.url)
    app.config["WEBHOOK_ALLOW_PRIVATE"] = False  # as if DNS now pointed at a private address
    edit_contact(writer, "demo-ar-focal", position="Rebinding")
    assert delivery.deliver_due() == (0, 1)
    assert receiver.received == []
    queued = db.session.execute(sa.select(WebhookDelivery)).scalars().one()
    assert "refused" in queued.last_error


def test_an_unknown_or_unreadable_event_type_is_refused(app, session, bearer, allow_loopback):
    test_client = app.test_client()
    test_client.environ_base["HTTP_AUTHORIZATION"] = bearer("directory:read")["Authorization"]
    unknown = test_client.post(URL, json={"url": "http://127.0.0.1:9/", "events": ["x.y"]})
    assert unknown.status_code == 422
    assert "x.y" in unknown.get_json()["errors"][0]["message"]
    unreadable = test_client.post(
        URL, json={"url": "http://127.0.0.1:9/", "events": ["work_plan.approved"]}
    )
    assert unreadable.status_code == 422
    assert unreadable.get_json()["errors"][0]["field"] == "events"
    default = test_client.post(URL, json={"url": "http://127.0.0.1:9/"}).get_json()
    assert "contact.updated" in default["events"]
    assert not any(e.startswith(("work_plan", "activity")) for e in default["events"])


def test_a_partner_never_hears_of_what_it_cannot_read(partner, writer, secretariat, receiver, app):
    endpoint = register(partner, receiver.url)
    contact = demo_contact("demo-ar-focal")
    url = f"/api/v1/contacts/{contact.id}"
    etag = secretariat.get(url).headers["ETag"]
    hidden = secretariat.patch(
        url, json={"visibility": "secretariat"}, headers={"If-Match": etag, **secretariat.csrf}
    )
    assert hidden.status_code == 200, hidden.get_json()
    etag = hidden.headers["ETag"]
    changed = secretariat.patch(
        url, json={"position": "Confidencial"}, headers={"If-Match": etag, **secretariat.csrf}
    )
    assert changed.status_code == 200
    delivery.deliver_due()
    types = [e["type"] for e in receiver.events(endpoint["secret"])]
    assert types == ["contact.removed"]  # hidden from partners: removed, then never mentioned


def test_work_plan_events_need_workplan_read(app, session, bearer, allow_loopback, receiver):
    from service.workplan.models import Activity

    reader = app.test_client()
    reader.environ_base["HTTP_AUTHORIZATION"] = bearer("directory:read")["Authorization"]
    register(reader, receiver.url)
    activity = db.session.execute(sa.select(Activity).limit(1)).scalar_one()
    before = snapshot(activity)
    activity.title = activity.title + " (revised)"
    db.session.flush()
    record(AuditAction.UPDATE, activity, before, snapshot(activity))
    db.session.commit()
    delivery.deliver_due()
    assert receiver.received == []


def test_a_client_sees_and_manages_only_its_own_endpoints(partner, app, bearer):
    mine = register(partner, "http://127.0.0.1:9/mine")
    other = app.test_client()
    other.environ_base["HTTP_AUTHORIZATION"] = bearer()["Authorization"]
    assert other.get(f"{URL}/{mine['id']}").status_code == 404
    assert other.get(URL).get_json() == []
    listed = partner.get(URL).get_json()
    assert [e["id"] for e in listed] == [mine["id"]]
    assert "secret" not in listed[0]
    assert "secret" not in partner.get(f"{URL}/{mine['id']}").get_json()


def test_people_manage_no_endpoints_over_the_api(secretariat):
    response = secretariat.post(
        URL, json={"url": "https://partner.example.org/"}, headers=secretariat.csrf
    )
    assert response.status_code == 403


def test_update_needs_if_match_and_disable_stops_deliveries(partner, writer, receiver):
    endpoint = register(partner, receiver.url)
    url = f"{URL}/{endpoint['id']}"
    assert partner.patch(url, json={"enabled": False}).status_code == 428
    etag = partner.get(url).headers["ETag"]
    disabled = partner.patch(url, json={"enabled": False}, headers={"If-Match": etag})
    assert disabled.status_code == 200
    assert disabled.get_json()["enabled"] is False
    edit_contact(writer, "demo-ar-focal", position="Mientras tanto")
    assert delivery.deliver_due() == (0, 0)
    enabled = partner.patch(
        url, json={"enabled": True}, headers={"If-Match": disabled.headers["ETag"]}
    )
    assert enabled.status_code == 200
    assert delivery.deliver_due() == (0, 0)  # nothing was queued for it while disabled
    edit_contact(writer, "demo-ar-focal", position="De nuevo")
    assert delivery.deliver_due() == (1, 0)


def test_delete_archives_the_endpoint(partner):
    endpoint = register(partner, "http://127.0.0.1:9/")
    url = f"{URL}/{endpoint['id']}"
    etag = partner.get(url).headers["ETag"]
    assert partner.delete(url, headers={"If-Match": etag}).status_code == 204
    assert partner.get(url).status_code == 404
    assert db.session.get(WebhookEndpoint, endpoint["id"]).is_archived


def test_ping_and_resend(partner, receiver):
    endpoint = register(partner, receiver.url)
    url = f"{URL}/{endpoint['id']}"
    ping = partner.post(f"{url}/ping")
    assert ping.status_code == 202
    delivery.deliver_due()
    [event] = receiver.events(endpoint["secret"])
    assert event["type"] == "ping"
    resent = partner.post(f"{url}/deliveries/{ping.get_json()['id']}/resend")
    assert resent.status_code == 202
    delivery.deliver_due()
    ids = [m["headers"]["webhook-id"] for m in receiver.received]
    assert len(ids) == 2 and ids[0] == ids[1]


def test_a_redirect_or_garbage_is_a_failed_attempt(partner, receiver):
    endpoint = register(partner, receiver.url)
    receiver.statuses = [302]
    partner.post(f"{URL}/{endpoint['id']}/ping")
    assert delivery.deliver_due() == (0, 1)
    queued = db.session.execute(sa.select(WebhookDelivery)).scalars().one()
    assert queued.last_status_code == 302
    assert "redirect" in queued.last_error

    garbage = socket.socket()
    garbage.bind(("127.0.0.1", 0))
    garbage.listen(1)

    def answer_garbage():
        connection, _ = garbage.accept()
        with connection:
            connection.recv(65536)
            connection.sendall(b"\x00\xffnot http at all\r\n\r\n")

    thread = threading.Thread(target=answer_garbage, daemon=True)
    thread.start()
    other = register(partner, f"http://127.0.0.1:{garbage.getsockname()[1]}/")
    partner.post(f"{URL}/{other['id']}/ping")
    assert delivery.deliver_due(now=datetime.now(UTC)) == (0, 1)
    thread.join(timeout=10)
    garbage.close()


def test_an_endpoint_failing_for_three_days_is_disabled_and_named_in_the_digest(
    partner, receiver, app
):
    endpoint = register(partner, receiver.url)
    partner.post(f"{URL}/{endpoint['id']}/ping")
    receiver.statuses = [500] * 100
    moment = datetime.now(UTC)
    for _ in range(20):  # bounded: the schedule reaches 3 days in about a dozen tries
        delivery.deliver_due(now=moment)
        moment += timedelta(hours=12, minutes=30)
        if db.session.get(WebhookEndpoint, endpoint["id"]).disabled_at:
            break
    stored = db.session.get(WebhookEndpoint, endpoint["id"])
    assert stored.disabled_at is not None
    assert "3 days" in stored.disabled_reason
    assert partner.get(f"{URL}/{endpoint['id']}").get_json()["enabled"] is False
    digest = CliRunner().invoke(app.cli, ["reminders", "digest"])  # the secretariat is told
    assert digest.exit_code == 0, digest.output
    assert f"endpoint {endpoint['id']} of Partner" in digest.output
    assert receiver.url in digest.output


def test_the_command_line_adds_and_lists_without_secrets(
    app, session, make_api_client, allow_loopback
):
    client, _ = make_api_client("directory:read")
    runner = CliRunner()
    with app.app_context():
        added = runner.invoke(
            app.cli,
            [
                "webhooks",
                "add",
                "--client",
                client.client_id,
                "--url",
                "http://127.0.0.1:9/x",
                "--events",
                "contact.updated,contact.removed",
            ],
        )
        assert added.exit_code == 0, added.output
        shown = json.loads(added.output)
        assert set(shown) == {"id", "url", "events", "secret"}
        assert shown["events"] == ["contact.updated", "contact.removed"]
        listed = runner.invoke(app.cli, ["webhooks", "list"])
        assert listed.exit_code == 0
        assert shown["secret"] not in listed.output
        assert f'"id": {shown["id"]}' in listed.output
        refused = runner.invoke(
            app.cli, ["webhooks", "add", "--client", client.client_id, "--url", "ftp://x/"]
        )
        assert refused.exit_code != 0
        assert "https" in refused.output


def test_secrets_are_encrypted_at_rest(partner):
    endpoint = register(partner, "http://127.0.0.1:9/")
    stored = db.session.get(WebhookEndpoint, endpoint["id"])
    assert endpoint["secret"] not in stored.secret_encrypted
    assert endpoint["secret"][6:] not in stored.secret_encrypted


def test_two_workers_on_postgresql_send_each_delivery_once(app, dialect, receiver):
    """Committed rows and two real connections: the lease lets only one worker send each."""
    if dialect != "postgresql":
        pytest.skip("concurrent workers are a PostgreSQL deployment")
    app.config["WEBHOOK_ALLOW_PRIVATE"] = True
    with app.app_context():
        client = ApiClient(
            client_id="wh-two-workers", client_secret_hash="x", name="Two", scope="directory:read"
        )
        db.session.add(client)
        db.session.flush()
        endpoints = []
        for _ in range(5):
            endpoint = WebhookEndpoint(
                api_client_id=client.id,
                url=receiver.url,
                events=["contact.updated"],
                secret_encrypted=encrypt(new_secret()),
            )
            db.session.add(endpoint)
            endpoints.append(endpoint)
        db.session.flush()
        for endpoint in endpoints:
            for _ in range(8):
                delivery.ping(endpoint)
        db.session.commit()
        client_pk = client.id
        db.session.remove()
    try:
        results = []

        def worker():
            with app.app_context():
                results.append(delivery.deliver_due())
                db.session.remove()

        threads = [threading.Thread(target=worker) for _ in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=120)
        ids = [m["headers"]["webhook-id"] for m in receiver.received]
        assert len(ids) == 40
        assert len(set(ids)) == 40
        assert sum(r[0] for r in results) == 40
    finally:
        app.config["WEBHOOK_ALLOW_PRIVATE"] = False
        with app.app_context():
            db.session.execute(sa.delete(ApiClient).where(ApiClient.id == client_pk))
            db.session.commit()
            db.session.remove()


# -- the secretariat's view in the admin ------------------------------------------------------


def test_secretariat_sees_every_endpoint_with_its_log_and_disables_one(
    partner, receiver, client, login
):
    endpoint = register(partner, receiver.url, description="mirror")
    partner.post(f"{URL}/{endpoint['id']}/ping")
    receiver.statuses = [500]
    delivery.deliver_due()
    login(client, "secretariat")
    listing = client.get("/admin/webhookendpoint/")
    assert listing.status_code == 200
    page = listing.get_data(as_text=True)
    assert receiver.url.replace("&", "&amp;") in page
    assert endpoint["secret"] not in page
    log = client.get("/admin/webhookdelivery/").get_data(as_text=True)
    assert "ping" in log and "500" in log
    csrf = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    done = client.post(
        "/admin/webhookendpoint/action/",
        data={"csrf_token": csrf, "action": "disable", "rowid": [str(endpoint["id"])]},
    )
    assert done.status_code == 302
    stored = db.session.get(WebhookEndpoint, endpoint["id"])
    assert stored.disabled_reason == "disabled by the secretariat"
    assert partner.get(f"{URL}/{endpoint['id']}").get_json()["enabled"] is False
    details = client.get(f"/admin/webhookendpoint/details/?id={endpoint['id']}")
    assert endpoint["secret"] not in details.get_data(as_text=True)


@pytest.mark.parametrize("path", ["/admin/webhookendpoint/", "/admin/webhookdelivery/"])
def test_focal_points_do_not_open_the_webhook_views(client, login, path):
    login(client, "focal_point", "AR")
    assert client.get(path).status_code == 403


def test_work_plan_transitions_and_activity_changes_reach_a_plan_reader(partner, receiver, session):
    from service.workplan import services as plans
    from service.workplan.models import Activity, WorkPlan, WorkPlanStatus

    endpoint = register(partner, receiver.url)
    plan = db.session.execute(
        sa.select(WorkPlan).where(WorkPlan.status == WorkPlanStatus.DRAFT).limit(1)
    ).scalar_one()
    activity = db.session.execute(
        sa.select(Activity).where(Activity.work_plan_id == plan.id).limit(1)
    ).scalar_one()
    before = plans.activity_record(activity)
    activity.title += " (revised)"
    db.session.flush()
    record(AuditAction.UPDATE, activity, before, plans.activity_record(activity))
    plans.submit_work_plan(plan)
    plans.reopen_work_plan(plan)
    db.session.commit()
    delivery.deliver_due()
    events = receiver.events(endpoint["secret"])
    assert [e["type"] for e in events] == [
        "activity.updated",
        "work_plan.submitted",
        "work_plan.reopened",
    ]
    assert events[1]["data"]["url"] == f"/api/v1/work-plans/{plan.id}"


def test_a_receiver_that_does_not_answer_in_time_is_a_failed_attempt(partner, monkeypatch):
    silent = socket.socket()
    silent.bind(("127.0.0.1", 0))
    silent.listen(1)  # accepts the connection, never answers
    monkeypatch.setattr(delivery, "SEND_TIMEOUT_SECONDS", 0.5)
    try:
        endpoint = register(partner, f"http://127.0.0.1:{silent.getsockname()[1]}/")
        partner.post(f"{URL}/{endpoint['id']}/ping")
        assert delivery.deliver_due() == (0, 1)
        queued = db.session.execute(sa.select(WebhookDelivery)).scalars().one()
        assert "Timeout" in queued.last_error
    finally:
        silent.close()
