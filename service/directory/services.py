"""Changes to the directory, shared by the API and the admin: access rule, audit, one commit each.

Every function takes data already validated by the input schemas, asks the access rule about
each member state it touches, writes the audit entry in the same transaction and commits.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from flask import has_request_context, request
from flask_babel import gettext as _
from webargs.flaskparser import abort

from service.audit.log import Actor, current_actor, record, snapshot
from service.audit.models import ActorType, AuditAction
from service.core import access
from service.core.access import (
    current_principal,
    ensure_may_edit_state,
    ensure_may_handle_visibility,
    may_see_secretariat_only,
)
from service.core.db import db, touch, utcnow
from service.core.errors import RuleError
from service.core.i18n import LANGUAGES
from service.directory.models import (
    Authority,
    Channel,
    Competence,
    ContactPoint,
    MemberState,
    MemberStateStatus,
    VerifiedVia,
)

CHANNEL_FIELDS = ("type", "value", "label", "preferred")


# -- snapshots for the audit log -------------------------------------------------------------


def authority_snapshot(authority: Authority) -> dict:
    return {**snapshot(authority), "competences": [c.code for c in authority.competences]}


def contact_snapshot(contact: ContactPoint) -> dict:
    return {
        **snapshot(contact),
        "competences": [c.code for c in contact.competences],
        "channels": [
            {"type": ch.type.value, "value": ch.value, "label": ch.label, "preferred": ch.preferred}
            for ch in contact.channels
        ],
    }


# -- rejections ------------------------------------------------------------------------------


def _ensure_live(entry: Any, what: str) -> None:
    if entry.is_archived:
        raise RuleError(
            _("This %(what)s is archived: restore it first.", what=what), code="archived"
        )


def _competences(codes: list[str]) -> list[Competence]:
    found = {
        c.code: c
        for c in db.session.execute(sa.select(Competence).where(Competence.code.in_(codes)))
        .scalars()
        .all()
    }
    return [found[code] for code in codes]


def _codes(entities: Any) -> list[str]:
    return [e.code for e in entities]


def _apply(entity: Any, data: dict) -> bool:
    """Sets the given columns; True when anything differs from what is stored."""
    changed = False
    for key, value in data.items():
        if getattr(entity, key) != value:
            setattr(entity, key, value)
            changed = True
    return changed


def _save(action: AuditAction, entity: Any, before: dict | None, snapshot_of: Any) -> None:
    db.session.flush()
    record(action, entity, before, snapshot_of(entity))
    db.session.commit()


# -- member states ---------------------------------------------------------------------------


def _ensure_maintains_member_states() -> None:
    principal = current_principal()
    if principal is not None and not principal.is_secretariat:
        abort(403, message=_("Only the secretariat maintains the member states."))


def _ensure_unique_alpha3(alpha3: str, code: str | None) -> None:
    clash = db.session.execute(
        sa.select(MemberState.code).where(MemberState.alpha3 == alpha3, MemberState.code != code)
    ).scalar_one_or_none()
    if clash is not None:
        raise RuleError(
            _("%(alpha3)s is already the alpha-3 code of %(state)s.", alpha3=alpha3, state=clash),
            field="alpha3",
        )


def _ensure_language(language: str | None) -> None:
    if language is not None and language not in LANGUAGES:
        raise RuleError(
            _(
                "%(language)s is not a language of the OAS (en, es, fr, pt).",
                language=repr(language)[:12],
            ),
            field="default_language",
        )


def create_member_state(data: dict) -> MemberState:
    """A new member state (ISO 3166-1 codes, the four names, status); the secretariat's."""
    _ensure_maintains_member_states()
    data = {key: value for key, value in data.items() if value is not None}
    if db.session.get(MemberState, data["code"]) is not None:
        raise RuleError(_("%(code)s is already a member state.", code=data["code"]), field="code")
    _ensure_unique_alpha3(data["alpha3"], None)
    _ensure_language(data.get("default_language"))
    state = MemberState(**data)
    db.session.add(state)
    _save(AuditAction.CREATE, state, None, snapshot)
    return state


def update_member_state(state: MemberState, data: dict) -> MemberState:
    """Names, alpha-3 and status; the code is the public key and never changes."""
    _ensure_maintains_member_states()
    data = {key: value for key, value in data.items() if key != "code"}
    if data.get("alpha3", state.alpha3) != state.alpha3:
        _ensure_unique_alpha3(data["alpha3"], state.code)
    _ensure_language(data.get("default_language"))
    before = snapshot(state)
    if _apply(state, data):
        _save(AuditAction.UPDATE, state, before, snapshot)
    return state


# -- authorities -----------------------------------------------------------------------------


