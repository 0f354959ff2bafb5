"""Benchmark: what a directory write costs with the webhook outbox, with 0 and 5 endpoints.

Prints its figures; asserts nothing. Run: `make bench-webhooks` (SQLite in a temporary
directory, or DATABASE_URL for PostgreSQL). The target: at most one extra INSERT per write
(the outbox row) and under 1 ms added, whatever the number of endpoints (fan-out and sending
happen out of band, in `flask webhooks deliver`).
"""

from __future__ import annotations

import os
import statistics
import tempfile
import time

import sqlalchemy as sa
from flask_migrate import upgrade

from service import create_app
from service.audit import log as audit_log
from service.core.db import db
from service.oauth.models import ApiClient
from service.oauth.services import register_client
from service.oauth.tokens import issue_token
from service.seeding import seed_database
from service.webhooks.events import record_event
from service.webhooks.models import WebhookEndpoint
from service.webhooks.signing import encrypt, new_secret

ROUNDS = 200  # bounded


def client_with_token(scope: str, member_state: str | None) -> tuple[ApiClient, str]:
    client, _ = register_client(f"bench {scope}", scope, member_state)
    plain, _ = issue_token(client, scope)
    return client, plain


def measure(app, http, headers: dict, contact_id: int, label: str) -> None:
    url = f"/api/v1/contacts/{contact_id}"
    inserts: list[str] = []

    def count(conn, cursor, statement, *args) -> None:
        if statement.lstrip().upper().startswith("INSERT"):
            inserts.append(statement.split("(")[0].split()[-1])

    with app.app_context():
        sa.event.listen(db.engine, "before_cursor_execute", count)
    timings = []
    etag = http.get(url, headers=headers).headers["ETag"]
    for number in range(ROUNDS):
        started = time.perf_counter()
        response = http.patch(
            url, json={"position": f"Benchmark {number}"}, headers={**headers, "If-Match": etag}
        )
        timings.append(time.perf_counter() - started)
        etag = response.headers["ETag"]
    with app.app_context():
        sa.event.remove(db.engine, "before_cursor_execute", count)
    tables = sorted(set(inserts))
    print(
        f"{label:>34}: median {statistics.median(timings) * 1000:.2f} ms/write, "
        f"{len(inserts) / ROUNDS:.1f} INSERTs/write ({', '.join(tables)})"
    )
    return statistics.median(timings)


def main() -> None:
    workdir = tempfile.mkdtemp(prefix="bench-")
    os.environ.setdefault("DATABASE_URL", f"sqlite:///{workdir}/bench.db")
    app = create_app({"SERVICE_ENV": "testing", "SECRET_KEY": "benchmark" * 4})
    with app.app_context():
        upgrade(directory=os.path.join(os.path.dirname(__file__), "..", "..", "migrations"))
        seed_database(app.config["SEED_DIR"], demo=True)
        from service.directory.models import ContactPoint

        contact = db.session.execute(
            sa.select(ContactPoint).filter_by(demo_key="demo-ar-focal")
        ).scalar_one()
        _, writer = client_with_token("directory:read directory:write", "AR")
        partner, _ = client_with_token("directory:read", None)
        db.session.commit()
        contact_id, partner_id = contact.id, partner.id

    http = app.test_client()
    headers = {"Authorization": f"Bearer {writer}"}
    print(f"database: {app.config['SQLALCHEMY_DATABASE_URI'].split(':')[0]}, {ROUNDS} writes each")
    audit_log._change_listeners.remove(record_event)
    without = measure(app, http, headers, contact_id, "no outbox (for comparison)")
    audit_log.on_change(record_event)
    with_zero = measure(app, http, headers, contact_id, "outbox, 0 endpoints")
    with app.app_context():
        for number in range(5):
            db.session.add(
                WebhookEndpoint(
                    api_client_id=partner_id,
                    url=f"https://partner{number}.example.org/hooks",
                    events=["contact.updated"],
                    secret_encrypted=encrypt(new_secret()),
                )
            )
        db.session.commit()
    with_five = measure(app, http, headers, contact_id, "outbox, 5 endpoints subscribed")
    print(
        f"added by the outbox: {(with_zero - without) * 1000:+.2f} ms (0 endpoints), "
        f"{(with_five - without) * 1000:+.2f} ms (5 endpoints)"
    )


if __name__ == "__main__":
    main()
