"""Admin edits are conditional: a form saves only over the version of the entry it was opened on.

Each test opens an edit form, lets "someone else" change the entry (through the API where the API
writes it, otherwise through the database as any other writer would), then saves the unchanged
form: nothing is saved, the other change survives, and the page says what changed.
"""

import re

import lxml.html
import pytest
import sqlalchemy as sa
from werkzeug.datastructures import MultiDict

from service.directory.models import MemberState
from service.identity.models import Role, User
from service.workplan.models import (
    Activity,
    Recommendation,
    ResponsibleBody,
    SourceDocument,
    WorkPlan,
    WorkPlanStatus,
)
from tests.test_admin import authority_of, contact_of, text

STALE = "someone else changed this entry since you opened the form"


@pytest.fixture
def focal_ar(client, login):
    login(client, "focal_point", "AR")
    return client


@pytest.fixture
def secretariat(client, login):
    login(client, "secretariat")
    return client


def edit_form_values(page) -> MultiDict:
    """What the browser would send for the edit form as it was drawn (unchanged)."""
    assert page.status_code in (200, 409), text(page)
    document = lxml.html.fromstring(text(page))
    (form,) = document.xpath('//form[.//input[@name="row_version"]]')
    textareas = {area.name for area in form.xpath(".//textarea")}
    # A browser drops the newline that follows <textarea>; lxml keeps it.
    return MultiDict(
        (name, value.removeprefix("\n") if name in textareas else value)
        for name, value in form.form_values()
    )


def conflict_rows(page) -> dict[str, tuple[str, str]]:
    """The page's table of differences: field -> (their value, your value)."""
    document = lxml.html.fromstring(text(page))
    rows = document.xpath('//table[@data-testid="edit-conflict-fields"]/tbody/tr')
    return {
        row.xpath("string(th)").strip(): tuple(squeeze(td.text_content()) for td in row.xpath("td"))
        for row in rows
    }


def squeeze(value: str) -> str:
    return " ".join(value.split())


def plain(page) -> str:
    return " ".join(lxml.html.fromstring(text(page)).text_content().split())


def api_patch(app, bearer, path: str, changes: dict, scope: str, state: str | None = None):
    partner = app.test_client()
    headers = bearer(scope, state)
    current = partner.get(path, headers=headers)
    assert current.status_code == 200, current.get_json()
    response = partner.patch(
        path, json=changes, headers={**headers, "If-Match": current.headers["ETag"]}
    )
    assert response.status_code == 200, response.get_json()
    return response.get_json()


# -- the two cases of the review: an authority's acronym, a contact's position and channels -----


def test_stale_authority_form_keeps_the_apis_acronym_and_says_what_changed(
    app, focal_ar, session, bearer
):
    authority = authority_of(session, "AR")
    url = f"/admin/authority/edit/?id={authority.id}"
    opened = focal_ar.get(url)
    mine = edit_form_values(opened)
    old_acronym = mine["acronym"]

    api_patch(
        app,
        bearer,
        f"/api/v1/authorities/{authority.id}",
        {"acronym": "API-NEW"},
        "directory:read directory:write",
        "AR",
    )

    response = focal_ar.post(url, data=mine)
    assert response.status_code == 409
    assert STALE in plain(response).lower()
    assert "Nothing was saved" in plain(response)
    assert conflict_rows(response) == {"Acronym": ("API-NEW", old_acronym or "—")}
    session.refresh(authority)
    assert authority.acronym == "API-NEW"
    # The form now holds the saved values and version: saving it again keeps the API's change.
    reloaded = edit_form_values(response)
    assert reloaded["acronym"] == "API-NEW"
    assert reloaded["row_version"] == str(authority.version)
    reloaded["name_local"] = "Re-applied by the focal point"
    assert focal_ar.post(url, data=reloaded).status_code == 302
    session.refresh(authority)
    assert (authority.acronym, authority.name_local) == ("API-NEW", "Re-applied by the focal point")


def test_stale_contact_form_keeps_the_apis_position_and_channels(app, focal_ar, session, bearer):
    contact = contact_of(session, "AR")
    url = f"/admin/contactpoint/edit/?id={contact.id}"
    mine = edit_form_values(focal_ar.get(url))
    old_position = mine["position"]
    mine["name"] = "Renamed in the admin"  # the person's own change, in the stale form

    api_patch(
        app,
        bearer,
        f"/api/v1/contacts/{contact.id}",
        {
            "position": "Head of the desk (from the API)",
            "channels": [{"type": "phone", "value": "+54 11 5555 0177", "preferred": True}],
        },
        "directory:read directory:write",
        "AR",
    )

    response = focal_ar.post(url, data=mine)
    assert response.status_code == 409
    rows = conflict_rows(response)
    assert rows["Position"] == ("Head of the desk (from the API)", old_position)
    theirs, yours = rows["Channels"]
    assert "+541155550177" in theirs and "+541155550177" not in yours
    assert rows["Name"] == (contact.name, "Renamed in the admin")
    session.refresh(contact)
    assert contact.position == "Head of the desk (from the API)"
    assert [ch.value for ch in contact.channels] == ["+541155550177"]
    assert contact.name != "Renamed in the admin"
    reloaded = edit_form_values(response)
    assert reloaded["channels-0-value"] == "+541155550177"
    assert "channels-1-value" not in reloaded


def test_form_without_its_version_saves_nothing(focal_ar, session):
    authority = authority_of(session, "AR")
    url = f"/admin/authority/edit/?id={authority.id}"
    sent = edit_form_values(focal_ar.get(url))
    del sent["row_version"]
    sent["acronym"] = "NOVERSION"
    response = focal_ar.post(url, data=sent)
    assert response.status_code == 409
    assert "did not say which version" in plain(response)
    session.refresh(authority)
    assert authority.acronym != "NOVERSION"


