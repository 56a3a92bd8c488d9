"""Residents opt in to awareness messages, choose a kelurahan, stop them, and are
unsubscribed when they block the bot; only asking again subscribes them again."""

from __future__ import annotations

from sqlalchemy import select

from playground.emulator import BotAPIEmulator
from storage.models import AuditLog, Subscription
from tests.broadcasts.people import subscribed
from tests.conversations.resident import Resident
from tests.fixtures.bot import RunningBot
from tests.fixtures.people import stored_user
from tests.staff.people import Person, becomes

RESIDENT, OTHER = 5101, 5102


async def subscription(bot: RunningBot, user_id: int) -> Subscription | None:
    async with bot.service.session_factory() as session:
        user = await stored_user(session, user_id)
        return await session.get(Subscription, user.id) if user is not None else None


async def kelurahan_of(bot: RunningBot, user_id: int) -> str | None:
    row = await subscription(bot, user_id)
    if row is None or row.kelurahan_id is None:
        return None
    entry = bot.service.gazetteer.kelurahan(row.kelurahan_id)
    return entry.name if entry is not None else None


async def test_consent_offers_awareness_messages_and_a_kelurahan(
    emulator: BotAPIEmulator, bot: RunningBot
) -> None:
    person = await Person.english(emulator, RESIDENT, "Siti")
    await person.press("✅ I agree")
    await person.user.wait_for("What would you like to do?")
    offer = await person.user.wait_for("Awareness messages")
    assert "They never mention any report" in offer.text
    assert not await subscribed(bot, RESIDENT), "nobody is subscribed without asking"

    await person.press("✅ Yes, send them to me")
    await person.user.wait_for("You are subscribed to awareness messages.")
    await becomes(lambda: subscribed(bot, RESIDENT), True)
    assert await kelurahan_of(bot, RESIDENT) is None
    await person.press("Jekan Raya")
    await person.press("Menteng")
    await person.user.wait_for("Subscribed, with local news for Menteng (Jekan Raya).")
    await becomes(lambda: kelurahan_of(bot, RESIDENT), "Menteng")

    # Changing it: /langganan shows the choice again, with city-wide only among it.
    await person.command("/langganan", expect="You are subscribed to awareness messages")
    await person.press("🏙 City-wide only")
    await person.user.wait_for("Subscribed to city-wide messages.")
    await becomes(lambda: kelurahan_of(bot, RESIDENT), None)
    assert await subscribed(bot, RESIDENT)


async def test_no_thanks_subscribes_nobody(emulator: BotAPIEmulator, bot: RunningBot) -> None:
    person = await Person.english(emulator, RESIDENT, "Siti")
    await person.press("✅ I agree")
    await person.user.wait_for("Awareness messages")
    await person.press("No, thanks")
    await person.user.wait_for("All right, no awareness messages.")
    await person.user.wait_idle()
    assert await subscription(bot, RESIDENT) is None


async def test_langganan_and_berhenti(emulator: BotAPIEmulator, bot: RunningBot) -> None:
    person = await Person.english(emulator, RESIDENT, "Siti")
    await person.command("/berhenti", expect="You are not subscribed to awareness messages.")
    await person.command(
        "/langganan", "kalampangan", expect="Subscribed, with local news for Kalampangan"
    )
    await becomes(lambda: kelurahan_of(bot, RESIDENT), "Kalampangan")
    current = await person.command("/langganan", expect="You are subscribed to awareness")
    assert "Kalampangan (Sabangau)" in current.text
    await person.press("Jekan Raya", current)
    await person.press("Palangka", current)
    await person.user.wait_for("local news for Palangka (Jekan Raya)")
    await becomes(lambda: kelurahan_of(bot, RESIDENT), "Palangka")

    await person.command("/berhenti", expect="You will no longer receive awareness messages.")
    await becomes(lambda: subscribed(bot, RESIDENT), False)
    # Asking again keeps the kelurahan chosen before.
    await person.command("/langganan", expect="You are subscribed to awareness messages.")
    await becomes(lambda: subscribed(bot, RESIDENT), True)
    assert await kelurahan_of(bot, RESIDENT) == "Palangka"


