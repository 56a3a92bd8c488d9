"""A reply that must wait for Telegram, a resident's or an officer's, does not hold up anyone
else's alert.

On SQLite one update at a time holds the write lock, from its first write to its commit. A
reply that waits out a 429 (Telegram's pace in a private chat is about a message a second)
inside that transaction made every other update, and the sender, wait with it.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from playground.emulator import BotAPIEmulator
from tests.cases.staffing import file_report
from tests.cases.test_routing import OFFICER, staff
from tests.conversations.resident import Resident
from tests.fixtures.bot import RunningBot

WAITING, REPORTER = 5101, 5102


async def test_an_alert_leaves_while_another_residents_reply_waits_out_a_429(
    bot: RunningBot, emulator: BotAPIEmulator
) -> None:
    await staff(bot, emulator)
    waiting = Resident(emulator.user(WAITING, first_name="Waiting"), language="en")
    reporter = Resident(emulator.user(REPORTER, first_name="Reporter"), language="en")
    await waiting.start()
    await waiting.begin_report()
    await reporter.start()
    await reporter.begin_report()
    await reporter.answer_until_description()
    await reporter.describe("Anak tetangga dipukul setiap malam.")
    await reporter.finish_anonymously()

    # Danger: the emergency numbers first, in the same update as the next question. Telegram
    # answers that message 429 with retry_after 3, and the bot waits it out.
    emulator.fail_next("sendMessage", 429, "Too Many Requests: retry after 3", retry_after=3)
    await waiting.press("Yes, someone is in danger")
    await _until(lambda: emulator.stats[emulator.token]["429"] >= 1)
    code = await reporter.send()
    await emulator.user(OFFICER).wait_for(code)
    await waiting.expect("<b>Who is making this report?</b>")

    alert_at = _sent_at(emulator, OFFICER, code)
    numbers_at = _sent_at(emulator, WAITING, "112")
    assert alert_at < numbers_at, "the alert waited for the other resident's reply"


async def test_an_alert_leaves_while_an_officers_case_card_waits_out_a_429(
    bot: RunningBot, emulator: BotAPIEmulator
) -> None:
    await staff(bot, emulator)
    _, taken = await file_report(bot.service, "Kalampangan")
    officer = emulator.user(OFFICER)
    alert = await officer.wait_for(taken)
    reporter = Resident(emulator.user(REPORTER, first_name="Reporter"), language="en")
    await reporter.start()
    await reporter.begin_report()
    await reporter.answer_until_description()
    await reporter.describe("Anak tetangga dipukul setiap malam.")
    await reporter.finish_anonymously()

    # Terima turns the alert into the case card; Telegram answers that edit 429 with
    # retry_after 3, and the bot waits it out.
    emulator.fail_next("editMessageText", 429, "Too Many Requests: retry after 3", retry_after=3)
    pressing = asyncio.create_task(officer.press(f"✅ Terima {taken}", message=alert))
    await _until(lambda: emulator.stats[emulator.token]["429"] >= 1)
    code = await reporter.send()
    await officer.wait_for(code)
    await pressing
    await _until(lambda: _sent(emulator, OFFICER, taken, "editMessageText"), patience=10)

    alert_at = _sent_at(emulator, OFFICER, code)
    card_at = _sent_at(emulator, OFFICER, taken, "editMessageText")
    assert alert_at < card_at, "the alert waited for the officer's case card"


def _calls(emulator: BotAPIEmulator, chat_id: int, text: str, method: str | None) -> list[float]:
    """When Telegram took the matching messages (the emulator's clock), refusals left out."""
    return [
        call.at
        for call in emulator.calls
        if call.ok
        and (method is None or call.method.lower() == method.lower())
        and call.params.get("chat_id") in (chat_id, str(chat_id))
        and text in str(call.params.get("text", ""))
    ]


def _sent(emulator: BotAPIEmulator, chat_id: int, text: str, method: str | None = None) -> bool:
    return bool(_calls(emulator, chat_id, text, method))


def _sent_at(emulator: BotAPIEmulator, chat_id: int, text: str, method: str | None = None) -> float:
    return _calls(emulator, chat_id, text, method)[0]


async def _until(condition: Callable[[], bool], patience: float = 5.0) -> None:
    deadline = asyncio.get_running_loop().time() + patience
    while not condition():
        assert asyncio.get_running_loop().time() < deadline, "never happened"
        await asyncio.sleep(0.01)
