"""Bad input never crashes a handler, never changes the draft, always gets an answer."""

from __future__ import annotations

from sqlalchemy import func, select

from playground.emulator import BotAPIEmulator
from services.report_draft import MAX_DESCRIPTION
from storage.models import Report
from tests.conversations.resident import (
    DESCRIPTION_Q,
    LANDMARK_Q,
    LOCATION_Q,
    Resident,
)
from tests.fixtures.bot import RunningBot
from tests.fixtures.statements import failing

SORRY = (
    "Sorry, I can't use that here. Your answers so far are kept; please answer the question below."
)
# Nothing answered yet: no word of anything "kept" (nothing was sent either).
SORRY_FIRST = "Sorry, I can't use that here. Please answer the question below."


async def count_reports(bot: RunningBot) -> int:
    async with bot.service.session_factory() as session:
        return int(await session.scalar(select(func.count()).select_from(Report)) or 0)


async def test_sticker_and_photo_where_text_or_buttons_are_expected(resident: Resident) -> None:
    await resident.start()
    await resident.begin_report()
    await resident.user.send_sticker()
    await resident.expect(SORRY_FIRST)
    await resident.expect("<b>Is anyone in danger right now?</b>")
    await resident.press("No")
    await resident.user.send_text("saksi")  # typing where buttons are expected
    await resident.expect(SORRY)
    await resident.expect("<b>Who is making this report?</b>")
    await resident.press("Witness")
    await resident.expect("<b>What kind of incident is it?</b>\nChoose the one that fits best.")


async def test_empty_and_overlong_description_change_nothing(resident: Resident) -> None:
    await resident.start()
    await resident.begin_report()
    await resident.answer_until_description()
    await resident.user.send_text("   ")
    await resident.expect("The message is empty. Please write what happened.")
    await resident.user.send_text("x" * 10_000)
    too_long = await resident.user.wait_for(str(MAX_DESCRIPTION))
    assert "10000" in too_long.text
    await resident.user.send_photo()
    await resident.expect(SORRY)
    await resident.describe("Cerita singkat.")
    summary = await resident.finish_anonymously()
    assert "Cerita singkat." in summary.text
    assert "xxxxxxxxxx" not in summary.text


async def test_buttons_of_old_questions_and_forged_data(
    resident: Resident, bot: RunningBot
) -> None:
    await resident.start()
    await resident.begin_report()
    danger = resident.user.chat.last_bot_message()
    await resident.press("No")
    await resident.expect("<b>Who is making this report?</b>")
    # The danger question's buttons were replaced by the answer; replaying its data is refused.
    answer = await resident.user.press_data("r:danger:yes", danger.message_id)
    assert answer is not None
    assert answer.text == resident.t(
        "This button belongs to an earlier question. Please answer the newest message."
    )
    current = resident.user.chat.last_bot_message()
    forged = await resident.user.press_data("r:relation:boss", current.message_id)
    assert forged is not None
    assert forged.text == resident.t("That choice is not available. Please use the buttons shown.")
    garbage = await resident.user.press_data("zz:%%%", current.message_id)
    assert garbage is not None and garbage.text == resident.t("This button is no longer active.")
    await resident.press("Witness")
    await resident.expect("<b>What kind of incident is it?</b>\nChoose the one that fits best.")
    assert await count_reports(bot) == 0


async def test_commands_in_the_middle_keep_the_draft(resident: Resident) -> None:
    await resident.start()
    await resident.begin_report()
    await resident.press("No")
    await resident.expect("<b>Who is making this report?</b>")
    await resident.press("Witness")
    await resident.expect("<b>What kind of incident is it?</b>\nChoose the one that fits best.")
    await resident.user.send_command("/darurat")
    await resident.user.wait_for("112")
    await resident.expect("<b>What kind of incident is it?</b>\nChoose the one that fits best.")
    await resident.user.send_command("/lapor")
    await resident.expect("You have a report that is not sent yet; your answers are kept.")
    await resident.expect("<b>What kind of incident is it?</b>\nChoose the one that fits best.")
    await resident.user.send_command("/entahlah")
    await resident.expect(
        "I don't know that command. Your answers so far are kept; here is the question again."
    )
    await resident.user.send_command("/bantuan")
    await resident.expect("<b>What kind of incident is it?</b>\nChoose the one that fits best.")
    # What aiogram reads as a command: after spaces, or as a photo's caption. Typed answers
    # skip the command routers (conversations.setup); these must still reach them.
    await resident.user.send_text("  /darurat")
    await resident.user.wait_for("112")
    await resident.expect("<b>What kind of incident is it?</b>\nChoose the one that fits best.")
    await resident.user.send_photo(caption="/darurat")
    await resident.user.wait_for("112")
    await resident.expect("<b>What kind of incident is it?</b>\nChoose the one that fits best.")
    await resident.press("Neglect")
    await resident.expect("<b>Who is the victim?</b>")


