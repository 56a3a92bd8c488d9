from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta

import pytest

from bot.config import Settings
from playground.emulator import BotAPIEmulator
from tests.fixtures.bot import RunningBot, make_settings, start_bot


@pytest.fixture(autouse=True)
def conversational_pace(emulator: BotAPIEmulator) -> None:
    # Tests act as fast as the bot answers; the strict per-chat limit has tests of its own.
    emulator.rate_limits.per_chat_per_second = 20
    emulator.rate_limits.per_chat_burst = 20


@pytest.fixture
def settings(emulator: BotAPIEmulator, database_url: str) -> Settings:
    return make_settings(
        emulator,
        database_url,
        ack_timeout=timedelta(seconds=2),
        urgent_ack_timeout=timedelta(seconds=1),
        job_tick=timedelta(milliseconds=200),
    )


@pytest.fixture
async def bot(settings: Settings, emulator: BotAPIEmulator) -> AsyncIterator[RunningBot]:
    running = await start_bot(settings, emulator)
    try:
        yield running
    finally:
        await running.stop()