async def test_blocking_unsubscribes_and_unblocking_does_not_subscribe_again(
    emulator: BotAPIEmulator, bot: RunningBot
) -> None:
    person = await Person.english(emulator, RESIDENT, "Siti")
    await person.command("/langganan", "Menteng", expect="Subscribed, with local news")
    await becomes(lambda: subscribed(bot, RESIDENT), True)
    person.user.block()
    await becomes(lambda: subscribed(bot, RESIDENT), False)
    async with bot.service.session_factory() as session:
        user = await stored_user(session, RESIDENT)
        assert user is not None and user.unreachable_at is not None
        reasons = list(
            await session.scalars(select(AuditLog.detail).where(AuditLog.action == "unsubscribed"))
        )
    assert reasons == ['{"reason": "blocked"}']

    person.user.unblock()
    await person.command("/bantuan", expect="What this bot can do")
    assert not await subscribed(bot, RESIDENT), "unblocking is not asking"
    # Writing to the bot again is the sign it is no longer blocked.
    async with bot.service.session_factory() as session:
        user = await stored_user(session, RESIDENT)
        assert user is not None and user.unreachable_at is None
    await person.command("/langganan", expect="You are subscribed to awareness messages.")
    await becomes(lambda: subscribed(bot, RESIDENT), True)


async def test_the_offer_comes_again_after_a_report_unless_subscribed(
    emulator: BotAPIEmulator, bot: RunningBot
) -> None:
    resident = Resident(emulator.user(OTHER, first_name="Mary", language_code="en"), "en")
    await resident.start()
    await resident.user.wait_for("Awareness messages")
    await resident.begin_report()
    await resident.answer_until_description()
    await resident.describe("Tetangga memukul anaknya.")
    await resident.finish_anonymously()
    await resident.send()
    # After the confirmation, through the outbox at Telegram's pace of one message a second.
    after = await resident.user.wait_for("Awareness messages")
    await resident.user.press("✅ Yes, send them to me", after)
    await resident.user.wait_for("You are subscribed to awareness messages.")
    await becomes(lambda: subscribed(bot, OTHER), True)

    # Subscribed now: the next report comes without the offer.
    offers = len([m for m in resident.user.chat.messages if "Awareness messages" in m.text])
    await resident.begin_report()
    await resident.answer_until_description()
    await resident.describe("Sekali lagi.")
    await resident.finish_anonymously()
    await resident.send()
    await resident.user.wait_idle()
    again = len([m for m in resident.user.chat.messages if "Awareness messages" in m.text])
    assert again == offers, "a subscriber was offered the subscription again"


async def test_the_resident_menu_lists_the_new_commands(
    emulator: BotAPIEmulator, bot: RunningBot
) -> None:
    for language in ("", "id", "en"):
        names = [command["command"] for command in emulator.commands(language)]
        assert "langganan" in names and "berhenti" in names, (language, names)


async def test_no_thanks_after_langganan_unsubscribes(
    emulator: BotAPIEmulator, bot: RunningBot
) -> None:
    """Saying no means no: the offer's "No, thanks", pressed after /langganan subscribed them
    (the offer stays in the chat), stops the messages it says will not come."""
    person = await Person.english(emulator, RESIDENT, "Siti")
    await person.press("✅ I agree")
    offer = await person.user.wait_for("Awareness messages")
    await person.command("/langganan", expect="You are subscribed to awareness messages.")
    await becomes(lambda: subscribed(bot, RESIDENT), True)

    await person.press("No, thanks", offer)
    await person.user.wait_for("you will no longer receive awareness messages")
    await becomes(lambda: subscribed(bot, RESIDENT), False)
    await person.command("/berhenti", expect="You are not subscribed to awareness messages.")