def test_fresh_form_still_saves_and_the_next_stale_one_does_not(focal_ar, session):
    authority = authority_of(session, "AR")
    url = f"/admin/authority/edit/?id={authority.id}"
    first = edit_form_values(focal_ar.get(url))
    second = edit_form_values(focal_ar.get(url))  # a second tab, opened at the same version
    first["acronym"] = "TAB1"
    assert focal_ar.post(url, data=first).status_code == 302
    second["acronym"] = "TAB2"
    response = focal_ar.post(url, data=second)
    assert response.status_code == 409
    assert conflict_rows(response) == {"Acronym": ("TAB1", "TAB2")}
    session.refresh(authority)
    assert authority.acronym == "TAB1"


# -- every other edit form ---------------------------------------------------------------------


def _first(session, statement):
    found = session.scalars(statement).first()
    if found is None:
        pytest.skip("the seed has no such row")
    return found


def _draft_plan(session):
    return _first(
        session,
        sa.select(WorkPlan)
        .where(WorkPlan.status == WorkPlanStatus.DRAFT, WorkPlan.archived_at.is_(None))
        .order_by(WorkPlan.id),
    )


EDITS = {
    # view: (row, field attribute, form label, their value)
    "memberstate": (
        lambda s: s.get(MemberState, "AR"),
        "status_note",
        "Status Note",
        "Noted elsewhere",
    ),
    "sourcedocument": (
        lambda s: _first(s, sa.select(SourceDocument).order_by(SourceDocument.id)),
        "title",
        "Title",
        "Retitled elsewhere",
    ),
    "recommendation": (
        lambda s: _first(s, sa.select(Recommendation).order_by(Recommendation.id)),
        "text",
        "Text",
        "Corrected elsewhere",
    ),
    "responsiblebody": (
        lambda s: _first(s, sa.select(ResponsibleBody).order_by(ResponsibleBody.id)),
        "name",
        "Name",
        "Renamed elsewhere",
    ),
    "workplan": (_draft_plan, "title", "Title", "Retitled elsewhere"),
    "activity": (
        lambda s: _first(
            s,
            sa.select(Activity)
            .join(Activity.work_plan)
            .where(WorkPlan.status == WorkPlanStatus.DRAFT, Activity.archived_at.is_(None))
            .order_by(Activity.id),
        ),
        "title",
        "Title",
        "Retitled elsewhere",
    ),
    "authority": (lambda s: authority_of(s, "BR"), "acronym", "Acronym", "ELSEWHERE"),
    "contactpoint": (lambda s: contact_of(s, "BR"), "position", "Position", "Moved elsewhere"),
}


@pytest.mark.parametrize("view", EDITS)
def test_every_stale_edit_form_saves_nothing_and_names_the_change(secretariat, session, view):
    row_of, attribute, label, theirs = EDITS[view]
    row = row_of(session)
    key = row.code if isinstance(row, MemberState) else row.id
    url = f"/admin/{view}/edit/?id={key}"
    mine = edit_form_values(secretariat.get(url))
    yours = mine.get(attribute, "")

    setattr(row, attribute, theirs)  # another writer, committed before the form comes back
    session.commit()
    stored = {a.key: getattr(row, a.key) for a in sa.inspect(type(row)).column_attrs}

    response = secretariat.post(url, data=mine)
    assert response.status_code == 409, plain(response)[:500]
    assert STALE in plain(response).lower()
    assert conflict_rows(response)[label] == (theirs, squeeze(yours) or "—")
    session.expire_all()
    row = session.get(type(row), key)
    assert {c: getattr(row, c) for c in stored} == stored  # nothing written over it
    assert edit_form_values(response)[attribute] == theirs


def test_stale_user_access_form_does_not_undo_a_revocation(secretariat, session, make_user):
    person = make_user("focal_point", "AR")
    url = f"/admin/user/edit/?id={person.id}"
    mine = edit_form_values(secretariat.get(url))
    person.role, person.member_state_code = None, None  # revoked meanwhile
    session.commit()
    response = secretariat.post(url, data=mine)
    assert response.status_code == 409
    assert conflict_rows(response)["Role"] == ("(no access)", "focal point")
    session.refresh(person)
    assert person.role is None


def test_a_changed_field_the_form_does_not_show_still_makes_a_versioned_form_stale(
    focal_ar, session
):
    contact = contact_of(session, "AR")
    url = f"/admin/contactpoint/edit/?id={contact.id}"
    mine = edit_form_values(focal_ar.get(url))
    contact.last_verified_by = "someone else"  # a re-confirmation: same fields, newer version
    session.commit()
    mine["hours"] = "24 hours"
    response = focal_ar.post(url, data=mine)
    assert response.status_code == 409
    assert conflict_rows(response) == {"Hours": (contact.hours or "—", "24 hours")}
    assert re.search(r"re-apply your changes", plain(response), re.I)


def test_admin_edit_still_names_its_person_on_the_audit_entry(focal_ar, session):
    from service.audit.models import AuditEntry

    authority = authority_of(session, "AR")
    url = f"/admin/authority/edit/?id={authority.id}"
    sent = edit_form_values(focal_ar.get(url))
    sent["acronym"] = "AUDITED"
    assert focal_ar.post(url, data=sent).status_code == 302
    entry = session.scalars(
        sa.select(AuditEntry)
        .where(AuditEntry.entity_type == "authorities", AuditEntry.entity_id == str(authority.id))
        .order_by(AuditEntry.id.desc())
    ).first()
    person = session.scalars(sa.select(User).where(User.role == Role.FOCAL_POINT)).all()
    assert entry.actor_type.value == "user"
    assert entry.actor_label in {p.email for p in person}
