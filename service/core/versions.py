"""Data versions: one counter per resource family, bumped in the transaction of every change.

Every change is recorded through `service.audit.log.record`, which bumps its family's counter
here, in the same transaction: the API, the admin, the command line and the seed alike. Caches
and list ETags key on these counters, so a committed change is seen by the next read of every
worker, and reading them costs one statement on a three-row table.
"""

from __future__ import annotations

import contextlib
import enum
import secrets
from typing import Any, cast

import sqlalchemy as sa
from flask import current_app, has_request_context, request
from sqlalchemy.orm import Mapped, ORMExecuteState, Session, SessionTransaction, mapped_column

from service.core.availability import SERVER_REPORT_MARGIN, shorter_deadline
from service.core.db import db, rowcount
from service.core.reads import autocommit_engine, session_must_read


class Family(enum.StrEnum):
    DIRECTORY = "directory"
    WORKPLAN = "workplan"
    ACCOUNTS = "accounts"  # people, invitations, API clients and their tokens


class DataVersion(db.Model):
    __tablename__ = "data_versions"

    family: Mapped[str] = mapped_column(sa.String(20), primary_key=True)
    version: Mapped[int] = mapped_column(sa.BigInteger, nullable=False, default=0)
    # random at every bump: a bump rolled back and the next one share a number, never a stamp
    stamp: Mapped[str] = mapped_column(sa.String(32), nullable=False, default="")


# Bookkeeping no cached answer is made of: the audit log, the webhook outbox and its deliveries,
# what reminders were sent, what the seed wrote.
_NOT_VERSIONED = frozenset(
    {
        "data_versions",
        "audit_entries",
        "webhook_endpoints",
        "webhook_events",
        "webhook_deliveries",
        "webhook_attempts",
        "reminders_sent",
        "digest_snapshots",
        "seed_records",
    }
)

# Which family a changed row belongs to, by the package its model lives in.
_PACKAGES = {
    "service.directory": Family.DIRECTORY,
    "service.workplan": Family.WORKPLAN,
    "service.identity": Family.ACCOUNTS,
    "service.oauth": Family.ACCOUNTS,
}
_READ = "oasdir.data_versions"  # request.environ key: the versions this request read
_BUMPED = "bumped_families"  # Session.info key: families already bumped in this transaction
_VERSIONS_SQL = "SELECT family, version, stamp FROM data_versions"


def families_of(entity: object) -> tuple[Family, ...]:
    """The family of a changed entity; every family when it belongs to none we know; none for
    bookkeeping that no cached answer is made of."""
    if getattr(type(entity), "__tablename__", None) in _NOT_VERSIONED:
        return ()
    return _families_of_class(type(entity))


def _families_of_class(cls: type) -> tuple[Family, ...]:
    module = cls.__module__
    for package, family in _PACKAGES.items():
        if module == package or module.startswith(package + "."):
            return (family,)
    return tuple(Family)


def bump(*families: Family, session: Session | None = None) -> None:
    """Moves these families' versions on, once per transaction, inside the current transaction.

    The row stays locked until the transaction ends (PostgreSQL), so versions move in commit
    order; a rollback undoes the bump with the change.
    """
    session = session if session is not None else db.session()
    bumped = session.info.setdefault(_BUMPED, set())
    for family in sorted(set(families) - bumped):
        result = session.execute(
            sa.update(DataVersion)
            .where(DataVersion.family == family.value)
            .values(version=DataVersion.version + 1, stamp=secrets.token_hex(8))
            .execution_options(synchronize_session=False)
        )
        if rowcount(result) == 0:  # a database built without the migration's rows
            session.execute(
                sa.insert(DataVersion).values(
                    family=family.value, version=1, stamp=secrets.token_hex(8)
                )
            )
        bumped.add(family)
    if has_request_context():
        request.environ.pop(_READ, None)  # this request's reads must see its own change


# Besides record(), every ORM write bumps its family too (a change made without an audit entry,
# by a test or a forgetful path, must not leave a stale answer behind). What a flush never
# changes in a family's answers is left out: the log itself, and a new token being issued.
_NOT_VERSIONED_WHEN_NEW = frozenset({"oauth_tokens"})