def _ensure_unique_name(member_state_code: str, name: str, authority_id: int | None) -> None:
    clash = db.session.execute(
        sa.select(Authority.id).where(
            Authority.member_state_code == member_state_code,
            Authority.name == name,
            Authority.id != (authority_id or 0),
        )
    ).first()
    if clash:
        raise RuleError(
            _(
                "%(state)s already has an authority named %(name)r (id %(id)s, possibly archived).",
                state=member_state_code,
                name=name,
                id=clash.id,
            ),
            code="duplicate",
        )


def create_authority(data: dict) -> Authority:
    data = dict(data)
    ensure_may_edit_state(data["member_state_code"])
    _ensure_unique_name(data["member_state_code"], data["name"], None)
    competences = _competences(data.pop("competences", []))
    authority = Authority(**data, competences=competences)
    db.session.add(authority)
    _save(AuditAction.CREATE, authority, None, authority_snapshot)
    return authority


def update_authority(authority: Authority, data: dict) -> Authority:
    data = dict(data)
    ensure_may_edit_state(authority.member_state_code)
    _ensure_live(authority, "authority")
    state = data.get("member_state_code", authority.member_state_code)
    if state != authority.member_state_code:
        ensure_may_edit_state(state)  # moving an authority: both states must be the editor's
    name = data.get("name", authority.name)
    if (state, name) != (authority.member_state_code, authority.name):
        _ensure_unique_name(state, name, authority.id)
    before = authority_snapshot(authority)
    changed = False
    if "competences" in data:
        codes = data.pop("competences")
        if codes != _codes(authority.competences):
            authority.competences = _competences(codes)
            changed = True
    changed = _apply(authority, data) or changed
    if changed:
        touch(authority)
        _save(AuditAction.UPDATE, authority, before, authority_snapshot)
    return authority


def archive_authority(authority: Authority) -> None:
    ensure_may_edit_state(authority.member_state_code)
    if authority.is_archived:
        raise RuleError(_("This authority is already archived."), code="archived")
    live_contacts = db.session.execute(
        sa.select(sa.func.count()).where(
            ContactPoint.authority_id == authority.id, ContactPoint.archived_at.is_(None)
        )
    ).scalar_one()
    if live_contacts:
        if may_see_secretariat_only(current_principal()):
            raise RuleError(
                _(
                    "This authority still has %(count)s contact point(s): archive or move them "
                    "first.",
                    count=live_contacts,
                ),
                code="in_use",
            )
        # The count includes secretariat-only contacts: telling it to anyone else would reveal
        # that such contacts exist, and how many.
        raise RuleError(
            _(
                "This authority still has live contact points: archive or move them first. If "
                "you see none, ask the secretariat for help."
            ),
            code="in_use",
        )
    before = authority_snapshot(authority)
    authority.archived_at = utcnow()
    _save(AuditAction.ARCHIVE, authority, before, authority_snapshot)


def restore_authority(authority: Authority) -> Authority:
    ensure_may_edit_state(authority.member_state_code)
    if not authority.is_archived:
        raise RuleError(_("This authority is not archived."), code="conflict")
    before = authority_snapshot(authority)
    authority.archived_at = None
    _save(AuditAction.RESTORE, authority, before, authority_snapshot)
    return authority


def verify_authority(authority: Authority) -> Authority:
    ensure_may_edit_state(authority.member_state_code)
    _ensure_live(authority, "authority")
    before = authority_snapshot(authority)
    _mark_verified(authority)
    _save(AuditAction.VERIFY, authority, before, authority_snapshot)
    return authority


def _door() -> VerifiedVia:
    """Where a re-confirmation comes from: the admin's pages or the API."""
    if has_request_context() and request.path.startswith("/admin"):
        return VerifiedVia.ADMIN
    return VerifiedVia.API


def _mark_verified(entry: Any, by: str | None = None, via: VerifiedVia | None = None) -> None:
    entry.last_verified_at = utcnow()  # the database's clock, like every other timestamp
    entry.last_verified_by = by or current_actor().label
    entry.verified_via = via or _door()


def confirm_from_email_link(entry: Authority | ContactPoint, version: int, recipient: str) -> bool:
    """A reminder's recipient says the entry is still correct. Only when the entry is still
    the version the link was made for (else False, nothing changes); audited as coming from
    that email link."""
    if entry.is_archived or entry.version != version:
        return False
    before = snapshot_of_entry(entry)
    _mark_verified(entry, by=recipient, via=VerifiedVia.EMAIL_LINK)
    db.session.flush()
    actor = Actor(ActorType.EMAIL_LINK, recipient[:100], f"email link ({recipient})")
    record(AuditAction.VERIFY, entry, before, snapshot_of_entry(entry), actor=actor)
    return True


