"""Single-statement reads outside any transaction: a small pool of autocommit connections.

A read that is one statement needs no transaction of its own: on PostgreSQL, outside one, it
is one round trip (no BEGIN before it, no ROLLBACK after it) and no session is made for it.
The data versions are read this way before every API request's data, and so are the rows of a
page that are plain columns (not entities to load and lazy-load from). Inside a request whose
session already holds a transaction (or in a test, whose session is bound to a connection
holding uncommitted rows) the session reads instead: its own view, its own changes included.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import sqlalchemy as sa
from flask import Flask, current_app

from service.core.db import db

_ENGINE = "reads.engine"  # app.extensions keys: the engine, and what it gets when made
_ENGINE_SETUP = "reads.engine_setup"
_ENGINE_LOCK = threading.Lock()
EngineSetup = Callable[[sa.Engine], None]


def session_must_read() -> bool:
    """True when a read must go through the request's session: not PostgreSQL (SQLite's
    transactions cost no round trip), a test's session bound to its own connection, or a
    session already in a transaction (its view, its own changes included)."""
    scoped = db.session
    return (
        db.engine.dialect.name != "postgresql"
        or isinstance(scoped.session_factory.kw.get("bind"), sa.Connection)  # a test's
        or (scoped.registry.has() and scoped().in_transaction())
    )


def read_rows(statement: sa.Select, parameters: dict[str, Any] | None = None) -> list[sa.Row[Any]]:
    """The rows of a SELECT of plain columns (no entity: nothing to load from later), outside
    any transaction when the session holds none."""
    if session_must_read():
        return session_rows(statement, parameters)
    with autocommit_engine().connect() as connection:
        return list(connection.execute(statement, parameters).all())


def session_rows(statement: sa.Select, parameters: dict[str, Any] | None = None) -> list[Any]:
    """The rows of a SELECT, read in the request's session (entities stay attached to it)."""
    return list(db.session.execute(statement, parameters).all())


def autocommit_engine() -> sa.Engine:
    """A small pool of autocommit connections to the same database: no isolation level
    switched on every checkout and back on every return (a tenth of a millisecond a request).
    Made at the first read, with what `configure_autocommit_engine` gave (the main engine's
    deadlines and pings); disposed with the main engine."""
    extensions = current_app.extensions
    engine: sa.Engine | None = extensions.get(_ENGINE)
    if engine is None:
        with _ENGINE_LOCK:
            engine = extensions.get(_ENGINE)
            if engine is None:
                engine = _make_engine(extensions)
    return engine


def _make_engine(extensions: dict[str, Any]) -> sa.Engine:
    options = dict(current_app.config["SQLALCHEMY_ENGINE_OPTIONS"])
    options.update(isolation_level="AUTOCOMMIT", pool_size=2, max_overflow=8)
    made = sa.create_engine(db.engine.url, **options)
    for setup in extensions.get(_ENGINE_SETUP, ()):
        setup(made)
    extensions[_ENGINE] = made

    def dispose_with_main(*_: Any) -> None:
        if extensions.get(_ENGINE) is made:
            extensions.pop(_ENGINE, None)
        made.dispose()  # (again at a later disposal of the main engine: harmless)

    sa.event.listen(db.engine, "engine_disposed", dispose_with_main)
    return made


def configure_autocommit_engine(app: Flask, *setups: EngineSetup) -> None:
    """What the autocommit engine gets when it is made (deadlines, idle pings)."""
    app.extensions[_ENGINE_SETUP] = setups
