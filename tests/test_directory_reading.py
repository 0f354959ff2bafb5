"""Reading the directory: lists, filters, accent-insensitive search, visibility, ETags, N+1."""

import pytest

from service.core.db import db
from service.directory.models import Authority, Channel, ContactPoint

from .directory_fixtures import (
    authority_payload,
    demo_authority,
    demo_contact,
    pagination,
)

SECRETARIAT_ONLY = {
    "demo-ar-alternate",
    "demo-ar-prosecution-technical",
    "demo-br-technical",
    "demo-ca-technical",
    "demo-co-alternate",
}


def names(response) -> list[str]:
    return [entry["name"] for entry in response.get_json()]


def test_partner_lists_network_contacts_with_channels_and_authority(api):
    response = api.get("/api/v1/contacts?page_size=100")
    assert response.status_code == 200
    contacts = response.get_json()
    assert pagination(response)["total"] == 12 == len(contacts)
    hotline = next(c for c in contacts if c["name"] == "Demo 24/7 Victim Hotline (fictitious)")
    assert hotline["member_state"] == "AR"
    assert hotline["authority"]["acronym"] == "DEMO-CNT"
    assert hotline["channels"][0] == {
        "type": "mobile",
        "value": "+12025550102",
        "label": "Duty mobile",
        "preferred": True,
    }
    assert hotline["languages"] == ["es", "en", "pt"]
    assert hotline["removed"] is False and "last_verified_at" in hotline


def test_secretariat_only_contacts_are_hidden_from_partners_even_by_id(api, session):
    hidden = demo_contact("demo-ar-alternate")
    listed = api.get("/api/v1/contacts?page_size=100&q=alfa")
    assert listed.get_json() == []
    assert api.get(f"/api/v1/contacts/{hidden.id}").status_code == 404


def test_secretariat_sees_secretariat_only_contacts(secretariat):
    response = secretariat.get("/api/v1/contacts?page_size=100")
    assert pagination(response)["total"] == 17
    assert {c["visibility"] for c in response.get_json()} == {"network", "secretariat"}
    hidden = demo_contact("demo-ar-alternate")
    assert secretariat.get(f"/api/v1/contacts/{hidden.id}").get_json()["name"] == hidden.name


def test_focal_point_of_the_same_state_does_not_see_secretariat_only_contacts(app, session, login):
    person = app.test_client()
    login(person, "focal_point", "AR")
    assert person.get(f"/api/v1/contacts/{demo_contact('demo-ar-alternate').id}").status_code == 404


@pytest.mark.parametrize("query", ["policia", "POLICÍA", "Policia nacional", "pn"])
def test_search_ignores_case_and_accents(writer, query):
    created = writer.post("/api/v1/authorities", json=authority_payload())
    assert created.status_code == 201, created.get_json()
    found = writer.get(f"/api/v1/authorities?q={query}")
    assert "Policía Nacional de Demostración (ficticia)" in names(found)


def test_contact_search_matches_the_authority_name(api):
    # "Unidad Fiscal Especializada" is only in the authority's local name
    response = api.get("/api/v1/contacts?q=unidad%20fiscal")
    assert names(response) == ["Demo Prosecution Liaison Office (fictitious)"]


def test_contact_search_matches_position_with_accents_folded(api):
    response = api.get("/api/v1/contacts?q=direccion de demostracion")
    assert names(response) == ["Demo Focal Point Office (fictitious)"]
    assert response.get_json()[0]["member_state"] == "MX"


def test_contacts_filter_by_several_member_states_and_role(api):
    response = api.get("/api/v1/contacts?member_state=AR,mx&role=operational_24_7")
    assert sorted(c["member_state"] for c in response.get_json()) == ["AR", "MX"]
    assert {c["role"] for c in response.get_json()} == {"operational_24_7"}


