"""Directory list queries: the filters partners use, and the one-statement version of a list."""

from __future__ import annotations

import threading
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import contains_eager, selectinload
from sqlalchemy.sql.util import find_tables

from service.core.access import Principal, may_see_secretariat_only, visible_contacts_clause
from service.core.db import db, matches_text
from service.directory.completeness import freshness_cutoff, is_due, live_network_contact
from service.directory.models import (
    Authority,
    ContactPoint,
    EntryStatus,
    MemberState,
    authority_competences,
    by_name,
    contact_point_competences,
)


def _languages_contain(column: Any, code: str) -> sa.ColumnElement:
    # The JSON list is stored as text on both databases (["es", "en"]): a quoted match is exact.
    return sa.cast(column, sa.Text).like(f'%"{code}"%')


def _removal_filter(model: Any, args: dict) -> sa.ColumnElement:
    """Archived entries: hidden, unless asked for or a sync needs to learn they were removed."""
    if "updated_since" in args:
        return model.updated_at >= args["updated_since"]
    if args.get("include_archived"):
        return sa.true()
    return model.archived_at.is_(None)


def _due(model: type[Authority] | type[ContactPoint], due: bool) -> sa.ColumnElement:
    """Active entries due for re-confirmation (the completeness report's definition)."""
    condition = sa.and_(
        model.status == EntryStatus.ACTIVE,
        model.archived_at.is_(None),
        is_due(model, freshness_cutoff()),
    )
    return condition if due else sa.not_(condition)


def authorities_statement(args: dict) -> sa.Select:
    statement = sa.select(Authority).where(_removal_filter(Authority, args))
    if args.get("member_state"):
        statement = statement.where(
            Authority.member_state_code.in_([c.upper() for c in args["member_state"]])
        )
    if "competence" in args:
        statement = statement.where(
            Authority.id.in_(
                sa.select(authority_competences.c.authority_id).where(
                    authority_competences.c.competence_code == args["competence"]
                )
            )
        )
    if "language" in args:
        statement = statement.where(_languages_contain(Authority.languages, args["language"]))
    if "kind" in args:
        statement = statement.where(Authority.kind == args["kind"])
    if "is_coordinating" in args:
        statement = statement.where(Authority.is_coordinating == args["is_coordinating"])
    if "due" in args:
        statement = statement.where(_due(Authority, args["due"]))
    if "q" in args:
        statement = statement.where(matches_text(args["q"], Authority.search_text))
    return statement


AUTHORITY_ORDER = {
    # search_text starts with the folded name: an order that ignores case and accents alike
    "name": (Authority.search_text,),
    "-name": (Authority.search_text.desc(),),
    "updated_at": (Authority.updated_at,),
    "-updated_at": (Authority.updated_at.desc(),),
    "member_state": (Authority.member_state_code, Authority.search_text),
}


def authorities_page_statement(statement: sa.Select, sort: str) -> sa.Select:
    return statement.options(selectinload(Authority.competences)).order_by(
        *AUTHORITY_ORDER[sort], Authority.id
    )


def hidden_in_sync(args: dict, principal: Principal | None) -> sa.ColumnElement | None:
    """Which contacts a sync lists as bare tombstones for this caller, or None for no tombstones.

    A contact switched to secretariat-only must leave a partner's mirror like an archived one:
    a sync (`updated_since`) by someone who may not see it lists it as removed, showing only
    its id and when it changed. The plain list and the exports never include it.
    """
    if "updated_since" not in args or may_see_secretariat_only(principal):
        return None
    return sa.not_(visible_contacts_clause(principal, ContactPoint.visibility))


