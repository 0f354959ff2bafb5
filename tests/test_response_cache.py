"""Cached reads: fresh after every write on every worker, never one viewer's bytes for another.

Two app instances (two "workers", each with its own cache) share one throwaway database, with
real commits; the rest of the suite's rolled-back transactions are not used here.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import time
import uuid

import pytest
import sqlalchemy as sa
from flask_migrate import upgrade

from service import create_app
from service.core.db import db
from service.core.response_cache import ByteBoundedLRU, CachedResponse
from service.seeding import seed_database
from tests import statement_log
from tests.conftest import PROJECT_ROOT
from tests.fixtures.database import PostgresDatabase, _postgres_server_url

SECRET = "response-cache-tests-" + "s" * 24
CONTACTS = "/api/v1/contacts?page_size=100"


@pytest.fixture(scope="module")
def shared_database(database_url, tmp_path_factory):
    """A database of its own for this module (real commits), on the leg's server."""
    if database_url.startswith("sqlite"):
        yield "sqlite:///" + str(tmp_path_factory.mktemp("cache") / "shared.db")
        return
    with PostgresDatabase(_postgres_server_url()) as url:
        yield url


def _app(url: str, **config):
    os.environ["DATABASE_URL"] = url
    try:
        return create_app({"SERVICE_ENV": "testing", "SECRET_KEY": SECRET, **config})
    finally:
        del os.environ["DATABASE_URL"]


@pytest.fixture(scope="module")
def workers(shared_database):
    """Two app instances on one database, as two gunicorn workers would be."""
    first, second = _app(shared_database), _app(shared_database)
    with first.app_context():
        upgrade(directory=str(PROJECT_ROOT / "migrations"))
        seed_database(first.config["SEED_DIR"], demo=True)
        db.session.remove()
    yield first, second
    for app in (first, second):
        with app.app_context():
            db.session.remove()
            db.engine.dispose()


def _in(app, work):
    with app.app_context():
        try:
            result = work()
            db.session.commit()
            return result
        finally:
            db.session.remove()


def _token(app, scope="directory:read workplan:read", member_state=None) -> dict:
    from service.oauth.services import register_client
    from service.oauth.tokens import issue_token

    def make():
        client, secret = register_client("cache test", scope, member_state)
        plain, _ = issue_token(client, scope)
        return {"Authorization": f"Bearer {plain}"}, client.client_id, secret

    return _in(app, make)


def _person(app, test_client, role: str, member_state: str | None = None):
    from service.core.authentication import SESSION_LOGIN_AT_KEY, SESSION_USER_KEY
    from service.identity.models import Role, User

    def make():
        user = User(
            email=f"{role}-{uuid.uuid4().hex[:6]}@example.org",
            role=Role(role),
            member_state_code=member_state,
            issuer="https://idp.example.org",
            subject=uuid.uuid4().hex,
        )
        db.session.add(user)
        db.session.flush()
        return user.id

    user_id = _in(app, make)
    with test_client.session_transaction() as cookie:
        cookie[SESSION_USER_KEY] = user_id
        cookie[SESSION_LOGIN_AT_KEY] = time.time()
    return test_client


@contextlib.contextmanager
def _statements(app):
    log = []

    def keep(statement):
        if not statement.lstrip().upper().startswith(("BEGIN", "SAVEPOINT", "RELEASE", "ROLLBACK")):
            log.append(statement)

    # every engine, and psycopg's own cursor: the data versions are read on it
    with statement_log.listening(keep):
        yield log


def _secret_contact(app) -> int:
    """A secretariat-only contact point (made once for the module)."""
    from service.directory.models import Authority, Channel, ContactPoint

    def make():
        existing = db.session.execute(
            sa.select(ContactPoint.id).where(ContactPoint.name == "Cache Test Hidden Desk")
        ).scalar()
        if existing:
            return existing
        authority = db.session.execute(
            sa.select(Authority).where(Authority.member_state_code == "AR").limit(1)
        ).scalar_one()
        contact = ContactPoint(
            authority=authority,
            kind="office",
            name="Cache Test Hidden Desk",
            role="technical",
            languages=["es"],
            visibility="secretariat",
            channels=[Channel(type="email", value="hidden@demo-ar.example.org")],
        )
        db.session.add(contact)
        db.session.flush()
        return contact.id

    return _in(app, make)


