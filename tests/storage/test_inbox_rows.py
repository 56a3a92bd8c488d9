"""The inbox's statements: stored once, taken at once only when the person has nothing else
pending, claimed in each person's order."""

from __future__ import annotations

import re
from datetime import timedelta

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from storage.db import write_transaction
from storage.models import utcnow
from storage.repositories import inbox as rows
from tests.fixtures.statements import watching

LEASE = timedelta(seconds=30)


def _row(update_id: int, person: int) -> dict[str, object]:
    return rows.new_row(1, update_id, person, {"update_id": update_id}, utcnow())


async def test_store_takes_a_new_update_only_when_nothing_of_its_person_is_pending(
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    until = utcnow() + LEASE
    async with write_transaction(session_factory) as session:

        async def store(update_id: int, person: int, take: bool = True) -> object:
            return await rows.store_and_take(
                session, _row(update_id, person), take=take, worker_id="a", until=until
            )

        first = await store(1, 7)
        assert isinstance(first, rows.Claimed) and first.attempts == 1
        assert await store(2, 7) is True, "behind the person's first update"
        assert await store(3, 8, take=False) is True, "no room"
        assert await store(1, 7) is False, "a second delivery"
        assert isinstance(await store(4, 9), rows.Claimed)

    async with write_transaction(session_factory) as session:
        # Person 7's second update waits while the first is pending; person 8's goes.
        claimed = await rows.claim(
            session, bot_id=1, now=utcnow(), lease=LEASE, worker_id="b", limit=10
        )
        assert [row.update_id for row in claimed] == [3]
        assert await rows.mark_done(session, first.id, done_at=utcnow())
        claimed = await rows.claim(
            session, bot_id=1, now=utcnow(), lease=LEASE, worker_id="b", limit=10
        )
        assert [row.update_id for row in claimed] == [2]
        # Handled already: a second handling does not count.
        assert not await rows.mark_done(session, first.id, done_at=utcnow())


async def test_a_dead_workers_claim_is_taken_over_once_its_lease_ran_out(
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    now = utcnow()
    async with write_transaction(session_factory) as session:
        await rows.store_and_take(session, _row(1, 7), take=True, worker_id="a", until=now + LEASE)
        await rows.store_and_take(session, _row(2, 7), take=True, worker_id="a", until=now + LEASE)
    async with write_transaction(session_factory) as session:
        early = now + LEASE - timedelta(seconds=1)
        late = now + LEASE + timedelta(seconds=1)
        assert (
            await rows.claim(session, bot_id=1, now=early, lease=LEASE, worker_id="b", limit=9)
            == []
        )
        taken = await rows.claim(session, bot_id=1, now=late, lease=LEASE, worker_id="b", limit=9)
        assert [(row.update_id, row.attempts) for row in taken] == [(1, 2)]
        # Giving it back undoes the attempt of this claim.
        assert await rows.release(session, worker_id="b") == 1
        again = await rows.claim(session, bot_id=1, now=late, lease=LEASE, worker_id="b", limit=9)
        assert [(row.update_id, row.attempts) for row in again] == [(1, 2)]


async def test_a_claim_reads_only_the_pending_rows(
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    """Handled rows stay 25 hours. A claim that walked them (SQLite did, in update order)
    cost more with every update of the day: 2 ms with 5,800 of them."""
    now = utcnow()
    async with write_transaction(session_factory) as session:
        for update_id in range(1, 201):
            stored = await rows.store_and_take(
                session, _row(update_id, update_id), take=True, worker_id="a", until=now + LEASE
            )
            assert isinstance(stored, rows.Claimed)
            assert await rows.mark_done(session, stored.id, done_at=now)
        await rows.store_and_take(session, _row(500, 7), take=False, worker_id="a", until=now)
    claims: list[tuple[str, object]] = []

    def keep_claim(_c: object, _k: object, statement: str, parameters: object, *_: object) -> None:
        if statement.startswith("UPDATE inbox SET attempts"):
            claims.append((statement, parameters))

    with watching(session_factory.kw["bind"], keep_claim):
        async with write_transaction(session_factory) as session:
            claimed = await rows.claim(
                session, bot_id=1, now=utcnow(), lease=LEASE, worker_id="b", limit=10
            )
    assert [row.update_id for row in claimed] == [500]
    [(statement, parameters)] = claims
    async with session_factory() as session, session.begin():
        connection = await session.connection()
        if connection.dialect.name == "sqlite":
            explain = "EXPLAIN QUERY PLAN "
        else:  # on a table this small PostgreSQL would scan it anyway: may it use the index?
            await connection.exec_driver_sql("SET LOCAL enable_seqscan = off")
            explain = "EXPLAIN "
        plan = await connection.exec_driver_sql(explain + statement, parameters)  # type: ignore[arg-type]
        lines = " ".join(str(row[-1]) for row in plan)
    assert "ix_inbox_claimable" in lines, lines


async def test_the_status_is_written_into_every_statement_never_bound(
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    """SQLite's planner reads a bound value compared with `status`, the column of the partial
    index's WHERE (ix_inbox_claimable), and then plans the statement again at every
    execution: the store took four times the SQLite time it takes with the value written in
    (README, "Benchmarks")."""
    now = utcnow()
    seen: list[str] = []

    def keep(_c: object, _k: object, statement: str, *_: object) -> None:
        if "inbox" in statement and "status" in statement:
            seen.append(statement)

    with watching(session_factory.kw["bind"], keep):
        async with write_transaction(session_factory) as session:
            kept = await rows.store_and_take(
                session, _row(1, 7), take=True, worker_id="a", until=now + LEASE
            )
            assert isinstance(kept, rows.Claimed)
            await rows.store_and_take(session, _row(2, 8), take=False, worker_id="a", until=now)
            await rows.store_and_take(session, _row(3, 9), take=False, worker_id="a", until=now)
            [second, third] = await rows.claim(
                session, bot_id=1, now=utcnow(), lease=LEASE, worker_id="a", limit=10
            )
            assert await rows.heartbeat(session, worker_id="a", until=now + LEASE) == 3
            assert await rows.mark_done(session, kept.id, done_at=now)
            assert await rows.retry_later(session, second.id, worker_id="a", not_before=now)
            assert await rows.park(session, third.id, worker_id="a")
            await rows.release(session, worker_id="a")
            await rows.release_all(session)
            assert await rows.count_by_status(session) == {"pending": 1, "parked": 1}
            await rows.forget_person(session, 9)
            await rows.purge(session, done_before=now, parked_before=now)
    assert len(seen) >= 11, seen
    bound = re.compile(r"status (=|IN) \(?(\?|\$\d|%\()", re.IGNORECASE)
    assert [statement for statement in seen if bound.search(statement)] == []
