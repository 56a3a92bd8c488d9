"""aiosqlite, one trip to its thread per statement, or none.

aiosqlite runs each SQLite call in a thread of its own, and every call is a round trip: a
queue put, the thread's turn, then a wake-up of the event loop through its self-pipe.
SQLAlchemy's adapter makes three or four of those per statement (open a cursor, execute,
fetch, close). A Kirim runs about twenty statements, so those round trips, not SQLite, were
a large part of the bot's CPU (README, "Benchmarks", "One trip per statement"). Here one
function does the cursor's whole job in the thread, so a statement costs one trip. Everything
else (the pool, transactions, errors, server-side cursors) is SQLAlchemy's own aiosqlite
dialect.

A task in a short write turn (storage/db.py, `write_turns(short=True)`: an update's
transaction, the inbox's and the sender's) runs its statements on the event loop's own
thread, with no trip at all: it holds SQLite's one write lock in this process, so a statement
never waits there for another of our writers, and SQLite answers an indexed statement in
microseconds. A trip cost more than that (the thread's turn at the GIL, a wake-up of the
loop). The commit still goes to the thread: it writes the WAL, and now and then the
checkpoint that syncs the file. Everything else (reads outside a turn, sweeps, VACUUM) keeps
the thread, so a long statement never stops the loop.
"""

from __future__ import annotations

import asyncio
import contextlib
import sqlite3
from collections import deque
from collections.abc import Iterator
from contextvars import ContextVar
from typing import Any

from sqlalchemy.dialects import registry
from sqlalchemy.dialects.sqlite.aiosqlite import (
    AsyncAdapt_aiosqlite_connection,
    AsyncAdapt_aiosqlite_cursor,
    AsyncAdapt_aiosqlite_dbapi,
    AsyncAdapt_aiosqlite_ss_cursor,
    SQLiteDialect_aiosqlite,
)

DRIVER = "aiosqlite_onetrip"

# (description, rows, lastrowid, rowcount), as SQLAlchemy's cursor keeps them, and whether
# a transaction is open on the connection afterwards.
_Outcome = tuple[Any, list[Any], int | None, int, bool]

# How long a statement waits for SQLite's write lock held by another connection. Only
# aiosqlite's thread waits: a statement run here waits for nothing (0), and one that would
# have to goes to the thread instead. Within this process no writer holds the lock outside its
# turn, but another process can (a CLI command, key rotation). The connection sets it before
# a statement that needs the other value (OneTripConnection.busy_timeout), so nothing else
# may set it.
BUSY_TIMEOUT_MS = 10_000

# The task whose statements run here. A task, not a flag: a task it starts inherits the
# context but not the turn, and must not run its statements here.
_HERE: ContextVar[asyncio.Task[Any] | None] = ContextVar("sqlite_statements_here", default=None)


@contextlib.contextmanager
def statements_here() -> Iterator[None]:
    """The current task's statements run on the event loop's thread: only for a task that
    holds the write turn and whose statements are short (storage/db.py)."""
    token = _HERE.set(asyncio.current_task())
    try:
        yield
    finally:
        _HERE.reset(token)


def _run(
    connection: sqlite3.Connection,
    operation: str,
    parameters: Any,
    many: bool,
    busy_ms: int | None = None,
) -> _Outcome:
    """What SQLAlchemy's adapter does in four trips: in aiosqlite's thread, or here. `busy_ms`:
    the connection's busy timeout to set first (None: as it is)."""
    if busy_ms is not None:
        connection.execute(f"PRAGMA busy_timeout={int(busy_ms)}")
    cursor = connection.cursor()
    try:
        if many:
            cursor.executemany(operation, parameters)
            return None, [], cursor.lastrowid, cursor.rowcount, connection.in_transaction
        if parameters is None:
            cursor.execute(operation)
        else:
            cursor.execute(operation, parameters)
        if cursor.description:
            rows = cursor.fetchall()
            return cursor.description, rows, -1, -1, connection.in_transaction
        return None, [], cursor.lastrowid, cursor.rowcount, connection.in_transaction
    finally:
        cursor.close()


async def _here(
    connection: sqlite3.Connection, operation: str, parameters: Any, many: bool, busy_ms: int | None
) -> _Outcome:
    # A coroutine, though it never waits: SQLAlchemy's async connection expects a statement
    # to await something (AwaitRequired).
    return _run(connection, operation, parameters, many, busy_ms)


def _locked(error: sqlite3.OperationalError) -> bool:
    """SQLite's lock is another connection's: the statement did nothing and may be run again
    (not so for a snapshot gone stale, which no wait mends)."""
    code: int = getattr(error, "sqlite_errorcode", 0)
    return code & 0xFF == sqlite3.SQLITE_BUSY and code != sqlite3.SQLITE_BUSY_SNAPSHOT