def test_contacts_filter_by_language_competence_authority_and_availability(api):
    portuguese = api.get("/api/v1/contacts?language=pt&page_size=100").get_json()
    assert {c["name"] for c in portuguese} == {
        "Demo 24/7 Victim Hotline (fictitious)",
        "Demo Focal Point Office (fictitious)",
        "Demo Person Charlie (fictitious)",
    }
    assert all("pt" in c["languages"] for c in portuguese)
    extradition = api.get("/api/v1/contacts?competence=mutual_legal_assistance").get_json()
    assert [c["name"] for c in extradition] == ["Demo Prosecution Liaison Office (fictitious)"]
    authority = demo_authority("demo-ca-police")
    canada = api.get(f"/api/v1/contacts?authority={authority.id}").get_json()
    assert {c["authority"]["id"] for c in canada} == {authority.id} and len(canada) == 2
    always = api.get("/api/v1/contacts?available_24_7=true").get_json()
    assert {c["member_state"] for c in always} == {"AR", "CA", "MX"}


def test_authorities_filter_by_state_kind_language_and_coordination(api):
    french = api.get("/api/v1/authorities?language=fr").get_json()
    assert [a["member_state"] for a in french] == ["CA"]
    coordinating = api.get("/api/v1/authorities?is_coordinating=true&page_size=100")
    assert pagination(coordinating)["total"] == 6
    prosecution = api.get("/api/v1/authorities?member_state=AR&kind=prosecution").get_json()
    assert [a["acronym"] for a in prosecution] == ["DEMO-UFET"]
    assert prosecution[0]["competences"] == [
        "investigation_prosecution",
        "mutual_legal_assistance",
        "extradition",
    ]


def test_sorting_by_name_descending(api):
    response = api.get("/api/v1/authorities?sort=-name&page_size=100")
    listed = names(response)
    assert listed == sorted(listed, key=str.casefold, reverse=True)


def test_invalid_filters_are_422_naming_the_parameter(api):
    response = api.get("/api/v1/contacts?updated_since=2020-01-01T00:00:00&role=boss")
    assert response.status_code == 422
    fields = {e["field"] for e in response.get_json()["errors"]}
    assert {"updated_since", "role.0"} <= fields


def test_a_moment_before_year_one_in_utc_is_rejected_not_a_500(api):
    response = api.get("/api/v1/contacts?updated_since=0001-01-01T00:00:00%2B01:00")
    assert response.status_code == 422
    assert response.get_json()["errors"][0]["field"] == "updated_since"


def test_reads_need_a_credential_with_the_read_scope(client, bearer):
    assert client.get("/api/v1/contacts").status_code == 401
    wrong = bearer("workplan:read")
    assert client.get("/api/v1/contacts", headers=wrong).status_code == 403


def test_single_contact_has_etag_and_answers_304(api):
    contact = demo_contact("demo-mx-24-7")
    first = api.get(f"/api/v1/contacts/{contact.id}")
    assert first.status_code == 200 and first.headers["ETag"]
    again = api.get(
        f"/api/v1/contacts/{contact.id}", headers={"If-None-Match": first.headers["ETag"]}
    )
    assert again.status_code == 304


def test_renaming_the_authority_changes_the_contact_etag(api, session):
    contact = demo_contact("demo-mx-24-7")
    before = api.get(f"/api/v1/contacts/{contact.id}").headers["ETag"]
    contact.authority.name = "Demo Renamed Office (fictitious)"
    session.commit()
    assert api.get(f"/api/v1/contacts/{contact.id}").headers["ETag"] != before


def test_unchanged_list_answers_304_after_one_statement_and_no_serialisation(
    api, statements, monkeypatch
):
    url = "/api/v1/contacts?member_state=AR&page_size=50"
    first = api.get(url)
    etag = first.headers["ETag"]
    monkeypatch.setattr(
        "service.directory.schemas.ContactPointSchema.dump",
        lambda *a, **k: pytest.fail("serialised a 304"),
    )
    with statements() as log:
        again = api.get(url, headers={"If-None-Match": etag})
    assert again.status_code == 304
    assert len(log.directory) == 1, log