@sa.event.listens_for(Session, "before_flush")
def _bump_on_flush(session: Session, flush_context: Any, instances: Any) -> None:
    families: set[Family] = set()
    for entity, is_new in (
        *((e, True) for e in session.new),
        *((e, False) for e in session.dirty if session.is_modified(e)),
        *((e, False) for e in session.deleted),
    ):
        table = getattr(type(entity), "__tablename__", None)
        if table in _NOT_VERSIONED or (is_new and table in _NOT_VERSIONED_WHEN_NEW):
            continue
        families.update(families_of(entity))
    if families:
        bump(*families, session=session)


@sa.event.listens_for(Session, "do_orm_execute")
def _bump_on_bulk_statement(state: ORMExecuteState) -> None:
    if not (state.is_update or state.is_delete or state.is_insert):
        return
    mapper = state.bind_mapper
    # every mapped class here maps one table
    if mapper is None or cast(sa.Table, mapper.local_table).name in _NOT_VERSIONED:
        return
    bump(*_families_of_class(mapper.class_), session=state.session)


@sa.event.listens_for(Session, "after_transaction_end")
def _forget_bumps(session: Session, transaction: SessionTransaction) -> None:
    session.info.pop(_BUMPED, None)


def current_versions() -> dict[str, str]:
    """Every family's version, in one statement, read once per request (before any data)."""
    # kept in the request's environ, not in g: an app context can outlive many requests
    if has_request_context() and _READ in request.environ:
        return request.environ[_READ]
    versions = dict.fromkeys((f.value for f in Family), "0")
    versions.update((family, f"{version}.{stamp}") for family, version, stamp in _read_versions())
    if has_request_context():
        request.environ[_READ] = versions
    return versions


def version_of(family: Family) -> str:
    return current_versions()[family.value]


def _read_versions() -> list[Any]:
    """The rows of data_versions: plain SQL, no ORM work on the path of every request.

    On PostgreSQL, outside any transaction (reads.py: one round trip, a statement prepared
    once per connection), unless the request's session must read (reads.session_must_read):
    then its own view, bumps included. Reading the versions before the data means an answer is
    never older than the version it is cached under. No session is made just for this read.
    """
    if session_must_read():
        return list(db.session().connection().exec_driver_sql(_VERSIONS_SQL))
    return _read_versions_raw(autocommit_engine())


def _read_versions_raw(engine: sa.Engine) -> list[Any]:
    """The read on the driver's own cursor (SQLAlchemy's result machinery costs more than the
    round trip), with SQLAlchemy's handling of a failure kept: the driver's error is raised as
    SQLAlchemy's (a 503 to the caller), and a lost connection leaves the pool (the others are
    pinged when idle, or fail their next statement within the deadline and leave in turn)."""
    driver_error = engine.dialect.loaded_dbapi.Error
    try:
        connection = engine.raw_connection()
    except driver_error as error:  # refused, or no answer within the connect timeout
        raise _as_sqlalchemy_error(engine, error, lost=False) from error
    cursor: Any = None  # psycopg's: prepared once per connection (`prepare=True`)
    try:
        cursor = connection.cursor()
        with shorter_deadline(connection.dbapi_connection, _versions_deadline()):
            cursor.execute(_VERSIONS_SQL, prepare=True)
            return list(cursor.fetchall())
    except driver_error as error:
        lost = engine.dialect.is_disconnect(error, connection.dbapi_connection, cursor)
        if lost:
            connection.invalidate(error)  # closed, never handed out again
        raise _as_sqlalchemy_error(engine, error, lost=lost) from error
    finally:
        if cursor is not None:
            with contextlib.suppress(Exception):
                cursor.close()
        connection.close()  # back to the pool (or gone, when invalidated)


def _versions_deadline() -> float | None:
    """The versions' read is the first statement of every API request and reads three rows: a
    database that cannot answer it within the connect timeout is sick (a fast 503, as the
    pool's ping gives), and the request should not wait a whole statement timeout for it."""
    config = current_app.config
    if not config.get("DATABASE_STATEMENT_TIMEOUT_MS"):
        return None
    return config["DATABASE_CONNECT_TIMEOUT"] + SERVER_REPORT_MARGIN


def _as_sqlalchemy_error(
    engine: sa.Engine, error: Exception, *, lost: bool
) -> sa.exc.StatementError:
    return sa.exc.DBAPIError.instance(
        _VERSIONS_SQL,
        None,
        error,
        engine.dialect.loaded_dbapi.Error,
        connection_invalidated=lost,
        dialect=engine.dialect,
    )
