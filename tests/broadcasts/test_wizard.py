"""/siaran through the emulator: who may use it, what can be broadcast, audiences, the preview,
a double tap on Send, discarding, and the history."""

from __future__ import annotations

from sqlalchemy import func, select

from playground.emulator import BotAPIEmulator, SimulatedUser
from services import broadcasts
from storage.identity import pseudonym
from storage.models import AuditLog, Broadcast, OutboxMessage, ScheduledJob
from tests.broadcasts.people import (
    add_subscribers,
    choose,
    compose,
    coordinator,
    copies_to,
    latest_broadcast,
    received,
)
from tests.cases.staffing import add_officer, kelurahan_id
from tests.fixtures.bot import RunningBot
from tests.fixtures.timeline import until
from tests.staff.people import Person, becomes

CITY, MENTENG, PALANGKA, KALAMPANGAN = 7001, 7002, 7003, 7004
OFFICER, RESIDENT = 7101, 7102


async def finished(person: Person, broadcast_id: int) -> None:
    await person.user.wait_for(f"Broadcast #{broadcast_id} is finished", timeout=15)


async def test_residents_and_officers_are_refused_and_logged(
    emulator: BotAPIEmulator, bot: RunningBot
) -> None:
    await add_officer(bot.service, OFFICER, "Menteng", name="Bu Sari")
    resident = await Person.english(emulator, RESIDENT, "Siti")
    officer = await Person.english(emulator, OFFICER, "Sari")
    for person in (resident, officer):
        await person.command("/siaran", expect="Sorry, /siaran is only for coordinators")
        # A forged button (a coordinator's Send now) changes nothing either.
        answer = await person.user.press_data("bc:send:1::0", 1)
        assert answer is not None and answer.show_alert
        assert answer.text == "Sorry, this is only for coordinators of the service."

    async def refusals() -> list[int]:
        async with bot.service.session_factory() as session:
            rows = await session.scalars(
                select(AuditLog.actor_id).where(AuditLog.action == "staff_access_refused")
            )
            return sorted(actor for actor in rows if actor is not None)

    # The resident by pseudonym: the audit log names no resident in clear.
    resident_key = pseudonym(RESIDENT)
    await becomes(refusals, sorted([resident_key, resident_key, OFFICER, OFFICER]))
    async with bot.service.session_factory() as session:
        assert await session.scalar(select(func.count()).select_from(Broadcast)) == 0


async def test_what_cannot_be_broadcast_is_refused_clearly(
    emulator: BotAPIEmulator, bot: RunningBot
) -> None:
    person = await coordinator(emulator)
    await person.command("/siaran", expect="New broadcast")
    user = person.user
    await user.send_sticker()
    await user.wait_for("This kind of message cannot be broadcast.")
    await user.send_voice()
    await user.wait_for("This kind of message cannot be broadcast.")
    await user.send_text("   ")
    await user.wait_for("The message is empty.")
    await user.send_text("a" * 4097)
    await user.wait_for("The text is too long: 4097 characters, Telegram allows 4096.")
    # Telegram counts UTF-16 units: 2,049 emoji are 4,098 of them.
    await user.send_text("🙂" * 2049)
    await user.wait_for("The text is too long: 4098 characters")
    await user.send_photo("b" * 1025)
    await user.wait_for("The caption is too long: 1025 characters, Telegram allows 1024")
    # Still composing: a good message now is taken.
    await user.send_text("a" * 4096)
    await user.wait_for("Who should receive it?")


