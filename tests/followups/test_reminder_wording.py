"""How long a case has been quiet, said in words that fit any OFFICER_REMINDER_AFTER."""

from __future__ import annotations

from datetime import timedelta

import pytest

from bot.config import Settings
from playground.emulator import BotAPIEmulator, SimulatedUser
from services.clock import ManualClock
from tests.cases.staffing import tap
from tests.fixtures.bot import COORDINATOR_ID, RunningBot
from tests.fixtures.clock import advance
from tests.followups.helpers import add_officer, file_report, speak_english

RINA, REPORTER = 6501, 6502


@pytest.fixture
def settings(settings: Settings) -> Settings:
    # Half an hour: the reminder used to say "no update for 0 hours".
    return settings.model_copy(update={"officer_reminder_after": timedelta(minutes=30)})


@pytest.fixture
async def coordinator(
    bot: RunningBot, emulator: BotAPIEmulator, clock: ManualClock
) -> SimulatedUser:
    for user_id in (RINA, REPORTER):
        emulator.user(user_id, first_name=f"U{user_id}", language_code="en")
    await add_officer(bot.service, clock, RINA, "Kalampangan", name="Bu Rina")
    await speak_english(bot.service, COORDINATOR_ID)
    return emulator.user(COORDINATOR_ID, first_name="Koordinator", language_code="en")


async def test_a_reminder_says_how_long_in_words(
    bot: RunningBot, clock: ManualClock, coordinator: SimulatedUser, emulator: BotAPIEmulator
) -> None:
    _report_id, code = await file_report(
        bot.service, clock, "Kalampangan", reporter=REPORTER, consent=False
    )
    rina = emulator.user(RINA)
    await tap(rina, f"✅ Accept {code}", await rina.wait_for(code))
    await rina.wait_for("Handled by: Bu Rina")
    await rina.wait_idle()
    await advance(bot, clock, timedelta(minutes=30))
    reminder = await rina.wait_for("has had no update for")
    assert code in reminder.text and "no update for 30 minutes." in reminder.text, reminder.text
    await advance(bot, clock, timedelta(minutes=30))
    told = await coordinator.wait_for("even after a reminder to the officer")
    assert "no update for 1 hour," in told.text, told.text
