"""A sick database (or Redis) gets a fast, honest answer: deadlines, 503s, readiness checks.

PostgreSQL's `connect_timeout` and `statement_timeout` (service/config.py) bound a database
that answers slowly; they cannot bound one that does not answer at all (a frozen server still
accepts TCP and never replies). So every network wait of a psycopg connection gets a
client-side deadline too: past it the connection is closed and the request fails at once with
a 503; the pool pings a connection that sat idle (`install_idle_ping`) and drops every
connection of a pool that lost one, so the service recovers by itself when the database is back.
"""

from __future__ import annotations

import contextlib
import logging
import threading
import time
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from flask import Flask, Response, jsonify

if TYPE_CHECKING:
    from psycopg.abc import RV, PQGen

log = logging.getLogger(__name__)

RETRY_AFTER_SECONDS = 5
# A statement killed by PostgreSQL's own statement_timeout reports itself; give it that long.
SERVER_REPORT_MARGIN = 0.5


def install_deadlines(engine: sa.Engine, connect_timeout: float, statement_timeout_ms: int) -> None:
    """Client-side deadlines on every psycopg wait: statements, commits, rollbacks, pings."""
    if engine.dialect.name != "postgresql" or engine.dialect.driver != "psycopg":
        return
    import psycopg

    statement_deadline = (
        statement_timeout_ms / 1000 + SERVER_REPORT_MARGIN if statement_timeout_ms else None
    )

    class DeadlineConnection(psycopg.Connection):
        io_timeout: float | None = statement_deadline

        def wait(self, gen: PQGen[RV], interval: float = 0.1, timeout: float | None = None) -> RV:
            if timeout is None:
                timeout = self.io_timeout
            try:
                return super().wait(gen, interval=interval, timeout=timeout)
            except psycopg.errors._WaitTimeout:
                # Half-way through a protocol exchange: the connection cannot be reused.
                self.pgconn.finish()
                raise psycopg.OperationalError(
                    f"the database did not answer within {timeout:g} s"
                ) from None

    @sa.event.listens_for(engine, "do_connect")
    def connect(
        dialect: sa.Dialect, connection_record: Any, cargs: list[Any], cparams: dict[str, Any]
    ) -> DeadlineConnection:
        return DeadlineConnection.connect(*cargs, **cparams)

    # A ping is one round trip: a database that cannot answer it within the connect
    # timeout is sick, and the request should not wait a whole statement timeout for it.
    ping = engine.dialect.do_ping

    def do_ping(dbapi_connection: Any) -> bool:
        with shorter_deadline(dbapi_connection, connect_timeout):
            return ping(dbapi_connection)

    # Replaces this engine's dialect ping only (an instance attribute, on purpose)
    engine.dialect.do_ping = do_ping  # type: ignore[method-assign]


@contextlib.contextmanager
def shorter_deadline(dbapi_connection: Any, seconds: float | None) -> Iterator[None]:
    """Another client-side deadline for the waits of one exchange on this connection (a ping,
    a three-row read): nothing changes on a connection without `install_deadlines`'."""
    if seconds is None or not hasattr(dbapi_connection, "io_timeout"):
        yield
        return
    previous = dbapi_connection.io_timeout
    dbapi_connection.io_timeout = seconds
    try:
        yield
    finally:
        dbapi_connection.io_timeout = previous


# A connection used this recently is trusted without a ping: on a busy worker every checkout
# would otherwise cost a round trip. A connection that died meanwhile (a restarted server) fails
# its first statement: that request gets a 503, the pool drops every connection made before,
# and the next checkout connects afresh.
PING_AFTER_IDLE_SECONDS = 5.0
_LAST_USED = "oasdir.last_used"  # connection_record.info key: monotonic time of the last checkin