# -- freshness ----------------------------------------------------------------------------------


def test_a_write_through_one_worker_is_read_at_once_by_the_other(workers):
    first, second = workers
    reader, _, _ = _token(first)
    writer, _, _ = _token(first, "directory:read directory:write", member_state="AR")
    a, b = first.test_client(), second.test_client()
    url = "/api/v1/contacts?member_state=AR&page_size=100"
    for worker in (a, b):  # both caches hold the list now
        assert worker.get(url, headers=reader).status_code == 200
    listed = b.get(url, headers=reader).get_json()
    contact = next(c for c in listed if c["visibility"] == "network")
    etag = a.get(f"/api/v1/contacts/{contact['id']}", headers=writer).headers["ETag"]
    new_position = f"Renamed {uuid.uuid4().hex[:8]}"
    changed = a.patch(
        f"/api/v1/contacts/{contact['id']}",
        json={"position": new_position},
        headers={**writer, "If-Match": etag},
    )
    assert changed.status_code == 200, changed.get_json()

    seen = {c["id"]: c for c in b.get(url, headers=reader).get_json()}
    assert seen[contact["id"]]["position"] == new_position
    one = b.get(f"/api/v1/contacts/{contact['id']}", headers=reader).get_json()
    assert one["position"] == new_position


def test_a_change_from_the_command_line_is_read_at_once_by_every_worker(workers):
    from service.audit.log import record, snapshot
    from service.audit.models import AuditAction
    from service.directory.models import MemberState

    first, second = workers
    reader, _, _ = _token(first)
    before = [w.test_client().get("/api/v1/member-states/JM", headers=reader) for w in workers]
    assert all(r.status_code == 200 for r in before)
    note = f"Noted {uuid.uuid4().hex[:8]}"

    def change():  # as a CLI command or the seed would: outside any request
        state = db.session.get(MemberState, "JM")
        old = snapshot(state)
        state.status_note = note
        db.session.flush()
        record(AuditAction.UPDATE, state, old, snapshot(state))

    _in(second, change)
    for worker in workers:
        response = worker.test_client().get("/api/v1/member-states/JM", headers=reader)
        assert response.get_json()["status_note"] == note
        assert response.headers["ETag"] != before[0].headers["ETag"]


def test_a_revoked_token_is_refused_at_once_by_every_worker(workers):
    first, _ = workers
    headers, client_id, secret = _token(first)
    for worker in workers:
        assert worker.test_client().get(CONTACTS, headers=headers).status_code == 200
    token = headers["Authorization"].removeprefix("Bearer ")
    revoked = first.test_client().post(
        "/oauth/revoke", data={"token": token}, auth=(client_id, secret)
    )
    assert revoked.status_code == 200
    for worker in workers:
        assert worker.test_client().get(CONTACTS, headers=headers).status_code == 401


# -- statements per request ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        CONTACTS,
        "/api/v1/member-states",
        "/api/v1/member-states/completeness",
        "/api/v1/authorities?page_size=100",
        "/api/v1/recommendations",
    ],
)
def test_a_cached_read_takes_one_statement(workers, url):
    first, _ = workers
    reader, _, _ = _token(first)
    test_client = first.test_client()
    assert test_client.get(url, headers=reader).status_code == 200
    with _statements(first) as log:
        again = test_client.get(url, headers=reader)
    assert again.status_code == 200
    assert len(log) == 1, log  # the data versions; the token is remembered until they move


def test_a_304_takes_one_statement(workers):
    first, _ = workers
    reader, _, _ = _token(first)
    test_client = first.test_client()
    etag = test_client.get(CONTACTS, headers=reader).headers["ETag"]
    with _statements(first) as log:
        response = test_client.get(CONTACTS, headers={**reader, "If-None-Match": etag})
    assert response.status_code == 304 and response.headers["ETag"] == etag
    assert len(log) == 1, log


