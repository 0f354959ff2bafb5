"""Completeness: can someone in this member state be reached? The one definition, used by the
API, the admin dashboard, the exports and the reminders.

A state is complete when, among its active entries visible to the network (never
secretariat-only contact points, so every viewer gets the same figures and nothing hidden
leaks through them), it has:

1. a national coordinating authority;
2. a focal point (and the share of authorities with a focal point that also have an alternate);
3. a contact competent in protection and assistance of victims;
4. a 24/7 operational contact at an authority competent for investigation or prosecution
   (police, prosecution, judiciary, or that competence) — public hotlines never count;
5. every active entry re-confirmed within the freshness window (`FRESHNESS_MONTHS`).

States that are not active (suspended, withdrawn, not participating) are reported apart, with
their dated, sourced note, and never counted as gaps.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime

import sqlalchemy as sa
from flask import current_app, has_app_context

from service.core.db import db, utcnow
from service.directory.models import (
    Authority,
    AuthorityKind,
    ContactPoint,
    ContactRole,
    EntryStatus,
    MemberState,
    MemberStateStatus,
    Visibility,
    authority_competences,
    contact_point_competences,
)

VICTIM_COMPETENCE = "victim_assistance"  # "Protection and assistance of victims"
INVESTIGATION_COMPETENCE = "investigation_prosecution"
INVESTIGATIVE_KINDS = (AuthorityKind.POLICE, AuthorityKind.PROSECUTION, AuthorityKind.JUDICIARY)
CRITERIA = (
    "coordinating_authority",
    "focal_point",
    "victim_assistance",
    "investigative_24_7",
    "freshness",
)
DEFAULT_FRESHNESS_MONTHS = 12


def database_now() -> datetime:
    now = db.session.execute(sa.select(utcnow())).scalar_one()
    return now if now.tzinfo else now.replace(tzinfo=UTC)  # SQLite answers naive UTC


def months_before(moment: datetime, months: int) -> datetime:
    """The same day `months` earlier (the last day of the month where that day doesn't exist)."""
    year, month = divmod(moment.year * 12 + moment.month - 1 - months, 12)
    month += 1
    day = moment.day
    while day > 28:
        try:
            return moment.replace(year=year, month=month, day=day)
        except ValueError:
            day -= 1
    return moment.replace(year=year, month=month, day=day)


def freshness_months() -> int:
    if has_app_context():
        return int(current_app.config.get("FRESHNESS_MONTHS", DEFAULT_FRESHNESS_MONTHS))
    return DEFAULT_FRESHNESS_MONTHS


def freshness_cutoff() -> datetime:
    """Entries confirmed before this are due for re-confirmation."""
    return months_before(database_now(), freshness_months())


def live_authority() -> sa.ColumnElement[bool]:
    return sa.and_(Authority.archived_at.is_(None), Authority.status == EntryStatus.ACTIVE)


def live_network_contact() -> sa.ColumnElement[bool]:
    """Active contact points of active authorities that the whole network can see."""
    return sa.and_(
        live_authority(),
        ContactPoint.archived_at.is_(None),
        ContactPoint.status == EntryStatus.ACTIVE,
        ContactPoint.visibility == Visibility.NETWORK,
    )


def is_due(model, cutoff: datetime) -> sa.ColumnElement[bool]:
    """Never re-confirmed, or not within the freshness window."""
    return sa.or_(model.last_verified_at.is_(None), model.last_verified_at < cutoff)


def _has_competence(table, key_column, owner_column, code: str) -> sa.ColumnElement[bool]:
    return sa.exists().where(key_column == owner_column, table.c.competence_code == code)


@dataclass
class _State:
    coordinating: list[int] = field(default_factory=list)
    focal_points: list[int] = field(default_factory=list)
    victim: list[int] = field(default_factory=list)
    investigative_24_7: list[int] = field(default_factory=list)
    any_24_7: bool = False
    confirmed: list[int] = field(default_factory=list)  # contact points
    confirmed_authorities: list[int] = field(default_factory=list)
    due_authorities: list[int] = field(default_factory=list)
    due_contacts: list[int] = field(default_factory=list)
    authorities_with_focal: set[int] = field(default_factory=set)
    authorities_with_alternate: set[int] = field(default_factory=set)
    entries: int = 0
    contacts: int = 0
    contacts_confirmed: int = 0
    last_change: datetime | None = None

    def changed(self, moment: datetime | None) -> None:
        if moment and (self.last_change is None or moment > self.last_change):
            self.last_change = moment


def completeness(codes: list[str] | None = None) -> list[dict]:
    """One report per member state (all, or those given), from three statements."""
    cutoff = freshness_cutoff()
    states = sa.select(MemberState).order_by(MemberState.code)
    authority_victim = _has_competence(
        authority_competences, authority_competences.c.authority_id, Authority.id, VICTIM_COMPETENCE
    )
    investigative = sa.or_(
        Authority.kind.in_(INVESTIGATIVE_KINDS),
        _has_competence(
            authority_competences,
            authority_competences.c.authority_id,
            Authority.id,
            INVESTIGATION_COMPETENCE,
        ),
    )
    authorities = sa.select(
        Authority.id,
        Authority.member_state_code,
        Authority.is_coordinating,
        is_due(Authority, cutoff).label("due"),
        Authority.updated_at,
    ).where(live_authority())
    contacts = (
        sa.select(
            ContactPoint.id,
            ContactPoint.authority_id,
            Authority.member_state_code,
            ContactPoint.role,
            is_due(ContactPoint, cutoff).label("due"),
            sa.or_(
                _has_competence(
                    contact_point_competences,
                    contact_point_competences.c.contact_point_id,
                    ContactPoint.id,
                    VICTIM_COMPETENCE,
                ),
                authority_victim,
            ).label("victim"),
            investigative.label("investigative"),
            ContactPoint.updated_at,
        )
        .join(ContactPoint.authority)
        .where(live_network_contact())
    )
    if codes is not None:
        states = states.where(MemberState.code.in_(codes))
        authorities = authorities.where(Authority.member_state_code.in_(codes))
        contacts = contacts.where(Authority.member_state_code.in_(codes))
    found: dict[str, _State] = defaultdict(_State)
    for row in db.session.execute(authorities.order_by(Authority.id)):
        state = found[row.member_state_code]
        state.entries += 1
        state.changed(row.updated_at)
        if row.is_coordinating:
            state.coordinating.append(row.id)
        (state.due_authorities if row.due else state.confirmed_authorities).append(row.id)
    for row in db.session.execute(contacts.order_by(ContactPoint.id)):
        state = found[row.member_state_code]
        state.entries += 1
        state.contacts += 1
        state.contacts_confirmed += 0 if row.due else 1
        state.changed(row.updated_at)
        if row.role == ContactRole.FOCAL_POINT:
            state.focal_points.append(row.id)
            state.authorities_with_focal.add(row.authority_id)
        elif row.role == ContactRole.ALTERNATE:
            state.authorities_with_alternate.add(row.authority_id)
        elif row.role == ContactRole.OPERATIONAL_24_7:
            state.any_24_7 = True
            if row.investigative:
                state.investigative_24_7.append(row.id)
        if row.victim and row.role != ContactRole.PUBLIC_HOTLINE:
            state.victim.append(row.id)
        (state.due_contacts if row.due else state.confirmed).append(row.id)
    return [_report(member, found[member.code]) for member in db.session.scalars(states)]


def _criterion(entries: list[int], **extra) -> dict:
    return {"met": bool(entries), "entries": entries, **extra}


def _report(member: MemberState, state: _State) -> dict:
    confirmed_share = (
        round(1 - (len(state.due_authorities) + len(state.due_contacts)) / state.entries, 3)
        if state.entries
        else None
    )
    with_focal = state.authorities_with_focal
    alternate_share = (
        round(len(with_focal & state.authorities_with_alternate) / len(with_focal), 3)
        if with_focal
        else None
    )
    due = len(state.due_authorities) + len(state.due_contacts)
    criteria = {
        "coordinating_authority": _criterion(state.coordinating),
        "focal_point": _criterion(state.focal_points, alternate_share=alternate_share),
        "victim_assistance": _criterion(state.victim),
        "investigative_24_7": _criterion(state.investigative_24_7),
        "freshness": {
            "met": state.entries > 0 and due == 0,
            "entries": state.confirmed,
            "share": confirmed_share,
            "confirmed_authorities": state.confirmed_authorities,
            "due_authorities": state.due_authorities,
            "due_contacts": state.due_contacts,
        },
    }
    participating = member.status == MemberStateStatus.ACTIVE
    return {
        "member_state": member.code,
        "name": member.name_en,
        "names": {
            "en": member.name_en,
            "es": member.name_es,
            "fr": member.name_fr,
            "pt": member.name_pt,
        },
        "status": member.status,
        "status_date": member.status_date,
        "status_note": member.status_note,
        "status_source": member.status_source,
        "participating": participating,
        "criteria": criteria,
        # Only a participating state can be complete or have gaps; the others are shown apart.
        "complete": all(c["met"] for c in criteria.values()) if participating else None,
        "gaps": [name for name in CRITERIA if not criteria[name]["met"]] if participating else [],
        # The first release's figures, kept for partners who read them:
        "has_coordinating_authority": criteria["coordinating_authority"]["met"],
        "has_focal_point": criteria["focal_point"]["met"],
        "has_24_7_contact": state.any_24_7,
        "active_contact_points": state.contacts,
        "verified_last_12_months": state.contacts_confirmed,
        "verified_share": (
            round(state.contacts_confirmed / state.contacts, 3) if state.contacts else None
        ),
        "active_entries": state.entries,
        "due_entries": due,
        "last_change": state.last_change,
    }
