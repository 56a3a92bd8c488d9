"""The SQLite driver: the same results as SQLAlchemy's aiosqlite adapter, one thread round trip
per statement, none for a short write turn's (storage/sqlite_driver.py)."""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import AsyncIterator
from pathlib import Path

import aiosqlite
import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, AsyncSession

from storage.db import create_engine, create_session_factory, write_transaction
from storage.sqlite_driver import BUSY_TIMEOUT_MS, DRIVER


@pytest.fixture
async def engine(tmp_path: Path) -> AsyncIterator[AsyncEngine]:
    engine = create_engine(f"sqlite+aiosqlite:///{tmp_path / 'driver.sqlite3'}")
    async with engine.begin() as connection:
        await connection.execute(
            text("CREATE TABLE things (id INTEGER PRIMARY KEY, name TEXT UNIQUE NOT NULL)")
        )
    try:
        yield engine
    finally:
        await engine.dispose()


class _Trips:
    def __init__(self) -> None:
        self.count = 0


@pytest.fixture
def trips(monkeypatch: pytest.MonkeyPatch) -> _Trips:
    """Counts the calls aiosqlite runs in its thread."""
    counter = _Trips()
    original = aiosqlite.Connection._execute

    async def counted(
        self: aiosqlite.Connection, fn: object, *args: object, **kw: object
    ) -> object:
        counter.count += 1
        return await original(self, fn, *args, **kw)

    monkeypatch.setattr(aiosqlite.Connection, "_execute", counted)
    return counter


async def test_the_bot_uses_the_one_trip_driver_for_aiosqlite_urls(engine: AsyncEngine) -> None:
    assert engine.dialect.name == "sqlite"
    assert engine.dialect.driver == DRIVER


async def test_rows_counts_and_ids_are_what_sqlalchemy_reports(engine: AsyncEngine) -> None:
    async with engine.begin() as connection:
        first = await connection.execute(text("INSERT INTO things (name) VALUES ('a')"))
        assert first.lastrowid == 1
        assert first.rowcount == 1
        many = await connection.execute(
            text("INSERT INTO things (name) VALUES (:name)"), [{"name": "b"}, {"name": "c"}]
        )
        assert many.rowcount == 2
        changed = await connection.execute(text("UPDATE things SET name = name || '!'"))
        assert changed.rowcount == 3
        rows = await connection.execute(text("SELECT id, name FROM things ORDER BY id"))
        assert [tuple(row) for row in rows] == [(1, "a!"), (2, "b!"), (3, "c!")]
        returned = await connection.execute(
            text("INSERT INTO things (name) VALUES ('d') RETURNING id, name")
        )
        assert [tuple(row) for row in returned] == [(4, "d")]
        empty = await connection.execute(text("SELECT id FROM things WHERE name = 'zzz'"))
        assert empty.first() is None


async def test_errors_are_sqlalchemys_and_the_transaction_rolls_back(engine: AsyncEngine) -> None:
    with pytest.raises(IntegrityError):
        async with engine.begin() as connection:
            await connection.execute(text("INSERT INTO things (name) VALUES ('x')"))
            await connection.execute(text("INSERT INTO things (name) VALUES ('x')"))
    with pytest.raises(OperationalError):
        async with engine.connect() as connection:
            await connection.execute(text("SELECT nothing FROM nowhere"))
    async with engine.connect() as connection:
        assert (await connection.execute(text("SELECT count(*) FROM things"))).scalar() == 0


async def test_streamed_results_still_come_in_chunks(engine: AsyncEngine) -> None:
    async with engine.begin() as connection:
        await connection.execute(
            text("INSERT INTO things (name) VALUES (:name)"),
            [{"name": f"n{index}"} for index in range(250)],
        )
    async with engine.connect() as connection:
        stream = await connection.stream(text("SELECT name FROM things ORDER BY id"))
        names = [row.name async for row in stream]
    assert names == [f"n{index}" for index in range(250)]


async def test_a_statement_is_one_trip_to_the_thread(engine: AsyncEngine, trips: _Trips) -> None:
    async with engine.connect() as connection:
        await connection.execute(text("SELECT 1"))  # the pool's first checkout
        before = trips.count
        for _ in range(5):
            await connection.execute(text("SELECT id, name FROM things"))
        # SQLAlchemy's own adapter makes four: cursor, execute, fetchall, close.
        assert trips.count - before == 5


async def test_a_commit_is_not_followed_by_a_rollback_for_nothing(
    engine: AsyncEngine, trips: _Trips
) -> None:
    async with engine.connect() as connection:
        await connection.execute(text("SELECT 1"))
    before = trips.count
    async with engine.begin() as connection:
        await connection.execute(text("INSERT INTO things (name) VALUES ('a')"))
    # The statement and the commit; the pool's reset on return finds nothing to undo.
    assert trips.count - before == 2