def _statements_per_page(app, test_client, reader, before=None) -> dict[int, int]:
    """Statements sent for a page of 5 and a page of 100 contacts (`before` runs before each)."""
    counts = {}
    for size in (5, 100):
        if before is not None:
            _in(app, before)
        with _statements(app) as log:
            response = test_client.get(f"/api/v1/contacts?page_size={size}", headers=reader)
        total = json.loads(response.headers["X-Pagination"])["total"]
        assert response.status_code == 200 and len(response.get_json()) == min(size, total)
        counts[size] = len(log)
    return counts


def test_a_page_rebuilt_after_a_write_takes_the_same_statements_for_5_and_100_contacts(workers):
    first, _ = workers
    reader, _, _ = _token(first)
    test_client = first.test_client()
    test_client.get(CONTACTS, headers=reader)  # the token is remembered, the items kept
    # a write elsewhere before each: no answer cached is current any more
    counts = _statements_per_page(first, test_client, reader, before=_touch_directory)
    # versions, the page's ids and tags with its total: every item's JSON was kept
    assert counts == {5: 2, 100: 2}


def test_a_read_of_plain_columns_makes_no_session_on_postgresql_and_sees_the_sessions_own_rows(
    workers,
):
    from service.core.reads import autocommit_engine, read_rows
    from service.directory.models import Authority, ContactPoint

    first, _ = workers
    names = sa.select(ContactPoint.name).where(ContactPoint.name.like("Reads test %"))
    with first.test_request_context():
        assert read_rows(names) == []
        # PostgreSQL: outside any transaction, on the autocommit pool, no session made;
        # SQLite (whose transactions cost no round trip): through the session
        on_postgresql = db.engine.dialect.name == "postgresql"
        assert db.session.registry.has() is not on_postgresql
        if on_postgresql:
            assert autocommit_engine().pool.checkedin() >= 1
        # a session in a transaction reads its own changes, not yet committed
        authority = db.session.execute(sa.select(Authority).limit(1)).scalar_one()
        db.session.add(
            ContactPoint(
                authority=authority, kind="office", name="Reads test desk", role="technical"
            )
        )
        db.session.flush()
        assert [row.name for row in read_rows(names)] == ["Reads test desk"]
        db.session.rollback()
        db.session.remove()
        assert read_rows(names) == []


def test_a_text_search_finds_an_authority_renamed_since_the_same_search(workers):
    """A plain list's statements are kept; a text search's are not (they hold the ids of the
    authorities its words matched when it was built)."""
    from service.directory.models import Authority

    first, second = workers
    reader, _, _ = _token(first)
    word = f"zq{uuid.uuid4().hex[:8]}"
    url = f"/api/v1/contacts?q={word}&page_size=100"
    for app in (first, second):
        assert app.test_client().get(url, headers=reader).get_json() == []

    def rename_an_authority_with_contacts():
        authority = db.session.execute(
            sa.select(Authority).where(Authority.member_state_code == "MX").limit(1)
        ).scalar_one()
        authority.name = f"{authority.name} {word}"
        return authority.name

    name = _in(first, rename_an_authority_with_contacts)
    for app in (first, second):
        found = app.test_client().get(url, headers=reader).get_json()
        assert found and {c["authority"]["name"] for c in found} == {name}


def test_a_page_with_nothing_kept_takes_the_same_statements_for_5_and_100_contacts(
    shared_database, workers
):
    bare = _app(shared_database, RESPONSE_CACHE_MB=0, ITEM_CACHE_MB=0)
    reader, _, _ = _token(bare)
    test_client = bare.test_client()
    test_client.get(CONTACTS, headers=reader)  # the token is remembered
    counts = _statements_per_page(bare, test_client, reader)
    # versions, the page's ids and tags with its total, the contacts (with their authorities),
    # their channels, their competences
    assert counts == {5: 5, 100: 5}
    with bare.app_context():
        db.engine.dispose()


