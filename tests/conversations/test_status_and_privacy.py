"""/status, /hapus, /hapusdata, /bahasa and the command menus."""

from __future__ import annotations

from sqlalchemy import select

from playground.emulator import BotAPIEmulator
from storage.models import FsmState, Report
from tests.conversations.resident import Resident
from tests.fixtures.bot import RunningBot
from tests.fixtures.people import stored_user
from tests.fixtures.timeline import until

SECRET = "Rahasia: pelaku adalah pamannya"


async def file_report(resident: Resident, *, consent: bool = False) -> str:
    await resident.begin_report()
    await resident.answer_until_description()
    await resident.describe(SECRET)
    await resident.finish_anonymously(consent=consent)
    return await resident.send()


async def test_status_for_own_foreign_and_unknown_codes(
    resident: Resident, emulator: BotAPIEmulator
) -> None:
    await resident.start()
    code = await file_report(resident)
    await resident.user.send_command("/status", code.lower().replace("-", " "))
    own = await resident.user.wait_for(code)
    assert resident.t("Received, waiting for an officer") in own.text
    assert SECRET not in own.text

    # Someone else holding the code sees status and dates, never content.
    other = Resident(emulator.user(user_id=5099, first_name="Budi"), "id")
    await other.start()
    await other.user.send_command("/status", code)
    foreign = await other.user.wait_for(code)
    assert SECRET not in foreign.text and "Kalampangan" not in foreign.text

    await other.user.send_command("/status", "LA-AAAA-AAAA")
    await other.user.wait_for("LA-AAAA-AAAA")
    await other.user.send_command("/status")
    await other.user.wait_for("LA-ACDE-F347")
    await other.user.send_text("bukan kode <script>")
    reply = await other.user.wait_for("bukan kode <script>")
    assert "bukan kode &lt;script&gt;" in reply.html  # shown back escaped, as typed


async def test_status_guessing_is_rate_limited(resident: Resident) -> None:
    await resident.start()
    code = await file_report(resident)
    for attempt in range(5):
        await resident.user.send_command("/status", f"LA-AAAA-AAA{'ACDEF'[attempt]}")
        await resident.user.wait_for("LA-AAAA-AAA")
    await resident.user.send_command("/status", code)
    paused = await resident.user.wait_for(
        resident.t("Too many codes that did not match.").split(".")[0]
    )
    assert code not in paused.text

    # Erasing one's data is no way to a fresh set of guesses at other people's codes.
    await resident.user.send_command("/hapusdata")
    await resident.press("🗑 Yes, erase my data")
    await resident.user.wait_for("Data pribadi Anda sudah dihapus")
    await resident.user.send_command("/status", code)
    again = await resident.user.wait_for(
        resident.t("Too many codes that did not match.").split(".")[0]
    )
    assert again.message_id != paused.message_id and code not in again.text


async def test_delete_chat_removes_the_conversation(resident: Resident) -> None:
    await resident.start()
    code = await file_report(resident)
    await resident.user.wait_idle()
    before = len(resident.user.chat.messages)
    assert before > 20
    # Ask before destroying: the message with the tracking code would go too, and without
    # contact through this chat that code is the only way back to the report.
    await resident.user.send_command("/hapus")
    asked = await resident.expect("<b>Delete this chat's messages?</b>")
    assert "kode pelacakan" in asked.text
    await resident.press("Keep the messages")
    await resident.expect("Nothing was deleted.")
    assert any(code in m.text for m in resident.user.chat.messages)
    assert len(resident.user.chat.messages) == before + 2  # /hapus and its question

    await resident.user.send_command("/hapus")
    await resident.press("🧹 Yes, delete them")
    done = await resident.user.wait_for("48")
    visible = [m.message_id for m in resident.user.chat.messages]
    assert visible == [done.message_id], resident.user.chat.transcript()


async def test_delete_chat_also_forgets_a_half_written_report(
    resident: Resident, bot: RunningBot
) -> None:
    """Someone who wipes the chat on a shared phone leaves no draft behind either."""
    await resident.start()
    await resident.begin_report()
    await resident.answer_until_description()
    await resident.user.send_command("/hapus")
    asked = await resident.expect("<b>Delete this chat's messages?</b>")
    assert "belum Anda kirim" in asked.text, "the question says the draft goes too"
    await resident.press("🧹 Yes, delete them")
    await resident.user.wait_for("48")
    await resident.user.wait_idle()
    async with bot.service.session_factory() as session:
        assert list(await session.scalars(select(FsmState.key))) == []


