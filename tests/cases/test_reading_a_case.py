"""The officer who owns a case can always read all of it: the whole description in pages, the
voice note and map pin, the evidence (with what the resident wrote on it), the notes."""

from __future__ import annotations

from sqlalchemy import select, text

from playground.emulator import BotAPIEmulator, BotMessage, SimulatedUser
from services.report_draft import Attachment
from services.text_limits import MESSAGE_LIMIT, utf16_length
from storage.models import Evidence
from tests.cases.staffing import add_officer, file_report, tap
from tests.conversations.resident import Resident
from tests.fixtures.bot import COORDINATOR_ID, RunningBot
from tests.fixtures.timeline import until
from tests.translations import translate

RINA = 3161


def t(msgid: str) -> str:
    return translate("id", msgid)


def long_description(length: int) -> str:
    """Numbered words, so a page left out or repeated shows."""
    words, size, n = [], 0, 0
    while size < length:
        word = f"kata{n:04d}"
        words.append(word)
        size += len(word) + 1
        n += 1
    return " ".join(words)[: length - 1].rstrip() + "."


async def officer(bot: RunningBot, emulator: BotAPIEmulator) -> SimulatedUser:
    for user_id in (RINA, COORDINATOR_ID):
        emulator.user(user_id, first_name=f"U{user_id}")
    await add_officer(bot.service, RINA, "Kalampangan", name="Bu Rina")
    return emulator.user(RINA)


async def take(rina: SimulatedUser, code: str) -> BotMessage:
    await tap(rina, f"✅ Terima {code}", await rina.wait_for(code))
    return await rina.wait_for(t("Handled by: {name}").split("{")[0])


def pages_after(user: SimulatedUser, heading: str, after: int) -> list[BotMessage]:
    return [m for m in user.chat.bot_messages() if m.message_id > after and heading in m.text]


async def test_a_long_description_is_read_whole_after_terima(
    bot: RunningBot, emulator: BotAPIEmulator
) -> None:
    """4,099 characters used to show as 1,200 on the card and the last 498 in the alert's
    continuation: about 2,400 were shown nowhere once the alert became the card."""
    rina = await officer(bot, emulator)
    description = long_description(4099)
    _, code = await file_report(bot.service, "Kalampangan", description=description)
    card = await take(rina, code)
    assert "1200" in card.text and "4099" in card.text  # the card says it shows a part
    last = rina.chat.bot_messages()[-1].message_id
    await tap(rina, t("📄 Full report"), card)
    heading = t("📄 <b>{code}</b>, what happened ({page}/{pages})").split("(")[0]
    heading = heading.replace("<b>", "").replace("</b>", "").format(code=code)

    async def all_pages() -> bool:
        return len(pages_after(rina, heading, last)) == 2

    await until(all_pages, "both pages", within=5)
    pages = pages_after(rina, heading, last)
    assert all(utf16_length(page.text) <= MESSAGE_LIMIT for page in pages)
    assert "(1/2)" in pages[0].text and "(2/2)" in pages[1].text
    read = " ".join(page.text.split("\n", 2)[2] for page in pages)
    assert read.split() == description.split()


async def test_kasus_sends_what_it_names_and_evidence_comes_again(
    bot: RunningBot, emulator: BotAPIEmulator
) -> None:
    """/kasus's card said "Lokasi di peta: dikirim di bawah / Bukti: 2 file, dikirim di bawah"
    and sent nothing."""
    rina = await officer(bot, emulator)
    reporter = emulator.user(5011)
    photos = [await reporter.send_photo(), await reporter.send_photo()]
    evidence = [
        Attachment("photo", photo["photo"][-1]["file_id"], 5011, photo["message_id"])
        for photo in photos
    ]
    _, code = await file_report(bot.service, "Kalampangan", evidence=evidence, location=True)
    # The alert's own, first.
    await until(lambda: _count(rina, 0, "photo", 2), "the alert's two photos", within=5)
    await take(rina, code)
    await rina.send_command("/kasus")
    listing = await rina.wait_for(t("<b>Open cases ({count})</b>")[3:10])
    await tap(rina, code, listing)
    card = await rina.wait_for(code, predicate=lambda m: m.message_id == listing.message_id)
    assert t("Map location: sent below") not in card.text
    assert "dikirim di bawah" not in card.text and "sent below" not in card.text

    last = rina.chat.bot_messages()[-1].message_id
    await tap(rina, t("📎 Evidence ({count})").format(count=2), card)
    await until(lambda: _count(rina, last, "photo", 2), "the two photos again", within=5)
    again = [m for m in rina.chat.bot_messages() if m.message_id > last and m.kind == "photo"]
    assert [m.file_id for m in again] == [item.file_id for item in evidence]
    assert all(m.forward_origin is None and m.copied_from is None for m in again)
    await tap(rina, t("📄 Full report"), card)
    await until(lambda: _count(rina, last, "location", 1), "the location", within=5)


