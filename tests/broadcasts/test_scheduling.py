"""Scheduled broadcasts with a clock the test moves: typed local times, refusals, recipients
taken when the job fires, and cancelling before and after."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from playground.emulator import BotAPIEmulator, SimulatedUser
from services import broadcasts
from services.clock import ManualClock
from tests.broadcasts.people import (
    add_subscribers,
    choose,
    compose,
    coordinator,
    copies_to,
    latest_broadcast,
)
from tests.fixtures.bot import RunningBot
from tests.fixtures.timeline import until
from tests.staff.people import Person, becomes

# Friday 27 November 2026, 10:00 WIB.
START = datetime(2026, 11, 27, 3, 0, tzinfo=UTC)
EARLY, LATE, STOPPED = 7201, 7202, 7203


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(START)


@pytest.fixture
def bot(clocked_bot: RunningBot) -> RunningBot:
    return clocked_bot


async def schedule(person: Person, text: str) -> None:
    async def write(user: SimulatedUser) -> None:
        await user.send_text(text)

    await compose(person, write)
    await choose(person, "👥 All subscribers (2)")
    await person.press("🕒 Schedule")
    await person.user.wait_for("When should broadcast")


async def test_a_scheduled_broadcast_goes_out_when_due_to_who_is_subscribed_then(
    emulator: BotAPIEmulator, bot: RunningBot, clock: ManualClock
) -> None:
    early, stopped = await add_subscribers(bot, emulator, [EARLY, STOPPED])
    person = await coordinator(emulator)
    await schedule(person, "Besok pagi")
    prompt = person.user.chat.last_bot_message()
    assert prompt is not None and "Local time (WIB)" in prompt.text

    for typed, answer in [
        ("kapan-kapan", "I could not read that date and time."),
        ("31-02-2027 09:00", "I could not read that date and time."),
        ("besok 25:00", "I could not read that date and time."),
        ("27-11-2026 09:00", "That moment has already passed."),
        ("hari ini 09.59", "That moment has already passed."),
        ("01-01-2030 09:00", "That is more than a year ahead."),
    ]:
        await person.say(typed, expect=answer)
    scheduled = await person.say("besok 09:00", expect="will be sent 09:00 WIB tomorrow")
    assert scheduled.button("🛑 Cancel broadcast #1") is not None

    async def scheduled_at() -> datetime | None:
        return (await latest_broadcast(bot)).scheduled_at

    await becomes(scheduled_at, datetime(2026, 11, 28, 2, 0, tzinfo=UTC))

    # Recipients are whoever is subscribed when it fires, not when it was scheduled.
    [late] = await add_subscribers(bot, emulator, [LATE])
    stopped_person = await Person.english(emulator, stopped.id, stopped.first_name)
    await stopped_person.command("/berhenti", expect="no longer receive awareness messages")
    clock.set(datetime(2026, 11, 28, 1, 59, tzinfo=UTC))
    await person.command("/siaran", "riwayat", expect="scheduled for 09:00 WIB today")
    assert copies_to(emulator, EARLY) == 0

    clock.set(datetime(2026, 11, 28, 2, 0, tzinfo=UTC))
    await early.wait_for("Besok pagi")
    await late.wait_for("Besok pagi")
    progress = await person.user.wait_for("is being sent to 2 recipients")
    assert progress.button("🛑 Cancel broadcast #1") is not None

    async def done() -> bool:
        clock.advance(timedelta(seconds=5))
        return (await latest_broadcast(bot)).status == broadcasts.DONE

    await until(done, "the final count")
    report = await person.user.wait_for("Broadcast #1 is finished")
    assert "Delivered: 2" in report.text and "Failed: 0" in report.text
    assert copies_to(emulator, STOPPED) == 0
    assert [copies_to(emulator, u) for u in (EARLY, LATE)] == [1, 1]


async def test_cancelling_a_scheduled_broadcast_and_cancelling_twice(
    emulator: BotAPIEmulator, bot: RunningBot, clock: ManualClock
) -> None:
    await add_subscribers(bot, emulator, [EARLY, LATE])
    person = await coordinator(emulator)
    await schedule(person, "Tidak jadi")
    scheduled = await person.say("28-11-2026 10:00", expect="will be sent 10:00 WIB tomorrow")
    cancel = scheduled.button("🛑 Cancel broadcast #1")
    assert cancel is not None and cancel.callback_data is not None
    answer = await person.press("🛑 Cancel broadcast #1")
    assert answer is not None and answer.text == "Broadcast #1 cancelled."
    await person.user.wait_for("Broadcast #1 was cancelled.")

    async def status() -> str:
        return (await latest_broadcast(bot)).status

    await becomes(status, broadcasts.CANCELLED)
    again = await person.user.press_data(cancel.callback_data, scheduled.message_id)
    assert again is not None and again.show_alert
    assert again.text == "Broadcast #1 was already cancelled."

    clock.set(datetime(2026, 11, 28, 4, 0, tzinfo=UTC))
    await person.command("/siaran", "riwayat", expect="cancelled")
    await person.user.wait_idle(quiet=0.5)
    assert copies_to(emulator, EARLY) == copies_to(emulator, LATE) == 0
