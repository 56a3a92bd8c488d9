from __future__ import annotations

import pytest

from playground.emulator import BotAPIEmulator


@pytest.fixture(autouse=True)
def conversational_pace(emulator: BotAPIEmulator) -> None:
    """A test taps as fast as the bot answers, far faster than a person. Telegram tolerates
    short bursts in a private chat; the strict 1 message/s average is exercised on its own in
    test_rate_limits.py, where the bot must wait out each 429."""
    emulator.rate_limits.per_chat_per_second = 20
    emulator.rate_limits.per_chat_burst = 20