def test_a_page_rebuilt_after_a_write_shows_the_change_and_reads_only_that_item(
    shared_database, workers
):
    from service.directory.models import Authority, ContactPoint

    first, _ = workers
    reference = _app(shared_database, RESPONSE_CACHE_MB=0, ITEM_CACHE_MB=0)  # keeps nothing
    reader, _, _ = _token(first)
    test_client = first.test_client()
    url = "/api/v1/contacts?page_size=100&sort=updated_at"
    before = test_client.get(url, headers=reader).get_json()
    changed_id = before[3]["id"]

    def change_one_contact():
        contact = db.session.get(ContactPoint, changed_id)
        contact.position = f"Position {uuid.uuid4().hex[:8]}"
        return contact.position

    position = _in(first, change_one_contact)
    with _statements(first) as log:
        after = test_client.get(url, headers=reader)
    assert [c["position"] for c in after.get_json() if c["id"] == changed_id] == [position]
    # versions, the page's tags with its total; then the one changed contact, its channels and
    # competences
    assert len(log) == 5, log
    assert "IN (" in log[2] or "IN (?)" in log[2] or "= ANY" in log[2]
    assert after.get_data() == reference.test_client().get(url, headers=reader).get_data()

    def rename_its_authority():
        contact = db.session.get(ContactPoint, changed_id)
        authority = db.session.get(Authority, contact.authority_id)
        authority.name = f"{authority.name.split(' #')[0]} #{uuid.uuid4().hex[:6]}"
        return authority.name

    name = _in(first, rename_its_authority)
    renamed = test_client.get(url, headers=reader)
    shown = {c["authority"]["name"] for c in renamed.get_json() if c["id"] == changed_id}
    assert shown == {name}  # the authority's version is part of each item's tag
    assert renamed.get_data() == reference.test_client().get(url, headers=reader).get_data()
    with reference.app_context():
        db.engine.dispose()


def _touch_directory():
    from service.core.versions import Family, bump

    bump(Family.DIRECTORY)


# -- isolation ----------------------------------------------------------------------------------


def _viewers(app):
    partner, _, _ = _token(app)
    state_client, _, _ = _token(app, "directory:read directory:write", member_state="AR")
    return {
        "secretariat": ({}, _person(app, app.test_client(), "secretariat")),
        "focal point AR": ({}, _person(app, app.test_client(), "focal_point", "AR")),
        "client bound to AR": (state_client, app.test_client()),
        "partner": (partner, app.test_client()),
    }


def test_each_visibility_class_gets_its_own_answers(workers):
    first, _ = workers
    hidden = _secret_contact(first)
    viewers = _viewers(first)
    url = "/api/v1/contacts?member_state=AR&page_size=100"
    for order in (list(viewers), list(reversed(viewers))):  # whoever fills the cache first
        _in(first, _touch_directory)
        for name in order:
            headers, test_client = viewers[name]
            listed = [c["id"] for c in test_client.get(url, headers=headers).get_json()]
            one = test_client.get(f"/api/v1/contacts/{hidden}", headers=headers)
            if name == "secretariat":
                assert hidden in listed and one.status_code == 200, name
            else:
                assert hidden not in listed and one.status_code == 404, name


def test_a_list_etag_of_one_class_is_not_a_304_for_another(workers):
    first, _ = workers
    viewers = _viewers(first)
    etags = {}
    for name, (headers, test_client) in viewers.items():
        etags[name] = test_client.get(CONTACTS, headers=headers).headers["ETag"]
    assert len(set(etags.values())) == 3  # the focal point and the client share AR's class
    assert etags["focal point AR"] == etags["client bound to AR"]
    headers, test_client = viewers["partner"]
    response = test_client.get(CONTACTS, headers={**headers, "If-None-Match": etags["secretariat"]})
    assert response.status_code == 200


# -- ETags ----------------------------------------------------------------------------------------


def test_etags_are_keyed_with_the_server_secret(workers, shared_database):
    first, _ = workers
    reader, _, _ = _token(first)
    contact = first.test_client().get(CONTACTS, headers=reader).get_json()[0]
    url = f"/api/v1/contacts/{contact['id']}"
    etag = first.test_client().get(url, headers=reader).headers["ETag"].strip('"')

    def old_style():
        from service.core.api import etag_data
        from service.directory.models import ContactPoint

        row = db.session.get(ContactPoint, contact["id"])
        data = {**etag_data(row), "authority": etag_data(row.authority)}
        return hashlib.sha1(json.dumps(data, sort_keys=True).encode()).hexdigest()

    assert etag != _in(first, old_style)  # not computable from type, id and version
    other = _app(shared_database, SECRET_KEY="another-secret-" + "x" * 30)
    try:
        other_reader, _, _ = _token(other)
        other_etag = other.test_client().get(url, headers=other_reader).headers["ETag"]
        assert other_etag.strip('"') != etag
    finally:
        with other.app_context():
            db.engine.dispose()