async def test_erase_personal_data_keeps_the_anonymised_case(
    resident: Resident, bot: RunningBot
) -> None:
    await resident.start()
    code = await file_report(resident, consent=True)
    await resident.user.send_command("/hapusdata")
    await resident.press("🗑 Yes, erase my data")
    await resident.user.wait_for("(1")

    async def erased() -> bool:  # the update commits right after its reply
        async with bot.service.session_factory() as session:
            return await stored_user(session, resident.user.id) is None

    await until(erased, "the resident erased", within=5)
    async with bot.service.session_factory() as session:
        report = await session.scalar(select(Report).where(Report.code == code))
        assert report is not None
        assert report.reporter_chat_id is None and report.reporter_chat_index is None
        assert report.personal_data_erased_at is not None
        assert report.description == SECRET  # the case itself stays for the victim's sake
        assert await stored_user(session, resident.user.id) is None
    # The code still answers.
    await resident.user.send_command("/status", code)
    await resident.user.wait_for(code)


async def test_an_erasure_stands_when_its_button_can_no_longer_be_edited(
    resident: Resident, bot: RunningBot, emulator: BotAPIEmulator
) -> None:
    await resident.start()
    code = await file_report(resident, consent=True)
    await resident.user.send_command("/hapusdata")
    emulator.fail_next("editMessageReplyMarkup", 400, "Bad Request: message can't be edited")
    await resident.press("🗑 Yes, erase my data")
    await resident.user.wait_for("(1")
    async with bot.service.session_factory() as session:
        report = await session.scalar(select(Report).where(Report.code == code))
        assert report is not None and report.personal_data_erased_at is not None
        assert await stored_user(session, resident.user.id) is None


async def test_language_choice_is_saved_and_commands_are_registered_per_language(
    resident: Resident, bot: RunningBot, emulator: BotAPIEmulator
) -> None:
    await resident.start()
    await resident.user.send_command("/bahasa")
    await resident.user.wait_for(resident.t("Choose your language:"))
    await resident.user.press("🇬🇧 English")
    await resident.user.wait_for("Language changed to English.")
    await resident.user.send_command("/bantuan")
    await resident.user.wait_for("What this bot can do")
    async with bot.service.session_factory() as session:
        user = await stored_user(session, resident.user.id)
        assert user is not None and user.language == "en"

    english = {c["command"]: c["description"] for c in emulator.commands("en")}
    indonesian = {c["command"]: c["description"] for c in emulator.commands("id")}
    default = {c["command"]: c["description"] for c in emulator.commands("")}
    assert set(english) == set(indonesian) == set(default) >= {"lapor", "status", "batal", "hapus"}
    assert english["lapor"] == "Report an incident"
    assert indonesian["lapor"] == default["lapor"] != english["lapor"]


async def test_help_mentions_the_awareness_subscription(
    resident: Resident, english_resident: Resident
) -> None:
    for person in (resident, english_resident):
        await person.start()
        await person.user.send_command("/bantuan")
        help_message = await person.expect("ℹ️ <b>What this bot can do</b>")
        subscribe = person.t("Subscribe to awareness messages").split()[-1]  # edukasi / messages
        for command in ("/langganan", "/berhenti"):
            [line] = [line for line in help_message.text.splitlines() if line.startswith(command)]
            assert subscribe in line, line


async def test_choosing_the_language_already_in_use_sends_nothing(
    resident: Resident, bot: RunningBot
) -> None:
    await resident.start()
    await resident.begin_report()
    for button, language in (("🇮🇩 Bahasa Indonesia", "id"), ("🇬🇧 English", "en")):
        if language == "en":
            await resident.user.send_command("/bahasa")
            await resident.user.press(button)
            await resident.user.wait_for("Language changed to English.")
            resident.language = "en"
        await resident.user.send_command("/bahasa")
        await resident.user.wait_for(resident.t("Choose your language:"))
        await resident.user.wait_idle()
        shown = [m.message_id for m in resident.user.chat.messages]
        for _tap in range(2):
            answer = await resident.user.press(button)
            assert answer is not None and answer.text == resident.t(
                "This is already your language."
            )
        await resident.user.wait_idle()
        assert [m.message_id for m in resident.user.chat.messages] == shown
        async with bot.service.session_factory() as session:
            user = await stored_user(session, resident.user.id)
            assert user is not None and user.language == language


async def test_a_toast_refused_with_429_is_sent_again_after_retry_after(
    resident: Resident, emulator: BotAPIEmulator
) -> None:
    """Telegram tells the bot to slow down when it answers a press: it waits as told and
    answers then, and the update does not fail."""
    await resident.start()
    await resident.user.send_command("/bahasa")
    await resident.user.wait_for(resident.t("Choose your language:"))
    emulator.fail_next(
        "answerCallbackQuery", 429, "Too Many Requests: retry after 1", retry_after=1
    )
    answer = await resident.user.press("🇮🇩 Bahasa Indonesia")
    assert answer is not None and answer.text == resident.t("This is already your language.")
    await resident.user.wait_idle()
    sorry = resident.t(
        "Sorry, something went wrong on our side. What you entered so far is kept; "
        "please try again. If someone is in danger now, call 112."
    )
    assert sorry not in resident.user.chat.transcript()
    refused = [c for c in emulator.calls if c.method == "answerCallbackQuery" and not c.ok]
    assert [c.error_code for c in refused] == [429]
