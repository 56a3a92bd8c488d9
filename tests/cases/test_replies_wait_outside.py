"""A reply that must wait for Telegram, a resident's or an officer's, does not hold up anyone
else's alert.

On SQLite one update at a time holds the write lock, from its first write to its commit. A
reply that waits out a 429 (Telegram's pace in a private chat is about a message a second)
inside that transaction made every other update, and the sender, wait with it.
"""

from __future__ import annotations

import asyncio

from playground.emulator import BotAPIEmulator
from tests.cases.staffing import file_report
from tests.cases.test_routing import OFFICER, staff
from tests.conversations.resident import Resident
from tests.fixtures.bot import RunningBot
from tests.fixtures.timeline import reporter_on_the_summary, taken, taken_at, until

WAITING, REPORTER = 5101, 5102


async def test_an_alert_leaves_while_another_residents_reply_waits_out_a_429(
    bot: RunningBot, emulator: BotAPIEmulator
) -> None:
    await staff(bot, emulator)
    waiting = Resident(emulator.user(WAITING, first_name="Waiting"), language="en")
    await waiting.start()
    await waiting.begin_report()
    reporter = await reporter_on_the_summary(emulator, REPORTER)

    # Danger: the emergency numbers first, in the same update as the next question. Telegram
    # answers that message 429 with retry_after 3, and the bot waits it out.
    emulator.fail_next("sendMessage", 429, "Too Many Requests: retry after 3", retry_after=3)
    await waiting.press("Yes, someone is in danger")
    await until(lambda: emulator.stats[emulator.token]["429"] >= 1, "the 429", within=5)
    code = await reporter.send()
    await emulator.user(OFFICER).wait_for(code)
    await waiting.expect("<b>Who is making this report?</b>")

    alert_at = taken_at(emulator, OFFICER, code)
    numbers_at = taken_at(emulator, WAITING, "112")
    assert alert_at < numbers_at, "the alert waited for the other resident's reply"


async def test_an_alert_leaves_while_an_officers_case_card_waits_out_a_429(
    bot: RunningBot, emulator: BotAPIEmulator
) -> None:
    await staff(bot, emulator)
    _, case_code = await file_report(bot.service, "Kalampangan")
    officer = emulator.user(OFFICER)
    alert = await officer.wait_for(case_code)
    reporter = await reporter_on_the_summary(emulator, REPORTER)

    # Terima turns the alert into the case card; Telegram answers that edit 429 with
    # retry_after 3, and the bot waits it out.
    emulator.fail_next("editMessageText", 429, "Too Many Requests: retry after 3", retry_after=3)
    pressing = asyncio.create_task(officer.press(f"✅ Terima {case_code}", message=alert))
    await until(lambda: emulator.stats[emulator.token]["429"] >= 1, "the 429", within=5)
    code = await reporter.send()
    await officer.wait_for(code)
    await pressing
    await until(
        lambda: bool(taken(emulator, OFFICER, case_code, "editMessageText")), "the case card"
    )

    alert_at = taken_at(emulator, OFFICER, code)
    card_at = taken_at(emulator, OFFICER, case_code, "editMessageText")
    assert alert_at < card_at, "the alert waited for the officer's case card"
