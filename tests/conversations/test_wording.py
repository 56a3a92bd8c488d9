"""Words a resident reads during a report: natural Indonesian, counts that agree, advice
that can be followed."""

from __future__ import annotations

from tests.conversations.resident import EVIDENCE_Q, IDENTITY_Q, PHONE_Q, Resident


async def test_the_recorded_answer_has_no_emoji_and_the_phone_question_asks(
    resident: Resident,
) -> None:
    await resident.start()
    await resident.begin_report()
    await resident.answer_until_description()
    question = resident.user.chat.last_bot_message()
    await resident.user.send_text("Cerita singkat.")
    await resident.expect("✓ Saved. You can add more, or press Done.")
    saved = resident.user.chat.last_bot_message()
    await resident.press("✅ Done")
    await resident.expect(EVIDENCE_Q)
    # "✓ ✅ Selesai" read as two ticks.
    assert saved.text.endswith("✓ Selesai"), saved.text
    assert question is not None and question.buttons == []
    await resident.press("Skip ➡️")
    await resident.expect(IDENTITY_Q)
    await resident.press("🙋 With my name")
    await resident.user.send_text("Siti")
    phone = await resident.expect(PHONE_Q)
    # A question, not an order with a question mark ("Bagikan nomor telepon Anda …?"), and
    # about one channel only: a phone call (writing in the chat is asked next).
    assert "\nBolehkah petugas menelepon Anda?\n" in phone.text, phone.text


async def test_length_advice_that_can_be_followed(resident: Resident) -> None:
    await resident.start()
    await resident.begin_report()
    await resident.answer_until_description()
    await resident.user.send_text("a" * 4000)
    await resident.expect("✓ Saved. You can add more, or press Done.")
    # 1,998 characters still fit in the report: splitting 3,000 into messages would not help.
    await resident.user.send_text("b" * 3000)
    advice = await resident.user.wait_for("3000")
    assert "1998" in advice.text and "bagi" not in advice.text, advice.text
    assert "persingkat" in advice.text
    await resident.user.send_text("c" * 1998)
    await resident.expect("✓ Saved. You can add more, or press Done.")
    await resident.user.send_text("d")
    full = await resident.user.wait_for("6000")
    assert "penuh" in full.text and "Selesai" in full.text, full.text


async def test_counts_agree_with_their_noun(english_resident: Resident) -> None:
    resident = english_resident
    await resident.start()
    await resident.begin_report()
    await resident.answer_until_description()
    await resident.describe("A short story.")
    await resident.user.send_photo()
    await resident.user.wait_for("received (1 of at most 10)")
    await resident.press("✅ Done (1 file)", literal=True)
    await resident.expect(IDENTITY_Q)
    await resident.press("🕶 Anonymous")
    await resident.press("No")
    summary = await resident.expect("<b>Step 11 of 11 — please check your report</b>")
    assert "Evidence:</b> 1 file" in (summary.html or ""), summary.html