async def test_double_tap_on_send_stores_one_report(
    resident: Resident, bot: RunningBot, emulator: BotAPIEmulator
) -> None:
    await resident.start()
    await resident.begin_report()
    await resident.answer_until_description()
    await resident.describe("Sekali saja.")
    summary = await resident.finish_anonymously()
    first = resident.user.press(resident.t("✅ Send"), message=summary)
    second = resident.user.press(resident.t("✅ Send"), message=summary)
    import asyncio

    answers = await asyncio.gather(first, second)
    await resident.user.wait_idle()
    assert await count_reports(bot) == 1
    texts = sorted(a.text for a in answers if a is not None)
    assert resident.t("Report sent") in texts


async def test_typed_place_names_with_misspellings(resident: Resident, bot: RunningBot) -> None:
    await resident.start()
    await resident.begin_report()
    await resident.press("No")
    await resident.expect("<b>Who is making this report?</b>")
    await resident.press("Witness")
    await resident.expect("<b>What kind of incident is it?</b>\nChoose the one that fits best.")
    await resident.press("Neglect")
    await resident.expect("<b>Who is the victim?</b>")
    await resident.press("Boy")
    await resident.expect("<b>About how old is the victim?</b>")
    await resident.press("6–12 years")
    await resident.expect("<b>Where did it happen?</b>\nChoose the kecamatan, or type its name.")
    await resident.user.send_text("Kota Antah Berantah")
    await resident.expect("I could not find that name. Please choose with the buttons.")
    await resident.user.send_text("rakumpit")
    await resident.user.wait_for("Kecamatan Rakumpit")
    await resident.user.send_text("Petuk Berunai")
    await resident.user.wait_for("Kelurahan Petuk Barunai")
    await resident.expect(LANDMARK_Q)
    await resident.press("Skip ➡️")
    await resident.expect(LOCATION_Q)
    await resident.tap_reply("Skip ➡️")
    await resident.expect("<b>When did it happen?</b>")
    await resident.press("Yesterday")
    await resident.expect(DESCRIPTION_Q)
    await resident.describe("Anak ditinggal sendirian.")
    summary = await resident.finish_anonymously()
    assert "Petuk Barunai" in summary.text


async def test_a_failure_before_the_commit_is_tried_again_without_an_apology(
    resident: Resident, bot: RunningBot
) -> None:
    """The database fails once while the answer is saved: the update rolls back and the
    inbox tries it again at once (bot/inbox.py). The resident sees the next question, and no
    apology for a failure that was over before they could notice it. (An update that fails
    every time: tests/inbox/test_retries.py.)"""
    await resident.start()
    await resident.begin_report()
    await resident.press("No")
    await resident.expect("<b>Who is making this report?</b>")
    with failing(bot.service, "INSERT INTO fsm_state", times=1) as failed:
        await resident.press("Witness")
        await resident.expect("<b>What kind of incident is it?</b>\nChoose the one that fits best.")
    assert failed, "the failure was never injected"
    sorry = resident.t(
        "Sorry, something went wrong on our side. What you entered so far is kept; "
        "please try again. If someone is in danger now, call 112."
    )
    assert sorry not in [message.text for message in resident.user.chat.bot_messages()]


async def test_a_reply_refused_after_the_answer_was_saved_apologises(
    resident: Resident, emulator: BotAPIEmulator
) -> None:
    """Replies go out after the update's commit: the answer is stored even if Telegram
    then refuses the next question, and the resident is told, never left waiting."""
    await resident.start()
    await resident.begin_report()
    await resident.press("No")
    await resident.expect("<b>Who is making this report?</b>")
    emulator.fail_next("sendMessage", 400, "Bad Request: something unexpected")
    await resident.press("Witness")
    await resident.expect("Sorry, something went wrong on our side.")
    # The answer is kept: back in the report, the next question is the current one.
    await resident.user.send_command("/lapor")
    await resident.expect("You have a report that is not sent yet; your answers are kept.")
    await resident.expect("<b>What kind of incident is it?</b>\nChoose the one that fits best.")


async def test_a_press_too_old_to_answer_still_moves_the_report_on(
    resident: Resident, emulator: BotAPIEmulator
) -> None:
    """Telegram refuses to answer a press it finds too old (a slow network): the answer was
    still taken and the next question comes, with no apology."""
    await resident.start()
    await resident.begin_report()
    emulator.fail_next(
        "answerCallbackQuery",
        400,
        "Bad Request: query is too old and response timeout expired or query ID is invalid",
    )
    # The press gets no answer (Telegram refused it): do not wait for one.
    await resident.user.press(resident.t("No"), timeout=0)
    await resident.expect("<b>Who is making this report?</b>")
    await resident.user.wait_idle()
    sorry = resident.t(
        "Sorry, something went wrong on our side. What you entered so far is kept; "
        "please try again. If someone is in danger now, call 112."
    )
    assert sorry not in [message.text for message in resident.user.chat.bot_messages()]
