"""The resident's report, end to end over HTTP through the emulator."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from storage.models import AuditLog, Evidence, Report
from tests.conversations.resident import (
    CONSENT_Q,
    DESCRIPTION_Q,
    EVIDENCE_Q,
    IDENTITY_Q,
    LANDMARK_Q,
    LOCATION_Q,
    PHONE_Q,
    Resident,
)
from tests.fixtures.bot import RunningBot
from tests.fixtures.timeline import until

TRICKY = "Dia bilang <b>jangan</b> lapor & ancam *saya* _lagi_ 😢 a<b & c>d </i>"


async def stored_reports(bot: RunningBot) -> list[Report]:
    async with bot.service.session_factory() as session:
        rows = await session.scalars(
            select(Report).options(selectinload(Report.evidence), selectinload(Report.kelurahan))
        )
        return list(rows)


async def test_lapor_before_consent_asks_it_then_starts_the_report(
    resident: Resident, bot: RunningBot
) -> None:
    """/lapor from someone who never agreed: the consent first; "I agree" then starts the
    report at once, without the main menu, and the consent is recorded once."""
    await resident.user.send_command("/lapor")
    await resident.expect("👋 <b>Welcome to Lapor Aman</b>")
    answer = await resident.press("✅ I agree")
    assert answer is not None and answer.text == resident.t("Thank you")
    await resident.expect("<b>Is anyone in danger right now?</b>")
    menu = resident.t("What would you like to do?")
    assert not [m for m in resident.user.chat.bot_messages() if menu in m.text]
    async with bot.service.session_factory() as session:
        consents = await session.scalars(select(AuditLog).where(AuditLog.action == "consent_given"))
        assert len(list(consents)) == 1


async def test_anonymous_report_in_indonesian(resident: Resident, bot: RunningBot) -> None:
    await resident.start()
    await resident.begin_report()
    danger = resident.user.chat.last_bot_message()
    assert "Apakah ada yang dalam bahaya sekarang?" in danger.text
    await resident.answer_until_description(landmark="Dekat SD & pasar <lama>")
    await resident.describe(TRICKY, "Sudah terjadi dua kali.")
    summary = await resident.finish_anonymously()
    assert TRICKY in summary.text, "the description must arrive intact, escaped"
    assert "Dekat SD & pasar <lama>" in summary.text
    assert "Kalampangan" in summary.text and "Sabangau" in summary.text
    assert resident.t("Anonymous") in summary.text
    code = await resident.send()

    [report] = await stored_reports(bot)
    assert report.code == code
    assert report.status == "baru"
    assert report.urgent is False
    assert (report.relation, report.category, report.victim, report.victim_age) == (
        "witness",
        "sexual",
        "girl",
        "13-17",
    )
    assert report.kelurahan.name == "Kalampangan"
    assert report.description == f"{TRICKY}\n\nSudah terjadi dua kali."
    assert report.anonymous is True
    assert report.reporter_name is None and report.reporter_phone is None
    # No consent: not even an index of the chat stays with the report.
    assert report.reporter_chat_id is None and report.reporter_chat_index is None
    # The summary's buttons go once it is sent (behind the alerts, through the outbox).
    await until(lambda: not summary.buttons, "the sent summary to lose its buttons", within=5)


async def test_named_report_in_english_with_urgent_evidence_and_contact(
    english_resident: Resident, bot: RunningBot
) -> None:
    resident = english_resident
    await resident.start()
    await resident.begin_report()
    await resident.press("Yes, someone is in danger")
    numbers = await resident.user.wait_for("112")
    assert "SAPA" in numbers.text
    await resident.expect("<b>Who is making this report?</b>")
    await resident.press("I am the victim")
    await resident.expect("<b>What kind of incident is it?</b>\nChoose the one that fits best.")
    await resident.press("Physical violence")
    await resident.expect("<b>Who is the victim?</b>")
    await resident.press("Adult woman")
    await resident.expect("<b>About how old is the victim?</b>")
    age_buttons = [b.text for row in resident.user.chat.last_bot_message().buttons for b in row]
    assert "13–17 years" not in age_buttons, "an adult woman gets adult age ranges"
    await resident.press("25–44 years")
    await resident.expect("<b>Where did it happen?</b>\nChoose the kecamatan, or type its name.")
    await resident.press("Pahandut", literal=True)
    await resident.expect("<b>Which kelurahan?</b>\nChoose one, or type its name.")
    await resident.user.send_text("langkai")
    await resident.user.wait_for("Kelurahan Langkai")
    await resident.press("Skip ➡️")
    await resident.expect(LOCATION_Q)
    await resident.tap_reply("📍 Share location")
    await resident.expect("✓ Location saved.")
    await resident.expect("<b>When did it happen?</b>")
    await resident.press("Happening now")
    await resident.expect(DESCRIPTION_Q)
    await resident.user.send_voice(duration=12)
    await resident.expect("✓ Saved. You can add more, or press Done.")
    await resident.press("✅ Done")
    await resident.expect(EVIDENCE_Q)
    await resident.user.send_photo(caption="bukti")
    await resident.user.wait_for("received (1 of at most 10)")
    await resident.user.send_document(
        file_name="visum.pdf", mime_type="application/pdf", content=b"%PDF-1.4"
    )
    await resident.user.wait_for("received (2 of at most 10)")
    await resident.press(resident.tn("✅ Done ({count} file)", 2), literal=True)
    await resident.expect(IDENTITY_Q)
    await resident.press("🙋 With my name")
    await resident.expect("<b>What is your name?</b>\nType it below.")
    await resident.user.send_text("Mary <Jane> & Co")
    await resident.expect(PHONE_Q)
    await resident.tap_reply("📱 Share my phone number")
    await resident.expect("✓ Phone number saved.")
    await resident.expect(CONSENT_Q)
    await resident.press("Yes, write to me here")
    summary = await resident.expect("<b>Step 11 of 11 — please check your report</b>")
    assert "Mary <Jane> & Co" in summary.text
    assert "voice note" in summary.text
    assert "2 files" in summary.text
    code = await resident.send()

    [report] = await stored_reports(bot)
    assert report.code == code and report.urgent is True
    assert report.reporter_name == "Mary <Jane> & Co"
    assert report.reporter_phone and report.reporter_phone.endswith(resident.user.phone_number[-6:])
    assert report.reporter_chat_id == str(resident.user.id)
    assert report.location is not None
    assert report.language == "en"
    kinds = [(item.kind, item.is_description) for item in report.evidence]
    assert kinds == [("voice", True), ("photo", False), ("document", False)]
    assert all(isinstance(item, Evidence) and item.source for item in report.evidence)
    # The file ids (and what was written with a file): alerts send the files again by them,
    # never copying the chat's message.
    assert all(set(item.source or {}) <= {"file_id", "caption"} for item in report.evidence)
    assert [(item.source or {}).get("caption") for item in report.evidence] == [None, "bukti", None]


async def test_change_answers_from_the_summary(resident: Resident, bot: RunningBot) -> None:
    await resident.start()
    await resident.begin_report()
    await resident.answer_until_description()
    await resident.describe("Tetangga memukul anaknya.")
    await resident.finish_anonymously()
    await resident.press("✏️ Change")
    await resident.expect("<b>What do you want to change?</b>")
    await resident.press("Category")
    await resident.expect("<b>What kind of incident is it?</b>\nChoose the one that fits best.")
    await resident.press("Physical violence")
    summary = await resident.expect("<b>Step 11 of 11 — please check your report</b>")
    assert resident.t("Physical violence") in summary.text
    # Changing the place walks through kecamatan, kelurahan, landmark and pin, then back.
    await resident.press("✏️ Change")
    await resident.expect("<b>What do you want to change?</b>")
    await resident.press("Place")
    await resident.expect("<b>Where did it happen?</b>\nChoose the kecamatan, or type its name.")
    await resident.press("Jekan Raya", literal=True)
    await resident.expect("<b>Which kelurahan?</b>\nChoose one, or type its name.")
    await resident.press("Menteng", literal=True)
    await resident.expect(LANDMARK_Q)
    await resident.press("Skip ➡️")
    await resident.expect(LOCATION_Q)
    await resident.tap_reply("Skip ➡️")
    summary = await resident.expect("<b>Step 11 of 11 — please check your report</b>")
    assert "Menteng" in summary.text and "Kalampangan" not in summary.text
    await resident.send()
    [report] = await stored_reports(bot)
    assert report.category == "physical"
    assert report.kelurahan.name == "Menteng"


async def test_back_button_returns_to_the_previous_question(resident: Resident) -> None:
    await resident.start()
    await resident.begin_report()
    await resident.press("No")
    await resident.expect("<b>Who is making this report?</b>")
    await resident.press("Family member")
    await resident.expect("<b>What kind of incident is it?</b>\nChoose the one that fits best.")
    await resident.press("⬅️ Back")
    await resident.expect("<b>Who is making this report?</b>")
    await resident.press("⬅️ Back")
    await resident.expect("<b>Is anyone in danger right now?</b>")


async def test_cancel_with_command_and_button(resident: Resident, bot: RunningBot) -> None:
    """Ask before destroying: Cancel and /batal ask first; "no" keeps every answer."""
    await resident.start()
    await resident.begin_report()
    await resident.press("No")
    await resident.expect("<b>Who is making this report?</b>")
    await resident.user.send_command("/batal")
    await resident.expect("<b>Throw away this report?</b>")
    await resident.press("↩️ No, go on")
    await resident.expect("<b>Who is making this report?</b>")
    await resident.press("Witness")
    await resident.expect("<b>What kind of incident is it?</b>\nChoose the one that fits best.")
    # The button turns its own question into the "throw away?" and back.
    question = resident.user.chat.last_bot_message()
    await resident.press("✖️ Cancel")
    asked = await resident.expect("<b>Throw away this report?</b>")
    assert asked.message_id == question.message_id
    await resident.press("↩️ No, go on")
    back = await resident.expect("<b>What kind of incident is it?</b>")
    assert back.message_id == question.message_id and back.button(resident.t("Neglect"))
    await resident.press("✖️ Cancel")
    await resident.press("🗑 Yes, throw it away")
    await resident.expect("The report was thrown away and nothing was sent.")
    await resident.user.send_command("/lapor")
    await resident.expect("📝 <b>New report</b>")  # nothing of the old one is left
    await resident.user.send_command("/batal")
    await resident.press("🗑 Yes, throw it away")
    await resident.expect("The report was thrown away and nothing was sent.")
    await resident.user.send_command("/batal")
    await resident.expect("There is nothing to cancel. Send /lapor to report an incident.")
    assert await stored_reports(bot) == []
