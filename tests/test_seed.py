"""Seed data: complete, word for word from the source documents, idempotent, demo on request."""

import getpass
import re
import shutil

import pytest
import sqlalchemy as sa
import yaml

from service.audit.models import AuditEntry
from service.directory.models import Authority, ContactPoint, MemberState
from service.seeding import seed_database
from service.workplan.models import (
    Activity,
    Recommendation,
    RecommendationSection,
    ResponsibleBody,
    SourceDocument,
)

from .conftest import PROJECT_ROOT, SOURCE_DOCUMENTS

FOOTNOTE_MARK = re.compile(r"(?:(?<=\s)|^)[/\ufffd](?=\s|$)")


def normalise(text: str) -> str:
    """White space collapsed and footnote markers (a lone / or U+FFFD) dropped."""
    return " ".join(FOOTNOTE_MARK.sub(" ", text).split())


def count(session, model) -> int:
    return session.execute(sa.select(sa.func.count()).select_from(model)).scalar_one()


def test_the_35_member_states_with_names_from_pycountry(session):
    states = session.execute(sa.select(MemberState)).scalars().all()
    assert len(states) == 35
    by_code = {s.code: s for s in states}
    assert by_code["BO"].name_en == "Bolivia"
    assert by_code["US"].name_es == "Estados Unidos"
    assert by_code["HT"].name_fr == "Haïti"
    assert by_code["KN"].name_pt == "São Cristóvão e Nevis"
    assert all(s.alpha3 and s.name_es and s.name_fr and s.name_pt for s in states)


def test_second_meeting_has_51_recommendations_in_their_sections(session):
    rows = session.execute(
        sa.select(Recommendation.number, Recommendation.section)
        .join(Recommendation.document)
        .where(SourceDocument.code == "RTP-II")
        .order_by(Recommendation.number)
    ).all()
    assert [n for n, _ in rows] == list(range(1, 52))
    sections = {n: s for n, s in rows}
    assert sections[1] == sections[8] == RecommendationSection.GENERAL
    assert sections[47] == RecommendationSection.TECHNICAL_WORKING_GROUP_II
    assert sections[10] == RecommendationSection.TECHNICAL_WORKING_GROUP_I
    assert sections[49] == sections[51] == RecommendationSection.WE_ALSO_RESOLVE


def test_resolution_has_its_9_operative_paragraphs(session):
    numbers = session.execute(
        sa.select(Recommendation.number)
        .join(Recommendation.document)
        .where(SourceDocument.code == "AG-RES-2456")
        .order_by(Recommendation.number)
    ).scalars()
    assert list(numbers) == list(range(1, 10))


@pytest.mark.skipif(not SOURCE_DOCUMENTS.is_dir(), reason="../shared/seeds/ is not present")
def test_every_seeded_text_is_word_for_word_the_source_document(session):
    with open(PROJECT_ROOT / "seed" / "documents.yaml", encoding="utf-8") as handle:
        source_files = {d["code"]: d.get("source_file") for d in yaml.safe_load(handle)}
    sources = {}
    checked = 0
    for recommendation in session.execute(sa.select(Recommendation)).scalars():
        file_name = source_files[recommendation.document.code]
        if file_name not in sources:
            sources[file_name] = normalise((SOURCE_DOCUMENTS / file_name).read_text("utf-8"))
        if recommendation.item:  # the paragraph's opening words, then its lettered item
            opening, item = recommendation.text.split("\n\n", 1)
            assert item.startswith(f"{recommendation.item}) "), recommendation.reference
            parts = [f"{recommendation.number}. {opening}", item]
        else:
            parts = [f"{recommendation.number}. {recommendation.text}"]
        for part in parts:
            assert normalise(part) in sources[file_name], recommendation.reference
        checked += 1
    assert checked == count(session, Recommendation) >= 60


def test_recommendation_47_is_the_directory_mandate(session):
    text = session.execute(
        sa.select(Recommendation.text).where(Recommendation.reference == "RTP-II/R47")
    ).scalar_one()
    assert text.startswith("To complete, disseminate, and regularly update the Directory")


def test_seeding_twice_changes_nothing(app, session):
    audit_before = count(session, AuditEntry)
    report = seed_database(app.config["SEED_DIR"], demo=True)
    assert not report.changed
    assert count(session, AuditEntry) == audit_before


