"""On PostgreSQL several instances run, and exactly one of them sends: Telegram's limits are the
bot's, not a process's. Rows queued anywhere wake it at once (NOTIFY), and when it goes,
another instance takes over within seconds."""

from __future__ import annotations

import time

import pytest
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from bot.sending.leader import PostgresLeadership
from playground.emulator import BotAPIEmulator
from services import outbox
from storage.db import create_engine
from tests.delivery.conftest import (
    SenderFactory,
    all_settled,
    delivered_texts,
    queue,
)
from tests.fixtures.timeline import until

Sessions = async_sessionmaker[AsyncSession]


@pytest.fixture
async def engines(database_url: str) -> list[AsyncEngine]:
    """An engine per instance (each its own connections), PostgreSQL only."""
    if make_url(database_url).get_backend_name() != "postgresql":
        pytest.skip("several instances run on PostgreSQL only (one process holds SQLite)")
    made = [create_engine(database_url) for _ in range(2)]
    yield made  # type: ignore[misc]
    for engine in made:
        await engine.dispose()


async def test_one_instance_sends_and_another_takes_over(
    emulator: BotAPIEmulator,
    session_factory: Sessions,
    make_sender: SenderFactory,
    engines: list[AsyncEngine],
) -> None:
    first, second = (
        make_sender(leadership=PostgresLeadership(engine, retry=0.1), idle_poll=30.0)
        for engine in engines
    )
    await first.start()
    await until(first.leadership.held.is_set, "the first instance leads")
    await second.start()
    for number in range(5):
        emulator.user(8100 + number, "Petugas")
        # Queued without waking anyone in this process: NOTIFY wakes the sender.
        await queue(session_factory, 8100 + number, f"A{number}", lane=outbox.Lane.URGENT)
    started = time.monotonic()
    await until(lambda: len(delivered_texts(emulator)) == 5, "the five alerts", within=3.0)
    assert time.monotonic() - started < 1.0, "woken by NOTIFY, not by its 30 s poll"
    await until(lambda: all_settled(session_factory), "recorded")
    assert (first.counters.sent, second.counters.sent) == (5, 0)
    assert not second.leadership.held.is_set()

    await first.stop()  # the instance goes (its session ends, and the lock with it)
    emulator.user(8200, "Petugas")
    await queue(session_factory, 8200, "AFTER", lane=outbox.Lane.URGENT)
    await until(lambda: "AFTER" in delivered_texts(emulator), "AFTER sent", within=5.0)
    await until(lambda: all_settled(session_factory), "recorded")
    assert second.counters.sent == 1
    assert delivered_texts(emulator).count("AFTER") == 1


async def test_notify_names_the_most_urgent_lane_queued(
    session_factory: Sessions, engines: list[AsyncEngine]
) -> None:
    """The sender spaces its passes for replies, not for alerts (bot/sending/sender.py): a
    NOTIFY says which lane woke it, once per lane more urgent than the transaction's last."""
    lanes: list[int | None] = []
    leadership = PostgresLeadership(engines[0], retry=0.1)
    await leadership.start(lanes.append)
    try:
        await until(leadership.held.is_set, "leading")
        await queue(session_factory, 8300, "balasan", lane=outbox.Lane.REPLY)
        async with session_factory() as session, session.begin():
            for number, lane in enumerate(
                (outbox.Lane.REPLY, outbox.Lane.ALERT, outbox.Lane.REPLY)
            ):
                await outbox.enqueue(
                    session,
                    chat_id=8301,
                    payload=outbox.message(f"pesan {number}"),
                    kind="notice",
                    lane=lane,
                    dedupe_key=f"notify:{number}",
                )
        await until(lambda: len(lanes) == 4, "four notifications")
        assert lanes == [None, outbox.Lane.REPLY, outbox.Lane.REPLY, outbox.Lane.ALERT]
    finally:
        await leadership.stop()