async def _count(user: SimulatedUser, after: int, kind: str, expected: int) -> bool:
    found = [m for m in user.chat.bot_messages() if m.message_id > after and m.kind == kind]
    return len(found) == expected


async def test_notes_written_so_far_are_shown_again(
    bot: RunningBot, emulator: BotAPIEmulator
) -> None:
    """ "📝 Catatan disimpan." and the note was never shown again."""
    rina = await officer(bot, emulator)
    _, code = await file_report(bot.service, "Kalampangan")
    card = await take(rina, code)
    for note in ("Sudah berkunjung ke rumah <korban>.", "Korban & ibunya aman di rumah kerabat."):
        await tap(rina, t("✍️ Write a note"), card)
        await rina.wait_for(
            t("Write the note for case <code>{code}</code> (or /batal to stop).")[:12]
        )
        await rina.send_text(note)
        await rina.wait_for(t("📝 Note saved. The case card's 🗒 Notes shows all notes.")[:16])
    notes_button = t("🗒 Notes ({count})").format(count=2)
    await until(lambda: _has_button(rina, card.message_id, notes_button), notes_button, within=5)
    await tap(rina, notes_button)
    shown = await rina.wait_for(t("🗒 <b>Notes on case {code}</b> ({page}/{pages})")[5:15])
    assert "Sudah berkunjung ke rumah <korban>." in shown.text
    assert "Korban & ibunya aman di rumah kerabat." in shown.text
    assert "Bu Rina" in shown.text


async def _has_button(user: SimulatedUser, message_id: int, text: str) -> bool:
    message = next(m for m in user.chat.messages if m.message_id == message_id)
    return message.button(text) is not None


async def test_the_residents_caption_reaches_the_officer_escaped_and_encrypted(
    bot: RunningBot, emulator: BotAPIEmulator, resident: Resident
) -> None:
    """The caption used to be dropped: the officer read only "Bukti 1/2 untuk LA-…"."""
    rina = await officer(bot, emulator)
    caption = "foto memar <i>lengan</i> & kaki"
    await resident.start()
    await resident.begin_report()
    await resident.answer_until_description()
    await resident.describe("Tetangga memukul anaknya.")
    for count, photo_caption in enumerate((caption, None), start=1):
        await resident.user.send_photo(caption=photo_caption)
        done = resident.tn("✅ Done ({count} file)", count)
        await resident.user.wait_for(predicate=lambda m, done=done: m.button(done) is not None)
    await resident.press(done, literal=True)
    await resident.press("🕶 Anonymous")
    await resident.press("No")
    await resident.expect("<b>Step 11 of 11 — please check your report</b>")
    code = await resident.send()

    first = await rina.wait_for(code, predicate=lambda m: m.kind == "photo" and "1/2" in m.text)
    assert caption in first.text  # as written: the markup is text, not formatting
    assert "foto memar &lt;i&gt;lengan&lt;/i&gt; &amp; kaki" in (first.html or "")
    second = await rina.wait_for(code, predicate=lambda m: m.kind == "photo" and "2/2" in m.text)
    assert "memar" not in second.text
    async with bot.service.session_factory() as session:
        sources = list(await session.scalars(select(Evidence.source)))
        assert any((source or {}).get("caption") == caption for source in sources)
        raw = list(await session.scalars(text("SELECT source FROM evidence")))
    assert raw and not any("memar" in (value or "") for value in raw)
