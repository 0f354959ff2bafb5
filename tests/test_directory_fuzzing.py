"""The directory's write operations under fuzzing, with a credential that may write (AR)."""

import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import missing_required_header, positive_data_acceptance

from .directory_fixtures import WRITE
from .test_openapi import SPEC_FILE

writes = schemathesis.openapi.from_path(SPEC_FILE).include(
    path_regex=r"^/api/v1/(authorities|contacts)", method=["POST", "PATCH", "DELETE"]
)


@writes.parametrize()
@settings(
    max_examples=20,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
def test_directory_writes_honour_the_spec_under_fuzzing(case, app, session, bearer):
    case.call_and_validate(
        app=app,
        headers=bearer(WRITE, member_state="AR"),
        # Schema-valid data may still break a rule the schema cannot state (a member state
        # that exists, a dialable number): 422 is right. A missing If-Match is 428 (RFC 6585).
        excluded_checks=[positive_data_acceptance, missing_required_header],
    )