def test_list_etag_changes_when_an_entry_changes(api, session):
    url = "/api/v1/contacts?member_state=AR"
    etag = api.get(url).headers["ETag"]
    demo_contact("demo-ar-focal").hours = "Mon-Fri 08:00-16:00"
    session.commit()
    response = api.get(url, headers={"If-None-Match": etag})
    assert response.status_code == 200 and response.headers["ETag"] != etag


def test_list_etag_differs_between_partner_and_secretariat(api, secretariat):
    assert (
        api.get("/api/v1/contacts").headers["ETag"]
        != secretariat.get("/api/v1/contacts").headers["ETag"]
    )


def _add_contacts(session, how_many: int) -> None:
    authority = demo_authority("demo-jm-child")
    for n in range(how_many):
        contact = ContactPoint(
            authority=authority,
            kind="office",
            name=f"Bulk Desk {n:03} (fictitious)",
            role="technical",
            languages=["en"],
            channels=[
                Channel(type="email", value=f"desk{n}@demo-jm.example.org", preferred=True),
                Channel(type="phone", value="+18765550125"),
            ],
            competences=[],
        )
        session.add(contact)
    session.commit()


def test_a_page_of_100_contacts_takes_as_many_statements_as_a_page_of_5(api, session, statements):
    _add_contacts(session, 110)
    counts = {}
    for size in (5, 100):
        with statements() as log:
            response = api.get(f"/api/v1/contacts?page_size={size}&sort=name")
        assert len(response.get_json()) == size
        assert all(c["channels"] and c["authority"]["name"] for c in response.get_json())
        counts[size] = log.directory
    assert len(counts[5]) == len(counts[100])
    # one for the data version (ETag and cache key), one for the page (ids and tags) with its
    # total, one for the contacts not kept yet (with their authority), one each for their
    # channels and competences
    assert len(counts[100]) == 5, counts[100]


def test_authority_by_id_includes_archived_ones_marked_removed(api, session):
    authority = Authority(
        member_state_code="BR", name="Demo Archived Office", kind="other", languages=[]
    )
    session.add(authority)
    session.flush()
    authority.archived_at = authority.created_at
    session.commit()
    body = api.get(f"/api/v1/authorities/{authority.id}").get_json()
    assert body["removed"] is True and body["archived_at"]
    listed = api.get("/api/v1/authorities?member_state=BR").get_json()
    assert authority.id not in [a["id"] for a in listed]
    everything = api.get("/api/v1/authorities?member_state=BR&include_archived=true").get_json()
    assert authority.id in [a["id"] for a in everything]
    db.session.rollback()


@pytest.mark.parametrize("page", [3, 99, 10**7])
@pytest.mark.parametrize("query", ["", "&q=demo"])  # a search counts with its page
def test_a_page_past_the_end_is_empty_and_still_tells_the_total(api, page, query):
    first = api.get(f"/api/v1/contacts?page_size=20{query}")
    total = pagination(first)["total"]
    assert 0 < total < 20 * (page - 1)
    past = api.get(f"/api/v1/contacts?page_size=20&page={page}{query}")
    assert past.status_code == 200
    assert past.get_json() == []
    assert pagination(past)["total"] == total
    assert len(first.get_json()) == min(total, 20)


@pytest.mark.parametrize(
    "query",
    [
        "",
        "&member_state=AR",
        "&role=operational_24_7,focal_point",
        "&competence=victim_assistance",
        "&q=demo",
        "&member_state=AR,BR&available_24_7=true",
        "&include_archived=true",
        "&due=true",
    ],
)
def test_a_lists_total_is_the_number_of_contacts_it_lists(api, secretariat, query):
    """The total is counted without the join to the authorities when no filter needs it."""
    for reader in (api, secretariat):
        response = reader.get(f"/api/v1/contacts?page_size=100{query}")
        assert response.status_code == 200
        assert pagination(response)["total"] == len(response.get_json())
