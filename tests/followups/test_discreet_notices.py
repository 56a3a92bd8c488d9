"""What the reporter is told about their case (status updates, an officer's messages) is
discreet on a lock screen, like the check-ins: a neutral line, the substance only after Open,
only in the reporter's chat; and it waits out the quiet hours unless the report is urgent."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select, text

from bot.config import Settings
from playground.emulator import BotAPIEmulator, BotMessage, SimulatedUser
from services.clock import ManualClock
from storage.models import OutboxMessage, ScheduledJob
from tests.cases.staffing import tap
from tests.fixtures.bot import RunningBot
from tests.fixtures.clock import advance
from tests.followups.conftest import START
from tests.followups.helpers import HELLO, OPEN, add_officer, file_report, shown

REPORTER, STRANGER, RINA = 6401, 6402, 6403
WORDS = "Apakah Anda aman? Kami bisa datang besok pagi."
NIGHT = timedelta(hours=12)  # 22:00 WIB: quiet hours (21-7)
MORNING = timedelta(hours=21)  # 07:00 WIB the next day


@pytest.fixture
def settings(settings: Settings) -> Settings:
    # No check-in within these tests: they would share the neutral line with the notices.
    return settings.model_copy(update={"followup_after": timedelta(days=30)})


def unopened(user: SimulatedUser) -> list[BotMessage]:
    return [m for m in user.chat.bot_messages() if m.text == shown("en", HELLO)]


@pytest.fixture
async def people(bot: RunningBot, clock: ManualClock, emulator: BotAPIEmulator) -> None:
    emulator.user(REPORTER, first_name="Ani", language_code="en")
    emulator.user(STRANGER, first_name="Orang", language_code="en")
    emulator.user(RINA, first_name="Rina", language_code="en")
    await add_officer(bot.service, clock, RINA, "Kalampangan", name="Bu Rina")


async def take(emulator: BotAPIEmulator, code: str) -> BotMessage:
    rina = emulator.user(RINA)
    await tap(rina, f"✅ Accept {code}", await rina.wait_for(code))
    return await rina.wait_for("Handled by: Bu Rina")


async def write(emulator: BotAPIEmulator, card: BotMessage, words: str) -> BotMessage:
    rina = emulator.user(RINA)
    await tap(rina, "💬 Contact the reporter", card)
    await rina.wait_for("Write your message")
    await rina.send_text(words)
    return await rina.wait_for()


def discreet(message: BotMessage, code: str) -> None:
    """What a lock screen or a glance shows: the neutral line and an Open button, nothing of
    the report."""
    assert message.text == shown("en", HELLO)
    assert message.button(shown("en", OPEN)) is not None
    assert code not in message.text


async def test_a_status_update_shows_nothing_until_the_reporter_opens_it(
    bot: RunningBot, emulator: BotAPIEmulator, people: None, clock: ManualClock
) -> None:
    _, code = await file_report(bot.service, clock, "Kalampangan", reporter=REPORTER)
    await take(emulator, code)
    reporter = emulator.user(REPORTER)
    notice = await reporter.wait_for()
    discreet(notice, code)
    # Someone else who forges the press learns nothing (the ids are sequential).
    stranger = emulator.user(STRANGER)
    sent = await stranger.send_text("halo")
    button = notice.button(shown("en", OPEN))
    assert button is not None and button.callback_data is not None
    forged = await stranger.press_data(button.callback_data, sent["message_id"])
    assert forged is not None and forged.text == shown("id", "This button is no longer active.")
    await stranger.wait_idle()
    assert not [m for m in stranger.chat.bot_messages() if code in m.text]
    # The reporter opens it: the message becomes the update.
    await tap(reporter, shown("en", OPEN), notice)
    opened = await reporter.wait_for(code)
    assert opened.message_id == notice.message_id
    assert "Update on report" in opened.text and "Taken by an officer" in opened.text


async def test_an_officers_message_at_night_waits_for_the_morning_then_opens(
    bot: RunningBot, emulator: BotAPIEmulator, people: None, clock: ManualClock
) -> None:
    _, code = await file_report(bot.service, clock, "Kalampangan", reporter=REPORTER)
    card = await take(emulator, code)
    reporter = emulator.user(REPORTER)
    await tap(reporter, shown("en", OPEN), await reporter.wait_for())  # the "accepted" update
    await reporter.wait_for(code)
    clock.set(START + NIGHT)
    answer = await write(emulator, card, WORDS)
    # The officer knows it is held, and until when.
    assert "07:00" in answer.text
    await advance(bot, clock, timedelta(hours=8, minutes=59))  # 06:59 WIB
    await reporter.wait_idle()
    assert unopened(reporter) == []
    await advance(bot, clock, timedelta(minutes=1))  # 07:00 WIB
    news = await reporter.wait_for(shown("en", HELLO))
    discreet(news, code)
    assert WORDS not in news.text
    await tap(reporter, shown("en", OPEN), news)
    opened = await reporter.wait_for(WORDS)
    assert code in opened.text and "Rina" not in opened.text
    # And the reporter can answer it.
    await tap(reporter, "↩️ Reply", opened)
    await reporter.wait_for("Write your answer")
    await reporter.send_text("Saya aman.")
    await emulator.user(RINA).wait_for("Saya aman.")


async def test_an_urgent_reports_messages_go_at_once_still_discreet(
    bot: RunningBot, emulator: BotAPIEmulator, people: None, clock: ManualClock
) -> None:
    clock.set(START + NIGHT)
    _, code = await file_report(bot.service, clock, "Kalampangan", reporter=REPORTER, urgent=True)
    card = await take(emulator, code)
    reporter = emulator.user(REPORTER)
    discreet(await reporter.wait_for(), code)  # the update, at night
    answer = await write(emulator, card, WORDS)
    assert "07:00" not in answer.text
    discreet(await reporter.wait_for(), code)


async def test_the_words_are_kept_only_encrypted_and_erasure_takes_them(
    bot: RunningBot, emulator: BotAPIEmulator, people: None, clock: ManualClock
) -> None:
    report_id, code = await file_report(bot.service, clock, "Kalampangan", reporter=REPORTER)
    card = await take(emulator, code)
    reporter = emulator.user(REPORTER)
    update = await reporter.wait_for()
    clock.set(START + NIGHT)
    await write(emulator, card, WORDS)
    async with bot.service.session_factory() as session:
        rows = list(await session.scalars(select(OutboxMessage)))
        assert not [row.id for row in rows if WORDS in str(row.payload)]
        jobs = list(await session.scalars(select(ScheduledJob)))
        # Held for the morning by a job whose (unencrypted) payload says nothing of it.
        [held] = [job for job in jobs if job.kind == "notice"]
        assert held.report_id == report_id and held.done_at is None
        for job in jobs:
            assert WORDS not in str(job.payload) and code not in str(job.payload)
            assert str(REPORTER) not in str(job.payload)
        raw = await session.execute(text("SELECT * FROM reporter_messages"))
        cells = [str(cell) for row in raw for cell in row]
        assert cells and not [cell for cell in cells if "aman" in cell or code in cell]

    # The reporter erases their data during the night: nothing more comes, nothing opens.
    await reporter.send_command("/hapusdata")
    await tap(reporter, "🗑 Yes, erase my data")
    await reporter.wait_for("Your personal data has been erased")
    await advance(bot, clock, MORNING - NIGHT)
    await reporter.wait_idle()
    assert [m.message_id for m in unopened(reporter)] == [update.message_id]
    late = await reporter.press(shown("en", OPEN), update)
    assert late is not None and late.text == shown("id", "This button is no longer active.")
    async with bot.service.session_factory() as session:
        left = await session.execute(text("SELECT count(*) FROM reporter_messages"))
        assert left.scalar() == 0
        job = await session.get(ScheduledJob, held.id)
        assert job is not None and job.cancelled