async def test_an_abandoned_transaction_is_rolled_back_and_frees_the_lock(
    engine: AsyncEngine,
) -> None:
    async with engine.connect() as connection:
        await connection.execute(text("INSERT INTO things (name) VALUES ('half')"))
        # Closed without a commit.
    async with engine.begin() as connection:
        await connection.execute(text("PRAGMA busy_timeout=100"))
        # Would wait for the lock (and fail) had the first connection kept its transaction.
        await connection.execute(text("INSERT INTO things (name) VALUES ('whole')"))
    async with engine.connect() as connection:
        names = (await connection.execute(text("SELECT name FROM things"))).scalars().all()
    assert names == ["whole"]


async def _busy_timeout(session: AsyncSession) -> int:
    return int((await session.execute(text("PRAGMA busy_timeout"))).scalar_one())


async def test_the_connection_given_back_last_is_the_one_taken_next(engine: AsyncEngine) -> None:
    """Writers take turns, so they keep using one connection and its page cache, which SQLite
    drops whenever another connection wrote since (README, "Benchmarks")."""

    async def sqlite_connection_of(connection: AsyncConnection) -> object:
        return (await connection.get_raw_connection()).driver_connection

    async with engine.connect() as first, engine.connect() as second:
        used_first = await sqlite_connection_of(first)
        used_second = await sqlite_connection_of(second)
        await second.close()
        await first.close()  # given back last
        assert used_first is not used_second
    async with engine.connect() as taken:
        assert await sqlite_connection_of(taken) is used_first


async def test_a_short_turns_statements_run_on_the_loop_and_only_its_commit_in_the_thread(
    engine: AsyncEngine, trips: _Trips
) -> None:
    sessions = create_session_factory(engine)
    async with write_transaction(sessions) as session:
        await session.execute(text("SELECT 1"))  # the pool's first checkout
    before = trips.count
    async with write_transaction(sessions, short=True) as session:
        await session.execute(text("INSERT INTO things (name) VALUES ('a')"))
        await session.execute(text("UPDATE things SET name = 'b'"))
        rows = await session.execute(text("SELECT name FROM things"))
        assert rows.scalars().all() == ["b"]
        # No statement may wait on the loop for another connection's lock.
        assert await _busy_timeout(session) == 0
    assert trips.count - before == 1  # the commit
    before = trips.count
    async with write_transaction(sessions) as session:
        await session.execute(text("INSERT INTO things (name) VALUES ('c')"))
        # Elsewhere statements go to the thread, which waits for the lock as before.
        assert await _busy_timeout(session) == BUSY_TIMEOUT_MS
    assert trips.count - before == 3  # two statements and the commit


async def test_a_connection_first_opened_in_a_short_turn_waits_only_in_the_thread(
    tmp_path: Path,
) -> None:
    # Its first statements are the engine's own settings (storage/db.py), run on the loop.
    engine = create_engine(f"sqlite+aiosqlite:///{tmp_path / 'fresh.sqlite3'}")
    try:
        sessions = create_session_factory(engine)
        async with write_transaction(sessions, short=True) as session:
            assert await _busy_timeout(session) == 0
        async with sessions() as session:
            assert await _busy_timeout(session) == BUSY_TIMEOUT_MS
        async with write_transaction(sessions, short=True) as session:
            assert await _busy_timeout(session) == 0
    finally:
        await engine.dispose()


async def test_a_task_started_in_a_short_turn_does_not_run_its_statements_on_the_loop(
    engine: AsyncEngine, trips: _Trips
) -> None:
    sessions = create_session_factory(engine)

    async def count_things() -> int:
        async with sessions() as session:
            return int((await session.execute(text("SELECT count(*) FROM things"))).scalar_one())

    await count_things()  # the pool's first checkout
    async with write_transaction(sessions, short=True):
        before = trips.count
        # It inherits the turn's context but not the turn: its statement goes to the thread.
        assert await asyncio.create_task(count_things()) == 0
        assert trips.count - before == 1


async def test_a_lock_held_by_another_process_is_waited_for_in_the_thread_not_on_the_loop(
    engine: AsyncEngine, tmp_path: Path
) -> None:
    sessions = create_session_factory(engine)
    async with write_transaction(sessions) as session:
        await session.execute(text("SELECT 1"))
    # Another process's writer (a CLI command, key rotation) holds SQLite's lock for a while.
    other = sqlite3.connect(tmp_path / "driver.sqlite3", isolation_level=None)
    other.execute("BEGIN IMMEDIATE")
    other.execute("INSERT INTO things (name) VALUES ('theirs')")
    loop = asyncio.get_running_loop()
    loop.call_later(0.3, other.execute, "COMMIT")
    ticks = 0

    async def tick() -> None:
        nonlocal ticks
        while True:
            await asyncio.sleep(0.01)
            ticks += 1

    ticker = asyncio.create_task(tick())
    try:
        async with write_transaction(sessions, short=True) as session:
            await session.execute(text("INSERT INTO things (name) VALUES ('ours')"))
    finally:
        ticker.cancel()
        other.close()
    # The loop went on while the insert waited (on the loop it would have stood still, and
    # with no wait allowed there the insert would have failed).
    assert ticks >= 10
    async with sessions() as session:
        names = (await session.execute(text("SELECT name FROM things ORDER BY id"))).scalars()
        assert list(names) == ["theirs", "ours"]