def snapshot_of_entry(entry: Authority | ContactPoint) -> dict:
    return authority_snapshot(entry) if isinstance(entry, Authority) else contact_snapshot(entry)


def register_read_only_states() -> None:
    """Withdrawn member states' entries are read-only for everyone but the secretariat."""

    def withdrawn() -> frozenset[str]:
        return frozenset(
            db.session.scalars(
                sa.select(MemberState.code).where(MemberState.status == MemberStateStatus.WITHDRAWN)
            )
        )

    access.register_read_only_states(withdrawn)


# -- contact points --------------------------------------------------------------------------


def _live_authority(authority_id: int) -> Authority:
    authority = db.session.get(Authority, authority_id)
    if authority is None:
        raise RuleError(
            _("No authority with id %(id)s.", id=authority_id),
            field="authority_id",
            code="unknown",
        )
    if authority.is_archived:
        raise RuleError(
            _("Authority %(id)s is archived.", id=authority_id),
            field="authority_id",
            code="invalid",
        )
    return authority


def _check_hours(contact: ContactPoint) -> None:
    if contact.hours and not contact.available_24_7 and not contact.time_zone:
        raise RuleError(
            _("Give the IANA time zone the hours are in."), field="time_zone", code="invalid"
        )


def _channels(rows: list[dict]) -> list[Channel]:
    return [Channel(**{k: row.get(k) for k in CHANNEL_FIELDS}) for row in rows]


def _channel_tuples(channels: Any) -> list[tuple]:
    return [tuple(getattr(ch, k) for k in CHANNEL_FIELDS) for ch in channels]


def _ensure_may_change(contact: ContactPoint) -> None:
    ensure_may_edit_state(contact.authority.member_state_code)
    ensure_may_handle_visibility(contact.visibility)


def create_contact(data: dict) -> ContactPoint:
    data = dict(data)
    authority = _live_authority(data.pop("authority_id"))
    ensure_may_edit_state(authority.member_state_code)
    ensure_may_handle_visibility(data.get("visibility"))
    contact = ContactPoint(
        **data
        | {
            "authority": authority,
            "competences": _competences(data.get("competences", [])),
            "channels": _channels(data["channels"]),
        }
    )
    _check_hours(contact)
    db.session.add(contact)
    _save(AuditAction.CREATE, contact, None, contact_snapshot)
    return contact


def update_contact(contact: ContactPoint, data: dict) -> ContactPoint:
    data = dict(data)
    _ensure_may_change(contact)
    ensure_may_handle_visibility(data.get("visibility"))
    _ensure_live(contact, "contact point")
    before = contact_snapshot(contact)
    changed = False
    authority_id = data.pop("authority_id", contact.authority_id)
    if authority_id != contact.authority_id:
        authority = _live_authority(authority_id)
        ensure_may_edit_state(authority.member_state_code)  # no moving into another state
        contact.authority = authority
        changed = True
    if "competences" in data:
        codes = data.pop("competences")
        if codes != _codes(contact.competences):
            contact.competences = _competences(codes)
            changed = True
    if "channels" in data:
        channels = _channels(data.pop("channels"))
        if _channel_tuples(channels) != _channel_tuples(contact.channels):
            contact.channels = channels
            changed = True
    changed = _apply(contact, data) or changed
    _check_hours(contact)
    if changed:
        touch(contact)
        _save(AuditAction.UPDATE, contact, before, contact_snapshot)
    return contact


def archive_contact(contact: ContactPoint) -> None:
    _ensure_may_change(contact)
    if contact.is_archived:
        raise RuleError(_("This contact point is already archived."), code="archived")
    before = contact_snapshot(contact)
    contact.archived_at = utcnow()
    _save(AuditAction.ARCHIVE, contact, before, contact_snapshot)


def restore_contact(contact: ContactPoint) -> ContactPoint:
    _ensure_may_change(contact)
    if not contact.is_archived:
        raise RuleError(_("This contact point is not archived."), code="conflict")
    if contact.authority.is_archived:
        raise RuleError(
            _("Its authority is archived: restore the authority first."), code="archived"
        )
    before = contact_snapshot(contact)
    contact.archived_at = None
    _save(AuditAction.RESTORE, contact, before, contact_snapshot)
    return contact


def verify_contact(contact: ContactPoint) -> ContactPoint:
    _ensure_may_change(contact)
    _ensure_live(contact, "contact point")
    before = contact_snapshot(contact)
    _mark_verified(contact)
    _save(AuditAction.VERIFY, contact, before, contact_snapshot)
    return contact
