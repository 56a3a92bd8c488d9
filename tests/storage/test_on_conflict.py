"""INSERT … ON CONFLICT: right on both databases, and compiled once, not on every execution."""

from __future__ import annotations

from sqlalchemy import select, text
from sqlalchemy.engine.default import CacheStats
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from storage.models import FsmState, OutboxMessage, utcnow
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


async def test_values_left_out_get_the_column_defaults_and_types(
    session_factory: Sessions,
) -> None:
    async with session_factory() as session, session.begin():
        statement = insert_or_skip(session, OutboxMessage, ["dedupe_key"], OutboxMessage.id)
        values = {"dedupe_key": "d", "lane": 1, "kind": "k", "payload": {"a": "secret"}}
        new_id = await session.scalar(statement, values)
        stored_payload = await session.scalar(text("SELECT payload FROM outbox"))
        row = await session.get_one(OutboxMessage, new_id)
    # Python defaults as an ORM insert would set them; the payload encrypted by its type.
    assert (row.status, row.attempts, row.claimed_by) == ("pending", 0, None)
    assert row.created_at is not None and row.not_before is not None
    assert row.payload == {"a": "secret"} and "secret" not in stored_payload