def install_idle_ping(engine: sa.Engine, idle_seconds: float = PING_AFTER_IDLE_SECONDS) -> None:
    """The pool's pre-ping, only for connections idle longer than `idle_seconds`.

    SQLAlchemy's custom pessimistic-disconnect recipe: a failed ping raises DisconnectionError,
    and the pool retries the checkout with a new connection.
    """

    @sa.event.listens_for(engine, "checkin")
    def remember_use(dbapi_connection: Any, connection_record: Any) -> None:
        if connection_record is not None:
            connection_record.info[_LAST_USED] = time.monotonic()

    @sa.event.listens_for(engine, "checkout")
    def ping_when_idle(dbapi_connection: Any, connection_record: Any, proxy: Any) -> None:
        last_used = connection_record.info.get(_LAST_USED)
        if last_used is None or time.monotonic() - last_used < idle_seconds:
            return  # new (connected just now), or used a moment ago
        try:
            alive = engine.dialect.do_ping(dbapi_connection)
        except engine.dialect.loaded_dbapi.Error:  # lost, refused, or past its deadline
            alive = False
        if not alive:
            raise sa.exc.DisconnectionError("the pooled connection did not answer a ping")


def is_database_unavailable(error: BaseException) -> bool:
    """The database is unreachable, too slow, or not migrated: not the caller's fault."""
    if isinstance(error, sa.exc.TimeoutError | sa.exc.OperationalError):
        return True  # pool exhausted; refused, lost, timed out, cancelled; SQLite "no such table"
    if isinstance(error, sa.exc.DBAPIError) and error.connection_invalidated:
        return True
    if isinstance(error, sa.exc.ProgrammingError):
        # PostgreSQL: a table the code expects is missing (the schema is not migrated)
        return getattr(error.orig, "sqlstate", None) in {"42P01", "42703"}
    return False


def oauth_unavailable(detail: str, headers: dict[str, str] | None = None) -> Response:
    """The token endpoints answer in OAuth's own error format (RFC 6749 5.2), never HTML."""
    response = jsonify(error="temporarily_unavailable", error_description=detail)
    response.status_code = 503
    response.headers["Cache-Control"] = "no-store"
    response.headers["Pragma"] = "no-cache"
    response.headers["Retry-After"] = str(RETRY_AFTER_SECONDS)
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response


class ReadinessProbe:
    """Checks the database, its migration head and Redis within a time budget.

    The checks run in one background thread; a probe that arrives while a check is still
    running waits for that same check (never piles up threads), and answers "timeout" when
    the budget runs out, however stuck the database is.
    """

    def __init__(self, app: Flask, budget: float = 1.5):
        self.app = app
        self.budget = budget
        self.executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="readyz")
        self.lock = threading.Lock()
        self.pending: Future | None = None
        self._heads: set[str] | None = None

    def check(self) -> dict:
        with self.lock:
            if self.pending is None or self.pending.done():
                self.pending = self.executor.submit(self._run_checks)
            pending = self.pending
        try:
            return pending.result(timeout=self.budget)
        except FutureTimeout:
            checks = {"database": "timeout"}
            if self.app.config.get("REDIS_URL"):
                checks["redis"] = "unknown"
            return checks

    def _run_checks(self) -> dict:
        checks = {"database": self._check_database()}
        if self.app.config.get("REDIS_URL"):
            checks["redis"] = self._check_redis(self.app.config["REDIS_URL"])
        return checks

    def _migration_heads(self) -> set[str]:
        if self._heads is None:
            from alembic.config import Config
            from alembic.script import ScriptDirectory

            directory = self.app.extensions["migrate"].directory
            config = Config()
            config.set_main_option("script_location", directory)
            self._heads = set(ScriptDirectory.from_config(config).get_heads())
        return self._heads

    def _check_database(self) -> str:
        from alembic.migration import MigrationContext

        from service.core.db import db

        try:
            with self.app.app_context(), db.engine.connect() as connection:
                current = set(MigrationContext.configure(connection).get_current_heads())
        except sa.exc.SQLAlchemyError as error:
            reason = str(getattr(error, "orig", None) or error).strip().splitlines()
            log.warning("readiness: database unreachable: %s", reason[0] if reason else "")
            return "unreachable"
        if current != self._migration_heads():
            log.warning(
                "readiness: database at %s, code expects %s",
                current or "no schema",
                self._migration_heads(),
            )
            return "not migrated"
        return "ok"

    def _check_redis(self, url: str) -> str:
        import redis

        client = redis.Redis.from_url(url, socket_timeout=1, socket_connect_timeout=1)
        try:
            client.ping()
        except redis.RedisError as error:
            log.warning("readiness: redis unreachable: %s", error)
            return "unreachable"
        finally:
            client.close()
        return "ok"
