"""One person's updates are handled in the order they were sent, whoever handles them, and a
live handler keeps its claim however long it takes."""

from __future__ import annotations

from datetime import timedelta

import pytest

from bot.config import Settings
from playground.emulator import BotAPIEmulator
from services.clock import ManualClock
from storage.db import is_sqlite
from tests.fixtures.bot import RunningBot, start_bot
from tests.fixtures.timeline import until
from tests.inbox.conftest import claimable, crash, hold_text, inbox


async def test_a_persons_updates_wait_behind_one_a_dead_instance_held(
    emulator: BotAPIEmulator, settings: Settings, clock: ManualClock
) -> None:
    """The first of two messages was being handled when its instance died; the second
    arrives at another. It is not handled first: it waits until the first is taken over
    (the lease ran out) and handled."""
    first = await start_bot(settings, emulator, clock)
    hold = hold_text(first.service, "tunggu")
    siti = emulator.user(user_id=5501, first_name="Siti")
    await siti.send_text("tunggu")
    await hold.entered.wait()
    await crash(first)

    second = await start_bot(settings, emulator, clock)
    try:
        await siti.send_command("/bantuan")

        async def both_stored() -> bool:
            return len(await inbox(second.service)) == 2

        await until(both_stored, "the second message in the inbox")
        if not is_sqlite(settings.database_url):
            # On PostgreSQL another instance may still be alive: nothing moves before the lease
            # runs out, not even the later message, which is not held by anyone.
            assert await claimable(second.service, clock) == []
            assert not siti.chat.bot_messages()
            clock.advance(second.service.inbox.lease + timedelta(seconds=1))
            second.service.inbox.wake()
        await siti.wait_for("/lapor")  # the answer to /bantuan
        answers = [message.text for message in siti.chat.bot_messages()]
        assert len(answers) == 2
        assert "/lapor" not in answers[0], "the second message was answered first"
        assert [row.status for row in await inbox(second.service)] == ["done", "done"]
    finally:
        await second.stop()


async def test_a_long_handler_keeps_its_claim(
    emulator: BotAPIEmulator, clocked_bot: RunningBot, clock: ManualClock
) -> None:
    """A handler that runs past the lease is not taken over: its instance renews the lease
    while it runs (every third of it). On PostgreSQL: on SQLite no other instance can run."""
    service = clocked_bot.service
    if is_sqlite(str(service.engine.url)):
        pytest.skip("one process per SQLite file: nobody to take a claim over")
    hold = hold_text(service, "tunggu")
    siti = emulator.user(user_id=5502, first_name="Siti")
    await siti.send_text("tunggu")
    await hold.entered.wait()
    lease = service.inbox.lease
    [row] = await inbox(service)
    first_lease = row.claimed_until
    assert first_lease is not None
    for _ in range(3):
        clock.advance(lease / 2)
        service.inbox.wake()

        async def renewed(since: object = clock.now()) -> bool:
            [row] = await inbox(service)
            return row.claimed_until is not None and row.claimed_until > since

        await until(renewed, "the lease to be renewed")
        assert await claimable(service, clock) == []
    assert clock.now() > first_lease
    hold.release.set()
    await siti.wait_for("held, then let go")
