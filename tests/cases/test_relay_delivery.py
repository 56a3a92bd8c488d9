"""Relayed messages between an officer and the reporter: refused before "Sent" when Telegram
would refuse them (length in UTF-16 units, as Telegram counts), and the writer is told when one
could not be delivered after all."""

from __future__ import annotations

from sqlalchemy import select

from playground.emulator import BotAPIEmulator, BotMessage
from storage.models import OutboxMessage
from tests.cases.staffing import add_officer, file_report, tap
from tests.fixtures.bot import RunningBot
from tests.followups.helpers import open_notice
from tests.translations import translate

RINA, REPORTER = 3301, 3302
SENT = "✉️ Terkirim."
TOO_LONG = (
    "That message is too long to send: {length} characters, and at most {limit} fit (an "
    "emoji counts as two). Please shorten it; nothing was sent."
)


async def case_card(bot: RunningBot, emulator: BotAPIEmulator) -> tuple[str, BotMessage]:
    emulator.user(REPORTER, first_name="Ani")
    await add_officer(bot.service, RINA, "Kalampangan", name="Bu Rina")
    _, code = await file_report(bot.service, "Kalampangan", reporter_chat=REPORTER, consent=True)
    rina = emulator.user(RINA)
    await tap(rina, f"✅ Terima {code}", await rina.wait_for(code))
    return code, await rina.wait_for("Ditangani")


async def write_to_reporter(emulator: BotAPIEmulator, card: BotMessage, text: str) -> BotMessage:
    rina = emulator.user(RINA)
    await tap(rina, "💬 Hubungi pelapor", card)
    await rina.wait_for("Tulis pesan")
    await rina.send_text(text)
    return await rina.wait_for()


async def relays(bot: RunningBot) -> list[OutboxMessage]:
    async with bot.service.session_factory() as session:
        rows = await session.scalars(
            select(OutboxMessage).where(OutboxMessage.kind.in_(("relay", "reporter_relay")))
        )
        return list(rows)


async def test_a_relay_too_long_for_telegram_is_refused_before_sent(
    bot: RunningBot, emulator: BotAPIEmulator
) -> None:
    _, card = await case_card(bot, emulator)
    # 2,040 characters by Python's count, 4,080 UTF-16 units by Telegram's.
    answer = await write_to_reporter(emulator, card, "😀" * 2040)
    too_long = translate("id", TOO_LONG).format(length=4080, limit=3000)
    assert answer.text == too_long
    assert await relays(bot) == []
    # Still writing: a shorter message goes.
    rina = emulator.user(RINA)
    await rina.send_text("😀" * 1490 + " Apakah Anda aman?")
    assert (await rina.wait_for()).text == SENT
    delivered = await open_notice(emulator.user(REPORTER), "Apakah Anda aman?", "id")
    assert delivered.text.count("😀") == 1490


async def test_the_officer_is_told_when_a_relay_cannot_be_delivered(
    bot: RunningBot, emulator: BotAPIEmulator
) -> None:
    code, card = await case_card(bot, emulator)
    await open_notice(emulator.user(REPORTER), code, "id")  # the status notice, out of the way
    # Telegram refuses it for good (the reporter's account is gone).
    emulator.fail_next("sendMessage", 400, "Bad Request: chat not found", chat_id=REPORTER)
    assert (await write_to_reporter(emulator, card, "Apakah Anda aman?")).text == SENT
    told = await emulator.user(RINA).wait_for(code)
    failed = "⚠️ Your message to the reporter of <code>{code}</code> could not be delivered"
    assert told.text.startswith(translate("id", failed).split("<code>")[0])
    assert [row.status for row in await relays(bot)] == ["dead"]


async def test_the_reporter_is_told_when_their_answer_cannot_be_delivered(
    bot: RunningBot, emulator: BotAPIEmulator
) -> None:
    _, card = await case_card(bot, emulator)
    await write_to_reporter(emulator, card, "Apakah Anda aman?")
    reporter = emulator.user(REPORTER)
    relayed = await open_notice(reporter, "Apakah Anda aman?", "id")
    emulator.fail_next("sendMessage", 400, "Bad Request: chat not found", chat_id=RINA)
    await tap(reporter, "↩️ Balas", relayed)
    await reporter.wait_for("Tulis jawaban")
    await reporter.send_text("Saya aman.")
    assert (await reporter.wait_for()).text == SENT
    told = await reporter.wait_for()
    assert told.text == translate("id", "⚠️ Your last message could not be delivered.")