@pytest.mark.parametrize(
    "value",
    ['"unterminated', "W/", ",,,", "*", 'W/"x", garbage "', "\x7f\x00", "a" * 8000, '""'],
)
def test_a_malformed_if_none_match_is_ignored(workers, value):
    first, _ = workers
    reader, _, _ = _token(first)
    for url in (CONTACTS, "/api/v1/member-states", "/api/v1/member-states/AR"):
        response = first.test_client().get(url, headers={**reader, "If-None-Match": value})
        assert response.status_code in (200, 304), (url, response.status_code)
        if value != "*":
            assert response.status_code == 200


def test_every_list_answers_an_etag_and_a_304(workers):
    first, _ = workers
    reader, _, _ = _token(first)
    test_client = first.test_client()
    for url in (
        "/api/v1/member-states",
        "/api/v1/member-states/completeness",
        "/api/v1/authorities",
        CONTACTS,
        "/api/v1/documents",
        "/api/v1/recommendations",
        "/api/v1/bodies",
        "/api/v1/work-plans",
        "/api/v1/activities",
    ):
        response = test_client.get(url, headers=reader)
        assert response.status_code == 200 and response.headers.get("ETag"), url
        again = test_client.get(url, headers={**reader, "If-None-Match": response.headers["ETag"]})
        assert again.status_code == 304, url


# -- bounded memory -------------------------------------------------------------------------------


def test_one_off_keys_never_push_out_the_hot_page(workers, shared_database):
    small = _app(shared_database, RESPONSE_CACHE_MB=0.25)
    try:
        reader, _, _ = _token(small)
        test_client = small.test_client()
        for _ in range(2):  # read twice: the hot page
            assert test_client.get(CONTACTS, headers=reader).status_code == 200
        cache = small.extensions["response_cache"].local
        for n in range(300):
            test_client.get(f"{CONTACTS}&page={10**9 + n}", headers=reader)
            test_client.get(f"/api/v1/contacts?q=desk{n}", headers=reader)
            test_client.get(CONTACTS, headers=reader)
            assert cache.size <= cache.max_bytes
        with _statements(small) as log:
            assert test_client.get(CONTACTS, headers=reader).status_code == 200
        assert len(log) == 1, log
    finally:
        with small.app_context():
            db.engine.dispose()


def test_the_byte_bounded_lru_keeps_hot_entries_under_a_flood():
    cache = ByteBoundedLRU(100_000)
    hot = CachedResponse(200, (("Content-Type", "application/json"),), b"h" * 5_000)
    cache.put("hot", hot)
    assert cache.get("hot") is hot  # read again: protected
    for n in range(10_000):
        cache.put(f"one-off-{n}", CachedResponse(200, (), b"x" * (n % 3_000)))
        assert cache.size <= cache.max_bytes
    assert cache.get("hot") is hot
    cache.put("huge", CachedResponse(200, (), b"y" * 50_000))  # over an eighth: not kept
    assert cache.get("huge") is None


def test_the_json_provider_sorts_keys_when_asked_and_keeps_flask_dates(workers):
    from datetime import date

    first, _ = workers
    with first.app_context():
        assert json.loads(first.json.dumps({"b": 1, "a": [1, 2]}, sort_keys=True)) == {
            "b": 1,
            "a": [1, 2],
        }
        assert first.json.dumps({"b": 1, "a": 2}, sort_keys=True) == '{"a":2,"b":1}'
        assert (
            first.json.dumps({"d": date(2026, 11, 30)}) == '{"d":"Mon, 30 Nov 2026 00:00:00 GMT"}'
        )
        assert first.json.dumps({"n": 2**70}) == '{"n": 1180591620717411303424}'


