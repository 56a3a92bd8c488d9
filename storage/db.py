"""Engine and session factory for SQLite (aiosqlite) and PostgreSQL (asyncpg)."""

from __future__ import annotations

import asyncio
import collections
import contextlib
import weakref
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import URL, make_url
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

from storage import sqlite_driver


def is_sqlite(url: str) -> bool:
    return make_url(url).get_backend_name() == "sqlite"


def _one_trip_driver(url: str) -> URL:
    """The same aiosqlite, one thread round trip per statement (storage/sqlite_driver.py)."""
    parsed = make_url(url)
    if parsed.drivername == "sqlite+aiosqlite":
        return parsed.set(drivername=f"sqlite+{sqlite_driver.DRIVER}")
    return parsed


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    # WAL lets readers (the sender, /status) work while a report is written; secure_delete
    # zeroes freed pages so erased data does not linger in the file.
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA secure_delete=ON")
    if not isinstance(dbapi_connection, sqlite_driver.OneTripConnection):
        # The one-trip driver sets it itself: 0 on the event loop, its own in the thread.
        cursor.execute(f"PRAGMA busy_timeout={sqlite_driver.BUSY_TIMEOUT_MS}")
    cursor.close()


def create_engine(url: str, *, echo: bool = False) -> AsyncEngine:
    """hide_parameters: a failed statement's error names no value (they may be residents')."""
    if is_sqlite(url):
        database = make_url(url).database
        if database and database != ":memory:":
            Path(database).parent.mkdir(parents=True, exist_ok=True)
        # LIFO: the connection returned last is taken next, so the writers, who take turns,
        # keep using one connection. SQLite drops a connection's page cache whenever another
        # connection wrote since its last transaction: handed round (FIFO) every update found
        # it cold and read its pages again, 43 page reads per update (README, "Benchmarks").
        engine = create_async_engine(
            _one_trip_driver(url),
            echo=echo,
            connect_args={"timeout": 30},
            hide_parameters=True,
            pool_use_lifo=True,
        )
        event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
        return engine
    return create_async_engine(
        url,
        echo=echo,
        pool_pre_ping=True,
        pool_size=10,
        max_overflow=20,
        hide_parameters=True,
    )


def create_session_factory(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, expire_on_commit=False)


class WriteTurns:
    """SQLite's one write lock, handed over in-process: at once, in arrival order, except
    that a `priority` turn (the sender's, so an alert does not wait behind every queued
    update) goes before the waiting updates."""

    def __init__(self) -> None:
        self._held = False
        self._waiting: collections.deque[asyncio.Future[None]] = collections.deque()
        self._first: collections.deque[asyncio.Future[None]] = collections.deque()
        # The task holding the turn, so that code it calls (a job writing through a helper
        # that asks for a turn of its own) goes on instead of waiting for itself for ever.
        self._holder: asyncio.Task[Any] | None = None

    @contextlib.asynccontextmanager
    async def turn(self, *, priority: bool = False) -> AsyncIterator[None]:
        task = asyncio.current_task()
        if self._held and task is not None and task is self._holder:
            yield
            return
        if self._held or self._waiting or self._first:
            ticket = asyncio.get_running_loop().create_future()
            (self._first if priority else self._waiting).append(ticket)
            try:
                await ticket
            except asyncio.CancelledError:
                if ticket.done() and not ticket.cancelled():
                    self._pass_on()  # handed over just as it was cancelled
                raise
        self._held = True
        self._holder = task
        try:
            yield
        finally:
            self._holder = None
            self._pass_on()

    @property
    def waiting(self) -> int:
        """Turns asked for and not yet given, not counting priority ones."""
        return sum(1 for ticket in self._waiting if not ticket.done())

    def _pass_on(self) -> None:
        for queue in (self._first, self._waiting):
            while queue:
                ticket = queue.popleft()
                if not ticket.done():
                    ticket.set_result(None)  # still held: it is theirs now
                    return
        self._held = False


_write_turns: weakref.WeakKeyDictionary[Any, WriteTurns] = weakref.WeakKeyDictionary()


def write_turns(
    session_factory: async_sessionmaker[AsyncSession],
    *,
    priority: bool = False,
    short: bool = False,
) -> contextlib.AbstractAsyncContextManager[None]:
    """On SQLite, writers of one engine take turns (WriteTurns); elsewhere, nothing.

    `short`: the turn's statements are short (an update's, the inbox's and the sender's
    transactions, not sweeps or VACUUM), so they run on the event loop's thread instead of a
    trip each to aiosqlite's (storage/sqlite_driver.py; README, "Benchmarks").

    SQLite has one write lock per database. Updates take it at their start (users.seen) and
    keep it until they commit; left to SQLite, whoever waits polls it with growing sleeps (up
    to 100 ms, no queue), so the lock sits idle between turns, the sender claiming an alert
    can lose the race to update after update, and an unlucky update can wait past
    busy_timeout and fail ("database is locked": the resident gets an apology). Measured
    with `make bench` (README, "Benchmarks"). Only for transactions that never wait for another
    writer of the same engine while holding their turn. PostgreSQL locks rows, not the
    database: no turns there.
    """
    engine = session_factory.kw.get("bind")
    if engine is None or engine.dialect.name != "sqlite":
        return contextlib.nullcontext()
    sync_engine = engine.sync_engine
    turns = _write_turns.get(sync_engine)
    if turns is None:
        turns = _write_turns[sync_engine] = WriteTurns()
    turn = turns.turn(priority=priority)
    return _statements_here(turn) if short else turn


@contextlib.asynccontextmanager
async def _statements_here(
    turn: contextlib.AbstractAsyncContextManager[None],
) -> AsyncIterator[None]:
    # Only once the turn is held: no writer of ours can then hold SQLite's lock, so no
    # statement here waits for one (and stops the loop while it waits).
    async with turn:
        with sqlite_driver.statements_here():
            yield


@contextlib.asynccontextmanager
async def write_transaction(
    session_factory: async_sessionmaker[AsyncSession],
    *,
    priority: bool = False,
    short: bool = False,
) -> AsyncIterator[AsyncSession]:
    """A session in one transaction that writes, in its turn (write_turns) on SQLite.

    Every writer goes through a turn: one that does not takes SQLite's lock between two
    turns, and the next holder then sleeps in SQLite's busy handler (README, "Benchmarks": the
    ids of messages sent after a Kirim's commit, remembered outside any turn, cost the 50
    Kirims of a burst 3.2 s of such sleeps)."""
    async with (
        write_turns(session_factory, priority=priority, short=short),
        session_factory() as session,
        session.begin(),
    ):
        yield session


def writers_waiting(session_factory: async_sessionmaker[AsyncSession]) -> int:
    """How many updates are queued for SQLite's write lock (always 0 elsewhere)."""
    engine = session_factory.kw.get("bind")
    if engine is None or engine.dialect.name != "sqlite":
        return 0
    turns = _write_turns.get(engine.sync_engine)
    return turns.waiting if turns is not None else 0
