"""Every operation fuzzed with credentials that can write: no 500, nothing outside the spec.

Three callers: a partner system bound to Argentina with directory:write, a partner system with
workplan:write, and a signed-in secretariat officer (session cookie and CSRF token). Each
operation runs with each of them (schemathesis, bounded examples), then a stateful run follows
the links schemathesis infers from the spec (create, then read, change, archive what was
created). So that the fuzzer reaches past the ETag and reference checks, each generated case
is pointed at rows that exist (its ids mapped onto real ones, references onto real codes)
and carries the current ETag in If-Match. The checks include `not_a_server_error` and
`response_schema_conformance`. Counts of cases per leg are printed (`pytest -s`).
"""

from __future__ import annotations

import collections
import re
import zlib

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, Phase, settings
from schemathesis.checks import ignored_auth, missing_required_header, positive_data_acceptance

from service.core.db import db
from service.directory.models import Authority, Competence, ContactPoint, MemberState
from service.workplan.models import (
    Activity,
    Recommendation,
    ResponsibleBody,
    SourceDocument,
    WorkPlan,
    WorkPlanStatus,
)

from .test_openapi import committed_schema

EXAMPLES_PER_OPERATION = 6
STATEFUL_EXAMPLES = 8
STATEFUL_STEPS = 6
CASES: collections.Counter = collections.Counter()  # per database leg


schema = committed_schema().include(path_regex=r"^/api/v1/")
# Schema-valid data may still break a rule the schema cannot state (a member state that
# exists, a dialable number, a plan that is a draft): 422/409 are right. A missing If-Match
# is 428 (RFC 6585), not the 4xx schemathesis expects for a missing header.
EXCLUDED = [positive_data_acceptance, missing_required_header]
PRINCIPALS = ["state_writer", "plan_writer", "secretariat"]
DIRECTORY_WRITES = r"^/api/v1/(authorities|contacts)"
WORKPLAN_WRITES = r"^/api/v1/(documents|recommendations|bodies|work-plans|activities)"
WRITES = ["POST", "PATCH", "PUT", "DELETE"]


# Each write with the callers who may make it; the secretariat's run adds schemathesis'
# coverage phase (boundary and negative values of every field, missing bodies...).
# Reads are fuzzed in test_openapi.py.
def generated_only(schema):
    """A run with Hypothesis' generate phase only (FUZZ_SETTINGS): schemathesis need not build
    the coverage phase's examples at collection, which that run would never use."""
    schema.config.phases.coverage.enabled = False
    return schema


RUNS = {
    "state_writer": generated_only(
        committed_schema().include(path_regex=DIRECTORY_WRITES, method=WRITES)
    ),
    "plan_writer": generated_only(
        committed_schema().include(path_regex=WORKPLAN_WRITES, method=WRITES)
    ),
    "secretariat": committed_schema().include(path_regex=r"^/api/v1/", method=WRITES),
}


@pytest.fixture
def credentials(app, session, bearer, login):
    test_client = app.test_client()
    csrf = login(test_client, "secretariat")
    cookie = test_client.get_cookie("session")
    return {
        "state_writer": bearer("directory:read directory:write workplan:read", member_state="AR"),
        "plan_writer": bearer("directory:read workplan:read workplan:write"),
        "secretariat": {"Cookie": f"session={cookie.value}", **csrf},
    }


class RealRows:
    """What exists in the database, to point generated ids and references at."""

    def __init__(self, principal: str):
        self.etags: dict[str, str | None] = {}  # path -> its current ETag (current_etag)
        own = principal == "state_writer"
        authorities = sa.select(Authority.id).order_by(Authority.id)
        contacts = sa.select(ContactPoint.id).join(ContactPoint.authority).order_by(ContactPoint.id)
        if own:
            authorities = authorities.where(Authority.member_state_code == "AR")
            contacts = contacts.where(Authority.member_state_code == "AR")
        drafts = sa.select(WorkPlan.id).where(WorkPlan.status == WorkPlanStatus.DRAFT)
        self.ids = {
            "authority_id": self._all(authorities),
            "contact_id": self._all(contacts),
            "plan_id": self._all(sa.select(WorkPlan.id).order_by(WorkPlan.id)),
            "activity_id": self._all(sa.select(Activity.id).order_by(Activity.id)),
            "document_id": self._all(sa.select(SourceDocument.id).order_by(SourceDocument.id)),
            "recommendation_id": self._all(
                sa.select(Recommendation.id).order_by(Recommendation.id)
            ),
            "body_id": self._all(sa.select(ResponsibleBody.id).order_by(ResponsibleBody.id)),
            "work_plan": self._all(drafts.order_by(WorkPlan.id)),
            "authority": self._all(authorities),
        }
        self.codes = {
            "code": ["AR"] if own else self._all(sa.select(MemberState.code)),
            "member_state": ["AR"] if own else self._all(sa.select(MemberState.code)),
            "competences": self._all(sa.select(Competence.code)),
            "languages": ["es", "en", "fr", "pt"],
            "recommendations": self._all(
                sa.select(Recommendation.reference).order_by(Recommendation.id)
            ),
            "recommendation": self._all(
                sa.select(Recommendation.reference).order_by(Recommendation.id)
            ),
            "mandates": self._all(sa.select(SourceDocument.code)),
            "document": self._all(sa.select(SourceDocument.code)),
            "body": self._all(sa.select(ResponsibleBody.code)),
            "parent": self._all(sa.select(ResponsibleBody.code)),
        }
        self.codes["authority_id"] = self.ids["authority_id"]
        self.codes["work_plan"] = self.ids["work_plan"]

    @staticmethod
    def _all(statement) -> list:
        return list(db.session.execute(statement).scalars())

    @staticmethod
    def _pick(choices: list, seed) -> object:
        return choices[zlib.crc32(repr(seed).encode("utf-8", "surrogatepass")) % len(choices)]

    def path(self, parameters: dict) -> dict:
        mapped = {}
        for name, value in parameters.items():
            choices = self.ids.get(name) or self.codes.get(name)
            # every seventh value is left as generated: unknown ids must stay a clean 404
            keep = not choices or zlib.crc32(repr(value).encode()) % 7 == 0
            mapped[name] = value if keep else self._pick(choices, value)
        return mapped

    def body(self, value, key: str | None = None):
        """References in a body onto real rows; shapes and other values as generated."""
        if isinstance(value, dict):
            return {k: self.body(v, k) for k, v in value.items()}
        choices = self.codes.get(key or "")
        if isinstance(value, list):
            if choices and all(isinstance(v, str) for v in value):
                return list(dict.fromkeys(self._pick(choices, (v, i)) for i, v in enumerate(value)))
            return [self.body(v, key) for v in value]
        if choices and isinstance(value, type(choices[0])) and not isinstance(value, bool):
            return self._pick(choices, value)
        return value