@pytest.fixture(scope="module")
def redis_url(tmp_path_factory):
    """A private Redis on loopback for this module (Debian's redis-server), stopped after it."""
    import shutil
    import socket
    import subprocess

    binary = shutil.which("redis-server")
    if binary is None:
        pytest.skip("redis-server is not installed (apt-get install redis-server)")
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    workdir = tmp_path_factory.mktemp("redis")
    process = subprocess.Popen(
        [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--dir", str(workdir)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 0.2):
                break
            time.sleep(0.05)
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        process.terminate()
        process.wait(timeout=10)


def test_with_redis_one_worker_answers_from_what_another_built(workers, shared_database, redis_url):
    first, second = (_app(shared_database, REDIS_URL=redis_url) for _ in range(2))
    try:
        reader, _, _ = _token(first)
        url = "/api/v1/contacts?page_size=100&sort=name"
        built = first.test_client().get(url, headers=reader)
        assert built.status_code == 200
        other = second.test_client()
        other.get("/api/v1/member-states", headers=reader)  # the token is remembered
        with _statements(second) as log:
            shared = other.get(url, headers=reader)
        assert shared.data == built.data and shared.headers["ETag"] == built.headers["ETag"]
        assert len(log) == 1, log  # nothing but the versions: the answer came from Redis
        _in(first, _touch_directory)
        with _statements(second) as log:
            assert other.get(url, headers=reader).status_code == 200
        assert len(log) > 1  # a write: the shared answer is no longer current
    finally:
        for app in (first, second):
            with app.app_context():
                db.engine.dispose()


# -- the early answer for a partner's cached read ------------------------------------------------


def _headers_but_per_request(response) -> dict:
    return {n: v for n, v in response.headers.items() if n not in ("X-Request-ID", "Date")}


@pytest.mark.parametrize("url", [CONTACTS, "/api/v1/member-states", "/api/v1/recommendations"])
def test_an_early_answer_is_the_answer_the_view_gave(workers, url):
    first, _ = workers
    reader, _, _ = _token(first)
    test_client = first.test_client()
    _in(first, _touch_directory)
    built = test_client.get(url, headers=reader)  # by the view
    with _statements(first) as log:
        early = test_client.get(url, headers={**reader, "X-Request-ID": "early-1"})
    assert len(log) == 1  # answered before the view: the data versions, nothing else
    assert early.status_code == built.status_code == 200
    assert early.get_data() == built.get_data()
    assert _headers_but_per_request(early) == _headers_but_per_request(built)
    assert early.headers["X-Request-ID"] == "early-1"
    assert early.headers["X-Frame-Options"] == "DENY"  # the after-request headers: every answer


def test_an_early_answer_needs_the_views_scope_and_a_good_token(workers):
    first, _ = workers
    reader, _, _ = _token(first)
    workplan_only, _, _ = _token(first, scope="workplan:read")
    test_client = first.test_client()
    assert test_client.get(CONTACTS, headers=reader).status_code == 200  # cached now
    assert test_client.get(CONTACTS, headers=workplan_only).status_code == 403
    forged = {"Authorization": "Bearer " + "x" * 40}
    refused = test_client.get(CONTACTS, headers=forged)
    assert refused.status_code == 401
    assert refused.headers["Content-Type"] == "application/problem+json"
    assert test_client.get(CONTACTS).status_code == 401  # no credential at all


def test_a_cached_read_with_if_match_star_still_gets_its_428(workers):
    first, _ = workers
    reader, _, _ = _token(first)
    test_client = first.test_client()
    assert test_client.get(CONTACTS, headers=reader).status_code == 200
    assert test_client.get(CONTACTS, headers={**reader, "If-Match": "*"}).status_code == 428


def test_the_printable_directory_is_cached_per_language(workers):
    """It is written in the reader's language: one language's bytes never reach another's."""
    first, _ = workers
    reader, _, _ = _token(first)
    test_client = first.test_client()
    url = "/api/v1/contacts?member_state=AR"
    for language in ("es", "en", "fr", "es"):
        response = test_client.get(
            url, headers={**reader, "Accept": "text/html", "Accept-Language": language}
        )
        assert response.status_code == 200
        assert f'<html lang="{language}">' in response.get_data(as_text=True), language
        assert response.headers["Content-Language"] == language
