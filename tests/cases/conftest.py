"""Case tests: the real bot over HTTP through the emulator, on a rules' clock that moves only
when a test moves it, so escalation steps come exactly when a test makes them due."""

from __future__ import annotations

from datetime import timedelta

import pytest

from bot.config import Settings
from playground.emulator import BotAPIEmulator
from tests.fixtures.bot import RunningBot, make_settings
from tests.fixtures.pace import conversational_pace  # noqa: F401 (autouse)


@pytest.fixture
def settings(emulator: BotAPIEmulator, database_url: str) -> Settings:
    # The production ACK_TIMEOUT (15 min) and URGENT_ACK_TIMEOUT: tests move the clock.
    return make_settings(emulator, database_url, job_tick=timedelta(milliseconds=200))


@pytest.fixture
def bot(clocked_bot: RunningBot) -> RunningBot:
    return clocked_bot
