"""The seeded work plan claims only what its sources say: texts loaded, bases of bodies, reasons."""

import re

import pytest
import sqlalchemy as sa

from service.workplan.basis import names_body
from service.workplan.models import (
    Activity,
    BodyBasis,
    Recommendation,
    ResponsibleBody,
    SourceDocument,
)

from .conftest import SOURCE_DOCUMENTS
from .workplan_fixtures import ACTIVITIES, PLANS, activity_payload, field_errors, seeded_activity


def coverage(client, plan_id):
    response = client.get(f"{PLANS}/{plan_id}/coverage")
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def bodies_of(client, plan, code) -> dict[str, dict]:
    activity = client.get(f"{ACTIVITIES}/{seeded_activity(plan, code).id}").get_json()
    return {link["body"]: link for link in activity["bodies"]}


# -- coverage of mandates whose texts are not loaded ----------------------------------------


def test_coverage_reports_the_first_meeting_s_texts_as_not_loaded_and_never_covered(
    api, seeded_plan
):
    report = coverage(api, seeded_plan.id)
    documents = {d["document"]: d for d in report["documents"]}
    first = documents["RTP-I"]
    assert first["texts_loaded"] is False
    assert first["recommendations_known"] == 0
    assert first["status"] == "texts_not_loaded"
    assert documents["RTP-II"]["texts_loaded"] is True
    assert documents["RTP-II"]["recommendations_known"] == 51
    assert documents["RTP-II"]["status"] == "complete"
    assert report["mandates_without_texts"] == ["RTP-I"]
    assert report["complete"] is False  # a mandate whose texts are missing is not covered


def test_coverage_is_complete_once_no_mandate_lacks_its_texts(workplan_writer, seeded_plan):
    url = f"{PLANS}/{seeded_plan.id}"
    etag = workplan_writer.get(url).headers["ETag"]
    response = workplan_writer.patch(
        url, json={"mandates": ["RTP-II", "AG-RES-2456"]}, headers={"If-Match": etag}
    )
    assert response.status_code == 200, response.get_json()
    report = coverage(workplan_writer, seeded_plan.id)
    assert report["mandates_without_texts"] == []
    assert report["complete"] is True


# -- the basis of every activity-body link ---------------------------------------------------


def test_every_named_body_is_named_in_the_quoted_words_of_a_cited_text(session, seeded_plan):
    activities = session.execute(
        sa.select(Activity).filter_by(work_plan_id=seeded_plan.id)
    ).scalars()
    named = proposed = 0
    for activity in activities:
        cited = [
            " ".join(link.recommendation.text.split()) for link in activity.recommendation_links
        ]
        for link in activity.body_links:
            if link.basis == BodyBasis.PROPOSED:
                proposed += 1
                continue
            named += 1
            where = f"{activity.code} {link.body.code}"
            assert names_body(link.basis_quote, link.body), where
            assert any(link.basis_quote in text for text in cited), where
            assert any(names_body(text, link.body) for text in cited), where
    assert named >= 30 and proposed >= 50


def test_a_proposed_link_is_marked_as_such_in_the_api(api, seeded_plan):
    dps = bodies_of(api, seeded_plan, "PREV-02")["DPS"]
    assert dps["basis"] == "proposed"
    assert dps["basis_quote"] is None
    csos = bodies_of(api, seeded_plan, "PREV-02")["CSO"]
    assert csos["basis"] == "named"
    assert csos["basis_quote"] == "the assistance of civil society organizations"


def test_unsupported_assignments_of_the_review_are_removed_or_proposed(api, seeded_plan):
    assert "CICAD" not in bodies_of(api, seeded_plan, "PREV-02")
    for code in ("PREV-06", "COOP-04"):
        assert "ILO" not in bodies_of(api, seeded_plan, code), code
    for code in ("PREV-01", "PREV-06"):
        assert "SEDI" not in bodies_of(api, seeded_plan, code), code
    assert bodies_of(api, seeded_plan, "PREV-08")["SEDI"]["basis"] == "named"
    remja = bodies_of(api, seeded_plan, "PROS-04")["REMJA"]
    assert remja["basis"] == "proposed"
    assert "REMJA-VI" in remja["basis_note"]
    assert "REMJA" not in bodies_of(api, seeded_plan, "PROS-05")
    for code in ("FUP-01", "FUP-03"):
        assert "CSH" not in bodies_of(api, seeded_plan, code), code
    assert bodies_of(api, seeded_plan, "FUP-04")["CSH"]["basis"] == "named"


def test_coop_07_no_longer_rests_on_the_spent_2005_mandate(api, seeded_plan):
    activity = api.get(f"{ACTIVITIES}/{seeded_activity(seeded_plan, 'COOP-07').id}").get_json()
    assert [r["reference"] for r in activity["recommendations"]] == ["RTP-II/R8"]
    bodies = {link["body"]: link for link in activity["bodies"]}
    assert set(bodies) == {"GA", "CP", "DPS", "MS"}
    assert bodies["GA"]["basis"] == "named"
    assert {bodies[code]["basis"] for code in ("CP", "DPS", "MS")} == {"proposed"}
    cites_2005 = api.get(f"{ACTIVITIES}?recommendation=DRAFT-2005-FIGHTING-TIP/OP3").get_json()
    assert cites_2005 == []


