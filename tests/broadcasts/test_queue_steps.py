"""A broadcast's outbox rows are written a step at a time, each step a job and a transaction
of its own (services/broadcasts.py): a cancel between steps stops the rest, a step run twice
adds nobody twice, and the counts include the recipients whose rows are still to come."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import insert, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.jobs import JobRunner
from services import broadcasts
from services.alerting import AlertPolicy
from services.broadcast_texts import Counts
from services.clock import ManualClock
from storage.identity import pseudonym
from storage.models import Broadcast, OutboxMessage, ScheduledJob, Subscription, User
from storage.repositories.broadcasts import BroadcastRepo

NOW = datetime(2026, 11, 27, 3, 0, tzinfo=UTC)
COORDINATOR = 9001
RESIDENTS = list(range(500, 508))
STEP = 3


@pytest.fixture(autouse=True)
def small_steps(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(broadcasts, "QUEUE_STEP", STEP)


def job_runner(sessions: async_sessionmaker[AsyncSession]) -> JobRunner:
    policy = AlertPolicy(timedelta(minutes=15), timedelta(minutes=5), ZoneInfo("Asia/Jakarta"))
    runner = JobRunner(sessions, ManualClock(NOW), policy)
    for kind, handler in broadcasts.job_handlers(ManualClock(NOW)).items():
        runner.register(kind, handler)
    return runner


async def scheduled_broadcast(sessions: async_sessionmaker[AsyncSession]) -> int:
    async with sessions() as session, session.begin():
        session.add(User(id=COORDINATOR, role="coordinator", created_at=NOW))
        # Residents as the bot keeps them: by pseudonym, the chat encrypted.
        await session.execute(
            insert(User),
            [
                {"id": pseudonym(i), "role": "resident", "created_at": NOW, "chat": str(i)}
                for i in RESIDENTS
            ],
        )
        await session.execute(
            insert(Subscription),
            [{"user_id": pseudonym(i), "active": True, "subscribed_at": NOW} for i in RESIDENTS],
        )
        broadcast = Broadcast(
            created_by=COORDINATOR,
            source_chat_id=COORDINATOR,
            source_message_id=1,
            audience=broadcasts.ALL,
            status=broadcasts.DRAFT,
            created_at=NOW,
        )
        session.add(broadcast)
        await session.flush()
        await broadcasts.send_at(session, broadcast.id, NOW, actor_id=COORDINATOR)
        return broadcast.id


async def copy_recipients(
    sessions: async_sessionmaker[AsyncSession], broadcast_id: int
) -> list[int]:
    """The residents with a copy queued, in the order the steps take them (by pseudonym)."""
    back = {pseudonym(i): i for i in RESIDENTS}
    async with sessions() as session:
        rows = await session.scalars(
            select(OutboxMessage.recipient_id).where(
                OutboxMessage.dedupe_key.like(f"broadcast:{broadcast_id}:%")
            )
        )
        return [back[row] for row in sorted(row for row in rows if row is not None)]


def in_queue_order() -> list[int]:
    return sorted(RESIDENTS, key=pseudonym)


async def counts(sessions: async_sessionmaker[AsyncSession], broadcast_id: int) -> Counts:
    async with sessions() as session:
        return await broadcasts.counts(session, broadcast_id)


async def test_every_recipient_once_a_step_at_a_time(
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    broadcast_id = await scheduled_broadcast(session_factory)
    runner = job_runner(session_factory)

    await runner.run_due()  # the start: the first step
    assert await copy_recipients(session_factory, broadcast_id) == in_queue_order()[:STEP]
    # The progress counts the whole audience from the start.
    assert await counts(session_factory, broadcast_id) == Counts(pending=len(RESIDENTS))

    await runner.run_due()
    assert await copy_recipients(session_factory, broadcast_id) == in_queue_order()[: 2 * STEP]
    await runner.run_due()
    assert await copy_recipients(session_factory, broadcast_id) == in_queue_order()
    assert await runner.run_due() == 0, "no step after the last"
    async with session_factory() as session:
        broadcast = await session.get(Broadcast, broadcast_id)
        assert broadcast is not None and broadcast.recipients == len(RESIDENTS)
        assert not await BroadcastRepo(session).still_queueing(broadcast_id)

    # A step run again (a crash after its commit, before the job was marked done).
    async with session_factory() as session, session.begin():
        step = await session.scalar(
            select(ScheduledJob).where(
                ScheduledJob.key == broadcasts.queue_job_key(broadcast_id, 2)
            )
        )
        assert step is not None
        await broadcasts.queue_more(session, step, NOW)
    assert await copy_recipients(session_factory, broadcast_id) == in_queue_order()


async def test_a_cancel_between_steps_writes_no_more_rows(
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    broadcast_id = await scheduled_broadcast(session_factory)
    runner = job_runner(session_factory)
    await runner.run_due()
    async with session_factory() as session, session.begin():
        result = await broadcasts.cancel(session, broadcast_id, actor_id=COORDINATOR, now=NOW)
    assert result.outcome == "cancelled"
    # Rows taken back and rows never written are both "not sent".
    assert result.counts == Counts(cancelled=len(RESIDENTS))

    await runner.run_due()
    assert await copy_recipients(session_factory, broadcast_id) == in_queue_order()[:STEP]
    assert await counts(session_factory, broadcast_id) == Counts(cancelled=len(RESIDENTS))
