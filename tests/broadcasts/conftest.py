"""Broadcast tests: the real bot over HTTP through the emulator, with its rate limits on.

Conversation steps go as fast as the bot answers (a coordinator tapping through the wizard
would otherwise wait out Telegram's one-message-a-second for every screen); delivery to the
recipients keeps the emulator's global limit, which is what the sender must respect.
"""

from __future__ import annotations

from datetime import timedelta

import pytest

from bot.config import Settings
from playground.emulator import BotAPIEmulator
from services import broadcasts
from tests.fixtures.bot import make_settings
from tests.fixtures.pace import conversational_pace  # noqa: F401 (autouse)


@pytest.fixture(autouse=True)
def brisk_progress(monkeypatch: pytest.MonkeyPatch) -> None:
    """Progress (and the final count, found by the progress job) every second instead of
    every few: the tests wait for the final report of many small broadcasts."""
    monkeypatch.setattr(broadcasts, "PROGRESS_EVERY", timedelta(seconds=1))


@pytest.fixture
def settings(emulator: BotAPIEmulator, database_url: str) -> Settings:
    # A brisk job tick: "send now" starts at the next tick, and progress is a job too.
    return make_settings(emulator, database_url, job_tick=timedelta(milliseconds=200))
