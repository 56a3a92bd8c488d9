"""aiosqlite, one trip to its thread per statement.

aiosqlite runs each SQLite call in a thread of its own, and every call is a round trip: a
queue put, the thread's turn, then a wake-up of the event loop through its self-pipe.
SQLAlchemy's adapter makes three or four of those per statement (open a cursor, execute,
fetch, close). A Kirim runs about twenty statements, so those round trips, not SQLite, were
a large part of the bot's CPU (README, "Benchmarks", "One trip per statement"). Here one
function does the cursor's whole job in the thread, so a statement costs one trip. Everything
else (the pool, transactions, errors, server-side cursors) is SQLAlchemy's own aiosqlite
dialect.
"""

from __future__ import annotations

import sqlite3
from collections import deque
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


def _run(connection: sqlite3.Connection, operation: str, parameters: Any, many: bool) -> _Outcome:
    """In aiosqlite's thread: what SQLAlchemy's adapter does in four trips."""
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


class OneTripCursor(AsyncAdapt_aiosqlite_cursor):
    __slots__ = ()

    def _one_trip(self, operation: Any, parameters: Any, many: bool) -> None:
        aiosqlite_connection = self._connection
        adapted = self._adapt_connection
        if isinstance(adapted, OneTripConnection):
            adapted.open_transaction = True  # until the thread says otherwise
        try:
            outcome: _Outcome = self.await_(
                # aiosqlite's own queue to its thread (what its public methods use)
                aiosqlite_connection._execute(
                    _run, aiosqlite_connection._conn, operation, parameters, many
                )
            )
        except Exception as error:
            self._adapt_connection._handle_exception(error)
        description, rows, lastrowid, self.rowcount, open_transaction = outcome
        if isinstance(adapted, OneTripConnection):
            adapted.open_transaction = open_transaction
        # None before any INSERT, passed on as SQLAlchemy's own adapter does.
        self.lastrowid = lastrowid  # type: ignore[assignment]
        self.description = description
        self._rows = deque(rows)

    def execute(self, operation: Any, parameters: Any = None) -> Any:
        self._one_trip(operation, parameters, many=False)

    def executemany(self, operation: Any, seq_of_parameters: Any) -> Any:
        self._one_trip(operation, seq_of_parameters, many=True)


class OneTripConnection(AsyncAdapt_aiosqlite_connection):
    """Also knows when no transaction is open, so that the pool's rollback on every return
    (after every commit too) costs no trip for nothing: a third of a short transaction's."""

    __slots__ = ("open_transaction",)

    def __init__(self, dbapi: Any, connection: Any) -> None:
        super().__init__(dbapi, connection)
        # Unknown counts as open: a rollback too many is only a trip, one too few a lock held.
        self.open_transaction = True

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