def test_an_edited_file_updates_the_row_it_names_and_is_audited(app, session, tmp_path):
    seed_dir = tmp_path / "seed"
    shutil.copytree(app.config["SEED_DIR"], seed_dir)
    bodies_file = seed_dir / "bodies.yaml"
    bodies = yaml.safe_load(bodies_file.read_text("utf-8"))
    for body in bodies:
        if body["code"] == "IOM":
            body["name"] = "International Organization for Migration (UN Migration)"
    bodies_file.write_text(yaml.safe_dump(bodies, allow_unicode=True), "utf-8")

    report = seed_database(str(seed_dir), demo=True)

    assert report.updated == {"responsible_bodies": 1}
    assert report.created == {}
    entry = session.execute(
        sa.select(AuditEntry).order_by(AuditEntry.id.desc()).limit(1)
    ).scalar_one()
    assert entry.entity_type == "responsible_bodies"
    assert entry.actor_type.value == "cli"
    assert entry.actor_label == f"system ({getpass.getuser()})"
    assert entry.before["name"] == "International Organization for Migration"
    assert entry.after["name"] == "International Organization for Migration (UN Migration)"


def test_demo_directory_is_marked_and_fictitious(session):
    authorities = session.execute(sa.select(Authority)).scalars().all()
    assert authorities and all(a.is_demo for a in authorities)
    assert len({a.member_state_code for a in authorities}) >= 5
    contacts = session.execute(sa.select(ContactPoint)).scalars().all()
    for contact in contacts:
        assert contact.is_demo
        for channel in contact.channels:
            if channel.type.value in {"email", "secure_mail"}:
                assert channel.value.endswith("example.org")
            if channel.type.value in {"phone", "mobile", "fax"}:
                assert re.fullmatch(r"\+[1-9]\d{6,14}", channel.value)


def test_demo_rows_are_not_loaded_without_the_flag(app, session):
    session.execute(sa.delete(ContactPoint))  # start from an empty directory
    session.execute(sa.delete(Authority))
    seed_database(app.config["SEED_DIR"], demo=False)
    assert count(session, Authority) == 0
    assert count(session, ContactPoint) == 0


def test_a_row_changed_after_seeding_is_kept_and_reported_and_others_still_follow_the_file(
    app, session, tmp_path
):
    activity = session.execute(sa.select(Activity).order_by(Activity.id).limit(1)).scalar_one()
    activity.timeline = "Edited by the secretariat: second half of 2027"
    dps = session.execute(sa.select(ResponsibleBody).filter_by(code="DPS")).scalar_one()
    dps.name = "Department of Public Security (edited)"
    session.flush()
    seed_dir = tmp_path / "seed"
    shutil.copytree(app.config["SEED_DIR"], seed_dir)
    bodies_file = seed_dir / "bodies.yaml"
    bodies = yaml.safe_load(bodies_file.read_text("utf-8"))
    for body in bodies:
        if body["code"] in {"IOM", "DPS"}:
            body["name"] += " (file changed)"
    bodies_file.write_text(yaml.safe_dump(bodies, allow_unicode=True), "utf-8")
    audit_before = count(session, AuditEntry)

    report = seed_database(str(seed_dir), demo=True)

    session.refresh(activity)
    session.refresh(dps)
    assert activity.timeline == "Edited by the secretariat: second half of 2027"
    assert dps.name == "Department of Public Security (edited)"
    iom = session.execute(sa.select(ResponsibleBody).filter_by(code="IOM")).scalar_one()
    assert iom.name == "International Organization for Migration (file changed)"
    assert report.updated == {"responsible_bodies": 1}
    assert report.skipped == {
        "activities": [f'{{"code": "{activity.code}", "work_plan_id": {activity.work_plan_id}}}'],
        "responsible_bodies": ['{"code": "DPS"}'],
    }
    assert count(session, AuditEntry) == audit_before + 1  # IOM's change only


def test_an_edited_demo_contact_and_its_channels_survive_a_second_seed(app, session):
    contact = session.execute(
        sa.select(ContactPoint).filter_by(demo_key="demo-ar-24-7")
    ).scalar_one()
    contact.channels = contact.channels[:1]
    contact.hours = "Only on weekdays now"
    session.flush()

    report = seed_database(app.config["SEED_DIR"], demo=True)

    session.refresh(contact)
    assert contact.hours == "Only on weekdays now"
    assert len(contact.channels) == 1
    assert report.skipped == {"contact_points": ['{"demo_key": "demo-ar-24-7"}']}
    assert not report.changed
