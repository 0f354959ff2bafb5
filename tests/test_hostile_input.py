"""Hostile input costs neither a 500 nor the memory: size, shape, type and length limits."""

from __future__ import annotations

import io

import marshmallow as ma
import pytest

from service.config import ConfigurationError, load_config
from service.directory.schemas import ContactCreateSchema

from .directory_fixtures import contact_payload, demo_authority, demo_contact
from .test_openapi import committed_spec
from .workplan_fixtures import ACTIVITIES, PLANS, seeded_activity
from .workplan_fixtures import WRITE as WORKPLAN_WRITE

PROBLEM = "application/problem+json"
MB = 1024 * 1024


class UnreadableBody(io.RawIOBase):
    """A request body that records whether anyone read it."""

    def __init__(self):
        self.read_bytes = 0

    def readable(self):
        return True

    def readinto(self, buffer):
        self.read_bytes += len(buffer)
        buffer[: len(buffer)] = b"x" * len(buffer)
        return len(buffer)


def huge_post(client, path: str, size: int, content_type: str, **headers):
    body = UnreadableBody()
    response = client.post(
        path,
        content_type=content_type,
        headers=headers,
        environ_overrides={"wsgi.input": body, "CONTENT_LENGTH": str(size)},
    )
    return response, body


@pytest.fixture
def directory_writer(app, session, bearer):
    test_client = app.test_client()
    test_client.environ_base["HTTP_AUTHORIZATION"] = bearer(
        "directory:read directory:write", member_state="AR"
    )["Authorization"]
    return test_client


@pytest.fixture
def plan_writer(app, session, bearer):
    test_client = app.test_client()
    test_client.environ_base["HTTP_AUTHORIZATION"] = bearer(WORKPLAN_WRITE)["Authorization"]
    session.commit()
    return test_client


