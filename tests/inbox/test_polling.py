"""Long polling into the inbox: a batch is confirmed to Telegram only once it is stored, and
what was stored survives the bot."""

from __future__ import annotations

import logging
from datetime import timedelta

import aiohttp
import pytest

from bot.config import Settings
from playground.emulator import BotAPIEmulator
from services.clock import ManualClock
from storage.db import is_sqlite
from tests.fixtures.bot import RunningBot, start_bot
from tests.fixtures.timeline import until
from tests.inbox.conftest import claimable, crash, hold_text, inbox


async def test_a_batch_is_confirmed_while_its_update_is_still_being_handled(
    emulator: BotAPIEmulator, clocked_bot: RunningBot
) -> None:
    """The next getUpdates confirms the batch (Telegram forgets it) while the handler still
    runs: that is only safe because the update is in the inbox, pending, until the handler's
    own transaction marks it handled."""
    hold = hold_text(clocked_bot.service, "tunggu")
    siti = emulator.user(user_id=5401, first_name="Siti")
    await siti.send_text("tunggu")
    await hold.entered.wait()

    async def confirmed() -> bool:
        return not emulator.bot.updates.pending and emulator.bot.active_poll is not None

    await until(confirmed, "the next long poll")
    [row] = await inbox(clocked_bot.service)
    assert row.status == "pending" and row.payload is not None
    assert row.payload["message"]["text"] == "tunggu"

    hold.release.set()
    await siti.wait_for("held, then let go")

    async def handled() -> bool:
        [row] = await inbox(clocked_bot.service)
        return row.status == "done"

    await until(handled, "the row to be handled")
    [row] = await inbox(clocked_bot.service)
    # A handled row keeps what recognises a replay, not what the person wrote or who they are.
    assert (row.payload, row.person) == (None, None)
    assert row.received_at.minute == row.received_at.second == 0


async def test_a_bot_that_dies_mid_update_loses_nothing(
    emulator: BotAPIEmulator, settings: Settings, clock: ManualClock
) -> None:
    """Killed while handling an update that Telegram already considers delivered: the next
    bot on the same database handles it (on SQLite at once, as no other process can hold
    the file; on PostgreSQL once the dead instance's lease runs out)."""
    first = await start_bot(settings, emulator, clock)
    hold = hold_text(first.service, "tunggu")
    siti = emulator.user(user_id=5402, first_name="Siti")
    await siti.send_text("tunggu")
    await hold.entered.wait()

    async def confirmed() -> bool:
        return not emulator.bot.updates.pending and emulator.bot.active_poll is not None

    await until(confirmed, "the next long poll, which tells Telegram not to send it again")
    await crash(first)
    [row] = await inbox(first.service)
    assert row.status == "pending" and row.claimed_by is not None

    second = await start_bot(settings, emulator, clock)
    try:
        if not is_sqlite(settings.database_url):
            assert await claimable(second.service, clock) == []
            clock.advance(second.service.inbox.lease + timedelta(seconds=1))
            second.service.inbox.wake()
        # The second bot has no held handler: "tunggu" gets the answer to unknown text.
        await siti.wait_for(predicate=lambda message: "tunggu" not in message.text)

        async def handled() -> bool:
            return [row.status for row in await inbox(second.service)] == ["done"]

        await until(handled, "the update to be handled")
        assert len(siti.chat.bot_messages()) == 1
    finally:
        await second.stop()


async def test_stopping_gives_back_an_update_cut_short(
    emulator: BotAPIEmulator, settings: Settings, clock: ManualClock
) -> None:
    """close() (what SIGTERM leads to) waits for handlers within its patience, then cuts them
    short and gives their rows back at once: the next bot handles them without waiting for
    a lease, on PostgreSQL too, and the attempt does not count against the update."""
    first = await start_bot(settings, emulator, clock)
    hold = hold_text(first.service, "tunggu")
    siti = emulator.user(user_id=5403, first_name="Siti")
    await siti.send_text("tunggu")
    await hold.entered.wait()
    first.service.stop_receiving()
    await first.task
    await first.service.close(patience=0.1)
    [row] = await inbox(first.service)
    assert (row.status, row.claimed_by, row.attempts) == ("pending", None, 0)

    second = await start_bot(settings, emulator, clock)
    try:
        await siti.wait_for(predicate=lambda message: "tunggu" not in message.text)
    finally:
        await second.stop()


async def test_an_update_stored_but_never_claimed_is_handled_after_a_restart(
    emulator: BotAPIEmulator, settings: Settings, clock: ManualClock
) -> None:
    """The bot dies between storing a batch (and confirming it to Telegram) and handling it:
    here its worker is dead while its poller still stores. Nothing claimed it, so the next
    bot handles it at once."""
    first = await start_bot(settings, emulator, clock)
    await first.service.inbox.stop(hand_back=False)
    siti = emulator.user(user_id=5404, first_name="Siti")
    await siti.send_command("/bantuan")

    async def stored_and_confirmed() -> bool:
        rows = await inbox(first.service)
        return len(rows) == 1 and not emulator.bot.updates.pending

    await until(stored_and_confirmed, "the update stored and confirmed")
    await first.stop()
    assert not siti.chat.bot_messages()

    second = await start_bot(settings, emulator, clock)
    try:
        await siti.wait_for("/lapor")
        assert len(siti.chat.bot_messages()) == 1
    finally:
        await second.stop()


async def test_polling_rides_out_errors_and_a_rival_poller(
    emulator: BotAPIEmulator, clocked_bot: RunningBot, caplog: pytest.LogCaptureFixture
) -> None:
    """Two answers of 502 to getUpdates, then another process polling with the same token
    (409): each trouble is logged once when it begins and once when it ends (with the next
    batch), polling pauses and goes on, and nothing sent meanwhile is lost."""
    caplog.set_level(logging.INFO, logger="bot.polling")
    siti = emulator.user(user_id=5405, first_name="Siti")

    def failed_polls(code: int) -> int:
        return [c.error_code for c in emulator.calls_of("getUpdates")].count(code)

    async def polling_after(code: int, count: int) -> bool:
        return failed_polls(code) == count and emulator.bot.active_poll is not None

    emulator.fail_next("getUpdates", 502, "Bad Gateway", times=2)
    await siti.send_command("/bantuan")  # ends the long poll in flight; the next two fail
    await siti.wait_for("/lapor")
    await until(lambda: polling_after(502, 2), "a long poll after the 502s")
    await siti.send_command("/darurat")
    await siti.wait_for("112")

    # A rival poll ends ours with 409 Conflict (Telegram allows one poller per token).
    await until(lambda: polling_after(502, 2), "our long poll waiting again")
    async with (
        aiohttp.ClientSession() as http,
        http.get(f"{emulator.base_url}/bot{emulator.token}/getUpdates?timeout=0") as answer,
    ):
        assert answer.status == 200
    await until(lambda: polling_after(409, 1), "a long poll after the conflict")
    await siti.send_command("/privasi")
    await siti.wait_for(predicate=lambda message: len(siti.chat.bot_messages()) >= 3)

    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    recovered = [r.getMessage() for r in caplog.records if "working again" in r.getMessage()]
    assert len(warnings) == 2, warnings
    assert "TelegramServerError" in warnings[0] and "409 Conflict" in warnings[1]
    assert len(recovered) == 2, recovered
