"""Benchmark: a partner polling the contacts list, full responses vs. 304 from the list ETag.

Prints its figures; asserts nothing (speed targets live here, not in timed tests).
Run: `make bench` (SQLite in a temporary directory, or DATABASE_URL for PostgreSQL).
"""

from __future__ import annotations

import os
import statistics
import tempfile
import time
import tracemalloc

import sqlalchemy as sa
from flask_migrate import upgrade

from service import create_app
from service.core.db import db
from service.oauth.tokens import digest, issue_token, new_client_credentials
from service.seeding import seed_database

ROUNDS = 300  # bounded: every loop below stops by itself
MEMORY_ROUNDS = 30
EXTRA_CONTACTS = 100  # so a page of 100 is full


def add_synthetic_contacts(count: int) -> None:
    from service.directory.models import Authority, Channel, ContactPoint

    authority = db.session.execute(sa.select(Authority).limit(1)).scalar_one()
    for number in range(count):
        db.session.add(
            ContactPoint(
                authority=authority,
                kind="office",
                name=f"Benchmark office {number}",
                role="technical",
                languages=["es"],
                channels=[Channel(type="email", value=f"office{number}@bench.example.org")],
            )
        )


def main() -> None:
    workdir = tempfile.mkdtemp(prefix="bench-")
    os.environ.setdefault("DATABASE_URL", f"sqlite:///{workdir}/bench.db")
    app = create_app({"SERVICE_ENV": "testing", "SECRET_KEY": "benchmark"})
    with app.app_context():
        upgrade(directory=os.path.join(os.path.dirname(__file__), "..", "..", "migrations"))
        seed_database(app.config["SEED_DIR"], demo=True)
        from service.oauth.models import ApiClient

        client_id, secret = new_client_credentials()
        api_client = ApiClient(
            client_id=client_id,
            client_secret_hash=digest(secret),
            name="bench",
            scope="directory:read",
        )
        db.session.add(api_client)
        plain, _ = issue_token(api_client, "directory:read")
        add_synthetic_contacts(EXTRA_CONTACTS)
        db.session.commit()

    http = app.test_client()
    headers = {"Authorization": f"Bearer {plain}"}
    url = "/api/v1/contacts?page_size=100"
    first = http.get(url, headers=headers)
    etag = first.headers["ETag"]
    print(f"database: {app.config['SQLALCHEMY_DATABASE_URI'].split(':')[0]}")
    print(f"contacts in the list: {len(first.get_json())}, body {len(first.data)} bytes")

    statements = []
    with app.app_context():
        sa.event.listen(db.engine, "before_cursor_execute", lambda *a: statements.append(a[2]))
    for label, extra in (("full response", {}), ("304 via If-None-Match", {"If-None-Match": etag})):
        timings = []
        statements.clear()
        for _ in range(ROUNDS):
            started = time.perf_counter()
            response = http.get(url, headers={**headers, **extra})
            timings.append(time.perf_counter() - started)
        per_statement = len(statements) / ROUNDS
        tracemalloc.start()
        for _ in range(MEMORY_ROUNDS):
            http.get(url, headers={**headers, **extra})
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        print(
            f"{label:>24}: status {response.status_code}, "
            f"median {statistics.median(timings) * 1000:.2f} ms, "
            f"{ROUNDS / sum(timings):.0f} requests/s, "
            f"{per_statement:.1f} SQL statements/request, "
            f"peak traced memory {peak / 1024:.0f} KiB"
        )


if __name__ == "__main__":
    main()
