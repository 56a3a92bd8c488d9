"""How long a resident is asked to wait, in words that agree with the number."""

from __future__ import annotations

from datetime import timedelta

import pytest

from bot.config import Settings
from playground.emulator import BotAPIEmulator
from services.clock import ManualClock
from tests.conversations.resident import Resident
from tests.fixtures.bot import RunningBot, make_settings


@pytest.fixture
def settings(emulator: BotAPIEmulator, database_url: str) -> Settings:
    # A short guess window: the pause left after the fifth wrong code is under a minute.
    return make_settings(emulator, database_url, status_lookup_window=timedelta(seconds=30))


@pytest.fixture
def bot(clocked_bot: RunningBot) -> RunningBot:
    return clocked_bot


async def _guess_until_paused(resident: Resident) -> str:
    for attempt in range(5):
        await resident.user.send_command("/status", f"LA-AAAA-AAA{'ACDEF'[attempt]}")
        await resident.user.wait_for("LA-AAAA-AAA")
    await resident.user.send_command("/status", "LA-AAAA-AAAG")
    paused = await resident.user.wait_for("Too many codes that did not match")
    return paused.text or ""


async def test_a_pause_under_a_minute_is_not_1_minutes(english_resident: Resident) -> None:
    resident = english_resident
    await resident.start()
    paused = await _guess_until_paused(resident)
    assert "1 minutes" not in paused, paused
    assert "wait 1 minute and" in paused or "less than a minute" in paused, paused


async def test_the_pause_ends_when_the_bots_clock_says_so(
    english_resident: Resident, clock: ManualClock
) -> None:
    """The guess window runs on the clock the rules run on (the wall clock ignored it)."""
    resident = english_resident
    await resident.start()
    await _guess_until_paused(resident)
    clock.advance(timedelta(seconds=31))
    await resident.user.send_command("/status", "LA-AAAA-AAAH")
    answer = await resident.user.wait_for("LA-AAAA-AAAH")
    assert "No report has the code" in (answer.text or ""), answer.text