def _contact_filters(args: dict) -> list[sa.ColumnElement]:
    filters: list[sa.ColumnElement[Any]] = []
    if args.get("member_state"):
        filters.append(Authority.member_state_code.in_([c.upper() for c in args["member_state"]]))
    if "authority" in args:
        filters.append(ContactPoint.authority_id == args["authority"])
    if "competence" in args:
        filters.append(
            ContactPoint.id.in_(
                sa.select(contact_point_competences.c.contact_point_id).where(
                    contact_point_competences.c.competence_code == args["competence"]
                )
            )
        )
    if "language" in args:
        filters.append(_languages_contain(ContactPoint.languages, args["language"]))
    if args.get("role"):
        filters.append(ContactPoint.role.in_(args["role"]))
    if "available_24_7" in args:
        filters.append(ContactPoint.available_24_7 == args["available_24_7"])
    if "due" in args:
        filters.append(_due(ContactPoint, args["due"]))
    if "q" in args:
        # names and positions of the contact, names and acronyms of its authority
        filters.append(_text_filter(args["q"]))
    return filters


def _text_filter(q: str) -> sa.ColumnElement:
    """`q` in the contact's names and positions, or in its authority's names and acronyms.

    The few matching authorities are looked up first: an OR across two joined tables would
    keep PostgreSQL from using the contacts' trigram index; with their ids, it combines it
    with the authority_id index.
    """
    authority_ids = list(
        db.session.execute(
            sa.select(Authority.id).where(matches_text(q, Authority.search_text))
        ).scalars()
    )
    matches = matches_text(q, ContactPoint.search_text)
    if authority_ids:
        matches = sa.or_(matches, ContactPoint.authority_id.in_(authority_ids))
    return matches


def contacts_statement(
    args: dict, principal: Principal | None, tombstones: sa.ColumnElement | None = None
) -> sa.Select:
    """The contacts a list shows; with `tombstones` (see hidden_in_sync) the hidden ones too.

    Tombstones ignore the content filters: a filter on a hidden contact's name, role or state
    would let a caller probe the details a tombstone must not reveal. A mirror simply drops the
    ids it holds, and has none of the others.
    """
    filters = _contact_filters(args)
    if tombstones is None:
        visible = [visible_contacts_clause(principal, ContactPoint.visibility), *filters]
    else:
        visible = [sa.or_(tombstones, sa.and_(sa.true(), *filters))]
    return (
        sa.select(ContactPoint)
        .join(ContactPoint.authority)
        .where(_removal_filter(ContactPoint, args), *visible)
    )


def contacts_count_statement(statement: sa.Select) -> sa.Select:
    """The contacts `statement` selects, without its join to their authorities when no filter
    reads an authority's column (every contact has one authority: the count is the same), so
    PostgreSQL counts from an index alone (`ix_contact_points_live_visibility`)."""
    where = statement.whereclause
    if where is None or Authority.__table__ in find_tables(where, check_columns=True):
        return statement
    return sa.select(ContactPoint.id).where(where)


CONTACT_ORDER = {
    "name": (ContactPoint.search_text,),
    "-name": (ContactPoint.search_text.desc(),),
    "updated_at": (ContactPoint.updated_at,),
    "-updated_at": (ContactPoint.updated_at.desc(),),
    "member_state": (Authority.member_state_code, Authority.search_text, ContactPoint.role),
}


def contacts_page_statement(
    statement: sa.Select, sort: str, tombstones: sa.ColumnElement | None = None
) -> sa.Select:
    """The page query, with everything a contact shows loaded in two more statements.

    Tombstones come last unless the order is by time: where one stands among names or
    member states would tell its name or state.
    """
    order = CONTACT_ORDER[sort]
    if tombstones is not None and sort not in ("updated_at", "-updated_at"):
        order = (sa.case((tombstones, 1), else_=0), *order)
    return statement.options(*EVERYTHING_A_CONTACT_SHOWS).order_by(*order, ContactPoint.id)


# its authority from the page's own join; its channels and competences in one statement each
EVERYTHING_A_CONTACT_SHOWS = (
    contains_eager(ContactPoint.authority),
    selectinload(ContactPoint.channels),
    selectinload(ContactPoint.competences),
)


