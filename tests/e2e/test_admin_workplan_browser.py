"""The secretariat's work-plan workflow in a real browser: new version and its diff, a progress
note, archive and restore of an activity (all through the API's service functions, audited)."""

import re
import uuid

import pytest
import sqlalchemy as sa
from playwright.sync_api import expect

from service.audit.models import AuditEntry
from service.workplan import services
from service.workplan.models import Activity, ProgressNote, WorkPlan
from service.workplan.schemas import ActivityCreateSchema, WorkPlanCreateSchema

from .test_admin_browser import database, secretariat_person, sign_in  # noqa: F401 - fixtures


@pytest.fixture
def draft_plan(app):
    """A small draft plan of its own (committed: the live server runs in another thread)."""
    code = f"E2E-{uuid.uuid4().hex[:6].upper()}"
    with database(app) as session:
        plan = services.create_work_plan(
            WorkPlanCreateSchema().load({"code": code, "title": "E2E plan"})
        )
        services.create_activity(
            ActivityCreateSchema().load(
                {
                    "work_plan": plan.id,
                    "code": "E2E-01",
                    "pillar": "prevention",
                    "title": "Regional workshop",
                    "description": "A workshop.",
                    "recommendations": ["RTP-II/R31"],
                    "bodies": [{"body": "DPS", "role": "lead"}],
                }
            )
        )
        session.commit()
    yield code
    with database(app) as session:
        plans = session.scalars(sa.select(WorkPlan).where(WorkPlan.code == code)).all()
        activities = session.scalars(
            sa.select(Activity).where(Activity.work_plan_id.in_([p.id for p in plans]))
        ).all()
        notes = session.scalars(
            sa.select(ProgressNote).where(ProgressNote.activity_id.in_([a.id for a in activities]))
        ).all()
        for entity_type, rows in (
            ("progress_notes", notes),
            ("activities", activities),
            ("work_plans", plans),
        ):
            session.execute(
                sa.delete(AuditEntry).where(
                    AuditEntry.entity_type == entity_type,
                    AuditEntry.entity_id.in_([str(r.id) for r in rows]),
                )
            )
        for row in notes:
            session.delete(row)
        session.flush()
        for row in sorted(activities, key=lambda a: -a.id):
            session.delete(row)
        session.flush()
        for row in sorted(plans, key=lambda p: -p.id):
            session.delete(row)
        session.commit()


def run_action(page, row_text: str, label: str) -> None:
    """Ticks the row, picks the bulk action and accepts its confirmation."""
    # the bulk-action menu opens only once the page's scripts have run: a click on "With
    # selected" before that (right after the previous action's page appeared) opens nothing
    page.wait_for_load_state("load")
    row = page.locator("table.model-list tr", has_text=row_text).first
    row.locator("input.action-checkbox").check()
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="With selected").click()
    page.get_by_role("link", name=label).click()


def test_secretariat_versions_a_plan_diffs_it_notes_progress_and_restores_an_activity(
    app,
    live_server,
    page,
    secretariat_person,  # noqa: F811 - the fixture imported above
    draft_plan,
):
    sign_in(page, live_server, "admin@example.org", "secret-admin")
    page.goto(f"{live_server}/admin/workplan/?search={draft_plan}")
    run_action(page, draft_plan, "Make a new version")
    expect(page.locator(".alert-success")).to_contain_text("New version made")

    with database(app) as session:
        version_2 = session.scalars(
            sa.select(WorkPlan).where(WorkPlan.code == draft_plan, WorkPlan.plan_version == 2)
        ).one()
        plan_id = version_2.id
        activity_id = session.scalars(
            sa.select(Activity.id).where(Activity.work_plan_id == plan_id)
        ).one()
    page.goto(f"{live_server}/admin/workplan/?search={draft_plan}")
    page.get_by_role("link", name="Diff with previous version").click()
    expect(page.get_by_test_id("diff-summary")).to_contain_text("Unchanged: 1")

    page.goto(f"{live_server}/admin/activity/progress-note/?id={activity_id}")
    page.fill('input[name="noted_on"]', "2010-04-01")
    page.fill('textarea[name="text"]', "Workshop agenda agreed.")
    page.get_by_role("button", name="Add note").click()
    expect(page.locator(".alert-success")).to_contain_text("Progress note added")

    page.goto(f"{live_server}/admin/activity/?search=E2E-01")
    row_text = "E2E plan (v2)"  # the copy in the new version, not the original
    run_action(page, row_text, "Archive")
    expect(page.locator(".alert-success")).to_contain_text("Archived")
    run_action(page, row_text, "Restore")
    expect(page.locator(".alert-success")).to_contain_text(re.compile("Restored"))

    with database(app) as session:
        activity = session.get(Activity, activity_id)
        assert activity.archived_at is None
        assert [n.text for n in activity.progress_notes] == ["Workshop agenda agreed."]
        actions = session.scalars(
            sa.select(AuditEntry.action)
            .where(AuditEntry.entity_type == "activities", AuditEntry.entity_id == str(activity_id))
            .order_by(AuditEntry.id)
        ).all()
        assert [a.value for a in actions][-2:] == ["archive", "restore"]
        entry = session.scalars(
            sa.select(AuditEntry)
            .where(AuditEntry.entity_type == "progress_notes")
            .order_by(AuditEntry.id.desc())
        ).first()
        assert entry.actor_label == "admin@example.org"