def etag_of(client, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200, response.get_json()
    return response.headers["ETag"]


def errors_of(response) -> dict[str, str]:
    assert response.mimetype == PROBLEM, response.data[:200]
    return {e["field"]: e["message"] for e in response.get_json().get("errors", [])}


# -- size: 413 before the body is read -------------------------------------------------------


def test_an_api_body_over_the_limit_is_refused_before_it_is_read(directory_writer):
    response, body = huge_post(directory_writer, "/api/v1/contacts", 150 * MB, "application/json")
    assert response.status_code == 413
    assert response.mimetype == PROBLEM
    assert "1048576 bytes" in response.get_json()["detail"]
    assert body.read_bytes == 0


def test_an_anonymous_login_post_over_the_limit_gets_a_plain_413_unread(client):
    response, body = huge_post(
        client, "/auth/local-login", 300 * MB, "application/x-www-form-urlencoded"
    )
    assert response.status_code == 413
    assert response.mimetype == "text/html"
    assert body.read_bytes == 0


def test_a_body_just_under_the_limit_is_read_and_judged_on_its_content(directory_writer):
    payload = b'{"name": "' + b"a" * (MB - 100) + b'"}'
    response = directory_writer.post(
        "/api/v1/authorities", data=payload, content_type="application/json"
    )
    assert response.status_code == 422  # read, then refused for what it says
    assert "name" in errors_of(response)


def test_the_limit_is_configured_by_max_content_length(monkeypatch, tmp_path):
    monkeypatch.setenv("MAX_CONTENT_LENGTH", "2097152")
    assert load_config(str(tmp_path), {"SERVICE_ENV": "testing"})["MAX_CONTENT_LENGTH"] == 2 * MB
    monkeypatch.delenv("MAX_CONTENT_LENGTH")
    assert load_config(str(tmp_path), {"SERVICE_ENV": "testing"})["MAX_CONTENT_LENGTH"] == MB
    monkeypatch.setenv("MAX_CONTENT_LENGTH", "1 MB")
    with pytest.raises(ConfigurationError, match="MAX_CONTENT_LENGTH"):
        load_config(str(tmp_path), {"SERVICE_ENV": "testing"})


# -- shape: depth and widths bounded ---------------------------------------------------------


def test_a_json_body_nested_100000_levels_is_a_400_naming_the_depth(directory_writer):
    body = "[" * 100_000 + "]" * 100_000
    response = directory_writer.post("/api/v1/contacts", data=body, content_type="application/json")
    assert response.status_code == 400
    assert response.mimetype == PROBLEM
    assert "levels deep" in response.get_json()["detail"]


def test_a_json_body_nested_deeper_than_the_limit_is_a_400_too(directory_writer):
    body = '{"channels": ' + "[" * 40 + "]" * 40 + "}"
    response = directory_writer.post("/api/v1/contacts", data=body, content_type="application/json")
    assert response.status_code == 400
    assert "levels deep" in response.get_json()["detail"]


def test_brackets_inside_a_text_are_text_not_nesting(directory_writer, session):
    contact = demo_contact("demo-ar-focal")
    url = f"/api/v1/contacts/{contact.id}"
    position = "[[[[[[[[[[[[[[[[[[[[ {{{{{{{{{{{{{{{{{{{{"
    response = directory_writer.patch(
        url, json={"position": position}, headers={"If-Match": etag_of(directory_writer, url)}
    )
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["position"] == position


def test_an_array_of_more_than_1000_items_is_a_400_naming_where(directory_writer):
    payload = contact_payload(1, competences=["prevention"] * 5000)
    response = directory_writer.post("/api/v1/contacts", json=payload)
    assert response.status_code == 400
    assert errors_of(response) == {
        "competences": "An array of 5000 items; at most 1000 are accepted."
    }


# -- collections: their size is checked before their items -----------------------------------


def test_250000_channels_are_refused_by_count_without_validating_one(session):
    schema = ContactCreateSchema()
    payload = contact_payload(1, channels=[{"type": "fax", "value": "not a number"}] * 250_000)
    with pytest.raises(ma.ValidationError) as refused:
        schema.load(payload)
    assert refused.value.messages["channels"] == ["At most 20 channels."]


def test_a_contact_with_too_many_channels_is_a_422_naming_the_field(directory_writer, session):
    authority = demo_authority("demo-ar-coordination")
    channel = {"type": "email", "value": "not an address"}
    payload = contact_payload(authority.id, channels=[channel] * 900)
    response = directory_writer.post("/api/v1/contacts", json=payload)
    assert response.status_code == 422
    assert errors_of(response) == {"channels": "At most 20 channels."}


@pytest.mark.parametrize(
    ("field", "item", "limit", "noun"),
    [("competences", "prevention", 20, "competences"), ("languages", "es", 20, "languages")],
)
def test_every_nested_list_of_a_contact_is_counted_first(
    directory_writer, session, field, item, limit, noun
):
    payload = contact_payload(demo_authority("demo-ar-coordination").id, **{field: [item] * 900})
    response = directory_writer.post("/api/v1/contacts", json=payload)
    assert response.status_code == 422
    assert errors_of(response) == {field: f"At most {limit} {noun}."}


def test_an_activity_with_too_many_bodies_is_refused_by_count(plan_writer, session):
    plan_id = seeded_plan_id(plan_writer)
    payload = {
        "work_plan": plan_id,
        "code": "X-1",
        "pillar": "prevention",
        "title": "t",
        "description": "d",
        "recommendations": ["RTP-II/R13"],
        "bodies": [{"body": "NOPE", "role": "lead"}] * 500,
    }
    response = plan_writer.post(ACTIVITIES, json=payload)
    assert response.status_code == 422
    assert errors_of(response) == {"bodies": "At most 20 bodies."}


def seeded_plan_id(client) -> int:
    plans = client.get(PLANS, query_string={"code": "WP-TIP"}).get_json()
    return min(p["id"] for p in plans)


# -- content type: a write must be JSON ------------------------------------------------------


def test_a_patch_sent_as_text_plain_is_a_415_and_changes_nothing(directory_writer, session):
    contact = demo_contact("demo-ar-focal")
    url = f"/api/v1/contacts/{contact.id}"
    before = directory_writer.get(url).get_json()
    response = directory_writer.patch(
        url,
        data='{"position": "Changed"}',
        content_type="text/plain",
        headers={"If-Match": etag_of(directory_writer, url)},
    )
    assert response.status_code == 415
    assert response.mimetype == PROBLEM
    assert "application/json" in response.get_json()["detail"]
    assert directory_writer.get(url).get_json() == before


def test_a_patch_without_a_body_is_refused_not_a_silent_200(directory_writer, session):
    contact = demo_contact("demo-ar-focal")
    url = f"/api/v1/contacts/{contact.id}"
    response = directory_writer.patch(url, headers={"If-Match": etag_of(directory_writer, url)})
    assert response.status_code == 422
    assert "A JSON request body is required." in response.get_json()["detail"]


def test_a_post_action_without_a_body_needs_no_content_type(directory_writer, session):
    contact = demo_contact("demo-ar-focal")
    url = f"/api/v1/contacts/{contact.id}"
    response = directory_writer.post(
        f"{url}/verify", headers={"If-Match": etag_of(directory_writer, url)}
    )
    assert response.status_code == 200


# -- partial updates validate nested items whole ---------------------------------------------


def test_patching_a_plan_with_an_exclusion_without_reason_names_the_reason(plan_writer, session):
    url = f"{PLANS}/{seeded_plan_id(plan_writer)}"
    response = plan_writer.patch(
        url,
        json={"exclusions": [{"recommendation": "RTP-II/R51"}]},
        headers={"If-Match": etag_of(plan_writer, url)},
    )
    assert response.status_code == 422
    assert errors_of(response) == {"exclusions.0.reason": "Missing data for required field."}


def test_patching_an_activity_with_a_body_without_role_names_the_role(plan_writer, session):
    from service.workplan.models import WorkPlan

    plan = session.get(WorkPlan, seeded_plan_id(plan_writer))
    url = f"{ACTIVITIES}/{seeded_activity(plan, plan.activities[0].code).id}"
    response = plan_writer.patch(
        url, json={"bodies": [{"body": "DPS"}]}, headers={"If-Match": etag_of(plan_writer, url)}
    )
    assert response.status_code == 422
    assert errors_of(response) == {"bodies.0.role": "Missing data for required field."}


def test_a_partial_patch_still_leaves_out_the_top_level_fields(plan_writer, session):
    url = f"{PLANS}/{seeded_plan_id(plan_writer)}"
    response = plan_writer.patch(
        url, json={"notes": "Only the notes."}, headers={"If-Match": etag_of(plan_writer, url)}
    )
    assert response.status_code in (200, 409), response.get_json()  # 409: plan not a draft
    assert response.status_code != 422


# -- other input that used to cost a 500 -----------------------------------------------------


def test_a_member_state_code_with_a_nul_is_a_404(api):
    for path in ("/api/v1/member-states/%00", "/api/v1/member-states/%00/completeness"):
        response = api.get(path)
        assert response.status_code == 404, path
        assert response.mimetype == PROBLEM


def test_a_lone_surrogate_is_a_422_naming_the_field(directory_writer, session):
    contact = demo_contact("demo-ar-focal")
    url = f"/api/v1/contacts/{contact.id}"
    response = directory_writer.patch(
        url,
        data='{"position": "\\ud800"}',
        content_type="application/json",
        headers={"If-Match": etag_of(directory_writer, url)},
    )
    assert response.status_code == 422
    assert list(errors_of(response)) == ["position"]


@pytest.mark.parametrize(
    "number", ["9" * 5001, "1e999", "-1e999", "NaN", "Infinity"], ids=lambda n: n[:8]
)
def test_a_number_json_cannot_carry_is_a_client_error(directory_writer, session, number):
    body = '{"authority_id": ' + number + ', "kind": "office", "name": "x", "role": "alternate"}'
    response = directory_writer.post("/api/v1/contacts", data=body, content_type="application/json")
    assert response.status_code == 400
    assert response.mimetype == PROBLEM


# -- the description declares the limits -----------------------------------------------------


def _strings_without_bounds(node, where: str, spec: dict, seen: set):
    if isinstance(node, dict):
        if "$ref" in node:
            name = node["$ref"].rsplit("/", 1)[-1]
            if name not in seen:
                seen.add(name)
                yield from _strings_without_bounds(
                    spec["components"]["schemas"][name], name, spec, seen
                )
            return
        if node.get("type") == "string" and not (
            "maxLength" in node or "enum" in node or node.get("format") in {"date", "date-time"}
        ):
            yield where
        if node.get("type") == "array" and "maxItems" not in node:
            yield f"{where} (array)"
        for key, value in node.get("properties", {}).items():
            yield from _strings_without_bounds(value, f"{where}.{key}", spec, seen)
        for key in ("items", "schema"):
            if key in node:
                yield from _strings_without_bounds(node[key], where, spec, seen)
    elif isinstance(node, list):
        for item in node:
            yield from _strings_without_bounds(item, where, spec, seen)


def test_every_text_and_list_the_api_reads_has_a_declared_maximum():
    spec = committed_spec()
    unbounded = []
    for path, item in spec["paths"].items():
        if not path.startswith("/api/"):
            continue
        for parameter in item.get("parameters", []):
            name = f"{path} {{{parameter['name']}}}"
            unbounded += _strings_without_bounds(parameter["schema"], name, spec, set())
        for method, operation in item.items():
            if method not in {"get", "post", "put", "patch", "delete"}:
                continue
            for parameter in operation.get("parameters", []):
                if isinstance(parameter, dict) and parameter.get("in") in {"query", "path"}:
                    name = f"{method.upper()} {path} ?{parameter['name']}"
                    unbounded += _strings_without_bounds(parameter["schema"], name, spec, set())
            body = operation.get("requestBody", {}).get("content", {})
            for media in body.values():
                name = f"{method.upper()} {path} body"
                unbounded += _strings_without_bounds(media["schema"], name, spec, set())
    assert unbounded == []


def test_every_api_blueprint_reads_json_with_the_bounded_parser(app):
    from service.core.request_limits import BoundedJSONParser

    api_blueprints = [
        bp for bp in app.blueprints.values() if (bp.url_prefix or "").startswith("/api/")
    ]
    assert api_blueprints
    for blueprint in api_blueprints:
        assert isinstance(blueprint.ARGUMENTS_PARSER, BoundedJSONParser), blueprint.name


# -- the near-duplicate check is bounded -----------------------------------------------------


def plan_overlaps(client, plan_id: int) -> dict:
    response = client.get(f"{PLANS}/{plan_id}/overlaps")
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def test_a_long_description_is_compared_as_its_first_distinct_words(plan_writer, session):
    from service.workplan import overlaps
    from service.workplan.models import Activity

    words = [f"word{i}" for i in range(5000)]
    activity = Activity(title="Title", description=" ".join(words * 2))
    compared = overlaps.comparable_text(activity).split()
    assert len(compared) == overlaps.COMPARED_WORDS
    assert "title" in compared and "word0" in compared and "word4999" not in compared


def test_a_large_plan_is_compared_over_several_requests_each_bounded(
    plan_writer, session, monkeypatch
):
    from service.workplan import overlaps

    plan_id = seeded_plan_id(plan_writer)
    original = plan_writer.get(ACTIVITIES, query_string={"work_plan": plan_id}).get_json()[0]
    copy = {
        "work_plan": plan_id,
        "code": "ZZZ-99",
        "pillar": original["pillar"],
        "title": original["title"],
        "description": original["description"] + " Again.",
        "recommendations": ["RTP-II/R30"],
        "bodies": [{"body": "SMS", "role": "lead"}],
    }
    assert plan_writer.post(ACTIVITIES, json=copy).status_code == 201

    calls = []
    real_ratio = overlaps.fuzz.token_set_ratio
    monkeypatch.setattr(
        overlaps.fuzz, "token_set_ratio", lambda *a, **k: calls.append(1) or real_ratio(*a, **k)
    )
    monkeypatch.setattr(overlaps, "PAIRS_PER_REQUEST", 100)
    monkeypatch.setattr(overlaps, "_scans", type(overlaps._scans)())  # nothing kept before
    reports = [plan_overlaps(plan_writer, plan_id)]
    while not reports[-1]["complete"]:
        assert len(reports) < 20
        reports.append(plan_overlaps(plan_writer, plan_id))
    total = reports[-1]["total_pairs"]
    assert len(reports) == -(-total // 100)  # every request did its bounded share
    assert [r["compared_pairs"] for r in reports] == [
        min(100 * n, total) for n in range(1, 1 + len(reports))
    ]
    assert len(calls) == total
    codes = [{p["first"]["code"], p["second"]["code"]} for p in reports[-1]["overlaps"]]
    assert {original["code"], "ZZZ-99"} in codes

    again = plan_overlaps(plan_writer, plan_id)  # unchanged plan: kept, nothing compared
    assert again == reports[-1] and len(calls) == total