CONTACT_TAG_LENGTH = 6


def contacts_page_tags(statement: sa.Select, sort: str) -> sa.Select:
    """The page query when the items' JSON may be kept (`ItemCache`): each contact's tag
    (`routes.contact_tag`, its first column the contact's id, CONTACT_TAG_LENGTH columns in
    all), nothing wide."""
    return statement.with_only_columns(
        ContactPoint.id,
        ContactPoint.version,
        ContactPoint.updated_at,
        Authority.id.label("authority_id"),
        Authority.version.label("authority_version"),
        Authority.updated_at.label("authority_updated_at"),
    ).order_by(*CONTACT_ORDER[sort], ContactPoint.id)


def contacts_page_statements(
    args: dict, principal: Principal | None
) -> tuple[sa.Select, sa.Select]:
    """A plain list's page of tags (contacts_page_tags) and what counts it
    (contacts_count_statement). Built once per arguments and visibility (the one thing of the
    caller's that a list's statement depends on: visible_contacts_clause) and kept, unless
    they depend on more: a text search's lookup of authorities, the clock of `due`."""
    if "q" in args or "due" in args:
        return _page_statements(args, principal)
    key = (
        tuple(sorted((k, tuple(v) if isinstance(v, list) else v) for k, v in args.items())),
        may_see_secretariat_only(principal),
    )
    with _KEPT_LOCK:
        kept = _KEPT.get(key)
    if kept is None:
        kept = _page_statements(args, principal)
        with _KEPT_LOCK:
            while len(_KEPT) >= KEPT_STATEMENTS:
                _KEPT.pop(next(iter(_KEPT)))  # the oldest
            _KEPT[key] = kept
    return kept


KEPT_STATEMENTS = 64
_KEPT: dict[tuple, tuple[sa.Select, sa.Select]] = {}
_KEPT_LOCK = threading.Lock()


def _page_statements(args: dict, principal: Principal | None) -> tuple[sa.Select, sa.Select]:
    statement = contacts_statement(args, principal)
    return contacts_page_tags(statement, args["sort"]), contacts_count_statement(statement)


def contacts_by_id(ids: list[int]) -> sa.Select:
    """These contacts, with everything a contact shows (in two more statements)."""
    return (
        sa.select(ContactPoint)
        .join(ContactPoint.authority)
        .where(ContactPoint.id.in_(ids))
        .options(*EVERYTHING_A_CONTACT_SHOWS)
    )


def visible_contact(contact_id: int, principal: Principal | None) -> sa.Select:
    return sa.select(ContactPoint).where(
        ContactPoint.id == contact_id, visible_contacts_clause(principal, ContactPoint.visibility)
    )


def printable_statement(args: dict, principal: Principal | None) -> sa.Select:
    """The printable directory's contacts: the list's filters, narrowed to the live entries the
    whole network sees (completeness's definition: active, not archived, at an active
    authority, never secretariat-only, whoever asks), with what the document shows loaded."""
    return (
        contacts_statement(args, principal)
        .where(live_network_contact())
        .options(
            contains_eager(ContactPoint.authority),
            selectinload(ContactPoint.channels),
        )
        .order_by(Authority.member_state_code, Authority.search_text, ContactPoint.search_text)
    )


def printable_states(args: dict) -> list[MemberState]:
    """The member states a printable directory covers: those asked for, or all of them."""
    statement = sa.select(MemberState)
    if args.get("member_state"):
        statement = statement.where(MemberState.code.in_([c.upper() for c in args["member_state"]]))
    return by_name(db.session.scalars(statement))


def states_version(states: list[MemberState]) -> list[Any]:
    """What the states' part of a printable directory depends on (their names, status, note)."""
    latest = max((s.updated_at for s in states if s.updated_at), default=None)
    return [len(states), latest.isoformat() if latest else None]
