"""INSERT … ON CONFLICT: right on both databases, and compiled once, not on every execution."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.engine.default import CacheStats
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from storage.models import FsmState, utcnow
from storage.on_conflict import insert_or_skip, insert_or_update

Sessions = async_sessionmaker[AsyncSession]


async def test_skip_and_update_keep_their_own_clause_and_are_cached(
    session_factory: Sessions,
) -> None:
    async with session_factory() as session, session.begin():
        statuses = []
        for state in ("first", "second"):
            # Same table, same columns, other clauses: neither may reuse the other's SQL.
            skip = insert_or_skip(session, FsmState, ["key"])
            values = {"key": "k", "state": state, "data": None, "updated_at": utcnow()}
            statuses.append((await session.execute(skip, values)).context.cache_hit)
        assert await session.scalar(select(FsmState.state)) == "first"
        for state in ("third", "fourth"):
            update = insert_or_update(session, FsmState, ["key"], ["state", "updated_at"])
            values = {"key": "k", "state": state, "data": None, "updated_at": utcnow()}
            statuses.append((await session.execute(update, values)).context.cache_hit)
            assert await session.scalar(select(FsmState.state)) == state
        # The first of each kind may have been compiled by an earlier test in this process;
        # the second must come from the cache (without it: NO_CACHE_KEY every time).
        assert statuses[1] == statuses[3] == CacheStats.CACHE_HIT


async def test_a_skipped_insert_returns_nothing(session_factory: Sessions) -> None:
    async with session_factory() as session, session.begin():
        returned = []
        for _ in range(2):
            statement = insert_or_skip(session, FsmState, ["key"], returning=FsmState.key)
            values = {"key": "once", "state": None, "data": None, "updated_at": utcnow()}
            returned.append(await session.scalar(statement, values))
    assert returned == ["once", None]
