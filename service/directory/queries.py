"""Directory list queries: the filters partners use, and the one-statement version of a list."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import contains_eager, selectinload

from service.core.access import Principal, visible_contacts_clause
from service.core.db import db
from service.core.text import fold
from service.directory.models import (
    Authority,
    ContactPoint,
    authority_competences,
    contact_point_competences,
)


def _languages_contain(column, code: str) -> sa.ColumnElement:
    # The JSON list is stored as text on both databases (["es", "en"]): a quoted match is exact.
    return sa.cast(column, sa.Text).like(f'%"{code}"%')


def _removal_filter(model, args: dict) -> sa.ColumnElement:
    """Archived entries: hidden, unless asked for or a sync needs to learn they were removed."""
    if "updated_since" in args:
        return model.updated_at >= args["updated_since"]
    if args.get("include_archived"):
        return sa.true()
    return model.archived_at.is_(None)


def _search(columns, q: str) -> sa.ColumnElement:
    folded = fold(q)
    return sa.or_(*(column.contains(folded, autoescape=True) for column in columns))


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
    if "q" in args:
        statement = statement.where(_search([Authority.search_text], args["q"]))
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


def contacts_statement(args: dict, principal: Principal | None) -> sa.Select:
    statement = (
        sa.select(ContactPoint)
        .join(ContactPoint.authority)
        .where(
            visible_contacts_clause(principal, ContactPoint.visibility),
            _removal_filter(ContactPoint, args),
        )
    )
    if args.get("member_state"):
        statement = statement.where(
            Authority.member_state_code.in_([c.upper() for c in args["member_state"]])
        )
    if "authority" in args:
        statement = statement.where(ContactPoint.authority_id == args["authority"])
    if "competence" in args:
        statement = statement.where(
            ContactPoint.id.in_(
                sa.select(contact_point_competences.c.contact_point_id).where(
                    contact_point_competences.c.competence_code == args["competence"]
                )
            )
        )
    if "language" in args:
        statement = statement.where(_languages_contain(ContactPoint.languages, args["language"]))
    if args.get("role"):
        statement = statement.where(ContactPoint.role.in_(args["role"]))
    if "available_24_7" in args:
        statement = statement.where(ContactPoint.available_24_7 == args["available_24_7"])
    if "q" in args:
        # names and positions of the contact, names and acronyms of its authority
        statement = statement.where(
            _search([ContactPoint.search_text, Authority.search_text], args["q"])
        )
    return statement


CONTACT_ORDER = {
    "name": (ContactPoint.search_text,),
    "-name": (ContactPoint.search_text.desc(),),
    "updated_at": (ContactPoint.updated_at,),
    "-updated_at": (ContactPoint.updated_at.desc(),),
    "member_state": (Authority.member_state_code, Authority.search_text, ContactPoint.role),
}


def contacts_page_statement(statement: sa.Select, sort: str) -> sa.Select:
    """The page query, with everything a contact shows loaded in two more statements."""
    return statement.options(
        contains_eager(ContactPoint.authority),
        selectinload(ContactPoint.channels),
        selectinload(ContactPoint.competences),
    ).order_by(*CONTACT_ORDER[sort], ContactPoint.id)


def list_version(statement: sa.Select, model, *also_max) -> list[str]:
    """What a list's ETag is computed from, in one statement: how many, and the latest change.

    The version sum catches changes within one clock tick; `also_max` adds the last change of
    joined rows a listed entry shows (a contact shows its authority's name).
    """
    row = db.session.execute(
        statement.with_only_columns(
            sa.func.count(),
            sa.func.max(model.updated_at),
            sa.func.max(model.archived_at),
            sa.func.sum(model.version),
            *(sa.func.max(column) for column in also_max),
            maintain_column_froms=True,
        ).order_by(None)
    ).one()
    return [value.isoformat() if hasattr(value, "isoformat") else value for value in row]


def visible_contact(contact_id: int, principal: Principal | None) -> sa.Select:
    return sa.select(ContactPoint).where(
        ContactPoint.id == contact_id, visible_contacts_clause(principal, ContactPoint.visibility)
    )