def test_every_body_with_a_named_link_has_its_name_or_an_alias_in_the_sources(session):
    """The aliases in seed/bodies.yaml are names the source texts really print."""
    texts = " ".join(
        " ".join(path.read_text("utf-8").split()) for path in SOURCE_DOCUMENTS.glob("*.txt")
    )
    if not texts:
        pytest.skip("../shared/seeds/ is not present")
    for body in session.execute(sa.select(ResponsibleBody)).scalars():
        for alias in body.aliases:
            assert alias.casefold() in texts.casefold(), (body.code, alias)


# -- the API refuses a named basis the text does not support -------------------------------


@pytest.mark.parametrize(
    ("link", "message"),
    [
        ({"basis": "named"}, "needs the words"),
        ({"basis": "named", "basis_quote": "the Inter-American Commission of Women"}, "IOM"),
        ({"basis": "named", "basis_quote": "the IOM helps"}, "not in any recommendation"),
    ],
)
def test_a_named_basis_without_its_words_in_the_cited_text_is_422(
    workplan_writer, seeded_plan, link, message
):
    payload = activity_payload(
        seeded_plan.id,
        bodies=[{"body": "DPS", "role": "lead"}, {"body": "IOM", "role": "support", **link}],
    )
    response = workplan_writer.post(ACTIVITIES, json=payload)
    assert response.status_code == 422, response.get_json()
    errors = field_errors(response)
    assert message in errors["bodies.1.basis_quote"], errors


def test_a_named_basis_quoting_the_cited_text_is_kept(workplan_writer, seeded_plan):
    payload = activity_payload(
        seeded_plan.id,
        recommendations=["RTP-II/R12"],
        bodies=[
            {
                "body": "UNODC",
                "role": "lead",
                "basis": "named",
                "basis_quote": "the United Nations Office on Drugs and Crime (UNODC)",
            },
            {"body": "IOM", "role": "support", "basis_note": "A partner the secretariat proposes."},
        ],
    )
    response = workplan_writer.post(ACTIVITIES, json=payload)
    assert response.status_code == 201, response.get_json()
    bodies = {link["body"]: link for link in response.get_json()["bodies"]}
    assert bodies["UNODC"]["basis"] == "named"
    assert bodies["IOM"]["basis"] == "proposed"
    assert bodies["IOM"]["basis_note"] == "A partner the secretariat proposes."


# -- exclusions and documents say only what the sources show --------------------------------


def test_r51_s_reason_cites_only_what_the_seeds_hold(api, seeded_plan, session):
    plan = api.get(f"{PLANS}/{seeded_plan.id}").get_json()
    reason = next(e for e in plan["exclusions"] if e["recommendation"] == "RTP-II/R51")["reason"]
    assert "AG/RES. 2456 (XXXIX-O/09), operative paragraph 2" in reason
    symbols = set(session.execute(sa.select(SourceDocument.symbol)).scalars())
    for cited in re.findall(r"AG/RES\. \d+ \([^)]*\)", reason):
        assert cited in symbols, cited
    # The seeds record no submission to the Summit or to REMJA-VIII: the reason must not claim one.
    assert "Carried out" not in reason
    assert "no record of submission to the Fifth Summit of the Americas or to REMJA-VIII" in reason
    op2 = session.execute(
        sa.select(Recommendation).filter_by(reference="AG-RES-2456/OP2")
    ).scalar_one()
    assert "To welcome the conclusions and recommendations" in op2.text


def test_belize_operative_paragraph_2_is_four_mandates_and_its_date_is_inferred(api):
    items = api.get(
        "/api/v1/recommendations?document=DRAFT-2007-BELIZE&section=operative_paragraph"
    )
    by_reference = {r["reference"]: r for r in items.get_json()}
    assert "DRAFT-2007-BELIZE/OP2" not in by_reference
    for letter in "abcd":
        item = by_reference[f"DRAFT-2007-BELIZE/OP2{letter.upper()}"]
        assert item["number"] == 2
        assert item["item"] == letter
        assert item["text"].startswith("To request that the General Secretariat:")
        assert f"\n{letter}) " in item["text"]
        assert item["citation"].endswith(f"operative paragraph 2 ({letter})")
    document = next(
        d for d in api.get("/api/v1/documents").get_json() if d["code"] == "DRAFT-2007-BELIZE"
    )
    assert document["date_inferred"] is True
    assert "thirty-eighth regular session" in document["date_note"]
    first = next(d for d in api.get("/api/v1/documents").get_json() if d["code"] == "RTP-I")
    assert first["texts_loaded"] is False
