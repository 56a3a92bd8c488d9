"""One live question at a time: only the newest message of a report has buttons, whether the
previous question was answered with a button, typed, or asked again; an old button changes
nothing, says so, and brings no copy of the question."""

from __future__ import annotations

from playground.emulator import BotMessage
from tests.conversations.resident import DESCRIPTION_Q, LANDMARK_Q, LOCATION_Q, Resident


def with_report_buttons(resident: Resident) -> list[BotMessage]:
    return [
        message
        for message in resident.user.chat.bot_messages()
        if any(
            (button.callback_data or "").startswith("r:")
            for row in message.buttons
            for button in row
        )
    ]


async def test_typed_answers_and_questions_asked_again_leave_one_live_question(
    resident: Resident,
) -> None:
    await resident.start()
    menu = resident.user.chat.last_bot_message()
    assert menu is not None and menu.button(resident.t("📝 Report an incident"))
    await resident.begin_report()
    await resident.press("No")
    await resident.press("Witness")
    await resident.press("Sexual violence")
    await resident.press("Girl")
    await resident.press("13–17 years")
    await resident.press("Sabangau", literal=True)
    await resident.press("Kalampangan", literal=True)
    await resident.expect(LANDMARK_Q)
    # Typed, not pressed: the question's Skip / Back / Cancel go all the same.
    await resident.user.send_text("Dekat masjid")
    await resident.expect(LOCATION_Q)
    await resident.tap_reply("Skip ➡️")
    await resident.expect("<b>When did it happen?</b>")
    await resident.user.wait_idle()
    assert len(with_report_buttons(resident)) == 1, resident.user.chat.transcript()

    # The menu's "report" button, pressed again and again mid-report: the question comes
    # back below each time, and only the newest copy can be answered.
    for _press in range(3):
        await resident.user.press(resident.t("📝 Report an incident"), menu)
        await resident.expect("<b>When did it happen?</b>")
        await resident.user.wait_idle()
    [live] = with_report_buttons(resident)
    assert live.message_id == resident.user.chat.last_bot_message().message_id

    # Side commands and stickers ask again too, still leaving one live question.
    await resident.user.send_command("/bantuan")
    await resident.expect("<b>When did it happen?</b>")
    await resident.user.send_sticker()
    await resident.expect("<b>When did it happen?</b>")
    await resident.user.wait_idle()
    assert len(with_report_buttons(resident)) == 1, resident.user.chat.transcript()

    # Several parts of the story: only the newest "saved" carries Done.
    await resident.press("Today")
    await resident.expect(DESCRIPTION_Q)
    for part in ("Pertama.", "Kedua.", "Ketiga."):
        await resident.user.send_text(part)
        await resident.expect("✓ Saved. You can add more, or press Done.")
    await resident.user.wait_idle()
    [done] = with_report_buttons(resident)
    assert done.button(resident.t("✅ Done")) is not None


async def test_an_old_button_changes_nothing_and_brings_no_copy(resident: Resident) -> None:
    await resident.start()
    await resident.begin_report()
    danger = resident.user.chat.last_bot_message()
    await resident.press("No")
    relation = await resident.expect("<b>Who is making this report?</b>")
    await resident.user.wait_idle()
    shown = [message.message_id for message in resident.user.chat.bot_messages()]
    # The answered question shows the answer without its emoji, and no buttons.
    assert danger.buttons == [] and danger.text.endswith(f"✓ {resident.t('No')}")

    answer = await resident.user.press_data("r:danger:yes", danger.message_id)
    assert answer is not None and answer.text == resident.t(
        "This button belongs to an earlier question. Please answer the newest message."
    )
    await resident.user.wait_idle()
    assert [m.message_id for m in resident.user.chat.bot_messages()] == shown
    assert relation.buttons, "the newest question keeps its buttons"
    await resident.press("Witness")
    await resident.expect("<b>What kind of incident is it?</b>")
