"""Updates that arrive while every handler slot is busy: handled as slots free, never more at
once than the inbox's concurrency; on SQLite taken by the store itself, with no claim."""

from __future__ import annotations

from typing import Any

import pytest
from aiogram import F
from aiogram.types import Message

from bot import inbox as inbox_module
from bot.config import Settings
from playground.emulator import BotAPIEmulator
from storage.db import is_sqlite
from storage.repositories import inbox as inbox_rows
from tests.fixtures.bot import RunningBot
from tests.fixtures.timeline import until
from tests.inbox.conftest import inbox


async def test_updates_beyond_the_room_wait_their_turn_and_on_sqlite_need_no_claim(
    emulator: BotAPIEmulator,
    settings: Settings,
    clocked_bot: RunningBot,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    claimed = await _a_batch_beyond_the_room(emulator, clocked_bot, monkeypatch)
    if is_sqlite(settings.database_url):
        assert claimed == [], "a claim took updates the store could have taken"
    else:  # other instances may have room: the rows waited for a claim
        assert claimed


async def test_past_what_may_wait_in_memory_updates_wait_in_the_database(
    emulator: BotAPIEmulator, clocked_bot: RunningBot, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A backlog (after an outage) is not all held in memory: past the limit it waits in the
    database, for claims, as on PostgreSQL."""
    monkeypatch.setattr(inbox_module, "_KEPT_TAKEN", 1)
    assert await _a_batch_beyond_the_room(emulator, clocked_bot, monkeypatch)


async def _a_batch_beyond_the_room(
    emulator: BotAPIEmulator, running: RunningBot, monkeypatch: pytest.MonkeyPatch
) -> list[int]:
    """Four people's updates with room for one: the first alone, the other three in one batch
    while it is handled or just after. Returns the updates the worker's claims took meanwhile
    (a claim that finds nothing, as the scheduler's ticks make, takes none)."""
    service = running.service
    service.inbox.concurrency = 1
    in_flight: list[int] = []

    async def count(message: Message) -> None:
        in_flight.append(service.inbox.in_flight)
        await message.answer("dihitung")

    service.dispatcher.message.register(count, F.text == "hitung")
    people = [emulator.user(user_id=5501 + i, first_name=f"Warga {i}") for i in range(4)]
    claimed: list[int] = []
    claim = inbox_rows.claim

    async def kept_claim(*args: Any, **kwargs: Any) -> list[inbox_rows.Claimed]:
        rows = await claim(*args, **kwargs)
        claimed.extend(row.update_id for row in rows)
        return rows

    monkeypatch.setattr(inbox_rows, "claim", kept_claim)
    # The long poll answers with the first update and is held there; the other three then
    # come in one batch, while the first is still being handled or just after.
    polls = emulator.hold_answers("getUpdates")
    await people[0].send_text("hitung")
    await polls.reached.wait()
    for person in people[1:]:
        await person.send_text("hitung")
    polls.release()
    for person in people:
        await person.wait_for("dihitung")

    batches = [len(c.result) for c in emulator.calls_of("getUpdates") if c.ok and c.result]
    assert batches == [1, 3]
    assert in_flight == [1, 1, 1, 1], "never more at once than the inbox's concurrency"

    async def handled() -> bool:
        return [row.status for row in await inbox(service)] == ["done"] * 4

    await until(handled, "every update to be marked handled")
    return claimed
