"""Every SQL statement sent to a database, wherever it comes from.

SQLAlchemy's `before_cursor_execute` sees what goes through its connections; the data versions
are read on psycopg's own cursor (`service.core.versions`), which SQLAlchemy does not see. So
PostgreSQL's statements are counted at the driver (psycopg's `Cursor.execute` and
`executemany`: SQLAlchemy's included, once), and the other databases' through SQLAlchemy.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator

import sqlalchemy as sa


@contextlib.contextmanager
def listening(on_statement: Callable[[str], None]) -> Iterator[None]:
    """Calls `on_statement(sql)` for each statement sent, by any engine, while inside."""
    import psycopg

    def through_sqlalchemy(conn, cursor, statement, *args) -> None:
        if conn.dialect.driver != "psycopg":
            on_statement(statement)

    execute, executemany = psycopg.Cursor.execute, psycopg.Cursor.executemany

    def counted_execute(self, query, *args, **kwargs):
        on_statement(_text(query))
        return execute(self, query, *args, **kwargs)

    def counted_executemany(self, query, *args, **kwargs):
        on_statement(_text(query))
        return executemany(self, query, *args, **kwargs)

    sa.event.listen(sa.engine.Engine, "before_cursor_execute", through_sqlalchemy)
    psycopg.Cursor.execute, psycopg.Cursor.executemany = counted_execute, counted_executemany
    try:
        yield
    finally:
        psycopg.Cursor.execute, psycopg.Cursor.executemany = execute, executemany
        sa.event.remove(sa.engine.Engine, "before_cursor_execute", through_sqlalchemy)


def _text(query: object) -> str:
    if isinstance(query, bytes):
        return query.decode(errors="replace")
    return query if isinstance(query, str) else repr(query)