async def test_each_audience_reaches_exactly_its_people(
    emulator: BotAPIEmulator, bot: RunningBot
) -> None:
    menteng, _ = await kelurahan_id(bot.service, "Menteng")
    palangka, _ = await kelurahan_id(bot.service, "Palangka")
    kalampangan, _ = await kelurahan_id(bot.service, "Kalampangan")
    [city] = await add_subscribers(bot, emulator, [CITY])
    [in_menteng] = await add_subscribers(bot, emulator, [MENTENG], menteng)
    [in_palangka] = await add_subscribers(bot, emulator, [PALANGKA], palangka)
    [in_kalampangan] = await add_subscribers(bot, emulator, [KALAMPANGAN], kalampangan)
    await add_officer(bot.service, OFFICER, "Menteng", name="Bu Sari")
    officer = emulator.user(OFFICER)
    person = await coordinator(emulator)
    everyone = [city, in_menteng, in_palangka, in_kalampangan, officer]

    subscribers = [city, in_menteng, in_palangka, in_kalampangan]
    kelurahan = ["🏘 Subscribers in a kelurahan", "Jekan Raya", "Menteng (1)"]
    kecamatan = ["🏙 Subscribers in a kecamatan", "Jekan Raya (2)"]
    cases = [
        ("Kabar Menteng", kelurahan, [in_menteng]),
        ("Kabar Jekan Raya", kecamatan, [in_menteng, in_palangka]),
        ("Untuk petugas", ["👮 Officers (1)"], [officer]),
        ("Untuk semua", ["👥 All subscribers (4)"], subscribers),
    ]
    for number, (text, buttons, expected) in enumerate(cases, start=1):

        async def write(user: SimulatedUser, text: str = text) -> None:
            await user.send_text(text)

        await compose(person, write)
        summary = await choose(person, *buttons)
        assert f"Recipients now: {len(expected)}" in summary.text
        await person.press("📤 Send now")
        await person.user.wait_for(f"Broadcast #{number} is finished", timeout=15)
        for user in everyone:
            texts = [m.text for m in received(user)]
            assert texts.count(text) == (1 if user in expected else 0), (user.id, text, texts)


async def test_the_preview_is_what_recipients_get(
    emulator: BotAPIEmulator, bot: RunningBot
) -> None:
    first, second = await add_subscribers(bot, emulator, [CITY, MENTENG])
    person = await coordinator(emulator)
    text = "Waspada TPPO! Lowongan kerja <palsu> & gaji besar: laporkan."
    entities = [
        {"type": "bold", "offset": 0, "length": 13},
        {"type": "italic", "offset": 14, "length": 15},
        {"type": "text_link", "offset": 52, "length": 9, "url": "https://example.org/sapa"},
    ]

    async def write(user: SimulatedUser) -> None:
        await user.send_text(text, entities=entities)

    await compose(person, write)
    await choose(person, "👥 All subscribers (2)")
    [preview] = received(person.user)
    assert preview.text == text and preview.entities == entities
    await person.press("📤 Send now")
    await person.user.wait_for("Broadcast #1 is finished", timeout=15)

    async def photo(user: SimulatedUser) -> None:
        await user.send_photo("Poster <b>layanan</b> SAPA 129 & UPPA")

    await compose(person, photo)
    await choose(person, "👥 All subscribers (2)")
    photo_preview = received(person.user)[-1]
    assert photo_preview.kind == "photo"
    await person.press("📤 Send now")
    await person.user.wait_for("Broadcast #2 is finished", timeout=15)

    for user in (first, second):
        got_text, got_photo = received(user)
        for got, shown in ((got_text, preview), (got_photo, photo_preview)):
            assert (got.kind, got.text, got.entities, got.file_id) == (
                shown.kind,
                shown.text,
                shown.entities,
                shown.file_id,
            )
            assert got.copied_from == shown.copied_from
            assert got.forward_origin is None


