"""How the sender records what Telegram took: a wave at once, and a broken hook alone."""

from __future__ import annotations

import logging
from collections.abc import Callable

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from playground.emulator import BotAPIEmulator
from services import outbox
from storage.models import DeliveryAttempt
from storage.repositories.outbox import OutboxRow
from tests.delivery.conftest import RecordingHooks, SenderFactory, delivered_texts, queue, rows
from tests.fixtures.commits import counted_commits

Sessions = async_sessionmaker[AsyncSession]
People = Callable[[int], int]


async def _sent_attempts(sessions: Sessions) -> list[int]:
    async with sessions() as session:
        found = await session.scalars(
            select(DeliveryAttempt.outbox_id).where(DeliveryAttempt.outcome == "sent")
        )
        return sorted(found)


async def _queue_alerts(sessions: Sessions, people: People, count: int) -> list[int]:
    return [
        await queue(sessions, people(7100 + n), f"ALERT {n}", lane=outbox.Lane.ALERT, kind="alert")
        for n in range(count)
    ]


async def test_a_wave_of_alerts_is_recorded_in_one_transaction(
    emulator: BotAPIEmulator,
    session_factory: Sessions,
    make_sender: SenderFactory,
    hooks: RecordingHooks,
    people: People,
) -> None:
    ids = await _queue_alerts(session_factory, people, 6)
    sender = make_sender()
    with counted_commits(session_factory) as commits:
        assert await sender.run_once() == 6

    # One commit claims the six, one records them: a burst of Kirims waits for two turns of
    # the sender, not seven.
    assert commits[0] == 2
    assert sorted(delivered_texts(emulator)) == sorted(f"ALERT {n}" for n in range(6))
    stored = await rows(session_factory)
    assert {stored[row_id].status for row_id in ids} == {"sent"}
    assert all(stored[row_id].result_message_id for row_id in ids)
    assert all(stored[row_id].claimed_by is None for row_id in ids)
    assert await _sent_attempts(session_factory) == sorted(ids)
    assert sorted(row_id for row_id, _ in hooks.delivered_rows) == sorted(ids)
    assert sender.counters.sent == 6


async def test_a_broken_hook_costs_only_its_own_row_the_hook(
    emulator: BotAPIEmulator,
    session_factory: Sessions,
    make_sender: SenderFactory,
    hooks: RecordingHooks,
    people: People,
    caplog: pytest.LogCaptureFixture,
) -> None:
    ids = await _queue_alerts(session_factory, people, 4)
    recording = hooks.delivered

    async def broken_for_one(session: AsyncSession, row: OutboxRow, message_id: int) -> None:
        if row.id == ids[1]:
            raise RuntimeError("a broken delivery hook")
        await recording(session, row, message_id)

    hooks.delivered = broken_for_one  # type: ignore[method-assign]
    sender = make_sender()
    with caplog.at_level(logging.WARNING, logger="bot.sending.recording"):
        assert await sender.run_once() == 4
    assert "recording a wave of 4 deliveries failed (RuntimeError)" in caplog.text

    stored = await rows(session_factory)
    # Sent is sent: every row is recorded once (none would be sent again), and every other
    # row's hook still ran (in the end; the wave's first try was rolled back).
    assert {stored[row_id].status for row_id in ids} == {"sent"}
    assert await _sent_attempts(session_factory) == sorted(ids)
    assert {row_id for row_id, _ in hooks.delivered_rows} == set(ids) - {ids[1]}
    assert len(delivered_texts(emulator)) == 4
