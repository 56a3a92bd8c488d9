"""Every writer on SQLite takes its turn at the one write lock, updates or not."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from storage.db import is_sqlite, write_transaction, write_turns, writers_waiting
from storage.repositories import Repo
from tests.fixtures.timeline import until
from tests.storage.rows import audit_rows

Sessions = async_sessionmaker[AsyncSession]


async def store_one(session_factory: Sessions) -> None:
    async with write_transaction(session_factory) as session:
        await Repo.over(session).audit.record("report_submitted", actor_id=None)


async def test_a_writer_outside_an_update_waits_for_its_turn(session_factory: Sessions) -> None:
    """Left to SQLite, it would take the lock between two turns and the next update would
    sleep in SQLite's busy handler; in its turn it simply goes next."""
    if not is_sqlite(str(session_factory.kw["bind"].url)):
        pytest.skip("PostgreSQL locks rows: writers run side by side")
    update = write_turns(session_factory)
    await update.__aenter__()
    writer = asyncio.ensure_future(store_one(session_factory))
    await until(lambda: writers_waiting(session_factory) == 1, "the writer in the queue")
    assert not writer.done() and await audit_rows(session_factory) == 0
    await update.__aexit__(None, None, None)
    await asyncio.wait_for(writer, 5)
    assert await audit_rows(session_factory) == 1


async def test_a_writer_called_inside_a_turn_goes_on(session_factory: Sessions) -> None:
    """A scheduled job holds a turn and calls a helper that asks for one: it must not wait
    for itself."""
    async with write_transaction(session_factory), asyncio.timeout(5):
        await store_one(session_factory)  # in this task (wait_for would start another)
    assert await audit_rows(session_factory) == 1
