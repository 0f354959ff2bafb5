"""How complete each member state's directory entry is: what the secretariat chases states with."""

from __future__ import annotations

from datetime import UTC, timedelta

import sqlalchemy as sa

from service.core.access import Principal, visible_contacts_clause
from service.core.db import db, utcnow
from service.directory.models import (
    Authority,
    ContactPoint,
    ContactRole,
    EntryStatus,
    MemberState,
)

VERIFICATION_PERIOD = timedelta(days=365)


def database_now():
    now = db.session.execute(sa.select(utcnow())).scalar_one()
    return now if now.tzinfo else now.replace(tzinfo=UTC)  # SQLite answers naive UTC


def _any(condition) -> sa.ColumnElement:
    return sa.func.max(sa.case((condition, 1), else_=0))


def _how_many(condition) -> sa.ColumnElement:
    return sa.func.sum(sa.case((condition, 1), else_=0))


def completeness(principal: Principal | None, codes: list[str] | None = None) -> list[dict]:
    """One report per member state (all, or those given), from four statements.

    Computed only from what this principal may see: contact points hidden from them
    (secretariat-only) count nowhere, so neither their number, role, state nor last change
    shows through the report.
    """
    cutoff = database_now() - VERIFICATION_PERIOD
    live_authority = sa.and_(
        Authority.archived_at.is_(None), Authority.status == EntryStatus.ACTIVE
    )
    live_contact = sa.and_(
        live_authority,
        ContactPoint.archived_at.is_(None),
        ContactPoint.status == EntryStatus.ACTIVE,
    )
    states = sa.select(MemberState).order_by(MemberState.code)
    authorities = sa.select(
        Authority.member_state_code,
        _any(sa.and_(live_authority, Authority.is_coordinating)).label("coordinating"),
        sa.func.max(Authority.updated_at).label("last_change"),
    ).group_by(Authority.member_state_code)
    contacts = (
        sa.select(
            Authority.member_state_code,
            _any(sa.and_(live_contact, ContactPoint.role == ContactRole.FOCAL_POINT)).label(
                "focal_point"
            ),
            _any(sa.and_(live_contact, ContactPoint.role == ContactRole.OPERATIONAL_24_7)).label(
                "operational"
            ),
            _how_many(live_contact).label("active"),
            _how_many(sa.and_(live_contact, ContactPoint.last_verified_at >= cutoff)).label(
                "verified"
            ),
            sa.func.max(ContactPoint.updated_at).label("last_change"),
        )
        .join(ContactPoint.authority)
        .where(visible_contacts_clause(principal, ContactPoint.visibility))
        .group_by(Authority.member_state_code)
    )
    if codes is not None:
        states = states.where(MemberState.code.in_(codes))
        authorities = authorities.where(Authority.member_state_code.in_(codes))
        contacts = contacts.where(Authority.member_state_code.in_(codes))
    by_state_authorities = {row.member_state_code: row for row in db.session.execute(authorities)}
    by_state_contacts = {row.member_state_code: row for row in db.session.execute(contacts)}
    return [
        _report(state, by_state_authorities.get(state.code), by_state_contacts.get(state.code))
        for state in db.session.execute(states).scalars()
    ]


def _report(state: MemberState, authorities, contacts) -> dict:
    active = int(contacts.active or 0) if contacts else 0
    verified = int(contacts.verified or 0) if contacts else 0
    changes = [row.last_change for row in (authorities, contacts) if row and row.last_change]
    report = {
        "member_state": state.code,
        "name": state.name_en,
        "status": state.status,
        "has_coordinating_authority": bool(authorities and authorities.coordinating),
        "has_focal_point": bool(contacts and contacts.focal_point),
        "has_24_7_contact": bool(contacts and contacts.operational),
        "active_contact_points": active,
        "verified_last_12_months": verified,
        "verified_share": round(verified / active, 3) if active else None,
        "last_change": max(changes) if changes else None,
    }
    report["complete"] = (
        report["has_coordinating_authority"]
        and report["has_focal_point"]
        and report["has_24_7_contact"]
    )
    return report