def current_etag(app, case, headers: dict, known: dict[str, str | None]) -> str | None:
    """The ETag of the resource the case changes (its own path, or the parent of an action).

    Asked once per path and kept in `known` until a write succeeds: nothing else changes the
    database during a run, and a refused write changes nothing (half of these GETs, a tenth of
    the fuzzing's time, asked again what had not changed)."""
    path = case.formatted_path
    if path not in known:
        known[path] = None
        for candidate in (path, re.sub(r"/[a-z]+$", "", path)):
            response = app.test_client().get(candidate, headers=headers)
            if response.status_code == 200 and "ETag" in response.headers:
                known[path] = response.headers["ETag"]
                break
    return known[path]


def prepare(app, case, rows: RealRows, headers: dict) -> None:
    if case.path_parameters:
        case.path_parameters = rows.path(case.path_parameters)
    if isinstance(case.body, dict | list):
        case.body = rows.body(case.body)
    if case.method.upper() in WRITES and case.path_parameters:
        etag = current_etag(app, case, headers, rows.etags)
        if etag is not None:
            case.headers = {**(case.headers or {}), "If-Match": etag}


def settle(case, response, rows: RealRows) -> None:
    """After a write that succeeded, every kept ETag may be out of date."""
    if case.method.upper() in WRITES and response.status_code < 400:
        rows.etags.clear()


def leg(app) -> str:
    with app.app_context():
        return db.engine.dialect.name


COVERAGE_SETTINGS = settings(
    max_examples=EXAMPLES_PER_OPERATION,
    deadline=None,
    database=None,
    suppress_health_check=list(HealthCheck),
)
# Random generation only (no coverage phase, which lives in Phase.explicit).
FUZZ_SETTINGS = settings(COVERAGE_SETTINGS, phases=[Phase.generate])


@pytest.fixture
def real_rows(session):
    return {}


def fuzz(case, app, credentials, real_rows, principal: str) -> None:
    headers = credentials[principal]
    if principal not in real_rows:
        real_rows[principal] = RealRows(principal)
    prepare(app, case, real_rows[principal], headers)
    response = case.call_and_validate(app=app, headers=headers, excluded_checks=EXCLUDED)
    settle(case, response, real_rows[principal])
    CASES[leg(app)] += 1


@RUNS["state_writer"].parametrize()
@FUZZ_SETTINGS
def test_directory_writes_hold_under_fuzzing_by_a_state_bound_client(
    case, app, credentials, real_rows
):
    fuzz(case, app, credentials, real_rows, "state_writer")


@RUNS["plan_writer"].parametrize()
@FUZZ_SETTINGS
def test_workplan_writes_hold_under_fuzzing_by_a_workplan_writer(case, app, credentials, real_rows):
    fuzz(case, app, credentials, real_rows, "plan_writer")


@RUNS["secretariat"].parametrize()
@COVERAGE_SETTINGS
def test_every_write_holds_under_fuzzing_by_the_secretariat(case, app, credentials, real_rows):
    fuzz(case, app, credentials, real_rows, "secretariat")


@pytest.mark.parametrize("principal", PRINCIPALS)
def test_stateful_write_sequences_hold(app, session, credentials, principal):
    """Create, then read, change and archive what was created, by the links of the spec."""
    headers = credentials[principal]
    rows = RealRows(principal)

    class Writers(schema.as_state_machine()):
        def before_call(self, case):
            prepare(app, case, rows, headers)

        def get_call_kwargs(self, case):
            return {"app": app, "headers": headers}

        def validate_response(self, response, case, additional_checks=None, **kwargs):
            settle(case, response, rows)
            CASES[leg(app)] += 1
            case.validate_response(
                response,
                additional_checks=additional_checks,
                # re-sending without credentials would reuse this run's headers: the API's
                # 401s are tested in test_openapi.py (test_no_api_operation_answers_...)
                excluded_checks=[*EXCLUDED, ignored_auth],
                transport_kwargs=kwargs,
            )

    Writers.run(
        settings=settings(
            max_examples=STATEFUL_EXAMPLES,
            stateful_step_count=STATEFUL_STEPS,
            deadline=None,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
    )


def test_report_the_fuzzing_case_counts(app):
    print(f"\nwrite fuzzing cases so far: {dict(CASES)}")