async def test_a_deleted_message_gets_no_preview_and_is_explained(
    emulator: BotAPIEmulator, bot: RunningBot
) -> None:
    await add_subscribers(bot, emulator, [CITY])
    person = await coordinator(emulator)
    written: dict[str, object] = {}

    async def write(user: SimulatedUser) -> None:
        written.update(await user.send_text("Yang dihapus"))

    await compose(person, write)
    # The coordinator deletes the message before choosing the audience: Telegram cannot
    # copy it any more.
    person.user.delete_own(int(str(written["message_id"])))
    await person.press("👥 All subscribers (1)")
    await person.user.wait_for(
        "I cannot find the message you wrote for this broadcast any more (was it deleted?)"
    )
    await person.user.wait_idle(quiet=0.2)
    texts = [m.text for m in person.user.chat.bot_messages()]
    assert not [t for t in texts if "This is exactly how recipients will see" in t], texts
    assert not [t for t in texts if "something went wrong" in t], texts
    assert not [m for m in person.user.chat.bot_messages() if m.button("📤 Send now")]
    assert (await latest_broadcast(bot)).status == broadcasts.DRAFT
    # /siaran starts again cleanly.
    await person.command("/siaran", expect="New broadcast")


async def test_send_pressed_twice_sends_once(emulator: BotAPIEmulator, bot: RunningBot) -> None:
    users = await add_subscribers(bot, emulator, [CITY, MENTENG, PALANGKA])
    person = await coordinator(emulator)

    async def write(user: SimulatedUser) -> None:
        await user.send_text("Sekali saja")

    await compose(person, write)
    summary = await choose(person, "👥 All subscribers (3)")
    send = summary.button("📤 Send now")
    assert send is not None and send.callback_data is not None
    first = await person.user.press_data(send.callback_data, summary.message_id)
    second = await person.user.press_data(send.callback_data, summary.message_id)
    assert first is not None and first.text == "Sending"
    assert second is not None and second.show_alert
    assert second.text == "This broadcast was already sent, scheduled or cancelled."
    await person.user.wait_for("Broadcast #1 is finished", timeout=15)
    assert [copies_to(emulator, user.id) for user in users] == [1, 1, 1]
    async with bot.service.session_factory() as session:
        jobs = await session.scalar(
            select(func.count()).where(ScheduledJob.kind == broadcasts.JOB_KIND)
        )
        rows = await session.scalar(select(func.count()).where(OutboxMessage.kind == "broadcast"))
    assert (jobs, rows) == (1, 3)


async def test_discard_sends_nothing(emulator: BotAPIEmulator, bot: RunningBot) -> None:
    [user] = await add_subscribers(bot, emulator, [CITY])
    person = await coordinator(emulator)

    async def write(user: SimulatedUser) -> None:
        await user.send_text("Draf")

    await compose(person, write)
    await choose(person, "👥 All subscribers (1)")
    await person.press("❌ Cancel")
    await person.user.wait_for("Broadcast discarded. Nothing was sent.")

    async def status() -> str:
        return (await latest_broadcast(bot)).status

    await becomes(status, broadcasts.DISCARDED)
    await person.command("/siaran", "riwayat", expect="No broadcasts yet.")
    assert copies_to(emulator, user.id) == 0


async def test_history_lists_recent_broadcasts_with_their_counts(
    emulator: BotAPIEmulator, bot: RunningBot
) -> None:
    await add_subscribers(bot, emulator, [CITY, MENTENG])
    person = await coordinator(emulator)

    async def write(user: SimulatedUser) -> None:
        await user.send_text("Riwayat")

    await compose(person, write)
    await choose(person, "👥 All subscribers (2)")
    await person.press("📤 Send now")
    await person.user.wait_for("Broadcast #1 is finished", timeout=15)
    listing = await person.command("/siaran", "riwayat", expect="Recent broadcasts")
    assert "#1" in listing.text and "all subscribers" in listing.text
    assert "finished" in listing.text and "✅ 2 · ⚠️ 0 · 🚫 0 · ⏳ 0" in listing.text

    await person.command("/siaran", expect="New broadcast")
    await person.press("📜 Recent broadcasts")
    await person.user.wait_for("Recent broadcasts")

    async def counted() -> bool:
        return (await latest_broadcast(bot)).status == broadcasts.DONE

    await until(counted, "done")
