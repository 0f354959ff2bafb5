"""Database handle, declarative base with one constraint naming convention, shared column types."""

from __future__ import annotations

import enum
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any, TypeVar

import sqlalchemy as sa
from flask_sqlalchemy import SQLAlchemy
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.sql.functions import FunctionElement

from service.core.text import fold

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = sa.MetaData(naming_convention=NAMING_CONVENTION)


db = SQLAlchemy(model_class=Base)


T = TypeVar("T")


def in_transaction(change: Callable[[], T]) -> T:
    """Runs service calls as one unit: committed together, or rolled back whole if one refuses.

    For doors that call several services or services that leave the commit to their caller
    (the admin's forms and bulk actions): those doors then hold no session writes of their own.
    """
    try:
        result = change()
        db.session.commit()
    except BaseException:
        db.session.rollback()
        raise
    return result


class utcnow(FunctionElement):  # noqa: N801 - reads like the SQL function it renders
    """The database's current UTC time, with sub-second precision on every dialect.

    Timestamps come from the database, not from the clock of whichever worker served the request.
    """

    type = sa.DateTime(timezone=True)
    inherit_cache = True


@compiles(utcnow)
def _utcnow_default(element: Any, compiler: Any, **kw: Any) -> str:
    return "CURRENT_TIMESTAMP"


@compiles(utcnow, "postgresql")
def _utcnow_postgresql(element: Any, compiler: Any, **kw: Any) -> str:
    # clock_timestamp(), not now(): now() is the transaction's start and would let a slow
    # transaction commit rows stamped earlier than rows a partner has already synced.
    return "clock_timestamp()"


@compiles(utcnow, "sqlite")
def _utcnow_sqlite(element: Any, compiler: Any, **kw: Any) -> str:
    # Same text layout SQLAlchemy uses for SQLite DateTime, so comparisons stay lexical-safe.
    return "strftime('%Y-%m-%d %H:%M:%f000', 'now')"


class UTCDateTime(sa.types.TypeDecorator):
    """A timezone-aware UTC datetime on every dialect (SQLite stores it naive, as UTC)."""

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: Any) -> Any:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given where UTC was expected")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: Any, dialect: Any) -> Any:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


def enum_column(enum_cls: type[enum.Enum], name: str) -> sa.Enum:
    """A portable enumerated column: VARCHAR plus a named CHECK constraint, stores the values."""
    return sa.Enum(
        enum_cls,
        name=name,
        native_enum=False,
        create_constraint=True,
        length=max(len(m.value) for m in enum_cls),
        values_callable=lambda cls: [m.value for m in cls],
        validate_strings=True,
    )


class TimestampMixin:
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow(), nullable=False)
    updated_at: Mapped[datetime] = mapped_column(
        UTCDateTime, default=utcnow(), onupdate=utcnow(), nullable=False, index=True
    )


class VersionedMixin:
    """Optimistic locking: the ORM refuses an UPDATE whose row changed since it was read.

    The version also feeds the resource's ETag.
    """

    version: Mapped[int] = mapped_column(sa.Integer, nullable=False, default=1)

    @sa.orm.declared_attr.directive
    def __mapper_args__(cls) -> dict[str, Any]:
        return {"version_id_col": cls.__table__.c.version}  # type: ignore[attr-defined]


def touch(entity: Any) -> None:
    """Forces an UPDATE of the row: a change of links alone (competences, channels, mandates,
    recommendations) still moves `updated_at` (incremental sync) and the row version (ETag)."""
    entity.updated_at = utcnow()


class ArchivableMixin:
    """Removing an entry archives it; it stays restorable and shows up in sync as removed."""

    archived_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)

    @property
    def is_archived(self) -> bool:
        return self.archived_at is not None


class SearchableMixin:
    """A folded copy of the searchable fields, so `q` is case- and accent-insensitive everywhere.

    Subclasses name their fields in ``__search_fields__``; the copy is refreshed on every flush.
    """

    __search_fields__: tuple[str, ...] = ()

    search_text: Mapped[str] = mapped_column(sa.Text, default="")

    def refresh_search_text(self) -> None:
        self.search_text = fold(
            " ".join(str(getattr(self, f) or "") for f in self.__search_fields__)
        )


def matches_text(q: str, *columns: Any) -> sa.ColumnElement:
    """`q` found in any of these folded columns: case- and accent-insensitive everywhere."""
    folded = fold(q)
    return sa.or_(*(column.contains(folded, autoescape=True) for column in columns))


def add_trigram_indexes() -> None:
    """A trigram index on every folded search column: `q` (LIKE '%...%') uses it on PostgreSQL.

    (pg_trgm, created by the migration; SQLite keeps a plain index it does not use for `q`.)
    """
    for mapper in db.Model.registry.mappers:
        table = mapper.local_table
        if not issubclass(mapper.class_, SearchableMixin) or table is None:
            continue
        name = f"ix_{table.name}_search_text_trgm"
        if not any(index.name == name for index in table.indexes):
            sa.Index(
                name,
                table.c.search_text,
                postgresql_using="gin",
                postgresql_ops={"search_text": "gin_trgm_ops"},
            )


@sa.event.listens_for(SearchableMixin, "before_insert", propagate=True)
@sa.event.listens_for(SearchableMixin, "before_update", propagate=True)
def _refresh_search_text(mapper: Any, connection: Any, target: SearchableMixin) -> None:
    target.refresh_search_text()
