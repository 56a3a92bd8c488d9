"""How long a resident is asked to wait, in words that agree with the number."""

from __future__ import annotations

from datetime import timedelta

import pytest

from bot.config import Settings
from playground.emulator import BotAPIEmulator
from tests.conversations.resident import Resident
from tests.fixtures.bot import make_settings


@pytest.fixture
def settings(emulator: BotAPIEmulator, database_url: str) -> Settings:
    # A short guess window: the pause left after the fifth wrong code is under a minute.
    return make_settings(emulator, database_url, status_lookup_window=timedelta(seconds=30))


async def test_a_pause_under_a_minute_is_not_1_minutes(english_resident: Resident) -> None:
    resident = english_resident
    await resident.start()
    for attempt in range(5):
        await resident.user.send_command("/status", f"LA-AAAA-AAA{'ACDEF'[attempt]}")
        await resident.user.wait_for("LA-AAAA-AAA")
    await resident.user.send_command("/status", "LA-AAAA-AAAG")
    paused = await resident.user.wait_for("Too many codes that did not match")
    assert "1 minutes" not in paused.text, paused.text
    assert "wait 1 minute and" in paused.text or "less than a minute" in paused.text, paused.text
