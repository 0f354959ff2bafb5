"""The first API slice: member states, documents, recommendations, bodies, errors, probes."""

import json


def test_member_states_lists_all_35_with_names_in_the_four_languages(api):
    response = api.get("/api/v1/member-states?page_size=100")
    assert response.status_code == 200
    states = response.get_json()
    assert len(states) == 35
    assert json.loads(response.headers["X-Pagination"])["total"] == 35
    argentina = next(s for s in states if s["code"] == "AR")
    assert argentina["alpha3"] == "ARG"
    assert argentina["names"] == {
        "en": "Argentina",
        "es": "Argentina",
        "fr": "Argentine",
        "pt": "Argentina",
    }


def test_member_states_paginate_with_totals(api):
    response = api.get("/api/v1/member-states?page=2&page_size=10")
    pagination = json.loads(response.headers["X-Pagination"])
    assert len(response.get_json()) == 10
    assert pagination["total"] == 35
    assert pagination["total_pages"] == 4
    assert pagination["page"] == 2


def test_member_state_by_code_has_etag_and_answers_304_when_unchanged(api):
    response = api.get("/api/v1/member-states/br")
    assert response.status_code == 200
    assert response.get_json()["names"]["pt"] == "Brasil"
    etag = response.headers["ETag"]
    again = api.get("/api/v1/member-states/BR", headers={"If-None-Match": etag})
    assert again.status_code == 304


def test_withdrawn_state_is_reported_with_date(api):
    response = api.get("/api/v1/member-states?status=withdrawn")
    assert [(s["code"], s["status_date"]) for s in response.get_json()] == [("NI", "2023-11-19")]


def test_unknown_member_state_is_a_problem_document(api):
    response = api.get("/api/v1/member-states/ZZ")
    assert response.status_code == 404
    assert response.mimetype == "application/problem+json"
    body = response.get_json()
    assert body["status"] == 404 and body["title"] == "Not Found"
    assert "ZZ" in body["detail"]


def test_recommendations_filter_by_document_and_section(api):
    response = api.get(
        "/api/v1/recommendations?document=RTP-II&section=we_also_resolve&page_size=100"
    )
    assert [r["reference"] for r in response.get_json()] == [
        "RTP-II/R49",
        "RTP-II/R50",
        "RTP-II/R51",
    ]


def test_recommendations_of_second_meeting_are_51(api):
    response = api.get("/api/v1/recommendations?document=RTP-II&page_size=100")
    assert json.loads(response.headers["X-Pagination"])["total"] == 51
    numbers = [r["number"] for r in response.get_json()]
    assert numbers == list(range(1, 52))


def test_recommendation_text_search_ignores_case_and_accents(api):
    plain = api.get("/api/v1/recommendations?q=DIRECTORY OF NATIONAL AUTHORITIES")
    assert "RTP-II/R47" in [r["reference"] for r in plain.get_json()]
    # "Hemisferio" vs "hemisphere" is not the point; accents are: query with an accent
    accented = api.get("/api/v1/recommendations?q=directóry of national authoritíes")
    assert [r["reference"] for r in accented.get_json()] == [
        r["reference"] for r in plain.get_json()
    ]


def test_bodies_show_their_parent(api):
    response = api.get("/api/v1/bodies?parent=SMS")
    codes = {b["code"] for b in response.get_json()}
    assert "DPS" in codes
    dps = next(b for b in response.get_json() if b["code"] == "DPS")
    assert dps["parent"] == "SMS"
    one = api.get(f"/api/v1/bodies/{dps['id']}")
    assert one.get_json()["name"] == "Department of Public Security"


def test_documents_include_first_meeting_without_texts(api):
    documents = api.get("/api/v1/documents?page_size=100").get_json()
    first_meeting = next(d for d in documents if d["code"] == "RTP-I")
    response = api.get("/api/v1/recommendations?document=RTP-I")
    assert first_meeting["kind"] == "meeting_conclusions"
    assert response.get_json() == []


def test_bad_query_argument_names_the_field(api):
    response = api.get("/api/v1/recommendations?section=nonsense")
    assert response.status_code == 422
    assert response.mimetype == "application/problem+json"
    errors = response.get_json()["errors"]
    assert [(e["location"], e["field"]) for e in errors] == [("query", "section")]
    assert "Must be one of" in errors[0]["message"]
    too_big = api.get("/api/v1/recommendations?page_size=500")
    assert too_big.status_code == 422
    assert too_big.get_json()["errors"][0]["field"] == "page_size"


def test_wrong_method_keeps_allow_header(api):
    response = api.delete("/api/v1/member-states")
    assert response.status_code == 405
    assert response.mimetype == "application/problem+json"
    assert "GET" in response.headers["Allow"]


def test_pages_outside_the_api_get_ordinary_error_pages(client):
    response = client.get("/no-such-page")
    assert response.status_code == 404
    assert response.mimetype == "text/html"


def test_health_and_readiness(client):
    assert client.get("/healthz").get_json() == {"status": "ok"}
    ready = client.get("/readyz")
    assert ready.status_code == 200
    assert ready.get_json()["database"] == "ok"


def test_request_id_is_echoed_or_assigned(api):
    response = api.get("/healthz", headers={"X-Request-ID": "abc-123"})
    assert response.headers["X-Request-ID"] == "abc-123"
    generated = api.get("/healthz", headers={"X-Request-ID": "bad id!"})
    assert generated.headers["X-Request-ID"] != "bad id!"
    assert len(generated.headers["X-Request-ID"]) == 32


def test_interactive_docs_are_served_without_a_third_party_cdn(client):
    page = client.get("/docs")
    assert page.status_code == 200
    assert b"/docs/assets/swagger-ui-bundle.js" in page.data
    with client.get("/docs/assets/swagger-ui-bundle.js") as asset:
        assert asset.status_code == 200
        assert asset.mimetype in {"text/javascript", "application/javascript"}


def test_nothing_is_readable_without_a_credential(client):
    for path in ("/api/v1/member-states", "/api/v1/recommendations", "/api/v1/bodies/1"):
        response = client.get(path)
        assert response.status_code == 401
        assert response.mimetype == "application/problem+json"
        assert response.headers["WWW-Authenticate"].startswith("Bearer")


def test_an_unknown_token_is_refused(client):
    response = client.get(
        "/api/v1/member-states", headers={"Authorization": "Bearer oasdir_at_not-a-real-token"}
    )
    assert response.status_code == 401
    assert 'error="invalid_token"' in response.headers["WWW-Authenticate"]


def test_a_token_without_the_scope_is_forbidden(client, bearer):
    response = client.get("/api/v1/recommendations", headers=bearer("directory:read"))
    assert response.status_code == 403
    assert "workplan:read" in response.get_json()["detail"]


def test_pages_carry_the_browser_security_headers(client):
    response = client.get("/auth/login")
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["X-Frame-Options"] == "DENY"
    assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]
