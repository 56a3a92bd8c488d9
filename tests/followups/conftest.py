from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

import pytest

from bot.config import Settings
from playground.emulator import BotAPIEmulator
from services.clock import ManualClock
from tests.fixtures.bot import RunningBot, make_settings
from tests.fixtures.pace import conversational_pace  # noqa: F401 (autouse)

# Monday 2 March 2026, 10:00 WIB: mid-morning in Palangka Raya, far from the quiet hours.
START = datetime(2026, 3, 2, 3, 0, tzinfo=UTC)


@pytest.fixture
def clock() -> ManualClock:
    """The rules' clock; tests move it forward to make follow-ups, reminders and digests due."""
    return ManualClock(START)


@pytest.fixture
def settings(emulator: BotAPIEmulator, database_url: str) -> Settings:
    return make_settings(
        emulator,
        database_url,
        ack_timeout=timedelta(hours=1),
        urgent_ack_timeout=timedelta(minutes=30),
        followup_after=timedelta(hours=2),
        followup_every=timedelta(hours=72),
        officer_reminder_after=timedelta(hours=48),
        quiet_hours=(21, 7),
        timezone="Asia/Jakarta",
        digest_time=time(7, 0),
        emergency_numbers=["112 (Darurat)", "129 (SAPA)"],
        job_tick=timedelta(milliseconds=100),
    )


@pytest.fixture
def bot(clocked_bot: RunningBot) -> RunningBot:
    return clocked_bot
