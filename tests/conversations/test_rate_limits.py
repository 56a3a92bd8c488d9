"""With Telegram's strict per-chat limit, replies wait out the 429 instead of failing."""

from __future__ import annotations

from playground.emulator import BotAPIEmulator
from tests.conversations.resident import Resident


async def test_replies_wait_for_retry_after(resident: Resident, emulator: BotAPIEmulator) -> None:
    await resident.start()
    await resident.begin_report()
    # From here Telegram's strict pace: the answer below is two messages (the emergency
    # numbers, then the next question), and the second comes too soon after the first.
    emulator.rate_limits.per_chat_per_second = 1
    emulator.rate_limits.per_chat_burst = 1
    await resident.press("Yes, someone is in danger")
    await resident.user.wait_for("112")
    await resident.expect("<b>Who is making this report?</b>")
    assert emulator.stats[emulator.token]["429"] >= 1, "the limit was never reached"
    failed = [c for c in emulator.calls if c.error_code not in (None, 429)]
    assert not failed, failed
