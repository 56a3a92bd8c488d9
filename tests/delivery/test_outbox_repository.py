"""Claiming and completing outbox rows, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services import outbox
from storage.identity import pseudonym
from storage.models import DeliveryAttempt, OutboxMessage, User
from storage.repositories import outbox as repo

LEASE = timedelta(seconds=30)
Sessions = async_sessionmaker[AsyncSession]


async def _queue(
    sessions: Sessions, count: int, *, lane: int, chat_id: int = 1, start: int = 0
) -> list[int]:
    """Rows to chats nobody knows as staff: their rows name them by pseudonym."""
    ids = []
    async with sessions() as session, session.begin():
        for number in range(start, start + count):
            new_id = await outbox.enqueue(
                session,
                chat_id=chat_id,
                payload=outbox.message(f"m{number}"),
                kind="notice",
                lane=lane,
                dedupe_key=f"k{lane}:{number}",
            )
            assert new_id is not None
            ids.append(new_id)
    return ids


async def _claim(
    sessions: Sessions,
    now: datetime,
    limit: int = 10,
    *,
    min_lane: int | None = None,
    max_lane: int | None = None,
    exclude_chats: tuple[int, ...] = (),
) -> list[int]:
    async with sessions() as session, session.begin():
        rows = await repo.claim_due(
            session,
            now=now,
            limit=limit,
            worker_id="w1",
            lease=LEASE,
            min_lane=min_lane,
            max_lane=max_lane,
            exclude_chats=exclude_chats,
        )
    return [row.id for row in rows]


async def test_claims_by_lane_then_id_and_not_twice(session_factory: Sessions) -> None:
    low = await _queue(session_factory, 2, lane=outbox.Lane.BROADCAST)
    high = await _queue(session_factory, 2, lane=outbox.Lane.URGENT, start=10)
    now = datetime.now(UTC)
    assert await _claim(session_factory, now, limit=3) == [*high, low[0]]
    # Claimed rows are held for the lease: a second claim gets only what is left.
    assert await _claim(session_factory, now) == [low[1]]
    assert await _claim(session_factory, now) == []
    # A claim whose lease ran out belongs to a sender that died: it is claimed again.
    later = now + LEASE + timedelta(seconds=1)
    assert await _claim(session_factory, later) == [*high, *low]


async def test_claim_filters_lanes_chats_and_not_before(session_factory: Sessions) -> None:
    urgent = await _queue(session_factory, 1, lane=outbox.Lane.URGENT, chat_id=5)
    other_chat = await _queue(session_factory, 1, lane=outbox.Lane.NOTICE, chat_id=6, start=1)
    broadcast = await _queue(session_factory, 1, lane=outbox.Lane.BROADCAST, chat_id=7, start=2)
    now = datetime.now(UTC)
    async with session_factory() as session, session.begin():
        await repo.reschedule(session, urgent[0], not_before=now + timedelta(seconds=5))
    assert await _claim(session_factory, now, max_lane=outbox.Lane.NOTICE) == other_chat
    assert (
        await _claim(
            session_factory, now, min_lane=outbox.Lane.BROADCAST, exclude_chats=(pseudonym(7),)
        )
        == []
    )
    assert await _claim(session_factory, now, min_lane=outbox.Lane.BROADCAST) == broadcast
    assert await _claim(session_factory, now + timedelta(seconds=6)) == urgent


async def test_complete_rows_and_count(session_factory: Sessions) -> None:
    sent, retried, dead, released = await _queue(session_factory, 4, lane=outbox.Lane.NOTICE)
    now = datetime.now(UTC)
    await _claim(session_factory, now)
    async with session_factory() as session, session.begin():
        session.add(User(id=1, role="resident"))
        assert await repo.mark_sent(session, [(sent, now, 77)]) == {sent}
        await repo.record_attempt(session, sent, at=now, outcome="sent")
        await repo.reschedule(session, retried, not_before=now, error="boom")
        await repo.reschedule(session, retried, not_before=now, count_attempt=False)
        await repo.mark_dead(session, dead, reason="forbidden")
        assert await repo.release(session, [released], worker_id="w1") == 1
        assert await repo.mark_chat_unreachable(session, 1, now=now)
        assert not await repo.mark_chat_unreachable(session, 424242, now=now)
        # A completed row stays completed.
        assert await repo.mark_sent(session, [(dead, now, 1)]) == set()
        assert await repo.pending_count_by_lane(session) == {outbox.Lane.NOTICE: 2}
    async with session_factory() as session:
        rows = {r.id: r for r in await session.scalars(select(OutboxMessage))}
        attempts = list(await session.scalars(select(DeliveryAttempt)))
        user = await session.get(User, 1)
    assert (rows[sent].status, rows[sent].claimed_by, rows[sent].result_message_id) == (
        "sent",
        None,
        77,
    )
    assert rows[sent].sent_at is not None and rows[dead].result_message_id is None
    assert (rows[retried].attempts, rows[retried].last_error) == (1, "boom")
    assert (rows[dead].status, rows[dead].last_error) == ("dead", "forbidden")
    assert rows[released].claimed_until is None and rows[released].status == "pending"
    assert [(a.outbox_id, a.outcome) for a in attempts] == [(sent, "sent")]
    assert user is not None and user.unreachable_at is not None


async def test_next_due_by_lane(session_factory: Sessions) -> None:
    (alert,) = await _queue(session_factory, 1, lane=outbox.Lane.URGENT)
    await _queue(session_factory, 1, lane=outbox.Lane.BROADCAST, chat_id=2, start=1)
    now = datetime.now(UTC)
    later = now + timedelta(seconds=3)
    async with session_factory() as session, session.begin():
        await repo.reschedule(session, alert, not_before=later, count_attempt=False)
        due = await repo.next_due_by_lane(session, now=now)
        assert abs((due.earliest[0] - later).total_seconds()) < 0.01
        assert due.earliest[outbox.Lane.BROADCAST] <= now
        assert not due.all_due_by(now)
        left_out = await repo.next_due_by_lane(
            session, now=now, exclude_chats=[pseudonym(1), pseudonym(2)]
        )
        # Nothing due outside the chats left out, but the alert waits in one of them.
        assert left_out.earliest == {} and not left_out.all_due_by(now)
        assert await repo.bring_forward(session, [alert], now=now) == 1
        due = await repo.next_due_by_lane(session, now=now)
        assert due.earliest[0] <= now and due.all_due_by(now)
    # Rows another sender holds come back when its lease ends.
    await _claim(session_factory, now)
    async with session_factory() as session:
        due = await repo.next_due_by_lane(session, now=now)
    assert abs((due.earliest[outbox.Lane.BROADCAST] - (now + LEASE)).total_seconds()) < 0.01
    assert not due.all_due_by(now)


async def test_a_wave_is_marked_sent_each_row_with_its_own_message(
    session_factory: Sessions,
) -> None:
    first, second, third, done = await _queue(session_factory, 4, lane=outbox.Lane.REPLY)
    now = datetime.now(UTC)
    async with session_factory() as session, session.begin():
        await repo.mark_dead(session, done, reason="forbidden")
    async with session_factory() as session, session.begin():
        marked = await repo.mark_sent(
            session,
            [
                (first, now, 11),
                (second, now + timedelta(seconds=1), 12),
                (third, now, 11),  # combined with the first: the same message
                (done, now, 13),  # completed before (another sender's): left alone
            ],
        )
    assert marked == {first, second, third}
    async with session_factory() as session:
        rows = {r.id: r for r in await session.scalars(select(OutboxMessage))}
    assert [rows[i].result_message_id for i in (first, second, third, done)] == [11, 12, 11, None]
    assert rows[second].sent_at is not None and rows[first].sent_at is not None
    assert abs((rows[second].sent_at - rows[first].sent_at).total_seconds() - 1) < 0.01
    assert {rows[i].status for i in (first, second, third)} == {"sent"}
    assert rows[done].status == "dead" and rows[done].sent_at is None
    # Rows to residents forget whom they were for and what they said, once sent.
    assert all(rows[i].payload is None and rows[i].recipient_id is None for i in rows)
