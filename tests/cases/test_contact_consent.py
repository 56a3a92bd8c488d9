"""Contact consent per channel: a phone shared to be called on, and messages in this chat, are
two questions with two answers, and the resident and the officer read the same agreement."""

from __future__ import annotations

from playground.emulator import BotAPIEmulator
from tests.cases.staffing import add_officer
from tests.conversations.resident import Resident
from tests.fixtures.bot import COORDINATOR_ID, RunningBot
from tests.translations import translate

RINA = 3171


def t(msgid: str) -> str:
    return translate("id", msgid)


async def named_report(resident: Resident, *, phone: bool, chat: bool) -> str:
    await resident.start()
    await resident.begin_report()
    await resident.answer_until_description()
    await resident.describe("Tetangga memukul anaknya.")
    await resident.press("Skip ➡️")
    await resident.press("🙋 With my name")
    await resident.user.send_text("Siti")
    await resident.user.wait_for(predicate=lambda m: m.reply_keyboard is not None)
    await resident.tap_reply("📱 Share my phone number" if phone else "Skip ➡️")
    consent = await resident.user.wait_for(predicate=lambda m: m.button(t("No")) is not None)
    assert consent.button(t("No")) is not None
    yes = next(b.text for row in consent.buttons for b in row if b.text != t("No"))
    await resident.press(yes if chat else "No", literal=chat)
    await resident.expect("<b>Step 11 of 11 — please check your report</b>")
    return await resident.send()


async def test_a_shared_phone_without_chat_messages_is_a_phone_call_agreed(
    bot: RunningBot, emulator: BotAPIEmulator, resident: Resident
) -> None:
    """A named report with a shared phone ("so an officer can call you"), then "Tidak" to
    contact through the chat, used to tell the resident "Kami tidak akan menghubungi Anda"
    while the officer read the phone and "; tidak bersedia dihubungi"."""
    for user_id in (RINA, COORDINATOR_ID):
        emulator.user(user_id, first_name=f"U{user_id}")
    await add_officer(bot.service, RINA, "Kalampangan", name="Bu Rina")
    code = await named_report(resident, phone=True, chat=False)

    receipt = next(m for m in resident.user.chat.bot_messages() if code in m.text)
    assert "tidak akan menghubungi Anda" not in receipt.text, receipt.text
    assert "menelepon Anda" in receipt.text and "chat ini" in receipt.text, receipt.text
    alert = await emulator.user(RINA).wait_for(code)
    phone = resident.user.phone_number or f"+62812{resident.user.id:07d}"
    assert f"📞 {phone}, boleh ditelepon" in alert.text, alert.text
    assert t("💬 no messages through the bot") in alert.text


async def test_no_phone_and_no_chat_is_no_contact_at_all(
    bot: RunningBot, emulator: BotAPIEmulator, resident: Resident
) -> None:
    for user_id in (RINA, COORDINATOR_ID):
        emulator.user(user_id, first_name=f"U{user_id}")
    await add_officer(bot.service, RINA, "Kalampangan", name="Bu Rina")
    code = await named_report(resident, phone=False, chat=False)
    receipt = next(m for m in resident.user.chat.bot_messages() if code in m.text)
    assert "tidak akan menghubungi Anda" in receipt.text
    alert = await emulator.user(RINA).wait_for(code)
    assert "boleh ditelepon" not in alert.text and t("no phone") in alert.text