class OneTripCursor(AsyncAdapt_aiosqlite_cursor):
    __slots__ = ()

    def _one_trip(self, operation: Any, parameters: Any, many: bool) -> None:
        # None: the sync fallback (tests of SQLAlchemy itself), always in the thread.
        adapted = (
            self._adapt_connection
            if isinstance(self._adapt_connection, OneTripConnection)
            else None
        )
        if adapted is not None:
            adapted.open_transaction = True  # until SQLite says otherwise
        try:
            outcome = self._run_here(adapted, operation, parameters, many)
            if outcome is None:
                outcome = self._run_in_thread(adapted, operation, parameters, many)
        except Exception as error:
            self._adapt_connection._handle_exception(error)
        description, rows, lastrowid, self.rowcount, open_transaction = outcome
        if adapted is not None:
            adapted.open_transaction = open_transaction
        # None before any INSERT, passed on as SQLAlchemy's own adapter does.
        self.lastrowid = lastrowid  # type: ignore[assignment]
        self.description = description
        self._rows = deque(rows)

    def _run_here(
        self, adapted: OneTripConnection | None, operation: Any, parameters: Any, many: bool
    ) -> _Outcome | None:
        """On the event loop's thread if this task may (statements_here); None if not, or if
        SQLite's lock is another connection's (the thread then waits for it)."""
        here = _HERE.get()
        if adapted is None or here is None or here is not asyncio.current_task():
            return None
        connection = self._connection._conn
        try:
            outcome: _Outcome = self.await_(
                _here(connection, operation, parameters, many, adapted.busy_timeout(0))
            )
        except sqlite3.OperationalError as error:
            if _locked(error):
                return None
            raise
        return outcome

    def _run_in_thread(
        self, adapted: OneTripConnection | None, operation: Any, parameters: Any, many: bool
    ) -> _Outcome:
        busy_ms = None if adapted is None else adapted.busy_timeout(BUSY_TIMEOUT_MS)
        aiosqlite_connection = self._connection
        outcome: _Outcome = self.await_(
            # aiosqlite's own queue to its thread (what its public methods use)
            aiosqlite_connection._execute(
                _run, aiosqlite_connection._conn, operation, parameters, many, busy_ms
            )
        )
        return outcome

    def execute(self, operation: Any, parameters: Any = None) -> Any:
        self._one_trip(operation, parameters, many=False)

    def executemany(self, operation: Any, seq_of_parameters: Any) -> Any:
        self._one_trip(operation, seq_of_parameters, many=True)


class OneTripConnection(AsyncAdapt_aiosqlite_connection):
    """Also knows when no transaction is open, so that the pool's rollback on every return
    (after every commit too) costs no trip for nothing: a third of a short transaction's."""

    __slots__ = ("_busy_ms", "open_transaction")

    def __init__(self, dbapi: Any, connection: Any) -> None:
        super().__init__(dbapi, connection)
        # Unknown counts as open: a rollback too many is only a trip, one too few a lock held.
        self.open_transaction = True
        # Unknown (sqlite3's connect set its own): the first statement sets it, on either side.
        self._busy_ms: int | None = None

    def busy_timeout(self, busy_ms: int) -> int | None:
        """The busy timeout for the next statement: `busy_ms` if the connection has another
        one now (a PRAGMA before the statement), None if it has that one already."""
        if self._busy_ms == busy_ms:
            return None
        self._busy_ms = busy_ms
        return busy_ms

    def cursor(self, server_side: bool = False) -> AsyncAdapt_aiosqlite_cursor:
        if server_side:
            self.open_transaction = True
            return AsyncAdapt_aiosqlite_ss_cursor(self)
        return OneTripCursor(self)

    def execute(self, *args: Any, **kw: Any) -> Any:
        self.open_transaction = True
        return super().execute(*args, **kw)

    def commit(self) -> None:
        self.open_transaction = True
        super().commit()
        self.open_transaction = False

    def rollback(self) -> None:
        if not self.open_transaction:
            return
        super().rollback()
        self.open_transaction = False


class OneTripDBAPI(AsyncAdapt_aiosqlite_dbapi):
    def connect(self, *arg: Any, **kw: Any) -> AsyncAdapt_aiosqlite_connection:
        adapted = super().connect(*arg, **kw)
        if type(adapted) is AsyncAdapt_aiosqlite_connection:
            return OneTripConnection(self, adapted._connection)
        return adapted  # the sync fallback (tests of SQLAlchemy itself): left as it is


class OneTripDialect(SQLiteDialect_aiosqlite):
    driver = DRIVER
    supports_statement_cache = True

    @classmethod
    def import_dbapi(cls) -> AsyncAdapt_aiosqlite_dbapi:
        return OneTripDBAPI(__import__("aiosqlite"), __import__("sqlite3"))


registry.register(f"sqlite.{DRIVER}", __name__, "OneTripDialect")
