"""The permission matrix: every write of the API x every kind of caller -> the expected status.

Directory entries belong to Argentina (AR). Where a caller is refused, the database is exactly
as it was: same rows, same versions, no audit entry.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from service.audit.models import AuditEntry
from service.directory.models import Authority, Channel, ContactPoint
from service.oauth.tokens import find_token
from service.workplan.models import (
    Activity,
    ProgressNote,
    Recommendation,
    ResponsibleBody,
    SourceDocument,
    WorkPlan,
)

from .directory_fixtures import authority_payload, contact_payload
from .workplan_fixtures import activity_payload

DIRECTORY_WRITE = "directory:read directory:write"
READ_ONLY = "directory:read workplan:read"
ALL_READ = "directory:read workplan:read"

CALLERS = (
    "secretariat",
    "focal_point_same_state",
    "focal_point_other_state",
    "read_only_client",
    "client_same_state",
    "client_other_state",
    "expired_token",
    "revoked_token",
    "no_credential",
)
# Who may write what; everyone else authenticated gets 403, the rest 401.
DIRECTORY_WRITERS = {"secretariat", "focal_point_same_state", "client_same_state"}
WORKPLAN_WRITERS = {"secretariat"}
UNAUTHENTICATED = {"expired_token", "revoked_token", "no_credential"}


@dataclass
class Caller:
    client: object
    headers: dict

    def open(self, method: str, url: str, headers: dict | None = None, **kwargs):
        return self.client.open(
            url, method=method, headers={**self.headers, **(headers or {})}, **kwargs
        )


@pytest.fixture
def make_caller(app, session, login, bearer):
    def make(name: str) -> Caller:
        client = app.test_client()
        if name == "secretariat":
            return Caller(client, login(client, "secretariat"))
        if name == "focal_point_same_state":
            return Caller(client, login(client, "focal_point", "AR"))
        if name == "focal_point_other_state":
            return Caller(client, login(client, "focal_point", "BR"))
        if name == "read_only_client":
            return Caller(client, bearer(READ_ONLY))
        if name == "client_same_state":
            return Caller(client, bearer(DIRECTORY_WRITE, member_state="AR"))
        if name == "client_other_state":
            return Caller(client, bearer(DIRECTORY_WRITE, member_state="BR"))
        if name in {"expired_token", "revoked_token"}:
            headers = bearer(DIRECTORY_WRITE, member_state="AR")
            token = find_token(headers["Authorization"].removeprefix("Bearer "))
            if name == "expired_token":
                token.issued_at -= timedelta(hours=2)
                token.expires_at = datetime.now(UTC) - timedelta(minutes=1)
            else:
                token.revoked_at = datetime.now(UTC)
            session.commit()
            return Caller(client, headers)
        return Caller(client, {})

    return make


@pytest.fixture
def reader(app, bearer):
    """Reads ETags and ids for the operations (a partner with both read scopes)."""
    client = app.test_client()
    client.environ_base["HTTP_AUTHORIZATION"] = bearer(ALL_READ)["Authorization"]
    return client


def etag(reader, url: str) -> dict:
    response = reader.get(url)
    assert response.status_code == 200, (url, response.get_json())
    return {"If-Match": response.headers["ETag"]}


def fingerprint(session) -> tuple:
    """Everything a refused write could have touched."""
    counts = tuple(
        session.execute(sa.select(sa.func.count()).select_from(model)).scalar_one()
        for model in (
            AuditEntry,
            Authority,
            ContactPoint,
            Channel,
            SourceDocument,
            Recommendation,
            ResponsibleBody,
            WorkPlan,
            Activity,
            ProgressNote,
        )
    )
    versions = tuple(
        session.execute(sa.select(sa.func.coalesce(sa.func.sum(model.version), 0))).scalar_one()
        for model in (Authority, ContactPoint, WorkPlan, Activity)
    )
    archived = tuple(
        session.execute(
            sa.select(sa.func.count()).select_from(model).where(model.archived_at.is_not(None))
        ).scalar_one()
        for model in (Authority, ContactPoint, WorkPlan, Activity)
    )
    return counts + versions + archived


# -- the operations -------------------------------------------------------------------------


def ar_authority(session) -> Authority:
    return session.execute(
        sa.select(Authority).where(Authority.demo_key == "demo-ar-coordination")
    ).scalar_one()


def ar_contact(session) -> ContactPoint:
    return session.execute(
        sa.select(ContactPoint).where(ContactPoint.demo_key == "demo-ar-focal")
    ).scalar_one()


def empty_ar_authority(session, reader, secretariat_caller) -> int:
    """An AR authority without contact points (one with contacts cannot be archived)."""
    response = secretariat_caller.open(
        "POST", "/api/v1/authorities", json=authority_payload(name="Autoridad sin contactos (demo)")
    )
    assert response.status_code == 201, response.get_json()
    return response.get_json()["id"]


def archive(caller, reader, url):
    response = caller.open("DELETE", url, headers=etag(reader, url))
    assert response.status_code in (200, 204), response.get_json()


def seeded_plan(session) -> WorkPlan:
    return session.execute(sa.select(WorkPlan).where(WorkPlan.code == "WP-TIP")).scalar_one()


def seeded_activity(session) -> Activity:
    return session.execute(
        sa.select(Activity).where(Activity.work_plan_id == seeded_plan(session).id).limit(1)
    ).scalar_one()


NEW_DOCUMENT = {"code": "TEST-DOC", "symbol": "TEST/DOC.1", "title": "A test", "kind": "other"}


def new_document(caller) -> int:
    response = caller.open("POST", "/api/v1/documents", json=NEW_DOCUMENT)
    assert response.status_code == 201, response.get_json()
    return response.get_json()["id"]


# Each operation: (area, name, prepare(session, reader, secretariat) -> dict, perform(caller, ctx))
OPERATIONS = {
    # directory
    "create authority": (
        "directory",
        lambda s, r, a: {},
        lambda c, x: c.open("POST", "/api/v1/authorities", json=authority_payload()),
    ),
    "update authority": (
        "directory",
        lambda s, r, a: {"url": f"/api/v1/authorities/{ar_authority(s).id}"},
        lambda c, x: c.open("PATCH", x["url"], json={"acronym": "NEW"}, headers=x["etag"]),
    ),
    "archive authority": (
        "directory",
        lambda s, r, a: {"url": f"/api/v1/authorities/{empty_ar_authority(s, r, a)}"},
        lambda c, x: c.open("DELETE", x["url"], headers=x["etag"]),
    ),
    "restore authority": (
        "directory",
        lambda s, r, a: {
            "url": _archived(a, r, f"/api/v1/authorities/{empty_ar_authority(s, r, a)}")
        },
        lambda c, x: c.open("POST", x["url"] + "/restore", headers=x["etag"]),
    ),
    "verify authority": (
        "directory",
        lambda s, r, a: {"url": f"/api/v1/authorities/{ar_authority(s).id}"},
        lambda c, x: c.open("POST", x["url"] + "/verify", headers=x["etag"]),
    ),
    "create contact": (
        "directory",
        lambda s, r, a: {"authority_id": ar_authority(s).id},
        lambda c, x: c.open("POST", "/api/v1/contacts", json=contact_payload(x["authority_id"])),
    ),
    "update contact": (
        "directory",
        lambda s, r, a: {"url": f"/api/v1/contacts/{ar_contact(s).id}"},
        lambda c, x: c.open("PATCH", x["url"], json={"position": "Nuevo"}, headers=x["etag"]),
    ),
    "archive contact": (
        "directory",
        lambda s, r, a: {"url": f"/api/v1/contacts/{ar_contact(s).id}"},
        lambda c, x: c.open("DELETE", x["url"], headers=x["etag"]),
    ),
    "restore contact": (
        "directory",
        lambda s, r, a: {"url": _archived(a, r, f"/api/v1/contacts/{ar_contact(s).id}")},
        lambda c, x: c.open("POST", x["url"] + "/restore", headers=x["etag"]),
    ),
    "verify contact": (
        "directory",
        lambda s, r, a: {"url": f"/api/v1/contacts/{ar_contact(s).id}"},
        lambda c, x: c.open("POST", x["url"] + "/verify", headers=x["etag"]),
    ),
    # work plan
    "create document": (
        "workplan",
        lambda s, r, a: {},
        lambda c, x: c.open("POST", "/api/v1/documents", json=NEW_DOCUMENT),
    ),
    "update document": (
        "workplan",
        lambda s, r, a: {"url": f"/api/v1/documents/{new_document(a)}"},
        lambda c, x: c.open("PATCH", x["url"], json={"title": "Renamed"}, headers=x["etag"]),
    ),
    "delete document": (
        "workplan",
        lambda s, r, a: {"url": f"/api/v1/documents/{new_document(a)}"},
        lambda c, x: c.open("DELETE", x["url"], headers=x["etag"]),
    ),
    "create activity": (
        "workplan",
        lambda s, r, a: {"plan": seeded_plan(s).id},
        lambda c, x: c.open("POST", "/api/v1/activities", json=activity_payload(x["plan"])),
    ),
    "update activity": (
        "workplan",
        lambda s, r, a: {"url": f"/api/v1/activities/{seeded_activity(s).id}"},
        lambda c, x: c.open("PATCH", x["url"], json={"timeline": "2012"}, headers=x["etag"]),
    ),
    "archive activity": (
        "workplan",
        lambda s, r, a: {"url": f"/api/v1/activities/{seeded_activity(s).id}"},
        lambda c, x: c.open("DELETE", x["url"], headers=x["etag"]),
    ),
    "update work plan": (
        "workplan",
        lambda s, r, a: {"url": f"/api/v1/work-plans/{seeded_plan(s).id}"},
        lambda c, x: c.open("PATCH", x["url"], json={"notes": "Revised."}, headers=x["etag"]),
    ),
    "submit work plan": (
        "workplan",
        lambda s, r, a: {"url": f"/api/v1/work-plans/{seeded_plan(s).id}"},
        lambda c, x: c.open("POST", x["url"] + "/submit", headers=x["etag"]),
    ),
    "new work-plan version": (
        "workplan",
        lambda s, r, a: {"url": f"/api/v1/work-plans/{seeded_plan(s).id}"},
        lambda c, x: c.open("POST", x["url"] + "/versions", headers=x["etag"]),
    ),
}


def _archived(secretariat_caller, reader, url: str) -> str:
    archive(secretariat_caller, reader, url)
    return url


def expected_status(area: str, caller: str) -> int | str:
    if caller in UNAUTHENTICATED:
        return 401
    writers = DIRECTORY_WRITERS if area == "directory" else WORKPLAN_WRITERS
    return "2xx" if caller in writers else 403


@pytest.mark.parametrize("caller_name", CALLERS)
@pytest.mark.parametrize("operation", list(OPERATIONS))
def test_permission_matrix(operation, caller_name, session, make_caller, reader):
    area, prepare, perform = OPERATIONS[operation]
    secretariat = make_caller("secretariat")
    context = prepare(session, reader, secretariat)
    if "url" in context:
        context["etag"] = etag(reader, context["url"])
    caller = make_caller(caller_name)
    session.commit()
    before = fingerprint(session)

    response = perform(caller, context)

    expected = expected_status(area, caller_name)
    if expected == "2xx":
        assert 200 <= response.status_code < 300, (response.status_code, response.get_json())
        session.expire_all()
        assert fingerprint(session) != before
    else:
        assert response.status_code == expected, (response.status_code, response.get_json())
        session.expire_all()
        assert fingerprint(session) == before


def test_focal_point_cannot_move_an_authority_to_another_state(session, make_caller, reader):
    caller = make_caller("focal_point_same_state")
    url = f"/api/v1/authorities/{ar_authority(session).id}"
    before = fingerprint(session)
    response = caller.open("PATCH", url, json={"member_state": "BR"}, headers=etag(reader, url))
    assert response.status_code == 403
    session.expire_all()
    assert fingerprint(session) == before


def test_state_bound_client_cannot_move_a_contact_to_another_states_authority(
    session, make_caller, reader
):
    caller = make_caller("client_same_state")
    br_authority = session.execute(
        sa.select(Authority).where(Authority.member_state_code == "BR").limit(1)
    ).scalar_one()
    url = f"/api/v1/contacts/{ar_contact(session).id}"
    before = fingerprint(session)
    response = caller.open(
        "PATCH", url, json={"authority_id": br_authority.id}, headers=etag(reader, url)
    )
    assert response.status_code == 403
    session.expire_all()
    assert fingerprint(session) == before


def secretariat_only_ar_contact(session) -> ContactPoint:
    return session.execute(
        sa.select(ContactPoint).where(ContactPoint.demo_key == "demo-ar-alternate")
    ).scalar_one()


@pytest.mark.parametrize("caller_name", ["focal_point_same_state", "client_same_state"])
def test_only_the_secretariat_marks_a_contact_secretariat_only(caller_name, session, make_caller):
    caller = make_caller(caller_name)
    payload = contact_payload(ar_authority(session).id, visibility="secretariat")
    before = fingerprint(session)
    response = caller.open("POST", "/api/v1/contacts", json=payload)
    assert response.status_code == 403
    session.expire_all()
    assert fingerprint(session) == before


@pytest.mark.parametrize("caller_name", ["focal_point_same_state", "client_same_state"])
def test_a_secretariat_only_contact_is_out_of_reach_of_its_state(caller_name, session, make_caller):
    contact = secretariat_only_ar_contact(session)
    caller = make_caller(caller_name)
    url = f"/api/v1/contacts/{contact.id}"
    assert caller.open("GET", url).status_code == 404
    response = caller.open("PATCH", url, json={"position": "x"}, headers={"If-Match": '"x"'})
    assert response.status_code == 404
